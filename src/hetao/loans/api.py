"""Loan endpoints under /api/v1: record a loan, list and show loans, instruments outside; an
officer cancels or corrects a loan and records the payment of a taxable loan's assessment.

Each endpoint admits the roles ``access`` lists; an enterprise user works within its own party.
A POST may carry an Idempotency-Key: a retried recording answers with the first loan. A
cancellation, correction or payment sent again changes nothing and answers with the loan.
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
from hetao.loans.schemas import (
    LoanCancel,
    LoanCorrect,
    LoanCreate,
    LoanDetailOut,
    LoanOut,
    LoanPayment,
    OutsideRowOut,
)
from hetao.timeutil import zone_today

router = APIRouter(route_class=UnitOfWorkRoute)
Readers = Annotated[Principal, Depends(Allow(*access.READERS))]
Recorders = Annotated[Principal, Depends(Allow(*access.RECORDERS))]
Officers = Annotated[Principal, Depends(Allow(*access.OFFICERS))]

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
def show_loan(
    loan_id: Id, session: SessionDep, profile: ProfileDep, principal: Readers
) -> LoanDetailOut:
    """One loan with its crossings and days overdue and, once taxable, its assessment: each
    tax's base, rate and amount, with the loan rule and the tax rule named."""
    loan = get_loan(session, principal, loan_id)
    return service.detail(loan, today=zone_today(profile.zone.timezone))


@router.post("/loans/{loan_id}/cancel", tags=["loans"], summary="Cancel a loan recorded in error")
def cancel_loan(
    loan_id: Id, body: LoanCancel, session: SessionDep, principal: Officers, actor: ActorDep
) -> LoanOut:
    """An officer cancels a loan whose instrument has not crossed, giving the reason; a loan
    that crossed is a 409 naming the rule. Cancelling again answers with the cancelled loan."""
    loan = service.cancel(session, get_loan(session, principal, loan_id), body, actor=actor)
    return LoanOut.model_validate(loan)


@router.post("/loans/{loan_id}/correct", tags=["loans"], summary="Correct a loan not yet crossed")
def correct_loan(
    loan_id: Id,
    body: LoanCorrect,
    session: SessionDep,
    profile: ProfileDep,
    principal: Officers,
    actor: ActorDep,
) -> LoanOut:
    """An officer corrects the due date (within the profile's maximum) or the serial of a loan
    whose instrument has not crossed, giving the reason; each broken rule is a 422 naming its
    field, a loan that crossed a 409."""
    loan = service.correct(
        session,
        get_loan(session, principal, loan_id),
        body,
        profile=profile,
        today=zone_today(profile.zone.timezone),
        actor=actor,
    )
    return LoanOut.model_validate(loan)


@router.post(
    "/loans/{loan_id}/payment",
    tags=["loans"],
    summary="Record the payment of a taxable loan's assessment",
)
def record_loan_payment(
    loan_id: Id, body: LoanPayment, session: SessionDep, principal: Officers, actor: ActorDep
) -> LoanOut:
    """An officer records the receipt of the taxes a taxable loan's assessment set: the amount
    must be the assessment's total (422 otherwise), and a second receipt is a 409."""
    loan = service.record_payment(session, get_loan(session, principal, loan_id), body, actor=actor)
    return LoanOut.model_validate(loan)


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
