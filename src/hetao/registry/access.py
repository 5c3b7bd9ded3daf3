"""Who may see and change what in the registry: the one place these rules live.

Staff roles see the whole registry; an enterprise user sees and acts for its own party only,
and another party's objects answer as if they did not exist. Each rule is a function of the
principal and the object: None when allowed, otherwise the refusal (``check_*`` raises it).
The roles each route admits are listed here; api.py wraps them for FastAPI.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

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
from hetao.storage import lookup

#: The zone's staff: they see the whole registry.
STAFF = (
    Role.ZONE_REVIEWER,
    Role.FIRST_LINE_OFFICER,
    Role.SECOND_LINE_OFFICER,
    Role.AUDITOR,
    Role.ADMINISTRATOR,
)
#: Read the registry: staff, and enterprise users for their own party.
READERS = (*STAFF, Role.ENTERPRISE_USER)
#: Register parties and decide applications and entries: the zone administration.
REVIEWERS = (Role.ZONE_REVIEWER, Role.ADMINISTRATOR)
#: Register persons and vehicles and open applications: the administration and enterprises.
REGISTRARS = (Role.ZONE_REVIEWER, Role.ADMINISTRATOR, Role.ENTERPRISE_USER)
#: Act as the applicant (submit, answer, waive an exemption): the enterprise or an administrator.
APPLICANTS = (Role.ENTERPRISE_USER, Role.ADMINISTRATOR)

#: A rule's answer: None when allowed, otherwise the refusal to raise.
Verdict = PermissionDenied | None


def enforce(verdict: Verdict) -> None:
    """Raise the refusal, if the verdict is one."""
    if verdict is not None:
        raise verdict


def party_scope(principal: Principal) -> int | None:
    """The one party an enterprise user is bound to; None for staff (no restriction)."""
    if principal.has(Role.ENTERPRISE_USER):
        if principal.party_id is None:  # pragma: no cover - the users table forbids it
            raise PermissionDenied("an enterprise user without a party may see nothing")
        return principal.party_id
    return None


def hidden(noun: str, object_id: int) -> PermissionDenied:
    """The refusal of another party's object: it answers as if it did not exist."""
    return PermissionDenied(f"{noun} {object_id} does not exist", hidden=True)


def _own(principal: Principal, party_id: int | None, noun: str, object_id: int) -> Verdict:
    scope = party_scope(principal)
    return hidden(noun, object_id) if scope is not None and party_id != scope else None


# --- the rules -------------------------------------------------------------------------------


def can_see_party(principal: Principal, party: Party) -> Verdict:
    return _own(principal, party.id, "party", party.id)


def can_see_person(session: Session, principal: Principal, person: Person) -> Verdict:
    scope = party_scope(principal)
    if scope is not None and not repo.is_affiliated(session, person_id=person.id, party_id=scope):
        return hidden("person", person.id)
    return None


def can_see_vehicle(principal: Principal, vehicle: Vehicle) -> Verdict:
    return _own(principal, vehicle.owner_party_id, "vehicle", vehicle.id)


def can_see_application(principal: Principal, application: WhitelistApplication) -> Verdict:
    return _own(principal, application.party_id, "whitelist application", application.id)


def can_see_entry(principal: Principal, entry: WhitelistEntry) -> Verdict:
    return _own(principal, entry.party_id, "whitelist entry", entry.id)


def can_see_waiver(principal: Principal, waiver: ExemptionWaiver) -> Verdict:
    return _own(principal, waiver.party_id, "exemption waiver", waiver.id)


def can_see_approval(principal: Principal, approval: Approval) -> Verdict:
    return _own(principal, approval.party_id, "approval", approval.id)


def can_register_person(principal: Principal, data: PersonCreate) -> Verdict:
    """An enterprise registers only persons affiliated with itself."""
    scope = party_scope(principal)
    if scope is not None and scope not in {a.party_id for a in data.affiliations}:
        return PermissionDenied(f"a person registered by party {scope} must be affiliated with it")
    return None


def can_register_vehicle(principal: Principal, data: VehicleCreate) -> Verdict:
    scope = party_scope(principal)
    if scope is not None and data.owner_party_id != scope:
        return PermissionDenied(f"party {scope} may register its own vehicles only")
    return None


def can_apply(session: Session, principal: Principal, data: ApplicationCreate) -> Verdict:
    """An enterprise applies for itself, its people and its vehicles; industries are the zone's."""
    scope = party_scope(principal)
    if scope is None:
        return None
    if data.subject_kind is SubjectKind.INDUSTRY:
        return PermissionDenied("industry applications are opened by the zone administration")
    if data.party_id is not None and data.party_id != scope:
        return PermissionDenied(f"party {scope} may apply as itself only")
    if data.vehicle_id is not None:
        return can_see_vehicle(principal, lookup.get(session, Vehicle, data.vehicle_id))
    return None


# --- the rules enforced: the object when allowed, else the refusal raised ----------------------


def check_party(principal: Principal, party: Party) -> Party:
    enforce(can_see_party(principal, party))
    return party


def check_person(session: Session, principal: Principal, person: Person) -> Person:
    enforce(can_see_person(session, principal, person))
    return person


def check_vehicle(principal: Principal, vehicle: Vehicle) -> Vehicle:
    enforce(can_see_vehicle(principal, vehicle))
    return vehicle


def check_approval(principal: Principal, approval: Approval) -> Approval:
    enforce(can_see_approval(principal, approval))
    return approval
