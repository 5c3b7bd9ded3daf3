"""Idempotency-Key: a retried POST gets the first response again, inside the same transaction.

The stored response is written in the request's own unit of work, so either the change and its
record commit together or neither does; a concurrent duplicate loses on the unique key and
replays the winner's response.

What is kept is no secret (docs/decisions/0009-hardened-edges.md): a response field marked
``shown_once`` (a bearer token, a credential's QR token) is stored as null and a replay answers
without it; the request's fingerprint is an HMAC under a server key, so a body (a password) cannot
be recovered from it by guessing; sign-in is not replayable at all; and records older than the
profile's ``api.replay_retention_hours`` are no longer answered and are purged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from hetao.api import repository
from hetao.api.models import IdempotencyRecord
from hetao.errors import Conflict, FieldProblem, ValidationFailed
from hetao.secretfiles import read_or_create
from hetao.storage.types import utcnow

HEADER = "Idempotency-Key"
#: On a replay whose first answer carried a secret: the dotted names of the fields withheld.
WITHHELD_HEADER = "Idempotent-Withheld"
MAX_KEY_LENGTH = 255
#: JSON Schema extension that marks a response field as a secret shown once and never stored.
SECRET_MARK = "x-hetao-secret"  # noqa: S105 (a schema keyword, not a secret)
#: ``openapi_extra`` of a route whose answers are never stored nor replayed (sign-in).
NOT_REPLAYABLE = {"x-hetao-idempotency": "not-replayable"}
#: Where the fingerprint key lives, inside the data directory.
FINGERPRINT_KEY_FILE = Path("secrets") / "request-fingerprint.key"


def shown_once(description: str) -> Any:
    """A response field holding a secret: shown in the first answer only, null in a replay."""
    return Field(
        None,
        description=f"{description}; null when the answer is a replay (Idempotent-Replayed)",
        json_schema_extra={SECRET_MARK: True},
    )


def replayable(openapi_extra: dict[str, Any] | None) -> bool:
    """Whether a route's answers are kept for retries (all but those marked NOT_REPLAYABLE)."""
    return (openapi_extra or {}).get("x-hetao-idempotency") != "not-replayable"


def check_key(key: str) -> str:
    """A key is 1-255 visible ASCII characters."""
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise ValidationFailed.single(
            HEADER, "idempotency.key_format", "must be 1-255 visible ASCII characters"
        )
    return key


def fingerprint_key(path: Path) -> bytes:
    """The server's 32-byte fingerprint key at ``path``, made (mode 0600) on first use."""
    text_key, _ = read_or_create(path, lambda: secrets.token_bytes(32).hex().encode())
    return bytes.fromhex(text_key.decode().strip())


def fingerprint(key: bytes, method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests 'the same request': an HMAC, so the body cannot be guessed back."""
    digest = hmac.new(key, digestmod=hashlib.sha256)
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(len(part).to_bytes(4, "big") + part)
    digest.update(body)
    return digest.hexdigest()


def secret_fields(model: Any) -> tuple[tuple[str, ...], ...]:
    """The paths of the ``shown_once`` fields of a response model, nested models included."""
    return tuple(_secret_paths(model, ()))


def _secret_paths(model: Any, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return
    for name, field in model.model_fields.items():
        path = (*prefix, field.alias or name)
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get(SECRET_MARK):
            yield path
        else:
            yield from _secret_paths(field.annotation, path)


def withhold(body: bytes, paths: tuple[tuple[str, ...], ...]) -> bytes:
    """The JSON body with the fields at ``paths`` set to null: what may be kept for a replay."""
    if not paths:
        return body
    document = json.loads(body)
    for path in paths:
        holder = document
        for name in path[:-1]:
            holder = holder.get(name) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and path[-1] in holder:
            holder[path[-1]] = None
    return json.dumps(document, separators=(",", ":")).encode()


def find_replay(
    session: Session,
    *,
    principal: str,
    key: str,
    request_fingerprint: str,
    retention: dt.timedelta,
) -> IdempotencyRecord | None:
    """The stored first response for this key, or None; another request under the key is 409.

    A record past the retention is forgotten here, so the key may be used afresh.
    """
    record = repository.find_record(session, principal=principal, key=key)
    if record is not None and record.created_at <= utcnow() - retention:
        repository.forget(session, record)
        return None
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
    withheld: tuple[tuple[str, ...], ...] = (),
) -> None:
    """Keep the response in the request's transaction, without the fields in ``withheld``."""
    session.add(
        IdempotencyRecord(
            principal=principal,
            key=key,
            fingerprint=request_fingerprint,
            status_code=status_code,
            media_type=media_type,
            body=withhold(body, withheld),
            withheld=",".join(".".join(path) for path in withheld) or None,
        )
    )


def purge(session: Session, *, retention: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete the replay records older than the retention; how many went."""
    return repository.delete_created_before(session, (now or utcnow()) - retention)
