"""Every query on crossings: events, decisions, rule sets and the selection counters.

The gate's statements are built once, at import, and run through the driver
(``hetao.storage.driver``): they are asked for every crossing, so they take a connection the
caller already holds and hand back plain rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Row, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, contains_eager

from hetao.crossing.models import CrossingDecision, CrossingEvent, SelectionCounter
from hetao.crossing.models import RuleSet as StoredRuleSet
from hetao.engine.facts import Outcome
from hetao.inspections.models import Inspection, InspectionResult
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
