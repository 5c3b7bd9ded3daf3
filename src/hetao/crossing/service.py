"""Recording crossings: gather the facts, decide, store event + decision + audit event at once.

A device may retry: the same (device, device event id) with the same payload returns the first
decision and writes nothing; with another payload it is a Conflict. The random draw is seeded
per event by an HMAC of a server secret (kept in the data directory, like the audit signing
key) so nobody can predict selection from the event id, yet a stored decision replays exactly.
Services never commit: the caller's unit of work does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, cast

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from hetao.audit.service import (
    Actor,
    NewEvent,
    current_request_id,
    lock_log,
    record_event,
    record_events,
)
from hetao.crossing import gather as gathering
from hetao.crossing import used_up
from hetao.crossing.gather import CredentialCheck
from hetao.crossing.models import CrossingDecision, CrossingEvent, SelectionCounter
from hetao.crossing.models import RuleSet as StoredRuleSet
from hetao.crossing.schemas import CrossingIn
from hetao.engine.decision import Decision, decide, decision_to_json
from hetao.engine.facts import (
    CrossingFacts,
    Outcome,
    PersonFacts,
    SelectionState,
    VehicleFacts,
    facts_from_json,
)
from hetao.engine.rules import RuleSet, load_rule_set, shipped_rule_set
from hetao.errors import (
    Conflict,
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from hetao.inspections.service import NewInspection, queue_new_inspections
from hetao.profiles import CrossingPoint, ZoneProfile
from hetao.secretfiles import read_or_create
from hetao.storage.driver import DriverInsert, DriverQuery, DriverWrite
from hetao.storage.pagination import DEFAULT_LIMIT, PageOf, paginate
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


# --- rule sets --------------------------------------------------------------------------------

_compiled: dict[tuple[str, str], RuleSet] = {}


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _compile(row: StoredRuleSet, profile: ZoneProfile) -> RuleSet:
    """A stored rule set compiled once per content and profile (stored ones never change)."""
    key = (row.sha256, profile.zone.code)
    rule_set = _compiled.get(key)
    if rule_set is None:
        rule_set = load_rule_set(row.content, profile=profile)
        _compiled[key] = rule_set
    return rule_set


def _store_rule_set(
    session: Session, rule_set: RuleSet, *, actor: Actor, now: dt.datetime
) -> tuple[StoredRuleSet, bool]:
    existing = session.scalars(
        select(StoredRuleSet).where(StoredRuleSet.version == rule_set.version)
    ).first()
    if existing is not None:
        if existing.sha256 != rule_set.content_hash:
            raise Conflict(
                f"rule set {rule_set.version} is stored with other content; give it a new version",
                problems=[
                    FieldProblem("version", "rule_set.version_reused", "already used for others")
                ],
            )
        return existing, False
    row = StoredRuleSet(
        version=rule_set.version,
        activates_at=rule_set.activates_at,
        content=rule_set.source,
        sha256=rule_set.content_hash,
        created_by=str(actor),
        created_at=now,
    )
    try:
        with session.begin_nested():  # a concurrent first use may store the same version
            session.add(row)
            session.flush()
    except IntegrityError:
        return _store_rule_set(session, rule_set, actor=actor, now=now)
    record_event(
        session,
        "crossing:rule_set:add",
        subject_type="rule_set",
        subject_id=row.id,
        actor=actor,
        data={
            "version": row.version,
            "activates_at": row.activates_at.isoformat(),
            "sha256": row.sha256,
        },
    )
    return row, True


def add_rule_set(
    session: Session,
    document: Mapping[str, Any],
    *,
    profile: ZoneProfile,
    actor: Actor,
    now: dt.datetime | None = None,
) -> tuple[StoredRuleSet, bool]:
    """Validate and store a rule set; the same version and content again returns the first."""
    rule_set = load_rule_set(document, profile=profile)
    return _store_rule_set(session, rule_set, actor=actor, now=now or utcnow())


def rule_set_by_version(session: Session, version: str, *, profile: ZoneProfile) -> RuleSet:
    """A stored rule set, compiled."""
    return _compile(get_rule_set(session, version), profile)


class _InForce(NamedTuple):
    id: int
    sha256: str


_IN_FORCE = DriverQuery(
    select(StoredRuleSet.id, StoredRuleSet.sha256)
    .where(StoredRuleSet.activates_at <= bindparam("at", type_=StoredRuleSet.activates_at.type))
    .order_by(StoredRuleSet.activates_at.desc(), StoredRuleSet.id.desc())
    .limit(1),
    _InForce,
)


def rule_set_in_force(session: Session, *, at: dt.datetime, profile: ZoneProfile) -> RuleSet | None:
    """The stored rule set activated last at ``at`` (compiled), or None when none is."""
    # The id and hash only: the (large) content is read once per process, on a cache miss.
    found = _IN_FORCE.first(session.connection(), at=at)
    if found is None:
        return None
    cached = _compiled.get((found.sha256, profile.zone.code))
    if cached is not None:
        return cached
    row = session.get(StoredRuleSet, found.id)
    return None if row is None else _compile(row, profile)


def active_rule_set(
    session: Session, *, at: dt.datetime, profile: ZoneProfile, actor: Actor
) -> RuleSet:
    """The rule set in force at ``at``; the shipped one, stored on first use, when none is."""
    in_force = rule_set_in_force(session, at=at, profile=profile)
    if in_force is not None:
        return in_force
    shipped = shipped_rule_set()
    _store_rule_set(session, shipped, actor=actor, now=utcnow())
    return shipped


# --- recording a crossing ---------------------------------------------------------------------


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
    """The payload as canonical JSON and its SHA-256: what a retry must repeat."""
    document = payload.model_dump(mode="json")
    return document, hashlib.sha256(_canonical(document)).hexdigest()


def _conflict_unless_same(event: CrossingEvent | NewCrossing, digest: str) -> None:
    """A Conflict when ``digest`` is not the stored event's: its event id was reused."""
    if event.payload_sha256 != digest:
        raise Conflict(
            f"event {event.device_event_id} of this device was recorded with other content",
            problems=[
                FieldProblem(
                    "event_id",
                    "crossing.event_id_reused",
                    "already used by this device for another event",
                )
            ],
        )


