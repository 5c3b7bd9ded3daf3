"""Inspection and override endpoints under /api/v1: the queue, results, second officers.

Officers of either line and administrators are admitted; the service then lets only officers
of the object's line act on it (administrators on both). Auditors read and change nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from hetao.api.deps import DEFAULT_PAGE_SIZE, CursorQuery, LimitQuery, SessionDep
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.inputs import Id
from hetao.inspections import access, overrides, repository, results, service
from hetao.inspections.models import Inspection, InspectionStatus
from hetao.inspections.schemas import (
    AdjustmentOut,
    AssignIn,
    CrossingPointCode,
    DecisionOverrides,
    InspectedGoodsOut,
    InspectionDetail,
    InspectionOut,
    InspectionResults,
    NoteIn,
    OverrideIn,
    OverrideOut,
    ReasonIn,
    ResultIn,
)

router = APIRouter(route_class=UnitOfWorkRoute)

#: Act on inspections, adjustments and overrides: officers (of the object's line) and admins.
Officers = Annotated[Principal, Depends(Allow(*access.OFFICERS))]
#: Read them: the officers, administrators and auditors.
Readers = Annotated[Principal, Depends(Allow(*access.READERS))]


def _detail(session: Session, inspection: Inspection) -> InspectionDetail:
    decision = service.get_decision(session, inspection.decision_id)
    goods = results.inspected_goods(session, decision)
    return InspectionDetail(
        **dict(InspectionResults.model_validate(inspection)),
        goods=InspectedGoodsOut(carried_goods=goods.carried_goods, lot_ids=sorted(goods.lot_ids)),
    )


# --- inspections --------------------------------------------------------------------------


@router.get("/inspections", tags=["inspections"], summary="The inspection queue")
def list_inspections(
    session: SessionDep,
    _reader: Readers,
    crossing_point: CrossingPointCode | None = None,
    status_: Annotated[InspectionStatus | None, Query(alias="status")] = None,
    assigned_to: Id | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[InspectionOut]:
    """Inspections oldest first; `status=queued&crossing_point=X` is that point's queue."""
    page = repository.page_inspections(
        session,
        crossing_point=crossing_point,
        status=status_,
        assigned_to=assigned_to,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(page, InspectionOut)


@router.get("/inspections/{inspection_id}", tags=["inspections"], summary="Show an inspection")
def get_inspection(inspection_id: Id, session: SessionDep, _reader: Readers) -> InspectionDetail:
    """One inspection with its proposed adjustments and seizures, and the goods it covers."""
    return _detail(session, service.get_inspection(session, inspection_id))


@router.post(
    "/inspections/{inspection_id}/assign",
    tags=["inspections"],
    summary="Assign to an officer (named, or the least loaded of the line)",
)
def assign_inspection(
    inspection_id: Id, session: SessionDep, principal: Officers, body: AssignIn | None = None
) -> InspectionDetail:
    """queued|assigned -> assigned."""
    inspection = service.get_inspection(session, inspection_id, for_update=True)
    service.assign(session, inspection, by=principal, officer_id=body.officer_id if body else None)
    return _detail(session, inspection)


@router.post("/inspections/{inspection_id}/start", tags=["inspections"], summary="Start")
def start_inspection(
    inspection_id: Id, session: SessionDep, principal: Officers
) -> InspectionDetail:
    """assigned -> in_progress, by an officer of the line."""
    inspection = service.get_inspection(session, inspection_id, for_update=True)
    service.start(session, inspection, officer=principal)
    return _detail(session, inspection)


@router.post(
    "/inspections/{inspection_id}/result", tags=["inspections"], summary="Record the result"
)
def record_inspection_result(
    inspection_id: Id, body: ResultIn, session: SessionDep, principal: Officers
) -> InspectionDetail:
    """in_progress -> completed: conforms; discrepancy (proposes adjustments); seizure (holds).

    Adjustments and seizures name only lots of the goods inspected (``goods.lot_ids``):
    ``inspection.lot_not_inspected``, and ``inspection.no_goods_inspected`` when none crossed.
    """
    inspection = service.get_inspection(session, inspection_id, for_update=True)
    results.record_result(
        session,
        inspection,
        officer=principal,
        result=body.result,
        findings=body.findings,
        adjustments=[
            results.ProposedAdjustment(lot_id=a.lot_id, quantity=a.quantity, reason=a.reason)
            for a in body.adjustments
        ],
        seizures=[results.SeizedGoods(lot_id=s.lot_id, quantity=s.quantity) for s in body.seizures],
        held_until=body.held_until,
    )
    return _detail(session, inspection)


# --- the second officer on adjustments -------------------------------------------------------


@router.post(
    "/adjustments/{adjustment_id}/approve",
    tags=["inspections"],
    summary="Approve a proposed ledger adjustment (a second officer) and apply it",
)
def approve_adjustment(
    adjustment_id: Id, session: SessionDep, principal: Officers, body: NoteIn | None = None
) -> AdjustmentOut:
    """proposed -> approved; the ledger's ADJUST movement is posted in the same transaction.

    The lot is checked again against the goods inspected (``inspection.lot_not_inspected``).
    """
    proposal = service.get_adjustment(session, adjustment_id, for_update=True)
    results.approve_adjustment(
        session, proposal, officer=principal, note=body.note if body else None
    )
    return AdjustmentOut.model_validate(proposal)


@router.post(
    "/adjustments/{adjustment_id}/reject",
    tags=["inspections"],
    summary="Reject a proposed ledger adjustment (a second officer)",
)
def reject_adjustment(
    adjustment_id: Id, body: ReasonIn, session: SessionDep, principal: Officers
) -> AdjustmentOut:
    """proposed -> rejected; the ledger is unchanged."""
    proposal = service.get_adjustment(session, adjustment_id, for_update=True)
    results.reject_adjustment(session, proposal, officer=principal, note=body.note)
    return AdjustmentOut.model_validate(proposal)


# --- overrides -----------------------------------------------------------------------------


@router.get(
    "/decisions/{decision_id}/overrides",
    tags=["overrides"],
    summary="A decision's overrides and the outcome in force",
)
def list_overrides(decision_id: Id, session: SessionDep, _reader: Readers) -> DecisionOverrides:
    """The decision's own outcome, its overrides oldest first, and the effective outcome."""
    decision = service.get_decision(session, decision_id)
    return DecisionOverrides(
        decision_id=decision.id,
        outcome=decision.outcome,
        effective_outcome=service.effective_outcome(session, decision_id),
        overrides=[
            OverrideOut.model_validate(o) for o in repository.overrides_of(session, decision_id)
        ],
    )


@router.post(
    "/decisions/{decision_id}/overrides",
    tags=["overrides"],
    status_code=status.HTTP_201_CREATED,
    summary="Override a decision with a reason",
)
def propose_override(
    decision_id: Id, body: OverrideIn, session: SessionDep, principal: Officers
) -> OverrideOut:
    """In force at once (status confirmed), unless it overturns a REFUSE (status proposed)."""
    override = overrides.propose_override(
        session, decision_id, to_outcome=body.to_outcome, reason=body.reason, officer=principal
    )
    return OverrideOut.model_validate(override)


@router.post(
    "/overrides/{override_id}/confirm",
    tags=["overrides"],
    summary="Confirm an override (a second, different officer)",
)
def confirm_override(
    override_id: Id, session: SessionDep, principal: Officers, body: NoteIn | None = None
) -> OverrideOut:
    """proposed -> confirmed: the override's outcome is in force."""
    override = service.get_override(session, override_id, for_update=True)
    overrides.confirm_override(
        session, override, officer=principal, note=body.note if body else None
    )
    return OverrideOut.model_validate(override)


@router.post(
    "/overrides/{override_id}/reject",
    tags=["overrides"],
    summary="Reject an override (a second, different officer)",
)
def reject_override(
    override_id: Id, body: ReasonIn, session: SessionDep, principal: Officers
) -> OverrideOut:
    """proposed -> rejected: the decision stands."""
    override = service.get_override(session, override_id, for_update=True)
    overrides.reject_override(session, override, officer=principal, note=body.note)
    return OverrideOut.model_validate(override)
