"""Queries of the dashboards and the second line: counts and sums grouped in SQL.

Buckets of local time (hour, day, month at the zone) are made by the database as text, so a
chart of thirty days reads a few hundred grouped rows, never every crossing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.datatransfer.models import DataTransferApplication
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration, DeclarationStatus
from hetao.funds.models import FundTransfer, Project
from hetao.inspections.models import Inspection, InspectionStatus
from hetao.ledger.models import CustomsStatus, Lot
from hetao.registry.models import Party, WhitelistEntry

Bucket = Literal["hour", "day", "month"]
#: The text each bucket is written as, in SQLite's strftime and PostgreSQL's to_char.
_SQLITE_FORMAT: dict[Bucket, str] = {"hour": "%Y-%m-%d %H", "day": "%Y-%m-%d", "month": "%Y-%m"}
_POSTGRES_FORMAT: dict[Bucket, str] = {
    "hour": "YYYY-MM-DD HH24",
    "day": "YYYY-MM-DD",
    "month": "YYYY-MM",
}


def local_bucket(
    session: Session, column: ColumnElement[dt.datetime | None] | Any, bucket: Bucket, timezone: str
) -> ColumnElement[str]:
    """The zone's local hour, day or month of an instant column, as sortable text."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite keeps naive UTC text and knows no zones: shift by the zone's offset now (the
        # zone, UTC+8, keeps no summer time).
        offset = dt.datetime.now(dt.UTC).astimezone(ZoneInfo(timezone)).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        return func.strftime(_SQLITE_FORMAT[bucket], column, f"{minutes:+d} minutes")
    return func.to_char(func.timezone(literal(timezone, String), column), _POSTGRES_FORMAT[bucket])


# --- crossings ----------------------------------------------------------------------------------

#: (bucket, line, crossing point, outcome, crossings)
CrossingCount = tuple[str, str, str, str, int]


def crossings_by_bucket(
    session: Session,
    *,
    start: dt.datetime,
    end: dt.datetime,
    bucket: Bucket,
    timezone: str,
    line: str | None,
    point: str | None,
) -> list[CrossingCount]:
    """Decided crossings that occurred in [start, end), counted per local bucket, line, point
    and outcome."""
    when = local_bucket(session, CrossingEvent.occurred_at, bucket, timezone)
    stmt = (
        select(
            when,
            CrossingEvent.line,
            CrossingDecision.crossing_point,
            CrossingDecision.outcome,
            func.count(),
        )
        .join(CrossingDecision, CrossingDecision.event_id == CrossingEvent.id)
        .where(CrossingEvent.occurred_at >= start, CrossingEvent.occurred_at < end)
        .group_by(
            when, CrossingEvent.line, CrossingDecision.crossing_point, CrossingDecision.outcome
        )
    )
    if line is not None:
        stmt = stmt.where(CrossingEvent.line == line)
    if point is not None:
        stmt = stmt.where(CrossingDecision.crossing_point == point)
    return [(b, ln, p, str(o), n) for b, ln, p, o, n in session.execute(stmt)]


# --- inspections --------------------------------------------------------------------------------


#: (result, lane, the decision's stored reasons)
Completed = tuple[str, str, list[dict[str, object]]]


def completed_inspections(session: Session, *, since: dt.datetime) -> list[Completed]:
    """(result, lane, the decision's stored reasons) of inspections completed since ``since``."""
    stmt = (
        select(Inspection.result, CrossingDecision.lane, CrossingDecision.reasons)
        .join(CrossingDecision, CrossingDecision.id == Inspection.decision_id)
        .where(Inspection.status == InspectionStatus.COMPLETED, Inspection.completed_at >= since)
    )
    return [
        (str(result), lane, list(reasons or [])) for result, lane, reasons in session.execute(stmt)
    ]


OPEN_STATUSES = (InspectionStatus.QUEUED, InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS)
STOCK_STATUSES = (CustomsStatus.BONDED, CustomsStatus.DUTY_FREE_RESEARCH)


def waits_to_start(session: Session, *, since: dt.datetime) -> list[tuple[str, dt.timedelta]]:
    """(crossing point, time from opening to start) of inspections started since ``since``."""
    stmt = select(Inspection.crossing_point, Inspection.opened_at, Inspection.started_at).where(
        Inspection.started_at.is_not(None), Inspection.started_at >= since
    )
    return [
        (point, started - opened)
        for point, opened, started in session.execute(stmt)
        if started is not None
    ]


# --- the queue, goods, registry, funds, data: five small counts in one round trip -------------

#: (category, series, how many): a crossing point and state, an HS chapter and customs status...
Tally = tuple[str | None, str, int]
TALLIES = ("queue", "stock", "whitelist", "funds", "data")


def _tally(
    name: str, category: ColumnElement[Any] | Any, series: ColumnElement[Any] | Any
) -> Select[str, str, str, int]:
    """``name``, then the category and series as text (enums too, so the union reads them
    alike), then the count; the caller adds its FROM, WHERE and GROUP BY."""
    return select(
        literal_column(f"'{name}'", String),
        type_coerce(category, String),
        type_coerce(series, String),
        func.count(),
    )


def tallies(session: Session) -> dict[str, list[Tally]]:
    """Per chart, its grouped counts:

    - ``queue``: (crossing point, state) of inspections not yet completed nor cancelled;
    - ``stock``: (HS chapter, customs status) of bonded and duty-free lots with goods left;
    - ``whitelist``: (industry, state) of entries: an industry entry's own field, else the
      industry of the party the entry is for or sponsored by;
    - ``funds``: (the project's funding source, state) of fund transfers;
    - ``data``: (route, state) of data transfer applications.

    One UNION ALL: each is a handful of rows, and a round trip costs more than its query.
    """
    chapter = func.substr(Lot.hs_code, 1, 2)
    industry = func.coalesce(WhitelistEntry.industry, Party.industry)
    stmt = union_all(
        _tally("queue", Inspection.crossing_point, Inspection.status)
        .where(Inspection.status.in_(OPEN_STATUSES))
        .group_by(Inspection.crossing_point, Inspection.status),
        _tally("stock", chapter, Lot.customs_status)
        .where(Lot.balance > 0, Lot.customs_status.in_(STOCK_STATUSES))
        .group_by(chapter, Lot.customs_status),
        _tally("whitelist", industry, WhitelistEntry.status)
        .select_from(WhitelistEntry)
        .outerjoin(Party, Party.id == WhitelistEntry.party_id)
        .group_by(industry, WhitelistEntry.status),
        _tally("funds", Project.funding_source, FundTransfer.status)
        .select_from(FundTransfer)
        .join(Project, Project.id == FundTransfer.project_id)
        .group_by(Project.funding_source, FundTransfer.status),
        _tally("data", DataTransferApplication.route, DataTransferApplication.status).group_by(
            DataTransferApplication.route, DataTransferApplication.status
        ),
    )
    found: dict[str, list[Tally]] = {name: [] for name in TALLIES}
    for name, category, series, count in session.execute(stmt):
        found[name].append((category, series, count))
    return found


# --- taxes --------------------------------------------------------------------------------------


def taxes_by_month(
    session: Session, *, start: dt.datetime, end: dt.datetime, timezone: str
) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(local month, duty, consumption tax, VAT) of declarations cleared in [start, end)."""
    month = local_bucket(session, Declaration.cleared_at, "month", timezone)
    stmt = (
        select(
            month,
            func.sum(Declaration.duty),
            func.sum(Declaration.consumption_tax),
            func.sum(Declaration.vat),
        )
        .where(
            Declaration.status == DeclarationStatus.CLEARED,
            Declaration.cleared_at >= start,
            Declaration.cleared_at < end,
            Declaration.tax_total.is_not(None),
        )
        .group_by(month)
    )
    zero = Decimal("0.00")
    return [
        (m, Decimal(duty or zero), Decimal(consumption or zero), Decimal(vat or zero))
        for m, duty, consumption, vat in session.execute(stmt)
    ]


# --- the second line ----------------------------------------------------------------------------


def second_line_exits(
    session: Session, *, start: dt.datetime, end: dt.datetime, party_id: int | None
) -> Sequence[Declaration]:
    """Second-line exits cleared in [start, end), with their lines, oldest first."""
    stmt = (
        select(Declaration)
        .options(selectinload(Declaration.lines))
        .where(
            Declaration.kind == DeclarationKind.SECOND_LINE_EXIT,
            Declaration.status == DeclarationStatus.CLEARED,
            Declaration.cleared_at >= start,
            Declaration.cleared_at < end,
        )
        .order_by(Declaration.cleared_at, Declaration.id)
    )
    if party_id is not None:
        stmt = stmt.where(Declaration.party_id == party_id)
    return session.scalars(stmt).all()


def second_line_parties(session: Session) -> list[int]:
    """Parties that have ever cleared goods out to the mainland (the page's party filter)."""
    stmt = (
        select(Declaration.party_id)
        .where(
            Declaration.kind == DeclarationKind.SECOND_LINE_EXIT,
            Declaration.status == DeclarationStatus.CLEARED,
        )
        .distinct()
    )
    return list(session.scalars(stmt))


def parties(session: Session, ids: Iterable[int]) -> list[Party]:
    """The parties of ``ids`` in one query."""
    wanted = set(ids)
    if not wanted:
        return []
    return list(session.scalars(select(Party).where(Party.id.in_(wanted))))
