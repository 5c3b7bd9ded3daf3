"""Pages of data transfers: reviewers record the authority's decisions; exporters apply.

The same services and object rules as the API; a refusal is rolled back and shown beside the
form that caused it. The route (R33-R37) is the one self-assessment stored, explained in words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hetao.api.deps import CursorQuery, ProfileDep, SessionDep
from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.datatransfer import access, service
from hetao.datatransfer import repository as repo
from hetao.datatransfer.models import ApplicationStatus, DataTransferApplication
from hetao.datatransfer.routing import Purpose, Route
from hetao.datatransfer.schemas import (
    ActivationIn,
    ApplicationCreate,
    ApprovalIn,
    ExtensionIn,
    FilingIn,
    RejectionIn,
)
from hetao.errors import PermissionDenied
from hetao.inputs import Id
from hetao.profiles import ZoneProfile
from hetao.reasons import stored_reasons
from hetao.registry import repository as registry_repo
from hetao.registry.access import enforce, party_scope
from hetao.web import page_router
from hetao.web.forms import FormState, attempt, choices, parse
from hetao.web.i18n import current_language, label
from hetao.web.rendering import redirect, render

router = page_router()
REVIEWERS = Depends(Allow(*access.REVIEWERS))
#: The portal fixes the exporter from the signed-in user: only an enterprise user has a party.
_ENTERPRISE = Depends(Allow(Role.ENTERPRISE_USER))
Enterprise = Annotated[Principal, _ENTERPRISE]
PAGE_SIZE = 50

APPLICATION_FIELDS = {
    name: f"data.field.{name}"
    for name in (
        "exporter_region",
        "recipient_name",
        "recipient_region",
        "data_categories",
        "personal_info_subjects",
        "sensitive_personal_info_subjects",
        "important_data",
        "cii_operator",
        "purpose",
    )
}
#: Whole numbers the schema takes strictly as integers; a form posts text.
COUNTS = ("personal_info_subjects", "sensitive_personal_info_subjects")
FLAGS = ("important_data", "cii_operator", "major_incident")


@dataclass(frozen=True, slots=True)
class Step:
    """What a verb's service call is given: the application, the form's values, who acts."""

    session: Session
    application: DataTransferApplication
    data: Any
    profile: ZoneProfile
    principal: Principal


@dataclass(frozen=True, slots=True)
class Verb:
    """A workflow verb as a page form: who posts it, its fields and schema, the service call."""

    side: str
    fields: Mapping[str, str]
    schema: type[BaseModel] | None
    act: Callable[[Step], object]
    routes: frozenset[Route] | None = None


def _fields(*names: str) -> dict[str, str]:
    return {name: f"data.field.{name}" for name in names}


VERBS: dict[str, Verb] = {
    "self-assess": Verb(
        "portal",
        {},
        None,
        lambda x: service.self_assess(
            x.session, x.application, profile=x.profile, actor=x.principal.actor
        ),
    ),
    "file": Verb(
        "portal",
        _fields("reference"),
        FilingIn,
        lambda x: service.file(
            x.session, x.application, reference=x.data.reference, actor=x.principal.actor
        ),
        service.FILED_ROUTES,
    ),
    "apply": Verb(
        "portal",
        _fields("reference"),
        FilingIn,
        lambda x: service.apply(
            x.session, x.application, reference=x.data.reference, actor=x.principal.actor
        ),
        service.APPLIED_ROUTES,
    ),
    "extend": Verb(
        "portal",
        _fields(*COUNTS, "major_incident"),
        ExtensionIn,
        lambda x: service.extend(
            x.session, x.application, x.data, profile=x.profile, actor=x.principal.actor
        ),
    ),
    "approve": Verb(
        "review",
        _fields("reference", "note"),
        ApprovalIn,
        lambda x: service.approve(
            x.session,
            x.application,
            reference=x.data.reference,
            note=x.data.note,
            actor=x.principal.actor,
        ),
    ),
    "reject": Verb(
        "review",
        _fields("reason"),
        RejectionIn,
        lambda x: service.reject(
            x.session, x.application, reason=x.data.reason, actor=x.principal.actor
        ),
    ),
    "activate": Verb(
        "review",
        _fields("valid_from"),
        ActivationIn,
        lambda x: service.activate(
            x.session,
            x.application,
            profile=x.profile,
            valid_from=x.data.valid_from,
            actor=x.principal.actor,
        ),
    ),
}


def verbs_for(application: DataTransferApplication, side: str) -> list[str]:
    """The verbs of ``side`` the workflow (and the stored route) allow now."""
    return [
        name
        for name, verb in VERBS.items()
        if verb.side == side
        and application.status in service.TRANSITIONS[name.replace("-", "_")][0]
        and (verb.routes is None or application.route in verb.routes)
    ]


def form_values(posted: FormData, fields: Mapping[str, str]) -> dict[str, Any]:
    """What the schema needs that a form cannot say: whole numbers, ticked boxes, lists."""
    extra: dict[str, Any] = {}
    for name in fields:
        value = posted.get(name)
        if name in FLAGS:
            extra[name] = value is not None
        elif name in COUNTS and isinstance(value, str) and value.strip().isdigit():
            extra[name] = int(value.strip())
        elif name == "data_categories" and isinstance(value, str) and value.strip():
            extra[name] = [
                part.strip() for part in value.replace("\n", ",").split(",") if part.strip()
            ]
    return extra


def exporter_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Exporters' display names, Chinese where the page is and the party has one."""
    chinese = current_language() != "en"
    parties = (registry_repo.find_party(session, party_id) for party_id in ids)
    return {
        party.id: party.name_zh if chinese and party.name_zh else party.name_en
        for party in parties
        if party is not None
    }