def _subject_refs(facts: CrossingFacts) -> dict[str, int | None]:
    """The registry objects the event is about, for the lists and the party's history."""
    subject = facts.subject
    if isinstance(subject, PersonFacts):
        return {"person_id": subject.person_id}
    if isinstance(subject, VehicleFacts):
        return {
            "vehicle_id": subject.vehicle_id,
            "party_id": subject.owner.party_id if subject.owner else None,
            "person_id": subject.driver.person_id if subject.driver else None,
        }
    return {
        "declaration_id": subject.declaration_id,
        "party_id": subject.party.party_id if subject.party else None,
        "person_id": subject.carrier.person_id if subject.carrier else None,
    }


def _counter_upsert(dialect_name: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding a batch's crossings and inspections."""
    table = SelectionCounter.__table__
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(
        crossing_point=bindparam("point"),
        period_start=bindparam("start", type_=table.c.period_start.type),
        crossings=bindparam("crossed"),
        inspections=bindparam("inspected"),
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.crossing_point, table.c.period_start],
        set_={
            "crossings": table.c.crossings + stmt.excluded.crossings,
            "inspections": table.c.inspections + stmt.excluded.inspections,
        },
    )


_COUNTER_UPSERTS = {name: DriverWrite(_counter_upsert(name)) for name in ("postgresql", "sqlite")}
_COUNTERS = cast(Table, SelectionCounter.__table__)


class _StoredCount(NamedTuple):
    crossings: int
    inspections: int


# One (point, period) pair's counters, by primary key: a batch has a pair or two.
_READ_COUNTERS = DriverQuery(
    select(_COUNTERS.c.crossings, _COUNTERS.c.inspections).where(
        _COUNTERS.c.crossing_point == bindparam("point"),
        _COUNTERS.c.period_start == bindparam("start", type_=_COUNTERS.c.period_start.type),
    ),
    _StoredCount,
)


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


#: What storing one prepared crossing gives: the event and whether it is new, or its error.
Stored = tuple[CrossingEvent, bool]


