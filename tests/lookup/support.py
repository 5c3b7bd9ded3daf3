"""A lot with a whole journey, built through the real services, for the lookup's tests.

Enterprise A admits ten bonded reagent kits at the first line and sells six to enterprise B
(an in-zone transfer opens B's lot). On B's lot: two kits are held for a check and released;
an inspection finds one short and a second officer approves the adjustment; three kits leave
for the mainland through the second line, taxed, and cross the gate against their declaration.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from declarations.support import admitted, clear, line, submit
from factories import make_entry, make_party, make_person
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.crossing import intake
from hetao.crossing import service as crossing
from hetao.crossing.schemas import CrossingIn
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration
from hetao.inspections import results
from hetao.inspections import service as inspections
from hetao.inspections.models import InspectionResult
from hetao.ledger import service as ledger
from hetao.ledger.models import Lot
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party, Person
from hetao.storage.types import utcnow
from inspections.support import FIRST_POINT, decided, officer

GATE = intake.Device("user:0", "lookup-test-gate")


@dataclass(frozen=True, slots=True)
class Story:
    """The objects of the journey, by what they are in it."""

    seller: Party
    buyer: Party
    researcher: Person
    first_lot: Lot
    lot: Lot
    entry: Declaration
    transfer: Declaration
    exit: Declaration
    crossing_id: int
    inspection_id: int


def parties(session: Session, actor: Actor, profile: ZoneProfile) -> tuple[Party, Party]:
    """Two whitelisted beneficiaries with names to find, in English and in Chinese."""
    seller = make_party(
        session, actor, name_en="Qianhai Reagent Works Ltd.", name_zh="前海試劑有限公司"
    )
    buyer = make_party(
        session, actor, name_en="Lok Ma Chau Bio-Assay Ltd.", name_zh="落馬洲生物檢測有限公司"
    )
    for party in (seller, buyer):
        make_entry(session, actor, profile, party.id)
    return seller, buyer


def story(session: Session, actor: Actor, profile: ZoneProfile) -> Story:
    """The journey of the module docstring; the caller commits (or rolls back)."""
    seller, buyer = parties(session, actor, profile)
    researcher = make_person(
        session, actor, buyer.id, family_name="Chan", given_name="Siu Ming", name_zh="陳小明"
    )
    first_lot = admitted(session, seller, profile, actor, bonded=True)
    entry = _declaration_of(session, first_lot)
    transfer = submit(
        session,
        seller,
        profile,
        actor,
        DeclarationKind.IN_ZONE_TRANSFER,
        to_party_id=buyer.id,
        transfer_reason="ordinary",
        lines=[line(lot_id=first_lot.id, quantity="6", customs_value="7200.00", bonded=True)],
    )
    clear(session, transfer, profile, actor)
    lot = session.get(Lot, transfer.lines[0].result_lot_id)
    assert lot is not None
    held = ledger.hold(
        session,
        lot,
        quantity=Decimal(2),
        expires_at=utcnow() + dt.timedelta(days=2),
        idempotency_key="lookup-hold-1",
        actor=actor,
        reason="Held for a check of the cold chain.",
    )
    ledger.void(session, held, actor=actor, reason="The cold chain was kept.")
    inspection_id = _inspected_short_by_one(session, lot)
    exit_declaration = submit(
        session,
        buyer,
        profile,
        actor,
        DeclarationKind.SECOND_LINE_EXIT,
        lines=[line(lot_id=lot.id, quantity="3", customs_value="3600.00")],
    )
    clear(session, exit_declaration, profile, actor)
    event, _ = crossing.record_crossing(
        session,
        CrossingIn.model_validate(
            {
                "event_id": f"lookup-exit-{exit_declaration.id}",
                "crossing_point": "SL_GOODS",
                "direction": "outbound",
                "occurred_at": utcnow().isoformat(),
                "subject": {"type": "consignment", "declaration_id": exit_declaration.id},
            }
        ),
        device=GATE,
        profile=profile,
        seed_key=bytes(32),
        actor=actor,
    )
    session.flush()
    session.refresh(lot)
    return Story(
        seller=seller,
        buyer=buyer,
        researcher=researcher,
        first_lot=first_lot,
        lot=lot,
        entry=entry,
        transfer=transfer,
        exit=exit_declaration,
        crossing_id=event.id,
        inspection_id=inspection_id,
    )


def _declaration_of(session: Session, lot: Lot) -> Declaration:
    from inspections.support import declaration_of

    found = session.get(Declaration, declaration_of(session, lot))
    assert found is not None
    return found


def _inspected_short_by_one(session: Session, lot: Lot) -> int:
    """An inspection at Channel No. 1 finds one kit short; a second officer approves."""
    decision = decided(session, crossing_point=FIRST_POINT, carrying=[lot])
    inspection = inspections.open_inspection(
        session, decision.id, crossing_point=FIRST_POINT, actor=Actor("device", "gate-test")
    )
    first, second = officer(session), officer(session, Role.FIRST_LINE_OFFICER)
    inspections.assign(session, inspection, by=first, officer_id=first.id)
    inspections.start(session, inspection, officer=first)
    results.record_result(
        session,
        inspection,
        officer=first,
        result=InspectionResult.DISCREPANCY,
        findings="One kit short against the declaration.",
        adjustments=[results.ProposedAdjustment(lot.id, Decimal(-1), "one kit short")],
    )
    results.approve_adjustment(session, inspection.adjustments[0], officer=second)
    return inspection.id
