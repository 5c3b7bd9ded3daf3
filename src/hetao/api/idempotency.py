"""Idempotency-Key: a retried POST gets the first response again, inside the same transaction.

The stored response is written in the request's own unit of work, so either the change and its
record commit together or neither does; a concurrent duplicate loses on the unique key and
replays the winner's response.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hetao.api.models import IdempotencyRecord
from hetao.errors import Conflict, FieldProblem, ValidationFailed

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def check_key(key: str) -> str:
    """A key is 1-255 visible ASCII characters."""
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise ValidationFailed.single(
            HEADER, "idempotency.key_format", "must be 1-255 visible ASCII characters"
        )
    return key


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests 'the same request'."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(len(part).to_bytes(4, "big") + part)
    digest.update(body)
    return digest.hexdigest()


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


def find_replay(
    session: Session, *, principal: str, key: str, request_fingerprint: str
) -> IdempotencyRecord | None:
    """The stored first response for this key, or None; another request under the key is 409."""
    record = session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    ).first()
    if record is not None and record.fingerprint != request_fingerprint:
        raise Conflict(
            f"Idempotency-Key {key!r} was already used for a different request",
            problems=[
                FieldProblem(HEADER, "idempotency.same_request", "was used with another request")
            ],
        )
    return record


def remember(
    session: Session,
    *,
    principal: str,
    key: str,
    request_fingerprint: str,
    status_code: int,
    media_type: str,
    body: bytes,
) -> None:
    """Keep the response in the request's transaction."""
    session.add(
        IdempotencyRecord(
            principal=principal,
            key=key,
            fingerprint=request_fingerprint,
            status_code=status_code,
            media_type=media_type,
            body=body,
        )
    )
