"""Inspections of decided crossings, their results, and officers' overrides of decisions.

One function per verb, each moving its object through a transition table and recording an audit
event ``crossing:<subject>:<action>`` in the caller's transaction. Two-person rules: a ledger
adjustment found by an inspection is applied only when a second officer approves it, and a
REFUSE is overturned only when a second officer confirms it. Decisions are never changed; the
outcome in force is ``effective_outcome``. An inspection's adjustments and seizures name only
lots of the goods its decision was made on (``inspected_goods``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Table as SATable
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hetao.audit.service import (
    Actor,
    LockedHead,
    NewEvent,
    json_stable,
    record_event,
    record_events,
)
from hetao.auth.models import User
from hetao.auth.principal import Principal, Role
from hetao.crossing.models import CrossingDecision
from hetao.declarations.models import DeclarationLine
from hetao.engine.facts import (
    ConsignmentFacts,
    Outcome,
    Subject,
    VehicleFacts,
    facts_from_json,
)
from hetao.errors import (
    Conflict,
    FieldProblem,
    NotFound,
    PermissionDenied,
    RuleViolation,
    TransitionForbidden,
    ValidationFailed,
)
from hetao.inputs import DecimalFault, decimal_fault, text_fault
from hetao.inspections.models import (
    AdjustmentProposal,
    AdjustmentStatus,
    Inspection,
    InspectionResult,
    InspectionStatus,
    Override,
    OverrideStatus,
    Seizure,
)
from hetao.ledger import service as ledger
from hetao.ledger.models import Lot
from hetao.storage.driver import DriverInsert
from hetao.storage.pagination import PageOf, paginate
from hetao.storage.types import utcnow

S = InspectionStatus
#: verb -> (states it may start from, state it leads to)
INSPECTION_TRANSITIONS: dict[str, tuple[frozenset[InspectionStatus], InspectionStatus]] = {
    # Re-assigning an inspection not yet started is how a supervisor rebalances a shift.
    "assign": (frozenset({S.QUEUED, S.ASSIGNED}), S.ASSIGNED),
    "start": (frozenset({S.ASSIGNED}), S.IN_PROGRESS),
    "complete": (frozenset({S.IN_PROGRESS}), S.COMPLETED),
    # An override that no longer sends the crossing to inspection withdraws it ...
    "cancel": (frozenset({S.QUEUED, S.ASSIGNED, S.IN_PROGRESS}), S.CANCELLED),
    # ... and one that sends it back puts it in the queue again.
    "reopen": (frozenset({S.CANCELLED}), S.QUEUED),
}
A = AdjustmentStatus
ADJUSTMENT_TRANSITIONS: dict[str, tuple[frozenset[AdjustmentStatus], AdjustmentStatus]] = {
    "approve": (frozenset({A.PROPOSED}), A.APPROVED),
    "reject": (frozenset({A.PROPOSED}), A.REJECTED),
}
OS = OverrideStatus
OVERRIDE_TRANSITIONS: dict[str, tuple[frozenset[OverrideStatus], OverrideStatus]] = {
    "confirm": (frozenset({OS.PROPOSED}), OS.CONFIRMED),
    "reject": (frozenset({OS.PROPOSED}), OS.REJECTED),
}

#: Inspections an officer is carrying: the workload that assignment balances.
OPEN_STATUSES = frozenset({S.ASSIGNED, S.IN_PROGRESS})
OFFICER_OF_LINE = {"first": Role.FIRST_LINE_OFFICER, "second": Role.SECOND_LINE_OFFICER}
#: How long seized goods stay held when the officer names no date. The GACC 2026 No. 20 text on
#: inspections is unpublished (REGIME (d)1), so the API and the CLI let the officer set it.
SEIZURE_HOLD = dt.timedelta(days=90)
TEXT_MAX = 4000


@dataclass(frozen=True, slots=True)
class ProposedAdjustment:
    """A discrepancy on one lot: signed quantity (positive overage, negative shortage)."""

    lot_id: int
    quantity: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class SeizedGoods:
    """A quantity of one lot seized at an inspection."""

    lot_id: int
    quantity: Decimal


# --- small checks ----------------------------------------------------------------------------


def _text(value: str | None, *, field: str, required: bool) -> str | None:
    cleaned = value.strip() if isinstance(value, str) else None
    if not cleaned:
        if required:
            raise ValidationFailed.single(field, "text.required", "must not be empty")
        return None
    if len(cleaned) > TEXT_MAX:
        raise ValidationFailed.single(
            field, "text.max_length", f"must be at most {TEXT_MAX} characters"
        )
    fault = text_fault(cleaned)
    if fault is not None:
        raise ValidationFailed.single(field, *fault)
    return cleaned


def _quantity(value: Decimal, *, field: str) -> Decimal:
    """A signed ledger quantity: not zero, at most thousandths, as the ledger stores it."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationFailed.single(field, "quantity.decimal", "must be a Decimal, not a float")
    amount = Decimal(value)
    fault = decimal_fault(amount, below=ledger.MAX_QUANTITY, places=3)
    if fault is DecimalFault.NOT_FINITE or amount == 0:
        raise ValidationFailed.single(field, "quantity.not_zero", f"{value} is not allowed here")
    if fault is not None:
        raise ValidationFailed.single(
            field, "quantity.places", "must be below 1e15 with at most 3 decimal places"
        )
    return amount.quantize(ledger.QUANTUM)


