"""Every query of the registry lives here; services read like the business process."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple, TypeVar

from sqlalchemy import Connection, Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from hetao.profiles import Flow
from hetao.registry.models import (
    Affiliation,
    Approval,
    ApprovalKind,
    EntryStatus,
    ExemptionWaiver,
    IdentityDocument,
    Party,
    PartyStanding,
    Person,
    Residency,
    SubjectKind,
    Vehicle,
    VehiclePermit,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.storage.driver import DriverQuery
from hetao.storage.pagination import PageOf, paginate
from hetao.storage.types import Base

ModelT = TypeVar("ModelT", bound=Base)

LIVE_ENTRY_STATUSES = (EntryStatus.ACTIVE, EntryStatus.SUSPENDED)


def party_by_registration(session: Session, *, uscc: str | None, hk_br: str | None) -> Party | None:
    clauses = []
    if uscc:
        clauses.append(Party.uscc == uscc)
    if hk_br:
        clauses.append(Party.hk_br == hk_br)
    if not clauses:
        return None
    return session.scalars(select(Party).where(or_(*clauses)).limit(1)).first()


def party_ids_by_registration(session: Session, numbers: set[str]) -> dict[str, int]:
    """The party id of each USCC or HK BR number among ``numbers`` that is registered."""
    if not numbers:
        return {}
    rows = session.execute(
        select(Party.id, Party.uscc, Party.hk_br).where(
            or_(Party.uscc.in_(numbers), Party.hk_br.in_(numbers))
        )
    )
    found: dict[str, int] = {}
    for pid, uscc, hk_br in rows:
        for number in (uscc, hk_br):
            if number:
                found[number] = pid
    return found


def has_parties(session: Session) -> bool:
    return session.scalars(select(Party.id).limit(1)).first() is not None


def existing_documents(
    session: Session, keys: list[tuple[str, str, str]]
) -> set[tuple[str, str, str]]:
    """Which (kind, issuing country, number) triples are already registered."""
    if not keys:
        return set()
    numbers = {number for _, _, number in keys}
    rows = session.execute(
        select(
            IdentityDocument.kind, IdentityDocument.issuing_country, IdentityDocument.number
        ).where(IdentityDocument.number.in_(numbers))
    )
    return {(str(k), c, n) for k, c, n in rows} & set(keys)


def existing_plates(session: Session, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    if not keys:
        return set()
    plates = {plate for _, plate in keys}
    rows = session.execute(
        select(Vehicle.plate_region, Vehicle.plate).where(Vehicle.plate.in_(plates))
    )
    return {(str(r), p) for r, p in rows} & set(keys)


def existing_permit_numbers(session: Session, numbers: list[str]) -> set[str]:
    if not numbers:
        return set()
    return set(
        session.scalars(select(VehiclePermit.number).where(VehiclePermit.number.in_(numbers)))
    )


def existing_party_ids(session: Session, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Party.id).where(Party.id.in_(ids))))


def is_affiliated(session: Session, *, person_id: int, party_id: int) -> bool:
    stmt = select(Affiliation.id).where(
        Affiliation.person_id == person_id, Affiliation.party_id == party_id
    )
    return session.scalars(stmt.limit(1)).first() is not None


def live_entries_for_subject(
    session: Session, *, subject_kind: SubjectKind, subject_id: int | str
) -> list[WhitelistEntry]:
    column = {
        SubjectKind.INSTITUTION: WhitelistEntry.party_id,
        SubjectKind.INDIVIDUAL: WhitelistEntry.person_id,
        SubjectKind.VEHICLE: WhitelistEntry.vehicle_id,
        SubjectKind.INDUSTRY: WhitelistEntry.industry,
    }[subject_kind]
    stmt = select(WhitelistEntry).where(
        WhitelistEntry.subject_kind == subject_kind,
        column == subject_id,
        WhitelistEntry.status.in_(LIVE_ENTRY_STATUSES),
    )
    return list(session.scalars(stmt.with_for_update()))


def institution_entries(session: Session, *, party_id: int) -> list[WhitelistEntry]:
    """The party's own whitelist entries (as an institution, not as sponsor or owner), newest
    first: whether it is a beneficiary on a day is read from these (R3)."""
    stmt = select(WhitelistEntry).where(
        WhitelistEntry.subject_kind == SubjectKind.INSTITUTION,
        WhitelistEntry.party_id == party_id,
    )
    return list(session.scalars(stmt.order_by(WhitelistEntry.id.desc())))


def entries_due_to_expire(session: Session, *, today: dt.date) -> list[WhitelistEntry]:
    """Live entries whose last valid day is before ``today``."""
    stmt = select(WhitelistEntry).where(
        WhitelistEntry.status.in_(LIVE_ENTRY_STATUSES), WhitelistEntry.valid_until < today
    )
    return list(session.scalars(stmt.order_by(WhitelistEntry.id).with_for_update()))


def waiver_in_force(
    session: Session, *, party_id: int, goods_kind: str, on: dt.date
) -> ExemptionWaiver | None:
    stmt = select(ExemptionWaiver).where(
        ExemptionWaiver.party_id == party_id,
        ExemptionWaiver.goods_kind == goods_kind,
        ExemptionWaiver.waived_on <= on,
        ExemptionWaiver.lockout_until > on,
    )
    return session.scalars(stmt.order_by(ExemptionWaiver.lockout_until.desc()).limit(1)).first()


def standing_on(session: Session, *, party_id: int, on: dt.date) -> PartyStanding | None:
    """The party's standing in force on ``on``: the last one recorded from that day or before."""
    stmt = select(PartyStanding).where(
        PartyStanding.party_id == party_id, PartyStanding.effective_on <= on
    )
    order = (PartyStanding.effective_on.desc(), PartyStanding.id.desc())
    return session.scalars(stmt.order_by(*order).limit(1)).first()


