"""Inspections of decided crossings: the queue, assignment by workload, starting one.

One function per verb, each moving its object through a transition table and recording an audit
event ``crossing:<subject>:<action>`` in the caller's transaction (absent values left out of
its data). Results and the second officer's word on adjustments are in ``results``; overrides
of decisions in ``overrides``. Decisions are never changed; the outcome in force is
``effective_outcome``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor, LockedHead, NewEvent, record_events
from hetao.audit.tags import InspectionTag
from hetao.auth import repository as auth_repository
from hetao.auth.principal import Principal
from hetao.crossing.models import CrossingDecision
from hetao.engine.facts import Outcome
from hetao.errors import FieldProblem, RuleViolation, ValidationFailed
from hetao.inspections import access, repository
from hetao.inspections.access import OFFICER_OF_LINE
from hetao.inspections.models import (
    AdjustmentProposal,
    AdjustmentStatus,
    Inspection,
    InspectionStatus,
    Override,
    OverrideStatus,
)
from hetao.inspections.repository import inspection_of, lock
from hetao.storage import lookup
from hetao.storage.types import utcnow
from hetao.workflow import Workflow, audit_present, present

INSPECTION_TRANSITIONS = Workflow[InspectionStatus](
    "inspection",
    {
        # Re-assigning an inspection not yet started is how a supervisor rebalances a shift.
        "assign": ({InspectionStatus.QUEUED, InspectionStatus.ASSIGNED}, InspectionStatus.ASSIGNED),
        "start": ({InspectionStatus.ASSIGNED}, InspectionStatus.IN_PROGRESS),
        "complete": ({InspectionStatus.IN_PROGRESS}, InspectionStatus.COMPLETED),
        # An override that no longer sends the crossing to inspection withdraws it ...
        "cancel": (
            {InspectionStatus.QUEUED, InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS},
            InspectionStatus.CANCELLED,
        ),
        # ... and one that sends it back puts it in the queue again.
        "reopen": ({InspectionStatus.CANCELLED}, InspectionStatus.QUEUED),
    },
)
ADJUSTMENT_TRANSITIONS = Workflow[AdjustmentStatus](
    "adjustment",
    {
        "approve": ({AdjustmentStatus.PROPOSED}, AdjustmentStatus.APPROVED),
        "reject": ({AdjustmentStatus.PROPOSED}, AdjustmentStatus.REJECTED),
    },
)
OVERRIDE_TRANSITIONS = Workflow[OverrideStatus](
    "override",
    {
        "confirm": ({OverrideStatus.PROPOSED}, OverrideStatus.CONFIRMED),
        "reject": ({OverrideStatus.PROPOSED}, OverrideStatus.REJECTED),
    },
)

#: Inspections an officer is carrying: the workload that assignment balances.
OPEN_STATUSES = frozenset({InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS})


# --- small checks ----------------------------------------------------------------------------


# --- reading ---------------------------------------------------------------------------------


def get_decision(
    session: Session, decision_id: int, *, for_update: bool = False
) -> CrossingDecision:
    """One crossing decision by id (locked until commit when asked), or NotFound."""
    return lookup.get(
        session, CrossingDecision, decision_id, for_update=for_update, noun="decision"
    )


def get_inspection(session: Session, inspection_id: int, *, for_update: bool = False) -> Inspection:
    """One inspection by id, or NotFound."""
    return lookup.get(session, Inspection, inspection_id, for_update=for_update)


def get_adjustment(
    session: Session, adjustment_id: int, *, for_update: bool = False
) -> AdjustmentProposal:
    """One proposed adjustment by id, or NotFound."""
    return lookup.get(
        session, AdjustmentProposal, adjustment_id, for_update=for_update, noun="adjustment"
    )


def get_override(session: Session, override_id: int, *, for_update: bool = False) -> Override:
    """One override by id, or NotFound."""
    return lookup.get(session, Override, override_id, for_update=for_update)


def effective_outcome(session: Session, decision_id: int) -> Outcome:
    """The outcome in force: the last confirmed override's, else the decision's own."""
    decision = get_decision(session, decision_id)
    last = repository.last_confirmed_override(session, decision_id)
    return Outcome(last.to_outcome) if last is not None else Outcome(decision.outcome)


def queue(session: Session, crossing_point: str, *, limit: int = 100) -> list[Inspection]:
    """The queued inspections of a crossing point, oldest first."""
    return repository.queued(session, crossing_point, limit=limit)


def workloads(
    session: Session, line: str, *, on_duty: Collection[int] | None = None
) -> dict[int, int]:
    """Open inspections (assigned or in progress) per active officer of ``line``."""
    role = OFFICER_OF_LINE.get(line)
    if role is None:
        return {}
    loads = dict.fromkeys(auth_repository.active_users_of_role(session, role, among=on_duty), 0)
    if not loads:
        return loads
    loads.update(repository.open_counts(session, loads, OPEN_STATUSES))
    return loads


def least_loaded(
    session: Session, line: str, *, on_duty: Collection[int] | None = None
) -> int | None:
    """The officer of ``line`` with the fewest open inspections; ties go to the lowest user id."""
    loads = workloads(session, line, on_duty=on_duty)
    if not loads:
        return None
    return min(loads, key=lambda user_id: (loads[user_id], user_id))


# --- the queue -------------------------------------------------------------------------------


def open_inspection(
    session: Session,
    decision_id: int,
    *,
    crossing_point: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Inspection:
    """Queue an inspection for a decision whose outcome in force is INSPECT (once per decision)."""
    existing = inspection_of(session, decision_id)
    if existing is not None and existing.status is not InspectionStatus.CANCELLED:
        return existing  # a retried crossing, or a second call: the first inspection stands
    decision = get_decision(session, decision_id)
    if decision.crossing_point != crossing_point:
        raise ValidationFailed.single(
            "crossing_point",
            "inspection.crossing_point",
            f"decision {decision_id} was made at {decision.crossing_point}, not {crossing_point}",
        )
    if effective_outcome(session, decision_id) is not Outcome.INSPECT:
        raise RuleViolation(
            f"decision {decision_id} does not send the crossing to inspection",
            problems=[
                FieldProblem("decision", "inspection.outcome_inspect", "outcome is not INSPECT")
            ],
        )
    instant = now or utcnow()
    if existing is not None:
        INSPECTION_TRANSITIONS.move(existing, "reopen")
        existing.assigned_to = None
        existing.assigned_at = existing.started_at = None
        existing.started_by = None
        existing.opened_at = instant
        inspection = existing
    else:
        inspection = Inspection(
            decision_id=decision_id,
            crossing_point=crossing_point,
            line=decision.event.line,
            status=InspectionStatus.QUEUED,
            opened_at=instant,
        )
        session.add(inspection)
        session.flush()  # the id for the audit event
    audit_present(
        session,
        InspectionTag.INSPECTION_OPEN,
        inspection.id,
        actor,
        **_opened(decision_id, crossing_point, inspection.line, reopened=existing is not None),
    )
    return inspection


def _opened(decision_id: int, crossing_point: str, line: str, *, reopened: bool) -> dict[str, Any]:
    """The data of an inspection's open event."""
    return {
        "decision": decision_id,
        "crossing_point": crossing_point,
        "line": line,
        "reopened": reopened or None,
    }


