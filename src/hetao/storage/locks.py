"""Transaction-scoped named locks, for writers that must not both check-then-insert at once."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def advisory_lock(session: Session, *name: str | int) -> None:
    """Hold the lock named by ``name``'s parts until the transaction ends (PostgreSQL).

    SQLite needs nothing: BEGIN IMMEDIATE already serialises every writing transaction.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256("\0".join(str(part) for part in name).encode()).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:lock)"),
        {"lock": int.from_bytes(digest[:8], "big", signed=True)},
    )