def list_standings(session: Session, *, party_id: int) -> list[PartyStanding]:
    """The party's standing history, oldest first."""
    stmt = select(PartyStanding).where(PartyStanding.party_id == party_id)
    return list(session.scalars(stmt.order_by(PartyStanding.effective_on, PartyStanding.id)))


def list_waivers(session: Session, *, party_id: int) -> list[ExemptionWaiver]:
    stmt = select(ExemptionWaiver).where(ExemptionWaiver.party_id == party_id)
    return list(session.scalars(stmt.order_by(ExemptionWaiver.id)))


# --- listing -------------------------------------------------------------------------------


def page_parties(
    session: Session, *, kind: str | None, only_id: int | None, cursor: str | None, limit: int
) -> PageOf[Party]:
    stmt = select(Party)
    if kind:
        stmt = stmt.where(Party.kind == kind)
    if only_id is not None:
        stmt = stmt.where(Party.id == only_id)
    return paginate(session, stmt, id_column=Party.id, cursor=cursor, limit=limit)


def page_persons(
    session: Session, *, party_id: int | None, cursor: str | None, limit: int
) -> PageOf[Person]:
    stmt = select(Person).options(selectinload(Person.documents), selectinload(Person.affiliations))
    if party_id is not None:
        stmt = stmt.where(
            Person.id.in_(select(Affiliation.person_id).where(Affiliation.party_id == party_id))
        )
    return paginate(session, stmt, id_column=Person.id, cursor=cursor, limit=limit)


def page_vehicles(
    session: Session, *, owner_party_id: int | None, cursor: str | None, limit: int
) -> PageOf[Vehicle]:
    stmt = select(Vehicle).options(selectinload(Vehicle.permits))
    if owner_party_id is not None:
        stmt = stmt.where(Vehicle.owner_party_id == owner_party_id)
    return paginate(session, stmt, id_column=Vehicle.id, cursor=cursor, limit=limit)


WhitelistT = TypeVar("WhitelistT", WhitelistApplication, WhitelistEntry)


