"""Regime rules from the profile: R13, R11, R41, R15 and the second line's goods-not-people."""

from __future__ import annotations

from typing import Any

from engine.support import (
    NOT_LISTED,
    codes,
    consignment,
    crossing,
    decided,
    goods,
    hengqin,
    hetao,
    party,
    person,
    reason_for,
    standing,
    vehicle,
    without_random_selection,
)
from hetao.engine.facts import ConsignmentFacts, GoodsLine, Outcome


def carried(*lines: GoodsLine, **changes: Any) -> ConsignmentFacts:
    """A consignment hand-carried by a designated, whitelisted researcher."""
    return consignment(
        *lines,
        hand_carried=True,
        carrier=person(designated_carrier=True),
        **changes,
    )


class TestR13HandCarry:
    def test_R13_research_goods_may_be_hand_carried_through_channel_1(self) -> None:  # noqa: N802
        decision = decided(crossing(carried(goods())))
        assert decision.outcome is Outcome.RELEASE

    def test_R13_bonded_goods_may_not_be_hand_carried_through_channel_1(self) -> None:  # noqa: N802
        facts = crossing(carried(goods(), goods(line_no=2, bonded=True)))
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        refused = reason_for(decision, "R13.bonded_hand_carry")
        assert (refused.rule, refused.subject) == ("R13", "line[2]")
        assert refused.text["en"] == (
            "Bonded goods may not be hand-carried through Channel No. 1, Futian Bonded Zone (R13)"
        )
        assert refused.text["zh-Hant"] == "保稅貨物不得經福田保稅區一號通道隨身攜帶(R13)"
        assert refused.text["zh-Hans"] == "保税货物不得经福田保税区一号通道随身携带(R13)"

    def test_R13_bonded_hand_carry_follows_the_profile_flag(self) -> None:  # noqa: N802
        lenient = hetao().model_copy(
            update={"goods": hetao().goods.model_copy(update={"bonded_hand_carry_allowed": True})}
        )
        facts = crossing(carried(goods(bonded=True)))
        decision = decided(facts, profile=without_random_selection(lenient))
        assert "R13.bonded_hand_carry" not in codes(decision)

    def test_R13_goods_may_not_be_hand_carried_where_the_point_does_not_allow_it(self) -> None:  # noqa: N802
        facts = crossing(carried(goods()), point="HUANGGANG")
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        assert "R13.hand_carry_not_allowed" in codes(decision)

    def test_R13_only_a_designated_person_may_hand_carry(self) -> None:  # noqa: N802
        facts = crossing(
            consignment(goods(), hand_carried=True, carrier=person(designated_carrier=False))
        )
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, "R13.carrier_not_designated").subject == "carrier"

    def test_R13_the_carrier_must_be_whitelisted_at_channel_1(self) -> None:  # noqa: N802
        carrier = person(designated_carrier=True, whitelist=NOT_LISTED)
        facts = crossing(consignment(goods(), hand_carried=True, carrier=carrier))
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, "whitelist.not_listed").subject == "carrier"

    def test_R13_the_party_needs_the_hand_carry_exemption(self) -> None:  # noqa: N802
        facts = crossing(carried(goods(), party=party(whitelist=standing(exemptions=()))))
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        assert "R13.exemption_missing" in codes(decision)


class TestR11SpecialArticles:
    def test_R11_special_articles_need_their_approval(self) -> None:  # noqa: N802
        facts = crossing(consignment(goods(), goods(line_no=3, special_article=True)))
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        refused = reason_for(decision, "R11.approval_missing")
        assert (refused.rule, refused.subject) == ("R11", "line[3]")
        assert refused.text["zh-Hans"] == "第 3 项特殊物品未有检疫审批(R11)"

    def test_R11_a_special_article_with_its_approval_passes(self) -> None:  # noqa: N802
        line = goods(special_article=True, special_article_approval="SZ-QA-2026-0042")
        decision = decided(crossing(consignment(line)))
        assert "R11.approval_missing" not in codes(decision)
        assert decision.outcome is Outcome.RELEASE


class TestR41HumanGeneticResources:
    def test_R41_hgr_material_needs_its_approval(self) -> None:  # noqa: N802
        facts = crossing(consignment(goods(hgr=True)), direction="outbound")
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        refused = reason_for(decision, "R41.approval_missing")
        assert refused.rule == "R41"
        assert refused.text["zh-Hant"] == "第 1 項人類遺傳資源材料未獲批准(R41)"

    def test_R41_hgr_material_with_its_approval_passes(self) -> None:  # noqa: N802
        facts = crossing(consignment(goods(hgr=True, hgr_approval="MOST-HGR-2026-7")))
        assert "R41.approval_missing" not in codes(decided(facts))


class TestR15Vehicles:
    def test_R15_a_vehicle_without_a_permit_for_the_channel_is_refused(self) -> None:  # noqa: N802
        decision = decided(crossing(vehicle(permit_valid_here=False)))
        assert decision.outcome is Outcome.REFUSE
        assert reason_for(decision, "R15.permit_invalid").text["en"] == (
            "Vehicle AB1234 has no valid permit for Channel No. 1, Futian Bonded Zone (R15)"
        )

    def test_R15_a_permitted_whitelisted_car_with_a_whitelisted_driver_is_released(  # noqa: N802
        self,
    ) -> None:
        assert decided(crossing(vehicle())).outcome is Outcome.RELEASE


class TestSecondLine:
    def test_second_line_controls_goods_not_people_where_the_profile_says_so(self) -> None:
        # Hengqin: a traveller not on any whitelist walks through the second line unchecked.
        facts = crossing(
            person(person_id=None, whitelist=NOT_LISTED),
            point="SL_GOODS",
            line="second",
            direction="outbound",
        )
        decision = decided(facts, profile=hengqin())
        assert decision.outcome is Outcome.RELEASE
        assert codes(decision) == ["second_line.people_not_controlled"]
        assert decision.draw is None
        assert decision.reasons[0].text["zh-Hans"] == "二线管货不管人:人员通行无须查验"

    def test_the_second_line_still_controls_goods_in_hengqin(self) -> None:
        facts = crossing(
            consignment(goods(special_article=True)),
            point="SL_GOODS",
            line="second",
            direction="outbound",
        )
        decision = decided(facts, profile=without_random_selection(hengqin()))
        assert decision.outcome is Outcome.REFUSE
        assert "R11.approval_missing" in codes(decision)

    def test_hengqin_does_not_check_the_people_in_a_vehicle_at_the_second_line(self) -> None:
        facts = crossing(
            vehicle(driver=person(whitelist=standing(status="suspended"))),
            point="SL_GOODS",
            line="second",
            direction="outbound",
        )
        decision = decided(facts, profile=without_random_selection(hengqin()))
        assert "whitelist.suspended" not in codes(decision)
        assert reason_for(decision, "second_line.people_not_controlled").subject == "people"

    def test_hetao_controls_people_at_the_second_line(self) -> None:
        facts = crossing(
            person(whitelist=standing(status="suspended"), credential=None),
            point="SL_PASSENGER",
            line="second",
        )
        decision = decided(facts)
        assert "second_line.people_not_controlled" not in codes(decision)
