"""Declaration endpoints under /api/v1: declarations, R10 centralised periods, taxes assessed.

Each endpoint admits roles (the wrappers below, from ``access``'s role sets) and checks objects
with ``access``; an enterprise user works within its own party.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.orm import Session

from hetao.api.deps import (
    DEFAULT_PAGE_SIZE,
    CursorQuery,
    LimitQuery,
    ProfileDep,
    RatesDep,
    SessionDep,
    TariffDep,
)
from hetao.api.openapi import answered_again
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.declarations import access, centralised, reports
from hetao.declarations import repository as declarations_repo
from hetao.declarations import service as declarations
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import CentralisedPeriod, Declaration, DeclarationStatus
from hetao.declarations.schemas import (
    CentralisedLineIn,
    CentralisedLineOut,
    CentralisedPeriodCreate,
    CentralisedPeriodOut,
    DeclarationCreate,
    DeclarationOut,
    Refusal,
    TaxesOut,
)
from hetao.inputs import Id
from hetao.ledger.access import scoped
from hetao.ledger.api import FromQuery, Readers, ToQuery
from hetao.registry.models import Party
from hetao.storage import lookup

router = APIRouter(route_class=UnitOfWorkRoute)
Declarants = Annotated[Principal, Depends(Allow(*access.DECLARANTS))]
Officers = Annotated[Principal, Depends(Allow(*access.DECIDERS))]
TaxReaders = Annotated[Principal, Depends(Allow(*access.TAX_READERS))]
Centralisers = Annotated[Principal, Depends(Allow(*access.CENTRALISERS))]
PeriodClosers = Annotated[Principal, Depends(Allow(*access.PERIOD_CLOSERS))]


def _decided(session: Session, principal: Principal, declaration_id: int) -> Declaration:
    """The declaration locked for an officer's decision, if the officer decides its line."""
    declaration = declarations_repo.get_declaration(session, declaration_id, for_update=True)
    return access.check_officer(principal, declaration)


def _locked_period(session: Session, principal: Principal, period_id: int) -> CentralisedPeriod:
    """The centralised period locked for a change, if it is the principal's to change."""
    period = declarations_repo.get_centralised_period(session, period_id, for_update=True)
    return access.check_period(principal, period)


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
    party = lookup.get(session, Party, body.party_id)
    declaration, created = declarations.submit(
        session, party, body, profile=profile, actor=principal.actor
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return declarations.declaration_out(session, declaration)


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
    page = declarations_repo.page_declarations(
        session,
        party_id=scoped(principal, party_id),
        status=status_,
        kind=kind,
        cursor=cursor,
        limit=limit,
    )
    return Page(
        items=[declarations.declaration_out(session, row) for row in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/declarations/{declaration_id}", tags=["declarations"], summary="Show a declaration")
def get_declaration(declaration_id: Id, session: SessionDep, principal: Readers) -> DeclarationOut:
    """One declaration with its lines and, once cleared, its tax assessment."""
    declaration = declarations_repo.get_declaration(session, declaration_id)
    return declarations.declaration_out(session, access.check_declaration(principal, declaration))


@router.post("/declarations/{declaration_id}/accept", tags=["declarations"], summary="Accept")
def accept_declaration(
    declaration_id: Id, session: SessionDep, principal: Officers
) -> DeclarationOut:
    """submitted -> accepted."""
    declaration = _decided(session, principal, declaration_id)
    declarations.accept(session, declaration, actor=principal.actor)
    return declarations.declaration_out(session, declaration)


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
    declaration = _decided(session, principal, declaration_id)
    declarations.clear(
        session, declaration, profile=profile, tariff=tariff, rates=rates, actor=principal.actor
    )
    return declarations.declaration_out(session, declaration)


@router.post(
    "/declarations/{declaration_id}/refuse", tags=["declarations"], summary="Refuse, with a reason"
)
def refuse_declaration(
    declaration_id: Id, body: Refusal, session: SessionDep, principal: Officers
) -> DeclarationOut:
    """submitted | accepted -> refused; nothing is posted."""
    declaration = _decided(session, principal, declaration_id)
    declarations.refuse(session, declaration, reason=body.reason, actor=principal.actor)
    return declarations.declaration_out(session, declaration)


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
    party = lookup.get(session, Party, body.party_id)
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
    period = declarations_repo.get_centralised_period(session, period_id)
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
    period = _locked_period(session, principal, period_id)
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
    period = _locked_period(session, principal, period_id)
    centralised.close_period(
        session, period, profile=profile, tariff=tariff, rates=rates, actor=principal.actor
    )
    return CentralisedPeriodOut.model_validate(period)


# --- reports --------------------------------------------------------------------------------


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
        party_id=scoped(principal, party_id),
    )
    return TaxesOut.model_validate(report)
