"""Endpoints of `hetao.funds` under /api/v1: projects, fund transfers and their reports.

Each endpoint admits the roles `access` lists (`Readers`, ...) and checks objects with its rules; an
enterprise user works within its own party. Every POST may carry an Idempotency-Key.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from hetao.api.deps import (
    DEFAULT_PAGE_SIZE,
    CursorQuery,
    LimitQuery,
    ProfileDep,
    RatesDep,
    SessionDep,
)
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.funds import access, reports, service
from hetao.funds import repository as repo
from hetao.funds.models import FundingSource, ProjectStatus, TransferStatus
from hetao.funds.schemas import (
    FundsBySourceOut,
    NoteIn,
    ProjectCreate,
    ProjectOut,
    ProjectReportOut,
    RemittanceIn,
    ReportIn,
    TransferCreate,
    TransferOut,
    transfer_out,
)
from hetao.inputs import Id
from hetao.registry.access import enforce

router = APIRouter(route_class=UnitOfWorkRoute)

Readers = Annotated[Principal, Depends(Allow(*access.READERS))]
ZONE_READERS = Depends(Allow(*access.ZONE_READERS))
Reviewers = Annotated[Principal, Depends(Allow(*access.REVIEWERS))]
Payers = Annotated[Principal, Depends(Allow(*access.PAYERS))]


# --- projects -------------------------------------------------------------------------------


@router.post(
    "/projects",
    tags=["funds"],
    status_code=status.HTTP_201_CREATED,
    summary="Register a research project with its partners and budget",
)
def create_project(body: ProjectCreate, session: SessionDep, principal: Reviewers) -> ProjectOut:
    """201 with the project; a code already registered is 409."""
    project = service.create_project(session, body, actor=principal.actor)
    return reports.project_out(project)


@router.get("/projects", tags=["funds"], summary="List research projects")
def list_projects(
    session: SessionDep,
    principal: Readers,
    status_: Annotated[ProjectStatus | None, Query(alias="status")] = None,
    funding_source: FundingSource | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[ProjectOut]:
    """Projects in creation order (an enterprise user sees those its party leads or partners)."""
    page = repo.page_projects(
        session,
        member=access.member_scope(principal),
        status=status_,
        funding_source=funding_source,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, ProjectOut)


@router.get("/projects/{project_id}", tags=["funds"], summary="Show a research project")
def get_project(project_id: Id, session: SessionDep, principal: Readers) -> ProjectOut:
    """The project with its parties, period, funding source and budget lines."""
    project = access.check_project(principal, repo.get_project(session, project_id))
    return reports.project_out(project)


@router.post("/projects/{project_id}/close", tags=["funds"], summary="Close a project")
def close_project(
    project_id: Id, session: SessionDep, principal: Reviewers, body: NoteIn | None = None
) -> ProjectOut:
    """active -> closed: its transfers are no longer approved (approved ones stand)."""
    project = repo.get_project(session, project_id, for_update=True)
    note = body.note if body is not None else None
    service.close_project(session, project, note=note, actor=principal.actor)
    return reports.project_out(project)


@router.get(
    "/projects/{project_id}/report",
    tags=["funds"],
    summary="Budget, consumed and remaining by year and category; transfers by status",
)
def project_report(project_id: Id, session: SessionDep, principal: Readers) -> ProjectReportOut:
    """Exact Decimal sums per budget year and category, and the project's transfers by status."""
    project = access.check_project(principal, repo.get_project(session, project_id))
    return reports.project_report(session, project)


