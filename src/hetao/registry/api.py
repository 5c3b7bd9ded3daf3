"""Registry endpoints under /api/v1: parties, persons, vehicles, whitelist, bulk import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status

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
from hetao.registry import bulk, service
from hetao.registry import repository as repo
from hetao.registry.models import (
    ApplicationStatus,
    EntryStatus,
    Party,
    PartyKind,
    Person,
    SubjectKind,
    Vehicle,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.schemas import (
    ApplicationCreate,
    ApplicationOut,
    EntryOut,
    OptionalNote,
    PartyCreate,
    PartyOut,
    PersonCreate,
    PersonOut,
    Resubmission,
    ReviewNote,
    VehicleCreate,
    VehicleOut,
    WaiverCreate,
    WaiverOut,
)

router = APIRouter(route_class=UnitOfWorkRoute)
IdPath = Annotated[int, Path(ge=1)]

CSV_BODY = Body(
    media_type="text/csv",
    description="CSV with a header row; see docs/registry-import.md for the columns",
)


# --- parties -------------------------------------------------------------------------------


@router.get("/parties", tags=["parties"], summary="List parties")
def list_parties(
    session: SessionDep,
    kind: Annotated[PartyKind | None, Query(description="Only parties of this kind")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[PartyOut]:
    """Parties in registration order, a page at a time."""
    return Page.of(repo.page_parties(session, kind=kind, cursor=cursor, limit=limit), PartyOut)


@router.post(
    "/parties", tags=["parties"], status_code=status.HTTP_201_CREATED, summary="Register a party"
)
def create_party(body: PartyCreate, session: SessionDep, actor: ActorDep) -> PartyOut:
    """Register an enterprise, institution, broker or carrier; identifiers are checked."""
    return PartyOut.model_validate(service.create_party(session, body, actor=actor))


@router.get("/parties/{party_id}", tags=["parties"], summary="Show a party")
def get_party(party_id: IdPath, session: SessionDep) -> PartyOut:
    """One party by id."""
    return PartyOut.model_validate(repo.get(session, Party, party_id))


@router.get("/parties/{party_id}/waivers", tags=["parties"], summary="List exemption waivers")
def list_waivers(party_id: IdPath, session: SessionDep) -> list[WaiverOut]:
    """The party's elections to pay import taxes, with each lockout's end (R6)."""
    repo.get(session, Party, party_id)
    return [WaiverOut.model_validate(w) for w in repo.list_waivers(session, party_id=party_id)]


@router.post(
    "/parties/{party_id}/waivers",
    tags=["parties"],
    status_code=status.HTTP_201_CREATED,
    summary="Waive an exemption (starts the 36-month lockout, R6)",
)
def waive_exemption(
    party_id: IdPath, body: WaiverCreate, session: SessionDep, profile: ProfileDep, actor: ActorDep
) -> WaiverOut:
    """Record that a beneficiary elects to pay import taxes on a kind of goods (R6)."""
    party = repo.get(session, Party, party_id, for_update=True)
    waiver = service.waive_exemption(session, party, body, profile=profile, actor=actor)
    return WaiverOut.model_validate(waiver)


# --- persons and vehicles ------------------------------------------------------------------


@router.get("/persons", tags=["persons"], summary="List persons")
def list_persons(
    session: SessionDep,
    party_id: Annotated[int | None, Query(ge=1, description="Only persons affiliated")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[PersonOut]:
    """Persons with their documents and affiliations."""
    page = repo.page_persons(session, party_id=party_id, cursor=cursor, limit=limit)
    return Page.of(page, PersonOut)


@router.post(
    "/persons", tags=["persons"], status_code=status.HTTP_201_CREATED, summary="Register a person"
)
def create_person(body: PersonCreate, session: SessionDep, actor: ActorDep) -> PersonOut:
    """Register a person with identity documents (check digits verified) and affiliations."""
    return PersonOut.model_validate(service.create_person(session, body, actor=actor))


@router.get("/persons/{person_id}", tags=["persons"], summary="Show a person")
def get_person(person_id: IdPath, session: SessionDep) -> PersonOut:
    """One person by id."""
    return PersonOut.model_validate(repo.get(session, Person, person_id))


@router.get("/vehicles", tags=["vehicles"], summary="List vehicles")
def list_vehicles(
    session: SessionDep,
    owner_party_id: Annotated[int | None, Query(ge=1)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[VehicleOut]:
    """Vehicles with their permits."""
    page = repo.page_vehicles(session, owner_party_id=owner_party_id, cursor=cursor, limit=limit)
    return Page.of(page, VehicleOut)


@router.post(
    "/vehicles",
    tags=["vehicles"],
    status_code=status.HTTP_201_CREATED,
    summary="Register a vehicle",
)
def create_vehicle(
    body: VehicleCreate, session: SessionDep, profile: ProfileDep, actor: ActorDep
) -> VehicleOut:
    """Register a vehicle with its plates and permits at the profile's crossing points."""
    vehicle = service.create_vehicle(session, body, profile=profile, actor=actor)
    return VehicleOut.model_validate(vehicle)


