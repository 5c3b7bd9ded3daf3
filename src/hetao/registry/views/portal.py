"""The enterprise portal's registry part: its party and entries, its applications (create,
submit, answer a request for information), and its persons and vehicles.

The party is always the signed-in user's own, fixed by the page and never a field; another
party's application, person or vehicle answers 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hetao.api.deps import ProfileDep, SessionDep
from hetao.auth.principal import Principal
from hetao.errors import HetaoError
from hetao.inputs import Id
from hetao.profiles import ZoneProfile
from hetao.registry import access, parties, service
from hetao.registry import repository as repo
from hetao.registry.identifiers import DocumentKind
from hetao.registry.models import (
    ApplicationStatus,
    Party,
    Person,
    PlateRegion,
    Residency,
    SubjectKind,
    Vehicle,
    VehicleKind,
    WhitelistApplication,
)
from hetao.registry.schemas import ApplicationCreate, PersonCreate, Resubmission, VehicleCreate
from hetao.registry.views.common import (
    Enterprise,
    PostedForm,
    done_message,
    flat_state,
    listed,
    text,
    validate,
)
from hetao.storage import lookup
from hetao.web import page_router
from hetao.web.forms import FormState, choices, parse, refuse
from hetao.web.i18n import localized
from hetao.web.navigation import panels_for
from hetao.web.panels import portal_home_panels
from hetao.web.rendering import redirect, render

router = page_router()

#: What an enterprise may apply for: itself, its people, its vehicles (industries are the
#: zone's own, access.can_apply).
PORTAL_KINDS = (SubjectKind.INSTITUTION, SubjectKind.INDIVIDUAL, SubjectKind.VEHICLE)
LIST_LIMIT = 200

APPLICATION_FIELDS = {
    "subject_kind": "registry.field.subject_kind",
    "person_id": "registry.field.person",
    "vehicle_id": "registry.field.vehicle",
    "flows": "registry.field.flows",
    "lines": "registry.field.lines",
    "exemptions": "registry.field.exemptions",
    "valid_from": "registry.field.valid_from",
    "valid_until": "registry.field.valid_until",
    "justification": "registry.field.justification",
}
SCOPE_FIELDS = ("flows", "lines", "exemptions")
ANSWER_FIELDS = {"answer": "registry.field.answer"}
PERSON_FIELDS = {
    "family_name": "registry.field.family_name",
    "given_name": "registry.field.given_name",
    "name_zh": "registry.field.name_zh",
    "birth_date": "registry.field.birth_date",
    "residency": "registry.field.residency",
    "nationality": "registry.field.nationality",
    "document_kind": "registry.field.document_kind",
    "document_number": "registry.field.document_number",
    "document_issuing_country": "registry.field.document_issuing_country",
    "document_expiry_date": "registry.field.document_expiry_date",
    "role": "registry.field.role",
}
#: Where an error at a PersonCreate location is shown on the flat form.
PERSON_PATHS = {
    "documents.kind": "document_kind",
    "documents.number": "document_number",
    "documents.issuing_country": "document_issuing_country",
    "documents.expiry_date": "document_expiry_date",
    "documents": "document_number",
    "affiliations.role": "role",
}
VEHICLE_FIELDS = {
    "plate": "registry.field.plate",
    "plate_region": "registry.field.plate_region",
    "hk_plate": "registry.field.hk_plate",
    "kind": "registry.field.vehicle_kind",
    "permit_number": "registry.field.permit_number",
    "permit_crossing_point": "registry.field.permit_crossing_point",
    "permit_valid_from": "registry.field.permit_valid_from",
    "permit_valid_until": "registry.field.permit_valid_until",
}
VEHICLE_PATHS = {
    "permits.number": "permit_number",
    "permits.crossing_points": "permit_crossing_point",
    "permits.valid_from": "permit_valid_from",
    "permits.valid_until": "permit_valid_until",
    "permits": "permit_valid_until",
}


def _persons(session: Session, party: Party) -> list[Person]:
    return list(repo.page_persons(session, party_id=party.id, cursor=None, limit=LIST_LIMIT).items)


def _vehicles(session: Session, party: Party) -> list[Vehicle]:
    page = repo.page_vehicles(session, owner_party_id=party.id, cursor=None, limit=LIST_LIMIT)
    return list(page.items)


def own_party(session: Session, principal: Principal) -> Party:
    """The signed-in enterprise user's party."""
    scope = access.party_scope(principal)
    assert scope is not None  # noqa: S101 (the route admits enterprise users only)
    return lookup.get(session, Party, scope)


@router.get("/portal")
def portal(request: Request, session: SessionDep, principal: Enterprise) -> Response:
    """The enterprise's home: its party, its entries by expiry, and the portal's areas."""
    party = own_party(session, principal)
    applications = repo.party_applications(session, party_id=party.id)
    return render(
        request,
        "registry/portal.html",
        party=party,
        entries=repo.party_entries(session, party_id=party.id),
        asked=[a for a in applications if a.status is ApplicationStatus.INFORMATION_REQUESTED],
        panels=panels_for(principal),
        extra_panels=portal_home_panels(session, principal),
    )


