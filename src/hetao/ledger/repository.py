"""Every query of the ledger lives here, including the conditional updates that move balances.

Concurrency: transactions run at READ COMMITTED (PostgreSQL's default; SQLite serialises
writers with BEGIN IMMEDIATE). That is enough because a balance never goes through Python: each
withdrawal is one ``UPDATE ... WHERE balance - reserved >= :q``. PostgreSQL takes the row lock,
and if another transaction changed the row first it waits for it to end and re-evaluates the
WHERE clause on the new row version, so two withdrawals can never both pass on the same units;
the CHECK constraints are the last line. No SERIALIZABLE snapshot, so no serialization failures
to retry. Deadlocks are avoided by one lock order: idempotency key, hold row, lots by ascending
id, then the audit head (``record_event``) last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Table,
    Update,
    bindparam,
    exists,
    func,
    literal,
    null,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hetao.errors import NotFound
from hetao.ledger.declaration_models import (
    CentralisedLine,
    CentralisedPeriod,
    Declaration,
    DeclarationLine,
)
from hetao.ledger.models import QUANTITY, Hold, HoldStatus, Lot, LotParent, Movement
from hetao.registry.models import Affiliation

ZERO = Decimal("0.000")


def _q(quantity: Decimal) -> ColumnElement[Decimal]:
    # Typed, so SQLite binds the same integer thousandths the column stores.
    return literal(quantity, QUANTITY)


# --- loading ----------------------------------------------------------------------------------


def get_lot(session: Session, lot_id: int) -> Lot:
    """One lot by id, or NotFound."""
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise NotFound(f"lot {lot_id} does not exist")
    return lot


def get_movement(session: Session, movement_id: int) -> Movement:
    """One movement by id, or NotFound."""
    movement = session.get(Movement, movement_id)
    if movement is None:
        raise NotFound(f"movement {movement_id} does not exist")
    return movement


def get_hold(session: Session, hold_id: int) -> Hold:
    """One hold by id, or NotFound."""
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFound(f"hold {hold_id} does not exist")
    return hold


def lock_hold(session: Session, hold: Hold) -> Hold:
    """Lock the hold's row until commit and re-read it (another transaction may have moved it)."""
    return session.scalars(
        select(Hold)
        .where(Hold.id == hold.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def lock_movement(session: Session, movement: Movement) -> None:
    """Lock a movement's row until commit (no column changes: reversals queue on it)."""
    session.execute(select(Movement.id).where(Movement.id == movement.id).with_for_update())


def lock_key(session: Session, *, party_id: int, key: str) -> None:
    """Make concurrent requests with one key wait for each other (PostgreSQL advisory lock)."""
    # SQLite needs nothing: BEGIN IMMEDIATE already serialises every writing transaction.
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"ledger\0{party_id}\0{key}".encode()).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:lock)"),
        {"lock": int.from_bytes(digest[:8], "big", signed=True)},
    )


def movement_by_key(session: Session, *, party_id: int, key: str) -> Movement | None:
    """The movement a party's client key created, if any."""
    return session.scalars(
        select(Movement).where(Movement.party_id == party_id, Movement.idempotency_key == key)
    ).first()


def hold_by_key(session: Session, *, party_id: int, key: str) -> Hold | None:
    """The hold a party's client key created, if any."""
    return session.scalars(
        select(Hold).where(Hold.party_id == party_id, Hold.idempotency_key == key)
    ).first()


def correlated(session: Session, correlation_key: str) -> list[Movement]:
    """Every leg of one request, in the order they were written."""
    return list(
        session.scalars(
            select(Movement)
            .where(Movement.correlation_key == correlation_key)
            .order_by(Movement.id)
        )
    )


def reversal_of(session: Session, movement_id: int) -> Movement | None:
    """The reversal pointing at a movement, if it was reversed."""
    return session.scalars(select(Movement).where(Movement.reverses_id == movement_id)).first()


def parents_of(session: Session, lot_id: int) -> list[LotParent]:
    """The input lots of an R&D product lot."""
    return list(
        session.scalars(
            select(LotParent)
            .where(LotParent.product_lot_id == lot_id)
            .order_by(LotParent.input_lot_id)
        )
    )


