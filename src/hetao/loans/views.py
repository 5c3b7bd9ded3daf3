"""Pages of loans: the enterprise records its loans and follows them; officers see every loan,
the overdue ones and the instruments outside the zone, and on a loan's page cancel or correct
it before it crosses, or record the payment of its assessment.

The pages call the services the API calls under the same access rules; a refusal is rolled
back and shown beside the form that caused it, in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy.orm import Session

from hetao.api.deps import CursorQuery, ProfileDep, SessionDep
from hetao.api.security import Allow
from hetao.audit.service import Actor
from hetao.auth.principal import Principal, Role
from hetao.errors import NotFound, PermissionDenied
from hetao.funds.views import party_names
from hetao.inputs import Id
from hetao.ledger import repository as ledger_repo
from hetao.ledger.views import csv_file
from hetao.loans import access, service
from hetao.loans import repository as repo
from hetao.loans.api import OUTSIDE_COLUMNS
from hetao.loans.models import Loan, LoanDirection, LoanStatus
from hetao.loans.schemas import LoanCancel, LoanCorrect, LoanCreate, LoanPayment
from hetao.profiles import ZoneProfile
from hetao.reasons import stored_reasons
from hetao.registry.access import party_scope
from hetao.storage.pagination import PageOf
from hetao.timeutil import zone_today
from hetao.web import page_router
from hetao.web.forms import FormState, attempt, choices, parse
from hetao.web.rendering import redirect, render

router = page_router()
#: The portal fixes the zone party from the signed-in user: only an enterprise user has one.
Enterprise = Annotated[Principal, Depends(Allow(Role.ENTERPRISE_USER))]
#: The officer's console: officers of either line, administrators standing in.
OFFICERS = Depends(Allow(*access.OFFICERS))
Officer = Annotated[Principal, OFFICERS]
PAGE_SIZE = 50

LOAN_FIELDS = {
    name: f"loans.field.{name}"
    for name in (
        "direction",
        "hk_party_id",
        "lot_id",
        "serial",
        "purpose",
        "due_on",
        "hs_code",
        "description",
        "unit",
        "origin",
        "customs_value",
        "currency",
    )
}


def _own(principal: Principal) -> int:
    own = party_scope(principal)
    if own is None:  # pragma: no cover - the routes admit enterprise users only
        raise PermissionDenied("the portal is for enterprise users")
    return own


def _loans_page(
    session: Session, *, zone_party_id: int | None, status: LoanStatus | None, cursor: str | None
) -> PageOf[Loan]:
    return repo.page_loans(
        session,
        zone_party_id=zone_party_id,
        status=status,
        direction=None,
        cursor=cursor,
        limit=PAGE_SIZE,
    )


def _list(
    request: Request,
    session: Session,
    page: PageOf[Loan],
    *,
    side: str,
    status: LoanStatus | None,
) -> Response:
    loans = list(page.items)
    return render(
        request,
        "loans/list.html",
        side=side,
        loans=loans,
        parties=party_names(session, [p for loan in loans for p in loan_parties(loan)]),
        reasons={
            loan.id: stored_reasons([loan.taxable_reason])[0]
            for loan in loans
            if loan.taxable_reason
        },
        statuses=list(LoanStatus),
        status=status.value if status else "",
        next_cursor=page.next_cursor,
    )


def loan_parties(loan: Loan) -> tuple[int, int]:
    return loan.zone_party_id, loan.hk_party_id


# --- the enterprise portal --------------------------------------------------------------------


@router.get("/portal/loans")
def portal_loans(
    request: Request,
    session: SessionDep,
    principal: Enterprise,
    status: Annotated[LoanStatus | None, Query()] = None,
    cursor: CursorQuery = None,
) -> Response:
    """The party's loans, out and in, filtered by state."""
    page = _loans_page(session, zone_party_id=_own(principal), status=status, cursor=cursor)
    return _list(request, session, page, side="portal", status=status)


@router.get("/portal/loans/new")
def new_loan(request: Request, session: SessionDep, principal: Enterprise) -> Response:
    """The form of a loan; the zone party is the user's own."""
    form = FormState(fields=LOAN_FIELDS)
    form.values.setdefault("direction", LoanDirection.OUT.value)
    return _loan_form(request, session, principal, form)


def _loan_form(
    request: Request,
    session: Session,
    principal: Principal,
    form: FormState,
    *,
    status_code: int = 200,
) -> Response:
    lots = [
        (lot.id, f"#{lot.id} · {lot.description} · {lot.available} {lot.unit}")
        for lot in ledger_repo.lots_of(session, _own(principal))
        if lot.available > 0
    ]
    institutions = [(p.id, p.name_en) for p in repo.hong_kong_institutions(session)]
    return render(
        request,
        "loans/new.html",
        status_code=status_code,
        form=form,
        directions=choices("loans.direction", LoanDirection),
        lots=lots,
        institutions=institutions,
    )


@router.post("/portal/loans")
async def record_loan(
    request: Request, session: SessionDep, profile: ProfileDep, principal: Enterprise
) -> Response:
    """Record a loan of the party's own; the zone party is fixed by the page."""
    own = _own(principal)
    data, form = parse(LoanCreate, await request.form(), LOAN_FIELDS, extra={"zone_party_id": own})
    if data is not None and attempt(
        session,
        form,
        lambda: service.record(
            session,
            data,
            zone_party_id=own,
            profile=profile,
            today=zone_today(profile.zone.timezone),
            actor=principal.actor,
        ),
    ):
        return redirect(request, "/portal/loans")
    session.rollback()
    return _loan_form(request, session, principal, form, status_code=422)