@dataclass(frozen=True, slots=True)
class NewInspection:
    """An inspection to queue for a decision made INSPECT in the same transaction."""

    decision_id: int
    crossing_point: str
    line: str
    opened_at: dt.datetime
    actor: Actor
    request_id: str | None


def queue_new_inspections(
    session: Session, new: Sequence[NewInspection], *, locked: LockedHead | None = None
) -> list[int]:
    """Queue inspections for decisions this transaction has just made INSPECT, in one insert
    and one append of their open events (after ``locked``, the caller's audit head, if any).

    What ``open_inspection`` checks first holds for such decisions by construction (no
    inspection or override can exist yet, the point is the decision's own): opening them
    one by one through the ORM would slow the batch under the write lock.
    """
    if not new:
        return []
    ids = repository.insert_inspections(
        session,
        [
            {
                "decision_id": n.decision_id,
                "crossing_point": n.crossing_point,
                "line": n.line,
                "status": InspectionStatus.QUEUED,
                "opened_at": n.opened_at,
            }
            for n in new
        ],
    )
    opened = [
        NewEvent(
            InspectionTag.INSPECTION_OPEN,
            subject_type="inspection",
            subject_id=inspection_id,
            actor=n.actor,
            data=present(_opened(n.decision_id, n.crossing_point, n.line, reopened=False)),
            request_id=n.request_id,
        )
        for inspection_id, n in zip(ids, new, strict=True)
    ]
    record_events(session, opened, locked=locked)
    return ids