def expired_holds(session: Session, *, now: dt.datetime) -> list[Hold]:
    """Pending holds whose time ran out, locked in id order (the one lock order)."""
    return list(
        session.scalars(
            select(Hold)
            .where(Hold.status == HoldStatus.PENDING, Hold.expires_at <= now)
            .order_by(Hold.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


# --- balances: the conditional updates ---------------------------------------------------------


def _apply(session: Session, lot: Lot, statement: Update) -> bool:
    row = session.execute(
        statement.returning(Lot.balance, Lot.reserved).execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return False
    # The database computed the new figures; the loaded object shows them without a re-read.
    set_committed_value(lot, "balance", row.balance)
    set_committed_value(lot, "reserved", row.reserved)
    return True


def withdraw(session: Session, lot: Lot, quantity: Decimal) -> bool:
    """Take ``quantity`` out if that much is available (not reserved); False if not."""
    q = _q(quantity)
    return _apply(
        session,
        lot,
        update(Lot)
        .where(Lot.id == lot.id, Lot.balance - Lot.reserved >= q)
        .values(balance=Lot.balance - q),
    )


def deposit(session: Session, lot: Lot, quantity: Decimal) -> None:
    """Add ``quantity`` to the lot."""
    q = _q(quantity)
    if not _apply(
        session, lot, update(Lot).where(Lot.id == lot.id).values(balance=Lot.balance + q)
    ):
        raise NotFound(f"lot {lot.id} does not exist")


def reserve(session: Session, lot: Lot, quantity: Decimal) -> bool:
    """Reserve ``quantity`` if that much is available; False if not."""
    q = _q(quantity)
    return _apply(
        session,
        lot,
        update(Lot)
        .where(Lot.id == lot.id, Lot.balance - Lot.reserved >= q)
        .values(reserved=Lot.reserved + q),
    )


def unreserve(session: Session, lot: Lot, quantity: Decimal) -> bool:
    """Give a reservation back to the available balance."""
    q = _q(quantity)
    return _apply(
        session,
        lot,
        update(Lot).where(Lot.id == lot.id, Lot.reserved >= q).values(reserved=Lot.reserved - q),
    )


def settle(session: Session, lot: Lot, quantity: Decimal) -> bool:
    """Turn a reservation into a withdrawal: balance and reserved both fall by ``quantity``."""
    q = _q(quantity)
    return _apply(
        session,
        lot,
        update(Lot)
        .where(Lot.id == lot.id, Lot.reserved >= q)
        .values(balance=Lot.balance - q, reserved=Lot.reserved - q),
    )


def current_amounts(session: Session, lot_id: int) -> tuple[Decimal, Decimal]:
    """The lot's (balance, reserved) as the database has them now, not as loaded."""
    row = session.execute(select(Lot.balance, Lot.reserved).where(Lot.id == lot_id)).first()
    if row is None:
        raise NotFound(f"lot {lot_id} does not exist")
    return row.balance, row.reserved


# --- balances: proofs and history ------------------------------------------------------------


def balance(session: Session, lot_id: int) -> Decimal:
    """The stored balance: one primary-key lookup, however long the history."""
    value = session.scalar(select(Lot.balance).where(Lot.id == lot_id))
    if value is None:
        raise NotFound(f"lot {lot_id} does not exist")
    return value


def balance_from_movements(session: Session, lot_id: int) -> Decimal:
    """The sum of the lot's movements: what the stored balance must always equal."""
    total = session.scalar(
        select(func.coalesce(func.sum(Movement.quantity), _q(ZERO))).where(
            Movement.lot_id == lot_id
        )
    )
    return total if total is not None else ZERO


def balance_at(session: Session, lot_id: int, at: dt.datetime) -> Decimal:
    """The lot's balance just after instant ``at`` (movements recorded up to and including it)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Movement.quantity), _q(ZERO))).where(
            Movement.lot_id == lot_id, Movement.created_at <= at
        )
    )
    return total if total is not None else ZERO


def balance_as_of(session: Session, lot_id: int, on: dt.date, *, timezone: str) -> Decimal:
    """The lot's closing balance on local day ``on`` of the zone (19 CFR 146.23)."""
    next_midnight = dt.datetime.combine(on + dt.timedelta(days=1), dt.time(), ZoneInfo(timezone))
    total = session.scalar(
        select(func.coalesce(func.sum(Movement.quantity), _q(ZERO))).where(
            Movement.lot_id == lot_id, Movement.created_at < next_midnight
        )
    )
    return total if total is not None else ZERO


def lots_of(session: Session, party_id: int) -> Sequence[Lot]:
    """A party's lots, oldest first."""
    return session.scalars(select(Lot).where(Lot.party_id == party_id).order_by(Lot.id)).all()


# --- R10: centralised declaration periods ------------------------------------------------------


def get_centralised_period(
    session: Session, period_id: int, *, for_update: bool = False
) -> CentralisedPeriod:
    """One centralised declaration period by id, or NotFound."""
    found = session.get(CentralisedPeriod, period_id, with_for_update=for_update)
    if found is None:
        raise NotFound(f"centralised period {period_id} does not exist")
    return found


def overlapping_period(
    session: Session, *, party_id: int, starts_on: dt.date, ends_on: dt.date
) -> CentralisedPeriod | None:
    """A period of the party sharing a day with [starts_on, ends_on], if any."""
    stmt = select(CentralisedPeriod).where(
        CentralisedPeriod.party_id == party_id,
        CentralisedPeriod.starts_on <= ends_on,
        CentralisedPeriod.ends_on >= starts_on,
    )
    return session.scalars(stmt.order_by(CentralisedPeriod.id)).first()


def next_centralised_line_no(session: Session, period_id: int) -> int:
    """The number the next line of a period takes (1-based)."""
    last = session.scalar(
        select(func.max(CentralisedLine.line_no)).where(CentralisedLine.period_id == period_id)
    )
    return (last or 0) + 1


# --- read by the gate and the inspections (hetao.crossing, hetao.inspections) ---


def declaration_at_the_gate(
    session: Session,
    *,
    declaration_id: int | None,
    party_id: int | None,
    reference: str | None,
    carrier_id: int | None,
) -> tuple[Declaration, bool | None] | None:
    """The declaration named (by id, else party and reference), and whether the carrier (if
    known) is affiliated with its party: one query."""
    affiliated = (
        exists().where(
            Affiliation.person_id == carrier_id,
            Affiliation.party_id == Declaration.party_id,
        )
        if carrier_id is not None
        else null()
    )
    stmt = select(Declaration, affiliated)
    if declaration_id is not None:
        stmt = stmt.where(Declaration.id == declaration_id)
    else:
        stmt = stmt.where(Declaration.party_id == party_id, Declaration.reference == reference)
    row = session.execute(stmt).first()
    if row is None:
        return None
    return row[0], None if row[1] is None else bool(row[1])


_LINES = cast(Table, DeclarationLine.__table__)

# What a crossing carries is added only while the line has that much left.
_ADD_CROSSED = (
    update(_LINES)
    .where(
        _LINES.c.declaration_id == bindparam("declaration"),
        _LINES.c.line_no == bindparam("line"),
        _LINES.c.quantity_crossed + bindparam("carried", type_=QUANTITY) <= _LINES.c.quantity,
    )
    .values(quantity_crossed=_LINES.c.quantity_crossed + bindparam("carried", type_=QUANTITY))
)
_TAKE_BACK_CROSSED = (
    update(_LINES)
    .where(
        _LINES.c.declaration_id == bindparam("declaration"),
        _LINES.c.line_no == bindparam("line"),
    )
    .values(quantity_crossed=_LINES.c.quantity_crossed - bindparam("carried", type_=QUANTITY))
)


def quantities_crossed(
    session: Session, declaration_ids: Sequence[int]
) -> dict[tuple[int, int], Decimal]:
    """The quantity crossed of every line of the declarations, by (declaration id, line no)."""
    rows = session.execute(
        select(_LINES.c.declaration_id, _LINES.c.line_no, _LINES.c.quantity_crossed).where(
            _LINES.c.declaration_id.in_(declaration_ids)
        )
    )
    return {(declaration, line_no): quantity for declaration, line_no, quantity in rows}


def add_crossed(connection: Connection, params: dict[str, Any]) -> bool:
    """Add ``carried`` to a line's quantity crossed; False, adding nothing, past the declared."""
    return connection.execute(_ADD_CROSSED, params).rowcount == 1


def take_back_crossed(connection: Connection, params: dict[str, Any]) -> None:
    """Undo ``add_crossed`` with the same parameters."""
    connection.execute(_TAKE_BACK_CROSSED, params)


def line_lots(
    session: Session, declaration_ids: set[int]
) -> list[Row[int, int, int | None, int | None]]:
    """(declaration id, line number, lot drawn from, lot admitted as) of the declarations' lines."""
    rows = session.execute(
        select(
            DeclarationLine.declaration_id,
            DeclarationLine.line_no,
            DeclarationLine.lot_id,
            DeclarationLine.result_lot_id,
        ).where(DeclarationLine.declaration_id.in_(declaration_ids))
    )
    return list(rows)
