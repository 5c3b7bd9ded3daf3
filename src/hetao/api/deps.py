"""Annotated dependencies shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from hetao.api.security import CurrentPrincipal
from hetao.api.state import app_state
from hetao.audit.service import Actor
from hetao.profiles import ZoneProfile
from hetao.reference.rates import RateTable, load_rates
from hetao.reference.tariff import Tariff, load_tariff
from hetao.storage.pagination import DEFAULT_LIMIT, MAX_LIMIT


# Coroutines, though they only read: FastAPI would run plain functions in a worker thread.
async def _session(request: Request) -> Session:
    session: Session = request.state.session
    return session


async def _profile(request: Request) -> ZoneProfile:
    return app_state(request).profile


async def _actor(principal: CurrentPrincipal) -> Actor:
    return principal.actor


# An operator-imported table on the app's state wins; otherwise the shipped SAMPLE table.
async def _rates(request: Request) -> RateTable:
    table = app_state(request).rates
    return table if table is not None else load_rates(None)


async def _tariff(request: Request) -> Tariff:
    table = app_state(request).tariff
    return table if table is not None else load_tariff(None)


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