def _application_page(
    request: Request,
    application: DataTransferApplication,
    side: str,
    *,
    session: Session,
    forms: Mapping[str, FormState] | None = None,
    status_code: int = 200,
) -> Response:
    verbs = verbs_for(application, side)
    shown = dict(forms or {})
    for name in verbs:
        shown.setdefault(name, FormState(fields=VERBS[name].fields))
    routing = application.routing or {}
    batches = repo.page_batches(
        session, application_id=application.id, cursor=None, limit=PAGE_SIZE
    ).items
    return render(
        request,
        "datatransfer/application.html",
        status_code=status_code,
        side=side,
        application=application,
        routing=routing,
        route_reasons=stored_reasons(routing.get("reasons")),
        alternatives=[label("data.route", route) for route in routing.get("alternatives", [])],
        batches=[(batch, stored_reasons(batch.reasons)) for batch in batches],
        verbs=verbs,
        forms=shown,
        parties=exporter_names(session, {application.exporter_party_id}),
    )


def _list(
    request: Request,
    session: Session,
    side: str,
    *,
    exporter: int | None,
    status: ApplicationStatus | None,
    cursor: str | None,
) -> Response:
    page = repo.page_applications(
        session, exporter_party_id=exporter, status=status, cursor=cursor, limit=PAGE_SIZE
    )
    return render(
        request,
        "datatransfer/applications.html",
        side=side,
        applications=page.items,
        parties=exporter_names(session, {a.exporter_party_id for a in page.items}),
        statuses=list(ApplicationStatus),
        status=status.value if status else "",
        next_cursor=page.next_cursor,
    )


def _verb_route(name: str, verb: Verb) -> Callable[..., Awaitable[Response]]:
    async def act(
        request: Request,
        application_id: Id,
        session: SessionDep,
        profile: ProfileDep,
    ) -> Response:
        principal: Principal = request.state.principal  # admitted by the route's dependency
        application = access.check_application(
            principal, repo.get_application(session, application_id, for_update=True)
        )
        posted = await request.form()
        form = FormState(fields=verb.fields)
        data: Any = None
        if verb.schema is not None:
            data, form = parse(
                verb.schema, posted, verb.fields, extra=form_values(posted, verb.fields)
            )
        if (verb.schema is None or data is not None) and attempt(
            session, form, lambda: verb.act(Step(session, application, data, profile, principal))
        ):
            return redirect(request, f"/{verb.side}/data-applications/{application.id}")
        session.rollback()
        application = repo.get_application(session, application_id)
        return _application_page(
            request, application, verb.side, session=session, forms={name: form}, status_code=422
        )

    act.__name__ = f"{name.replace('-', '_')}_application"
    act.__doc__ = f"The {name} of a data transfer application, as the workflow allows."
    return act


