"""The zone reviewer's workbench: the applications queue, one application and its decision,
entries to suspend, reinstate or revoke, a party's standing, and the bulk import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal, NamedTuple

from fastapi import Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hetao.api.deps import ProfileDep, SessionDep
from hetao.audit import repository as audit_repository
from hetao.audit.service import Actor
from hetao.errors import HetaoError
from hetao.inputs import Id
from hetao.profiles import ZoneProfile
from hetao.reference.industries import INDUSTRIES
from hetao.registry import bulk, service, standings
from hetao.registry import repository as repo
from hetao.registry.models import (
    ApplicationStatus,
    CreditLevel,
    Party,
    SubjectKind,
    Vehicle,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.schemas import OptionalNote, ReviewNote, StandingChange, StandingCreate
from hetao.registry.views.common import (
    REVIEWING,
    PostedForm,
    Reviewers,
    done_message,
    flat_state,
)
from hetao.storage import lookup
from hetao.storage.types import utcnow
from hetao.timeutil import zone_today
from hetao.web import page_router
from hetao.web.forms import FormState, choices, parse, refuse
from hetao.web.i18n import t
from hetao.web.rendering import redirect, render

router = page_router()

PAGE_SIZE = 25
#: What the queue shows unless asked otherwise: what waits for a reviewer.
WAITING = (ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED)
#: How far ahead "expiring" looks.
EXPIRING_DAYS = 30
#: Events shown in an application's audit trail (a trail is short; more are in the audit log).
TRAIL_LIMIT = 200

NOTE_FIELDS = {"note": "registry.field.reason"}
STANDING_FIELDS = {
    "change": "registry.field.change",
    "effective_on": "registry.field.effective_on",
    "document_ref": "registry.field.document_ref",
    "credit_level": "registry.field.credit_level",
    "note": "registry.field.note",
}
#: A reviewer's decision on an application: the verb's service call, and whether a reason is
#: required (a negative decision always says why).
APPLICATION_VERBS = ("approve", "decline", "request_information")
ENTRY_VERBS = ("suspend", "reinstate", "revoke")


# --- the queue -----------------------------------------------------------------------------


@router.get("/review", dependencies=[REVIEWING])
def queue(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    status: Annotated[ApplicationStatus | None, Query()] = None,
    kind: Annotated[SubjectKind | None, Query()] = None,
    party: Annotated[Id | None, Query()] = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    age: Annotated[int | None, Query(ge=0, le=3650)] = None,
    order: Annotated[str, Query(pattern="^(oldest|newest)$")] = "oldest",
    page: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    """Applications waiting for review (or in the state asked for), filtered and paged."""
    industry = (industry or "").strip() or None
    submitted_before = utcnow() - dt.timedelta(days=age) if age is not None else None
    found = repo.review_queue(
        session,
        statuses=[status] if status else list(WAITING),
        subject_kind=kind,
        party_id=party,
        industry=industry,
        submitted_before=submitted_before,
        newest_first=order == "newest",
        page=page,
        limit=PAGE_SIZE,
    )
    filters: dict[str, Any] = {
        name: value
        for name, value in (
            ("status", status),
            ("kind", kind),
            ("party", party),
            ("industry", industry),
            ("age", age),
            ("order", order if order != "oldest" else None),
        )
        if value is not None
    }
    today = zone_today(profile.zone.timezone)
    return render(
        request,
        "registry/queue.html",
        applications=found.items,
        parties=_names(session),
        filters=filters,
        page=page,
        more=found.more,
        statuses=list(ApplicationStatus),
        kinds=list(SubjectKind),
        industries=INDUSTRIES,
        expiring=len(_expiring(session, today)),
    )


def _names(session: Session) -> dict[int, Party]:
    """Every party by id, for the filter and the table's party column."""
    return {party.id: party for party in repo.parties_in_order(session)}


def _expiring(session: Session, today: dt.date) -> list[WhitelistEntry]:
    return repo.entries_expiring(
        session, today=today, until=today + dt.timedelta(days=EXPIRING_DAYS)
    )


# --- one application and the decision on it ------------------------------------------------


def _trail(session: Session, subject_type: str, subject_id: int) -> list[Any]:
    page = audit_repository.page_events(
        session,
        tag=None,
        subject_type=subject_type,
        subject_id=str(subject_id),
        cursor=None,
        limit=TRAIL_LIMIT,
    )
    return list(page.items)


