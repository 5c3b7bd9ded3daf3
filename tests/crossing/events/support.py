"""Crossing events for tests: whitelisted people and their events, recorded by the real service."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_application, make_party, make_person
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.crossing import intake, service
from hetao.crossing.gather import zone_day
from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.crossing.schemas import CrossingIn
from hetao.engine.selection import draw
from hetao.profiles import ZoneProfile
from hetao.registry import service as registry
from hetao.registry.models import Person, WhitelistEntry
from hetao.storage.types import utcnow

ACTOR = Actor("device", "gate-1")
#: A gate at Channel No. 1 (whitelist_only) and one at Huanggang (open to everyone).
CHANNEL1_GATE = intake.Device("device:1", "gate-1", frozenset({"FBZ_CHANNEL_1"}))
HUANGGANG_GATE = intake.Device("device:2", "gate-2", frozenset({"HUANGGANG"}))
SEED_KEY = bytes(range(32))

_serial = itertools.count(1)


def event_id() -> str:
    return f"evt-{next(_serial):06d}"


def unselected_event_id(profile: ZoneProfile, seed_key: bytes, device_key: str) -> str:
    """An event id whose random draw no lane selects, for a test that expects a release.

    The draw is seeded by the server's key, so a live server's random key would otherwise
    inspect about one event in fifty of a test that means to see it released.
    """
    highest = max(lane.random_rate for lane in profile.selection.lanes)
    for _ in range(1000):
        candidate = event_id()
        seed = intake.seed_for(seed_key, device_key=device_key, event_id=candidate)
        if not draw(seed, candidate, highest).selected:
            return candidate
    raise AssertionError(f"every draw fell under the highest lane rate, {highest}")


def whitelisted_person(
    session: Session,
    actor: Actor,
    profile: ZoneProfile,
    *,
    flows: tuple[str, ...] = ("people",),
    lines: tuple[str, ...] = ("first", "second"),
    exemptions: tuple[str, ...] = (),
    **person: Any,
) -> tuple[Person, WhitelistEntry, dict[str, Any]]:
    """A researcher of a fresh party with an approved individual entry, and their document."""
    party = make_party(session, actor)
    person_row = make_person(session, actor, party.id, **person)
    application = make_application(
        session,
        actor,
        profile,
        subject_kind="individual",
        party_id=party.id,
        person_id=person_row.id,
        flows=list(flows),
        lines=list(lines),
        exemptions=list(exemptions),
    )
    registry.submit(session, application, actor=actor)
    entry = registry.approve(
        session, application, profile=profile, actor=actor, today=entries_from(profile)
    )
    document = person_row.documents[0]
    ref = {
        "kind": document.kind.value,
        "number": document.number,
        "issuing_country": document.issuing_country,
    }
    return person_row, entry, ref


UNKNOWN_DOCUMENT = {"kind": "hk_identity_card", "number": "A1234563", "issuing_country": "HK"}


def entries_from(profile: ZoneProfile) -> dt.date:
    """The day test entries are approved on: the zone day of ``office_hours``, so that an
    entry is in force for a crossing at office hours even just after midnight at the zone,
    when office hours were yesterday's."""
    return zone_day(office_hours(), profile)


def office_hours() -> dt.datetime:
    """The latest 10:00 at the zone (UTC+8) that has passed: a time within the gates' clock
    bounds that no hour-of-day risk rule (late crossings) reacts to, whenever the test runs."""
    now = utcnow()
    ten = now.replace(hour=2, minute=0, second=0, microsecond=0)  # 10:00 at UTC+8
    return ten if ten <= now else ten - dt.timedelta(days=1)


def person_event(
    document: dict[str, Any],
    *,
    point: str = "FBZ_CHANNEL_1",
    event: str | None = None,
    occurred_at: dt.datetime | None = None,
    direction: str = "inbound",
) -> dict[str, Any]:
    """The JSON body of a person crossing on foot."""
    return {
        "event_id": event or event_id(),
        "crossing_point": point,
        "direction": direction,
        "occurred_at": (occurred_at or utcnow()).isoformat(),
        "subject": {"type": "person", "document": dict(document)},
    }


def record(
    session: Session,
    profile: ZoneProfile,
    body: dict[str, Any],
    *,
    device: intake.Device = CHANNEL1_GATE,
    **options: Any,
) -> tuple[CrossingEvent, bool]:
    """Record an event through the real service."""
    return service.record_crossing(
        session,
        CrossingIn.model_validate(body),
        device=device,
        profile=profile,
        seed_key=SEED_KEY,
        actor=ACTOR,
        **options,
    )


def counts(session: Session) -> tuple[int, int, int]:
    """Rows of events, decisions and audit events."""
    tables = (CrossingEvent, CrossingDecision, AuditEvent)
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(table)) or 0 for table in tables
    )


def decide_tags(session: Session) -> int:
    """Audit events of recorded decisions."""
    stmt = select(func.count()).where(AuditEvent.tag == "crossing:event:decide")
    return session.scalar(stmt) or 0
