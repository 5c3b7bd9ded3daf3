"""Ledger endpoints under /api/v1: declarations, lots and the e-ledger reports.

Each endpoint admits roles (`access.Readers`, ...) and checks objects with `access`; an
enterprise user works within its own party.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from hetao.api.deps import (
    DEFAULT_PAGE_SIZE,
    CursorQuery,
    LimitQuery,
    ProfileDep,
    SessionDep,
)
from hetao.api.openapi import answered_again
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.inputs import Id
from hetao.ledger import access, centralised, declarations, reports
from hetao.ledger import repository as ledger_repo
from hetao.ledger.access import (
    Centralisers,
    Declarants,
    Officers,
    PeriodClosers,
    Readers,
    TaxReaders,
)
from hetao.declarations.models import DeclarationStatus
from hetao.declarations.kinds import DeclarationKind
from hetao.ledger.models import CustomsStatus
from hetao.ledger.schemas import (
    CentralisedLineIn,
    CentralisedLineOut,
    CentralisedPeriodCreate,
    CentralisedPeriodOut,
    DeclarationCreate,
    DeclarationOut,
    LotDetail,
    LotOut,
    MovementOut,
    MovementPage,
    ReconciliationOut,
    Refusal,
    StatementOut,
    StocktakeIn,
    SupervisionEndingOut,
    TaxesOut,
)
from hetao.reference.rates import RateTable, load_rates
from hetao.reference.tariff import Tariff, load_tariff
from hetao.registry import repository as registry_repo
from hetao.registry.models import Party
from hetao.timeutil import zone_today

router = APIRouter(route_class=UnitOfWorkRoute)
FromQuery = Annotated[dt.date, Query(alias="from", description="First day, at the zone")]
ToQuery = Annotated[dt.date, Query(alias="to", description="Last day, included")]


def _tariff(request: Request) -> Tariff:
    # An operator-imported table on app.state wins; otherwise the shipped SAMPLE table.
    table: Tariff | None = getattr(request.app.state, "tariff", None)
    return table if table is not None else load_tariff(None)


def _rates(request: Request) -> RateTable:
    table: RateTable | None = getattr(request.app.state, "rates", None)
    return table if table is not None else load_rates(None)


TariffDep = Annotated[Tariff, Depends(_tariff)]
RatesDep = Annotated[RateTable, Depends(_rates)]


# --- declarations ---------------------------------------------------------------------------


@router.post(
    "/declarations",
    tags=["declarations"],
    status_code=status.HTTP_201_CREATED,
    summary="Lodge a declaration (idempotent by the declarant's reference)",
    responses=answered_again(DeclarationOut),
)
def create_declaration(
    body: DeclarationCreate,
    response: Response,
    session: SessionDep,
    profile: ProfileDep,
    principal: Declarants,
) -> DeclarationOut:
    """201 with the new declaration; 200 with the first one when the reference and content match."""
    access.check_new_declaration(principal, body.party_id)
    party = registry_repo.get(session, Party, body.party_id)
    declaration, created = declarations.submit(
        session, party, body, profile=profile, actor=principal.actor
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return DeclarationOut.model_validate(declaration)


@router.get("/declarations", tags=["declarations"], summary="List declarations")
def list_declarations(
    session: SessionDep,
    principal: Readers,
    party_id: Id | None = None,
    status_: Annotated[DeclarationStatus | None, Query(alias="status")] = None,
    kind: DeclarationKind | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[DeclarationOut]:
    """Declarations in lodging order (an enterprise user sees its own)."""
    page = declarations.page_declarations(
        session,
        party_id=access.scoped(principal, party_id),
        status=status_,
        kind=kind,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, DeclarationOut)


@router.get("/declarations/{declaration_id}", tags=["declarations"], summary="Show a declaration")
def get_declaration(declaration_id: Id, session: SessionDep, principal: Readers) -> DeclarationOut:
    """One declaration with its lines and, once cleared, its tax assessment."""
    declaration = declarations.get_declaration(session, declaration_id)
    return DeclarationOut.model_validate(access.check_declaration(principal, declaration))


@router.post("/declarations/{declaration_id}/accept", tags=["declarations"], summary="Accept")
def accept_declaration(
    declaration_id: Id, session: SessionDep, principal: Officers
) -> DeclarationOut:
    """submitted -> accepted."""
    declaration = declarations.get_declaration(session, declaration_id, for_update=True)
    access.check_officer(principal, declaration)
    declarations.accept(session, declaration, actor=principal.actor)
    return DeclarationOut.model_validate(declaration)


@router.post(
    "/declarations/{declaration_id}/clear",
    tags=["declarations"],
    summary="Clear: post the ledger movements and assess the taxes",
)
def clear_declaration(
    declaration_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    tariff: TariffDep,
    rates: RatesDep,
    principal: Officers,
) -> DeclarationOut:
    """submitted | accepted -> cleared; clearing again returns the cleared declaration."""
    declaration = declarations.get_declaration(session, declaration_id, for_update=True)
    access.check_officer(principal, declaration)
    declarations.clear(
        session, declaration, profile=profile, tariff=tariff, rates=rates, actor=principal.actor
    )
    return DeclarationOut.model_validate(declaration)


@router.post(
    "/declarations/{declaration_id}/refuse", tags=["declarations"], summary="Refuse, with a reason"
)
def refuse_declaration(
    declaration_id: Id, body: Refusal, session: SessionDep, principal: Officers
) -> DeclarationOut:
    """submitted | accepted -> refused; nothing is posted."""
    declaration = declarations.get_declaration(session, declaration_id, for_update=True)
    access.check_officer(principal, declaration)
    declarations.refuse(session, declaration, reason=body.reason, actor=principal.actor)
    return DeclarationOut.model_validate(declaration)


# --- R10: centralised declaration periods ---------------------------------------------------


@router.post(
    "/centralised-periods",
    tags=["declarations"],
    status_code=status.HTTP_201_CREATED,
    summary="Open a centralised declaration period (R10)",
)
def open_centralised_period(
    body: CentralisedPeriodCreate,
    session: SessionDep,
    profile: ProfileDep,
    principal: Centralisers,
) -> CentralisedPeriodOut:
    """201 with the period; refused unless the party's whitelist entry lists the exemption."""
    access.check_new_declaration(principal, body.party_id)
    party = registry_repo.get(session, Party, body.party_id)
    period = centralised.open_period(session, party, body, profile=profile, actor=principal.actor)
    return CentralisedPeriodOut.model_validate(period)


