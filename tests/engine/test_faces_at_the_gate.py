"""Faces at the gate: a match confirms the holder; anything less sends them to an officer."""

from __future__ import annotations

import dataclasses

from engine.support import (
    NOT_LISTED,
    codes,
    crossing,
    decided,
    hetao,
    person,
    reason_for,
    without_random_selection,
)
from hetao.engine.facts import FaceFacts, Outcome, facts_from_json, facts_to_json


def face(**changes: object) -> FaceFacts:
    base = FaceFacts(
        source="gate",
        enrolled=True,
        liveness=True,
        score=0.9,
        device="cam-3",
        model_version="vendor-2.1",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class TestFaceMatch:
    def test_a_match_above_the_threshold_releases_with_the_facts_shown(self) -> None:
        decision = decided(crossing(person(face=face())))
        assert decision.outcome is Outcome.RELEASE
        matched = reason_for(decision, "face.matched")
        assert matched.text["en"] == (
            "Face matched the enrolled template (score 0.90, threshold 0.60, the gate's own match)"
        )
        assert matched.text["zh-Hans"].startswith("人脸与登记模板相符")

    def test_a_score_below_the_points_threshold_goes_to_the_officer(self) -> None:
        decision = decided(crossing(person(face=face(score=0.55))))  # Channel No. 1: 0.6
        assert decision.outcome is Outcome.INSPECT
        below = reason_for(decision, "face.below_threshold")
        assert "0.55" in below.text["en"]
        assert "0.60" in below.text["en"]

    def test_the_default_threshold_applies_where_the_point_has_none(self) -> None:
        decision = decided(crossing(person(face=face(score=0.55)), point="HUANGGANG"))
        assert "face.matched" in codes(decision)

    def test_without_liveness_the_officer_checks(self) -> None:
        decision = decided(crossing(person(face=face(liveness=False))))
        assert decision.outcome is Outcome.INSPECT
        assert "face.no_liveness" in codes(decision)
        assert "face.matched" not in codes(decision)

    def test_without_consent_or_enrolment_the_officer_checks(self) -> None:
        decision = decided(crossing(person(face=face(enrolled=False))))
        assert decision.outcome is Outcome.INSPECT
        assert codes(decision) == ["face.not_enrolled"]

    def test_a_probe_hetao_could_not_compare_goes_to_the_officer_with_the_reason(self) -> None:
        decision = decided(
            crossing(person(face=face(source="hetao", score=None, problem="no_face")))
        )
        assert decision.outcome is Outcome.INSPECT
        assert "no_face" in reason_for(decision, "face.not_compared").text["en"]

    def test_a_perfect_match_never_admits_someone_off_the_whitelist(self) -> None:
        off_list = person(person_id=None, whitelist=NOT_LISTED, face=face(score=1.0))
        decision = decided(crossing(off_list))
        assert decision.outcome is Outcome.REFUSE
        assert "whitelist.not_listed" in codes(decision)
        assert "face.matched" not in codes(decision)

    def test_a_zone_without_faces_sends_a_face_claim_to_the_officer(self) -> None:
        profile = without_random_selection(hetao()).model_copy(update={"faces": None})
        decision = decided(crossing(person(face=face())), profile=profile)
        assert codes(decision) == ["face.not_verified_here"]


class TestFaceFactsReplay:
    def test_face_facts_survive_the_json_round_trip(self) -> None:
        facts = crossing(person(face=face(score=0.8125)))
        assert facts_from_json(facts_to_json(facts)) == facts

    def test_facts_without_a_face_store_no_face_key(self) -> None:
        assert "face" not in facts_to_json(crossing(person()))["subject"]