@router.get("/vehicles/{vehicle_id}", tags=["vehicles"], summary="Show a vehicle")
def get_vehicle(vehicle_id: IdPath, session: SessionDep) -> VehicleOut:
    """One vehicle by id."""
    return VehicleOut.model_validate(repo.get(session, Vehicle, vehicle_id))


@router.post(
    "/imports/persons",
    tags=["imports"],
    status_code=status.HTTP_201_CREATED,
    summary="Bulk import persons from CSV (all or nothing)",
)
def import_persons(
    session: SessionDep, actor: ActorDep, csv_text: Annotated[str, CSV_BODY]
) -> bulk.ImportResult:
    """Every bad row is reported with its row, column and rule; nothing is applied if any is bad."""
    return bulk.import_persons(session, csv_text, actor=actor)


@router.post(
    "/imports/vehicles",
    tags=["imports"],
    status_code=status.HTTP_201_CREATED,
    summary="Bulk import vehicles from CSV (all or nothing)",
)
def import_vehicles(
    session: SessionDep, profile: ProfileDep, actor: ActorDep, csv_text: Annotated[str, CSV_BODY]
) -> bulk.ImportResult:
    """Every bad row is reported with its row, column and rule; nothing is applied if any is bad."""
    return bulk.import_vehicles(session, csv_text, profile=profile, actor=actor)


# --- whitelist applications ----------------------------------------------------------------