def page_whitelist(
    session: Session,
    model: type[WhitelistT],
    *,
    status: str | None,
    subject_kind: str | None,
    party_id: int | None,
    cursor: str | None,
    limit: int,
) -> PageOf[WhitelistT]:
    """Applications or entries, filtered alike, a page at a time."""
    stmt = select(model)
    if party_id is not None:
        stmt = stmt.where(model.party_id == party_id)
    if status:
        stmt = stmt.where(model.status == status)
    if subject_kind:
        stmt = stmt.where(model.subject_kind == subject_kind)
    return paginate(session, stmt, id_column=model.id, cursor=cursor, limit=limit)


def summary(session: Session) -> dict[str, dict[str, int]]:
    """Counts by kind and status, for `hetao registry show` and the dashboard."""

    def grouped(column: object) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).group_by(column))  # type: ignore[call-overload]
        return dict(sorted(Counter({str(k): int(n) for k, n in rows}).items()))

    return {
        "parties_by_kind": grouped(Party.kind),
        "persons": {"total": session.scalar(select(func.count()).select_from(Person)) or 0},
        "vehicles_by_kind": grouped(Vehicle.kind),
        "applications_by_status": grouped(WhitelistApplication.status),
        "entries_by_status": grouped(WhitelistEntry.status),
        "entries_by_subject": grouped(WhitelistEntry.subject_kind),
    }


# --- the approvals register (R11, R41) ---------------------------------------------------------


def approval_by_number(session: Session, *, kind: ApprovalKind, number: str) -> Approval | None:
    """The approval of ``kind`` the issuer numbered ``number``, if the register holds it."""
    stmt = select(Approval).where(Approval.kind == kind, Approval.number == number)
    return session.scalars(stmt).first()


def page_approvals(
    session: Session,
    *,
    kind: ApprovalKind | None,
    party_id: int | None,
    cursor: str | None,
    limit: int,
) -> PageOf[Approval]:
    stmt = select(Approval)
    if kind is not None:
        stmt = stmt.where(Approval.kind == kind)
    if party_id is not None:
        stmt = stmt.where(Approval.party_id == party_id)
    return paginate(session, stmt, id_column=Approval.id, cursor=cursor, limit=limit)


