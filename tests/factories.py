"""Valid sample inputs for tests, built with the real check-digit generators."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile
from hetao.registry import identifiers, parties, service
from hetao.registry.models import Party, Person, Vehicle, WhitelistApplication, WhitelistEntry
from hetao.registry.schemas import ApplicationCreate, PartyCreate, PersonCreate, VehicleCreate
from hetao.storage.types import utcnow

_serial = itertools.count(1)


def uscc(number: int | None = None) -> str:
    """A unified social credit code with a correct check character."""
    n = next(_serial) if number is None else number
    first17 = f"91440300{n:09d}"
    return first17 + identifiers.uscc_check_character(first17)


def hk_br(number: int | None = None) -> str:
    n = next(_serial) if number is None else number
    return f"{70000000 + n:08d}"


def resident_id(birth: dt.date, sequence: int | None = None) -> str:
    """A mainland resident ID for a Futian-district birth registration."""
    seq = (next(_serial) if sequence is None else sequence) % 1000
    first17 = f"440304{birth:%Y%m%d}{seq:03d}"
    return first17 + identifiers.resident_id_check_digit(first17)


def party_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "csa_enterprise",
        "name_en": "Futian Photonics Test Laboratory Co., Ltd.",
        "name_zh": "福田光子测试实验室有限公司",
        "uscc": uscc(),
        "industry": "next_gen_it",
        "registered_in_csa": True,
        "credit_level": "certified",
    }
    body.update(overrides)
    return body


def person_payload(
    party_id: int | None = None, birth: dt.date = dt.date(1990, 5, 17), **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "family_name": "Chen",
        "given_name": "Jiayi",
        "name_zh": "陈嘉怡",
        "birth_date": birth.isoformat(),
        "residency": "mainland",
        "nationality": "CN",
        "documents": [
            {
                "kind": "mainland_resident_id",
                "number": resident_id(birth),
                "issuing_country": "CN",
            }
        ],
        "affiliations": [{"party_id": party_id, "role": "researcher"}] if party_id else [],
    }
    body.update(overrides)
    return body


def vehicle_payload(owner_party_id: int, **overrides: Any) -> dict[str, Any]:
    n = next(_serial) % 10000
    body: dict[str, Any] = {
        "plate": f"粤Z{n:04d}港",
        "plate_region": "cross_boundary",
        "hk_plate": f"TX{(n % 9999) + 1}",
        "kind": "channel1_car",
        "owner_party_id": owner_party_id,
        "permits": [
            {
                "number": f"CH1-TEST-{n:05d}",
                "crossing_points": ["FBZ_CHANNEL_1"],
                "valid_from": "2026-01-01",
                "valid_until": "2027-12-31",
            }
        ],
    }
    body.update(overrides)
    return body


def make_party(session: Session, actor: Actor, **overrides: Any) -> Party:
    return parties.create_party(session, PartyCreate(**party_payload(**overrides)), actor=actor)


def make_person(session: Session, actor: Actor, party_id: int, **overrides: Any) -> Person:
    data = PersonCreate(**person_payload(party_id, **overrides))
    return parties.create_person(session, data, actor=actor)


def make_vehicle(
    session: Session, actor: Actor, profile: ZoneProfile, owner_party_id: int
) -> Vehicle:
    data = VehicleCreate(**vehicle_payload(owner_party_id))
    return parties.create_vehicle(session, data, profile=profile, actor=actor)


def make_application(
    session: Session, actor: Actor, profile: ZoneProfile, **overrides: Any
) -> WhitelistApplication:
    """An institution application for a fresh beneficiary party unless overridden."""
    values: dict[str, Any] = {
        "subject_kind": "institution",
        "flows": ["people", "goods"],
        "lines": ["first", "second"],
        "exemptions": ["duty_free_research_goods"],
    }
    values.update(overrides)
    if "party_id" not in values:
        values["party_id"] = make_party(session, actor).id
    return service.create_application(
        session, ApplicationCreate(**values), profile=profile, actor=actor
    )


def make_entry(
    session: Session,
    actor: Actor,
    profile: ZoneProfile,
    party_id: int,
    *,
    approved_on: dt.date | None = None,
    **overrides: Any,
) -> WhitelistEntry:
    """An active institution entry for goods and people at both lines, in force 2026-2027."""
    values: dict[str, Any] = {
        "party_id": party_id,
        "valid_from": dt.date(2026, 2, 10),
        "valid_until": dt.date(2027, 12, 31),
    }
    values.update(overrides)
    application = make_application(session, actor, profile, **values)
    service.submit(session, application, actor=actor)
    return service.approve(session, application, profile=profile, actor=actor, today=approved_on)


def make_user_token(
    session: Session, role: Role, *, party_id: int | None = None, name: str | None = None
) -> str:
    """A user of ``role`` and a bearer token for it (call with cheap password hashing)."""
    n = next(_serial)
    user = auth.create_user(
        session,
        username=name or f"{role.value.replace('_', '-')}-{n}",
        display_name=f"Test {role.value} {n}",
        password=f"correct horse battery {n}",
        role=role,
        party_id=party_id,
        actor=Actor("test", "setup"),
    )
    session.flush()  # the user id names the token's subject
    _, raw = auth.issue_token(
        session,
        name=f"test token {n}",
        roles=[role],
        user_id=user.id,
        expires_at=utcnow() + dt.timedelta(days=1),
        actor=Actor("test", "setup"),
    )
    return raw


def make_gate_token(
    session: Session, profile: ZoneProfile, *, point: str, device: str = "gate-1"
) -> str:
    """A bearer token for gate ``device`` at crossing point ``point``, valid for a day."""
    _, raw = auth.issue_token(
        session,
        name=f"{device} at {point}",
        roles=[Role.GATE_DEVICE],
        device_name=device,
        crossing_points=[point],
        expires_at=utcnow() + dt.timedelta(days=1),
        actor=Actor("test", "setup"),
        profile=profile,
    )
    return raw


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