@router.get("/applications", tags=["whitelist"], summary="List whitelist applications")
def list_applications(
    session: SessionDep,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    subject_kind: SubjectKind | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[ApplicationOut]:
    """The review queue: filter by status (e.g. submitted) and subject kind."""
    page = repo.page_applications(
        session, status=status_, subject_kind=subject_kind, cursor=cursor, limit=limit
    )
    return Page.of(page, ApplicationOut)


@router.post(
    "/applications",
    tags=["whitelist"],
    status_code=status.HTTP_201_CREATED,
    summary="Open a whitelist application (draft)",
)
def create_application(
    body: ApplicationCreate, session: SessionDep, profile: ProfileDep, actor: ActorDep
) -> ApplicationOut:
    """A draft application for an institution, individual, vehicle or industry, with its scopes."""
    application = service.create_application(session, body, profile=profile, actor=actor)
    return ApplicationOut.model_validate(application)


@router.get("/applications/{application_id}", tags=["whitelist"], summary="Show an application")
def get_application(application_id: IdPath, session: SessionDep) -> ApplicationOut:
    """One application by id."""
    return ApplicationOut.model_validate(repo.get(session, WhitelistApplication, application_id))


def _application(session: SessionDep, application_id: int) -> WhitelistApplication:
    return repo.get(session, WhitelistApplication, application_id, for_update=True)


@router.post("/applications/{application_id}/submit", tags=["whitelist"], summary="Submit")
def submit_application(
    application_id: IdPath, session: SessionDep, actor: ActorDep
) -> ApplicationOut:
    """draft -> submitted."""
    application = _application(session, application_id)
    service.submit(session, application, actor=actor)
    return ApplicationOut.model_validate(application)


@router.post(
    "/applications/{application_id}/request-information",
    tags=["whitelist"],
    summary="Ask the applicant for more information",
)
def request_information(
    application_id: IdPath, body: ReviewNote, session: SessionDep, actor: ActorDep
) -> ApplicationOut:
    """submitted | resubmitted -> information_requested; the note says what is missing."""
    application = _application(session, application_id)
    service.request_information(session, application, note=body.note, actor=actor)
    return ApplicationOut.model_validate(application)


@router.post("/applications/{application_id}/resubmit", tags=["whitelist"], summary="Resubmit")
def resubmit_application(
    application_id: IdPath,
    body: Resubmission,
    session: SessionDep,
    profile: ProfileDep,
    actor: ActorDep,
) -> ApplicationOut:
    """information_requested -> resubmitted, with the answer and optionally amended scopes."""
    application = _application(session, application_id)
    service.resubmit(session, application, body, profile=profile, actor=actor)
    return ApplicationOut.model_validate(application)


@router.post("/applications/{application_id}/approve", tags=["whitelist"], summary="Approve")
def approve_application(
    application_id: IdPath,
    session: SessionDep,
    profile: ProfileDep,
    actor: ActorDep,
    body: OptionalNote | None = None,
) -> EntryOut:
    """submitted | resubmitted -> approved; returns the new whitelist entry."""
    application = _application(session, application_id)
    entry = service.approve(
        session, application, profile=profile, actor=actor, note=body.note if body else None
    )
    return EntryOut.model_validate(entry)


@router.post("/applications/{application_id}/decline", tags=["whitelist"], summary="Decline")
def decline_application(
    application_id: IdPath, body: ReviewNote, session: SessionDep, actor: ActorDep
) -> ApplicationOut:
    """submitted | resubmitted -> declined, with the reason the applicant reads."""
    application = _application(session, application_id)
    service.decline(session, application, note=body.note, actor=actor)
    return ApplicationOut.model_validate(application)


# --- whitelist entries ---------------------------------------------------------------------


@router.get("/entries", tags=["whitelist"], summary="List whitelist entries")
def list_entries(
    session: SessionDep,
    status_: Annotated[EntryStatus | None, Query(alias="status")] = None,
    subject_kind: SubjectKind | None = None,
    party_id: Annotated[int | None, Query(ge=1)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[EntryOut]:
    """Entries with their scopes and validity windows."""
    page = repo.page_entries(
        session,
        status=status_,
        subject_kind=subject_kind,
        party_id=party_id,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, EntryOut)


@router.get("/entries/{entry_id}", tags=["whitelist"], summary="Show an entry")
def get_entry(entry_id: IdPath, session: SessionDep) -> EntryOut:
    """One entry by id."""
    return EntryOut.model_validate(repo.get(session, WhitelistEntry, entry_id))


def _entry(session: SessionDep, entry_id: int) -> WhitelistEntry:
    return repo.get(session, WhitelistEntry, entry_id, for_update=True)


@router.post("/entries/{entry_id}/suspend", tags=["whitelist"], summary="Suspend an entry")
def suspend_entry(
    entry_id: IdPath, body: ReviewNote, session: SessionDep, actor: ActorDep
) -> EntryOut:
    """active -> suspended, with the reason."""
    entry = _entry(session, entry_id)
    service.suspend(session, entry, note=body.note, actor=actor)
    return EntryOut.model_validate(entry)


@router.post("/entries/{entry_id}/reinstate", tags=["whitelist"], summary="Reinstate an entry")
def reinstate_entry(
    entry_id: IdPath,
    session: SessionDep,
    profile: ProfileDep,
    actor: ActorDep,
    body: OptionalNote | None = None,
) -> EntryOut:
    """suspended -> active, while the validity window is open."""
    entry = _entry(session, entry_id)
    service.reinstate(
        session, entry, profile=profile, actor=actor, note=body.note if body else None
    )
    return EntryOut.model_validate(entry)


@router.post("/entries/{entry_id}/revoke", tags=["whitelist"], summary="Revoke an entry")
def revoke_entry(
    entry_id: IdPath, body: ReviewNote, session: SessionDep, actor: ActorDep
) -> EntryOut:
    """active | suspended -> revoked, for good."""
    entry = _entry(session, entry_id)
    service.revoke(session, entry, note=body.note, actor=actor)
    return EntryOut.model_validate(entry)