@dataclass(frozen=True, slots=True)
class NewCrossing:
    """A crossing event and its decision as just inserted: their rows and new ids.

    The committer hands these on as they are: making ORM objects of them cost a sixth of a
    batch's time under the write lock. ``as_event`` makes one where a caller needs it.
    """

    id: int
    decision_id: int
    event_row: Mapping[str, Any]
    decision_row: Mapping[str, Any]

    @property
    def device_event_id(self) -> str:
        return str(self.event_row["device_event_id"])

    @property
    def payload_sha256(self) -> str:
        return str(self.event_row["payload_sha256"])

    def as_event(self) -> CrossingEvent:
        """The event with its decision, as unattached ORM objects."""
        event = CrossingEvent(id=self.id, **self.event_row)
        event.decision = CrossingDecision(id=self.decision_id, **self.decision_row)
        return event

    def as_document(self) -> dict[str, Any]:
        """The event with its decision as plain values (what the API answers)."""
        decision = {**self.decision_row, "id": self.decision_id}
        return {**self.event_row, "id": self.id, "decision": decision}


#: What writing one prepared crossing gives: the new rows or the first event, and whether new.
Written = tuple[CrossingEvent | NewCrossing, bool]


_EVENTS = cast(Table, CrossingEvent.__table__)
_DECISIONS = cast(Table, CrossingDecision.__table__)
# A batch's rows go to the driver directly (hetao.storage.driver.DriverInsert), ids back in order.
_INSERT_EVENTS = DriverInsert(_EVENTS)
_INSERT_DECISIONS = DriverInsert(_DECISIONS)


class _EventId(NamedTuple):
    id: int


# An event by what a retry repeats (the unique device and event id).
_FIND_EVENT = DriverQuery(
    select(_EVENTS.c.id).where(
        _EVENTS.c.device_key == bindparam("device_key"),
        _EVENTS.c.device_event_id == bindparam("event_id"),
    ),
    _EventId,
)


def write_crossings(
    session: Session, batch: Sequence[PreparedCrossing], *, profile: ZoneProfile
) -> list[Written | Exception]:
    """Decide and store prepared crossings under the write lock, in one transaction.

    The audit head is locked first: every writer of crossings queues on it (SQLite has one
    writer anyway), so the duplicate check and the selection counters read here are exact.
    A retry gets the first event (False); a reused event id with other content a Conflict.
    New events come back as their rows and ids (NewCrossing): nothing ORM under the lock.
    """
    if not batch:
        return []
    head = lock_log(session)
    stored = _existing_events(session, [p.key for p in batch])
    counters = _read_counters(session, batch)
    results: list[Written | Exception | PreparedCrossing] = []
    new: dict[tuple[str, str], tuple[PreparedCrossing, dict[str, Any], dict[str, Any], Decision]]
    new = {}
    for prepared in batch:
        first = stored.get(prepared.key)
        if first is not None:
            results.append(_retry_of(first, prepared.digest))
            continue
        if prepared.key in new:  # the same event twice in one batch: a retry racing its first
            results.append(prepared)
            continue
        rules = prepared.rules or active_rule_set(
            session, at=prepared.occurred_at, profile=profile, actor=prepared.actor
        )
        facts = _with_current_counters(prepared.facts, counters)
        facts, decision = _decide_counting_quantities(session, facts, rules, profile, prepared)
        period = _period_of(facts)
        if period is not None:
            count = counters[period]
            count.added_crossings += 1
            count.added_inspections += decision.outcome is Outcome.INSPECT
        decision_row = _decision_row(
            decision,
            crossing_point=prepared.point.code,
            seed=prepared.seed,
            now=prepared.received_at,
        )
        new[prepared.key] = (prepared, _event_row(prepared), decision_row, decision)
        results.append(prepared)
    events: dict[tuple[str, str], NewCrossing] = {}
    if new:
        connection = session.connection()  # Core inserts: no ORM objects to track
        event_rows = [row for _, row, _, _ in new.values()]
        event_ids = _INSERT_EVENTS.ids(connection, event_rows)
        decision_rows = [
            {**row, "event_id": event_id}
            for (_, _, row, _), event_id in zip(new.values(), event_ids, strict=True)
        ]
        decision_ids = _INSERT_DECISIONS.ids(connection, decision_rows)
        for key, event_row, event_id, decision_row, decision_id in zip(
            new, event_rows, event_ids, decision_rows, decision_ids, strict=True
        ):
            events[key] = NewCrossing(event_id, decision_id, event_row, decision_row)
    _add_counts(session, counters)
    decided = [_decide_event(p, events[k], d) for k, (p, _, _, d) in new.items()]
    record_events(session, decided, locked=head)
    queue_new_inspections(
        session,
        [
            NewInspection(
                events[key].decision_id,
                prepared.point.code,
                prepared.point.line.value,
                opened_at=prepared.received_at,
                actor=prepared.actor,
                request_id=prepared.request_id,
            )
            for key, (prepared, _, _, decision) in new.items()
            if decision.outcome is Outcome.INSPECT
        ],
        locked=head,
    )
    return [r if not isinstance(r, PreparedCrossing) else _outcome(r, new, events) for r in results]