def _officer_id(officer: Principal) -> int:
    """The user behind a principal: machines do not inspect, approve or override."""
    if officer.kind != "user":
        raise PermissionDenied(f"{officer.name} is a device; an officer must act in person")
    return officer.id


def _check_line(officer: Principal, line: str, what: str) -> None:
    """Officers of the object's line act on it; administrators act on either line."""
    if officer.has(Role.ADMINISTRATOR):
        return
    needed = OFFICER_OF_LINE.get(line)
    if needed is None or not officer.has(needed):
        raise PermissionDenied(f"{what} is on the {line} line: {needed or 'no'} officers act on it")


Table = dict[str, tuple[frozenset[Any], Any]]


def _check_move(table: Table, subject: str, obj: Any, verb: str) -> None:
    allowed, _ = table[verb]
    if obj.status not in allowed:
        raise TransitionForbidden(
            subject=subject, current=obj.status, action=verb, allowed_from=sorted(allowed)
        )


def _move(table: Table, subject: str, obj: Any, verb: str) -> None:
    _check_move(table, subject, obj, verb)
    obj.status = table[verb][1]


def _locked(session: Session, obj: Any) -> None:
    """Re-read ``obj``'s row under a lock held until commit: two officers never both decide it."""
    session.refresh(obj, with_for_update=True)


def _audit(session: Session, tag: str, subject_id: int, actor: Actor, **data: Any) -> None:
    record_event(
        session,
        tag,
        subject_type=tag.split(":")[1],
        subject_id=subject_id,
        actor=actor,
        data=_event_data(data),
    )


def _event_data(data: dict[str, Any]) -> dict[str, Any]:
    """An audit event's data: stable JSON values, absent ones left out."""
    return {k: json_stable(v) for k, v in data.items() if v is not None}


_Row = TypeVar("_Row")


# --- reading ---------------------------------------------------------------------------------


def _get_row(
    session: Session, model: type[_Row], row_id: int, what: str, *, for_update: bool
) -> _Row:
    found = session.get(model, row_id, with_for_update=for_update)
    if found is None:
        raise NotFound(f"{what} {row_id} does not exist")
    return found


def get_decision(
    session: Session, decision_id: int, *, for_update: bool = False
) -> CrossingDecision:
    """One crossing decision by id (locked until commit when asked), or NotFound."""
    return _get_row(session, CrossingDecision, decision_id, "decision", for_update=for_update)


def get_inspection(session: Session, inspection_id: int, *, for_update: bool = False) -> Inspection:
    """One inspection by id, or NotFound."""
    return _get_row(session, Inspection, inspection_id, "inspection", for_update=for_update)


