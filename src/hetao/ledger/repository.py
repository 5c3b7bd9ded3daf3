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
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    Table,
    Update,
    bindparam,
    column,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hetao.errors import NotFound
from hetao.ledger.models import (
    QUANTITY,
    CustomsStatus,
    Hold,
    HoldStatus,
    Lot,
    LotParent,
    Movement,
    MovementKind,
)
from hetao.storage import lookup
from hetao.storage.driver import DriverInsert, DriverQuery, DriverReturning
from hetao.storage.locks import advisory_lock
from hetao.storage.pagination import PageOf, paginate

ZERO = Decimal("0.000")


def _q(quantity: Decimal) -> ColumnElement[Decimal]:
    # Typed, so SQLite binds the same integer thousandths the column stores.
    return literal(quantity, QUANTITY)


# --- loading ----------------------------------------------------------------------------------


def get_lot(session: Session, lot_id: int) -> Lot:
    """One lot by id, or NotFound."""
    return lookup.get(session, Lot, lot_id)


def find_lot(session: Session, lot_id: int | None) -> Lot | None:
    """One lot by id, or None (also for no id)."""
    return session.get(Lot, lot_id) if lot_id is not None else None


def get_movement(session: Session, movement_id: int) -> Movement:
    """One movement by id, or NotFound."""
    return lookup.get(session, Movement, movement_id)


def get_hold(session: Session, hold_id: int) -> Hold:
    """One hold by id, or NotFound."""
    return lookup.get(session, Hold, hold_id)


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
    """Make concurrent requests with one key wait for each other (PostgreSQL advisory lock).

    For the verbs that look a key up before they write. A batch claims its keys by its insert
    instead (``insert_new_movements``): a lock per key ran a batch of tens of thousands out of
    PostgreSQL's lock table ("out of shared memory").
    """
    advisory_lock(session, "ledger-key", party_id, key)


def movement_by_key(session: Session, *, party_id: int, key: str) -> Movement | None:
    """The movement a party's client key created, if any."""
    return session.scalars(
        select(Movement).where(Movement.party_id == party_id, Movement.idempotency_key == key)
    ).first()


class KeyUse(NamedTuple):
    """The movement a (party, key) pair wrote, and the hash of the request that wrote it."""

    id: int
    party_id: int
    idempotency_key: str
    request_hash: str


def _key_uses_query(dialect_name: str) -> DriverQuery[KeyUse]:
    """One party's movements whose key is in the list ``keys``: a JSON array on SQLite, an
    array on PostgreSQL, so one compiled statement serves any number of keys."""
    if dialect_name == "postgresql":
        # One index probe a key (LATERAL): with `= ANY(:keys)` the planner, on statistics older
        # than a burst of writes, scanned every movement of the party for each batch.
        listed_keys = (
            func.unnest(bindparam("keys", type_=ARRAY(String)))
            .table_valued("key")
            .render_derived(name="k")
        )
        probe = (
            select(Movement.id, Movement.party_id, Movement.idempotency_key, Movement.request_hash)
            .where(
                Movement.party_id == bindparam("party_id"),
                Movement.idempotency_key == listed_keys.c.key,
            )
            .lateral("used")
        )
        return DriverQuery(
            select(probe.c.id, probe.c.party_id, probe.c.idempotency_key, probe.c.request_hash)
            .select_from(listed_keys)
            .join(probe, true()),
            KeyUse,
        )
    listed = Movement.idempotency_key.in_(
        select(column("value")).select_from(func.json_each(bindparam("keys", type_=String)))
    )
    return DriverQuery(
        select(
            Movement.id, Movement.party_id, Movement.idempotency_key, Movement.request_hash
        ).where(Movement.party_id == bindparam("party_id"), listed),
        KeyUse,
    )


_KEY_USES = {name: _key_uses_query(name) for name in ("postgresql", "sqlite")}


def key_uses(session: Session, keys: Collection[tuple[int, str]]) -> dict[tuple[int, str], KeyUse]:
    """The movements written under any of the (party, key) pairs, by pair (a query a party).

    No lock: for the pairs ``insert_new_movements`` skipped, whose rows were committed before
    it (it waits for a concurrent writer of a key) or written earlier in this transaction.
    """
    by_party: dict[int, list[str]] = defaultdict(list)
    for party_id, key in keys:
        by_party[party_id].append(key)
    connection = session.connection()
    query = _KEY_USES[connection.dialect.name]
    sqlite = connection.dialect.name == "sqlite"
    uses: dict[tuple[int, str], KeyUse] = {}
    for party_id, names in by_party.items():
        listed = json.dumps(names) if sqlite else names
        for use in query.all(connection, party_id=party_id, keys=listed):
            uses[use.party_id, use.idempotency_key] = use
    return uses


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


