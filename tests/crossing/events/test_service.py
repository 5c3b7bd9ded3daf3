"""Recording crossings: idempotent by device event id, clock skew, scoping, replay, rule sets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossing.events.support import (
    ACTOR,
    CHANNEL1_GATE,
    HUANGGANG_GATE,
    SEED_KEY,
    UNKNOWN_DOCUMENT,
    counts,
    decide_tags,
    office_hours,
    person_event,
    record,
    whitelisted_person,
)
from factories import make_party, make_person
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.crossing import intake, rule_sets, service
from hetao.crossing.models import CrossingDecision, SelectionCounter
from hetao.crossing.models import RuleSet as StoredRuleSet
from hetao.crossing.schemas import CrossingIn
from hetao.engine.facts import Outcome
from hetao.engine.rules import load_rule_set
from hetao.errors import Conflict, PermissionDenied, ValidationFailed
from hetao.inspections.models import Inspection
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow


def rule_set(
    version: str, activates_at: dt.datetime, *, point: str = "HUANGGANG", outcome: str = "inspect"
) -> dict[str, Any]:
    """One table: every crossing at ``point`` gets ``outcome`` with score 80."""
    return {
        "version": version,
        "activates_at": activates_at.isoformat(),
        "description": "test rules",
        "tables": [
            {
                "name": "point_watch",
                "description": "crossings at one point",
                "hit_policy": "first",
                "inputs": ["crossing_point"],
                "rows": [
                    {
                        "when": {"crossing_point": point},
                        "outcome": outcome,
                        "score": 80,
                        "reason": {
                            "code": "risk.point_watch",
                            "en": "Crossing point under watch",
                            "zh-Hant": "口岸重點監管",
                            "zh-Hans": "口岸重点监管",
                        },
                    }
                ],
            }
        ],
    }


class TestIdempotency:
    def test_a_retry_with_the_same_event_id_returns_the_first_decision_and_writes_once(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        body = person_event(document)
        first, created = record(session, profile, body)
        before = counts(session)

        again, created_again = record(session, profile, body)

        assert (created, created_again) == (True, False)
        assert again.id == first.id
        assert again.decision.id == first.decision.id
        assert counts(session) == before
        assert decide_tags(session) == 1

    def test_the_same_event_id_with_other_content_is_a_conflict_naming_event_id(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        body = person_event(document, event="gate-1-000042")
        record(session, profile, body)

        with pytest.raises(Conflict) as raised:
            record(session, profile, {**body, "direction": "outbound"})
        assert [(p.field, p.rule) for p in raised.value.problems] == [
            ("event_id", "crossing.event_id_reused")
        ]

    def test_the_same_event_id_from_another_device_is_another_event(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        body = person_event(document, event="gate-000001")
        other_gate = intake.Device("device:9", "gate-9", frozenset({"FBZ_CHANNEL_1"}))

        first, _ = record(session, profile, body)
        second, created = record(session, profile, body, device=other_gate)

        assert created
        assert second.id != first.id


class TestDeviceClock:
    def test_clock_skew_is_recorded_as_device_time_minus_server_time(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        now = utcnow()
        body = person_event(document, occurred_at=now - dt.timedelta(milliseconds=1500))

        event, _ = record(session, profile, body, now=now)

        assert event.clock_skew_ms == -1500
        assert event.received_at == now

    def test_an_event_less_than_five_minutes_ahead_is_accepted(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        now = utcnow()
        body = person_event(document, occurred_at=now + dt.timedelta(minutes=4))

        event, _ = record(session, profile, body, now=now)

        assert event.clock_skew_ms == 240_000

    def test_an_event_more_than_five_minutes_ahead_is_refused_with_field_and_rule(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        now = utcnow()
        body = person_event(document, occurred_at=now + dt.timedelta(minutes=5, seconds=1))
        before = counts(session)

        with pytest.raises(ValidationFailed) as raised:
            record(session, profile, body, now=now)
        assert [(p.field, p.rule) for p in raised.value.problems] == [
            ("occurred_at", "crossing.clock_skew")
        ]
        assert counts(session) == before

    def test_an_event_time_without_a_zone_is_refused_by_the_schema(self) -> None:
        from pydantic import ValidationError

        from hetao.crossing.schemas import CrossingIn

        body = person_event(UNKNOWN_DOCUMENT)
        body["occurred_at"] = "2026-11-23T08:00:00"
        with pytest.raises(ValidationError, match="occurred_at"):
            CrossingIn.model_validate(body)


class TestScope:
    def test_a_gate_device_reports_only_at_its_crossing_points(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        body = person_event(UNKNOWN_DOCUMENT, point="FBZ_CHANNEL_1")
        with pytest.raises(PermissionDenied, match="HUANGGANG only"):
            record(session, profile, body, device=HUANGGANG_GATE)

    def test_a_crossing_point_the_profile_does_not_know_is_refused_naming_it(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        admin = intake.Device("user:1", "admin")
        with pytest.raises(ValidationFailed) as raised:
            record(session, profile, person_event(UNKNOWN_DOCUMENT, point="NOWHERE"), device=admin)
        assert raised.value.problems[0].field == "crossing_point"


class TestDecisions:
    def test_R15_an_unknown_document_at_a_whitelist_only_point_is_refused_with_its_reason(  # noqa: N802 - named after the rule
        self, session: Session, profile: ZoneProfile
    ) -> None:
        event, _ = record(session, profile, person_event(UNKNOWN_DOCUMENT))

        decision = event.decision
        assert decision.outcome is Outcome.REFUSE
        assert event.person_id is None
        assert decision.reasons
        assert all(set(r["text"]) == {"en", "zh-Hant", "zh-Hans"} for r in decision.reasons)

    def test_a_passport_number_held_in_two_countries_is_inspected_not_guessed_without_its_country(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        number = "E12345678"
        whitelisted, _, _ = whitelisted_person(
            session, actor, profile,
            nationality="GB", residency="foreign",
            documents=[{"kind": "passport", "number": number, "issuing_country": "GB"}],
        )  # fmt: skip
        make_person(
            session, actor, make_party(session, actor).id,
            nationality="US", residency="foreign",
            documents=[{"kind": "passport", "number": number, "issuing_country": "US"}],
        )  # fmt: skip

        # At office hours: only the ambiguity may speak, not a late-crossing risk rule.
        unclear, _ = record(
            session,
            profile,
            person_event({"kind": "passport", "number": number}, occurred_at=office_hours()),
        )
        clear, _ = record(
            session,
            profile,
            person_event(
                {"kind": "passport", "number": number, "issuing_country": "GB"},
                occurred_at=office_hours(),
            ),
        )

        assert unclear.person_id is None  # neither holder is assumed
        assert unclear.decision.outcome is Outcome.INSPECT
        assert [r["code"] for r in unclear.decision.reasons] == ["whitelist.document_ambiguous"]
        assert unclear.decision.inputs["subject"]["document_ambiguous"] is True
        assert service.replay(session, unclear.decision, profile=profile).matches
        assert clear.person_id == whitelisted.id
        assert clear.decision.outcome is not Outcome.REFUSE, clear.decision.reasons

    def test_a_whitelisted_researcher_is_not_refused_at_channel_1(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        person, entry, document = whitelisted_person(session, actor, profile)

        event, _ = record(session, profile, person_event(document))

        assert event.person_id == person.id
        assert event.decision.outcome is not Outcome.REFUSE, event.decision.reasons
        assert event.decision.inputs["subject"]["whitelist"]["entry_id"] == entry.id

    def test_the_decision_and_its_audit_event_are_written_together(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        event, _ = record(session, profile, person_event(document))

        audit = session.scalars(
            select(AuditEvent).where(
                AuditEvent.tag == "crossing:event:decide", AuditEvent.subject_id == str(event.id)
            )
        ).one()
        assert audit.data["outcome"] == event.decision.outcome.value
        assert audit.data["rule_set_version"] == event.decision.rule_set_version
        assert audit.data["reasons"] == [r["code"] for r in event.decision.reasons]

    def test_a_stored_decision_replays_to_the_same_result_and_draw(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        event, _ = record(
            session, profile, person_event(document, point="HUANGGANG"), device=HUANGGANG_GATE
        )

        replayed = service.replay(session, event.decision, profile=profile)

        assert replayed.matches, replayed.differences
        assert replayed.replayed["draw"] == event.decision.draw
        assert event.decision.draw is not None
        assert event.decision.draw["seed_hex"] == event.decision.seed

    def test_a_tampered_stored_decision_does_not_replay(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        event, _ = record(
            session, profile, person_event(document, point="HUANGGANG"), device=HUANGGANG_GATE
        )
        decision = event.decision
        decision.seed = "00" * 32  # another seed: another draw

        replayed = service.replay(session, decision, profile=profile)

        assert not replayed.matches
        assert "draw" in replayed.differences

    def test_each_event_gets_its_own_seed(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        one, _ = record(session, profile, person_event(document))
        two, _ = record(session, profile, person_event(document))
        assert one.decision.seed != two.decision.seed

    def test_an_inspect_decision_opens_an_inspection(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        rule_sets.add_rule_set(
            session,
            rule_set("watch-1", utcnow() - dt.timedelta(days=1)),
            profile=profile,
            actor=actor,
        )
        _, _, document = whitelisted_person(session, actor, profile)
        event, _ = record(
            session, profile, person_event(document, point="HUANGGANG"), device=HUANGGANG_GATE
        )

        assert event.decision.outcome is Outcome.INSPECT
        inspection = session.scalars(
            select(Inspection).where(Inspection.decision_id == event.decision.id)
        ).one()
        assert inspection.crossing_point == "HUANGGANG"

    def test_selection_counters_count_crossings_and_inspections_per_point_and_period(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        rule_sets.add_rule_set(
            session,
            rule_set("watch-2", utcnow() - dt.timedelta(days=1)),
            profile=profile,
            actor=actor,
        )
        _, _, document = whitelisted_person(session, actor, profile)
        now = utcnow()
        for _ in range(3):
            record(
                session,
                profile,
                person_event(document, point="HUANGGANG", occurred_at=now),
                device=HUANGGANG_GATE,
                now=now,
            )

        counter = session.scalars(
            select(SelectionCounter).where(SelectionCounter.crossing_point == "HUANGGANG")
        ).one()
        assert (counter.crossings, counter.inspections) == (3, 3)
        event, _ = record(
            session,
            profile,
            person_event(document, point="HUANGGANG", occurred_at=now),
            device=HUANGGANG_GATE,
            now=now,
        )
        assert event.decision.inputs["selection"]["crossings_in_period"] == 3

    def test_a_batch_counts_from_the_counters_of_its_own_points_and_periods_only(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        _, _, document = whitelisted_person(session, actor, profile)
        now = utcnow()
        yesterday = now - dt.timedelta(days=1)

        def prepared(gate: intake.Device, at: dt.datetime) -> intake.PreparedCrossing:
            assert gate.crossing_points is not None
            [point] = gate.crossing_points
            body = person_event(document, point=point, occurred_at=at)
            return intake.prepare_crossing(
                session, CrossingIn.model_validate(body), device=gate, profile=profile,
                seed_key=SEED_KEY, actor=ACTOR, now=now,
            )  # fmt: skip

        elsewhere = prepared(HUANGGANG_GATE, yesterday).facts.selection
        assert elsewhere is not None
        # Huanggang yesterday: among the rows one query for the batch's points and periods finds.
        session.add(
            SelectionCounter(
                crossing_point="HUANGGANG",
                period_start=elsewhere.period_start,
                crossings=100,
                inspections=9,
            )
        )
        session.flush()
        batch = [
            prepared(HUANGGANG_GATE, now),
            prepared(HUANGGANG_GATE, now),
            prepared(CHANNEL1_GATE, yesterday),
        ]

        results = service.write_crossings(session, batch, profile=profile)

        seen = []
        for result in results:
            assert not isinstance(result, Exception)
            assert isinstance(result[0], service.NewCrossing)
            seen.append(result[0].decision_row["inputs"]["selection"]["crossings_in_period"])
        assert seen == [0, 1, 0]
        counters = {
            (c.crossing_point, c.period_start): c.crossings
            for c in session.scalars(select(SelectionCounter))
        }
        assert counters[("HUANGGANG", elsewhere.period_start)] == 100


class TestRuleSets:
    def test_the_shipped_rule_set_is_stored_on_first_use(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        event, _ = record(session, profile, person_event(UNKNOWN_DOCUMENT))

        stored = session.scalars(select(StoredRuleSet)).all()
        assert [r.version for r in stored] == [event.decision.rule_set_version]
        tags = session.scalars(
            select(AuditEvent.tag).where(AuditEvent.tag == "crossing:rule_set:add")
        ).all()
        assert len(tags) == 1

    def test_the_rule_set_in_force_is_the_one_activated_last_at_the_event_time(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        now = utcnow()
        for version, days_ago in (("v-old", 10), ("v-current", 2)):
            rule_sets.add_rule_set(
                session,
                rule_set(version, now - dt.timedelta(days=days_ago)),
                profile=profile,
                actor=actor,
            )
        rule_sets.add_rule_set(
            session, rule_set("v-future", now + dt.timedelta(days=3)), profile=profile, actor=actor
        )
        versions = {
            days: record(
                session,
                profile,
                person_event(
                    UNKNOWN_DOCUMENT, point="HUANGGANG", occurred_at=now - dt.timedelta(days=days)
                ),
                device=HUANGGANG_GATE,
                now=now,
            )[0].decision.rule_set_version
            for days in (5, 0)
        }
        assert versions == {5: "v-old", 0: "v-current"}

    def test_adding_the_same_version_and_content_again_returns_the_first(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        document = rule_set("v-same", utcnow())
        first, created = rule_sets.add_rule_set(session, document, profile=profile, actor=actor)
        again, created_again = rule_sets.add_rule_set(
            session, document, profile=profile, actor=actor
        )
        assert (created, created_again, again.id) == (True, False, first.id)
        assert first.sha256 == load_rule_set(document, profile=profile).content_hash

    def test_the_same_version_with_other_rules_is_a_conflict(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        at = utcnow()
        rule_sets.add_rule_set(session, rule_set("v-x", at), profile=profile, actor=actor)
        with pytest.raises(Conflict) as raised:
            rule_sets.add_rule_set(
                session, rule_set("v-x", at, outcome="refuse"), profile=profile, actor=actor
            )
        assert raised.value.problems[0].rule == "rule_set.version_reused"

    def test_a_rule_set_that_fails_validation_is_refused_naming_table_row_and_column(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        document = rule_set("v-bad", utcnow(), point="NOWHERE")
        with pytest.raises(ValidationFailed) as raised:
            rule_sets.add_rule_set(session, document, profile=profile, actor=actor)
        field = raised.value.problems[0].field
        assert "point_watch" in field or "tables[0]" in field
        assert "crossing_point" in field
        assert session.scalars(select(StoredRuleSet)).all() == []


def test_decisions_keep_the_point_for_the_inspection_queue(
    session: Session, profile: ZoneProfile
) -> None:
    event, _ = record(session, profile, person_event(UNKNOWN_DOCUMENT))
    row = session.get(CrossingDecision, event.decision.id)
    assert row is not None
    assert row.crossing_point == "FBZ_CHANNEL_1"
