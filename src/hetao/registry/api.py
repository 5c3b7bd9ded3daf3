"""Registry endpoints under /api/v1: parties, persons, vehicles, whitelist, bulk import.

Each endpoint admits the roles `access` lists (`Readers`, ...) and checks objects with its rules; an
enterprise user works within its own party.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, status

from hetao.api.bodylimit import BULK_BODY
from hetao.api.deps import (
    DEFAULT_PAGE_SIZE,
    CursorQuery,
    LimitQuery,
    ProfileDep,
    SessionDep,
)
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.inputs import Id
from hetao.registry import access, approvals, bulk, parties, service, standings
from hetao.registry import repository as repo
from hetao.registry.models import (
    ApplicationStatus,
    Approval,
    ApprovalKind,
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
    ApprovalCreate,
    ApprovalOut,
    EntryOut,
    OptionalNote,
    PartyCreate,
    PartyOut,
    PersonCreate,
    PersonOut,
    Resubmission,
    ReviewNote,
    StandingCreate,
    StandingOut,
    VehicleCreate,
    VehicleOut,
    WaiverCreate,
    WaiverOut,
)
from hetao.storage import lookup

router = APIRouter(route_class=UnitOfWorkRoute)

Readers = Annotated[Principal, Depends(Allow(*access.READERS))]
Reviewers = Annotated[Principal, Depends(Allow(*access.REVIEWERS))]
Registrars = Annotated[Principal, Depends(Allow(*access.REGISTRARS))]
Applicants = Annotated[Principal, Depends(Allow(*access.APPLICANTS))]

CSV_BODY = Body(
    media_type="text/csv",
    description="CSV with a header row; see docs/registry-import.md for the columns",
)


def _scoped(principal: Readers, requested: int | None) -> int | None:
    """A list filter: an enterprise user's own party, whatever it asked for."""
    own = access.party_scope(principal)
    if own is None:
        return requested
    if requested is not None and requested != own:
        return -1  # another party's objects: an empty page, as if there were none
    return own


# --- parties -------------------------------------------------------------------------------


