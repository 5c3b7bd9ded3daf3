"""Many movements in one transaction: a declaration's clearance, a stocktake, a bulk release.

The same invariants as one movement at a time, in a handful of statements whatever the count:
each item is checked as its verb checks it; the movements are one multi-row insert that skips
a (party, key) pair a movement already has, the unique index being the keys' lock (those
items are looked up after: a retry returns its first movement, the same key with other
arguments is a Conflict); each lot's balance moves once by the sum of its new items, by the
conditional update (the database refuses an overdraft); their audit record is one event: the
verb's for one movement, for many one ``ledger:movement:batch`` event with their ids and a
digest of their rows (``digest``). A refused item raises after the insert, which the caller's
unit of work rolls back with the rest: a batch is posted whole or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, NoReturn

from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from hetao import metrics
from hetao.audit.service import Actor, NewEvent, current_request_id, record_events
from hetao.audit.tags import LedgerTag
from hetao.errors import HetaoError, ValidationFailed, at_field, prefixed
from hetao.ledger import repository as repo
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import Lot, Movement, MovementKind
from hetao.ledger.service.checks import (
    REASON_MAX_LENGTH,
    check_key,
    check_quantity,
    check_reason,
    check_ref,
    check_required,
    hash_movement_request,
)
from hetao.ledger.service.digest import batch_event_data
from hetao.ledger.service.postings import new_correlation_key, reused_key
from hetao.storage.types import utcnow

#: The withdrawals that take goods out of one lot, each with its event; a hold is posted to one.
SINGLE_LOT_WITHDRAWALS: dict[MovementKind, LedgerTag] = {
    MovementKind.CONSUME: LedgerTag.MOVEMENT_CONSUME,
    MovementKind.RELEASE_SECOND_LINE: LedgerTag.MOVEMENT_RELEASE_SECOND_LINE,
    MovementKind.EXPORT_FIRST_LINE: LedgerTag.MOVEMENT_EXPORT_FIRST_LINE,
    MovementKind.DESTROY: LedgerTag.MOVEMENT_DESTROY,
}
#: What a batch may post: those withdrawals and stocktake adjustments (R31).
BATCH_KINDS: dict[MovementKind, LedgerTag] = {
    **SINGLE_LOT_WITHDRAWALS,
    MovementKind.ADJUST: LedgerTag.MOVEMENT_ADJUST,
}


@dataclass(frozen=True, slots=True)
class MovementOrder:
    """One movement asked of a batch: a withdrawal of ``kind``, or an adjustment (signed)."""

    lot: Lot
    kind: MovementKind
    quantity: Decimal
    idempotency_key: str
    declaration_ref: str | None = None
    reason: str | None = None


class CheckedOrder(NamedTuple):
    """An order whose values passed its verb's checks, with what makes it the same request
    (a NamedTuple: a batch makes thousands, and a frozen dataclass took three times as long)."""

    lot: Lot
    kind: MovementKind
    tag: LedgerTag
    key: str
    #: The lot's id and party, read once (an ORM attribute costs a lookup every time).
    lot_id: int
    party_id: int
    #: As asked: positive for a withdrawal, signed for an adjustment (what its event records).
    amount: Decimal
    #: What it adds to the lot: negative for a withdrawal.
    change: Decimal
    declaration_ref: str | None
    reason: str | None
    request_hash: str
    #: (party, key): what the key is unique within.
    key_pair: tuple[int, str]


def check_order(order: MovementOrder) -> CheckedOrder:
    """The order's values checked as its verb checks them (R28: destruction needs a reason)."""
    tag = BATCH_KINDS.get(order.kind)
    if tag is None:
        allowed = ", ".join(BATCH_KINDS)
        raise ValidationFailed.single("kind", "ledger.batch_kind", f"must be one of: {allowed}")
    key = check_key(order.idempotency_key)
    adjusting = order.kind is MovementKind.ADJUST
    amount = check_quantity(order.quantity, signed=adjusting)
    ref = check_ref(order.declaration_ref)
    if adjusting:
        why: str | None = check_required(
            order.reason or "", field="reason", max_length=REASON_MAX_LENGTH
        )
    else:
        why = check_reason(order.reason, required=order.kind is MovementKind.DESTROY)
    lot_id, party_id = order.lot.id, order.lot.party_id
    request_hash = hash_movement_request(
        order.kind.value, lot=lot_id, quantity=amount, declaration_ref=ref, reason=why
    )
    return CheckedOrder(
        lot=order.lot,
        kind=order.kind,
        tag=tag,
        key=key,
        lot_id=lot_id,
        party_id=party_id,
        amount=amount,
        change=amount if adjusting else -amount,
        declaration_ref=ref,
        reason=why,
        request_hash=request_hash,
        key_pair=(party_id, key),
    )


