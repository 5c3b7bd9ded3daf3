"""Recording crossings: decide and store event + decision + audit event at once.

A device may retry: the same (device, device event id) with the same payload returns the first
decision and writes nothing; with another payload it is a Conflict. Intake (``intake``) checks
the event and gathers its facts; ``write_crossings`` decides and stores a batch under the
write lock. Services never commit: the caller's unit of work does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor, NewEvent, lock_log, record_events
from hetao.audit.tags import CrossingTag
from hetao.crossing import gather as gathering
from hetao.crossing import on_loan, repository, used_up
from hetao.crossing.gather import CredentialCheck, FaceCheck
from hetao.crossing.intake import (
    Device,
    PreparedCrossing,
    crossing_point,
    prepare_crossing,
)
from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.crossing.rule_sets import (
    active_rule_set,
    rule_set_by_version,
    rule_set_in_force,
)
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
from hetao.engine.rules import RuleSet, shipped_rule_set
from hetao.errors import Conflict, FieldProblem, NotFound
from hetao.inspections.service import NewInspection, queue_new_inspections
from hetao.profiles import ZoneProfile


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


#: What storing one prepared crossing gives: the event and whether it is new, or its error.
Stored = tuple[CrossingEvent, bool]


@dataclass(frozen=True, slots=True)
class NewCrossing:
    """A crossing event and its decision as just inserted: their rows and new ids.

    The committer hands these on as they are: ORM objects would cost time under the write
    lock. ``as_event`` makes one where a caller needs it.
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
        event_ids = repository.insert_events(connection, event_rows)
        decision_rows = [
            {**row, "event_id": event_id}
            for (_, _, row, _), event_id in zip(new.values(), event_ids, strict=True)
        ]
        decision_ids = repository.insert_decisions(connection, decision_rows)
        for key, event_row, event_id, decision_row, decision_id in zip(
            new, event_rows, event_ids, decision_rows, decision_ids, strict=True
        ):
            events[key] = NewCrossing(event_id, decision_id, event_row, decision_row)
        on_loan.link(
            session, [(p.facts, d.outcome, events[k].id) for k, (p, _, _, d) in new.items()]
        )
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
    count what the goods let on carry (``hetao.crossing.used_up``); an instrument on loan is
    decided on its loan's status as stored and moves it on (``hetao.crossing.on_loan``).
    Should the conditional UPDATE find a line with less left than read, decide once more."""
    for _ in range(2):
        facts = on_loan.current(session, used_up.current(session, facts))
        decision = decide(facts, rules, profile, seed=prepared.seed)
        if used_up.count(session, facts, decision.outcome):
            on_loan.move(session, facts, decision.outcome)
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
        found_id = repository.event_id_of(connection, device_key=device_key, event_id=event_id)
        if found_id is not None:  # retries are rare: ORM for those
            event = session.get(CrossingEvent, found_id)
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
        row = repository.counters_of(connection, point=point, start=start)
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
        repository.add_counts(session.connection(), rows)


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
        CrossingTag.EVENT_DECIDE,
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
    faces: FaceCheck | None = None,
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
        faces=faces,
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
    "NewCrossing",
    "Replay",
    "Stored",
    "Written",
    "decide_facts",
    "decide_payload",
    "get_crossing",
    "record_crossing",
    "replay",
    "write_crossings",
]
