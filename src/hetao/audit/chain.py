"""How an audit event becomes bytes, a Merkle leaf and a link of the hash chain.

Version 1 of the canonical form: `canonical_document` with sorted keys, no spaces, UTF-8.
Changing it breaks every proof ever issued, so a change needs a new version, never an edit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from hetao.audit.merkle import leaf_hash

#: The chain starts from 32 zero bytes.
GENESIS = bytes(32)
JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What an event says, exactly as the canonical form covers it."""

    seq: int
    occurred_at: dt.datetime
    tag: str
    subject_type: str
    subject_id: str
    actor: str
    request_id: str | None
    data: dict[str, Any]


def format_instant(instant: dt.datetime) -> str:
    """UTC with microseconds and a Z: one spelling per instant (2026-02-10T00:00:07.000001Z)."""
    if instant.tzinfo is None:
        raise ValueError("audit instants must be timezone-aware")
    if instant.utcoffset():
        instant = instant.astimezone(dt.UTC)
    # isoformat is C (strftime would double the verifier's time); "+00:00" becomes "Z".
    return instant.isoformat(timespec="microseconds")[:-6] + "Z"


# One encoder for every event: json.dumps would rebuild it each call (a hot path of verify).
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_string = encode_basestring  # C: JSON string with non-ASCII kept, as ensure_ascii=False


def canonical_document(facts: EventFacts) -> dict[str, Any]:
    """The canonical form as a JSON object (what `canonical_bytes` serialises)."""
    return {
        "v": 1,
        "seq": facts.seq,
        "occurred_at": format_instant(facts.occurred_at),
        "tag": facts.tag,
        "subject_type": facts.subject_type,
        "subject_id": facts.subject_id,
        "actor": facts.actor,
        "request_id": facts.request_id,
        "data": facts.data,
    }


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text: how audit data is stored, so it can be hashed as is."""
    return _ENCODER.encode(value)


def canonical_bytes(facts: EventFacts, *, data_json: str | None = None) -> bytes:
    """The bytes hashed, proved and signed for one event: `canonical_document` with sorted keys,
    no spaces, UTF-8. Written out key by key because the verifier runs it a million times; a
    test holds it equal to the generic encoding of `canonical_document`. ``data_json`` is the
    data already in canonical JSON (as stored), saving a decode and re-encode."""
    request_id = "null" if facts.request_id is None else _string(facts.request_id)
    data = _ENCODER.encode(facts.data) if data_json is None else data_json
    text = (
        f'{{"actor":{_string(facts.actor)},"data":{data},'
        f'"occurred_at":"{format_instant(facts.occurred_at)}","request_id":{request_id},'
        f'"seq":{int(facts.seq)},"subject_id":{_string(facts.subject_id)},'
        f'"subject_type":{_string(facts.subject_type)},"tag":{_string(facts.tag)},"v":1}}'
    )
    return text.encode("utf-8")


def chain_link(previous: bytes, leaf: bytes) -> bytes:
    """The chain hash of an event: SHA-256 of the previous chain hash and this event's leaf."""
    return hashlib.sha256(previous + leaf).digest()


def event_leaf(facts: EventFacts) -> bytes:
    """The RFC 9162 leaf hash of an event."""
    return leaf_hash(canonical_bytes(facts))


_FLAT = frozenset({str, bool, int, type(None)})


def check_json_data(value: Any, path: str = "data") -> None:
    """Refuse values whose JSON form is not stable (floats, custom objects) before hashing them."""
    if (  # the common case at once: an object of plain values (a batch checks thousands)
        type(value) is dict
        and all(type(key) is str for key in value)
        and all(type(item) in _FLAT for item in value.values())
    ):
        return
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_json_data(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: audit data keys must be strings")
            check_json_data(item, f"{path}.{key}")
        return
    raise TypeError(
        f"{path}: audit data must be str, int, bool, None, lists or objects, "
        f"not {type(value).__name__} (give decimals and dates as strings)"
    )