def balance_changes(items: Sequence[CheckedOrder]) -> dict[Lot, repo.BalanceChange]:
    """Per lot, what its items add up to and the lowest running total on the way: checking
    the lowest point, the batch holds exactly when its items one after another would."""
    changes: dict[Lot, repo.BalanceChange] = {}
    for item in items:
        net, lowest = changes.get(item.lot, _UNCHANGED)
        net += item.change
        changes[item.lot] = repo.BalanceChange(net, min(lowest, net))
    return {lot: change for lot, change in changes.items() if change != _UNCHANGED}


_UNCHANGED = repo.BalanceChange(Decimal(0), Decimal(0))


def first_overdraft(available: Decimal, changes: Sequence[Decimal]) -> tuple[int, Decimal]:
    """The index of the first change that takes ``available`` below zero, taken in order, and
    what was available just before it; a batch whose sum overdraws a lot always has one."""
    for index, change in enumerate(changes):
        if available + change < 0:
            return index, available
        available += change
    raise ValueError("no change overdraws the lot")


class Posted(NamedTuple):
    """What posting an order did: its movement's id, and the row written now (None when an
    earlier call with its key wrote the movement)."""

    movement_id: int
    row: dict[str, Any] | None


def post_movements(
    session: Session,
    orders: Sequence[MovementOrder],
    *,
    actor: Actor,
    fields: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Post every order or none; per order, its movement's id (the first one's for a retried
    key). Ids, not objects: building thousands of ORM objects cost more than writing them.

    An error names the item's field as ``items[2].quantity``, or with the prefix ``fields``
    gives for each order (a declaration's ``lines[2]``). ``now`` stamps the movements (default
    the present; the demo replays past days).
    """
    prefixes = list(fields) if fields is not None else [f"items[{i}]" for i in range(len(orders))]
    if len(prefixes) != len(orders):
        raise ValueError(f"{len(prefixes)} field names for {len(orders)} orders")
    posted = post_checked(session, orders, prefixes=prefixes, actor=actor, now=now)
    return [p.movement_id for p in posted]


def post_one(session: Session, order: MovementOrder, *, actor: Actor) -> Movement:
    """Post one order, its errors naming bare fields (a verb); its movement."""
    [posted] = post_checked(session, [order], prefixes=[None], actor=actor)
    if posted.row is None:
        return repo.get_movement(session, posted.movement_id)
    # The row just written, as a movement of the session as if loaded (nothing to flush).
    movement = Movement(id=posted.movement_id, **posted.row)
    make_transient_to_detached(movement)
    session.add(movement)
    set_committed_value(movement, "lot", order.lot)
    return movement


def _at(prefix: str | None) -> AbstractContextManager[None]:
    return at_field(prefix) if prefix else nullcontext()


def post_checked(
    session: Session,
    orders: Sequence[MovementOrder],
    *,
    prefixes: Sequence[str | None],
    actor: Actor,
    now: dt.datetime | None = None,
) -> list[Posted]:
    """``post_movements`` with a field prefix per order; None names its fields bare."""
    checked: list[CheckedOrder] = []
    first_with: dict[tuple[int, str], str | None] = {}
    prefix: str | None = None
    try:  # one handler for the loop: a context manager per order cost more than its check
        for prefix, order in zip(prefixes, orders, strict=True):
            item = check_order(order)
            if item.key_pair in first_with:
                raise ValidationFailed.single(
                    "idempotency_key",
                    "idempotency.once_per_batch",
                    f"is also the key of {first_with[item.key_pair]}",
                )
            first_with[item.key_pair] = prefix
            checked.append(item)
    except HetaoError as error:
        if prefix:
            error.problems = prefixed(error.problems, prefix)
        raise
    at, who = now or utcnow(), str(actor)
    rows = [_row(item, at, who) for item in checked]
    # The insert claims the keys (lock order: keys, lots ascending, the audit head).
    ids = repo.insert_new_movements(session, rows)
    earlier = _earlier_movements(session, checked, prefixes, ids) if len(ids) < len(rows) else {}
    fresh = [
        (prefix, item, row)
        for prefix, item, row in zip(prefixes, checked, rows, strict=True)
        if item.key_pair in ids
    ]
    _write(session, fresh, ids, actor=actor)
    return [
        Posted(ids[item.key_pair], row)
        if item.key_pair in ids
        else Posted(earlier[item.key_pair], None)
        for item, row in zip(checked, rows, strict=True)
    ]


def _row(item: CheckedOrder, now: dt.datetime, actor: str) -> dict[str, Any]:
    """The movement row of an order: every column but the id."""
    return {
        "lot_id": item.lot_id,
        "party_id": item.party_id,
        "kind": item.kind,
        "quantity": item.change,
        "idempotency_key": item.key,
        "request_hash": item.request_hash,
        "correlation_key": new_correlation_key(),
        "reverses_id": None,
        "declaration_ref": item.declaration_ref,
        "reason": item.reason,
        "actor": actor,
        "created_at": now,
    }


def _earlier_movements(
    session: Session,
    checked: Sequence[CheckedOrder],
    prefixes: Sequence[str | None],
    ids: Mapping[tuple[int, str], int],
) -> dict[tuple[int, str], int]:
    """For the orders whose key a movement already had, that movement's id: a retry of the
    same request returns it; the key with other arguments is a Conflict."""
    uses = repo.key_uses(session, [item.key_pair for item in checked if item.key_pair not in ids])
    for prefix, item in zip(prefixes, checked, strict=True):
        use = uses.get(item.key_pair)
        if use is not None and use.request_hash != item.request_hash:
            with _at(prefix):
                raise reused_key(item.key, item.party_id, f"movement {use.id}")
    return {pair: use.id for pair, use in uses.items()}


def _write(
    session: Session,
    items: Sequence[tuple[str | None, CheckedOrder, dict[str, Any]]],
    ids: Mapping[tuple[int, str], int],
    *,
    actor: Actor,
) -> None:
    """Move the lots' balances by the new movements, and append their audit event."""
    if not items:
        return
    short = repo.change_balances(session, balance_changes([item for _, item, _ in items]))
    if short:  # the unit of work rolls back the movements inserted with the rest
        refuse_overdraft(session, short[0], [(prefix, item) for prefix, item, _ in items])
    new_ids = [ids[item.key_pair] for _, item, _ in items]
    record_events(session, [_audit_event(items, new_ids, actor)])
    metrics.count_on_commit(session, metrics.LEDGER_MOVEMENTS, len(items))


