"""The dashboards' figures: each chart computed from the repositories' grouped counts.

Times are the zone's: "today" and the hours of a day are local, as are days and months.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hetao.dashboards import repository as repo
from hetao.dashboards.charts import Chart, Number, Series
from hetao.datatransfer.models import ApplicationStatus
from hetao.datatransfer.routing import Route
from hetao.engine.facts import Outcome
from hetao.errors import NotFound, ValidationFailed
from hetao.funds.models import FundingSource, TransferStatus
from hetao.inspections.models import InspectionResult
from hetao.profiles import ZoneProfile
from hetao.reasons import Reason
from hetao.reference import hs
from hetao.registry.models import EntryStatus
from hetao.storage.types import utcnow
from hetao.timeutil import add_months

DAYS = 30
MONTHS = 12
OUTCOMES = tuple(o.value for o in Outcome)
HITS = (InspectionResult.DISCREPANCY.value, InspectionResult.SEIZURE.value)
QUEUE = tuple(s.value for s in repo.OPEN_STATUSES)
STOCK = tuple(s.value for s in repo.STOCK_STATUSES)
#: A decision that names no rule was drawn at random for inspection.
RANDOM = "random"
#: The whitelist's entries of a person or vehicle carry no industry.
NO_INDUSTRY = "none"
#: An application not yet routed.
UNROUTED = "unrouted"
ONE_PLACE = Decimal("0.1")
CENTS = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Filters:
    """The crossings charts' filters: a line and a crossing point, or all."""

    line: str | None = None
    point: str | None = None


@dataclass(frozen=True, slots=True)
class Clock:
    """Now, and the zone's local calendar around it."""

    now: dt.datetime
    zone: ZoneInfo

    @classmethod
    def of(cls, profile: ZoneProfile, now: dt.datetime | None = None) -> Clock:
        return cls(now or utcnow(), ZoneInfo(profile.zone.timezone))

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.zone).date()

    def midnight(self, day: dt.date) -> dt.datetime:
        """The instant the local ``day`` starts."""
        return dt.datetime.combine(day, dt.time(), self.zone).astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class Context:
    """What every chart is computed from: the database, the zone, now, the filters."""

    session: Session
    profile: ZoneProfile
    clock: Clock
    filters: Filters
    #: Rows read for one chart that another chart shows too.
    crossings_memo: dict[str, list[repo.CrossingCount]] = field(default_factory=dict)
    inspections_memo: dict[str, list[repo.Completed]] = field(default_factory=dict)
    tallies_memo: dict[str, list[repo.Tally]] = field(default_factory=dict)


def check_filters(profile: ZoneProfile, filters: Filters) -> Filters:
    """Refuse a line or crossing point the zone does not have (a 422 naming the field)."""
    lines = {point.line.value for point in profile.crossing_points}
    if filters.line is not None and filters.line not in lines:
        raise ValidationFailed.single("line", "line.known", f"one of {', '.join(sorted(lines))}")
    codes = [point.code for point in profile.crossing_points]
    if filters.point is not None and filters.point not in codes:
        raise ValidationFailed.single("point", "point.known", "not a crossing point of the zone")
    return filters


# --- crossings ----------------------------------------------------------------------------------


def _by_outcome(
    key: str,
    kind: str,
    axis: str,
    categories: tuple[str, ...],
    counts: Iterable[tuple[str, str, int]],
) -> Chart:
    table: dict[tuple[str, str], int] = defaultdict(int)
    for category, outcome, count in counts:
        table[category, outcome] += count
    return Chart(
        key=key,
        kind="line" if kind == "line" else "stacked",
        unit="count",
        axis=axis,
        categories=categories,
        series=tuple(
            Series(outcome, tuple(table[c, outcome] for c in categories)) for outcome in OUTCOMES
        ),
        series_labels="dashboards.outcome",
    )


def crossings_today(at: Context) -> Chart:
    """Crossings of today, per local hour and decision."""
    day = at.clock.today
    rows = repo.crossings_by_bucket(
        at.session,
        start=at.clock.midnight(day),
        end=at.clock.midnight(day + dt.timedelta(days=1)),
        bucket="hour",
        timezone=at.profile.zone.timezone,
        line=at.filters.line,
        point=at.filters.point,
    )
    hours = tuple(f"{hour:02d}" for hour in range(24))
    return _by_outcome(
        "crossings-today",
        "stacked",
        "hour",
        hours,
        ((bucket[-2:], outcome, count) for bucket, _, _, outcome, count in rows),
    )