@router.get(
    "/centralised-periods/{period_id}",
    tags=["declarations"],
    summary="Show a centralised declaration period with its lines",
)
def get_centralised_period(
    period_id: Id, session: SessionDep, principal: Readers
) -> CentralisedPeriodOut:
    """The period, its recorded lines and, once closed, its aggregate declaration's id."""
    period = ledger_repo.get_centralised_period(session, period_id)
    return CentralisedPeriodOut.model_validate(access.check_period(principal, period))


@router.post(
    "/centralised-periods/{period_id}/lines",
    tags=["declarations"],
    status_code=status.HTTP_201_CREATED,
    summary="Record goods crossing under a centralised period (R10)",
)
def record_centralised_line(
    period_id: Id,
    body: CentralisedLineIn,
    session: SessionDep,
    profile: ProfileDep,
    principal: Centralisers,
) -> CentralisedLineOut:
    """201 with the line; goods under inspection and quarantine and special articles refused."""
    period = ledger_repo.get_centralised_period(session, period_id, for_update=True)
    access.check_period(principal, period)
    line = centralised.record_line(session, period, body, profile=profile, actor=principal.actor)
    return CentralisedLineOut.model_validate(line)


@router.post(
    "/centralised-periods/{period_id}/close",
    tags=["declarations"],
    summary="Close a period: build and clear its aggregate declaration (R10)",
)
def close_centralised_period(
    period_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    tariff: TariffDep,
    rates: RatesDep,
    principal: PeriodClosers,
) -> CentralisedPeriodOut:
    """open -> closed, from the period's last day; the declaration is cleared at once."""
    period = ledger_repo.get_centralised_period(session, period_id, for_update=True)
    access.check_period(principal, period)
    centralised.close_period(
        session, period, profile=profile, tariff=tariff, rates=rates, actor=principal.actor
    )
    return CentralisedPeriodOut.model_validate(period)


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
    page = reports.page_lots(
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
    page = reports.page_movements(session, lot.id, cursor=cursor, limit=limit)
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
    return registry_repo.get(session, Party, party_id)


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


@router.get("/reports/taxes", tags=["reports"], summary="Taxes assessed per period")
def taxes_assessed(
    from_: FromQuery,
    to: ToQuery,
    session: SessionDep,
    profile: ProfileDep,
    principal: TaxReaders,
    party_id: Id | None = None,
) -> TaxesOut:
    """Duty, consumption tax and VAT of declarations cleared in the period, by party."""
    report = reports.taxes(
        session,
        period_from=from_,
        period_to=to,
        timezone=profile.zone.timezone,
        party_id=access.scoped(principal, party_id),
    )
    return TaxesOut.model_validate(report)
