"""How every ledger verb writes: idempotency by the client's key, movements, balances, events.

Every movement carries the client's idempotency key: calling a verb again with the same (party,
key) returns the first result and writes nothing; the same key with other arguments is a
Conflict. Withdrawals are conditional updates in the database (``repository.withdraw``; see that
module for why READ COMMITTED is enough).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

from sqlalchemy.orm import Session

from hetao import metrics
from hetao.audit.service import Actor
from hetao.errors import Conflict, FieldProblem
from hetao.ledger import repository as repo
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import Lot, Movement, MovementKind
from hetao.storage.types import utcnow

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
    """32 random hex digits, as a UUID4's hex (os.urandom: a batch makes thousands)."""
    return os.urandom(16).hex()


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
    at: dt.datetime | None = None,
) -> Movement:
    """A movement of ``lot``, written ``at`` (now unless a caller replays a past day: the demo)."""
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
        created_at=at or utcnow(),
    )
    session.add(movement)
    metrics.count_on_commit(session, metrics.LEDGER_MOVEMENTS)
    return movement


def short_of(session: Session, lot: Lot, asked: Decimal) -> InsufficientBalance:
    """The refusal of ``asked``, with what the lot has available now in the database."""
    balance, reserved = repo.current_amounts(session, lot.id)
    return InsufficientBalance(lot_id=lot.id, asked=asked, available=balance - reserved)


def take(session: Session, lot: Lot, quantity: Decimal) -> None:
    """Withdraw in the database, or raise InsufficientBalance with what is available now."""
    if not repo.withdraw(session, lot, quantity):
        raise short_of(session, lot, quantity)