def _last_days(clock: Clock) -> tuple[dt.date, ...]:
    return tuple(clock.today - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS))


def month_of_crossings(at: Context) -> list[repo.CrossingCount]:
    """Crossings of the last 30 local days per day, line, point and decision: read once for
    both charts that show them."""
    if "days" not in at.crossings_memo:
        days = _last_days(at.clock)
        at.crossings_memo["days"] = repo.crossings_by_bucket(
            at.session,
            start=at.clock.midnight(days[0]),
            end=at.clock.midnight(days[-1] + dt.timedelta(days=1)),
            bucket="day",
            timezone=at.profile.zone.timezone,
            line=at.filters.line,
            point=at.filters.point,
        )
    return at.crossings_memo["days"]


def crossings_days(at: Context) -> Chart:
    """Crossings of the last 30 local days, per day and decision."""
    return _by_outcome(
        "crossings-30-days",
        "line",
        "day",
        tuple(day.isoformat() for day in _last_days(at.clock)),
        ((bucket, outcome, count) for bucket, _, _, outcome, count in month_of_crossings(at)),
    )


def crossings_by_point(at: Context) -> Chart:
    """Crossings of the last 30 local days, per crossing point (grouped by line) and decision."""
    rows = month_of_crossings(at)
    points = tuple(
        p.code
        for p in sorted(at.profile.crossing_points, key=lambda p: (p.line.value, p.code))
        if (at.filters.line is None or p.line.value == at.filters.line)
        and (at.filters.point is None or p.code == at.filters.point)
    )
    return _by_outcome(
        "crossings-by-point",
        "stacked",
        "point",
        points,
        ((point, outcome, count) for _, _, point, outcome, count in rows),
    )


# --- inspections --------------------------------------------------------------------------------


def rules_of(reasons: Iterable[object]) -> set[str]:
    """The rules a decision names (its reasons' rules, else their codes); none: drawn at random."""
    named = set()
    for stored in reasons:
        reason = Reason.from_stored(stored)
        named.add(reason.rule or reason.code)
    return named or {RANDOM}


def rate(hits: int, completed: int) -> Decimal:
    """Hits per hundred completed, to one place (0 when none completed)."""
    if not completed:
        return Decimal("0.0")
    return (Decimal(100 * hits) / completed).quantize(ONE_PLACE, ROUND_HALF_UP)


def _hit_chart(key: str, axis: str, tallies: dict[str, list[int]], order: list[str]) -> Chart:
    completed = tuple(tallies[c][0] for c in order)
    hits = tuple(tallies[c][1] for c in order)
    return Chart(
        key=key,
        kind="grouped",
        unit="percent",
        axis=axis,
        categories=tuple(order),
        series=(
            Series("completed", completed, drawn=False),
            Series("hits", hits, drawn=False),
            Series("hit_rate", tuple(rate(h, c) for h, c in zip(hits, completed, strict=True))),
        ),
        series_labels="dashboards.series",
    )


def tallied(at: Context, name: str) -> list[repo.Tally]:
    """One chart's counts of ``repo.tallies``, read for all five charts at the first ask."""
    if not at.tallies_memo:
        at.tallies_memo.update(repo.tallies(at.session))
    return at.tallies_memo[name]


def completed_of_month(at: Context) -> list[repo.Completed]:
    """Inspections completed in the last 30 days, read once for the two hit-rate charts."""
    if "month" not in at.inspections_memo:
        since = at.clock.now - dt.timedelta(days=DAYS)
        at.inspections_memo["month"] = repo.completed_inspections(at.session, since=since)
    return at.inspections_memo["month"]


def hits_by_rule(at: Context) -> Chart:
    """Share of inspections completed in 30 days that found a discrepancy or seized, by rule."""
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result, _lane, reasons in completed_of_month(at):
        for rule in rules_of(reasons):
            tallies[rule][0] += 1
            tallies[rule][1] += result in HITS
    return _hit_chart("inspection-hits-by-rule", "rule", tallies, sorted(tallies, key=_rule_order))


def _rule_order(rule: str) -> tuple[int, str]:
    digits = "".join(ch for ch in rule if ch.isdigit())
    return (int(digits) if digits else 10_000, rule)


