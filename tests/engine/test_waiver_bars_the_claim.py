"""R6 (R19 in Hengqin): a waiver's lockout bars a new exemption claim, never the goods."""

from __future__ import annotations

import pytest

from engine.support import (
    codes,
    consignment,
    crossing,
    decided,
    goods,
    hengqin,
    party,
    reason_for,
    standing,
    without_random_selection,
)
from hetao.engine.decision import Decision
from hetao.engine.facts import Outcome, PartyFacts, facts_from_json, facts_to_json


def locked_out_of(kind: str) -> PartyFacts:
    return party(whitelist=standing(entry_id=21, locked_out_goods_kinds=(kind,)))


class TestR6TheLockoutBarsTheClaim:
    @pytest.mark.parametrize("status", ["duty_paid", "domestic"])
    def test_R6_duty_paid_goods_of_a_waived_kind_pass(self, status: str) -> None:  # noqa: N802
        line = goods(goods_kind="reagents", customs_status=status)
        facts = crossing(consignment(line, party=locked_out_of("reagents")))
        decision = decided(facts)
        assert "whitelist.locked_out" not in codes(decision)
        assert decision.outcome is Outcome.RELEASE

    def test_R6_an_exempt_claim_for_a_waived_kind_is_refused(self) -> None:  # noqa: N802
        paid = goods(goods_kind="reagents", customs_status="duty_paid")
        claimed = goods(line_no=2, goods_kind="reagents", customs_status="duty_free_research")
        facts = crossing(consignment(paid, claimed, party=locked_out_of("reagents")))
        decision = decided(facts)
        assert decision.outcome is Outcome.REFUSE
        lockout = reason_for(decision, "whitelist.locked_out")
        assert (lockout.rule, lockout.subject) == ("R6", "line[2]")
        assert codes(decision).count("whitelist.locked_out") == 1

    def test_R6_in_hengqin_duty_paid_equipment_passes_and_a_claim_is_refused(self) -> None:  # noqa: N802
        profile = without_random_selection(hengqin())

        def decide_line(status: str) -> Decision:
            line = goods(goods_kind="equipment", customs_status=status)
            facts = crossing(
                consignment(line, party=locked_out_of("equipment")), point="HENGQIN_PORT"
            )
            return decided(facts, profile=profile)

        assert "whitelist.locked_out" not in codes(decide_line("duty_paid"))
        assert "whitelist.locked_out" in codes(decide_line("duty_free_research"))

    def test_R6_a_decision_stored_before_lines_carried_their_status_replays_as_decided(  # noqa: N802
        self,
    ) -> None:
        # Lines stored without a status were decided as claims.
        stored = facts_to_json(crossing(consignment(party=locked_out_of("instruments"))))
        assert "customs_status" not in stored["subject"]["lines"][0]
        facts = facts_from_json(stored)
        assert facts_to_json(facts) == stored
        assert "whitelist.locked_out" in codes(decided(facts))

    def test_R6_a_line_status_is_kept_in_the_stored_facts(self) -> None:  # noqa: N802
        line = goods(customs_status="duty_paid")
        document = facts_to_json(crossing(consignment(line)))
        assert document["subject"]["lines"][0]["customs_status"] == "duty_paid"
        assert facts_to_json(facts_from_json(document)) == document
