"""Movements of goods out of and between lots: withdrawals, stocktake adjustments, reversals.

Every movement carries the client's idempotency key: calling a verb again with the same (party,
key) returns the first result and writes nothing; the same key with other arguments is a
Conflict. Withdrawals are conditional updates in the database (``repository.withdraw``; see that
module for why READ COMMITTED is enough). Every change records an audit event in the same
transaction.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import LedgerTag
from hetao.errors import Conflict, FieldProblem, RuleViolation
from hetao.ledger import repository as repo
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import Lot, Movement, MovementKind
from hetao.ledger.service.checks import (
    DERIVED_KEY_MARK,
    REASON_MAX_LENGTH,
    check_key,
    check_quantity,
    check_reason,
    check_ref,
    check_required,
    hash_request,
)
from hetao.workflow import audit

#: The withdrawals that take goods out of one lot, each with its event; a hold is posted to one.
SINGLE_LOT_WITHDRAWALS: dict[MovementKind, LedgerTag] = {
    MovementKind.CONSUME: LedgerTag.MOVEMENT_CONSUME,
    MovementKind.RELEASE_SECOND_LINE: LedgerTag.MOVEMENT_RELEASE_SECOND_LINE,
    MovementKind.EXPORT_FIRST_LINE: LedgerTag.MOVEMENT_EXPORT_FIRST_LINE,
    MovementKind.DESTROY: LedgerTag.MOVEMENT_DESTROY,
}


# --- idempotency -------------------------------------------------------------------------------


def first_movement(
    session: Session, *, party_id: int, key: str, request_hash: str
) -> Movement | None:
    """The movement an earlier call with this key wrote, or None; other arguments: Conflict."""
    repo.lock_key(session, party_id=party_id, key=key)
    first = repo.movement_by_key(session, party_id=party_id, key=key)
    if first is not None and first.request_hash != request_hash:
        raise reused_key(key, party_id, f"movement {first.id}")
    return first


def reused_key(key: str, party_id: int, what: str) -> Conflict:
    return Conflict(
        f"idempotency key {key!r} of party {party_id} was used with other arguments ({what})",
        problems=[
            FieldProblem(
                "idempotency_key", "idempotency.same_arguments", "was used with other arguments"
            )
        ],
    )


def new_correlation_key() -> str:
    return uuid.uuid4().hex


# --- writing -------------------------------------------------------------------------------------


def new_movement(
    session: Session,
    lot: Lot,
    *,
    kind: MovementKind,
    quantity: Decimal,
    key: str,
    request_hash: str,
    correlation_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
    reverses: Movement | None = None,
) -> Movement:
    movement = Movement(
        lot=lot,
        party_id=lot.party_id,
        kind=kind,
        quantity=quantity,
        idempotency_key=key,
        request_hash=request_hash,
        correlation_key=correlation_key,
        reverses_id=reverses.id if reverses is not None else None,
        declaration_ref=declaration_ref,
        reason=reason,
        actor=str(actor),
    )
    session.add(movement)
    return movement


def short_of(session: Session, lot: Lot, asked: Decimal) -> InsufficientBalance:
    """The refusal of ``asked``, with what the lot has available now in the database."""
    balance, reserved = repo.current_amounts(session, lot.id)
    return InsufficientBalance(lot_id=lot.id, asked=asked, available=balance - reserved)


def take(session: Session, lot: Lot, quantity: Decimal) -> None:
    """Withdraw in the database, or raise InsufficientBalance with what is available now."""
    if not repo.withdraw(session, lot, quantity):
        raise short_of(session, lot, quantity)


def audit_given(
    session: Session, tag: LedgerTag, subject_id: int, actor: Actor, **data: Any
) -> None:
    """``workflow.audit`` without the fields a call left empty: ledger events never carry them."""
    audit(session, tag, subject_id, actor, **{k: v for k, v in data.items() if v is not None})


# --- withdrawals from one lot --------------------------------------------------------------------


def withdraw(
    session: Session,
    lot: Lot,
    *,
    kind: MovementKind,
    quantity: Decimal,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
) -> Movement:
    """Take goods out of one lot as ``kind`` (consume, release, export, destroy: see below)."""
    tag = SINGLE_LOT_WITHDRAWALS[kind]
    key = check_key(idempotency_key)
    amount = check_quantity(quantity)
    ref = check_ref(declaration_ref)
    why = check_reason(reason, required=kind is MovementKind.DESTROY)
    request_hash = hash_request(
        kind.value, lot=lot.id, quantity=amount, declaration_ref=ref, reason=why
    )
    first = first_movement(session, party_id=lot.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return first
    take(session, lot, amount)
    movement = new_movement(
        session,
        lot,
        kind=kind,
        quantity=-amount,
        key=key,
        request_hash=request_hash,
        correlation_key=new_correlation_key(),
        declaration_ref=ref,
        reason=why,
        actor=actor,
    )
    session.flush()  # the id for the audit event
    audit_given(
        session,
        tag,
        movement.id,
        actor,
        lot=lot.id,
        party=lot.party_id,
        quantity=amount,
        declaration_ref=ref,
        reason=why,
        idempotency_key=key,
    )
    return movement


#: Goods used up in research without forming an R&D product (R5).
consume = partial(withdraw, kind=MovementKind.CONSUME)
#: Goods leaving for the mainland through the second line (R7: taxed as imports).
release_second_line = partial(withdraw, kind=MovementKind.RELEASE_SECOND_LINE)
#: Goods leaving for Hong Kong through the first line.
export_first_line = partial(withdraw, kind=MovementKind.EXPORT_FIRST_LINE)
#: Goods destroyed under supervision; the reason is required (R28).
destroy = partial(withdraw, kind=MovementKind.DESTROY)


def adjust(
    session: Session,
    lot: Lot,
    *,
    quantity: Decimal,
    reason: str,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
) -> Movement:
    """Record a stocktake difference: positive for an overage, negative for a shortage (R31)."""
    key = check_key(idempotency_key)
    amount = check_quantity(quantity, signed=True)
    why = check_required(reason, field="reason", max_length=REASON_MAX_LENGTH)
    ref = check_ref(declaration_ref)
    request_hash = hash_request(
        "adjust", lot=lot.id, quantity=amount, declaration_ref=ref, reason=why
    )
    first = first_movement(session, party_id=lot.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return first
    if amount < 0:
        take(session, lot, -amount)
    else:
        repo.deposit(session, lot, amount)
    movement = new_movement(
        session,
        lot,
        kind=MovementKind.ADJUST,
        quantity=amount,
        key=key,
        request_hash=request_hash,
        correlation_key=new_correlation_key(),
        declaration_ref=ref,
        reason=why,
        actor=actor,
    )
    session.flush()  # the id for the audit event
    audit_given(
        session,
        LedgerTag.MOVEMENT_ADJUST,
        movement.id,
        actor,
        lot=lot.id,
        party=lot.party_id,
        quantity=amount,
        reason=why,
        declaration_ref=ref,
        idempotency_key=key,
    )
    return movement


# --- reversal -------------------------------------------------------------------------------------


def reverse(
    session: Session,
    movement: Movement,
    *,
    reason: str,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
) -> tuple[Movement, ...]:
    """Undo a movement and every leg sharing its correlation key; returns the reversals in order."""
    key = check_key(idempotency_key)
    why = check_required(reason, field="reason", max_length=REASON_MAX_LENGTH)
    ref = check_ref(declaration_ref)
    request_hash = hash_request("reverse", movement=movement.id, reason=why, declaration_ref=ref)
    first = first_movement(session, party_id=movement.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return tuple(repo.correlated(session, first.correlation_key))
    if movement.kind is MovementKind.REVERSAL:
        raise RuleViolation(
            f"movement {movement.id} is a reversal; record the original movement again instead",
            problems=[FieldProblem("movement", "ledger.reverse_a_reversal", "is a reversal")],
        )
    legs = repo.correlated(session, movement.correlation_key)
    for leg in legs:
        repo.lock_movement(session, leg)
    for leg in legs:
        done = repo.reversal_of(session, leg.id)
        if done is not None:
            raise Conflict(
                f"movement {leg.id} was already reversed by movement {done.id}",
                problems=[FieldProblem("movement", "ledger.reversed_once", "is already reversed")],
            )
    # Ascending lot ids: the one lock order (see repository).
    for leg in sorted(legs, key=lambda m: m.lot_id):
        if leg.quantity > 0:
            take(session, leg.lot, leg.quantity)
        else:
            repo.deposit(session, leg.lot, -leg.quantity)
    correlation = new_correlation_key()
    reversals = [
        new_movement(
            session,
            leg.lot,
            kind=MovementKind.REVERSAL,
            quantity=-leg.quantity,
            key=key if leg.id == movement.id else f"{correlation}{DERIVED_KEY_MARK}rev-{leg.id}",
            request_hash=request_hash,
            correlation_key=correlation,
            declaration_ref=ref,
            reason=why,
            reverses=leg,
            actor=actor,
        )
        for leg in legs
    ]
    session.flush()  # ids for the audit event
    primary = next(r for r in reversals if r.reverses_id == movement.id)
    audit_given(
        session,
        LedgerTag.MOVEMENT_REVERSE,
        primary.id,
        actor,
        reverses=[leg.id for leg in legs],
        reversals=[r.id for r in reversals],
        lots=[leg.lot_id for leg in legs],
        quantities=[r.quantity for r in reversals],
        reason=why,
        declaration_ref=ref,
        idempotency_key=key,
        correlation_key=correlation,
    )
    return tuple(reversals)