def get_adjustment(
    session: Session, adjustment_id: int, *, for_update: bool = False
) -> AdjustmentProposal:
    """One proposed adjustment by id, or NotFound."""
    return _get_row(session, AdjustmentProposal, adjustment_id, "adjustment", for_update=for_update)


def get_override(session: Session, override_id: int, *, for_update: bool = False) -> Override:
    """One override by id, or NotFound."""
    return _get_row(session, Override, override_id, "override", for_update=for_update)


def inspection_of(session: Session, decision_id: int) -> Inspection | None:
    """The inspection of a decision, if one was opened."""
    return session.scalars(select(Inspection).where(Inspection.decision_id == decision_id)).first()


def overrides_of(session: Session, decision_id: int) -> list[Override]:
    """Every override of a decision, oldest first."""
    return list(
        session.scalars(
            select(Override).where(Override.decision_id == decision_id).order_by(Override.id)
        )
    )


def effective_outcome(session: Session, decision_id: int) -> Outcome:
    """The outcome in force: the last confirmed override's, else the decision's own."""
    decision = get_decision(session, decision_id)
    last = session.scalars(
        select(Override)
        .where(Override.decision_id == decision_id, Override.status == OverrideStatus.CONFIRMED)
        # At most one override is pending at a time, so confirmations come in id order.
        .order_by(Override.id.desc())
        .limit(1)
    ).first()
    return Outcome(last.to_outcome) if last is not None else Outcome(decision.outcome)


def queue(session: Session, crossing_point: str, *, limit: int = 100) -> list[Inspection]:
    """The queued inspections of a crossing point, oldest first."""
    return list(
        session.scalars(
            select(Inspection)
            .where(Inspection.crossing_point == crossing_point, Inspection.status == S.QUEUED)
            .order_by(Inspection.opened_at, Inspection.id)
            .limit(limit)
        )
    )


def page_inspections(
    session: Session,
    *,
    crossing_point: str | None,
    status: InspectionStatus | None,
    assigned_to: int | None = None,
    cursor: str | None,
    limit: int,
) -> PageOf[Inspection]:
    """Inspections in opening order (ids grow with time), filtered."""
    stmt = select(Inspection)
    if crossing_point is not None:
        stmt = stmt.where(Inspection.crossing_point == crossing_point)
    if status is not None:
        stmt = stmt.where(Inspection.status == status)
    if assigned_to is not None:
        stmt = stmt.where(Inspection.assigned_to == assigned_to)
    return paginate(session, stmt, id_column=Inspection.id, cursor=cursor, limit=limit)