def _decide_counting_quantities(
    session: Session,
    facts: CrossingFacts,
    rules: RuleSet,
    profile: ZoneProfile,
    prepared: PreparedCrossing,
) -> tuple[CrossingFacts, Decision]:
    """Decide on the declared lines' quantities crossed as they stand under the write, and
    count what the goods let on carry (``hetao.crossing.used_up``). Should the conditional
    UPDATE find a line with less left than read, decide once more on what is stored."""
    for _ in range(2):
        facts = used_up.current(session, facts)
        decision = decide(facts, rules, profile, seed=prepared.seed)
        if used_up.count(session, facts, decision.outcome):
            return facts, decision
    raise Conflict(
        f"crossing {prepared.payload.event_id}: the quantities crossed of its declarations"
        " changed while it was decided; send it again"
    )


def _outcome(
    prepared: PreparedCrossing,
    new: Mapping[tuple[str, str], tuple[Any, ...]],
    events: Mapping[tuple[str, str], NewCrossing],
) -> Written | Exception:
    """The event an item stored, or, for a retry of it in the same batch, that event again."""
    event = events[prepared.key]
    if new[prepared.key][0] is prepared:
        return event, True
    return _retry_of(event, prepared.digest)


def _existing_events(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], CrossingEvent]:
    """The stored events among ``keys`` (device, event id), with their decisions loaded."""
    found: dict[tuple[str, str], CrossingEvent] = {}
    connection = session.connection()
    for device_key, event_id in set(keys):
        row = _FIND_EVENT.first(connection, device_key=device_key, event_id=event_id)
        if row is not None:  # retries are rare: ORM for those
            event = session.get(CrossingEvent, row.id)
            if event is not None:
                event.decision  # noqa: B018 - loaded now, read after the session closes
                found[(device_key, event_id)] = event
    return found


def _retry_of(first: CrossingEvent | NewCrossing, digest: str) -> Written | Exception:
    """A retry of a stored event returns it; other content under its id is a Conflict."""
    try:
        _conflict_unless_same(first, digest)
    except Conflict as conflict:
        return conflict
    return first, False


@dataclass(slots=True)
class _PeriodCount:
    """A point's counters of one selection period: as stored, and added by this batch."""

    crossings: int
    inspections: int
    added_crossings: int = 0
    added_inspections: int = 0


_PeriodKey = tuple[str, dt.datetime]


def _period_of(facts: CrossingFacts) -> _PeriodKey | None:
    """The (point, period start) whose selection counters a crossing counts in, if any."""
    if facts.selection is None:
        return None
    return facts.crossing_point, facts.selection.period_start


def _read_counters(
    session: Session, batch: Sequence[PreparedCrossing]
) -> dict[_PeriodKey, _PeriodCount]:
    """The stored counters of every (point, period) the batch's crossings fall in, read under
    the lock; a pair with no row yet counts from zero."""
    keys = {period for p in batch if (period := _period_of(p.facts)) is not None}
    connection = session.connection()
    counters = {}
    for point, start in keys:
        row = _READ_COUNTERS.first(connection, point=point, start=start)
        counters[(point, start)] = _PeriodCount(0, 0) if row is None else _PeriodCount(*row)
    return counters


def _with_current_counters(
    facts: CrossingFacts, counters: dict[_PeriodKey, _PeriodCount]
) -> CrossingFacts:
    """The facts with the selection period's counters as they stand now, under the lock, and
    as this batch has added to them so far."""
    period = _period_of(facts)
    if period is None:
        return facts
    count = counters[period]
    state = SelectionState(
        period_start=period[1],
        crossings_in_period=count.crossings + count.added_crossings,
        inspections_in_period=count.inspections + count.added_inspections,
    )
    return dataclasses.replace(facts, selection=state)


