"""R12: tiered conformity assessment of legally inspected goods entering from Hong Kong, and
risk tables keyed on the party ("one policy per enterprise"), as pure decisions."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.support import (
    codes,
    consignment,
    crossing,
    decided,
    goods,
    hengqin,
    hetao,
    party,
    reason_for,
    reason_text,
    rules_of,
    vehicle,
    without_random_selection,
)
from hetao.engine.decision import Decision
from hetao.engine.facts import (
    CrossingFacts,
    GoodsLine,
    Outcome,
    facts_from_json,
    facts_to_json,
)
from hetao.engine.rules import load_rule_set
from hetao.errors import ValidationFailed
from hetao.profiles import ZoneProfile
from profiles.test_loader import assert_refused, refusal, write_variant

#: A complete equipment set (HS 8486, machines for making semiconductors), CNY 1.2 million:
#: the shipped "high-value" table scores it 45 (yellow lane).
EQUIPMENT = goods(hs_code="848620", goods_kind="equipment", value_cny=Decimal("1200000.00"))
NAMED_PARTY = "91440300MA5G000121"
OTHER_PARTY = "91440300MA5G00020U"

R12_CODES = ("R12.document_check", "R12.sampling", "R12.full_inspection")


def inspected(line: GoodsLine | None = None, **changes: Any) -> GoodsLine:
    """A legally inspected goods line (CNY 50,000 of instruments unless told otherwise)."""
    return dataclasses.replace(line or goods(), legally_inspected=True, **changes)


def r12(decision: Decision) -> list[str]:
    return [code for code in codes(decision) if code.startswith("R12.")]


def hengqin_rules_free() -> ZoneProfile:
    return without_random_selection(hengqin())


class TestTiersByRiskLane:
    def test_R12_a_low_risk_line_is_released_on_a_document_check(self) -> None:  # noqa: N802
        decision = decided(crossing(consignment(goods(), inspected(line_no=2))))
        assert decision.lane == "green"
        assert decision.outcome is Outcome.RELEASE
        checked = reason_for(decision, "R12.document_check")
        assert (checked.rule, checked.subject, checked.outcome) == ("R12", "line[2]", "release")
        assert checked.text["en"] == (
            "Legally inspected goods on line 2: released on a document check (Green lane, R12)"
        )
        assert checked.text["zh-Hans"] == "第 2 项法定检验货物:绿色通道,凭单证审核放行(R12)"
        assert r12(decision) == ["R12.document_check"]  # line 1 is not legally inspected

    def test_R12_a_yellow_lane_line_is_sampled(self) -> None:  # noqa: N802
        decision = decided(crossing(consignment(inspected(EQUIPMENT))))
        assert (decision.lane, decision.risk_score) == ("yellow", 45)
        assert decision.outcome is Outcome.INSPECT
        assert r12(decision) == ["R12.sampling"]
        assert reason_for(decision, "R12.sampling").text["zh-Hant"] == (
            "第 1 項法定檢驗貨物:黃色通道,抽樣檢驗(R12)"
        )

    def test_R12_a_red_lane_line_is_inspected_in_full(self) -> None:  # noqa: N802
        line = inspected(EQUIPMENT, value_cny=Decimal("6000000.00"))
        decision = decided(crossing(consignment(line)))
        assert decision.lane == "red"
        assert decision.outcome is Outcome.INSPECT
        assert r12(decision) == ["R12.full_inspection"]

    def test_R12_applies_to_consignments_in_a_vehicle(self) -> None:  # noqa: N802
        subject = vehicle(consignments=(consignment(goods(), inspected(EQUIPMENT, line_no=2)),))
        decision = decided(crossing(subject))
        sampled = reason_for(decision, "R12.sampling")
        assert sampled.subject == "consignment[1].line[2]"
        assert decision.outcome is Outcome.INSPECT

    @pytest.mark.parametrize(
        ("line", "direction"),
        [("first", "outbound"), ("second", "inbound"), ("second", "outbound")],
    )
    def test_R12_only_goods_entering_through_the_first_line_are_tiered(  # noqa: N802
        self, line: str, direction: str
    ) -> None:
        point = "FBZ_CHANNEL_1" if line == "first" else "SL_GOODS"
        facts = crossing(consignment(inspected(EQUIPMENT)), point=point, line=line)
        decision = decided(dataclasses.replace(facts, direction=direction))
        assert r12(decision) == []

    def test_R12_a_refused_consignment_gets_no_tier(self) -> None:  # noqa: N802
        facts = crossing(consignment(inspected(), party=party(status="deregistered")))
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        assert r12(decision) == []

    def test_R12_a_lane_the_profile_does_not_list_means_full_inspection(self) -> None:  # noqa: N802
        profile = without_random_selection(hetao())
        goods_section = profile.goods.model_copy(update={"conformity_assessment": ()})
        bare = profile.model_copy(update={"goods": goods_section})
        decision = decided(crossing(consignment(inspected())), profile=bare)
        assert decision.lane == "green"
        assert r12(decision) == ["R12.full_inspection"]
        assert decision.outcome is Outcome.INSPECT


class TestHengqin:
    def test_R12_hengqin_tiers_goods_entering_through_its_first_line(self) -> None:  # noqa: N802
        profile = hengqin_rules_free()
        for line, expected, outcome in (
            (inspected(), "R12.document_check", Outcome.RELEASE),
            (inspected(EQUIPMENT), "R12.sampling", Outcome.INSPECT),
        ):
            facts = crossing(consignment(line), point="HENGQIN_PORT")
            decision = decided(facts, profile=profile)
            assert (r12(decision), decision.outcome) == ([expected], outcome)

    def test_R12_the_tiers_are_provisional_in_both_profiles(self) -> None:  # noqa: N802
        for profile in (hetao(), hengqin()):
            assert profile.is_provisional("goods.conformity_assessment")
            tiers = {row.lane: row.tier.value for row in profile.goods.conformity_assessment}
            assert tiers == {
                "green": "document_check",
                "yellow": "sampling",
                "red": "full_inspection",
            }


class TestProfileRefusals:
    def test_R12_a_tier_for_a_lane_selection_does_not_have_is_refused(  # noqa: N802
        self, tmp_path: Path
    ) -> None:
        path = write_variant(
            tmp_path, 'lane = "yellow"\ntier = "sampling"', 'lane = "amber"\ntier = "sampling"'
        )
        assert_refused(path, "goods.conformity_assessment[1].lane", "unknown_lane")

    def test_R12_two_tiers_for_one_lane_are_refused(self, tmp_path: Path) -> None:  # noqa: N802
        path = write_variant(
            tmp_path, 'lane = "red"\ntier = "full_inspection"', 'lane = "green"\ntier = "sampling"'
        )
        assert_refused(path, "goods.conformity_assessment[2].lane", "must_be_unique")

    def test_R12_an_unknown_tier_is_refused(self, tmp_path: Path) -> None:  # noqa: N802
        path = write_variant(tmp_path, 'tier = "sampling"', 'tier = "x_ray"')
        fields = [problem.field for problem in refusal(path).problems]
        assert "goods.conformity_assessment[1].tier" in fields


#: Illustrative "one policy per enterprise": the named party's complete equipment sets get a
#: document check; anyone else's equipment worth CNY 1 million or more is inspected in full.
ONE_POLICY: dict[str, Any] = {
    "name": "one-policy-per-enterprise",
    "description": "Illustrative: a named enterprise's complete equipment sets",
    "hit_policy": "first",
    "inputs": ["party_code", "hs_heading", "value_cny"],
    "rows": [
        {
            "when": {"party_code": NAMED_PARTY, "hs_heading": ["8486", "8479"]},
            "outcome": "release",
            "score": 5,
            "reason": reason_text("risk.one_policy_equipment"),
        },
        {
            "when": {"value_cny": "[1000000..)"},
            "outcome": "inspect",
            "score": 80,
            "reason": reason_text("risk.equipment_high_value"),
        },
    ],
}


class TestOnePolicyPerEnterprise:
    def facts(self, code: str | None) -> CrossingFacts:
        return crossing(consignment(inspected(EQUIPMENT), party=party(code=code)))

    def test_R12_a_named_partys_equipment_gets_a_document_check(self) -> None:  # noqa: N802
        rules = rules_of(ONE_POLICY)
        named = decided(self.facts(NAMED_PARTY), rules=rules)
        assert (named.outcome, named.lane) == (Outcome.RELEASE, "green")
        assert r12(named) == ["R12.document_check"]
        assert reason_for(named, "risk.one_policy_equipment").rule == (
            "risk:one-policy-per-enterprise:1"
        )
        for code in (OTHER_PARTY, None):  # another party, or facts stored before codes
            other = decided(self.facts(code), rules=rules)
            assert (other.outcome, other.lane) == (Outcome.INSPECT, "red")
            assert r12(other) == ["R12.full_inspection"]

    def test_R12_a_party_code_is_checked_like_every_column(self) -> None:  # noqa: N802
        for bad, rule in (
            ("91440300MA5G000122", "GB32100-2015.check_character"),
            ("1234567", "HKBR.format"),
            (" 12345678", "party_code_not_normalised"),
            (12345678, "a_string_required"),
        ):
            table = {**ONE_POLICY, "rows": [{**ONE_POLICY["rows"][0], "when": {"party_code": bad}}]}
            with pytest.raises(ValidationFailed) as caught:
                rules_of(table)
            problems = [(p.field, p.rule) for p in caught.value.problems]
            assert problems == [("tables[one-policy-per-enterprise].rows[1].party_code", rule)], bad

    def test_R12_a_hong_kong_registration_number_is_a_party_code(self) -> None:  # noqa: N802
        table = {
            **ONE_POLICY,
            "rows": [{**ONE_POLICY["rows"][0], "when": {"party_code": "12345678"}}],
        }
        rules = load_rule_set(
            {
                "version": "test-hk",
                "activates_at": "2026-11-01T00:00:00+08:00",
                "description": "a Hong Kong party's policy",
                "tables": [table],
            }
        )
        decision = decided(self.facts("12345678"), rules=rules)
        assert "risk.one_policy_equipment" in codes(decision)


class TestReplay:
    def test_R12_facts_stored_before_the_flag_replay_as_decided(self) -> None:  # noqa: N802
        facts = crossing(consignment(EQUIPMENT))
        stored = facts_to_json(facts)
        line = stored["subject"]["lines"][0]
        party_json = stored["subject"]["party"]
        assert "legally_inspected" not in line
        assert "code" not in party_json
        replayed = facts_from_json(stored)
        assert replayed == facts
        assert r12(decided(replayed)) == []

    def test_R12_the_flag_and_the_party_code_round_trip(self) -> None:  # noqa: N802
        facts = crossing(consignment(inspected(EQUIPMENT), party=party(code=NAMED_PARTY)))
        stored = facts_to_json(facts)
        assert stored["subject"]["lines"][0]["legally_inspected"] is True
        assert stored["subject"]["party"]["code"] == NAMED_PARTY
        assert facts_from_json(stored) == facts