# --- applications --------------------------------------------------------------------------


@router.get("/portal/applications")
def applications(request: Request, session: SessionDep, principal: Enterprise) -> Response:
    """The party's applications, newest first."""
    party = own_party(session, principal)
    return render(
        request,
        "registry/portal_applications.html",
        party=party,
        applications=repo.party_applications(session, party_id=party.id),
        done=done_message(request),
    )


def _new_application_page(
    request: Request,
    session: Session,
    profile: ZoneProfile,
    party: Party,
    form: FormState,
    chosen: dict[str, list[str]],
    status_code: int = 200,
) -> Response:
    scopes = profile.whitelist.scopes
    return render(
        request,
        "registry/portal_application_new.html",
        status_code=status_code,
        party=party,
        form=form,
        chosen=chosen,
        kinds=choices("registry.subject_kind", PORTAL_KINDS),
        scopes={"flows": scopes.flows, "lines": scopes.lines, "exemptions": scopes.exemptions},
        persons=[(str(p.id), f"{p.family_name} {p.given_name}") for p in _persons(session, party)],
        vehicles=[(str(v.id), v.plate) for v in _vehicles(session, party)],
    )


@router.get("/portal/applications/new")
def new_application(
    request: Request, session: SessionDep, profile: ProfileDep, principal: Enterprise
) -> Response:
    """The form of a new application; the party is the user's own."""
    party = own_party(session, principal)
    form = FormState(fields=APPLICATION_FIELDS, values={"subject_kind": "institution"})
    return _new_application_page(request, session, profile, party, form, {})


@router.post("/portal/applications")
def create_application(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    principal: Enterprise,
    form: PostedForm,
) -> Response:
    """Open a draft application for the party, then show it (submitted from there)."""
    party = own_party(session, principal)
    chosen = {name: listed(form, name) for name in SCOPE_FIELDS}
    extra: dict[str, Any] = {"party_id": party.id}
    extra |= {name: values for name, values in chosen.items() if values}
    body, state = parse(ApplicationCreate, form, APPLICATION_FIELDS, extra=extra)
    if body is not None:
        try:
            access.enforce(access.can_apply(session, principal, body))
            created = service.create_application(
                session, body, profile=profile, actor=principal.actor
            )
        except HetaoError as error:
            refuse(session, state, error)
        else:
            return redirect(request, f"/portal/applications/{created.id}?done=create")
    return _new_application_page(request, session, profile, party, state, chosen, 422)


def _own_application(
    session: Session, principal: Principal, application_id: int, *, lock: bool = False
) -> WhitelistApplication:
    found = lookup.get(session, WhitelistApplication, application_id, for_update=lock)
    access.enforce(access.can_see_application(principal, found))
    return found


def _application_page(
    request: Request,
    application: WhitelistApplication,
    *,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "registry/portal_application.html",
        status_code=status_code,
        application=application,
        form=form or FormState(fields=ANSWER_FIELDS),
        done=done_message(request),
    )


@router.get("/portal/applications/{application_id}")
def application(
    request: Request, application_id: Id, session: SessionDep, principal: Enterprise
) -> Response:
    """One of the party's applications, with what it may do next."""
    return _application_page(request, _own_application(session, principal, application_id))


@router.post("/portal/applications/{application_id}/submit")
def submit(
    request: Request, application_id: Id, session: SessionDep, principal: Enterprise
) -> Response:
    """Send the draft to the zone reviewers."""
    found = _own_application(session, principal, application_id, lock=True)
    state = FormState(fields=ANSWER_FIELDS)
    try:
        service.submit(session, found, actor=principal.actor)
    except HetaoError as error:
        refuse(session, state, error)
        return _application_page(request, found, form=state, status_code=422)
    return redirect(request, f"/portal/applications/{application_id}?done=submit")


@router.post("/portal/applications/{application_id}/resubmit")
def resubmit(
    request: Request,
    application_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    principal: Enterprise,
    form: PostedForm,
) -> Response:
    """Answer the reviewer's request for information; the application goes back to review."""
    found = _own_application(session, principal, application_id, lock=True)
    body, state = parse(Resubmission, form, ANSWER_FIELDS)
    if body is not None:
        try:
            service.resubmit(session, found, body, profile=profile, actor=principal.actor)
        except HetaoError as error:
            refuse(session, state, error)
        else:
            return redirect(request, f"/portal/applications/{application_id}?done=resubmit")
    return _application_page(request, found, form=state, status_code=422)


# --- persons -------------------------------------------------------------------------------


def _persons_page(
    request: Request, session: Session, party: Party, form: FormState, status_code: int = 200
) -> Response:
    return render(
        request,
        "registry/portal_persons.html",
        status_code=status_code,
        party=party,
        persons=_persons(session, party),
        form=form,
        residencies=choices("registry.residency", Residency),
        document_kinds=choices("registry.document_kind", DocumentKind),
        done=done_message(request),
    )


