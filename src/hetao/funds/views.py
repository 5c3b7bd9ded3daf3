"""Pages of research funds: reviewers check and decide transfers; enterprises follow their own.

The pages call the same services as the API (``service``, ``reports``) and the same object
rules (``access``); a refusal is rolled back and shown beside the form that caused it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy.orm import Session

from hetao.api.deps import CursorQuery, ProfileDep, RatesDep, SessionDep
from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.errors import PermissionDenied
from hetao.funds import access, reports, service
from hetao.funds import repository as repo
from hetao.funds.models import (
    BudgetCategory,
    FundTransfer,
    Project,
    TransferPurpose,
    TransferStatus,
)
from hetao.funds.schemas import NoteIn, RemittanceIn, ReportIn, TransferCreate
from hetao.inputs import Id
from hetao.profiles import ZoneProfile
from hetao.reasons import stored_reasons
from hetao.registry import repository as registry_repo
from hetao.registry.access import enforce, party_scope
from hetao.storage.pagination import PageOf
from hetao.web import page_router
from hetao.web.forms import FormState, attempt, choices, parse
from hetao.web.i18n import current_language
from hetao.web.rendering import redirect, render

router = page_router()
REVIEWERS = Depends(Allow(*access.REVIEWERS))
Reviewers = Annotated[Principal, REVIEWERS]
#: The portal fixes the party from the signed-in user: only an enterprise user has one.
Enterprise = Annotated[Principal, Depends(Allow(Role.ENTERPRISE_USER))]
PAGE_SIZE = 50

#: The declaration form: field -> label key (the payer is the user's own party, never posted).
TRANSFER_FIELDS = {
    name: f"funds.field.{name}"
    for name in (
        "project_id",
        "payee_party_id",
        "payee_rmb_account",
        "amount",
        "currency",
        "transfer_date",
        "budget_year",
        "budget_category",
        "purpose",
        "contract_reference",
    )
}
NOTE_FIELDS = {"note": "funds.field.note"}
REPORT_FIELDS = {"report_reference": "funds.field.report_reference"}
REMIT_FIELDS = {
    "bank_reference": "funds.field.bank_reference",
    "remitted_on": "funds.field.remitted_on",
}
#: Reviewer verbs, in workflow order, and the fields of the form each posts.
DECISIONS: dict[str, Mapping[str, str]] = {
    "check": {},
    "hold": NOTE_FIELDS,
    "approve": NOTE_FIELDS,
    "decline": NOTE_FIELDS,
    "report": REPORT_FIELDS,
}


def party_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Display names of parties, in the page's language where the party has a Chinese name."""
    chinese = current_language() != "en"
    names: dict[int, str] = {}
    for party_id in set(ids):
        party = registry_repo.find_party(session, party_id)
        if party is not None:
            names[party_id] = party.name_zh if chinese and party.name_zh else party.name_en
    return names


def form_of(verb: str) -> str:
    """The page form a verb posts: hold, approve and decline share the one with the note."""
    return "note" if DECISIONS[verb] is NOTE_FIELDS else verb


def verbs_for(status: TransferStatus) -> list[str]:
    """The reviewer verbs the workflow allows from ``status``, in workflow order."""
    return [verb for verb in DECISIONS if status in service.TRANSFER_TRANSITIONS[verb][0]]


def transfers_page(
    session: Session,
    *,
    visible_to: int | None,
    project_id: int | None = None,
    status: TransferStatus | None = None,
    cursor: str | None = None,
) -> PageOf[FundTransfer]:
    """A page of transfers as a list shows them (all of them for staff)."""
    return repo.page_transfers(
        session,
        visible_to=visible_to,
        party_id=None,
        project_id=project_id,
        status=status,
        cursor=cursor,
        limit=PAGE_SIZE,
    )


def projects_page(session: Session, own: int, cursor: str | None = None) -> PageOf[Project]:
    """A page of the projects the party leads or partners."""
    return repo.page_projects(
        session, member=own, status=None, funding_source=None, cursor=cursor, limit=PAGE_SIZE
    )


def _owned_party(principal: Principal) -> int:
    own = party_scope(principal)
    if own is None:  # pragma: no cover - the route admits enterprise users only
        raise PermissionDenied("the portal is for enterprise users")
    return own


# --- reviewer -------------------------------------------------------------------------------


@router.get("/review/fund-transfers", dependencies=[REVIEWERS])
def review_transfers(
    request: Request,
    session: SessionDep,
    status: Annotated[TransferStatus | None, Query()] = None,
    cursor: CursorQuery = None,
) -> Response:
    """Transfers to check and decide, filtered by state."""
    page = transfers_page(session, visible_to=None, status=status, cursor=cursor)
    return _transfer_list(request, session, page.items, page.next_cursor, status, "review")