@router.get(
    "/reports/funds-by-source",
    tags=["funds"],
    summary="Budgets and transfers per funding source",
    dependencies=[ZONE_READERS],
)
def funds_by_source(
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> FundsBySourceOut:
    """Totals in CNY per funding source; ``year`` keeps that budget year only."""
    return reports.funds_by_source(session, year=year)


# --- transfers ------------------------------------------------------------------------------


@router.post(
    "/fund-transfers",
    tags=["funds"],
    status_code=status.HTTP_201_CREATED,
    summary="Declare a cross-border fund transfer",
)
def declare_transfer(
    body: TransferCreate,
    session: SessionDep,
    profile: ProfileDep,
    rates: RatesDep,
    principal: Payers,
) -> TransferOut:
    """201 with the declared transfer, converted to CNY and USD at the month's rates."""
    enforce(access.can_declare(principal, body.payer_party_id))
    transfer = service.declare(session, body, profile=profile, rates=rates, actor=principal.actor)
    return transfer_out(transfer)


@router.get("/fund-transfers", tags=["funds"], summary="List fund transfers")
def list_transfers(
    session: SessionDep,
    principal: Readers,
    party_id: Annotated[Id | None, Query(description="Payer or payee")] = None,
    project_id: Id | None = None,
    status_: Annotated[TransferStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[TransferOut]:
    """Transfers in declaration order (an enterprise user sees those that touch its party)."""
    page = repo.page_transfers(
        session,
        visible_to=access.member_scope(principal),
        party_id=party_id,
        project_id=project_id,
        status=status_,
        cursor=cursor,
        limit=limit,
    )
    return Page[TransferOut](
        items=[transfer_out(t) for t in page.items], next_cursor=page.next_cursor
    )


@router.get("/fund-transfers/{transfer_id}", tags=["funds"], summary="Show a fund transfer")
def get_transfer(transfer_id: Id, session: SessionDep, principal: Readers) -> TransferOut:
    """The transfer with its status, the rates used, held reasons and the R40 tax-filing flag."""
    return transfer_out(access.check_transfer(principal, repo.get_transfer(session, transfer_id)))


@router.post("/fund-transfers/{transfer_id}/check", tags=["funds"], summary="Run the checks")
def check_transfer(
    transfer_id: Id, session: SessionDep, profile: ProfileDep, principal: Reviewers
) -> TransferOut:
    """declared -> checked, or held with the reason codes of the failing checks."""
    transfer = repo.get_transfer(session, transfer_id)
    return transfer_out(service.check(session, transfer, profile=profile, actor=principal.actor))


@router.post(
    "/fund-transfers/{transfer_id}/approve", tags=["funds"], summary="Approve: consume the budget"
)
def approve_transfer(
    transfer_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    principal: Reviewers,
    body: NoteIn | None = None,
) -> TransferOut:
    """checked -> approved (or held, with the reasons, when a check or the budget fails);
    held -> approved with a note. The response's ``status`` says which."""
    transfer = repo.get_transfer(session, transfer_id)
    approved = service.approve(
        session,
        transfer,
        profile=profile,
        actor=principal.actor,
        note=body.note if body is not None else None,
    )
    return transfer_out(approved)


@router.post("/fund-transfers/{transfer_id}/hold", tags=["funds"], summary="Hold, with a note")
def hold_transfer(
    transfer_id: Id, body: NoteIn, session: SessionDep, principal: Reviewers
) -> TransferOut:
    """checked -> held."""
    transfer = repo.get_transfer(session, transfer_id)
    return transfer_out(service.hold(session, transfer, note=body.note, actor=principal.actor))


@router.post(
    "/fund-transfers/{transfer_id}/decline", tags=["funds"], summary="Decline, with a note"
)
def decline_transfer(
    transfer_id: Id, body: NoteIn, session: SessionDep, principal: Reviewers
) -> TransferOut:
    """declared | checked | held -> declined."""
    transfer = repo.get_transfer(session, transfer_id)
    return transfer_out(service.decline(session, transfer, note=body.note, actor=principal.actor))


@router.post(
    "/fund-transfers/{transfer_id}/remit", tags=["funds"], summary="Record the bank's remittance"
)
def remit_transfer(
    transfer_id: Id,
    body: RemittanceIn,
    session: SessionDep,
    profile: ProfileDep,
    principal: Payers,
) -> TransferOut:
    """approved -> remitted, with the bank reference and the remittance date."""
    transfer = access.check_payer(principal, repo.get_transfer(session, transfer_id))
    remitted = service.remit(
        session,
        transfer,
        bank_reference=body.bank_reference,
        remitted_on=body.remitted_on,
        profile=profile,
        actor=principal.actor,
    )
    return transfer_out(remitted)


@router.post("/fund-transfers/{transfer_id}/report", tags=["funds"], summary="Mark as reported")
def report_transfer(
    transfer_id: Id, session: SessionDep, principal: Reviewers, body: ReportIn | None = None
) -> TransferOut:
    """remitted -> reported, optionally with the reference of the report."""
    transfer = repo.get_transfer(session, transfer_id)
    reference = body.report_reference if body is not None else None
    reported = service.report(session, transfer, report_reference=reference, actor=principal.actor)
    return transfer_out(reported)
