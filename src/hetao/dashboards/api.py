"""Endpoints of the dashboards under /api/v1: each chart's figures, named in the caller's language.

The language is the page's choice (the ``hetao_lang`` cookie, else ``Accept-Language``), so a
signed-in page and its API read the same names.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from hetao.api.deps import ProfileDep, SessionDep
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import Allow
from hetao.dashboards import service
from hetao.dashboards.labels import named
from hetao.dashboards.schemas import ChartOut
from hetao.profiles import Line
from hetao.web.i18n import LANGUAGE_COOKIE, choose_language, set_language
from hetao.web.navigation import DASHBOARD_READERS

router = APIRouter(route_class=UnitOfWorkRoute)
READERS = Depends(Allow(*DASHBOARD_READERS))
LineQuery = Annotated[Line | None, Query(description="Crossings of one line only")]
PointQuery = Annotated[
    str | None, Query(max_length=40, description="Crossings of one crossing point only")
]


def speak(request: Request) -> None:
    """Name things in the language the pages would use for this caller."""
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    set_language(choose_language(cookie, request.headers.get("accept-language")))


@router.get(
    "/dashboards/{chart}",
    tags=["dashboards"],
    summary="One dashboard chart's figures",
    dependencies=[READERS],
)
def dashboard_chart(
    chart: str,
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    line: LineQuery = None,
    point: PointQuery = None,
) -> ChartOut:
    """Categories and series of a chart, as its table on /dashboards shows them; the crossings'
    charts take ``line`` and ``point``. Charts: crossings-today, crossings-30-days,
    crossings-by-point, inspection-hits-by-rule, inspection-hits-by-lane, inspection-queue,
    inspection-wait, stock, whitelist, taxes-by-month, fund-transfers, data-transfers."""
    speak(request)
    filters = service.Filters(line=line.value if line else None, point=point or None)
    return ChartOut.of(named(profile, service.chart(session, profile, chart, filters=filters)))