def _transfer_list(
    request: Request,
    session: Session,
    transfers: Iterable[FundTransfer],
    next_cursor: str | None,
    status: TransferStatus | None,
    side: str,
) -> Response:
    rows = list(transfers)
    return render(
        request,
        "funds/transfers.html",
        side=side,
        transfers=rows,
        parties=party_names(
            session, [p for t in rows for p in (t.payer_party_id, t.payee_party_id)]
        ),
        statuses=list(TransferStatus),
        status=status.value if status else "",
        next_cursor=next_cursor,
    )


@router.get("/review/fund-transfers/{transfer_id}", dependencies=[REVIEWERS])
def review_transfer(request: Request, transfer_id: Id, session: SessionDep) -> Response:
    """A transfer with its reasons in words, its project's budget, and the decisions allowed."""
    return _transfer_page(request, session, repo.get_transfer(session, transfer_id), "review")


def _decision(verb: str) -> Callable[..., Awaitable[Response]]:
    async def decide(
        request: Request,
        transfer_id: Id,
        session: SessionDep,
        profile: ProfileDep,
        principal: Reviewers,
    ) -> Response:
        transfer = repo.get_transfer(session, transfer_id)
        schema: type[NoteIn | ReportIn] = ReportIn if verb == "report" else NoteIn
        data, form = parse(schema, await request.form(), DECISIONS[verb])
        if data is not None and attempt(
            session, form, lambda: _decide(session, transfer, verb, data, profile, principal)
        ):
            return redirect(request, f"/review/fund-transfers/{transfer.id}")
        session.rollback()
        transfer = repo.get_transfer(session, transfer_id)
        return _transfer_page(
            request, session, transfer, "review", forms={form_of(verb): form}, status_code=422
        )

    decide.__name__ = f"{verb}_transfer"
    decide.__doc__ = f"The reviewer's {verb}: the service decides what the transfer becomes."
    return decide


def _decide(
    session: Session,
    transfer: FundTransfer,
    verb: str,
    data: NoteIn | ReportIn,
    profile: ZoneProfile,
    principal: Principal,
) -> FundTransfer:
    actor = principal.actor
    if isinstance(data, ReportIn):
        return service.report(
            session, transfer, report_reference=data.report_reference, actor=actor
        )
    if verb == "check":
        return service.check(session, transfer, profile=profile, actor=actor)
    if verb == "hold":
        return service.hold(session, transfer, note=data.note, actor=actor)
    if verb == "approve":
        return service.approve(session, transfer, profile=profile, actor=actor, note=data.note)
    return service.decline(session, transfer, note=data.note, actor=actor)


for _verb in DECISIONS:
    router.post(f"/review/fund-transfers/{{transfer_id}}/{_verb}")(_decision(_verb))


def _transfer_page(
    request: Request,
    session: Session,
    transfer: FundTransfer,
    side: str,
    *,
    forms: Mapping[str, FormState] | None = None,
    status_code: int = 200,
) -> Response:
    project = transfer.project
    report = reports.project_report(session, project)
    line = next(
        (
            line
            for line in report.lines
            if line.year == transfer.budget_year and line.category == transfer.budget_category
        ),
        None,
    )
    verbs = verbs_for(transfer.status) if side == "review" else []
    shown = dict(forms or {})
    shown.setdefault("note", FormState(fields=NOTE_FIELDS))
    shown.setdefault("report", FormState(fields=REPORT_FIELDS))
    shown.setdefault("check", FormState())
    shown.setdefault("remit", FormState(fields=REMIT_FIELDS))
    return render(
        request,
        "funds/transfer.html",
        status_code=status_code,
        side=side,
        transfer=transfer,
        reasons=stored_reasons(transfer.reasons),
        project=project,
        report=report,
        line=line,
        parties=party_names(
            session, [transfer.payer_party_id, transfer.payee_party_id, project.lead_party_id]
        ),
        verbs=verbs,
        noted=[verb for verb in verbs if form_of(verb) == "note"],
        forms=shown,
        can_remit=side == "portal"
        and transfer.status is TransferStatus.APPROVED
        and transfer.payer_party_id == party_scope(_principal(request)),
    )


