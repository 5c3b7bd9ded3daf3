"""Pages of the dashboards and the second line.

Charts are drawn on the server as SVG from the same figures as the table beside each and the
API's JSON (``service``, named by ``labels``); no script draws anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy.orm import Session

from hetao.api.deps import ProfileDep, SessionDep
from hetao.api.security import Allow
from hetao.dashboards import repository as repo
from hetao.dashboards import second_line, service
from hetao.dashboards.labels import Named, named
from hetao.declarations import reports
from hetao.inputs import Id
from hetao.profiles import Line, ZoneProfile
from hetao.timeutil import add_months, zone_today
from hetao.web import page_router
from hetao.web.i18n import current_language, t
from hetao.web.navigation import DASHBOARD_READERS, SECOND_LINE
from hetao.web.rendering import render

router = page_router()
READERS = Depends(Allow(*DASHBOARD_READERS))
SECOND_LINE_STAFF = Depends(Allow(*SECOND_LINE))
FromQuery = Annotated[dt.date | None, Query(alias="from", description="First day, at the zone")]
ToQuery = Annotated[dt.date | None, Query(alias="to", description="Last day, included")]
LineQuery = Annotated[Line | None, Query()]
PointQuery = Annotated[str | None, Query(max_length=40)]


def party_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Display names of parties, in Chinese on a Chinese page where the party has one."""
    chinese = current_language() != "en"
    return {
        party.id: party.name_zh if chinese and party.name_zh else party.name_en
        for party in repo.parties(session, ids)
    }


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    """Rows as a CSV file to save; a cell a spreadsheet would run as a formula is quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([_cell(cell) for cell in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "@") else text


# --- dashboards ---------------------------------------------------------------------------------


def _filters(line: Line | None, point: str | None) -> service.Filters:
    return service.Filters(line=line.value if line else None, point=point or None)


@router.get("/dashboards", dependencies=[READERS])
def dashboards(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    line: LineQuery = None,
    point: PointQuery = None,
) -> Response:
    """Every chart with its table and CSV link; the crossings' charts by line and point."""
    filters = _filters(line, point)
    figures = service.every_chart(session, profile, filters=filters)
    charts = [named(profile, chart) for chart in figures]
    return render(
        request,
        "dashboards/index.html",
        charts=charts,
        line=filters.line or "",
        point=filters.point or "",
        lines=sorted({p.line.value for p in profile.crossing_points}),
        points=[(p.code, p.name) for p in profile.crossing_points],
        filtered=service.FILTERED,
        today=zone_today(profile.zone.timezone),
    )


def chart_csv(chart: Named, axis_label: str) -> Response:
    """A chart's table as CSV: the category, then one column per series."""
    return csv_response(
        f"{chart.chart.key}.csv",
        [axis_label, *chart.series],
        ([name, *values] for name, values in chart.rows()),
    )


@router.get("/dashboards/{chart}.csv", dependencies=[READERS])
def dashboard_csv(
    chart: str,
    session: SessionDep,
    profile: ProfileDep,
    line: LineQuery = None,
    point: PointQuery = None,
) -> Response:
    """One chart's table to download."""
    shown = named(profile, service.chart(session, profile, chart, filters=_filters(line, point)))
    return chart_csv(shown, t(f"dashboards.axis.{shown.chart.axis}"))


# --- the second line ----------------------------------------------------------------------------


@router.get("/port/second-line", dependencies=[SECOND_LINE_STAFF])
def second_line_page(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    from_: FromQuery = None,
    to: ToQuery = None,
    party_id: Annotated[Id | None, Query()] = None,
) -> Response:
    """Goods cleared out to the mainland with their taxes, by day and party (a week by default)."""
    today = zone_today(profile.zone.timezone)
    period_to = to or today
    period_from = from_ or period_to - dt.timedelta(days=6)
    groups = second_line.exits(
        session,
        period_from=period_from,
        period_to=period_to,
        timezone=profile.zone.timezone,
        party_id=party_id,
    )
    choices = repo.second_line_parties(session)
    names = party_names(session, {*choices, *(g.party_id for g in groups)})
    return render(
        request,
        "dashboards/second_line.html",
        groups=groups,
        parties=names,
        party_choices=sorted(((pid, names.get(pid, "")) for pid in choices), key=lambda c: c[1]),
        party_id=party_id,
        period_from=period_from,
        period_to=period_to,
        taxes=("duty", "consumption_tax", "vat", "total"),
    )


def _this_month(
    profile: ZoneProfile, from_: dt.date | None, to: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The period asked for; by default the zone's current month, to its last day."""
    first = zone_today(profile.zone.timezone).replace(day=1)
    period_from = from_ or (to.replace(day=1) if to else first)
    period_to = to or add_months(period_from.replace(day=1), 1) - dt.timedelta(days=1)
    return period_from, period_to


def _tax_report(
    session: Session, profile: ZoneProfile, from_: dt.date | None, to: dt.date | None
) -> reports.TaxReport:
    period_from, period_to = _this_month(profile, from_, to)
    return reports.taxes(
        session, period_from=period_from, period_to=period_to, timezone=profile.zone.timezone
    )


@router.get("/port/taxes", dependencies=[SECOND_LINE_STAFF])
def taxes_page(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    from_: FromQuery = None,
    to: ToQuery = None,
) -> Response:
    """The taxes assessed on declarations cleared in a period, by party; this month by default."""
    report = _tax_report(session, profile, from_, to)
    return render(
        request,
        "dashboards/taxes.html",
        report=report,
        parties=party_names(session, (row.party_id for row in report.rows)),
        taxes=("duty", "consumption_tax", "vat", "total"),
    )


TAX_COLUMNS = ("party_id", "party", "declarations", "duty", "consumption_tax", "vat", "total")


@router.get("/port/taxes.csv", dependencies=[SECOND_LINE_STAFF])
def taxes_csv(
    session: SessionDep, profile: ProfileDep, from_: FromQuery = None, to: ToQuery = None
) -> Response:
    """The taxes report to download, one row per party and the period's totals last."""
    report = _tax_report(session, profile, from_, to)
    names = party_names(session, (row.party_id for row in report.rows))
    rows: list[list[object]] = [
        [row.party_id, names.get(row.party_id, ""), row.declarations, row.duty,
         row.consumption_tax, row.vat, row.total]
        for row in report.rows
    ]  # fmt: skip
    total: list[object] = [
        "", "", sum(row.declarations for row in report.rows), report.duty,
        report.consumption_tax, report.vat, report.total,
    ]  # fmt: skip
    name = f"taxes-{report.period_from.isoformat()}-{report.period_to.isoformat()}.csv"
    return csv_response(name, TAX_COLUMNS, [*rows, total])


__all__ = ["router"]