def workloads(
    session: Session, line: str, *, on_duty: Collection[int] | None = None
) -> dict[int, int]:
    """Open inspections (assigned or in progress) per active officer of ``line``."""
    role = OFFICER_OF_LINE.get(line)
    if role is None:
        return {}
    officers = select(User.id).where(User.role == role, User.active.is_(True))
    if on_duty is not None:
        officers = officers.where(User.id.in_(list(on_duty)))
    loads = {user_id: 0 for user_id in session.scalars(officers)}
    if not loads:
        return loads
    counted = session.execute(
        select(Inspection.assigned_to, func.count())
        .where(Inspection.status.in_(list(OPEN_STATUSES)), Inspection.assigned_to.in_(list(loads)))
        .group_by(Inspection.assigned_to)
    )
    for user_id, count in counted:
        if user_id is not None:
            loads[user_id] = int(count)
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
    if existing is not None and existing.status is not S.CANCELLED:
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
        _move(INSPECTION_TRANSITIONS, "inspection", existing, "reopen")
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
            status=S.QUEUED,
            opened_at=instant,
        )
        session.add(inspection)
        session.flush()  # the id for the audit event
    _audit(
        session,
        "crossing:inspection:open",
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


_INSERT_INSPECTIONS = DriverInsert(
    cast(SATable, Inspection.__table__),
    ["decision_id", "crossing_point", "line", "status", "opened_at"],
)


def queue_new_inspections(
    session: Session, new: Sequence[NewInspection], *, locked: LockedHead | None = None
) -> list[int]:
    """Queue inspections for decisions this transaction has just made INSPECT, in one insert
    and one append of their open events (after ``locked``, the caller's audit head, if any).

    What ``open_inspection`` checks first holds for such decisions by construction (no
    inspection or override can exist yet, the point is the decision's own): opening them
    one by one through the ORM was a fifth of a batch's time under the write lock.
    """
    if not new:
        return []
    ids = _INSERT_INSPECTIONS.ids(
        session.connection(),
        [
            {
                "decision_id": n.decision_id,
                "crossing_point": n.crossing_point,
                "line": n.line,
                "status": S.QUEUED,
                "opened_at": n.opened_at,
            }
            for n in new
        ],
    )
    opened = [
        NewEvent(
            "crossing:inspection:open",
            subject_type="inspection",
            subject_id=inspection_id,
            actor=n.actor,
            data=_event_data(_opened(n.decision_id, n.crossing_point, n.line, reopened=False)),
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
    _move(INSPECTION_TRANSITIONS, "inspection", inspection, "assign")
    inspection.assigned_to = officer_id
    inspection.assigned_at = instant
    _audit(
        session,
        "crossing:inspection:assign",
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
    _officer_id(by)
    _locked(session, inspection)
    _check_line(by, inspection.line, f"inspection {inspection.id}")
    _check_move(INSPECTION_TRANSITIONS, "inspection", inspection, "assign")
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
    user = session.get(User, officer_id)
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
    stmt = (
        select(Inspection)
        .where(Inspection.crossing_point == crossing_point, Inspection.status == S.QUEUED)
        .order_by(Inspection.opened_at, Inspection.id)
        .limit(1)
        # Two supervisors assigning at once take different inspections (PostgreSQL).
        .with_for_update(skip_locked=True)
    )
    oldest = session.scalars(stmt).first()
    if oldest is None:
        return None
    return assign(session, oldest, by=by, on_duty=on_duty, now=now)


def start(
    session: Session, inspection: Inspection, *, officer: Principal, now: dt.datetime | None = None
) -> Inspection:
    """The officer begins the inspection; any officer of the line may take over a colleague's."""
    user_id = _officer_id(officer)
    _locked(session, inspection)
    _check_line(officer, inspection.line, f"inspection {inspection.id}")
    _move(INSPECTION_TRANSITIONS, "inspection", inspection, "start")
    inspection.started_by = user_id
    inspection.started_at = now or utcnow()
    _audit(
        session,
        "crossing:inspection:start",
        inspection.id,
        officer.actor,
        officer=user_id,
        assigned_to=inspection.assigned_to,
    )
    return inspection


def _lot(session: Session, lot_id: int, field: str) -> Lot:
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise ValidationFailed.single(field, "lot.exists", f"lot {lot_id} does not exist")
    return lot


# --- the goods an inspection covers --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InspectedGoods:
    """The goods an inspection may adjust or seize: those its decision was made on."""

    carried_goods: bool
    """The crossing brought a consignment; a person, or a vehicle with none, brought no goods."""
    lot_ids: frozenset[int]
    """The lots the consignments' declaration lines draw from or were admitted as."""


def _consignments(subject: Subject) -> tuple[ConsignmentFacts, ...]:
    if isinstance(subject, ConsignmentFacts):
        return (subject,)
    if isinstance(subject, VehicleFacts):
        return subject.consignments
    return ()


def inspected_goods(session: Session, decision: CrossingDecision) -> InspectedGoods:
    """The goods of a decision, from its stored facts (the declaration lines the gate saw) and
    the lots those lines concern (an entry's lot exists once the declaration is cleared)."""
    consignments = _consignments(facts_from_json(decision.inputs).subject)
    declared = {
        (consignment.declaration_id, line.line_no)
        for consignment in consignments
        if consignment.declaration_id is not None
        for line in consignment.lines
    }
    lot_ids: set[int] = set()
    if declared:
        rows = session.execute(
            select(
                DeclarationLine.declaration_id,
                DeclarationLine.line_no,
                DeclarationLine.lot_id,
                DeclarationLine.result_lot_id,
            ).where(DeclarationLine.declaration_id.in_({d for d, _ in declared}))
        )
        for declaration_id, line_no, lot_id, result_lot_id in rows:
            if (declaration_id, line_no) in declared:
                lot_ids.update(i for i in (lot_id, result_lot_id) if i is not None)
    return InspectedGoods(carried_goods=bool(consignments), lot_ids=frozenset(lot_ids))


def _check_inspected(
    inspection: Inspection,
    goods: InspectedGoods,
    *,
    group: str,
    named: Sequence[tuple[str, int]],
) -> None:
    """Adjustments and seizures name only lots the inspection covered: ``named`` holds (field,
    lot id) pairs of the request, ``group`` the field they come under."""
    if not named:
        return
    if not goods.carried_goods:
        raise RuleViolation(
            f"inspection {inspection.id} was of a crossing that carried no goods: "
            "it adjusts and seizes none",
            problems=[FieldProblem(group, "inspection.no_goods_inspected", "no goods crossed")],
        )
    covered = ", ".join(str(lot_id) for lot_id in sorted(goods.lot_ids)) or "none"
    problems = [
        FieldProblem(
            field,
            "inspection.lot_not_inspected",
            f"lot {lot_id} is not among the goods inspected (lots: {covered})",
        )
        for field, lot_id in named
        if lot_id not in goods.lot_ids
    ]
    if problems:
        raise RuleViolation(
            f"inspection {inspection.id} covers lots: {covered}; {problems[0].message}",
            problems=problems,
        )


def _check_result_parts(
    result: InspectionResult,
    adjustments: Sequence[ProposedAdjustment],
    seizures: Sequence[SeizedGoods],
    *,
    carried_goods: bool,
) -> None:
    problems: list[FieldProblem] = []
    # A discrepancy in goods corrects their lots; one found on a person or a vehicle that
    # carried no goods (a document, a plate) is told by its findings alone.
    if result is InspectionResult.DISCREPANCY and carried_goods and not adjustments:
        problems.append(
            FieldProblem(
                "adjustments", "inspection.discrepancy_adjusts", "name at least one lot to adjust"
            )
        )
    if result is not InspectionResult.DISCREPANCY and adjustments:
        problems.append(
            FieldProblem("adjustments", "inspection.adjust_on_discrepancy", "only a discrepancy")
        )
    if result is InspectionResult.SEIZURE and not seizures:
        problems.append(
            FieldProblem("seizures", "inspection.seizure_names_goods", "name the goods seized")
        )
    if result is not InspectionResult.SEIZURE and seizures:
        problems.append(FieldProblem("seizures", "inspection.seize_on_seizure", "only a seizure"))
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)


def record_result(
    session: Session,
    inspection: Inspection,
    *,
    officer: Principal,
    result: InspectionResult,
    findings: str | None = None,
    adjustments: Sequence[ProposedAdjustment] = (),
    seizures: Sequence[SeizedGoods] = (),
    held_until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Inspection:
    """Complete the inspection: conforms; a discrepancy proposing adjustments; or a seizure."""
    user_id = _officer_id(officer)
    _locked(session, inspection)
    _check_line(officer, inspection.line, f"inspection {inspection.id}")
    result = InspectionResult(result)
    notes = _text(findings, field="findings", required=result is not InspectionResult.CONFORMS)
    covered = inspected_goods(session, get_decision(session, inspection.decision_id))
    _check_result_parts(result, adjustments, seizures, carried_goods=covered.carried_goods)
    _check_inspected(
        inspection,
        covered,
        group="adjustments",
        named=[(f"adjustments[{i}].lot_id", a.lot_id) for i, a in enumerate(adjustments)],
    )
    _check_inspected(
        inspection,
        covered,
        group="seizures",
        named=[(f"seizures[{i}].lot_id", s.lot_id) for i, s in enumerate(seizures)],
    )
    _move(INSPECTION_TRANSITIONS, "inspection", inspection, "complete")
    instant = now or utcnow()
    inspection.result = result
    inspection.findings = notes
    inspection.completed_by = user_id
    inspection.completed_at = instant
    ref = f"INSPECTION-{inspection.id}"
    proposals: list[AdjustmentProposal] = []
    for index, item in enumerate(adjustments):
        field = f"adjustments[{index}]"
        _lot(session, item.lot_id, f"{field}.lot_id")
        quantity = _quantity(item.quantity, field=f"{field}.quantity")
        proposal = AdjustmentProposal(
            inspection=inspection,
            lot_id=item.lot_id,
            quantity=quantity,
            reason=_text(item.reason, field=f"{field}.reason", required=True),
            status=A.PROPOSED,
            proposed_by=user_id,
            created_at=instant,
        )
        session.add(proposal)
        proposals.append(proposal)
    held: list[Seizure] = []
    if seizures:
        until = held_until or instant + SEIZURE_HOLD
        for index, goods in enumerate(seizures):
            lot = _lot(session, goods.lot_id, f"seizures[{index}].lot_id")
            hold = ledger.hold(
                session,
                lot,
                quantity=goods.quantity,
                expires_at=until,
                idempotency_key=f"crossing-seizure-{inspection.id}-{index}",
                actor=officer.actor,
                declaration_ref=ref,
                reason=notes,
                now=instant,
            )
            seizure = Seizure(inspection_id=inspection.id, lot_id=lot.id, hold_id=hold.id)
            session.add(seizure)
            held.append(seizure)
    session.flush()  # ids of the proposals and seizures for the audit events
    _audit(
        session,
        "crossing:inspection:complete",
        inspection.id,
        officer.actor,
        officer=user_id,
        result=result.value,
        findings=notes,
        adjustments=[p.id for p in proposals] or None,
        holds=[s.hold_id for s in held] or None,
    )
    for proposal in proposals:
        _audit(
            session,
            "crossing:adjustment:propose",
            proposal.id,
            officer.actor,
            inspection=inspection.id,
            lot=proposal.lot_id,
            quantity=proposal.quantity,
            reason=proposal.reason,
            proposed_by=user_id,
        )
    return inspection


# --- the second officer on adjustments ---------------------------------------------------------


def _second_officer(officer_id: int, proposer_id: int, subject: str, object_id: int) -> None:
    if officer_id == proposer_id:
        raise RuleViolation(
            f"{subject} {object_id} was proposed by user {proposer_id}; a second, different "
            "officer must decide it",
            problems=[
                FieldProblem("officer", f"{subject}.second_officer", "is the proposing officer")
            ],
        )


def approve_adjustment(
    session: Session,
    proposal: AdjustmentProposal,
    *,
    officer: Principal,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> AdjustmentProposal:
    """A second officer approves: the adjustment is applied to the ledger now, exactly once."""
    user_id = _officer_id(officer)
    _locked(session, proposal)
    _check_line(officer, proposal.inspection.line, f"adjustment {proposal.id}")
    _second_officer(user_id, proposal.proposed_by, "adjustment", proposal.id)
    _check_move(ADJUSTMENT_TRANSITIONS, "adjustment", proposal, "approve")
    # Checked again: a proposal stored before the rule, or one made some other way, moves no
    # goods the inspection did not cover.
    inspected = proposal.inspection
    goods = inspected_goods(session, get_decision(session, inspected.decision_id))
    _check_inspected(inspected, goods, group="lot_id", named=[("lot_id", proposal.lot_id)])
    lot = _lot(session, proposal.lot_id, "lot_id")
    movement = ledger.adjust(
        session,
        lot,
        quantity=proposal.quantity,
        reason=proposal.reason,
        # Derived from the proposal: however often the approval is retried, one movement.
        idempotency_key=f"crossing-adjustment-{proposal.id}",
        actor=officer.actor,
        declaration_ref=f"INSPECTION-{proposal.inspection_id}",
    )
    # Status, movement and approver change together: the CHECK constraints see them at once.
    _move(ADJUSTMENT_TRANSITIONS, "adjustment", proposal, "approve")
    proposal.movement_id = movement.id
    proposal.decided_by = user_id
    proposal.decided_at = now or utcnow()
    proposal.decision_note = _text(note, field="note", required=False)
    _audit(
        session,
        "crossing:adjustment:approve",
        proposal.id,
        officer.actor,
        inspection=proposal.inspection_id,
        lot=proposal.lot_id,
        quantity=proposal.quantity,
        movement=movement.id,
        proposed_by=proposal.proposed_by,
        approved_by=user_id,
        note=proposal.decision_note,
    )
    return proposal


def reject_adjustment(
    session: Session,
    proposal: AdjustmentProposal,
    *,
    officer: Principal,
    note: str,
    now: dt.datetime | None = None,
) -> AdjustmentProposal:
    """A second officer turns the adjustment down, saying why; the ledger is unchanged."""
    user_id = _officer_id(officer)
    _locked(session, proposal)
    _check_line(officer, proposal.inspection.line, f"adjustment {proposal.id}")
    _second_officer(user_id, proposal.proposed_by, "adjustment", proposal.id)
    why = _text(note, field="note", required=True)
    _move(ADJUSTMENT_TRANSITIONS, "adjustment", proposal, "reject")
    proposal.decided_by = user_id
    proposal.decided_at = now or utcnow()
    proposal.decision_note = why
    _audit(
        session,
        "crossing:adjustment:reject",
        proposal.id,
        officer.actor,
        inspection=proposal.inspection_id,
        lot=proposal.lot_id,
        proposed_by=proposal.proposed_by,
        rejected_by=user_id,
        note=why,
    )
    return proposal


# --- overrides ---------------------------------------------------------------------------------


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
    if inspection is None or inspection.status in (S.COMPLETED, S.CANCELLED):
        return
    before = inspection.status
    _move(INSPECTION_TRANSITIONS, "inspection", inspection, "cancel")
    _audit(
        session,
        "crossing:inspection:cancel",
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
    user_id = _officer_id(officer)
    decision = get_decision(session, decision_id, for_update=True)  # one override at a time
    _check_line(officer, decision.event.line, f"decision {decision_id}")
    target = Outcome(to_outcome)
    why = _text(reason, field="reason", required=True)
    current = effective_outcome(session, decision_id)
    if target is current:
        raise ValidationFailed.single(
            "to_outcome", "override.changes_outcome", f"the outcome in force is already {current}"
        )
    pending = session.scalars(
        select(Override.id).where(
            Override.decision_id == decision_id, Override.status == OverrideStatus.PROPOSED
        )
    ).first()
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
    _audit(
        session,
        "crossing:override:propose",
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


def confirm_override(
    session: Session,
    override: Override,
    *,
    officer: Principal,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> Override:
    """A second, different officer confirms an override awaiting confirmation; it is in force."""
    user_id = _officer_id(officer)
    _locked(session, override)
    decision = get_decision(session, override.decision_id, for_update=True)
    _check_line(officer, decision.event.line, f"override {override.id}")
    _second_officer(user_id, override.proposed_by, "override", override.id)
    _move(OVERRIDE_TRANSITIONS, "override", override, "confirm")
    instant = now or utcnow()
    override.decided_by = user_id
    override.decided_at = instant
    override.decision_note = _text(note, field="note", required=False)
    _audit(
        session,
        "crossing:override:confirm",
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
    user_id = _officer_id(officer)
    _locked(session, override)
    decision = get_decision(session, override.decision_id, for_update=True)
    _check_line(officer, decision.event.line, f"override {override.id}")
    _second_officer(user_id, override.proposed_by, "override", override.id)
    why = _text(note, field="note", required=True)
    _move(OVERRIDE_TRANSITIONS, "override", override, "reject")
    override.decided_by = user_id
    override.decided_at = now or utcnow()
    override.decision_note = why
    _audit(
        session,
        "crossing:override:reject",
        override.id,
        officer.actor,
        decision=override.decision_id,
        proposed_by=override.proposed_by,
        rejected_by=user_id,
        note=why,
    )
    return override
