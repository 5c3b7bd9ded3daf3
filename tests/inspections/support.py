"""Decided crossings, officers and goods for inspection tests.

Decisions are inserted through the EVENTS models directly: these tests are about what happens
after a decision, whatever rule set made it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.models import User
from hetao.auth.principal import Principal, Role
from hetao.crossing.gather import consignment_facts
from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.crossing.schemas import ConsignmentIn
from hetao.declarations.models import DeclarationLine
from hetao.engine.facts import (
    NOT_WHITELISTED,
    ConsignmentFacts,
    CrossingFacts,
    Outcome,
    Subject,
    VehicleFacts,
    facts_to_json,
)
from hetao.inspections import overrides as inspection_overrides
from hetao.inspections import results as inspection_results
from hetao.inspections import service
from hetao.inspections.models import InspectionResult
from hetao.ledger.models import Lot
from hetao.storage.types import utcnow

_serial = itertools.count(1)

GATE = Actor("device", "gate-test")
#: A first-line point (Channel No. 1) and a second-line one, from the hetao profile.
FIRST_POINT = "FBZ_CHANNEL_1"
SECOND_POINT = "SL_GOODS"
LINE_OF = {FIRST_POINT: "first", SECOND_POINT: "second", "HUANGGANG": "first"}


def declaration_of(session: Session, lot: Lot) -> int:
    """The declaration whose line admitted ``lot`` or draws from it."""
    found = session.scalars(
        select(DeclarationLine.declaration_id)
        .where((DeclarationLine.result_lot_id == lot.id) | (DeclarationLine.lot_id == lot.id))
        .order_by(DeclarationLine.id)
        .limit(1)
    ).first()
    assert found is not None, f"lot {lot.id} was not admitted by a declaration"
    return found


def goods_subject(session: Session, carrying: Sequence[Lot], when: dt.datetime) -> Subject:
    """The consignment of the declaration behind each lot, as the gate gathers it: one crosses
    as a consignment, several in a vehicle; none, goods under no known declaration."""
    consignments = [
        consignment_facts(
            session,
            ConsignmentIn(declaration_id=declaration_id),
            at=when,
            day=when.date(),
            credentials=None,
        )
        for declaration_id in dict.fromkeys(declaration_of(session, lot) for lot in carrying)
    ]
    if not consignments:
        return ConsignmentFacts(declaration_id=None, declaration_status=None, party=None, lines=())
    if len(consignments) == 1:
        return consignments[0]
    return VehicleFacts(
        vehicle_id=None,
        plate="TEST1",
        permit_valid_here=True,
        owner=None,
        whitelist=NOT_WHITELISTED,
        driver=None,
        consignments=tuple(consignments),
    )


def decided(
    session: Session,
    *,
    outcome: Outcome = Outcome.INSPECT,
    crossing_point: str = FIRST_POINT,
    occurred_at: dt.datetime | None = None,
    carrying: Sequence[Lot] = (),
) -> CrossingDecision:
    """A crossing at ``crossing_point`` decided ``outcome``, of the goods of the declarations
    behind the ``carrying`` lots (see ``goods_subject``), its facts stored as a decision's are."""
    n = next(_serial)
    when = occurred_at or utcnow()
    payload = {"event_id": f"inspection-test-{n}", "crossing_point": crossing_point}
    subject = goods_subject(session, carrying, when)
    facts = CrossingFacts(
        event_id=payload["event_id"],
        crossing_point=crossing_point,
        line=LINE_OF[crossing_point],
        direction="inbound",
        occurred_at=when,
        subject=subject,
    )
    event = CrossingEvent(
        device_key="device:0",
        device_name="gate-test",
        device_event_id=f"inspection-test-{n}",
        crossing_point=crossing_point,
        line=LINE_OF[crossing_point],
        direction="inbound",
        subject_type=facts.subject_type,
        payload=payload,
        payload_sha256=hashlib.sha256(repr(payload).encode()).hexdigest(),
        occurred_at=when,
        received_at=when,
        clock_skew_ms=0,
    )
    decision = CrossingDecision(
        event=event,
        crossing_point=crossing_point,
        outcome=outcome,
        lane={Outcome.RELEASE: "green", Outcome.INSPECT: "red", Outcome.REFUSE: "red"}[outcome],
        risk_score=50,
        rule_set_version="test-1",
        profile_code="hetao",
        reasons=[],
        draw=None,
        inputs=facts_to_json(facts),
        seed="00" * 32,
        document={"outcome": outcome.value},
        decided_at=when,
    )
    session.add(decision)
    session.flush()
    return decision