class LotAmounts(NamedTuple):
    """A lot's figures as a conditional update left them."""

    balance: Decimal
    reserved: Decimal


class BalanceChange(NamedTuple):
    """What a batch does to one lot: ``net`` added to its balance, after taking it as low as
    ``lowest`` (the most negative running total of the batch's items on it, or 0) on the way."""

    net: Decimal
    lowest: Decimal


_LOTS = cast(Table, Lot.__table__)
# Driver statements for batches of movements (``change_balances``, ``insert_new_movements``): the
# ORM's per-statement cost was most of a movement's time (docs/performance.md).
_CHANGE_BALANCE = DriverReturning(
    update(_LOTS)
    .where(
        _LOTS.c.id == bindparam("lot_id"),
        _LOTS.c.balance - _LOTS.c.reserved + bindparam("lowest", type_=QUANTITY) >= 0,
    )
    .values(balance=_LOTS.c.balance + bindparam("net", type_=QUANTITY))
    .returning(_LOTS.c.balance, _LOTS.c.reserved),
    LotAmounts,
)
#: A row whose (party, key) is taken is skipped: the unique index is the batch's key lock.
_INSERT_NEW_MOVEMENTS = DriverInsert(
    cast(Table, Movement.__table__), skip_conflicts_on=("party_id", "idempotency_key")
)


def change_balances(session: Session, changes: Mapping[Lot, BalanceChange]) -> list[Lot]:
    """Apply each lot's change where its available balance covers the lowest point on the way
    (the conditional update of ``withdraw``, one per lot, in one call to the driver, lots
    ascending: the one lock order); the lots that did not have enough."""
    lots = sorted(changes, key=lambda lot: lot.id)
    rows = _CHANGE_BALANCE.each(
        session.connection(),
        [
            {"lot_id": lot.id, "net": changes[lot].net, "lowest": changes[lot].lowest}
            for lot in lots
        ],
    )
    short = []
    for lot, row in zip(lots, rows, strict=True):
        if row is None:
            short.append(lot)
        else:  # the database computed the new figures; the loaded object shows them
            set_committed_value(lot, "balance", row.balance)
            set_committed_value(lot, "reserved", row.reserved)
    return short


def insert_new_movements(
    session: Session, rows: Sequence[Mapping[str, Any]]
) -> dict[tuple[int, str], int]:
    """Insert the movement rows (every column but the id) whose (party, key) no movement has
    yet, in multi-row statements; the new ids by (party, key). The rest are skipped.

    This is how a batch claims its keys: on PostgreSQL a row whose key a concurrent
    transaction has just written waits until that one ends, then is skipped if it committed.
    Rows keep their order, so ids follow a declaration's lines; two concurrent batches that
    share keys in another order can deadlock, and PostgreSQL ends one (answered 503, retry).
    """
    returned = _INSERT_NEW_MOVEMENTS.returning(
        session.connection(), rows, ("id", "party_id", "idempotency_key")
    )
    return {(party_id, key): movement_id for movement_id, party_id, key in returned}


#: The columns of a movement a batch's audit digest covers, in its order (service.digest).
DIGEST_COLUMNS = (
    "id",
    "lot_id",
    "party_id",
    "kind",
    "quantity",
    "idempotency_key",
    "request_hash",
    "correlation_key",
    "reverses_id",
    "declaration_ref",
    "reason",
    "actor",
    "created_at",
)
_DIGEST_SELECT = select(*(getattr(Movement, name) for name in DIGEST_COLUMNS))


def digest_rows(
    session: Session, ids: Sequence[int], *, chunk: int = 500
) -> dict[int, tuple[Any, ...]]:
    """The ``DIGEST_COLUMNS`` values of the movements among ``ids`` that exist, by id."""
    found: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        for row in session.execute(_DIGEST_SELECT.where(Movement.id.in_(part))):
            found[row[0]] = tuple(row)
    return found


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