@router.get("/portal/persons")
def persons(request: Request, session: SessionDep, principal: Enterprise) -> Response:
    """The party's persons, and the form to register one."""
    party = own_party(session, principal)
    return _persons_page(request, session, party, flat_state(None, PERSON_FIELDS))


def _person_body(form: FormData, party_id: int) -> dict[str, Any]:
    """PersonCreate's shape from the flat form: one document, affiliated with the party."""
    return {
        "family_name": text(form, "family_name"),
        "given_name": text(form, "given_name"),
        "name_zh": text(form, "name_zh"),
        "birth_date": text(form, "birth_date"),
        "residency": text(form, "residency"),
        "nationality": text(form, "nationality"),
        "documents": [
            {
                "kind": text(form, "document_kind"),
                "number": text(form, "document_number"),
                "issuing_country": text(form, "document_issuing_country"),
                "expiry_date": text(form, "document_expiry_date"),
            }
        ],
        "affiliations": [{"party_id": party_id, "role": text(form, "role")}],
    }


@router.post("/portal/persons")
def add_person(
    request: Request, session: SessionDep, principal: Enterprise, form: PostedForm
) -> Response:
    """Register a person affiliated with the party."""
    party = own_party(session, principal)
    state = flat_state(form, PERSON_FIELDS)
    body = validate(PersonCreate, _person_body(form, party.id), state, PERSON_PATHS)
    if body is not None:
        try:
            access.enforce(access.can_register_person(principal, body))
            parties.create_person(session, body, actor=principal.actor)
        except HetaoError as error:
            refuse(session, state, error)
        else:
            return redirect(request, "/portal/persons?done=person")
    return _persons_page(request, session, party, state, 422)


@router.get("/portal/persons/{person_id}")
def person(request: Request, person_id: Id, session: SessionDep, principal: Enterprise) -> Response:
    """One of the party's persons with their documents."""
    found = access.check_person(session, principal, lookup.get(session, Person, person_id))
    return render(request, "registry/portal_person.html", person=found)


# --- vehicles ------------------------------------------------------------------------------


def _vehicles_page(
    request: Request,
    session: Session,
    profile: ZoneProfile,
    party: Party,
    form: FormState,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "registry/portal_vehicles.html",
        status_code=status_code,
        party=party,
        vehicles=_vehicles(session, party),
        form=form,
        regions=choices("registry.plate_region", PlateRegion),
        vehicle_kinds=choices("registry.vehicle_kind", VehicleKind),
        points=[(p.code, f"{p.code} · {localized(p.name)}") for p in profile.crossing_points],
        done=done_message(request),
    )


@router.get("/portal/vehicles")
def vehicles(
    request: Request, session: SessionDep, profile: ProfileDep, principal: Enterprise
) -> Response:
    """The party's vehicles, and the form to register one."""
    party = own_party(session, principal)
    return _vehicles_page(request, session, profile, party, flat_state(None, VEHICLE_FIELDS))


def _vehicle_body(form: FormData, party_id: int) -> dict[str, Any]:
    """VehicleCreate's shape from the flat form: owned by the party, a permit if one is named."""
    permit_fields = ("permit_number", "permit_crossing_point", "permit_valid_from")
    permits = []
    if any(text(form, name) for name in (*permit_fields, "permit_valid_until")):
        point = text(form, "permit_crossing_point")
        permits.append(
            {
                "number": text(form, "permit_number"),
                "crossing_points": [point] if point else [],
                "valid_from": text(form, "permit_valid_from"),
                "valid_until": text(form, "permit_valid_until"),
            }
        )
    return {
        "plate": text(form, "plate"),
        "plate_region": text(form, "plate_region"),
        "hk_plate": text(form, "hk_plate"),
        "kind": text(form, "kind"),
        "owner_party_id": party_id,
        "permits": permits,
    }


@router.post("/portal/vehicles")
def add_vehicle(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    principal: Enterprise,
    form: PostedForm,
) -> Response:
    """Register a vehicle the party owns."""
    party = own_party(session, principal)
    state = flat_state(form, VEHICLE_FIELDS)
    body = validate(VehicleCreate, _vehicle_body(form, party.id), state, VEHICLE_PATHS)
    if body is not None:
        try:
            access.enforce(access.can_register_vehicle(principal, body))
            parties.create_vehicle(session, body, profile=profile, actor=principal.actor)
        except HetaoError as error:
            refuse(session, state, error)
        else:
            return redirect(request, "/portal/vehicles?done=vehicle")
    return _vehicles_page(request, session, profile, party, state, 422)


@router.get("/portal/vehicles/{vehicle_id}")
def vehicle(
    request: Request, vehicle_id: Id, session: SessionDep, principal: Enterprise
) -> Response:
    """One of the party's vehicles with its permits."""
    found = access.check_vehicle(principal, lookup.get(session, Vehicle, vehicle_id))
    return render(request, "registry/portal_vehicle.html", vehicle=found)