def officer(session: Session, role: Role = Role.FIRST_LINE_OFFICER) -> Principal:
    """An active user of ``role`` (use with cheap hashing), as the principal of a request."""
    n = next(_serial)
    user = auth.create_user(
        session,
        username=f"inspector-{n}",
        display_name=f"Inspector {n}",
        password=f"correct horse battery {n}",
        role=role,
        party_id=None,
        actor=Actor("test", "setup"),
    )
    session.flush()
    return principal_of(user)


def principal_of(user: User) -> Principal:
    return Principal(
        kind="user",
        id=user.id,
        name=user.username,
        roles=frozenset({user.role}),
        party_id=None,
        crossing_points=None,
        via="session",
    )


def tags(session: Session, subject_type: str, subject_id: int) -> list[str]:
    """The audit tags written about one subject, in order."""
    return list(
        session.scalars(
            select(AuditEvent.tag)
            .where(
                AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id)
            )
            .order_by(AuditEvent.seq)
        )
    )


def event_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def q(value: str) -> Decimal:
    return Decimal(value)


# --- objects for the access matrix (tests/test_access_matrix.py) -----------------------------


def point_for(role: Role | None) -> str:
    """A crossing point the caller's role may act on: second-line officers get a second-line one."""
    return SECOND_POINT if role is Role.SECOND_LINE_OFFICER else FIRST_POINT


def _line_role(point: str) -> Role:
    return Role.FIRST_LINE_OFFICER if LINE_OF[point] == "first" else Role.SECOND_LINE_OFFICER


def inspection_for(
    session: Session, role: Role | None, status: str = "queued", carrying: Sequence[Lot] = ()
) -> int:
    """An inspection at a point of the caller's line, moved to ``status`` by a colleague."""
    point = point_for(role)
    colleague = officer(session, _line_role(point))  # also someone to assign by workload
    decision = decided(session, crossing_point=point, carrying=carrying)
    inspection = service.open_inspection(session, decision.id, crossing_point=point, actor=GATE)
    if status in ("assigned", "in_progress"):
        service.assign(session, inspection, by=colleague, officer_id=colleague.id)
    if status == "in_progress":
        service.start(session, inspection, officer=colleague)
    return inspection.id


def adjustment_for(session: Session, role: Role | None, lot_id: int) -> int:
    """An adjustment of ``lot_id`` (which the inspection covers) proposed by a colleague, for
    the caller to decide."""
    point = point_for(role)
    lot = session.get(Lot, lot_id)
    assert lot is not None
    inspected = inspection_for(session, role, "in_progress", carrying=[lot])
    inspection = service.get_inspection(session, inspected)
    inspection_results.record_result(
        session,
        inspection,
        officer=officer(session, _line_role(point)),
        result=InspectionResult.DISCREPANCY,
        findings="One short.",
        adjustments=[inspection_results.ProposedAdjustment(lot_id, Decimal(-1), "short by one")],
    )
    return inspection.adjustments[0].id


def decision_for(session: Session, role: Role | None, outcome: Outcome = Outcome.INSPECT) -> int:
    return decided(session, outcome=outcome, crossing_point=point_for(role)).id


def pending_override_for(session: Session, role: Role | None) -> int:
    """A colleague's proposal to overturn a REFUSE, awaiting a second officer."""
    point = point_for(role)
    override = inspection_overrides.propose_override(
        session,
        decided(session, outcome=Outcome.REFUSE, crossing_point=point).id,
        to_outcome=Outcome.RELEASE,
        reason="reinstated",
        officer=officer(session, _line_role(point)),
    )
    return override.id
