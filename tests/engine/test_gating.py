"""Whitelist gating and the profile's crossing points: refused with the reason that applies."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from engine.support import (
    NOON,
    NOT_LISTED,
    VALID_FROM,
    VALID_UNTIL,
    codes,
    consignment,
    credential,
    crossing,
    decided,
    goods,
    hetao,
    party,
    person,
    reason_for,
    standing,
    vehicle,
    without_random_selection,
)
from hetao.engine.facts import Outcome
from hetao.profiles import Direction, ZoneProfile


class TestWhitelistStatus:
    def test_a_whitelisted_researcher_is_released_at_channel_1(self) -> None:
        decision = decided(crossing(person()))
        assert decision.outcome is Outcome.RELEASE
        assert codes(decision) == ["decision.clear"]

    def test_a_suspended_party_is_refused_with_that_reason(self) -> None:
        facts = crossing(
            consignment(party=party(whitelist=standing(entry_id=5, status="suspended")))
        )
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        suspended = reason_for(decision, "whitelist.suspended")
        assert suspended.rule == "whitelist"
        assert suspended.subject == "party"
        assert suspended.text["en"] == "Whitelist entry 5 is suspended"
        assert suspended.text["zh-Hant"] == "白名單登記 5 已被暫停"
        assert suspended.text["zh-Hans"] == "白名单登记 5 已被暂停"

    def test_a_suspended_person_is_refused_at_a_whitelist_only_point(self) -> None:
        decision = decided(crossing(person(whitelist=standing(status="suspended"))))
        assert decision.outcome is Outcome.REFUSE
        assert "whitelist.suspended" in codes(decision)

    def test_a_revoked_entry_is_refused(self) -> None:
        decision = decided(crossing(person(whitelist=standing(status="revoked"))))
        assert decision.outcome is Outcome.REFUSE
        assert "whitelist.revoked" in codes(decision)

    def test_an_entry_the_registry_marked_expired_is_refused(self) -> None:
        decision = decided(crossing(person(whitelist=standing(status="expired"))))
        assert decision.outcome is Outcome.REFUSE
        assert (
            reason_for(decision, "whitelist.expired")
            .text["en"]
            .endswith(f"(valid until {VALID_UNTIL.isoformat()})")
        )

    def test_an_active_entry_past_its_last_day_at_the_zone_is_refused_as_expired(self) -> None:
        # 2027-12-31 16:30 UTC is already 2028-01-01 00:30 in Shenzhen.
        at = dt.datetime(2027, 12, 31, 16, 30, tzinfo=dt.UTC)
        decision = decided(crossing(person(), at=at))
        assert decision.outcome is Outcome.REFUSE
        assert "whitelist.expired" in codes(decision)

    def test_the_last_day_of_validity_at_the_zone_still_counts(self) -> None:
        at = dt.datetime(2027, 12, 31, 15, 30, tzinfo=dt.UTC)  # 23:30 on 31 December locally
        assert decided(crossing(person(), at=at)).outcome is Outcome.RELEASE

    def test_an_entry_before_its_first_day_is_refused(self) -> None:
        at = dt.datetime.combine(VALID_FROM, dt.time(), dt.UTC) - dt.timedelta(hours=9)
        decision = decided(crossing(person(), at=at))
        assert decision.outcome is Outcome.REFUSE
        assert "whitelist.not_yet_valid" in codes(decision)


class TestWhitelistScope:
    def test_a_party_out_of_scope_for_goods_is_refused(self) -> None:
        facts = crossing(consignment(party=party(whitelist=standing(flows=("people",)))))
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        out_of_scope = reason_for(decision, "whitelist.flow_out_of_scope")
        assert out_of_scope.text["en"] == "Whitelist entry 7 does not cover goods"
        assert out_of_scope.text["zh-Hans"] == "白名单登记 7 的范围不包括货物"

    def test_a_person_out_of_scope_for_the_line_is_refused(self) -> None:
        decision = decided(crossing(person(whitelist=standing(lines=("second",)))))
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, "whitelist.line_out_of_scope").text["en"] == (
            "Whitelist entry 7 does not cover crossings of the first line"
        )

    def test_R6_goods_of_a_kind_the_party_is_locked_out_of_are_refused(self) -> None:  # noqa: N802
        locked = party(whitelist=standing(locked_out_goods_kinds=("reagents",)))
        facts = crossing(
            consignment(goods(), goods(line_no=2, goods_kind="reagents"), party=locked)
        )
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        lockout = reason_for(decision, "whitelist.locked_out")
        assert (lockout.rule, lockout.subject) == ("R6", "line[2]")

    def test_R6_other_goods_kinds_of_a_locked_out_party_pass(self) -> None:  # noqa: N802
        locked = party(whitelist=standing(locked_out_goods_kinds=("reagents",)))
        decision = decided(crossing(consignment(goods(goods_kind="instruments"), party=locked)))
        assert "whitelist.locked_out" not in codes(decision)
        assert decision.outcome is Outcome.RELEASE


class TestWhitelistOnlyPoints:
    def test_a_person_not_on_the_whitelist_is_refused_at_a_whitelist_only_point(self) -> None:
        decision = decided(crossing(person(person_id=None, whitelist=NOT_LISTED)))
        assert decision.outcome is Outcome.REFUSE
        refused = reason_for(decision, "whitelist.not_listed")
        assert "Channel No. 1, Futian Bonded Zone" in refused.text["en"]
        assert "福田保稅區一號通道" in refused.text["zh-Hant"]

    @pytest.mark.parametrize("point", ["FBZ_CHANNEL_1", "HUANGGANG"])
    def test_a_document_held_by_people_of_two_countries_is_inspected_wherever_it_is_read(
        self, point: str
    ) -> None:
        unclear = person(person_id=None, whitelist=NOT_LISTED, document_ambiguous=True)
        decision = decided(crossing(unclear, point=point))
        assert decision.outcome is Outcome.INSPECT  # neither refused nor released on a guess
        assert codes(decision) == ["whitelist.document_ambiguous"]
        assert "issued" in reason_for(decision, "whitelist.document_ambiguous").text["en"]

    def test_a_person_not_on_the_whitelist_crosses_a_public_port(self) -> None:
        facts = crossing(person(person_id=None, whitelist=NOT_LISTED), point="HUANGGANG")
        assert decided(facts).outcome is Outcome.RELEASE

    def test_a_suspended_person_crosses_a_public_port_as_an_ordinary_traveller(self) -> None:
        facts = crossing(person(whitelist=standing(status="suspended")), point="HUANGGANG")
        assert decided(facts).outcome is Outcome.RELEASE

    def test_a_suspended_person_presenting_a_zone_credential_is_refused_anywhere(self) -> None:
        subject = person(whitelist=standing(status="suspended"), credential=credential("valid"))
        decision = decided(crossing(subject, point="HUANGGANG"))
        assert decision.outcome is Outcome.REFUSE
        assert "whitelist.suspended" in codes(decision)

    def test_goods_of_a_party_not_on_the_whitelist_are_inspected_at_a_public_port(self) -> None:
        facts = crossing(consignment(party=party(whitelist=NOT_LISTED)), point="HUANGGANG")
        decision = decided(facts)
        assert decision.outcome is Outcome.INSPECT
        assert "whitelist.party_not_listed" in codes(decision)

    def test_a_vehicle_with_a_passenger_not_on_the_whitelist_is_refused(self) -> None:
        facts = crossing(vehicle(passengers=(person(), person(whitelist=NOT_LISTED))))
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, "whitelist.not_listed").subject == "passenger[2]"


class TestCredentials:
    @pytest.mark.parametrize(
        ("status", "code"),
        [
            ("revoked", "credential.revoked"),
            ("expired", "credential.expired"),
            ("invalid_signature", "credential.invalid_signature"),
            ("unknown_key", "credential.unknown_key"),
        ],
    )
    def test_a_credential_that_fails_verification_is_refused(self, status: str, code: str) -> None:
        decision = decided(crossing(person(credential=credential(status))))
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, code).text["en"].startswith("Zone credential zc-0001")

    def test_a_valid_credential_of_a_whitelisted_person_is_released(self) -> None:
        decision = decided(crossing(person(credential=credential("valid"))))
        assert decision.outcome is Outcome.RELEASE


class TestParty:
    @pytest.mark.parametrize("status", ["suspended", "deregistered", "bankrupt", "registered"])
    def test_goods_of_a_party_that_is_not_active_are_refused(self, status: str) -> None:
        decision = decided(crossing(consignment(party=party(status=status))))
        assert decision.outcome is Outcome.REFUSE
        assert "party.not_active" in codes(decision)

    def test_goods_without_a_declaration_are_inspected(self) -> None:
        decision = decided(crossing(consignment(declaration_id=None, declaration_status=None)))
        assert decision.outcome is Outcome.INSPECT
        assert "declaration.missing" in codes(decision)


class TestCrossingPoints:
    def test_a_crossing_point_the_profile_does_not_know_is_refused(self) -> None:
        decision = decided(crossing(person(), point="NOWHERE"))
        assert decision.outcome is Outcome.REFUSE
        assert "point.unknown" in codes(decision)

    def test_goods_at_a_passenger_port_are_refused(self) -> None:
        decision = decided(crossing(consignment(), point="FUTIAN"))
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, "point.flow_not_allowed").text["en"] == (
            "Futian Port does not clear goods"
        )

    def test_a_crossing_reported_on_the_wrong_line_for_its_point_is_refused(self) -> None:
        decision = decided(crossing(person(), point="FBZ_CHANNEL_1", line="second"))
        assert decision.outcome is Outcome.REFUSE
        assert "point.line_mismatch" in codes(decision)

    def test_a_direction_the_point_does_not_open_is_refused(
        self, profile_one_way: ZoneProfile
    ) -> None:
        facts = crossing(person(), point="FUTIAN", direction="outbound")
        decision = decided(facts, profile=profile_one_way)
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, "point.direction_not_allowed").text["zh-Hans"] == (
            "福田口岸不开放出区通行"
        )

    def test_a_point_that_has_not_opened_yet_is_refused(self, profile_one_way: ZoneProfile) -> None:
        facts = crossing(person(), point="HUANGGANG", at=NOON)
        decision = decided(facts, profile=profile_one_way)
        assert decision.outcome is Outcome.REFUSE
        assert "point.not_open" in codes(decision)


@pytest.fixture
def profile_one_way() -> ZoneProfile:
    """Hetao with Futian inbound only and Huanggang opening in 2027."""
    profile = without_random_selection(hetao())
    changes: dict[str, dict[str, Any]] = {
        "FUTIAN": {"directions": (Direction.INBOUND,)},
        "HUANGGANG": {"opens_on": dt.date(2027, 1, 1)},
    }
    points = [p.model_copy(update=changes.get(p.code, {})) for p in profile.crossing_points]
    return profile.model_copy(update={"crossing_points": tuple(points)})


def test_every_reason_has_its_text_in_three_languages() -> None:
    facts = crossing(
        consignment(
            goods(special_article=True),
            party=dataclasses.replace(party(), status="suspended"),
        )
    )
    for reason in decided(facts).reasons:
        assert set(reason.text) == {"en", "zh-Hant", "zh-Hans"}
        assert all(text.strip() for text in reason.text.values())
