"""Who may see and change what in the registry: the one place these rules live.

Staff roles see the whole registry; an enterprise user sees and acts for its own party only,
and another party's objects answer as if they did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.errors import PermissionDenied
from hetao.registry import repository as repo
from hetao.registry.models import (
    Approval,
    ExemptionWaiver,
    Party,
    Person,
    SubjectKind,
    Vehicle,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.schemas import ApplicationCreate, PersonCreate, VehicleCreate

R = Role
STAFF = (R.ZONE_REVIEWER, R.FIRST_LINE_OFFICER, R.SECOND_LINE_OFFICER, R.AUDITOR, R.ADMINISTRATOR)

#: Read the registry: staff, and enterprise users for their own party.
Readers = Annotated[Principal, Depends(Allow(*STAFF, R.ENTERPRISE_USER))]
#: Register parties and decide applications and entries: the zone administration.
Reviewers = Annotated[Principal, Depends(Allow(R.ZONE_REVIEWER, R.ADMINISTRATOR))]
#: Register persons and vehicles and open applications: the administration and enterprises.
Registrars = Annotated[
    Principal, Depends(Allow(R.ZONE_REVIEWER, R.ADMINISTRATOR, R.ENTERPRISE_USER))
]
#: Act as the applicant (submit, answer, waive an exemption): the enterprise or an administrator.
Applicants = Annotated[Principal, Depends(Allow(R.ENTERPRISE_USER, R.ADMINISTRATOR))]


def party_scope(principal: Principal) -> int | None:
    """The one party an enterprise user is bound to; None for staff (no restriction)."""
    if principal.has(R.ENTERPRISE_USER):
        if principal.party_id is None:  # pragma: no cover - the users table forbids it
            raise PermissionDenied("an enterprise user without a party may see nothing")
        return principal.party_id
    return None


def _hidden(noun: str, object_id: int) -> PermissionDenied:
    return PermissionDenied(f"{noun} {object_id} does not exist", hidden=True)


def check_party(principal: Principal, party: Party) -> Party:
    scope = party_scope(principal)
    if scope is not None and party.id != scope:
        raise _hidden("party", party.id)
    return party


def check_person(session: Session, principal: Principal, person: Person) -> Person:
    scope = party_scope(principal)
    if scope is not None and not repo.is_affiliated(session, person_id=person.id, party_id=scope):
        raise _hidden("person", person.id)
    return person


def check_vehicle(principal: Principal, vehicle: Vehicle) -> Vehicle:
    scope = party_scope(principal)
    if scope is not None and vehicle.owner_party_id != scope:
        raise _hidden("vehicle", vehicle.id)
    return vehicle


def check_application(principal: Principal, application: WhitelistApplication) -> None:
    scope = party_scope(principal)
    if scope is not None and application.party_id != scope:
        raise _hidden("whitelist application", application.id)


def check_entry(principal: Principal, entry: WhitelistEntry) -> None:
    scope = party_scope(principal)
    if scope is not None and entry.party_id != scope:
        raise _hidden("whitelist entry", entry.id)


def check_waiver(principal: Principal, waiver: ExemptionWaiver) -> None:
    scope = party_scope(principal)
    if scope is not None and waiver.party_id != scope:
        raise _hidden("exemption waiver", waiver.id)


def check_approval(principal: Principal, approval: Approval) -> Approval:
    scope = party_scope(principal)
    if scope is not None and approval.party_id != scope:
        raise _hidden("approval", approval.id)
    return approval


def check_new_person(principal: Principal, data: PersonCreate) -> None:
    """An enterprise registers only persons affiliated with itself."""
    scope = party_scope(principal)
    if scope is not None and scope not in {a.party_id for a in data.affiliations}:
        raise PermissionDenied(f"a person registered by party {scope} must be affiliated with it")


def check_new_vehicle(principal: Principal, data: VehicleCreate) -> None:
    scope = party_scope(principal)
    if scope is not None and data.owner_party_id != scope:
        raise PermissionDenied(f"party {scope} may register its own vehicles only")


def check_new_application(session: Session, principal: Principal, data: ApplicationCreate) -> None:
    """An enterprise applies for itself, its people and its vehicles; industries are the zone's."""
    scope = party_scope(principal)
    if scope is None:
        return
    if data.subject_kind is SubjectKind.INDUSTRY:
        raise PermissionDenied("industry applications are opened by the zone administration")
    if data.party_id is not None and data.party_id != scope:
        raise PermissionDenied(f"party {scope} may apply as itself only")
    if data.vehicle_id is not None:
        check_vehicle(principal, repo.get(session, Vehicle, data.vehicle_id))