# --- the officer's console --------------------------------------------------------------------


@router.get("/port/loans", dependencies=[OFFICERS])
def port_loans(
    request: Request,
    session: SessionDep,
    status: Annotated[LoanStatus | None, Query()] = None,
    cursor: CursorQuery = None,
) -> Response:
    """Every loan, filtered by state: the overdue ones are a state."""
    page = _loans_page(session, zone_party_id=None, status=status, cursor=cursor)
    return _list(request, session, page, side="port", status=status)


@router.get("/port/loans/outside", dependencies=[OFFICERS])
def port_outside(request: Request, session: SessionDep, profile: ProfileDep) -> Response:
    """Instruments away on loan, by Hong Kong party then due date, with days overdue."""
    rows = service.outside(session, zone_party_id=None, today=zone_today(profile.zone.timezone))
    return render(request, "loans/outside.html", rows=rows)


@router.get("/port/loans/outside.csv", dependencies=[OFFICERS])
def port_outside_csv(session: SessionDep, profile: ProfileDep) -> Response:
    """The same report as a CSV file."""
    rows = service.outside(session, zone_party_id=None, today=zone_today(profile.zone.timezone))
    return csv_file("instruments-outside.csv", OUTSIDE_COLUMNS, rows)


# --- one loan ---------------------------------------------------------------------------------

#: The officer's forms on a loan's page: each posts to its verb, with its fields' labels.
ACTIONS: dict[str, Mapping[str, str]] = {
    "cancel": {"cancel_reason": "loans.field.cancel_reason"},
    "correct": {
        "due_on": "loans.field.due_on",
        "serial": "loans.field.serial",
        "reason": "loans.field.correct_reason",
    },
    "payment": {
        "payment_reference": "loans.field.paid_reference",
        "amount": "loans.field.amount",
    },
}


def _loan(session: Session, principal: Principal, loan_id: int) -> Loan:
    loan = repo.find_loan(session, loan_id)
    if loan is None:
        raise NotFound(f"loan {loan_id} does not exist")
    return access.check_loan(principal, loan)


def _loan_page(
    request: Request,
    session: Session,
    loan: Loan,
    profile: ZoneProfile,
    *,
    side: str,
    forms: Mapping[str, FormState] | None = None,
    status_code: int = 200,
) -> Response:
    shown = {verb: FormState(fields=fields) for verb, fields in ACTIONS.items()}
    shown.update(forms or {})
    open_ = loan.status is LoanStatus.RECORDED
    verbs = [] if side != "port" else ["cancel", "correct"] * open_
    if side == "port" and loan.tax_total is not None and loan.paid_reference is None:
        verbs.append("payment")
    return render(
        request,
        "loans/loan.html",
        status_code=status_code,
        side=side,
        loan=loan,
        detail=service.detail(loan, today=zone_today(profile.zone.timezone)),
        parties=party_names(session, loan_parties(loan)),
        reason=stored_reasons([loan.taxable_reason])[0] if loan.taxable_reason else None,
        verbs=verbs,
        forms=shown,
    )


@router.get("/portal/loans/{loan_id}")
def portal_loan(
    request: Request, loan_id: Id, session: SessionDep, profile: ProfileDep, principal: Enterprise
) -> Response:
    """One of the party's loans: its crossings, due date, and its assessment once taxable."""
    loan = _loan(session, principal, loan_id)
    return _loan_page(request, session, loan, profile, side="portal")


@router.get("/port/loans/{loan_id}")
def port_loan(
    request: Request, loan_id: Id, session: SessionDep, profile: ProfileDep, principal: Officer
) -> Response:
    """A loan with its crossings and assessment, and what an officer may do with it."""
    loan = _loan(session, principal, loan_id)
    return _loan_page(request, session, loan, profile, side="port")


def _act(session: Session, loan: Loan, data: object, profile: ZoneProfile, actor: Actor) -> Loan:
    if isinstance(data, LoanCancel):
        return service.cancel(session, loan, data, actor=actor)
    if isinstance(data, LoanCorrect):
        today = zone_today(profile.zone.timezone)
        return service.correct(session, loan, data, profile=profile, today=today, actor=actor)
    assert isinstance(data, LoanPayment)  # noqa: S101 (ACTIONS has three verbs)
    return service.record_payment(session, loan, data, actor=actor)


def _action(
    verb: str, schema: type[LoanCancel | LoanCorrect | LoanPayment]
) -> Callable[..., object]:
    async def act(
        request: Request,
        loan_id: Id,
        session: SessionDep,
        profile: ProfileDep,
        principal: Officer,
    ) -> Response:
        loan = _loan(session, principal, loan_id)
        data, form = parse(schema, await request.form(), ACTIONS[verb])
        if data is not None and attempt(
            session, form, lambda: _act(session, loan, data, profile, principal.actor)
        ):
            return redirect(request, f"/port/loans/{loan_id}")
        session.rollback()
        loan = _loan(session, principal, loan_id)
        return _loan_page(
            request, session, loan, profile, side="port", forms={verb: form}, status_code=422
        )

    act.__name__ = f"{verb}_loan"
    act.__doc__ = f"The officer's {verb} of a loan, from its page; a refusal shows beside the form."
    return act


for _verb, _schema in (("cancel", LoanCancel), ("correct", LoanCorrect), ("payment", LoanPayment)):
    router.post(f"/port/loans/{{loan_id}}/{_verb}")(_action(_verb, _schema))
