"""Registering parties, persons and vehicles, one at a time or all-or-nothing in bulk.

Services never commit: the caller's unit of work does; each registration is audited with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import RegistryTag
from hetao.errors import (
    Conflict,
    FieldProblem,
    ValidationFailed,
)
from hetao.profiles import ZoneProfile
from hetao.registry import repository as repo
from hetao.registry.models import (
    Affiliation,
    IdentityDocument,
    Party,
    Person,
    Vehicle,
    VehiclePermit,
)
from hetao.registry.schemas import (
    PartyCreate,
    PersonCreate,
    VehicleCreate,
)
from hetao.workflow import audit

# --- parties, persons, vehicles ------------------------------------------------------------


def create_party(session: Session, data: PartyCreate, *, actor: Actor) -> Party:
    """Register a party; a registration number already known is a conflict."""
    clash = repo.party_by_registration(session, uscc=data.uscc, hk_br=data.hk_br)
    if clash is not None:
        field = "uscc" if data.uscc and clash.uscc == data.uscc else "hk_br"
        raise Conflict(
            f"{field} is already registered to party {clash.id}",
            problems=[FieldProblem(field, "party.unique_registration", "is already registered")],
        )
    party = Party(**data.model_dump())
    session.add(party)
    session.flush()  # the id is needed by the audit event
    audit(session, RegistryTag.PARTY_CREATE, party.id, actor, kind=party.kind, name=party.name_en)
    return party


def _missing_parties(session: Session, wanted: Iterable[tuple[str, int]]) -> list[FieldProblem]:
    pairs = list(wanted)
    known = repo.existing_party_ids(session, {pid for _, pid in pairs})
    return [
        FieldProblem(field, "party.exists", f"party {pid} does not exist")
        for field, pid in pairs
        if pid not in known
    ]


_UNIQUENESS_RULES = frozenset({"document.unique", "vehicle.unique_plate", "permit.unique_number"})


def _raise_if_any(problems: list[FieldProblem]) -> None:
    """Clashes with what is registered are conflicts; anything else is invalid input."""
    if not problems:
        return
    if all(p.rule in _UNIQUENESS_RULES for p in problems):
        raise Conflict(problems[0].message, problems=problems)
    raise ValidationFailed(problems[0].message, problems=problems)


def person_problems(session: Session, people: Sequence[PersonCreate]) -> list[FieldProblem]:
    """What stops these persons being registered: unknown parties, documents already known.

    Fields are named ``[i].path`` by position, so a bulk import can point at the row.
    """
    problems = _missing_parties(
        session,
        (
            (f"[{i}].affiliations[{j}].party_id", aff.party_id)
            for i, p in enumerate(people)
            for j, aff in enumerate(p.affiliations)
        ),
    )
    keys = [(str(d.kind), d.issuing_country, d.number) for p in people for d in p.documents]
    clashes = repo.existing_documents(session, keys)
    seen: set[tuple[str, str, str]] = set()
    for i, person in enumerate(people):
        for j, doc in enumerate(person.documents):
            key = (str(doc.kind), doc.issuing_country, doc.number)
            if key in clashes or key in seen:
                problems.append(
                    FieldProblem(
                        f"[{i}].documents[{j}].number",
                        "document.unique",
                        f"{doc.kind} {doc.number} is already registered",
                    )
                )
            seen.add(key)
    return problems


def create_persons(
    session: Session, people: Sequence[PersonCreate], *, actor: Actor
) -> list[Person]:
    """Register persons with their documents and affiliations, all or nothing."""
    _raise_if_any(person_problems(session, people))
    created = []
    for data in people:
        person = Person(
            **data.model_dump(exclude={"documents", "affiliations"}),
            documents=[IdentityDocument(**d.model_dump()) for d in data.documents],
            affiliations=[Affiliation(**a.model_dump()) for a in data.affiliations],
        )
        session.add(person)
        created.append(person)
    session.flush()  # ids for the audit events
    for person in created:
        audit(session, RegistryTag.PERSON_CREATE, person.id, actor, residency=person.residency)
    return created


def create_person(session: Session, data: PersonCreate, *, actor: Actor) -> Person:
    """Register one person."""
    return create_persons(session, [data], actor=actor)[0]


def vehicle_problems(
    session: Session, vehicles: Sequence[VehicleCreate], *, profile: ZoneProfile
) -> list[FieldProblem]:
    """What stops these vehicles being registered: unknown owners or crossing points, clashes."""
    problems = _missing_parties(
        session, ((f"[{i}].owner_party_id", v.owner_party_id) for i, v in enumerate(vehicles))
    )
    known_points = {cp.code for cp in profile.crossing_points}
    problems += [
        FieldProblem(
            f"[{i}].permits[{j}].crossing_points",
            "profile.crossing_point",
            f"{code} is not a crossing point of {profile.zone.code}",
        )
        for i, v in enumerate(vehicles)
        for j, permit in enumerate(v.permits)
        for code in permit.crossing_points
        if code not in known_points
    ]
    plate_clashes = repo.existing_plates(
        session, [(str(v.plate_region), v.plate) for v in vehicles]
    )
    number_clashes = repo.existing_permit_numbers(
        session, [p.number for v in vehicles for p in v.permits]
    )
    seen_plates: set[tuple[str, str]] = set()
    seen_numbers: set[str] = set()
    for i, v in enumerate(vehicles):
        key = (str(v.plate_region), v.plate)
        if key in plate_clashes or key in seen_plates:
            problems.append(
                FieldProblem(
                    f"[{i}].plate", "vehicle.unique_plate", f"{v.plate} is already registered"
                )
            )
        seen_plates.add(key)
        for j, permit in enumerate(v.permits):
            if permit.number in number_clashes or permit.number in seen_numbers:
                problems.append(
                    FieldProblem(
                        f"[{i}].permits[{j}].number",
                        "permit.unique_number",
                        f"permit {permit.number} is already registered",
                    )
                )
            seen_numbers.add(permit.number)
    return problems


def create_vehicles(
    session: Session, vehicles: Sequence[VehicleCreate], *, profile: ZoneProfile, actor: Actor
) -> list[Vehicle]:
    """Register vehicles with their permits, all or nothing."""
    _raise_if_any(vehicle_problems(session, vehicles, profile=profile))
    created = []
    for data in vehicles:
        vehicle = Vehicle(
            **data.model_dump(exclude={"permits"}),
            permits=[VehiclePermit(**p.model_dump()) for p in data.permits],
        )
        session.add(vehicle)
        created.append(vehicle)
    session.flush()  # ids for the audit events
    for vehicle in created:
        audit(session, RegistryTag.VEHICLE_CREATE, vehicle.id, actor, plate=vehicle.plate)
    return created


def create_vehicle(
    session: Session, data: VehicleCreate, *, profile: ZoneProfile, actor: Actor
) -> Vehicle:
    """Register one vehicle."""
    return create_vehicles(session, [data], profile=profile, actor=actor)[0]
