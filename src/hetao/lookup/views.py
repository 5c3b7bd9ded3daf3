"""Pages of the lookup and of a lot's journey.

Officers find a person, vehicle, party or declaration and read what the port knows about it.
A lot's journey is read by staff under /port and by the owning enterprise in its portal, where
another party's lot answers 404 as the ledger's own pages do.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from sqlalchemy.orm import Session

from hetao.api.deps import ProfileDep, SessionDep
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.errors import ValidationFailed
from hetao.inputs import Id
from hetao.ledger import access as ledger_access
from hetao.ledger.models import Lot
from hetao.lookup import repository as repo
from hetao.lookup import service
from hetao.lookup.service import Kind
from hetao.profiles import ZoneProfile
from hetao.registry.access import party_scope
from hetao.registry.models import Party, Person, Vehicle
from hetao.web import page_router
from hetao.web.i18n import current_language, localized
from hetao.web.navigation import LEDGER_STAFF, OFFICERS
from hetao.web.rendering import render

router = page_router()
OFFICER = Depends(Allow(*OFFICERS))
Staff = Annotated[Principal, Depends(Allow(*(OFFICERS | LEDGER_STAFF)))]
Readers = Annotated[Principal, Depends(Allow(*ledger_access.READERS))]


def party_name(party: Party | None) -> str:
    """A party's name in the page's language where it has a Chinese one."""
    if party is None:
        return ""
    return party.name_zh if current_language() != "en" and party.name_zh else party.name_en


def person_name(person: Person | None) -> str:
    """A person's name: in Chinese on a Chinese page where it has one, else family name first."""
    if person is None:
        return ""
    western = f"{person.family_name} {person.given_name}"
    return person.name_zh if current_language() != "en" and person.name_zh else western


def vehicle_name(vehicle: Vehicle | None) -> str:
    """A vehicle by its plate, with its Hong Kong plate beside a cross-boundary one."""
    if vehicle is None:
        return ""
    return f"{vehicle.plate} / {vehicle.hk_plate}" if vehicle.hk_plate else vehicle.plate


def point_names(profile: ZoneProfile) -> dict[str, str]:
    """Crossing points' names in the page's language, by code."""
    return {point.code: localized(point.name) for point in profile.crossing_points}


def _names(profile: ZoneProfile) -> dict[str, Any]:
    return {
        "party_name": party_name,
        "person_name": person_name,
        "vehicle_name": vehicle_name,
        "points": point_names(profile),
        "lanes": {lane.name: localized(lane.label) for lane in profile.selection.lanes},
    }


def chosen_kind(value: str) -> Kind | None:
    """The kind asked for: empty asks for every kind; another word is the field's error."""
    if not value:
        return None
    try:
        return Kind(value)
    except ValueError:
        allowed = ", ".join(kind.value for kind in Kind)
        raise ValidationFailed.single(
            "kind", "lookup.kind.known", f"must be one of: {allowed}"
        ) from None


@router.get("/port/lookup", dependencies=[OFFICER])
def lookup(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    q: Annotated[str, Query(max_length=service.MAX_QUERY)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The search form and, for a query long enough, what it found, by kind."""
    result = service.search(session, q, chosen_kind(kind))
    return render(
        request,
        "lookup/search.html",
        result=result,
        kind=kind,
        kinds=list(Kind),
        min_query=service.MIN_QUERY,
        max_query=service.MAX_QUERY,
        parties=_party_table(session, result),
        **_names(profile),
    )


def _party_table(session: Session, result: service.SearchResult) -> dict[int, Party]:
    """Names of the parties the declarations and vehicles found belong to."""
    ids = {d.party_id for d in result.declarations} | {v.owner_party_id for v in result.vehicles}
    return repo.parties_by_id(session, ids)


@router.get("/port/lookup/persons/{person_id}", dependencies=[OFFICER])
def person(request: Request, person_id: Id, session: SessionDep, profile: ProfileDep) -> Response:
    """A person: documents, affiliations, entries, credentials and latest crossings."""
    found = service.get_person(session, person_id)
    return render(
        request,
        "lookup/person.html",
        person=found,
        card=service.person_card(session, found),
        **_names(profile),
    )


@router.get("/port/lookup/vehicles/{vehicle_id}", dependencies=[OFFICER])
def vehicle(request: Request, vehicle_id: Id, session: SessionDep, profile: ProfileDep) -> Response:
    """A vehicle: its owner, permits, entries and latest crossings."""
    found = service.get_vehicle(session, vehicle_id)
    return render(
        request,
        "lookup/vehicle.html",
        vehicle=found,
        card=service.vehicle_card(session, found),
        **_names(profile),
    )


@router.get("/port/lookup/parties/{party_id}", dependencies=[OFFICER])
def party(request: Request, party_id: Id, session: SessionDep, profile: ProfileDep) -> Response:
    """A party: standing, entries, its researchers' credentials, crossings, lots, declarations."""
    found = service.get_party(session, party_id)
    return render(
        request,
        "lookup/party.html",
        party=found,
        card=service.party_card(session, found),
        **_names(profile),
    )


@router.get("/port/lots/{lot_id}/journey")
def port_journey(
    request: Request, lot_id: Id, session: SessionDep, profile: ProfileDep, principal: Staff
) -> Response:
    """A lot's journey for staff: every step, crossings with their reasons."""
    return _journey(request, session, profile, principal, service.get_lot(session, lot_id))


@router.get("/portal/ledger/lots/{lot_id}/journey")
def portal_journey(
    request: Request, lot_id: Id, session: SessionDep, profile: ProfileDep, principal: Readers
) -> Response:
    """A lot's journey in the ledger's pages: the enterprise's own lots only."""
    found = ledger_access.check_lot(principal, service.get_lot(session, lot_id))
    return _journey(request, session, profile, principal, found)


def _journey(
    request: Request,
    session: Session,
    profile: ZoneProfile,
    principal: Principal,
    lot: Lot,
) -> Response:
    own = party_scope(principal)
    return render(
        request,
        "lookup/journey.html",
        journey=service.journey(session, lot, for_party=own),
        # Crossings and inspections concern every party: their reasons, findings and pages are
        # for staff; an enterprise sees where and when its goods crossed and what was found.
        staff=own is None,
        officer=bool(principal.roles & OFFICERS),
        own_party=own,
        **_names(profile),
    )
