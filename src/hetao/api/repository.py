"""Queries of the API's own table: the stored responses of idempotent POSTs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hetao.api.models import IdempotencyRecord
from hetao.storage.locks import advisory_lock


def lock_key(session: Session, *, principal: str, key: str) -> None:
    """Make concurrent requests with one key wait for each other until one commits."""
    advisory_lock(session, principal, key)


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


def ping(session: Session) -> None:
    """A round trip to the database: raises when it does not answer."""
    session.execute(select(1)).scalar_one()
