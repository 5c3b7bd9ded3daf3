"""The gate checks a consignment against its declaration: cleared, of the crossing's line,
direction and point, presented for its own party (issue 15, point 5)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.support import (
    codes,
    consignment,
    crossing,
    decided,
    party,
    person,
    reason_for,
    vehicle,
)
from hetao.engine.decision import decision_from_json, decision_to_json
from hetao.engine.facts import (
    ConsignmentFacts,
    CrossingFacts,
    Outcome,
    facts_from_json,
    facts_to_json,
)

DECLARATION_CODES = (
    "declaration.not_cleared",
    "declaration.kind_mismatch",
    "declaration.point_mismatch",
    "declaration.party_mismatch",
)


def declared(**changes: Any) -> ConsignmentFacts:
    """Goods under a cleared first-line entry lodged for Huanggang, as the gate gathers them."""
    values: dict[str, Any] = {
        "declaration_status": "cleared",
        "declaration_kind": "first_line_entry",
        "declaration_point": "HUANGGANG",
    }
    values.update(changes)
    return consignment(**values)


def at_huanggang(subject: Any, direction: str = "inbound") -> CrossingFacts:
    return crossing(subject, point="HUANGGANG", direction=direction)


def declaration_codes(facts: CrossingFacts) -> list[str]:
    return [code for code in codes(decided(facts)) if code in DECLARATION_CODES]


def test_a_cleared_declaration_of_the_crossings_line_direction_and_point_passes() -> None:
    assert declaration_codes(at_huanggang(declared())) == []


@pytest.mark.parametrize(
    ("status", "named"),
    [("submitted", "lodged"), ("accepted", "accepted, waiting for clearance"),
     ("refused", "refused"), ("withdrawn", "withdrawn")],
)  # fmt: skip
def test_goods_under_a_declaration_that_is_not_cleared_are_refused_naming_its_status(
    status: str, named: str
) -> None:
    decision = decided(at_huanggang(declared(declaration_status=status)))

    assert decision.outcome is Outcome.REFUSE
    refused = reason_for(decision, "declaration.not_cleared")
    assert refused.outcome is Outcome.REFUSE
    assert refused.text["en"].startswith(f"Declaration 51 is {named}, not cleared")
    assert set(refused.text) == {"en", "zh-Hant", "zh-Hans"}


def test_a_first_line_entry_at_a_second_line_exit_is_refused_naming_the_line_and_direction() -> (
    None
):
    facts = crossing(
        declared(declaration_point="SL_GOODS"), point="SL_GOODS", line="second",
        direction="outbound",
    )  # fmt: skip
    decision = decided(facts)

    assert decision.outcome is Outcome.REFUSE
    mismatch = reason_for(decision, "declaration.kind_mismatch")
    assert mismatch.text["en"] == (
        "Declaration 51 is a first-line entry, for inbound crossings of the first line,"
        " not for outbound crossings of the second line"
    )
    assert mismatch.text["zh-Hans"] == "申报 51 为一线进境申报,适用于经一线入区,并非经二线出区"


def test_a_first_line_exit_presented_inbound_is_a_kind_mismatch() -> None:
    facts = at_huanggang(declared(declaration_kind="first_line_exit"), direction="inbound")
    assert declaration_codes(facts) == ["declaration.kind_mismatch"]
    assert (
        declaration_codes(at_huanggang(declared(declaration_kind="first_line_exit"), "outbound"))
        == []
    )


@pytest.mark.parametrize(
    "kind",
    ["in_zone_transfer", "research_consumption", "transformation", "destruction",
     "stocktake_adjustment"],
)  # fmt: skip
def test_a_declaration_of_a_movement_inside_the_zone_crosses_no_line(kind: str) -> None:
    decision = decided(at_huanggang(declared(declaration_kind=kind, declaration_point=None)))

    assert decision.outcome is Outcome.REFUSE
    text = reason_for(decision, "declaration.kind_mismatch").text["en"]
    assert "for movements inside the zone, which cross no line" in text


@pytest.mark.parametrize(
    ("kind", "line", "direction", "point"),
    [("first_line_entry", "first", "inbound", "HUANGGANG"),
     ("first_line_exit", "first", "outbound", "HUANGGANG"),
     ("second_line_exit", "second", "outbound", "SL_GOODS"),
     ("second_line_entry", "second", "inbound", "SL_GOODS")],
)  # fmt: skip
def test_each_crossing_kind_fits_its_own_line_and_direction_only(
    kind: str, line: str, direction: str, point: str
) -> None:
    for other_line, other_point in (("first", "HUANGGANG"), ("second", "SL_GOODS")):
        for other_direction in ("inbound", "outbound"):
            facts = crossing(
                declared(declaration_kind=kind, declaration_point=other_point),
                point=other_point, line=other_line, direction=other_direction,
            )  # fmt: skip
            fits = (other_line, other_direction) == (line, direction)
            assert declaration_codes(facts) == ([] if fits else ["declaration.kind_mismatch"])


def test_goods_declared_for_one_point_are_refused_at_another_point_of_the_same_line() -> None:
    facts = crossing(declared(declaration_point="HUANGGANG"), point="FBZ_CHANNEL_1")
    decision = decided(facts)

    assert decision.outcome is Outcome.REFUSE
    assert reason_for(decision, "declaration.point_mismatch").text["en"] == (
        "Declaration 51 names Huanggang Port as its crossing point, not"
        " Channel No. 1, Futian Bonded Zone"
    )


def test_a_carrier_not_affiliated_with_the_declaring_party_is_refused() -> None:
    goods = declared(carrier=person(), carrier_affiliated=False, party=party(party_id=11))
    decision = decided(at_huanggang(goods))

    assert decision.outcome is Outcome.REFUSE
    mismatch = reason_for(decision, "declaration.party_mismatch")
    assert mismatch.subject == "carrier"
    assert mismatch.text["en"].startswith("Declaration 51 is lodged by party 11;")


def test_a_carrier_affiliated_with_the_declaring_party_presents_its_goods() -> None:
    goods = declared(carrier=person(), carrier_affiliated=True)
    assert declaration_codes(at_huanggang(goods)) == []


def test_each_consignment_of_a_vehicle_is_checked_against_its_own_declaration() -> None:
    car = vehicle(
        permit_valid_here=None,
        consignments=(declared(), declared(declaration_status="accepted")),
    )
    decision = decided(at_huanggang(car))

    assert decision.outcome is Outcome.REFUSE
    assert reason_for(decision, "declaration.not_cleared").subject == "consignment[2]"
    assert [r.subject for r in decision.reasons if r.code in DECLARATION_CODES] == [
        "consignment[2]"
    ]


def test_a_decision_stored_before_the_gate_checked_declarations_replays_unchecked() -> None:
    # Stored facts lack declaration_kind: the goods were decided on whatever the status.
    old = at_huanggang(consignment(declaration_status="submitted"))
    stored = facts_to_json(old)
    assert "declaration_kind" not in stored["subject"]

    replayed = facts_from_json(stored)
    decision = decided(replayed)

    assert replayed == old
    assert declaration_codes(replayed) == []
    assert decision_to_json(decision_from_json(decision_to_json(decision))) == decision_to_json(
        decision
    )


def test_the_declaration_facts_round_trip_through_json() -> None:
    facts = at_huanggang(declared(carrier=person(), carrier_affiliated=False))
    stored = facts_to_json(facts)

    assert stored["subject"]["declaration_kind"] == "first_line_entry"
    assert stored["subject"]["declaration_point"] == "HUANGGANG"
    assert stored["subject"]["carrier_affiliated"] is False
    assert facts_from_json(stored) == facts
