"""Whitelisted exporters and applications for data transfer tests, made through the services."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_application, make_party
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.datatransfer import service
from hetao.datatransfer.models import DataTransferApplication
from hetao.datatransfer.schemas import ApplicationCreate, BatchIn
from hetao.profiles import ZoneProfile
from hetao.registry import service as registry
from hetao.registry.models import Party

#: Inside the 2026 calendar of the hetao profile, and inside the exporter's whitelist window.
TODAY = dt.date(2026, 3, 2)
_serial = itertools.count(1)


def whitelist(
    session: Session, actor: Actor, profile: ZoneProfile, party_id: int, *, data: bool = True
) -> None:
    """Give the party an active whitelist entry for the data flow (or for goods only)."""
    flows = ["people", "data"] if data else ["people", "goods"]
    application = make_application(
        session, actor, profile, party_id=party_id, flows=flows, exemptions=[]
    )
    # The API decides on the real date at the zone: an entry open to 2099 keeps those tests
    # inside its window whatever year they run in.
    application.valid_until = dt.date(2099, 12, 31)
    registry.submit(session, application, actor=actor)
    registry.approve(session, application, profile=profile, actor=actor, today=TODAY)


def exporter(session: Session, actor: Actor, profile: ZoneProfile, *, data: bool = True) -> Party:
    """A new party with an active whitelist entry for the data flow (or without it)."""
    party = make_party(session, actor)
    whitelist(session, actor, profile, party.id, data=data)
    return party


def application_payload(exporter_party_id: int, **changes: Any) -> dict[str, Any]:
    """150,000 people's PI of genomic research to a Hong Kong university: a GBA contract."""
    values: dict[str, Any] = {
        "exporter_party_id": exporter_party_id,
        "exporter_region": "Shenzhen",
        "recipient_name": "University of Hong Kong",
        "recipient_region": "HK",
        "data_categories": ["genomic_sequences", "clinical_records"],
        "personal_info_subjects": 150_000,
        "sensitive_personal_info_subjects": 0,
        "important_data": False,
        "cii_operator": False,
        "purpose": "research",
    }
    values.update(changes)
    return values


def draft(
    session: Session, actor: Actor, profile: ZoneProfile, party: Party, **changes: Any
) -> DataTransferApplication:
    data = ApplicationCreate(**application_payload(party.id, **changes))
    return service.create_application(session, data, profile=profile, actor=actor, today=TODAY)


def active(
    session: Session,
    actor: Actor,
    profile: ZoneProfile,
    party: Party,
    *,
    valid_from: dt.date = TODAY,
    **changes: Any,
) -> DataTransferApplication:
    """An application taken through the whole workflow to active."""
    application = draft(session, actor, profile, party, **changes)
    routing = service.self_assess(session, application, profile=profile, actor=actor, today=TODAY)
    if routing.route.value == "security_assessment":
        service.apply(session, application, reference=f"SA-{next(_serial)}", actor=actor)
    else:
        service.file(session, application, reference=f"SC-{next(_serial)}", actor=actor)
    service.approve(session, application, reference=f"OK-{next(_serial)}", actor=actor)
    service.activate(
        session, application, profile=profile, actor=actor, valid_from=valid_from, today=TODAY
    )
    return application


def batch(**changes: Any) -> BatchIn:
    """A batch of 1,000 people's genomic sequences to the approved recipient."""
    n = next(_serial)
    values: dict[str, Any] = {
        "batch_id": f"batch-{n}",
        "digest": hashlib.sha256(f"payload {n}".encode()).hexdigest(),
        "size_bytes": 4_096_000,
        "record_counts": {"genomic_sequences": 1_000},
        "personal_info_subjects": 1_000,
        "sensitive_personal_info_subjects": 0,
        "recipient_region": "HK",
        "recipient_name": "University of Hong Kong",
    }
    values.update(changes)
    return BatchIn(**values)


def tags_of(session: Session, subject_type: str, subject_id: int) -> list[str]:
    stmt = select(AuditEvent.tag).where(
        AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id)
    )
    return list(session.scalars(stmt.order_by(AuditEvent.seq)))


def in_state(
    session: Session, actor: Actor, profile: ZoneProfile, party_id: int, state: str
) -> DataTransferApplication:
    """An application of a (data-whitelisted) party brought to ``state`` by the services."""
    party = session.get(Party, party_id)
    assert party is not None
    if state == "draft":
        return draft(session, actor, profile, party)
    if state in ("self_assessed", "self_assessed_for_assessment"):
        important = state == "self_assessed_for_assessment"  # important data: R33
        application = draft(session, actor, profile, party, important_data=important)
        service.self_assess(session, application, profile=profile, actor=actor, today=TODAY)
        return application
    if state == "filed":
        application = in_state(session, actor, profile, party_id, "self_assessed")
        service.file(session, application, reference="SC-M", actor=actor)
        return application
    if state == "approved":
        application = in_state(session, actor, profile, party_id, "filed")
        service.approve(session, application, reference="OK-M", actor=actor)
        return application
    application = active(session, actor, profile, party)
    if state == "expiring":
        assert application.renewal_window_opens_on is not None
        service.expire_due(session, today=application.renewal_window_opens_on, actor=actor)
    return application
