"""Officers' overrides of decisions: in force at once, or after a second officer for a REFUSE.

A decision is never changed: the outcome in force is the last confirmed override's
(``service.effective_outcome``), and the inspection queue follows it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import InspectionTag
from hetao.auth.principal import Principal
from hetao.crossing.models import CrossingDecision
from hetao.engine.facts import Outcome
from hetao.errors import Conflict, FieldProblem, ValidationFailed
from hetao.inspections import access, repository
from hetao.inspections.models import (
    InspectionStatus,
    Override,
    OverrideStatus,
    record_second_decision,
)
from hetao.inspections.repository import inspection_of, lock
from hetao.inspections.schemas import clean_text
from hetao.inspections.service import (
    INSPECTION_TRANSITIONS,
    OVERRIDE_TRANSITIONS,
    effective_outcome,
    get_decision,
    open_inspection,
)
from hetao.storage.types import utcnow
from hetao.workflow import audit_present


def _put_in_force(
    session: Session,
    decision: CrossingDecision,
    to_outcome: Outcome,
    *,
    actor: Actor,
    instant: dt.datetime,
) -> None:
    """Make the inspection queue follow the outcome now in force."""
    inspection = inspection_of(session, decision.id)
    if to_outcome is Outcome.INSPECT:
        open_inspection(
            session, decision.id, crossing_point=decision.crossing_point, actor=actor, now=instant
        )
        return
    if inspection is None or inspection.status in (
        InspectionStatus.COMPLETED,
        InspectionStatus.CANCELLED,
    ):
        return
    before = inspection.status
    INSPECTION_TRANSITIONS.move(inspection, "cancel")
    audit_present(
        session,
        InspectionTag.INSPECTION_CANCEL,
        inspection.id,
        actor,
        decision=decision.id,
        was=before.value,
        outcome_in_force=to_outcome.value,
    )


def propose_override(
    session: Session,
    decision_id: int,
    *,
    to_outcome: Outcome,
    reason: str,
    officer: Principal,
    now: dt.datetime | None = None,
) -> Override:
    """Override a decision with a reason: in force at once, unless it overturns a REFUSE."""
    user_id = access.officer_id(officer)
    decision = get_decision(session, decision_id, for_update=True)  # one override at a time
    access.check_line(officer, decision.event.line, f"decision {decision_id}")
    target = Outcome(to_outcome)
    why = clean_text(reason, field="reason", required=True)
    current = effective_outcome(session, decision_id)
    if target is current:
        raise ValidationFailed.single(
            "to_outcome", "override.changes_outcome", f"the outcome in force is already {current}"
        )
    pending = repository.pending_override_id(session, decision_id)
    if pending is not None:
        raise Conflict(
            f"override {pending} of decision {decision_id} awaits its second officer",
            problems=[FieldProblem("decision", "override.one_pending", "has a pending override")],
        )
    instant = now or utcnow()
    # Overturning a REFUSE needs a second officer; other overrides take effect at once.
    needs_second = current is Outcome.REFUSE
    override = Override(
        decision_id=decision_id,
        from_outcome=current,
        to_outcome=target,
        reason=why,
        status=OverrideStatus.PROPOSED if needs_second else OverrideStatus.CONFIRMED,
        proposed_by=user_id,
        created_at=instant,
        decided_at=None if needs_second else instant,
    )
    session.add(override)
    session.flush()  # the id for the audit event
    audit_present(
        session,
        InspectionTag.OVERRIDE_PROPOSE,
        override.id,
        officer.actor,
        decision=decision_id,
        from_outcome=current.value,
        to_outcome=target.value,
        reason=why,
        status=override.status.value,
        proposed_by=user_id,
    )
    if not needs_second:
        _put_in_force(session, decision, target, actor=officer.actor, instant=instant)
    return override


def _second_officer_on(
    session: Session, override: Override, officer: Principal
) -> tuple[CrossingDecision, int]:
    """Lock the override and its decision; the decision, and the deciding officer's user id if
    they may decide it."""
    lock(session, override)
    decision = get_decision(session, override.decision_id, for_update=True)
    user_id = access.check_decider(
        officer,
        line=decision.event.line,
        proposed_by=override.proposed_by,
        subject="override",
        object_id=override.id,
    )
    return decision, user_id


def confirm_override(
    session: Session,
    override: Override,
    *,
    officer: Principal,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> Override:
    """A second, different officer confirms an override awaiting confirmation; it is in force."""
    decision, user_id = _second_officer_on(session, override, officer)
    OVERRIDE_TRANSITIONS.move(override, "confirm")
    instant = now or utcnow()
    record_second_decision(
        override, by=user_id, at=instant, note=clean_text(note, field="note", required=False)
    )
    audit_present(
        session,
        InspectionTag.OVERRIDE_CONFIRM,
        override.id,
        officer.actor,
        decision=override.decision_id,
        from_outcome=override.from_outcome.value,
        to_outcome=override.to_outcome.value,
        proposed_by=override.proposed_by,
        confirmed_by=user_id,
        note=override.decision_note,
    )
    _put_in_force(
        session, decision, Outcome(override.to_outcome), actor=officer.actor, instant=instant
    )
    return override


def reject_override(
    session: Session,
    override: Override,
    *,
    officer: Principal,
    note: str,
    now: dt.datetime | None = None,
) -> Override:
    """A second officer turns the override down, saying why; the decision stands."""
    _, user_id = _second_officer_on(session, override, officer)
    why = clean_text(note, field="note", required=True)
    OVERRIDE_TRANSITIONS.move(override, "reject")
    record_second_decision(override, by=user_id, at=now or utcnow(), note=why)
    audit_present(
        session,
        InspectionTag.OVERRIDE_REJECT,
        override.id,
        officer.actor,
        decision=override.decision_id,
        proposed_by=override.proposed_by,
        rejected_by=user_id,
        note=why,
    )
    return override