@router.get("/parties", tags=["parties"], summary="List parties")
def list_parties(
    session: SessionDep,
    principal: Readers,
    kind: Annotated[PartyKind | None, Query(description="Only parties of this kind")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[PartyOut]:
    """Parties in registration order, a page at a time (an enterprise user sees its own)."""
    page = repo.page_parties(
        session, kind=kind, only_id=_scoped(principal, None), cursor=cursor, limit=limit
    )
    return Page.of(page, PartyOut)


@router.post(
    "/parties", tags=["parties"], status_code=status.HTTP_201_CREATED, summary="Register a party"
)
def create_party(body: PartyCreate, session: SessionDep, principal: Reviewers) -> PartyOut:
    """Register an enterprise, institution, broker or carrier; identifiers are checked."""
    return PartyOut.model_validate(parties.create_party(session, body, actor=principal.actor))


@router.get("/parties/{party_id}", tags=["parties"], summary="Show a party")
def get_party(party_id: Id, session: SessionDep, principal: Readers) -> PartyOut:
    """One party by id."""
    party = access.check_party(principal, lookup.get(session, Party, party_id))
    return PartyOut.model_validate(party)


@router.get("/parties/{party_id}/waivers", tags=["parties"], summary="List exemption waivers")
def list_waivers(party_id: Id, session: SessionDep, principal: Readers) -> list[WaiverOut]:
    """The party's elections to pay import taxes, with each lockout's end (R6)."""
    access.check_party(principal, lookup.get(session, Party, party_id))
    return [WaiverOut.model_validate(w) for w in repo.list_waivers(session, party_id=party_id)]


@router.post(
    "/parties/{party_id}/waivers",
    tags=["parties"],
    status_code=status.HTTP_201_CREATED,
    summary="Waive an exemption (starts the 36-month lockout, R6)",
)
def waive_exemption(
    party_id: Id,
    body: WaiverCreate,
    session: SessionDep,
    profile: ProfileDep,
    principal: Applicants,
) -> WaiverOut:
    """Record that a beneficiary elects to pay import taxes on a kind of goods (R6)."""
    party = access.check_party(principal, lookup.get(session, Party, party_id, for_update=True))
    waiver = standings.waive_exemption(session, party, body, profile=profile, actor=principal.actor)
    return WaiverOut.model_validate(waiver)


@router.get(
    "/parties/{party_id}/standings", tags=["parties"], summary="List a party's standing history"
)
def list_standings(party_id: Id, session: SessionDep, principal: Readers) -> list[StandingOut]:
    """Bankruptcy, deregistration and credit level, each from its date and document (R8, R26)."""
    access.check_party(principal, lookup.get(session, Party, party_id))
    return [StandingOut.model_validate(s) for s in repo.list_standings(session, party_id=party_id)]


@router.post(
    "/parties/{party_id}/standings",
    tags=["parties"],
    status_code=status.HTTP_201_CREATED,
    summary="Record a change of standing (bankrupt, deregistered, credit level)",
)
def record_standing(
    party_id: Id,
    body: StandingCreate,
    session: SessionDep,
    profile: ProfileDep,
    principal: Reviewers,
) -> StandingOut:
    """A zone reviewer records a party's new standing from its date and document (R8, R26)."""
    party = lookup.get(session, Party, party_id, for_update=True)
    standing = standings.record_standing(
        session, party, body, profile=profile, actor=principal.actor
    )
    return StandingOut.model_validate(standing)


# --- the approvals register (R11, R41) -----------------------------------------------------


@router.get("/approvals", tags=["approvals"], summary="List approvals")
def list_approvals(
    session: SessionDep,
    principal: Readers,
    kind: Annotated[ApprovalKind | None, Query(description="Only approvals of this kind")] = None,
    party_id: Annotated[Id | None, Query(description="Only those issued to this party")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[ApprovalOut]:
    """Special-article (R11) and human-genetic-resources (R41) approvals with what is left of
    each, in registration order (an enterprise user sees its own)."""
    page = repo.page_approvals(
        session,
        kind=kind,
        party_id=_scoped(principal, party_id),
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, ApprovalOut)


@router.post(
    "/approvals",
    tags=["approvals"],
    status_code=status.HTTP_201_CREATED,
    summary="Record an approval (R11 special articles, R41 human genetic resources)",
)
def record_approval(body: ApprovalCreate, session: SessionDep, principal: Reviewers) -> ApprovalOut:
    """A zone reviewer records an approval as issued: party, scope, quantity and validity."""
    return ApprovalOut.model_validate(
        approvals.record_approval(session, body, actor=principal.actor)
    )


@router.get("/approvals/{approval_id}", tags=["approvals"], summary="Show an approval")
def get_approval(approval_id: Id, session: SessionDep, principal: Readers) -> ApprovalOut:
    """One approval by id, with the quantity drawn and left."""
    approval = access.check_approval(principal, lookup.get(session, Approval, approval_id))
    return ApprovalOut.model_validate(approval)


# --- persons and vehicles ------------------------------------------------------------------


@router.get("/persons", tags=["persons"], summary="List persons")
def list_persons(
    session: SessionDep,
    principal: Readers,
    party_id: Annotated[Id | None, Query(description="Only persons affiliated")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[PersonOut]:
    """Persons with their documents and affiliations."""
    page = repo.page_persons(
        session, party_id=_scoped(principal, party_id), cursor=cursor, limit=limit
    )
    return Page.of(page, PersonOut)


@router.post(
    "/persons", tags=["persons"], status_code=status.HTTP_201_CREATED, summary="Register a person"
)
def create_person(body: PersonCreate, session: SessionDep, principal: Registrars) -> PersonOut:
    """Register a person with identity documents (check digits verified) and affiliations."""
    access.enforce(access.can_register_person(principal, body))
    return PersonOut.model_validate(parties.create_person(session, body, actor=principal.actor))


@router.get("/persons/{person_id}", tags=["persons"], summary="Show a person")
def get_person(person_id: Id, session: SessionDep, principal: Readers) -> PersonOut:
    """One person by id."""
    person = access.check_person(session, principal, lookup.get(session, Person, person_id))
    return PersonOut.model_validate(person)


@router.get("/vehicles", tags=["vehicles"], summary="List vehicles")
def list_vehicles(
    session: SessionDep,
    principal: Readers,
    owner_party_id: Id | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[VehicleOut]:
    """Vehicles with their permits."""
    page = repo.page_vehicles(
        session, owner_party_id=_scoped(principal, owner_party_id), cursor=cursor, limit=limit
    )
    return Page.of(page, VehicleOut)


@router.post(
    "/vehicles",
    tags=["vehicles"],
    status_code=status.HTTP_201_CREATED,
    summary="Register a vehicle",
)
def create_vehicle(
    body: VehicleCreate, session: SessionDep, profile: ProfileDep, principal: Registrars
) -> VehicleOut:
    """Register a vehicle with its plates and permits at the profile's crossing points."""
    access.enforce(access.can_register_vehicle(principal, body))
    vehicle = parties.create_vehicle(session, body, profile=profile, actor=principal.actor)
    return VehicleOut.model_validate(vehicle)


@router.get("/vehicles/{vehicle_id}", tags=["vehicles"], summary="Show a vehicle")
def get_vehicle(vehicle_id: Id, session: SessionDep, principal: Readers) -> VehicleOut:
    """One vehicle by id."""
    vehicle = access.check_vehicle(principal, lookup.get(session, Vehicle, vehicle_id))
    return VehicleOut.model_validate(vehicle)


@router.post(
    "/imports/persons",
    tags=["imports"],
    status_code=status.HTTP_201_CREATED,
    summary="Bulk import persons from CSV (all or nothing)",
    openapi_extra=BULK_BODY,
)
def import_persons(
    session: SessionDep, principal: Registrars, csv_text: Annotated[str, CSV_BODY]
) -> bulk.ImportResult:
    """Every bad row is reported with its row, column and rule; nothing is applied if any is bad."""
    return bulk.import_persons(
        session,
        csv_text,
        actor=principal.actor,
        authorize=lambda person: access.enforce(access.can_register_person(principal, person)),
    )


@router.post(
    "/imports/vehicles",
    tags=["imports"],
    status_code=status.HTTP_201_CREATED,
    summary="Bulk import vehicles from CSV (all or nothing)",
    openapi_extra=BULK_BODY,
)
def import_vehicles(
    session: SessionDep,
    profile: ProfileDep,
    principal: Registrars,
    csv_text: Annotated[str, CSV_BODY],
) -> bulk.ImportResult:
    """Every bad row is reported with its row, column and rule; nothing is applied if any is bad."""
    return bulk.import_vehicles(
        session,
        csv_text,
        profile=profile,
        actor=principal.actor,
        authorize=lambda vehicle: access.enforce(access.can_register_vehicle(principal, vehicle)),
    )


# --- whitelist applications ----------------------------------------------------------------


@router.get("/applications", tags=["whitelist"], summary="List whitelist applications")
def list_applications(
    session: SessionDep,
    principal: Readers,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    subject_kind: SubjectKind | None = None,
    party_id: Id | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[ApplicationOut]:
    """The review queue: filter by status (e.g. submitted) and subject kind."""
    page = repo.page_whitelist(
        session,
        WhitelistApplication,
        status=status_,
        subject_kind=subject_kind,
        party_id=_scoped(principal, party_id),
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, ApplicationOut)


@router.post(
    "/applications",
    tags=["whitelist"],
    status_code=status.HTTP_201_CREATED,
    summary="Open a whitelist application (draft)",
)
def create_application(
    body: ApplicationCreate, session: SessionDep, profile: ProfileDep, principal: Registrars
) -> ApplicationOut:
    """A draft application for an institution, individual, vehicle or industry, with its scopes."""
    access.enforce(access.can_apply(session, principal, body))
    application = service.create_application(session, body, profile=profile, actor=principal.actor)
    return ApplicationOut.model_validate(application)


def _application(
    session: SessionDep, principal: Readers, application_id: int, *, lock: bool = True
) -> WhitelistApplication:
    application = lookup.get(session, WhitelistApplication, application_id, for_update=lock)
    access.enforce(access.can_see_application(principal, application))
    return application


@router.get("/applications/{application_id}", tags=["whitelist"], summary="Show an application")
def get_application(application_id: Id, session: SessionDep, principal: Readers) -> ApplicationOut:
    """One application by id."""
    application = _application(session, principal, application_id, lock=False)
    return ApplicationOut.model_validate(application)


@router.post("/applications/{application_id}/submit", tags=["whitelist"], summary="Submit")
def submit_application(
    application_id: Id, session: SessionDep, principal: Applicants
) -> ApplicationOut:
    """draft -> submitted."""
    application = _application(session, principal, application_id)
    service.submit(session, application, actor=principal.actor)
    return ApplicationOut.model_validate(application)


@router.post(
    "/applications/{application_id}/request-information",
    tags=["whitelist"],
    summary="Ask the applicant for more information",
)
def request_information(
    application_id: Id, body: ReviewNote, session: SessionDep, principal: Reviewers
) -> ApplicationOut:
    """submitted | resubmitted -> information_requested; the note says what is missing."""
    application = _application(session, principal, application_id)
    service.request_information(session, application, note=body.note, actor=principal.actor)
    return ApplicationOut.model_validate(application)


@router.post("/applications/{application_id}/resubmit", tags=["whitelist"], summary="Resubmit")
def resubmit_application(
    application_id: Id,
    body: Resubmission,
    session: SessionDep,
    profile: ProfileDep,
    principal: Applicants,
) -> ApplicationOut:
    """information_requested -> resubmitted, with the answer and optionally amended scopes."""
    application = _application(session, principal, application_id)
    service.resubmit(session, application, body, profile=profile, actor=principal.actor)
    return ApplicationOut.model_validate(application)


@router.post("/applications/{application_id}/approve", tags=["whitelist"], summary="Approve")
def approve_application(
    application_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    principal: Reviewers,
    body: OptionalNote | None = None,
) -> EntryOut:
    """submitted | resubmitted -> approved; returns the new whitelist entry."""
    application = _application(session, principal, application_id)
    entry = service.approve(
        session,
        application,
        profile=profile,
        actor=principal.actor,
        note=body.note if body else None,
    )
    return EntryOut.model_validate(entry)


@router.post("/applications/{application_id}/decline", tags=["whitelist"], summary="Decline")
def decline_application(
    application_id: Id, body: ReviewNote, session: SessionDep, principal: Reviewers
) -> ApplicationOut:
    """submitted | resubmitted -> declined, with the reason the applicant reads."""
    application = _application(session, principal, application_id)
    service.decline(session, application, note=body.note, actor=principal.actor)
    return ApplicationOut.model_validate(application)


# --- whitelist entries ---------------------------------------------------------------------


@router.get("/entries", tags=["whitelist"], summary="List whitelist entries")
def list_entries(
    session: SessionDep,
    principal: Readers,
    status_: Annotated[EntryStatus | None, Query(alias="status")] = None,
    subject_kind: SubjectKind | None = None,
    party_id: Id | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[EntryOut]:
    """Entries with their scopes and validity windows."""
    page = repo.page_whitelist(
        session,
        WhitelistEntry,
        status=status_,
        subject_kind=subject_kind,
        party_id=_scoped(principal, party_id),
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, EntryOut)


def _entry(
    session: SessionDep, principal: Readers, entry_id: int, *, lock: bool = True
) -> WhitelistEntry:
    entry = lookup.get(session, WhitelistEntry, entry_id, for_update=lock)
    access.enforce(access.can_see_entry(principal, entry))
    return entry


@router.get("/entries/{entry_id}", tags=["whitelist"], summary="Show an entry")
def get_entry(entry_id: Id, session: SessionDep, principal: Readers) -> EntryOut:
    """One entry by id."""
    return EntryOut.model_validate(_entry(session, principal, entry_id, lock=False))


@router.post("/entries/{entry_id}/suspend", tags=["whitelist"], summary="Suspend an entry")
def suspend_entry(
    entry_id: Id, body: ReviewNote, session: SessionDep, principal: Reviewers
) -> EntryOut:
    """active -> suspended, with the reason."""
    entry = _entry(session, principal, entry_id)
    service.suspend(session, entry, note=body.note, actor=principal.actor)
    return EntryOut.model_validate(entry)


@router.post("/entries/{entry_id}/reinstate", tags=["whitelist"], summary="Reinstate an entry")
def reinstate_entry(
    entry_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    principal: Reviewers,
    body: OptionalNote | None = None,
) -> EntryOut:
    """suspended -> active, while the validity window is open."""
    entry = _entry(session, principal, entry_id)
    service.reinstate(
        session, entry, profile=profile, actor=principal.actor, note=body.note if body else None
    )
    return EntryOut.model_validate(entry)


@router.post("/entries/{entry_id}/revoke", tags=["whitelist"], summary="Revoke an entry")
def revoke_entry(
    entry_id: Id, body: ReviewNote, session: SessionDep, principal: Reviewers
) -> EntryOut:
    """active | suspended -> revoked, for good."""
    entry = _entry(session, principal, entry_id)
    service.revoke(session, entry, note=body.note, actor=principal.actor)
    return EntryOut.model_validate(entry)
