"""Transaction-scoped named locks, for writers that must not both check-then-insert at once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

from hetao.storage.driver import DriverWrite

# The ids go in sorted and unnest keeps their order: two batches naming shared locks take them
# in one order, so they queue instead of deadlocking.
_LOCK_MANY = DriverWrite(
    text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:locks AS bigint[])) AS k")
)


def _lock_id(name: Sequence[str | int]) -> int:
    digest = hashlib.sha256("\0".join(str(part) for part in name).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def advisory_lock(session: Session, *name: str | int) -> None:
    """Hold the lock named by ``name``'s parts until the transaction ends (PostgreSQL).

    SQLite needs nothing: BEGIN IMMEDIATE already serialises every writing transaction.
    """
    advisory_locks(session, [name])


def advisory_locks(session: Session, names: Iterable[Sequence[str | int]]) -> None:
    """Hold every lock named in ``names`` until the transaction ends, in one statement."""
    if session.get_bind().dialect.name != "postgresql":
        return
    locks = sorted({_lock_id(name) for name in names})
    if locks:
        _LOCK_MANY.write(session.connection(), [{"locks": locks}])