_ALLOW = {"review": REVIEWERS, "portal": _ENTERPRISE}


# --- reviewer -------------------------------------------------------------------------------


@router.get("/review/data-applications", dependencies=[REVIEWERS])
def review_applications(
    request: Request,
    session: SessionDep,
    status: Annotated[ApplicationStatus | None, Query()] = None,
    cursor: CursorQuery = None,
) -> Response:
    """Every exporter's applications, filtered by state."""
    return _list(request, session, "review", exporter=None, status=status, cursor=cursor)


@router.get("/review/data-applications/{application_id}", dependencies=[REVIEWERS])
def review_application(request: Request, application_id: Id, session: SessionDep) -> Response:
    """An application, its route explained, its batches, and the decisions allowed."""
    application = repo.get_application(session, application_id)
    return _application_page(request, application, "review", session=session)


# --- enterprise portal ----------------------------------------------------------------------


def _own(principal: Principal) -> int:
    own = party_scope(principal)
    if own is None:  # pragma: no cover - the routes admit enterprise users only
        raise PermissionDenied("the portal is for enterprise users")
    return own


@router.get("/portal/data-applications")
def portal_applications(
    request: Request,
    session: SessionDep,
    principal: Enterprise,
    status: Annotated[ApplicationStatus | None, Query()] = None,
    cursor: CursorQuery = None,
) -> Response:
    """The party's own applications, filtered by state."""
    return _list(request, session, "portal", exporter=_own(principal), status=status, cursor=cursor)


def _new_form(request: Request, form: FormState, *, status_code: int = 200) -> Response:
    return render(
        request,
        "datatransfer/new.html",
        status_code=status_code,
        form=form,
        purposes=choices("data.purpose", Purpose),
    )


@router.get("/portal/data-applications/new", dependencies=[_ENTERPRISE])
def new_application(request: Request) -> Response:
    """The form of a new application; the exporter is the user's own party."""
    return _new_form(request, FormState(fields=APPLICATION_FIELDS))


@router.post("/portal/data-applications")
async def create_application(
    request: Request, session: SessionDep, profile: ProfileDep, principal: Enterprise
) -> Response:
    """Open a draft for the party (whitelisted for the data flow)."""
    posted = await request.form()
    own = _own(principal)
    extra = {**form_values(posted, APPLICATION_FIELDS), "exporter_party_id": own}
    data, form = parse(ApplicationCreate, posted, APPLICATION_FIELDS, extra=extra)
    created: list[DataTransferApplication] = []
    if data is not None:
        enforce(access.can_apply(principal, data.exporter_party_id))
        if attempt(
            session,
            form,
            lambda: created.append(
                service.create_application(session, data, profile=profile, actor=principal.actor)
            ),
        ):
            return redirect(request, f"/portal/data-applications/{created[0].id}")
    session.rollback()
    return _new_form(request, form, status_code=422)


@router.get("/portal/data-applications/{application_id}")
def portal_application(
    request: Request, application_id: Id, session: SessionDep, principal: Enterprise
) -> Response:
    """The party's application: its route explained, its state, its channel batches."""
    application = access.check_application(principal, repo.get_application(session, application_id))
    return _application_page(request, application, "portal", session=session)


for _name, _verb in VERBS.items():
    router.post(
        f"/{_verb.side}/data-applications/{{application_id}}/{_name}",
        dependencies=[_ALLOW[_verb.side]],
    )(_verb_route(_name, _verb))
