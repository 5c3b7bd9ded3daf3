"""An inspection's result, and the second officer's word on the adjustments it proposes.

A discrepancy proposes ledger adjustments, applied only when a second officer approves them; a
seizure holds the goods. An inspection's adjustments and seizures name only lots of the goods
its decision was made on (``inspected_goods``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from hetao.audit.tags import InspectionTag
from hetao.auth.principal import Principal
from hetao.crossing.models import CrossingDecision
from hetao.declarations import repository as declarations_repository
from hetao.engine.facts import consignments_of, facts_from_json
from hetao.errors import FieldProblem, RuleViolation, ValidationFailed
from hetao.inputs import DecimalFault, decimal_fault
from hetao.inspections import access
from hetao.inspections.models import (
    AdjustmentProposal,
    AdjustmentStatus,
    Inspection,
    InspectionPhoto,
    InspectionResult,
    InspectionStatus,
    Seizure,
    record_second_decision,
)
from hetao.inspections.photos import Photo
from hetao.inspections.repository import lock
from hetao.inspections.schemas import clean_text
from hetao.inspections.service import (
    ADJUSTMENT_TRANSITIONS,
    INSPECTION_TRANSITIONS,
    get_decision,
)
from hetao.ledger import repository as ledger_repository
from hetao.ledger import service as ledger
from hetao.ledger.models import Lot
from hetao.storage.types import utcnow
from hetao.workflow import audit_present

#: How long seized goods stay held when the officer names no date. The GACC 2026 No. 20 text on
#: inspections is unpublished (REGIME (d)1), so the API and the CLI let the officer set it.
SEIZURE_HOLD = dt.timedelta(days=90)


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


def _lot(session: Session, lot_id: int, field: str) -> Lot:
    lot = ledger_repository.find_lot(session, lot_id)
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


def inspected_goods(session: Session, decision: CrossingDecision) -> InspectedGoods:
    """The goods of a decision, from its stored facts (the declaration lines the gate saw) and
    the lots those lines concern (an entry's lot exists once the declaration is cleared)."""
    consignments = consignments_of(facts_from_json(decision.inputs).subject)
    declared = {
        (consignment.declaration_id, line.line_no)
        for consignment in consignments
        if consignment.declaration_id is not None
        for line in consignment.lines
    }
    lot_ids: set[int] = set()
    if declared:
        rows = declarations_repository.line_lots(session, {d for d, _ in declared})
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
    photos: Sequence[Photo] = (),
    result_key: str | None = None,
    now: dt.datetime | None = None,
) -> Inspection:
    """Complete the inspection: conforms; a discrepancy proposing adjustments; or a seizure.

    ``photos`` (checked by ``hetao.inspections.photos``) are kept with the result, their
    SHA-256 in its audit event. ``result_key`` is the client's key of this result: the same
    key sent again once the result is recorded changes nothing and answers the inspection.
    """
    user_id = access.officer_id(officer)
    lock(session, inspection)
    access.check_line(officer, inspection.line, f"inspection {inspection.id}")
    if is_recorded(inspection, result_key):
        return inspection  # a replay of the result recorded (a tablet sending it again)
    result = InspectionResult(result)
    notes = clean_text(findings, field="findings", required=result is not InspectionResult.CONFORMS)
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
    INSPECTION_TRANSITIONS.move(inspection, "complete")
    instant = now or utcnow()
    inspection.result = result
    inspection.findings = notes
    inspection.completed_by = user_id
    inspection.completed_at = instant
    inspection.result_key = result_key
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
            reason=clean_text(item.reason, field=f"{field}.reason", required=True),
            status=AdjustmentStatus.PROPOSED,
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
    kept = [
        InspectionPhoto(
            inspection_id=inspection.id,
            content_type=photo.content_type,
            size=photo.size,
            sha256=photo.sha256,
            data=photo.data,
            uploaded_by=user_id,
            created_at=instant,
        )
        for photo in photos
    ]
    session.add_all(kept)
    session.flush()  # ids of the proposals, seizures and photos for the audit events
    audit_present(
        session,
        InspectionTag.INSPECTION_COMPLETE,
        inspection.id,
        officer.actor,
        officer=user_id,
        result=result.value,
        findings=notes,
        adjustments=[p.id for p in proposals] or None,
        holds=[s.hold_id for s in held] or None,
        photos=[
            {"id": p.id, "sha256": p.sha256, "content_type": p.content_type, "size": p.size}
            for p in kept
        ]
        or None,
        result_key=result_key,
    )
    for proposal in proposals:
        audit_present(
            session,
            InspectionTag.ADJUSTMENT_PROPOSE,
            proposal.id,
            officer.actor,
            inspection=inspection.id,
            lot=proposal.lot_id,
            quantity=proposal.quantity,
            reason=proposal.reason,
            proposed_by=user_id,
        )
    return inspection


def is_recorded(inspection: Inspection, result_key: str | None) -> bool:
    """Whether the result sent under ``result_key`` is the one the inspection has recorded."""
    return (
        result_key is not None
        and inspection.status is InspectionStatus.COMPLETED
        and inspection.result_key == result_key
    )


def _second_officer_on(session: Session, proposal: AdjustmentProposal, officer: Principal) -> int:
    """Lock the proposal; the deciding officer's user id, if they may decide it."""
    lock(session, proposal)
    return access.check_decider(
        officer,
        line=proposal.inspection.line,
        proposed_by=proposal.proposed_by,
        subject="adjustment",
        object_id=proposal.id,
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
    user_id = _second_officer_on(session, proposal, officer)
    ADJUSTMENT_TRANSITIONS.check(proposal, "approve")
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
    ADJUSTMENT_TRANSITIONS.move(proposal, "approve")
    proposal.movement_id = movement.id
    record_second_decision(
        proposal,
        by=user_id,
        at=now or utcnow(),
        note=clean_text(note, field="note", required=False),
    )
    audit_present(
        session,
        InspectionTag.ADJUSTMENT_APPROVE,
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
    user_id = _second_officer_on(session, proposal, officer)
    why = clean_text(note, field="note", required=True)
    ADJUSTMENT_TRANSITIONS.move(proposal, "reject")
    record_second_decision(proposal, by=user_id, at=now or utcnow(), note=why)
    audit_present(
        session,
        InspectionTag.ADJUSTMENT_REJECT,
        proposal.id,
        officer.actor,
        inspection=proposal.inspection_id,
        lot=proposal.lot_id,
        proposed_by=proposal.proposed_by,
        rejected_by=user_id,
        note=why,
    )
    return proposal
