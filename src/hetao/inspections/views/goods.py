"""What an inspection page shows of a crossing: the subject by name, its goods, lots, approvals.

Read from the decision's stored facts (what the gate saw) and the lots those goods concern, so
the officer inspects what was decided on, not what the registry says today.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.declarations import repository as declarations_repository
from hetao.engine.facts import ConsignmentFacts, GoodsLine, consignments_of, facts_from_json
from hetao.inspections import repository
from hetao.ledger.models import Lot
from hetao.web.i18n import current_language, t


@dataclass(frozen=True, slots=True)
class Approval:
    """An approval a goods line presented: its kind, number, and what the gate read of it."""

    kind: str
    number: str
    state: str | None


@dataclass(frozen=True, slots=True)
class Line:
    """One consignment line as the gate saw it."""

    declaration_id: int | None
    line_no: int
    hs_code: str
    goods_kind: str
    quantity: Decimal
    unit: str
    approvals: tuple[Approval, ...]


@dataclass(slots=True)
class Goods:
    """The goods of one crossing: its lines, the lots they concern, whether any crossed."""

    carried: bool
    lines: list[Line] = field(default_factory=list)
    lots: list[Lot] = field(default_factory=list)
    #: Each consignment's party, by name.
    parties: list[str] = field(default_factory=list)


def _approvals(line: GoodsLine) -> tuple[Approval, ...]:
    found = []
    if line.special_article_approval:
        state = line.special_article_approval_state
        found.append(Approval("special_article", line.special_article_approval, state))
    if line.hgr_approval:
        found.append(Approval("hgr", line.hgr_approval, line.hgr_approval_state))
    return tuple(found)


def party_name(name_en: str, name_zh: str | None) -> str:
    """A party's name in the page's language where it has a Chinese one."""
    return name_zh if name_zh and current_language() != "en" else name_en


def goods_of(session: Session, decision: CrossingDecision) -> Goods:
    """The goods a decision was made on, with the lots they concern and their balances."""
    return goods_by_decision(session, [decision])[decision.id]


def goods_by_decision(session: Session, decisions: Sequence[CrossingDecision]) -> dict[int, Goods]:
    """The goods of each decision, read for all of them at once (a queue's rows).

    The lots are those ``results.inspected_goods`` names, the only ones a result may adjust
    or seize; gathered here in three queries for the whole queue instead of three per row.
    """
    consignments = {d.id: consignments_of(facts_from_json(d.inputs).subject) for d in decisions}
    declared = {
        (consignment.declaration_id, line.line_no)
        for found in consignments.values()
        for consignment in found
        if consignment.declaration_id is not None
        for line in consignment.lines
    }
    line_lots: dict[tuple[int, int], set[int]] = {}
    if declared:
        rows = declarations_repository.line_lots(session, {d for d, _ in declared})
        for declaration_id, line_no, lot_id, result_lot_id in rows:
            if (declaration_id, line_no) in declared:
                line_lots.setdefault((declaration_id, line_no), set()).update(
                    i for i in (lot_id, result_lot_id) if i is not None
                )
    lots = repository.lots_by_id(session, {i for ids in line_lots.values() for i in ids})
    parties = repository.parties(
        session,
        {c.party.party_id for found in consignments.values() for c in found if c.party},
    )
    goods: dict[int, Goods] = {}
    for decision_id, found in consignments.items():
        covered = {
            lot_id
            for consignment in found
            if consignment.declaration_id is not None
            for line in consignment.lines
            for lot_id in line_lots.get((consignment.declaration_id, line.line_no), ())
        }
        named = {c.party.party_id for c in found if c.party and c.party.party_id in parties}
        goods[decision_id] = Goods(
            carried=bool(found),
            lines=[_line(consignment, line) for consignment in found for line in consignment.lines],
            lots=[lots[i] for i in sorted(covered) if i in lots],
            parties=[party_name(parties[i].name_en, parties[i].name_zh) for i in sorted(named)],
        )
    return goods


def _line(consignment: ConsignmentFacts, line: GoodsLine) -> Line:
    return Line(
        declaration_id=consignment.declaration_id,
        line_no=line.line_no,
        hs_code=line.hs_code,
        goods_kind=line.goods_kind,
        quantity=line.carried,
        unit=line.unit,
        approvals=_approvals(line),
    )


def subject_names(session: Session, events: Iterable[CrossingEvent]) -> dict[int, str]:
    """Who or what crossed, by event id: a person's name, a vehicle's plate, a party's name."""
    listed = list(events)
    people = repository.people(session, {e.person_id for e in listed if e.person_id})
    vehicles = repository.vehicles(session, {e.vehicle_id for e in listed if e.vehicle_id})
    parties = repository.parties(session, {e.party_id for e in listed if e.party_id})
    chinese = current_language() != "en"
    names: dict[int, str] = {}
    for event in listed:
        person = people.get(event.person_id) if event.person_id else None
        vehicle = vehicles.get(event.vehicle_id) if event.vehicle_id else None
        party = parties.get(event.party_id) if event.party_id else None
        if person is not None:
            western = f"{person.given_name} {person.family_name}"
            names[event.id] = person.name_zh if chinese and person.name_zh else western
        elif vehicle is not None:
            names[event.id] = vehicle.plate
        elif party is not None:
            names[event.id] = party_name(party.name_en, party.name_zh)
        else:
            names[event.id] = _from_facts(event)
    return names


def _from_facts(event: CrossingEvent) -> str:
    """What the crossing's payload names when the registry knows no one (a plate, a doc)."""
    subject = event.payload.get("subject")
    if not isinstance(subject, dict):
        return ""
    plate = subject.get("plate")
    if isinstance(plate, str):
        return plate
    document = subject.get("document")
    if isinstance(document, dict) and isinstance(document.get("number"), str):
        return t("inspections.subject.document", number=document["number"])
    return ""
