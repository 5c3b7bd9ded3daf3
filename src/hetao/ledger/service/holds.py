"""Holds: goods reserved while they await inspection, then posted to a movement or voided."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import LedgerTag
from hetao.errors import FieldProblem, RuleViolation, ValidationFailed
from hetao.ledger import repository as repo
from hetao.ledger.models import Hold, HoldStatus, Lot, Movement, MovementKind
from hetao.ledger.service.batches import SINGLE_LOT_WITHDRAWALS
from hetao.ledger.service.checks import (
    check_instant,
    check_key,
    check_quantity,
    check_reason,
    check_ref,
    hash_request,
)
from hetao.ledger.service.postings import (
    first_movement,
    new_correlation_key,
    new_movement,
    reused_key,
    short_of,
)
from hetao.storage.types import utcnow
from hetao.workflow import Workflow, audit_present

#: The kinds a hold may be posted to: the outcomes of an inspection of goods leaving a lot.
POSTABLE_KINDS = frozenset(SINGLE_LOT_WITHDRAWALS)
#: A pending hold is posted to a movement or voided; either ends it.
HOLD_MOVES: Workflow[HoldStatus] = Workflow(
    "hold",
    {
        "post": ({HoldStatus.PENDING}, HoldStatus.POSTED),
        "void": ({HoldStatus.PENDING}, HoldStatus.VOIDED),
    },
)


def hold(
    session: Session,
    lot: Lot,
    *,
    quantity: Decimal,
    expires_at: dt.datetime,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> Hold:
    """Reserve goods awaiting inspection until ``expires_at``; nothing else may withdraw them."""
    key = check_key(idempotency_key)
    amount = check_quantity(quantity)
    until = check_instant(expires_at, field="expires_at")
    ref = check_ref(declaration_ref)
    why = check_reason(reason)
    request_hash = hash_request(
        "hold", lot=lot.id, quantity=amount, expires_at=until, declaration_ref=ref, reason=why
    )
    repo.lock_key(session, party_id=lot.party_id, key=key)
    first = repo.hold_by_key(session, party_id=lot.party_id, key=key)
    if first is not None:
        if first.request_hash != request_hash:
            raise reused_key(key, lot.party_id, f"hold {first.id}")
        return first
    if until <= (now or utcnow()):
        raise ValidationFailed.single(
            "expires_at", "hold.expires_in_future", "is not in the future"
        )
    if not repo.reserve(session, lot, amount):
        raise short_of(session, lot, amount)
    placed = Hold(
        lot=lot,
        party_id=lot.party_id,
        quantity=amount,
        status=HoldStatus.PENDING,
        expires_at=until,
        idempotency_key=key,
        request_hash=request_hash,
        declaration_ref=ref,
        reason=why,
        actor=str(actor),
    )
    session.add(placed)
    session.flush()  # the id for the audit event
    audit_present(
        session,
        LedgerTag.HOLD_PLACE,
        placed.id,
        actor,
        lot=lot.id,
        party=lot.party_id,
        quantity=amount,
        expires_at=until,
        declaration_ref=ref,
        idempotency_key=key,
    )
    return placed


def post(
    session: Session,
    pending: Hold,
    *,
    kind: MovementKind,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> Movement:
    """Turn a pending hold into a movement of ``kind`` (the goods leave as inspected)."""
    key = check_key(idempotency_key)
    if kind not in POSTABLE_KINDS:
        allowed = ", ".join(sorted(POSTABLE_KINDS))
        raise ValidationFailed.single("kind", "hold.postable_kind", f"must be one of: {allowed}")
    ref = check_ref(declaration_ref)
    why = check_reason(reason, required=kind is MovementKind.DESTROY)
    request_hash = hash_request(
        "post", hold=pending.id, kind=kind.value, declaration_ref=ref, reason=why
    )
    first = first_movement(session, party_id=pending.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return first
    current = repo.lock_hold(session, pending)
    HOLD_MOVES.check(current, "post")
    instant = now or utcnow()
    if current.expires_at <= instant:
        raise RuleViolation(
            f"hold {current.id} expired at {current.expires_at.isoformat()}; it is voided, "
            "not posted",
            problems=[FieldProblem("hold", "hold.expired", "has expired")],
        )
    lot = current.lot
    if not repo.settle(session, lot, current.quantity):
        raise RuntimeError(f"lot {lot.id} reserves less than its hold {current.id}")
    movement = new_movement(
        session,
        lot,
        kind=kind,
        quantity=-current.quantity,
        key=key,
        request_hash=request_hash,
        correlation_key=new_correlation_key(),
        declaration_ref=ref or current.declaration_ref,
        reason=why,
        actor=actor,
    )
    session.flush()  # the movement's id, which the hold records
    HOLD_MOVES.move(current, "post")
    current.movement_id = movement.id
    current.resolved_at = instant
    audit_present(
        session,
        LedgerTag.HOLD_POST,
        current.id,
        actor,
        lot=lot.id,
        movement=movement.id,
        kind=kind.value,
        quantity=current.quantity,
        idempotency_key=key,
    )
    return movement


def _void(session: Session, current: Hold, *, instant: dt.datetime) -> None:
    if not repo.unreserve(session, current.lot, current.quantity):
        raise RuntimeError(f"lot {current.lot_id} reserves less than its hold {current.id}")
    HOLD_MOVES.move(current, "void")
    current.resolved_at = instant


def void(
    session: Session,
    pending: Hold,
    *,
    actor: Actor,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> Hold:
    """Release a hold without a movement; voiding a voided hold again changes nothing."""
    why = check_reason(reason)
    current = repo.lock_hold(session, pending)
    if current.status is HoldStatus.VOIDED:
        return current
    HOLD_MOVES.check(current, "void")
    _void(session, current, instant=now or utcnow())
    audit_present(
        session,
        LedgerTag.HOLD_VOID,
        current.id,
        actor,
        lot=current.lot_id,
        quantity=current.quantity,
        reason=why,
    )
    return current


def void_expired(session: Session, *, now: dt.datetime, actor: Actor) -> list[Hold]:
    """Void every pending hold whose time ran out by ``now``; returns them."""
    expired = repo.expired_holds(session, now=check_instant(now, field="now"))
    # Lots in ascending id order: the one lock order (see repository).
    for current in sorted(expired, key=lambda h: (h.lot_id, h.id)):
        _void(session, current, instant=now)
    for current in expired:
        audit_present(
            session,
            LedgerTag.HOLD_VOID,
            current.id,
            actor,
            lot=current.lot_id,
            quantity=current.quantity,
            reason="expired",
            expired_at=current.expires_at,
        )
    return expired
