"""Queries of the API's own table: the stored responses of idempotent POSTs."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from hetao.api.models import IdempotencyRecord


def lock_key(session: Session, *, principal: str, key: str) -> None:
    """Make concurrent requests with one key wait for each other (PostgreSQL advisory lock).

    SQLite needs nothing: BEGIN IMMEDIATE already serialises every writing transaction.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"{principal}\0{key}".encode()).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:lock)"),
        {"lock": int.from_bytes(digest[:8], "big", signed=True)},
    )


def find_record(session: Session, *, principal: str, key: str) -> IdempotencyRecord | None:
    """The stored response under ``principal``'s ``key``, whatever its age."""
    return session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    ).first()


def forget(session: Session, record: IdempotencyRecord) -> None:
    """Delete ``record`` now: flushed, so the key may be stored afresh in this transaction."""
    session.delete(record)
    session.flush()


def delete_created_before(session: Session, cutoff: dt.datetime) -> int:
    """Delete the records created at or before ``cutoff``; how many went."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