def _application_page(
    request: Request,
    session: Session,
    application: WhitelistApplication,
    *,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    party = repo.find_party(session, application.party_id) if application.party_id else None
    person = repo.find_person(session, application.person_id) if application.person_id else None
    vehicle = (
        lookup.get(session, Vehicle, application.vehicle_id) if application.vehicle_id else None
    )
    entry = repo.entry_of_application(session, application.id)
    trail = _trail(session, "application", application.id)
    if entry is not None:
        trail += _trail(session, "entry", entry.id)
    persons = vehicles = []
    if party is not None:
        persons = list(repo.page_persons(session, party_id=party.id, cursor=None, limit=50).items)
        vehicles = list(
            repo.page_vehicles(session, owner_party_id=party.id, cursor=None, limit=50).items
        )
    allowed = [
        verb
        for verb in APPLICATION_VERBS
        if application.status in service.APPLICATION_TRANSITIONS[verb][0]
    ]
    return render(
        request,
        "registry/application.html",
        status_code=status_code,
        application=application,
        party=party,
        person=person,
        vehicle=vehicle,
        entry=entry,
        persons=persons,
        vehicles=vehicles,
        events=sorted(trail, key=lambda event: event.seq),
        allowed=allowed,
        form=form or FormState(fields=NOTE_FIELDS),
        done=done_message(request),
    )


@router.get("/review/applications/{application_id}", dependencies=[REVIEWING])
def application(request: Request, application_id: Id, session: SessionDep) -> Response:
    """The application, its subject, its history and trail, and the decisions open to it."""
    found = lookup.get(session, WhitelistApplication, application_id)
    return _application_page(request, session, found)


# --- entries -------------------------------------------------------------------------------


@router.get("/review/entries/expiring", dependencies=[REVIEWING])
def expiring(request: Request, session: SessionDep, profile: ProfileDep) -> Response:
    """Live entries whose validity ends within 30 days, soonest first."""
    today = zone_today(profile.zone.timezone)
    return render(
        request,
        "registry/expiring.html",
        entries=_expiring(session, today),
        parties=_names(session),
        days=EXPIRING_DAYS,
        today=today,
    )


def _entry_page(
    request: Request,
    session: Session,
    entry: WhitelistEntry,
    *,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    party = repo.find_party(session, entry.party_id) if entry.party_id else None
    allowed = [verb for verb in ENTRY_VERBS if entry.status in service.ENTRY_TRANSITIONS[verb][0]]
    return render(
        request,
        "registry/entry.html",
        status_code=status_code,
        entry=entry,
        party=party,
        events=_trail(session, "entry", entry.id),
        allowed=allowed,
        form=form or FormState(fields=NOTE_FIELDS),
        done=done_message(request),
    )


@router.get("/review/entries/{entry_id}", dependencies=[REVIEWING])
def entry(request: Request, entry_id: Id, session: SessionDep) -> Response:
    """One entry, its trail, and the actions open to it."""
    return _entry_page(request, session, lookup.get(session, WhitelistEntry, entry_id))


# --- the reviewer's moves on applications and entries --------------------------------------


class Move(NamedTuple):
    """A reviewer's move: whether its reason may be left out, and the service that makes it."""

    optional: bool
    run: Callable[[Session, Any, str, ZoneProfile, Actor], object]


#: Each verb's service call; a negative decision always says why (the API's ReviewNote).
MOVES: dict[str, Move] = {
    "approve": Move(
        True,
        lambda s, o, why, profile, by: service.approve(
            s, o, profile=profile, actor=by, note=why or None
        ),
    ),
    "decline": Move(False, lambda s, o, why, _, by: service.decline(s, o, note=why, actor=by)),
    "request_information": Move(
        False,
        lambda s, o, why, _, by: service.request_information(s, o, note=why, actor=by),
    ),
    "suspend": Move(False, lambda s, o, why, _, by: service.suspend(s, o, note=why, actor=by)),
    "reinstate": Move(
        True,
        lambda s, o, why, profile, by: service.reinstate(
            s, o, profile=profile, actor=by, note=why or None
        ),
    ),
    "revoke": Move(False, lambda s, o, why, _, by: service.revoke(s, o, note=why, actor=by)),
}


def _reason(form: FormData, *, optional: bool) -> tuple[FormState, str | None]:
    """The reason typed ("" for none where it may be left out); None with the form's errors
    where a required one is missing."""
    if optional:
        given, state = parse(OptionalNote, form, NOTE_FIELDS)
        return state, (given.note or "") if given is not None else None
    required, state = parse(ReviewNote, form, NOTE_FIELDS)
    return state, required.note if required is not None else None


Page = Callable[..., Response]


def _move_route(model: type[Any], base: str, verb: str, page: Page) -> Callable[..., Response]:
    """The page route of one move: make it, then back to the object's page with a status
    message; a refusal shows the page again with the reason's form and why."""
    move = MOVES[verb]

    def route(
        request: Request,
        object_id: Id,
        session: SessionDep,
        profile: ProfileDep,
        principal: Reviewers,
        form: PostedForm,
    ) -> Response:
        found = lookup.get(session, model, object_id, for_update=True)
        state, note = _reason(form, optional=move.optional)
        if note is not None:
            try:
                move.run(session, found, note, profile, principal.actor)
            except HetaoError as error:
                refuse(session, state, error)
            else:
                return redirect(request, f"{base}/{object_id}?done={verb}")
        return page(request, session, found, form=state, status_code=422)

    return route


def _route_moves(model: type[Any], base: str, verbs: tuple[str, ...], page: Page) -> None:
    """POST {base}/{id}/{verb} for each of ``verbs``."""
    for verb in verbs:
        router.add_api_route(
            f"{base}/{{object_id}}/{verb.replace('_', '-')}",
            _move_route(model, base, verb, page),
            methods=["POST"],
            name=f"{model.__name__}.{verb}",
        )


_route_moves(WhitelistApplication, "/review/applications", APPLICATION_VERBS, _application_page)
_route_moves(WhitelistEntry, "/review/entries", ENTRY_VERBS, _entry_page)


# --- a party's standing --------------------------------------------------------------------


def _party_page(
    request: Request,
    session: Session,
    party: Party,
    *,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "registry/party.html",
        status_code=status_code,
        party=party,
        standings=repo.list_standings(session, party_id=party.id),
        waivers=repo.list_waivers(session, party_id=party.id),
        entries=repo.party_entries(session, party_id=party.id),
        applications=repo.party_applications(session, party_id=party.id),
        changes=choices("registry.standing_change", StandingChange),
        levels=choices("registry.credit_level", CreditLevel),
        form=form or FormState(fields=STANDING_FIELDS),
        done=done_message(request),
    )


@router.get("/review/parties/{party_id}", dependencies=[REVIEWING])
def party(request: Request, party_id: Id, session: SessionDep) -> Response:
    """The party's standing and credit level with their history, its waivers and entries."""
    return _party_page(request, session, lookup.get(session, Party, party_id))


@router.post("/review/parties/{party_id}/standings")
def record_standing(
    request: Request,
    party_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    principal: Reviewers,
    form: PostedForm,
) -> Response:
    """Record a change of standing from its date and document."""
    found = lookup.get(session, Party, party_id, for_update=True)
    body, state = parse(StandingCreate, form, STANDING_FIELDS)
    if body is not None:
        try:
            standings.record_standing(session, found, body, profile=profile, actor=principal.actor)
        except HetaoError as error:
            refuse(session, state, error)
        else:
            return redirect(request, f"/review/parties/{party_id}?done=standing")
    return _party_page(request, session, found, form=state, status_code=422)


# --- bulk import ---------------------------------------------------------------------------

IMPORT_FIELDS = {"file": "registry.field.file"}
ImportKind = Literal["persons", "vehicles"]


@router.get("/review/imports", dependencies=[REVIEWING])
def imports(request: Request) -> Response:
    """Upload a CSV of persons or vehicles."""
    return render(
        request,
        "registry/imports.html",
        kind=None,
        result=None,
        problems=(),
        form=flat_state(None, IMPORT_FIELDS),
    )


async def _csv_text(form: PostedForm) -> str | None:
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return None
    raw = await upload.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _import(
    request: Request,
    session: Session,
    profile: ZoneProfile,
    principal: Reviewers,
    kind: str,
    csv_text: str | None,
) -> Response:
    state = flat_state(None, IMPORT_FIELDS)
    result: bulk.ImportResult | None = None
    problems: tuple[Any, ...] = ()
    if not csv_text:
        state.add("file", t("registry.import.no_file"))
    else:
        try:
            if kind == "persons":
                result = bulk.import_persons(session, csv_text, actor=principal.actor)
            else:
                result = bulk.import_vehicles(
                    session, csv_text, profile=profile, actor=principal.actor
                )
        except HetaoError as error:
            session.rollback()  # all rows or none: nothing of this file stays
            problems = error.problems
            state.errors.setdefault("file", error.detail)
    return render(
        request,
        "registry/imports.html",
        status_code=200 if result is not None else 422,
        kind=kind,
        result=result,
        problems=problems,
        form=state,
    )


@router.post("/review/imports/{kind}")
async def import_file(
    request: Request,
    kind: ImportKind,
    session: SessionDep,
    profile: ProfileDep,
    principal: Reviewers,
    form: PostedForm,
) -> Response:
    """Import every row of the uploaded CSV, or none, and show the report of rows."""
    csv_text = await _csv_text(form)
    # The import reads and writes the database: off the event loop, as sync pages run.
    return await run_in_threadpool(_import, request, session, profile, principal, kind, csv_text)
