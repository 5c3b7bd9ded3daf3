"""Ledger endpoints under /api/v1: lots with their movements, and the e-ledger reports.

Each endpoint admits roles (``Readers``, the role wrappers beside the routes) and checks objects
with ``access``; an enterprise user works within its own party.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hetao.api.deps import (
    DEFAULT_PAGE_SIZE,
    CursorQuery,
    LimitQuery,
    ProfileDep,
    RatesDep,
    SessionDep,
    TariffDep,
)
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.inputs import Id
from hetao.ledger import access, reports
from hetao.ledger import repository as ledger_repo
from hetao.ledger.models import CustomsStatus
from hetao.ledger.schemas import (
    LotDetail,
    LotOut,
    MovementOut,
    MovementPage,
    ReconciliationOut,
    StatementOut,
    StocktakeIn,
    SupervisionEndingOut,
)
from hetao.registry.models import Party
from hetao.storage import lookup
from hetao.timeutil import zone_today

router = APIRouter(route_class=UnitOfWorkRoute)
FromQuery = Annotated[dt.date, Query(alias="from", description="First day, at the zone")]
ToQuery = Annotated[dt.date, Query(alias="to", description="Last day, included")]
#: Read lots and reports: staff, and enterprise users for their own party.
Readers = Annotated[Principal, Depends(Allow(*access.READERS))]


# --- lots -----------------------------------------------------------------------------------


@router.get("/lots", tags=["lots"], summary="List lots")
def list_lots(
    session: SessionDep,
    principal: Readers,
    party_id: Id | None = None,
    customs_status: CustomsStatus | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[LotOut]:
    """Lots with their stored balances (an enterprise user sees its own)."""
    page = ledger_repo.page_lots(
        session,
        party_id=access.scoped(principal, party_id),
        status=customs_status,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, LotOut)


@router.get("/lots/{lot_id}", tags=["lots"], summary="Show a lot with its movements")
def get_lot(
    lot_id: Id,
    session: SessionDep,
    principal: Readers,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> LotDetail:
    """The lot, its balance and a page of its movements (``cursor`` pages the movements)."""
    lot = access.check_lot(principal, ledger_repo.get_lot(session, lot_id))
    page = ledger_repo.page_movements(session, lot.id, cursor=cursor, limit=limit)
    return LotDetail(
        lot=LotOut.model_validate(lot),
        movements=MovementPage(
            items=[MovementOut.model_validate(m) for m in page.items],
            next_cursor=page.next_cursor,
        ),
    )


# --- reports --------------------------------------------------------------------------------


def _party(session: SessionDep, principal: Readers, party_id: int) -> Party:
    access.check_party_id(principal, party_id)
    return lookup.get(session, Party, party_id)


@router.get(
    "/parties/{party_id}/statement", tags=["reports"], summary="E-ledger statement for a period"
)
def party_statement(
    party_id: Id,
    from_: FromQuery,
    to: ToQuery,
    session: SessionDep,
    profile: ProfileDep,
    principal: Readers,
) -> StatementOut:
    """Per lot: opening, receipts, removals, adjustments, closing (19 CFR 146.23)."""
    party = _party(session, principal, party_id)
    report = reports.statement(
        session, party.id, period_from=from_, period_to=to, timezone=profile.zone.timezone
    )
    return StatementOut.model_validate(report)


@router.post(
    "/parties/{party_id}/reconciliation",
    tags=["reports"],
    summary="Reconcile a stocktake with the ledger (writes nothing)",
)
def party_reconciliation(
    party_id: Id,
    body: StocktakeIn,
    session: SessionDep,
    profile: ProfileDep,
    tariff: TariffDep,
    rates: RatesDep,
    principal: Readers,
) -> ReconciliationOut:
    """Shortages and overages, flagged past the profile's ratio AND duty thresholds (R31)."""
    party = _party(session, principal, party_id)
    report = reports.reconcile(
        session,
        party,
        [(c.lot_id, c.counted) for c in body.counts],
        counted_on=body.counted_on or zone_today(profile.zone.timezone),
        profile=profile,
        tariff=tariff,
        rates=rates,
    )
    return ReconciliationOut.model_validate(report)


@router.get(
    "/reports/supervision-ending",
    tags=["reports"],
    summary="Lots whose supervision period ends soon (R5)",
)
def supervision_ending(
    session: SessionDep,
    profile: ProfileDep,
    principal: Readers,
    days: Annotated[int, Query(ge=0, le=reports.MAX_REPORT_DAYS)] = 90,
    party_id: Id | None = None,
) -> list[SupervisionEndingOut]:
    """Lots still holding goods whose supervision ends within ``days`` days, soonest first."""
    rows = reports.supervision_ending(
        session,
        today=zone_today(profile.zone.timezone),
        days=days,
        party_id=access.scoped(principal, party_id),
    )
    return [SupervisionEndingOut.model_validate(row) for row in rows]