def _principal(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


# --- enterprise portal ----------------------------------------------------------------------


@router.get("/portal/projects")
def portal_projects(
    request: Request, session: SessionDep, principal: Enterprise, cursor: CursorQuery = None
) -> Response:
    """The projects the party leads or partners, with budget, consumed and remaining."""
    page = projects_page(session, _owned_party(principal), cursor)
    return render(
        request,
        "funds/projects.html",
        projects=[reports.project_report(session, project) for project in page.items],
        parties=party_names(session, [p.lead_party_id for p in page.items]),
        next_cursor=page.next_cursor,
    )


@router.get("/portal/projects/{project_id}")
def portal_project(
    request: Request, project_id: Id, session: SessionDep, principal: Enterprise
) -> Response:
    """A project's budget lines and the party's transfers under it."""
    project = access.check_project(principal, repo.get_project(session, project_id))
    transfers = transfers_page(
        session, visible_to=_owned_party(principal), project_id=project.id
    ).items
    return render(
        request,
        "funds/project.html",
        project=project,
        report=reports.project_report(session, project),
        transfers=transfers,
        parties=party_names(
            session,
            [*project.member_party_ids]
            + [p for t in transfers for p in (t.payer_party_id, t.payee_party_id)],
        ),
    )


@router.get("/portal/fund-transfers")
def portal_transfers(
    request: Request,
    session: SessionDep,
    principal: Enterprise,
    status: Annotated[TransferStatus | None, Query()] = None,
    cursor: CursorQuery = None,
) -> Response:
    """The transfers that touch the party, filtered by state."""
    page = transfers_page(session, visible_to=_owned_party(principal), status=status, cursor=cursor)
    return _transfer_list(request, session, page.items, page.next_cursor, status, "portal")


@router.get("/portal/fund-transfers/new")
def new_transfer(
    request: Request, session: SessionDep, principal: Enterprise, project_id: Id | None = None
) -> Response:
    """The declaration form; the payer is the user's own party."""
    form = FormState(fields=TRANSFER_FIELDS)
    if project_id is not None:
        form.values["project_id"] = str(project_id)
    form.values.setdefault("currency", "CNY")
    return _declaration_form(request, session, principal, form)


def _declaration_form(
    request: Request,
    session: Session,
    principal: Principal,
    form: FormState,
    *,
    status_code: int = 200,
) -> Response:
    own = _owned_party(principal)
    projects = list(projects_page(session, own).items)
    payees = party_names(session, {p for project in projects for p in project.member_party_ids})
    payees.pop(own, None)
    return render(
        request,
        "funds/declare.html",
        status_code=status_code,
        form=form,
        projects=[(p.id, f"{p.code} · {p.title}") for p in projects],
        payees=sorted(payees.items()),
        categories=choices("funds.category", BudgetCategory),
        purposes=choices("funds.purpose", TransferPurpose),
    )


@router.post("/portal/fund-transfers")
async def declare_transfer(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    rates: RatesDep,
    principal: Enterprise,
) -> Response:
    """Declare a payment of the party's own; the payer is fixed by the page."""
    own = _owned_party(principal)
    data, form = parse(
        TransferCreate, await request.form(), TRANSFER_FIELDS, extra={"payer_party_id": own}
    )
    if data is not None:
        enforce(access.can_declare(principal, data.payer_party_id))
        if (project := repo.find_project(session, data.project_id)) is not None:
            access.check_project(principal, project)  # another party's project: a 404
        declared: list[FundTransfer] = []
        if attempt(
            session,
            form,
            lambda: declared.append(
                service.declare(session, data, profile=profile, rates=rates, actor=principal.actor)
            ),
        ):
            return redirect(request, f"/portal/fund-transfers/{declared[0].id}")
    session.rollback()
    return _declaration_form(request, session, principal, form, status_code=422)


@router.get("/portal/fund-transfers/{transfer_id}")
def portal_transfer(
    request: Request, transfer_id: Id, session: SessionDep, principal: Enterprise
) -> Response:
    """The party's transfer: its state, reasons, and the remittance once approved."""
    transfer = access.check_transfer(principal, repo.get_transfer(session, transfer_id))
    return _transfer_page(request, session, transfer, "portal")


@router.post("/portal/fund-transfers/{transfer_id}/remit")
async def remit_transfer(
    request: Request,
    transfer_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    principal: Enterprise,
) -> Response:
    """Record the bank's remittance of an approved payment of the party's own."""
    transfer = access.check_payer(principal, repo.get_transfer(session, transfer_id))
    data, form = parse(RemittanceIn, await request.form(), REMIT_FIELDS)
    if data is not None and attempt(
        session,
        form,
        lambda: service.remit(
            session,
            transfer,
            bank_reference=data.bank_reference,
            remitted_on=data.remitted_on,
            profile=profile,
            actor=principal.actor,
        ),
    ):
        return redirect(request, f"/portal/fund-transfers/{transfer.id}")
    session.rollback()
    transfer = repo.get_transfer(session, transfer_id)
    return _transfer_page(
        request, session, transfer, "portal", forms={"remit": form}, status_code=422
    )
