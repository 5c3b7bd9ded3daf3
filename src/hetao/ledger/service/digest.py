"""One audit event for a batch of movements, and how the verifier holds the rows to it.

A batch of more than one movement appends one ``ledger:movement:batch`` event instead of one
event per movement (ADR 0015): its data lists the movements' ids and the SHA-256 of their rows
in the canonical form below. The chain covers the event; ``hetao audit verify`` recomputes the
digest from ``ledger_movements`` (``CONTENT_CHECKS``), so a movement row that was edited,
deleted or swapped after its commit fails the log as an edited event would.

Version 1 of the form: the rows in the event's order, each the JSON array of ``COLUMNS``' values
(ids and integers as numbers, the kind by its value, the quantity as its Decimal string with its
three places, the instant as the audit log spells one), the arrays in one JSON array with no
spaces, UTF-8. Changing it breaks every digest ever written: a change needs a new version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.chain import format_instant
from hetao.audit.tags import LedgerTag
from hetao.ledger import repository as repo

DIGEST_VERSION = 1
#: The columns of a movement the digest covers, in its order: every column of the row.
COLUMNS = repo.DIGEST_COLUMNS
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def movements_digest(rows: Iterable[Sequence[Any]]) -> str:
    """The SHA-256 (hex) of movement rows (``COLUMNS``' values, as read or as written) in
    their order, each in the digest's canonical form."""
    canonical: list[list[object]] = []
    # A batch's rows share one instant: formatted once (it was a third of a batch's digest).
    instants: dict[dt.datetime, str] = {}
    for movement_id, lot_id, party_id, kind, quantity, *texts, created_at in rows:
        instant = instants.get(created_at)
        if instant is None:
            instant = instants[created_at] = format_instant(created_at)
        canonical.append(
            [
                movement_id,
                lot_id,
                party_id,
                getattr(kind, "value", kind),  # the enum as written, its value as read raw
                str(quantity),
                *texts,
                instant,
            ]
        )
    return hashlib.sha256(_ENCODER.encode(canonical).encode("utf-8")).hexdigest()


#: A written row's values in ``COLUMNS``' order, but the id it did not have yet.
_WRITTEN_VALUES = operator.itemgetter(*COLUMNS[1:])


def batch_event_data(ids: Sequence[int], rows: Sequence[Mapping[str, Any]]) -> dict[str, object]:
    """The batch event's data for the rows (every column but the id) just inserted as ``ids``."""
    return {
        "v": DIGEST_VERSION,
        "count": len(ids),
        "movements": list(ids),
        "lots": sorted({row["lot_id"] for row in rows}),
        "digest": movements_digest(
            (movement_id, *_WRITTEN_VALUES(row)) for movement_id, row in zip(ids, rows, strict=True)
        ),
    }


def check_batch_event(session: Session, data: Mapping[str, Any]) -> str | None:
    """Whether the movement rows still hash to the digest a batch event recorded; the problem
    in the verifier's words when not."""
    ids, recorded = data.get("movements"), data.get("digest")
    if (
        data.get("v") != DIGEST_VERSION
        or not isinstance(ids, list)
        or not all(type(movement_id) is int for movement_id in ids)
        or not isinstance(recorded, str)
    ):
        return "its data is not a version 1 movement digest"
    found = repo.digest_rows(session, ids)
    missing = [movement_id for movement_id in ids if movement_id not in found]
    if missing:
        return f"movement {missing[0]} it records is missing from the ledger"
    if movements_digest(found[movement_id] for movement_id in ids) != recorded:
        return "its movements' rows no longer hash to its digest: a row was changed"
    return None


#: The checks ``hetao audit verify`` runs beyond the chain, by the tag of the events they read.
CONTENT_CHECKS: dict[str, Callable[[Session, Mapping[str, Any]], str | None]] = {
    LedgerTag.MOVEMENT_BATCH: check_batch_event,
}
