"""A crossing event at intake: checked, its payload hashed, its facts gathered, its seed drawn.

The random draw is seeded per event by an HMAC of a server secret (kept in the data directory,
like the audit signing key) so nobody can predict selection from the event id, yet a stored
decision replays exactly. Intake only reads: it needs no write lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from hetao.audit.service import Actor, current_request_id
from hetao.credentials.service import verify_presented
from hetao.crossing import gather as gathering
from hetao.crossing.gather import CredentialCheck, FaceCheck
from hetao.crossing.rule_sets import rule_set_in_force
from hetao.crossing.schemas import CrossingIn
from hetao.engine.facts import CredentialFacts, CrossingFacts
from hetao.engine.rules import RuleSet
from hetao.errors import FieldProblem, PermissionDenied, ValidationFailed
from hetao.profiles import CrossingPoint, ZoneProfile
from hetao.secretfiles import read_or_create
from hetao.storage.types import utcnow

SEED_KEY_FILE = Path("crossing") / "selection-seed.key"


@dataclass(frozen=True, slots=True)
class Device:
    """Who posts the event: a gate token ("device:<id>") or an officer ("user:<id>")."""

    key: str
    name: str
    #: The crossing points a gate token is scoped to; None for people (checked by role).
    crossing_points: frozenset[str] | None = None


# --- the selection seed -----------------------------------------------------------------------

_seed_keys: dict[Path, bytes] = {}
_seed_lock = threading.Lock()


def load_seed_key(path: Path) -> bytes:
    """The server's 32-byte selection secret at ``path``, created (mode 0600) on first use."""
    with _seed_lock:
        if path in _seed_keys:
            return _seed_keys[path]
        text, _ = read_or_create(path, lambda: secrets.token_bytes(32).hex().encode())
        key = bytes.fromhex(text.decode().strip())
        if len(key) < 32:
            raise ValueError(f"{path} does not hold a 32-byte selection key")
        _seed_keys[path] = key
        return key


def seed_for(key: bytes, *, device_key: str, event_id: str) -> bytes:
    """The seed of one event's random draw: unpredictable without the key, stored for replay."""
    return hmac.new(key, f"{device_key}\x00{event_id}".encode(), hashlib.sha256).digest()


def check_credential(
    session: Session, token: str, at: dt.datetime
) -> tuple[int | None, CredentialFacts]:
    """A presented zone credential checked online (signature, key, validity, revocation)."""
    return verify_presented(session, token, at=at)


# --- the event ---------------------------------------------------------------------------------


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def crossing_point(profile: ZoneProfile, code: str) -> CrossingPoint:
    """The profile's crossing point named ``code``, or a validation error naming the field."""
    point = profile.crossing_point(code)
    if point is None:
        known = ", ".join(p.code for p in profile.crossing_points)
        raise ValidationFailed.single(
            "crossing_point", "profile.crossing_point", f"{code!r} is not one of: {known}"
        )
    return point


def parse_event(document: Any) -> CrossingIn:
    """An event payload from plain JSON (a file, a queue); errors name each key and rule."""
    try:
        return CrossingIn.model_validate(document)
    except PydanticValidationError as error:
        problems = [
            FieldProblem(
                ".".join(str(part) for part in problem["loc"]) or "event",
                problem["type"],
                problem["msg"],
            )
            for problem in error.errors()
        ]
        raise ValidationFailed(
            f"the event is not valid: {problems[0].field}: {problems[0].message}",
            problems=problems,
        ) from None


def payload_hash(payload: CrossingIn) -> tuple[dict[str, Any], str]:
    """The payload as canonical JSON and its SHA-256: what a retry must repeat.

    A face probe image is dumped as its SHA-256 only (``FaceClaimIn``): the stored event and
    the officer's pages never hold a biometric, and a changed retry is still a conflict.
    """
    document = payload.model_dump(mode="json")
    return document, hashlib.sha256(_canonical(document)).hexdigest()


@dataclass(frozen=True, slots=True)
class PreparedCrossing:
    """An event checked and its facts gathered: what remains is to decide and store it."""

    payload: CrossingIn
    document: dict[str, Any]
    digest: str
    device: Device
    point: CrossingPoint
    facts: CrossingFacts
    #: The rule set in force at the event; None when none is stored yet (the shipped one).
    rules: RuleSet | None
    seed: bytes
    occurred_at: dt.datetime
    received_at: dt.datetime
    clock_skew_ms: int
    actor: Actor
    request_id: str | None

    @property
    def key(self) -> tuple[str, str]:
        """What a retry repeats: the device and its event id."""
        return self.device.key, self.payload.event_id


def _check_clock_skew(skew: dt.timedelta, profile: ZoneProfile) -> None:
    """A device clock far ahead is wrong, not early; far behind, it is wrong or the event stale.

    Checked at intake against the time of receipt, never when deciding: a stored decision
    replays however long ago it was made.
    """
    gates = profile.gates
    if skew > gates.max_future_skew:
        raise ValidationFailed.single(
            "occurred_at",
            "crossing.clock_skew",
            f"is {int(skew.total_seconds())} s ahead of the server clock;"
            f" at most {gates.max_future_skew_seconds} s is accepted",
        )
    if -skew > gates.max_past_skew:
        raise ValidationFailed.single(
            "occurred_at",
            "crossing.clock_skew_past",
            f"is {int(-skew.total_seconds() // 3600)} h before the server clock;"
            f" at most {gates.max_past_skew_hours} h is accepted",
        )


def prepare_crossing(
    session: Session,
    payload: CrossingIn,
    *,
    device: Device,
    profile: ZoneProfile,
    seed_key: bytes,
    actor: Actor,
    rule_set: RuleSet | None = None,
    credentials: CredentialCheck | None = None,
    faces: FaceCheck | None = None,
    now: dt.datetime | None = None,
) -> PreparedCrossing:
    """Check an event and gather its facts; reads only, so it needs no write lock."""
    now = now or utcnow()
    point = crossing_point(profile, payload.crossing_point)
    if device.crossing_points is not None and point.code not in device.crossing_points:
        raise PermissionDenied(
            f"device {device.name} may report crossings at"
            f" {', '.join(sorted(device.crossing_points))} only, not {point.code}"
        )
    document, digest = payload_hash(payload)
    occurred_at = payload.occurred_at
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise ValidationFailed.single("occurred_at", "instant.timezone", "must carry a time zone")
    occurred_at = occurred_at.astimezone(dt.UTC)
    skew = occurred_at - now
    _check_clock_skew(skew, profile)
    facts = gathering.gather(
        session,
        payload,
        point=point,
        profile=profile,
        credentials=credentials,
        faces=faces,
        read_counters=False,  # write_crossings reads them under the write lock
    )
    return PreparedCrossing(
        payload=payload,
        document=document,
        digest=digest,
        device=device,
        point=point,
        facts=facts,
        rules=rule_set or rule_set_in_force(session, at=occurred_at, profile=profile),
        seed=seed_for(seed_key, device_key=device.key, event_id=payload.event_id),
        occurred_at=occurred_at,
        received_at=now,
        clock_skew_ms=int(skew.total_seconds() * 1000),
        actor=actor,
        request_id=current_request_id.get(),
    )
