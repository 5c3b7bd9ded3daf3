"""Loan endpoints under /api/v1: record a loan, list and show loans, instruments outside.

Each endpoint admits the roles ``access`` lists; an enterprise user works within its own party.
A POST may carry an Idempotency-Key: a retried recording answers with the first loan.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from hetao.api.deps import (
    DEFAULT_PAGE_SIZE,
    ActorDep,
    CursorQuery,
    LimitQuery,
    ProfileDep,
    SessionDep,
)
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.errors import NotFound
from hetao.inputs import Id
from hetao.ledger import access as ledger_access
from hetao.ledger.views import csv_file
from hetao.loans import access, service
from hetao.loans import repository as repo
from hetao.loans.models import Loan, LoanDirection, LoanStatus
from hetao.loans.schemas import LoanCreate, LoanDetailOut, LoanOut, OutsideRowOut
from hetao.timeutil import zone_today

router = APIRouter(route_class=UnitOfWorkRoute)
Readers = Annotated[Principal, Depends(Allow(*access.READERS))]
Recorders = Annotated[Principal, Depends(Allow(*access.RECORDERS))]

#: The columns of the outside-the-zone report, as the API and the CSV name them.
OUTSIDE_COLUMNS = tuple(OutsideRowOut.model_fields)


def get_loan(session: SessionDep, principal: Principal, loan_id: int) -> Loan:
    """The loan, if the principal may see it; another party's answers as not found."""
    loan = repo.find_loan(session, loan_id)
    if loan is None:
        raise NotFound(f"loan {loan_id} does not exist")
    return access.check_loan(principal, loan)


@router.post(
    "/loans",
    tags=["loans"],
    status_code=status.HTTP_201_CREATED,
    summary="Record an instrument lent across the first line",
)
def record_loan(
    body: LoanCreate,
    session: SessionDep,
    profile: ProfileDep,
    principal: Recorders,
    actor: ActorDep,
) -> LoanOut:
    """201 with the loan; each broken rule is a 422 naming its field."""
    loan = service.record(
        session,
        body,
        zone_party_id=access.recording_party(principal, body.zone_party_id),
        profile=profile,
        today=zone_today(profile.zone.timezone),
        actor=actor,
    )
    return LoanOut.model_validate(loan)


@router.get("/loans", tags=["loans"], summary="List loans")
def list_loans(
    session: SessionDep,
    principal: Readers,
    zone_party_id: Id | None = None,
    status_: Annotated[LoanStatus | None, Query(alias="status")] = None,
    direction: LoanDirection | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[LoanOut]:
    """Loans in recording order (an enterprise user sees its own party's)."""
    page = repo.page_loans(
        session,
        zone_party_id=ledger_access.scoped(principal, zone_party_id),
        status=status_,
        direction=direction,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, LoanOut)


@router.get("/loans/{loan_id}", tags=["loans"], summary="Show a loan with its assessment")
def show_loan(loan_id: Id, session: SessionDep, principal: Readers) -> LoanDetailOut:
    """One loan, with its crossings' state and, once it became taxable, its tax assessment."""
    return LoanDetailOut.model_validate(get_loan(session, principal, loan_id))


@router.get(
    "/reports/instruments-outside",
    tags=["reports"],
    summary="Instruments away on loan, by party and due date",
)
def instruments_outside(
    session: SessionDep,
    profile: ProfileDep,
    principal: Readers,
    zone_party_id: Id | None = None,
) -> list[OutsideRowOut]:
    """Instruments away (out in Hong Kong, or Hong Kong's in the zone), by party, soonest due."""
    return service.outside(
        session,
        zone_party_id=ledger_access.scoped(principal, zone_party_id),
        today=zone_today(profile.zone.timezone),
    )


@router.get(
    "/reports/instruments-outside.csv",
    tags=["reports"],
    summary="Instruments away on loan, as CSV",
    response_class=Response,
)
def instruments_outside_csv(
    session: SessionDep,
    profile: ProfileDep,
    principal: Readers,
    zone_party_id: Id | None = None,
) -> Response:
    """The instruments-outside report as a CSV file, one instrument a row."""
    rows = service.outside(
        session,
        zone_party_id=ledger_access.scoped(principal, zone_party_id),
        today=zone_today(profile.zone.timezone),
    )
    return csv_file("instruments-outside.csv", OUTSIDE_COLUMNS, rows)