def hits_by_lane(at: Context) -> Chart:
    """Share of inspections completed in 30 days that found a discrepancy or seized, by lane."""
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lane in at.profile.selection.lanes:
        tallies[lane.name] = [0, 0]
    for result, lane_name, _reasons in completed_of_month(at):
        tallies[lane_name][0] += 1
        tallies[lane_name][1] += result in HITS
    return _hit_chart("inspection-hits-by-lane", "lane", tallies, list(tallies))


def _point_codes(profile: ZoneProfile) -> list[str]:
    return [p.code for p in sorted(profile.crossing_points, key=lambda p: (p.line.value, p.code))]


def queue_now(at: Context) -> Chart:
    """Inspections waiting or under way now, per crossing point and state."""
    counts = {(point or "", status): count for point, status, count in tallied(at, "queue")}
    points = _point_codes(at.profile)
    points += sorted({point for point, _ in counts} - set(points))
    return Chart(
        key="inspection-queue",
        kind="stacked",
        unit="count",
        axis="point",
        categories=tuple(points),
        series=tuple(
            Series(status, tuple(counts.get((p, status), 0) for p in points)) for status in QUEUE
        ),
        series_labels="dashboards.queue",
    )


def minutes(delta: dt.timedelta) -> Decimal:
    return Decimal(delta.total_seconds() / 60).quantize(ONE_PLACE, ROUND_HALF_UP)


def nearest_rank(values: list[dt.timedelta], share: float) -> dt.timedelta:
    """The ``share`` percentile by nearest rank (the value at or above that share)."""
    ordered = sorted(values)
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[rank - 1]


def waits(at: Context) -> Chart:
    """Time from an inspection's opening to its start, median and p90, of 30 days, per point."""
    by_point: dict[str, list[dt.timedelta]] = defaultdict(list)
    for point, wait in repo.waits_to_start(
        at.session, since=at.clock.now - dt.timedelta(days=DAYS)
    ):
        by_point[point].append(wait)
    points = _point_codes(at.profile)
    points += sorted(set(by_point) - set(points))
    zero = Decimal("0.0")
    return Chart(
        key="inspection-wait",
        kind="grouped",
        unit="minutes",
        axis="point",
        categories=tuple(points),
        series=(
            Series("started", tuple(len(by_point[p]) for p in points), drawn=False),
            Series(
                "median",
                tuple(
                    minutes(statistics.median_low(by_point[p])) if by_point[p] else zero
                    for p in points
                ),
            ),
            Series(
                "p90",
                tuple(
                    minutes(nearest_rank(by_point[p], 0.9)) if by_point[p] else zero for p in points
                ),
            ),
        ),
        series_labels="dashboards.series",
    )


# --- goods, registry, funds, data ---------------------------------------------------------------


def _stacked(
    key: str,
    axis: str,
    categories: list[str],
    keys: tuple[str, ...],
    counts: dict[tuple[str, str], Number],
    labels: str,
    unit: str = "count",
) -> Chart:
    return Chart(
        key=key,
        kind="stacked",
        unit="money" if unit == "money" else "count",
        axis=axis,
        categories=tuple(categories),
        series=tuple(Series(k, tuple(counts.get((c, k), 0) for c in categories)) for k in keys),
        series_labels=labels,
    )


def section_of_chapter(chapter: str) -> str:
    """The HS section (Roman numeral) of a two-digit chapter; ``?`` for an unknown one."""
    entry = hs.lookup(chapter)
    return entry.section if entry is not None else "?"


def stock(at: Context) -> Chart:
    """Bonded and duty-free lots with goods in stock, by HS section and customs status."""
    counts: dict[tuple[str, str], Number] = defaultdict(int)
    for chapter, status, count in tallied(at, "stock"):
        counts[section_of_chapter(chapter or ""), status] += count
    sections = sorted({s for s, _ in counts}, key=_numeral_order)
    return _stacked("stock", "section", sections, STOCK, counts, "ledger.customs_status")


ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}


def _numeral_order(numeral: str) -> int:
    values = [ROMAN.get(ch, 0) for ch in numeral]
    total = sum(
        -value if i + 1 < len(values) and value < values[i + 1] else value
        for i, value in enumerate(values)
    )
    return total or 1000