def _movements_total(session: Session, *conditions: ColumnElement[bool]) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(Movement.quantity), _q(ZERO))).where(*conditions)
    )
    return total if total is not None else ZERO


def balance_from_movements(session: Session, lot_id: int) -> Decimal:
    """The sum of the lot's movements: what the stored balance must always equal."""
    return _movements_total(session, Movement.lot_id == lot_id)


def balance_at(session: Session, lot_id: int, at: dt.datetime) -> Decimal:
    """The lot's balance just after instant ``at`` (movements recorded up to and including it)."""
    return _movements_total(session, Movement.lot_id == lot_id, Movement.created_at <= at)


def balance_as_of(session: Session, lot_id: int, on: dt.date, *, timezone: str) -> Decimal:
    """The lot's closing balance on local day ``on`` of the zone (19 CFR 146.23)."""
    next_midnight = dt.datetime.combine(on + dt.timedelta(days=1), dt.time(), ZoneInfo(timezone))
    return _movements_total(session, Movement.lot_id == lot_id, Movement.created_at < next_midnight)


def lock_lots(session: Session, lot_ids: set[int]) -> None:
    """Lock lots ascending until commit, ahead of the audit head (PostgreSQL; SQLite needs none)."""
    if lot_ids and session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Lot.id).where(Lot.id.in_(sorted(lot_ids))).order_by(Lot.id).with_for_update()
        )


def lots_of(session: Session, party_id: int) -> Sequence[Lot]:
    """A party's lots, oldest first."""
    return session.scalars(select(Lot).where(Lot.party_id == party_id).order_by(Lot.id)).all()


def lots_by_id(session: Session, lot_ids: Iterable[int]) -> dict[int, Lot]:
    """The lots named, by id."""
    return {lot.id: lot for lot in session.scalars(select(Lot).where(Lot.id.in_(sorted(lot_ids))))}


def page_lots(
    session: Session,
    *,
    party_id: int | None,
    status: CustomsStatus | None,
    cursor: str | None,
    limit: int,
) -> PageOf[Lot]:
    """Lots in admission order, filtered by owner and customs status."""
    stmt = select(Lot)
    if party_id is not None:
        stmt = stmt.where(Lot.party_id == party_id)
    if status is not None:
        stmt = stmt.where(Lot.customs_status == status)
    return paginate(session, stmt, id_column=Lot.id, cursor=cursor, limit=limit)


def holds_of(session: Session, lot_id: int) -> Sequence[Hold]:
    """A lot's holds, newest first (pending, posted and voided alike)."""
    return session.scalars(select(Hold).where(Hold.lot_id == lot_id).order_by(Hold.id.desc())).all()


def page_movements(
    session: Session, lot_id: int, *, cursor: str | None, limit: int
) -> PageOf[Movement]:
    """A lot's movements, oldest first."""
    stmt = select(Movement).where(Movement.lot_id == lot_id)
    return paginate(session, stmt, id_column=Movement.id, cursor=cursor, limit=limit)


def sums_by_lot(
    session: Session, party_id: int, start: dt.datetime, end: dt.datetime
) -> dict[int, dict[tuple[bool, MovementKind], Decimal]]:
    """Per lot: the movements' sums by (recorded before ``start``, kind), up to ``end``."""
    prior = (Movement.created_at < start).label("prior")
    rows = session.execute(
        select(Movement.lot_id, Movement.kind, prior, func.sum(Movement.quantity))
        .where(Movement.party_id == party_id, Movement.created_at < end)
        .group_by(Movement.lot_id, Movement.kind, prior)
    )
    sums: dict[int, dict[tuple[bool, MovementKind], Decimal]] = defaultdict(dict)
    for lot_id, kind, was_prior, total in rows:
        sums[lot_id][bool(was_prior), MovementKind(kind)] = total
    return sums


def supervision_ending(
    session: Session, *, first_day: dt.date, last_day: dt.date, party_id: int | None
) -> Sequence[Lot]:
    """Lots holding goods whose supervision ends between the two days, soonest first."""
    stmt = select(Lot).where(
        Lot.supervision_ends_on >= first_day,
        Lot.supervision_ends_on <= last_day,
        Lot.balance > 0,
    )
    if party_id is not None:
        stmt = stmt.where(Lot.party_id == party_id)
    return session.scalars(stmt.order_by(Lot.supervision_ends_on, Lot.id)).all()
