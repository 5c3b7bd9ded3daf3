"""Movements of goods out of and between lots: withdrawals, stocktake adjustments, reversals.

Each verb is idempotent by the client's key and records an audit event in the same transaction:
withdrawals and adjustments are batches of one (``batches``), reversals write through
``postings``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import LedgerTag
from hetao.errors import Conflict, FieldProblem, RuleViolation
from hetao.ledger import repository as repo
from hetao.ledger.models import Lot, Movement, MovementKind
from hetao.ledger.service.batches import (
    SINGLE_LOT_WITHDRAWALS,
    MovementOrder,
    post_one,
)
from hetao.ledger.service.checks import (
    DERIVED_KEY_MARK,
    REASON_MAX_LENGTH,
    check_key,
    check_ref,
    check_required,
    hash_request,
)
from hetao.ledger.service.postings import (
    first_movement,
    new_correlation_key,
    new_movement,
    take,
)
from hetao.workflow import audit_present

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
    if kind not in SINGLE_LOT_WITHDRAWALS:
        raise ValueError(f"{kind} is not a withdrawal from one lot")
    order = MovementOrder(lot, kind, quantity, idempotency_key, declaration_ref, reason)
    # A batch of one: the batch path is also the fewest statements for one movement.
    return post_one(session, order, actor=actor)


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
    order = MovementOrder(
        lot, MovementKind.ADJUST, quantity, idempotency_key, declaration_ref, reason
    )
    return post_one(session, order, actor=actor)


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
    audit_present(
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
