"""Queries of the lookup: subjects by what an officer types, and everything touching a lot.

Every search is bounded (``limit``) and matches on columns the registry indexes or on short
tables; what a person typed reaches a LIKE pattern only through ``contains`` or ``starts``,
which escape its wildcards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, defer, joinedload, selectinload

from hetao.credentials.models import ZoneCredential
from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.declarations.models import Declaration, DeclarationLine
from hetao.inspections.models import AdjustmentProposal, Inspection, Seizure
from hetao.ledger.models import Hold, Lot, Movement
from hetao.registry.models import (
    Affiliation,
    IdentityDocument,
    Party,
    PartyStanding,
    Person,
    Vehicle,
    WhitelistEntry,
)

#: The one character that escapes LIKE's wildcards in the patterns built here.
ESCAPE = "\\"
#: A text column or an expression over one.
Text = ColumnElement[str] | QueryableAttribute[str]


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards (% and _) and the escape character taken literally."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def contains(column: Text, text: str) -> ColumnElement[bool]:
    """``column`` holds ``text`` anywhere, ignoring case (``text`` is already lower case)."""
    return func.lower(column).like(f"%{escape_like(text)}%", escape=ESCAPE)


def starts(column: Text, text: str) -> ColumnElement[bool]:
    """``column`` begins with ``text`` (compared as given)."""
    return column.like(f"{escape_like(text)}%", escape=ESCAPE)


def _without_spaces(column: Text) -> ColumnElement[str]:
    return func.replace(func.upper(column), " ", "")


#: A crossing as lists show it: its decision's outcome, lane and reasons, without the verbatim
#: payload and the replay's facts and document (the largest JSON of a row, read for nothing).
_CROSSING_SHOWN = (
    defer(CrossingEvent.payload),
    joinedload(CrossingEvent.decision)
    .defer(CrossingDecision.inputs)
    .defer(CrossingDecision.document)
    .defer(CrossingDecision.draw),
)
#: A declaration as lists show it: without its whole tax assessment (its totals are columns).
_DECLARATION_SHOWN = defer(Declaration.assessment)


# --- search -------------------------------------------------------------------------------


def contains_any(column: Text, texts: Sequence[str]) -> ColumnElement[bool]:
    """``column`` holds one of ``texts`` (each a spelling of one query, already lower case)."""
    return or_(*(contains(column, text) for text in texts))


def persons_matching(
    session: Session, *, text: str, names_zh: Sequence[str], document: str, limit: int
) -> list[Person]:
    """Persons holding a document whose number begins with ``document``, or whose name holds
    ``text`` (in either order), or whose Chinese name holds one of ``names_zh`` (the query's
    spellings in Traditional and Simplified characters)."""
    by_document = select(IdentityDocument.person_id).where(
        starts(_without_spaces(IdentityDocument.number), document)
    )
    western = Person.family_name + " " + Person.given_name
    eastern = Person.given_name + " " + Person.family_name
    stmt = (
        select(Person)
        .where(
            or_(
                Person.id.in_(by_document),
                contains(western, text),
                contains(eastern, text),
                contains_any(func.coalesce(Person.name_zh, ""), names_zh),
            )
        )
        .options(selectinload(Person.documents))
        .order_by(Person.family_name, Person.given_name, Person.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def vehicles_matching(session: Session, *, plate: str, limit: int) -> list[Vehicle]:
    """Vehicles whose plate (or Hong Kong plate) begins with ``plate``, spaces ignored."""
    stmt = (
        select(Vehicle)
        .where(
            or_(
                starts(_without_spaces(Vehicle.plate), plate),
                starts(_without_spaces(func.coalesce(Vehicle.hk_plate, "")), plate),
            )
        )
        .order_by(Vehicle.plate, Vehicle.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def parties_matching(
    session: Session, *, text: str, names_zh: Sequence[str], code: str, limit: int
) -> list[Party]:
    """Parties whose English name holds ``text``, whose Chinese name holds one of ``names_zh``
    (the query's spellings in both scripts), or whose USCC or Hong Kong business registration
    number begins with ``code``."""
    stmt = (
        select(Party)
        .where(
            or_(
                contains(Party.name_en, text),
                contains_any(func.coalesce(Party.name_zh, ""), names_zh),
                starts(func.coalesce(Party.uscc, ""), code),
                starts(func.coalesce(Party.hk_br, ""), code),
            )
        )
        .order_by(Party.name_en, Party.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def declarations_matching(session: Session, *, reference: str, limit: int) -> list[Declaration]:
    """Declarations whose reference begins with ``reference``, ignoring case, newest first."""
    stmt = (
        select(Declaration)
        .where(starts(func.upper(Declaration.reference), reference.upper()))
        .options(_DECLARATION_SHOWN)
        .order_by(Declaration.created_at.desc(), Declaration.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


# --- what a result page shows -------------------------------------------------------------


def parties_by_id(session: Session, ids: Iterable[int]) -> dict[int, Party]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Party).where(Party.id.in_(wanted)))}


def persons_by_id(session: Session, ids: Iterable[int]) -> dict[int, Person]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(wanted)))}


def vehicles_by_id(session: Session, ids: Iterable[int]) -> dict[int, Vehicle]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {v.id: v for v in session.scalars(select(Vehicle).where(Vehicle.id.in_(wanted)))}


def entries_of(
    session: Session,
    *,
    party_id: int | None = None,
    person_id: int | None = None,
    vehicle_id: int | None = None,
    limit: int,
) -> list[WhitelistEntry]:
    """Whitelist entries about a party, a person or a vehicle, those ending last first."""
    stmt = select(WhitelistEntry)
    if party_id is not None:
        stmt = stmt.where(WhitelistEntry.party_id == party_id)
    if person_id is not None:
        stmt = stmt.where(WhitelistEntry.person_id == person_id)
    if vehicle_id is not None:
        stmt = stmt.where(WhitelistEntry.vehicle_id == vehicle_id)
    stmt = stmt.order_by(WhitelistEntry.valid_until.desc(), WhitelistEntry.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def standings_of(session: Session, party_id: int) -> list[PartyStanding]:
    """A party's recorded standings, the latest first."""
    stmt = (
        select(PartyStanding)
        .where(PartyStanding.party_id == party_id)
        .order_by(PartyStanding.effective_on.desc(), PartyStanding.id.desc())
    )
    return list(session.scalars(stmt))


def affiliations_of_party(session: Session, party_id: int, *, limit: int) -> list[Affiliation]:
    stmt = (
        select(Affiliation)
        .where(Affiliation.party_id == party_id)
        .order_by(Affiliation.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def affiliations_of_person(session: Session, person_id: int) -> list[Affiliation]:
    stmt = select(Affiliation).where(Affiliation.person_id == person_id).order_by(Affiliation.id)
    return list(session.scalars(stmt))


def credentials_of(
    session: Session, person_ids: Sequence[int], *, limit: int
) -> list[ZoneCredential]:
    """Credentials issued to these persons, newest first (claims only: no token is stored)."""
    if not person_ids:
        return []
    stmt = (
        select(ZoneCredential)
        .where(ZoneCredential.person_id.in_(person_ids))
        .order_by(ZoneCredential.issued_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def recent_crossings(
    session: Session,
    *,
    person_id: int | None = None,
    vehicle_id: int | None = None,
    party_id: int | None = None,
    limit: int,
) -> list[CrossingEvent]:
    """The subject's latest crossings with their decisions, newest first."""
    stmt = select(CrossingEvent).options(*_CROSSING_SHOWN)
    if person_id is not None:
        stmt = stmt.where(CrossingEvent.person_id == person_id)
    if vehicle_id is not None:
        stmt = stmt.where(CrossingEvent.vehicle_id == vehicle_id)
    if party_id is not None:
        stmt = stmt.where(CrossingEvent.party_id == party_id)
    stmt = stmt.order_by(CrossingEvent.occurred_at.desc(), CrossingEvent.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def lots_of(session: Session, party_id: int, *, limit: int) -> list[Lot]:
    """A party's lots, those still holding goods first, the latest admitted first."""
    stmt = (
        select(Lot)
        .where(Lot.party_id == party_id)
        .order_by((Lot.balance > 0).desc(), Lot.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def declarations_of(session: Session, party_id: int, *, limit: int) -> list[Declaration]:
    stmt = (
        select(Declaration)
        .where(Declaration.party_id == party_id)
        .options(_DECLARATION_SHOWN)
        .order_by(Declaration.created_at.desc(), Declaration.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


# --- the journey of a lot -----------------------------------------------------------------


def find_lot(session: Session, lot_id: int) -> Lot | None:
    return session.get(Lot, lot_id)


def movements_of(session: Session, lot_ids: Sequence[int]) -> list[Movement]:
    stmt = (
        select(Movement)
        .where(Movement.lot_id.in_(lot_ids))
        .order_by(Movement.created_at, Movement.id)
    )
    return list(session.scalars(stmt))


def declarations_touching(session: Session, lot_ids: Sequence[int]) -> list[Declaration]:
    """Declarations with a line drawing from, or opening, one of the lots (or making one)."""
    lines = select(DeclarationLine.declaration_id).where(
        or_(DeclarationLine.lot_id.in_(lot_ids), DeclarationLine.result_lot_id.in_(lot_ids))
    )
    stmt = (
        select(Declaration)
        .where(or_(Declaration.id.in_(lines), Declaration.product_lot_id.in_(lot_ids)))
        .options(selectinload(Declaration.lines), _DECLARATION_SHOWN)
        .order_by(Declaration.created_at, Declaration.id)
    )
    return list(session.scalars(stmt))


def crossings_of_declarations(
    session: Session, declaration_ids: Sequence[int]
) -> list[CrossingEvent]:
    if not declaration_ids:
        return []
    stmt = (
        select(CrossingEvent)
        .where(CrossingEvent.declaration_id.in_(declaration_ids))
        .options(*_CROSSING_SHOWN)
        .order_by(CrossingEvent.occurred_at, CrossingEvent.id)
    )
    return list(session.scalars(stmt))


def inspections_of(
    session: Session, *, decision_ids: Sequence[int], lot_ids: Sequence[int]
) -> list[Inspection]:
    """Inspections of these decisions, or that adjusted or seized goods of these lots."""
    adjusted = select(AdjustmentProposal.inspection_id).where(
        AdjustmentProposal.lot_id.in_(lot_ids)
    )
    seized = select(Seizure.inspection_id).where(Seizure.lot_id.in_(lot_ids))
    stmt = (
        select(Inspection)
        .where(
            or_(
                Inspection.decision_id.in_(decision_ids),
                Inspection.id.in_(adjusted),
                Inspection.id.in_(seized),
            )
        )
        .options(selectinload(Inspection.adjustments), selectinload(Inspection.seizures))
        .order_by(Inspection.opened_at, Inspection.id)
    )
    return list(session.scalars(stmt))


def holds_of(session: Session, lot_ids: Sequence[int]) -> list[Hold]:
    stmt = select(Hold).where(Hold.lot_id.in_(lot_ids)).order_by(Hold.created_at, Hold.id)
    return list(session.scalars(stmt))


def crossing_events_by_decision(
    session: Session, decision_ids: Iterable[int]
) -> dict[int, CrossingEvent]:
    """The crossing of each decision (an inspection names its decision only)."""
    wanted = set(decision_ids)
    if not wanted:
        return {}
    stmt = (
        select(CrossingDecision.id, CrossingEvent)
        .join(CrossingEvent, CrossingEvent.id == CrossingDecision.event_id)
        .where(CrossingDecision.id.in_(wanted))
    )
    return {row[0]: row[1] for row in session.execute(stmt)}
