"""Every query on crossings: events, decisions, rule sets and the selection counters.

The gate's statements are built once, at import, and run through the driver
(``hetao.storage.driver``): they are asked for every crossing, so they take a connection the
caller already holds and hand back plain rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Row, Select, Table, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, contains_eager

from hetao.crossing.models import CrossingDecision, CrossingEvent, SelectionCounter
from hetao.crossing.models import RuleSet as StoredRuleSet
from hetao.engine.facts import Outcome, SubjectType
from hetao.inspections.models import Inspection, InspectionResult, Override
from hetao.registry.models import Party, Person, Vehicle
from hetao.storage.driver import DriverInsert, DriverQuery, DriverWrite
from hetao.storage.pagination import DEFAULT_LIMIT, PageOf, paginate

_EVENTS = cast(Table, CrossingEvent.__table__)
_DECISIONS = cast(Table, CrossingDecision.__table__)
_COUNTERS = cast(Table, SelectionCounter.__table__)

#: Inspection results that count against a party in its history.
FOUND_A_PROBLEM = (InspectionResult.DISCREPANCY, InspectionResult.SEIZURE)


# --- rule sets --------------------------------------------------------------------------------


def stored_rule_set(session: Session, version: str) -> StoredRuleSet | None:
    """The stored rule set of ``version``, if any."""
    return session.scalars(select(StoredRuleSet).where(StoredRuleSet.version == version)).first()


class InForce(NamedTuple):
    id: int
    sha256: str


_IN_FORCE = DriverQuery(
    select(StoredRuleSet.id, StoredRuleSet.sha256)
    .where(StoredRuleSet.activates_at <= bindparam("at", type_=StoredRuleSet.activates_at.type))
    .order_by(StoredRuleSet.activates_at.desc(), StoredRuleSet.id.desc())
    .limit(1),
    InForce,
)


def rule_set_in_force(session: Session, *, at: dt.datetime) -> InForce | None:
    """The id and hash of the rule set activated last at ``at``: the content is read apart."""
    return _IN_FORCE.first(session.connection(), at=at)


def page_rule_sets(
    session: Session, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> PageOf[StoredRuleSet]:
    """Stored rule sets in the order they were added."""
    return paginate(
        session, select(StoredRuleSet), id_column=StoredRuleSet.id, cursor=cursor, limit=limit
    )


# --- events and decisions ---------------------------------------------------------------------

# A batch's rows go to the driver directly (hetao.storage.driver.DriverInsert), ids back in order.
_INSERT_EVENTS = DriverInsert(_EVENTS)
_INSERT_DECISIONS = DriverInsert(_DECISIONS)


def insert_events(connection: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert crossing events; their ids, in order."""
    return _INSERT_EVENTS.ids(connection, rows)


