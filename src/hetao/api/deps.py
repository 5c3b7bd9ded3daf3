"""Annotated dependencies shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from hetao.api.security import CurrentPrincipal
from hetao.api.state import app_state
from hetao.audit.service import Actor
from hetao.profiles import ZoneProfile
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff
from hetao.reference_versions import service as reference_versions
from hetao.storage.pagination import DEFAULT_LIMIT, MAX_LIMIT
from hetao.timeutil import zone_today


# Coroutines, though they only read: FastAPI would run plain functions in a worker thread.
async def _session(request: Request) -> Session:
    session: Session = request.state.session
    return session


async def _profile(request: Request) -> ZoneProfile:
    return app_state(request).profile


async def _actor(principal: CurrentPrincipal) -> Actor:
    return principal.actor


# An operator-imported table on the app's state wins; then the newest version an administrator
# uploaded that is in force on the zone's day; otherwise the shipped SAMPLE table. Plain
# functions: they may read the database, so FastAPI runs them in a worker thread.
def _rates(request: Request) -> RateTable:
    table = app_state(request).rates
    if table is not None:
        return table
    today = zone_today(app_state(request).profile.zone.timezone)
    return reference_versions.rates_in_force(request.state.session, on=today)


def _tariff(request: Request) -> Tariff:
    table = app_state(request).tariff
    if table is not None:
        return table
    today = zone_today(app_state(request).profile.zone.timezone)
    return reference_versions.tariff_in_force(request.state.session, on=today)


SessionDep = Annotated[Session, Depends(_session)]
ProfileDep = Annotated[ZoneProfile, Depends(_profile)]
ActorDep = Annotated[Actor, Depends(_actor)]
RatesDep = Annotated[RateTable, Depends(_rates)]
TariffDep = Annotated[Tariff, Depends(_tariff)]
CursorQuery = Annotated[
    str | None, Query(description="Opaque cursor from the previous page's next_cursor")
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1-{MAX_LIMIT}")]
DEFAULT_PAGE_SIZE = DEFAULT_LIMIT
