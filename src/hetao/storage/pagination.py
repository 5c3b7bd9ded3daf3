"""Keyset (cursor) pagination: stable under inserts, fast at any depth."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hetao.errors import ValidationFailed

Item = TypeVar("Item")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def encode_cursor(last_id: int) -> str:
    """An opaque cursor pointing just after ``last_id``."""
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor points after; a cursor we did not issue is a clear error."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        value = None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationFailed.single(
            "cursor", "pagination.cursor", "is not a cursor this server issued"
        )
    return value


@dataclass(frozen=True, slots=True)
class PageOf(Generic[Item]):
    """One page of rows and the cursor of the next page (None on the last page)."""

    items: Sequence[Item]
    next_cursor: str | None


def paginate(
    session: Session,
    stmt: Select[Any],
    *,
    id_column: InstrumentedAttribute[int],
    cursor: str | None,
    limit: int,
) -> PageOf[Any]:
    """Run ``stmt`` in id order from the cursor; one extra row tells whether more follow."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.single(
            "limit", "pagination.limit", f"must be between 1 and {MAX_LIMIT}"
        )
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(id_column > after)
    rows: list[Any] = list(session.scalars(stmt.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return PageOf(items=rows, next_cursor=encode_cursor(rows[-1].id) if more else None)