def _add_counts(session: Session, counters: dict[_PeriodKey, _PeriodCount]) -> None:
    """Add the batch's crossings and inspections to each point's counters of the period."""
    rows = [
        {
            "point": point,
            "start": start,
            "crossed": count.added_crossings,
            "inspected": count.added_inspections,
        }
        for (point, start), count in counters.items()
        if count.added_crossings
    ]
    if rows:
        connection = session.connection()
        _COUNTER_UPSERTS[connection.dialect.name].write(connection, rows)


def _event_row(prepared: PreparedCrossing) -> dict[str, Any]:
    payload, facts = prepared.payload, prepared.facts
    return {
        "device_key": prepared.device.key,
        "device_name": prepared.device.name,
        "device_event_id": payload.event_id,
        "crossing_point": prepared.point.code,
        "line": prepared.point.line.value,
        "direction": payload.direction.value,
        "subject_type": facts.subject_type,
        "payload": prepared.document,
        "payload_sha256": prepared.digest,
        "occurred_at": prepared.occurred_at,
        "received_at": prepared.received_at,
        "clock_skew_ms": prepared.clock_skew_ms,
        "person_id": None,
        "vehicle_id": None,
        "declaration_id": None,
        "party_id": None,
        **_subject_refs(facts),
    }


def _decide_event(prepared: PreparedCrossing, event: NewCrossing, decision: Decision) -> NewEvent:
    return NewEvent(
        "crossing:event:decide",
        subject_type="crossing_event",
        subject_id=event.id,
        actor=prepared.actor,
        data={
            "crossing_point": prepared.point.code,
            "device_event_id": prepared.payload.event_id,
            "subject_type": prepared.facts.subject_type.value,
            "outcome": decision.outcome.value,
            "lane": decision.lane,
            "risk_score": decision.risk_score,
            "reasons": [r.code for r in decision.reasons],
            "rule_set_version": decision.rule_set_version,
            "decision_id": event.decision_id,
        },
        request_id=prepared.request_id,
    )


def record_crossing(
    session: Session,
    payload: CrossingIn,
    *,
    device: Device,
    profile: ZoneProfile,
    seed_key: bytes,
    actor: Actor,
    rule_set: RuleSet | None = None,
    credentials: CredentialCheck | None = None,
    now: dt.datetime | None = None,
) -> Stored:
    """Decide and store one crossing; (event, True) when new, (first event, False) on a retry."""
    prepared = prepare_crossing(
        session,
        payload,
        device=device,
        profile=profile,
        seed_key=seed_key,
        actor=actor,
        rule_set=rule_set,
        credentials=credentials,
        now=now,
    )
    [result] = write_crossings(session, [prepared], profile=profile)
    if isinstance(result, Exception):
        raise result
    written, created = result
    if isinstance(written, NewCrossing):  # the stored row, attached to the caller's session
        return get_crossing(session, written.id), created
    return written, created


def _decision_row(
    decision: Decision, *, crossing_point: str, seed: bytes, now: dt.datetime
) -> dict[str, Any]:
    document = decision_to_json(decision)
    document.pop("inputs", None)  # kept once, in its own column
    return {
        "crossing_point": crossing_point,
        "outcome": decision.outcome,
        "lane": decision.lane,
        "risk_score": decision.risk_score,
        "rule_set_version": decision.rule_set_version,
        "profile_code": decision.profile_code,
        "reasons": document["reasons"],
        "draw": document.get("draw"),
        "inputs": decision.inputs,
        "seed": seed.hex(),
        "document": document,
        "decided_at": now,
    }


# --- reading, replaying, deciding without recording -------------------------------------------


def get_crossing(session: Session, crossing_id: int) -> CrossingEvent:
    """One recorded crossing with its decision."""
    event = session.get(CrossingEvent, crossing_id)
    if event is None:
        raise NotFound(f"crossing {crossing_id} does not exist")
    return event