def _assign_to(
    session: Session,
    inspection: Inspection,
    officer_id: int,
    *,
    by: Principal,
    instant: dt.datetime,
    chosen: str,
) -> Inspection:
    before = inspection.status
    previous = inspection.assigned_to
    INSPECTION_TRANSITIONS.move(inspection, "assign")
    inspection.assigned_to = officer_id
    inspection.assigned_at = instant
    audit_present(
        session,
        InspectionTag.INSPECTION_ASSIGN,
        inspection.id,
        by.actor,
        officer=officer_id,
        previous_officer=previous,
        chosen=chosen,
        crossing_point=inspection.crossing_point,
        was=before.value,
    )
    return inspection


def assign(
    session: Session,
    inspection: Inspection,
    *,
    by: Principal,
    officer_id: int | None = None,
    on_duty: Collection[int] | None = None,
    now: dt.datetime | None = None,
) -> Inspection:
    """Give an inspection to ``officer_id``, or to the least-loaded officer of its line."""
    access.officer_id(by)
    lock(session, inspection)
    access.check_line(by, inspection.line, f"inspection {inspection.id}")
    INSPECTION_TRANSITIONS.check(inspection, "assign")
    if officer_id is None:
        chosen = least_loaded(session, inspection.line, on_duty=on_duty)
        if chosen is None:
            raise RuleViolation(
                f"no active {inspection.line}-line officer is on duty to take inspection "
                f"{inspection.id}",
                problems=[
                    FieldProblem("officer_id", "inspection.officer_available", "none on duty")
                ],
            )
        return _assign_to(
            session, inspection, chosen, by=by, instant=now or utcnow(), chosen="workload"
        )
    user = auth_repository.find_user(session, officer_id)
    role = OFFICER_OF_LINE.get(inspection.line)
    if user is None or not user.active or user.role is not role:
        raise ValidationFailed.single(
            "officer_id",
            "inspection.officer_of_line",
            f"user {officer_id} is not an active {inspection.line}-line officer",
        )
    return _assign_to(
        session, inspection, officer_id, by=by, instant=now or utcnow(), chosen="named"
    )


def assign_next(
    session: Session,
    crossing_point: str,
    *,
    by: Principal,
    on_duty: Collection[int] | None = None,
    now: dt.datetime | None = None,
) -> Inspection | None:
    """Assign the oldest queued inspection of a crossing point by workload; None when empty."""
    oldest = repository.oldest_queued_for_update(session, crossing_point)
    if oldest is None:
        return None
    return assign(session, oldest, by=by, on_duty=on_duty, now=now)


def start(
    session: Session, inspection: Inspection, *, officer: Principal, now: dt.datetime | None = None
) -> Inspection:
    """The officer begins the inspection; any officer of the line may take over a colleague's."""
    user_id = access.officer_id(officer)
    lock(session, inspection)
    access.check_line(officer, inspection.line, f"inspection {inspection.id}")
    INSPECTION_TRANSITIONS.move(inspection, "start")
    inspection.started_by = user_id
    inspection.started_at = now or utcnow()
    audit_present(
        session,
        InspectionTag.INSPECTION_START,
        inspection.id,
        officer.actor,
        officer=user_id,
        assigned_to=inspection.assigned_to,
    )
    return inspection