def draw_approval(session: Session, approval: Approval, quantity: Decimal) -> bool:
    """Add ``quantity`` to what was drawn, only if that stays within the approved quantity: one
    conditional UPDATE, so concurrent clearings can never draw more than was approved. False
    when too little is left; the object is refreshed from the row otherwise."""
    row = session.execute(
        update(Approval)
        .where(Approval.id == approval.id, Approval.drawn + quantity <= Approval.quantity)
        .values(drawn=Approval.drawn + quantity)
        .returning(Approval.drawn)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return False
    session.refresh(approval, ["drawn"])
    return True


def find_party(session: Session, party_id: int) -> Party | None:
    """Party ``party_id``, or None."""
    return session.get(Party, party_id)


def institution_entry_in_force(
    session: Session, *, party_id: int, on: dt.date, flow: Flow
) -> WhitelistEntry | None:
    """The party's own active whitelist entry that covers ``flow`` on ``on``, if any."""
    stmt = select(WhitelistEntry).where(
        WhitelistEntry.subject_kind == SubjectKind.INSTITUTION,
        WhitelistEntry.party_id == party_id,
        WhitelistEntry.status == EntryStatus.ACTIVE,
        WhitelistEntry.valid_from <= on,
        WhitelistEntry.valid_until >= on,
    )
    # flows is a JSON list: filtered here, the party has one or two live entries at most.
    return next((e for e in session.scalars(stmt) if flow.value in e.flows), None)


def parties_in_order(session: Session) -> list[Party]:
    """Every party, oldest first."""
    return list(session.scalars(select(Party).order_by(Party.id)))


def documents_in_order(session: Session) -> list[IdentityDocument]:
    """Every identity document, oldest first."""
    return list(session.scalars(select(IdentityDocument).order_by(IdentityDocument.id)))


# --- read by the gate and the inspections (hetao.crossing, hetao.inspections) ---
# Asked for every crossing: statements built once and run through the driver (plain rows).


class EntryRow(NamedTuple):
    """An entry's columns a whitelist standing needs."""

    id: int
    status: EntryStatus
    valid_from: dt.date
    valid_until: dt.date
    flows: list[str]
    lines: list[str]
    exemptions: list[str]


#: Per subject kind, its entries newest first: the columns the standing needs (an ORM load of
#: whole entries costs more).
_ENTRY_ROWS_OF = {
    kind: DriverQuery(
        select(
            WhitelistEntry.id,
            WhitelistEntry.status,
            WhitelistEntry.valid_from,
            WhitelistEntry.valid_until,
            WhitelistEntry.flows,
            WhitelistEntry.lines,
            WhitelistEntry.exemptions,
        )
        .where(WhitelistEntry.subject_kind == kind, column == bindparam("subject_id"))
        .order_by(WhitelistEntry.id.desc()),
        EntryRow,
    )
    for kind, column in (
        (SubjectKind.INSTITUTION, WhitelistEntry.party_id),
        (SubjectKind.INDIVIDUAL, WhitelistEntry.person_id),
        (SubjectKind.VEHICLE, WhitelistEntry.vehicle_id),
    )
}


def entry_rows_of(connection: Connection, kind: SubjectKind, subject_id: int) -> list[EntryRow]:
    """A subject's whitelist entries, newest first, as the columns a standing needs."""
    return _ENTRY_ROWS_OF[kind].all(connection, subject_id=subject_id)


def locked_out_goods_kinds(session: Session, party_id: int, day: dt.date) -> tuple[str, ...]:
    """Goods kinds the party waived within the lockout, in force on ``day``."""
    stmt = select(ExemptionWaiver.goods_kind).where(
        ExemptionWaiver.party_id == party_id,
        ExemptionWaiver.waived_on <= day,
        ExemptionWaiver.lockout_until > day,
    )
    return tuple(sorted(set(session.scalars(stmt))))


class DocumentHolder(NamedTuple):
    id: int
    residency: Residency


def _holders_of_document(with_country: bool) -> DriverQuery[DocumentHolder]:
    stmt = (
        select(Person.id, Person.residency)
        .join(IdentityDocument, IdentityDocument.person_id == Person.id)
        .where(
            IdentityDocument.kind == bindparam("kind"),
            IdentityDocument.number == bindparam("number"),
        )
    )
    if with_country:
        stmt = stmt.where(IdentityDocument.issuing_country == bindparam("country"))
    # Two rows are enough to tell one match from several (the same number in two countries).
    return DriverQuery(stmt.limit(2), DocumentHolder)


#: Built once, with and without the issuing country: asked for every traveller.
HOLDERS_OF_DOCUMENT = {flag: _holders_of_document(flag) for flag in (False, True)}


def holders_of_document(
    connection: Connection, *, kind: str, number: str, country: str | None
) -> list[DocumentHolder]:
    """At most two persons holding the document (two: it is ambiguous without a country)."""
    statement = HOLDERS_OF_DOCUMENT[country is not None]
    return statement.all(connection, kind=kind, number=number, country=country)


def vehicle_by_plate(session: Session, plate: str) -> Vehicle | None:
    """The vehicle with ``plate`` as its mainland or its Hong Kong plate."""
    wanted = plate.strip().upper()
    stmt = select(Vehicle).where((Vehicle.plate == wanted) | (Vehicle.hk_plate == wanted))
    return session.scalars(stmt.order_by(Vehicle.id).limit(1)).first()


def permit_points(session: Session, vehicle_id: int, day: dt.date) -> tuple[str, ...]:
    """The crossing points the vehicle's permits valid on ``day`` name."""
    stmt = select(VehiclePermit.crossing_points).where(
        VehiclePermit.vehicle_id == vehicle_id,
        VehiclePermit.valid_from <= day,
        VehiclePermit.valid_until >= day,
    )
    return tuple(sorted({point for points in session.scalars(stmt) for point in points}))


def find_person(session: Session, person_id: int) -> Person | None:
    """A person by id, or None."""
    return session.get(Person, person_id)


def find_entry(session: Session, entry_id: int) -> WhitelistEntry | None:
    """A whitelist entry by id, or None."""
    return session.get(WhitelistEntry, entry_id)


def lapsed_entry_ids(today: dt.date) -> Select[int]:
    """The ids of entries no longer in force on ``today``: for a credential's revocation."""
    return select(WhitelistEntry.id).where(
        (WhitelistEntry.status != EntryStatus.ACTIVE) | (WhitelistEntry.valid_until < today)
    )


# --- the zone reviewer's workbench (hetao.registry.views) ----------------------------------


class QueuePage(NamedTuple):
    """One page of the review queue, and whether another follows."""

    items: list[WhitelistApplication]
    more: bool


def review_queue(
    session: Session,
    *,
    statuses: Sequence[str],
    subject_kind: str | None,
    party_id: int | None,
    industry: str | None,
    submitted_before: dt.datetime | None,
    newest_first: bool,
    page: int,
    limit: int,
) -> QueuePage:
    """Applications in ``statuses`` by submission time, filtered as the reviewer asks; the
    industry is the application's own (an industry subject) or its party's."""
    stmt = select(WhitelistApplication).outerjoin(Party, Party.id == WhitelistApplication.party_id)
    if statuses:
        stmt = stmt.where(WhitelistApplication.status.in_(statuses))
    if subject_kind:
        stmt = stmt.where(WhitelistApplication.subject_kind == subject_kind)
    if party_id is not None:
        stmt = stmt.where(WhitelistApplication.party_id == party_id)
    if industry:
        stmt = stmt.where(
            or_(WhitelistApplication.industry == industry, Party.industry == industry)
        )
    if submitted_before is not None:
        stmt = stmt.where(WhitelistApplication.submitted_at < submitted_before)
    # Drafts have no submission time: they sort by creation, after (or before) the rest.
    when = func.coalesce(WhitelistApplication.submitted_at, WhitelistApplication.created_at)
    order = (
        (when.desc(), WhitelistApplication.id.desc())
        if newest_first
        else (when, WhitelistApplication.id)
    )
    rows = list(session.scalars(stmt.order_by(*order).offset(page * limit).limit(limit + 1)))
    return QueuePage(items=rows[:limit], more=len(rows) > limit)


def entries_expiring(
    session: Session, *, today: dt.date, until: dt.date, party_id: int | None = None
) -> list[WhitelistEntry]:
    """Live entries whose last valid day falls from ``today`` to ``until``, soonest first."""
    stmt = select(WhitelistEntry).where(
        WhitelistEntry.status.in_(LIVE_ENTRY_STATUSES),
        WhitelistEntry.valid_until >= today,
        WhitelistEntry.valid_until <= until,
    )
    if party_id is not None:
        stmt = stmt.where(WhitelistEntry.party_id == party_id)
    return list(session.scalars(stmt.order_by(WhitelistEntry.valid_until, WhitelistEntry.id)))


def party_entries(session: Session, *, party_id: int) -> list[WhitelistEntry]:
    """Every entry of the party (itself, its people, its vehicles), soonest expiry first."""
    stmt = select(WhitelistEntry).where(WhitelistEntry.party_id == party_id)
    return list(session.scalars(stmt.order_by(WhitelistEntry.valid_until, WhitelistEntry.id)))


def party_applications(session: Session, *, party_id: int) -> list[WhitelistApplication]:
    """Every application of the party, newest first."""
    stmt = select(WhitelistApplication).where(WhitelistApplication.party_id == party_id)
    return list(session.scalars(stmt.order_by(WhitelistApplication.id.desc())))


def entry_of_application(session: Session, application_id: int) -> WhitelistEntry | None:
    """The entry an approved application made, if any."""
    stmt = select(WhitelistEntry).where(WhitelistEntry.application_id == application_id)
    return session.scalars(stmt).first()