def whitelist(at: Context) -> Chart:
    """Whitelist entries by industry and state."""
    counts: dict[tuple[str, str], Number] = {}
    for industry, status, count in tallied(at, "whitelist"):
        counts[industry or NO_INDUSTRY, status] = count
    industries = sorted({i for i, _ in counts}, key=lambda i: (i == NO_INDUSTRY, i))
    statuses = tuple(s.value for s in EntryStatus)
    return _stacked("whitelist", "industry", industries, statuses, counts, "registry.entry_status")


def taxes_by_month(at: Context) -> Chart:
    """Duty, consumption tax and VAT assessed on declarations cleared, per local month (12)."""
    first = at.clock.today.replace(day=1)
    months = [add_months(first, i - MONTHS + 1) for i in range(MONTHS)]
    rows = repo.taxes_by_month(
        at.session,
        start=at.clock.midnight(months[0]),
        end=at.clock.midnight(add_months(first, 1)),
        timezone=at.profile.zone.timezone,
    )
    counts: dict[tuple[str, str], Number] = {}
    # To the fen, as assessed: a database's sum may drop trailing zeros (9491.6, 0).
    for month, duty, consumption, vat in rows:
        counts[month, "duty"] = duty.quantize(CENTS)
        counts[month, "consumption_tax"] = consumption.quantize(CENTS)
        counts[month, "vat"] = vat.quantize(CENTS)
    zero = Decimal("0.00")
    labels = [month.strftime("%Y-%m") for month in months]
    return Chart(
        key="taxes-by-month",
        kind="stacked",
        unit="money",
        axis="month",
        categories=tuple(labels),
        series=tuple(
            Series(tax, tuple(Decimal(counts.get((m, tax), zero)) for m in labels))
            for tax in ("duty", "consumption_tax", "vat")
        ),
        series_labels="dashboards.tax",
    )


def fund_transfers(at: Context) -> Chart:
    """Research fund transfers by the project's funding source and the transfer's state."""
    counts: dict[tuple[str, str], Number] = {
        (source or "", status): count for source, status, count in tallied(at, "funds")
    }
    return _stacked(
        "fund-transfers",
        "source",
        [s.value for s in FundingSource],
        tuple(s.value for s in TransferStatus),
        counts,
        "funds.state",
    )


def data_transfers(at: Context) -> Chart:
    """Applications to send data abroad by route and state."""
    counts: dict[tuple[str, str], Number] = {
        (route or UNROUTED, status): count for route, status, count in tallied(at, "data")
    }
    routes = [r.value for r in Route]
    if any(route == UNROUTED for route, _ in counts):
        routes.append(UNROUTED)
    return _stacked(
        "data-transfers",
        "route",
        routes,
        tuple(s.value for s in ApplicationStatus),
        counts,
        "data.state",
    )


#: Every chart of the dashboard, in the order shown (the crossings' ones read the filters).
COMPUTE: dict[str, Callable[[Context], Chart]] = {
    "crossings-today": crossings_today,
    "crossings-30-days": crossings_days,
    "crossings-by-point": crossings_by_point,
    "inspection-hits-by-rule": hits_by_rule,
    "inspection-hits-by-lane": hits_by_lane,
    "inspection-queue": queue_now,
    "inspection-wait": waits,
    "stock": stock,
    "whitelist": whitelist,
    "taxes-by-month": taxes_by_month,
    "fund-transfers": fund_transfers,
    "data-transfers": data_transfers,
}
FILTERED = frozenset({"crossings-today", "crossings-30-days", "crossings-by-point"})
CHARTS = tuple(COMPUTE)


def chart(
    session: Session,
    profile: ZoneProfile,
    key: str,
    *,
    filters: Filters | None = None,
    clock: Clock | None = None,
) -> Chart:
    """One chart's figures; an unknown chart is a 404, an unknown line or point a 422."""
    compute = COMPUTE.get(key)
    if compute is None:
        raise NotFound(f"no chart {key!r}")
    chosen = check_filters(profile, filters or Filters())
    return compute(Context(session, profile, clock or Clock.of(profile), chosen))


def every_chart(
    session: Session, profile: ZoneProfile, *, filters: Filters, clock: Clock | None = None
) -> list[Chart]:
    """All charts of the dashboard, in order, at one instant."""
    at = Context(session, profile, clock or Clock.of(profile), check_filters(profile, filters))
    return [compute(at) for compute in COMPUTE.values()]