def insert_decisions(connection: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert decisions; their ids, in order."""
    return _INSERT_DECISIONS.ids(connection, rows)


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


def event_id_of(connection: Connection, *, device_key: str, event_id: str) -> int | None:
    """The id of the event a device recorded under ``event_id``, if it did."""
    row = _FIND_EVENT.first(connection, device_key=device_key, event_id=event_id)
    return None if row is None else row.id


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


def party_history(session: Session, party_id: int, since: dt.datetime) -> tuple[int, int]:
    """Inspections of the party's crossings since ``since``, and those that found a problem."""
    stmt = (
        select(
            func.count(CrossingDecision.id).filter(CrossingDecision.outcome == Outcome.INSPECT),
            func.count(Inspection.id).filter(Inspection.result.in_(FOUND_A_PROBLEM)),
        )
        .select_from(CrossingEvent)
        .join(CrossingDecision, CrossingDecision.event_id == CrossingEvent.id)
        .outerjoin(Inspection, Inspection.decision_id == CrossingDecision.id)
        .where(CrossingEvent.party_id == party_id, CrossingEvent.occurred_at >= since)
    )
    row = session.execute(stmt).one()
    return int(row[0] or 0), int(row[1] or 0)


def decisions_since(session: Session, since: dt.datetime, *, batch: int) -> Iterator[Row[Any]]:
    """Recorded decisions since ``since`` with their inspection results, in batches by id.

    Plain rows, not ORM objects: nothing piles up in the session over a long history.
    """
    decision = CrossingDecision
    after = 0
    while True:
        stmt = (
            select(
                decision.id,
                decision.outcome,
                decision.lane,
                decision.reasons,
                decision.inputs,
                decision.seed,
                Inspection.result,
            )
            .join(CrossingEvent, CrossingEvent.id == decision.event_id)
            .outerjoin(Inspection, Inspection.decision_id == decision.id)
            .where(CrossingEvent.occurred_at >= since, decision.id > after)
            .order_by(decision.id)
            .limit(batch)
        )
        rows = session.execute(stmt).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


# --- selection counters -----------------------------------------------------------------------


def _counter_upsert(dialect_name: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding a batch's crossings and inspections."""
    table = _COUNTERS
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


class StoredCount(NamedTuple):
    crossings: int
    inspections: int


# One (point, period) pair's counters, by primary key: a batch has a pair or two.
_READ_COUNTERS = DriverQuery(
    select(_COUNTERS.c.crossings, _COUNTERS.c.inspections).where(
        _COUNTERS.c.crossing_point == bindparam("point"),
        _COUNTERS.c.period_start == bindparam("start", type_=_COUNTERS.c.period_start.type),
    ),
    StoredCount,
)


def counters_of(connection: Connection, *, point: str, start: dt.datetime) -> StoredCount | None:
    """A point's stored counters of the period starting at ``start``, if any."""
    return _READ_COUNTERS.first(connection, point=point, start=start)


def add_counts(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Add crossings and inspections (``point``, ``start``, ``crossed``, ``inspected``)."""
    _COUNTER_UPSERTS[connection.dialect.name].write(connection, rows)


# --- the officer's console ------------------------------------------------------------------


class ConsoleRow(NamedTuple):
    """A decided crossing as the console lists it: the decision, and who or what crossed."""

    decision_id: int
    crossing_id: int
    crossing_point: str
    direction: str
    subject_type: SubjectType
    outcome: Outcome
    lane: str
    reasons: list[dict[str, Any]]
    decided_at: dt.datetime
    occurred_at: dt.datetime
    person_family_name: str | None
    person_given_name: str | None
    person_name_zh: str | None
    plate: str | None
    party_name_en: str | None
    party_name_zh: str | None


def _console_select() -> Select[Any]:
    """Decisions joined to their events and the registry names of what crossed."""
    return (
        select(
            CrossingDecision.id,
            CrossingEvent.id,
            CrossingDecision.crossing_point,
            CrossingEvent.direction,
            CrossingEvent.subject_type,
            CrossingDecision.outcome,
            CrossingDecision.lane,
            CrossingDecision.reasons,
            CrossingDecision.decided_at,
            CrossingEvent.occurred_at,
            Person.family_name,
            Person.given_name,
            Person.name_zh,
            Vehicle.plate,
            Party.name_en,
            Party.name_zh,
        )
        .join(CrossingEvent, CrossingEvent.id == CrossingDecision.event_id)
        .outerjoin(Person, Person.id == CrossingEvent.person_id)
        .outerjoin(Vehicle, Vehicle.id == CrossingEvent.vehicle_id)
        .outerjoin(Party, Party.id == CrossingEvent.party_id)
    )


def _console_rows(session: Session, stmt: Select[Any]) -> list[ConsoleRow]:
    return [ConsoleRow(*row) for row in session.execute(stmt)]


def latest_crossings(
    session: Session,
    *,
    points: Collection[str],
    outcome: Outcome | None = None,
    subject_type: SubjectType | None = None,
    before: int | None = None,
    after: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[ConsoleRow], int | None]:
    """Decided crossings at ``points`` newest first, between decisions ``after`` and ``before``;
    with the id to pass as ``before`` for the next page when older ones follow."""
    stmt = (
        _console_select()
        .where(CrossingDecision.crossing_point.in_(list(points)))
        .order_by(CrossingDecision.id.desc())
        .limit(limit + 1)
    )
    if outcome is not None:
        stmt = stmt.where(CrossingDecision.outcome == outcome)
    if subject_type is not None:
        stmt = stmt.where(CrossingEvent.subject_type == subject_type)
    if before is not None:
        stmt = stmt.where(CrossingDecision.id < before)
    if after is not None:
        stmt = stmt.where(CrossingDecision.id > after)
    rows = _console_rows(session, stmt)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].decision_id if more and rows else None)


def console_row(session: Session, crossing_id: int) -> ConsoleRow | None:
    """One crossing as the console lists it (by the event's id)."""
    return next(
        iter(_console_rows(session, _console_select().where(CrossingEvent.id == crossing_id))), None
    )


def decisions_after(
    session: Session, after: int, *, also: Collection[int] = (), limit: int = 500
) -> list[ConsoleRow]:
    """Decisions with an id above ``after`` (and those of ids ``also``), oldest first: what the
    live console's poller has not yet seen."""
    newer = CrossingDecision.id > after
    stmt = (
        _console_select()
        .where(or_(newer, CrossingDecision.id.in_(list(also))) if also else newer)
        .order_by(CrossingDecision.id)
        .limit(limit)
    )
    return _console_rows(session, stmt)


def last_decision_id(session: Session) -> int:
    """The highest decision id stored (0 when there is none)."""
    return int(session.scalar(select(func.max(CrossingDecision.id))) or 0)


def inspection_of(session: Session, decision_id: int) -> int | None:
    """The id of the inspection a decision opened, if any."""
    return session.scalar(select(Inspection.id).where(Inspection.decision_id == decision_id))


def override_ids_of(session: Session, decision_id: int) -> list[int]:
    """The ids of the overrides proposed on a decision, oldest first."""
    stmt = select(Override.id).where(Override.decision_id == decision_id).order_by(Override.id)
    return list(session.scalars(stmt))