@dataclass(frozen=True, slots=True)
class Replay:
    """A stored decision and the same decision recomputed from its stored inputs."""

    stored: dict[str, Any]
    replayed: dict[str, Any]
    differences: tuple[str, ...]

    @property
    def matches(self) -> bool:
        return not self.differences


def replay(session: Session, decision: CrossingDecision, *, profile: ZoneProfile) -> Replay:
    """Recompute a stored decision from its inputs, seed and rule set version (writes nothing)."""
    facts = facts_from_json(decision.inputs)
    rules = rule_set_by_version(session, decision.rule_set_version, profile=profile)
    again = decision_to_json(decide(facts, rules, profile, seed=bytes.fromhex(decision.seed)))
    stored = {**decision.document, "inputs": decision.inputs}
    if not _reasons_carry_params(stored):
        # Stored before reasons kept their parameters: their texts already hold the values.
        for replayed in again["reasons"]:
            replayed.pop("params", None)
    keys = sorted(set(stored) | set(again))
    differences = tuple(k for k in keys if stored.get(k) != again.get(k))
    return Replay(stored=stored, replayed=again, differences=differences)


def _reasons_carry_params(document: dict[str, Any]) -> bool:
    reasons = document.get("reasons") or []
    return not reasons or "params" in reasons[0]


def decide_payload(
    session: Session,
    payload: CrossingIn,
    *,
    profile: ZoneProfile,
    seed: bytes,
    rules: RuleSet | None = None,
    credentials: CredentialCheck | None = None,
) -> Decision:
    """Decide an event against the current database without recording anything."""
    point = crossing_point(profile, payload.crossing_point)
    facts = gathering.gather(
        session, payload, point=point, profile=profile, credentials=credentials
    )
    at = payload.occurred_at.astimezone(dt.UTC)
    if rules is None:
        rules = rule_set_in_force(session, at=at, profile=profile) or shipped_rule_set()
    return decide(facts, rules, profile, seed=seed)


def decide_facts(
    facts_document: Mapping[str, Any], *, rule_set: RuleSet, profile: ZoneProfile, seed: bytes
) -> Decision:
    """Decide stored facts (a decision's ``inputs``): pure, no database."""
    return decide(facts_from_json(facts_document), rule_set, profile, seed=seed)


__all__ = [
    "SEED_KEY_FILE",
    "Device",
    "NewCrossing",
    "PreparedCrossing",
    "Replay",
    "Stored",
    "Written",
    "active_rule_set",
    "add_rule_set",
    "crossing_point",
    "decide_facts",
    "decide_payload",
    "get_crossing",
    "get_rule_set",
    "load_seed_key",
    "page_crossings",
    "page_rule_sets",
    "parse_event",
    "payload_hash",
    "prepare_crossing",
    "record_crossing",
    "replay",
    "rule_set_by_version",
    "rule_set_in_force",
    "seed_for",
    "write_crossings",
]


# --- lists ------------------------------------------------------------------------------------


def page_crossings(
    session: Session,
    *,
    crossing_point: str | None = None,
    outcome: Outcome | None = None,
    since: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> PageOf[CrossingEvent]:
    """Recorded crossings in recording order, with their decisions."""
    stmt = (
        select(CrossingEvent)
        .join(CrossingDecision, CrossingDecision.event_id == CrossingEvent.id)
        .options(contains_eager(CrossingEvent.decision))
    )
    if crossing_point is not None:
        stmt = stmt.where(CrossingEvent.crossing_point == crossing_point)
    if outcome is not None:
        stmt = stmt.where(CrossingDecision.outcome == outcome)
    if since is not None:
        stmt = stmt.where(CrossingEvent.occurred_at >= since)
    return paginate(session, stmt, id_column=CrossingEvent.id, cursor=cursor, limit=limit)


def page_rule_sets(
    session: Session, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> PageOf[StoredRuleSet]:
    """Stored rule sets in the order they were added."""
    return paginate(
        session, select(StoredRuleSet), id_column=StoredRuleSet.id, cursor=cursor, limit=limit
    )


def get_rule_set(session: Session, version: str) -> StoredRuleSet:
    """One stored rule set by version."""
    row = session.scalars(select(StoredRuleSet).where(StoredRuleSet.version == version)).first()
    if row is None:
        raise NotFound(f"rule set {version} does not exist")
    return row
