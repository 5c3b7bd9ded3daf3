"""What an inspection page shows of a crossing: the subject by name, its goods, lots, approvals.

Read from the decision's stored facts (what the gate saw) and the lots those goods concern, so
the officer inspects what was decided on, not what the registry says today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.engine.facts import ConsignmentFacts, GoodsLine, consignments_of, facts_from_json
from hetao.inspections import repository, results
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
    consignments = consignments_of(facts_from_json(decision.inputs).subject)
    covered = results.inspected_goods(session, decision)
    lots = repository.lots_by_id(session, covered.lot_ids)
    party_ids = {c.party.party_id for c in consignments if c.party is not None}
    named = repository.parties(session, party_ids)
    goods = Goods(carried=covered.carried_goods, lots=[lots[i] for i in sorted(lots)])
    goods.parties = [party_name(p.name_en, p.name_zh) for p in named.values()]
    for consignment in consignments:
        goods.lines += [_line(consignment, line) for line in consignment.lines]
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
