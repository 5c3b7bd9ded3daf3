"""Every query of loans: lookups, the gate's conditional moves, the daily job's picks, reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session, aliased

from hetao.loans.models import AWAY_STATUSES, Loan, LoanDirection, LoanStatus
from hetao.registry.models import Party, PartyKind, PartyStatus
from hetao.storage.pagination import PageOf, paginate

#: The statuses of a loan whose instrument has not come back (recorded or away).
OPEN_STATUSES = frozenset({LoanStatus.RECORDED}) | AWAY_STATUSES


def find_loan(session: Session, loan_id: int) -> Loan | None:
    return session.get(Loan, loan_id)


def lock_loan(session: Session, loan_id: int) -> Loan | None:
    """The loan, locked until the transaction ends: the gate's conditional move waits for it."""
    stmt = select(Loan).where(Loan.id == loan_id).with_for_update()
    return session.scalars(stmt.execution_options(populate_existing=True)).first()


def open_loan_of_instrument(session: Session, *, lot_id: int, serial: str) -> Loan | None:
    """The loan not yet closed of the instrument with ``serial`` on ``lot_id``, if any."""
    stmt = select(Loan).where(
        Loan.lot_id == lot_id, Loan.serial == serial, Loan.status.in_(OPEN_STATUSES)
    )
    return session.scalars(stmt.limit(1)).first()


def open_loans_on_lot(session: Session, lot_id: int) -> int:
    """How many instruments of a lot are on loans not yet closed."""
    stmt = select(func.count()).where(Loan.lot_id == lot_id, Loan.status.in_(OPEN_STATUSES))
    return session.scalar(stmt) or 0


def status_of(connection: Connection, loan_id: int) -> LoanStatus | None:
    """A loan's status as stored now (the crossing committer re-reads it under its write)."""
    value = connection.execute(select(Loan.status).where(Loan.id == loan_id)).scalar()
    return None if value is None else LoanStatus(value)


def move(
    connection: Connection,
    *,
    loan_id: int,
    from_statuses: frozenset[LoanStatus],
    to: LoanStatus,
    at: dt.datetime,
) -> bool:
    """Move a loan on at the gate if it still is in one of ``from_statuses``; False if not."""
    values: dict[str, object] = {"status": to}
    values["crossed_at" if to is LoanStatus.AWAY else "returned_at"] = at
    result = connection.execute(
        update(Loan).where(Loan.id == loan_id, Loan.status.in_(from_statuses)).values(**values)
    )
    return result.rowcount == 1


def link_crossing(connection: Connection, *, loan_id: int, event_id: int, first: bool) -> None:
    """Name the crossing event that took the loan's instrument across (first) or back."""
    column = Loan.crossed_event_id if first else Loan.returned_event_id
    connection.execute(update(Loan).where(Loan.id == loan_id).values({column: event_id}))


def away_due_before(session: Session, day: dt.date) -> Sequence[Loan]:
    """Loans whose instrument is away and whose due date has passed by ``day``."""
    stmt = (
        select(Loan)
        .where(Loan.status.in_((LoanStatus.AWAY, LoanStatus.OVERDUE)), Loan.due_on < day)
        .order_by(Loan.id)
        .with_for_update()
    )
    return session.scalars(stmt).all()


def page_loans(
    session: Session,
    *,
    zone_party_id: int | None,
    status: LoanStatus | None,
    direction: LoanDirection | None,
    cursor: str | None,
    limit: int,
) -> PageOf[Loan]:
    """Loans in recording order, filtered by zone party, status and direction."""
    stmt = select(Loan)
    if zone_party_id is not None:
        stmt = stmt.where(Loan.zone_party_id == zone_party_id)
    if status is not None:
        stmt = stmt.where(Loan.status == status)
    if direction is not None:
        stmt = stmt.where(Loan.direction == direction)
    return paginate(session, stmt, id_column=Loan.id, cursor=cursor, limit=limit)


def outside(session: Session, *, zone_party_id: int | None) -> Sequence[tuple[Loan, str, str]]:
    """Instruments away on loan with the names of both parties, by Hong Kong party then due date."""
    zone, hk = aliased(Party), aliased(Party)
    stmt = (
        select(Loan, zone.name_en, hk.name_en)
        .join(zone, zone.id == Loan.zone_party_id)
        .join(hk, hk.id == Loan.hk_party_id)
        .where(Loan.status.in_(AWAY_STATUSES))
        .order_by(hk.name_en, Loan.due_on, Loan.id)
    )
    if zone_party_id is not None:
        stmt = stmt.where(Loan.zone_party_id == zone_party_id)
    return [(row[0], str(row[1]), str(row[2])) for row in session.execute(stmt)]


def hong_kong_institutions(session: Session) -> Sequence[Party]:
    """Active Hong Kong institutions of the registry: who may borrow or lend an instrument."""
    stmt = (
        select(Party)
        .where(Party.kind == PartyKind.HK_INSTITUTION, Party.status == PartyStatus.ACTIVE)
        .order_by(Party.name_en)
    )
    return session.scalars(stmt).all()