def _audit_event(
    items: Sequence[tuple[str | None, CheckedOrder, dict[str, Any]]],
    ids: Sequence[int],
    actor: Actor,
) -> NewEvent:
    """One movement's event as its verb records it; for many, one event with their ids and the
    digest of their rows, which ``hetao audit verify`` recomputes (service.digest, ADR 0015)."""
    if len(items) > 1:
        rows = [row for _, _, row in items]
        tag, data = LedgerTag.MOVEMENT_BATCH, batch_event_data(ids, rows)
    else:
        [(_, item, _)] = items
        tag, data = item.tag, _event_data(item)
    return NewEvent(tag, tag.subject, ids[0], actor, data, current_request_id.get())


def _event_data(item: CheckedOrder) -> dict[str, object]:
    """The event's data: the verb's, absent values left out, the quantity as its string."""
    data: dict[str, object] = {
        "lot": item.lot_id,
        "party": item.party_id,
        "quantity": str(item.amount),
        "idempotency_key": item.key,
    }
    if item.declaration_ref is not None:
        data["declaration_ref"] = item.declaration_ref
    if item.reason is not None:
        data["reason"] = item.reason
    return data


def refuse_overdraft(
    session: Session, lot: Lot, items: Sequence[tuple[str | None, CheckedOrder]]
) -> NoReturn:
    """The refusal of the first item that takes ``lot`` below what it has available now."""
    balance, reserved = repo.current_amounts(session, lot.id)
    on_lot = [(prefix, item) for prefix, item in items if item.lot is lot]
    index, available = first_overdraft(balance - reserved, [item.change for _, item in on_lot])
    prefix, item = on_lot[index]
    with _at(prefix):
        raise InsufficientBalance(lot_id=lot.id, asked=-item.change, available=available)
