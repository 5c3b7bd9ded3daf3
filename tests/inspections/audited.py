"""Scenarios of `hetao.inspections.service` for tests/test_every_write_is_audited.py.

Each scenario sets up what its function needs and returns the call alone; the shared test
observes the call and checks the audit tags named here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.orm import Session

from declarations.support import admitted
from factories import make_party
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.engine.facts import Outcome
from hetao.inspections import overrides as inspection_overrides
from hetao.inspections import photos as inspection_photos
from hetao.inspections import results as inspection_results
from hetao.inspections import service
from hetao.inspections.models import AdjustmentProposal, Inspection, InspectionResult
from hetao.ledger.models import Lot
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow
from inspections.support import FIRST_POINT, GATE, decided, officer


class World(Protocol):
    session: Session
    actor: Actor
    profile: ZoneProfile


Call = Callable[[], object]
Scenario = Callable[[Any], Call]


def _queued(w: World, carrying: Sequence[Lot] = ()) -> Inspection:
    decision = decided(w.session, carrying=carrying)
    return service.open_inspection(w.session, decision.id, crossing_point=FIRST_POINT, actor=GATE)


def _in_progress(w: World, carrying: Sequence[Lot] = ()) -> Inspection:
    inspector = officer(w.session)
    inspection = _queued(w, carrying)
    service.assign(w.session, inspection, by=inspector, officer_id=inspector.id)
    service.start(w.session, inspection, officer=inspector)
    return inspection


def _lot(w: World) -> Lot:
    """Goods admitted by a declaration: a crossing of them covers the lot."""
    return admitted(w.session, make_party(w.session, w.actor), w.profile, w.actor, bonded=True)


def _proposal(w: World) -> AdjustmentProposal:
    lot = _lot(w)
    inspection = _in_progress(w, [lot])
    inspection_results.record_result(
        w.session,
        inspection,
        officer=officer(w.session),
        result=InspectionResult.DISCREPANCY,
        findings="One kit short.",
        adjustments=[inspection_results.ProposedAdjustment(lot.id, Decimal(-1), "short by one")],
    )
    return inspection.adjustments[0]


def scenario_open_inspection(w: World) -> Call:
    decision = decided(w.session)
    return lambda: service.open_inspection(
        w.session, decision.id, crossing_point=FIRST_POINT, actor=GATE
    )


def scenario_queue_new_inspections(w: World) -> Call:
    decision = decided(w.session)
    new = service.NewInspection(
        decision.id, FIRST_POINT, decision.event.line, utcnow(), actor=GATE, request_id=None
    )
    return lambda: service.queue_new_inspections(w.session, [new])


def scenario_assign(w: World) -> Call:
    inspector = officer(w.session)
    inspection = _queued(w)
    return lambda: service.assign(w.session, inspection, by=inspector, on_duty={inspector.id})


def scenario_assign_next(w: World) -> Call:
    inspector = officer(w.session)
    _queued(w)
    return lambda: service.assign_next(w.session, FIRST_POINT, by=inspector, on_duty={inspector.id})


def scenario_start(w: World) -> Call:
    inspector = officer(w.session)
    inspection = _queued(w)
    service.assign(w.session, inspection, by=inspector, officer_id=inspector.id)
    return lambda: service.start(w.session, inspection, officer=inspector)


def scenario_record_result(w: World) -> Call:
    inspection = _in_progress(w)
    inspector = officer(w.session)
    return lambda: inspection_results.record_result(
        w.session, inspection, officer=inspector, result=InspectionResult.CONFORMS
    )


def scenario_record_discrepancy(w: World) -> Call:
    lot = _lot(w)
    inspection = _in_progress(w, [lot])
    inspector = officer(w.session)
    return lambda: inspection_results.record_result(
        w.session,
        inspection,
        officer=inspector,
        result=InspectionResult.DISCREPANCY,
        findings="Two over.",
        adjustments=[
            inspection_results.ProposedAdjustment(lot.id, Decimal(2), "two more than declared")
        ],
    )


def scenario_record_seizure(w: World) -> Call:
    lot = _lot(w)
    inspection = _in_progress(w, [lot])
    inspector = officer(w.session)
    return lambda: inspection_results.record_result(
        w.session,
        inspection,
        officer=inspector,
        result=InspectionResult.SEIZURE,
        findings="Undeclared samples.",
        seizures=[inspection_results.SeizedGoods(lot.id, Decimal(3))],
    )


def scenario_approve_adjustment(w: World) -> Call:
    proposal = _proposal(w)
    second = officer(w.session)
    return lambda: inspection_results.approve_adjustment(w.session, proposal, officer=second)


def scenario_reject_adjustment(w: World) -> Call:
    proposal = _proposal(w)
    second = officer(w.session)
    return lambda: inspection_results.reject_adjustment(
        w.session, proposal, officer=second, note="recount"
    )


def scenario_propose_override(w: World) -> Call:
    decision = decided(w.session)
    service.open_inspection(w.session, decision.id, crossing_point=FIRST_POINT, actor=GATE)
    inspector = officer(w.session)
    return lambda: inspection_overrides.propose_override(
        w.session, decision.id, to_outcome=Outcome.RELEASE, reason="verified", officer=inspector
    )


def scenario_propose_overturning_a_refusal(w: World) -> Call:
    decision = decided(w.session, outcome=Outcome.REFUSE)
    inspector = officer(w.session)
    return lambda: inspection_overrides.propose_override(
        w.session, decision.id, to_outcome=Outcome.RELEASE, reason="reinstated", officer=inspector
    )


def _pending_override(w: World, to: Outcome) -> Any:
    decision = decided(w.session, outcome=Outcome.REFUSE)
    return inspection_overrides.propose_override(
        w.session, decision.id, to_outcome=to, reason="reinstated", officer=officer(w.session)
    )


def scenario_confirm_override(w: World) -> Call:
    override = _pending_override(w, Outcome.INSPECT)
    second = officer(w.session)
    return lambda: inspection_overrides.confirm_override(w.session, override, officer=second)


def scenario_reject_override(w: World) -> Call:
    override = _pending_override(w, Outcome.RELEASE)
    second = officer(w.session)
    return lambda: inspection_overrides.reject_override(
        w.session, override, officer=second, note="no"
    )


def scenario_record_result_with_photos(w: World) -> Call:
    inspection = _in_progress(w)
    inspector = officer(w.session)
    photo = inspection_photos.photo(b"\x89PNG\r\n\x1a\n" + bytes(32), index=0)
    return lambda: inspection_results.record_result(
        w.session,
        inspection,
        officer=inspector,
        result=InspectionResult.CONFORMS,
        photos=[photo],
        result_key="audited-photo-1",
    )


# --- read-only ---------------------------------------------------------------------------


def scenario_is_recorded(w: World) -> Call:
    inspection = _in_progress(w)
    return lambda: inspection_results.is_recorded(inspection, "a-key-never-sent")


def scenario_get_decision(w: World) -> Call:
    decision = decided(w.session)
    return lambda: service.get_decision(w.session, decision.id, for_update=True)


def scenario_inspected_goods(w: World) -> Call:
    decision = decided(w.session)
    return lambda: inspection_results.inspected_goods(w.session, decision)


def scenario_get_inspection(w: World) -> Call:
    inspection = _queued(w)
    return lambda: service.get_inspection(w.session, inspection.id, for_update=True)


def scenario_get_adjustment(w: World) -> Call:
    proposal = _proposal(w)
    return lambda: service.get_adjustment(w.session, proposal.id)


def scenario_get_override(w: World) -> Call:
    override = _pending_override(w, Outcome.RELEASE)
    return lambda: service.get_override(w.session, override.id)


def scenario_effective_outcome(w: World) -> Call:
    override = _pending_override(w, Outcome.RELEASE)
    return lambda: service.effective_outcome(w.session, override.decision_id)


def scenario_queue(w: World) -> Call:
    _queued(w)
    return lambda: service.queue(w.session, FIRST_POINT)


def scenario_workloads(w: World) -> Call:
    officer(w.session, Role.SECOND_LINE_OFFICER)
    return lambda: service.workloads(w.session, "second")


def scenario_least_loaded(w: World) -> Call:
    officer(w.session)
    return lambda: service.least_loaded(w.session, "first")


INSPECTION_WRITES: dict[str, tuple[Scenario, frozenset[str]]] = {
    "inspections.service.open_inspection": (
        scenario_open_inspection,
        frozenset({"crossing:inspection:open"}),
    ),
    "inspections.service.queue_new_inspections": (
        scenario_queue_new_inspections,
        frozenset({"crossing:inspection:open"}),
    ),
    "inspections.service.assign": (scenario_assign, frozenset({"crossing:inspection:assign"})),
    "inspections.service.assign_next": (
        scenario_assign_next,
        frozenset({"crossing:inspection:assign"}),
    ),
    "inspections.service.start": (scenario_start, frozenset({"crossing:inspection:start"})),
    "inspections.results.record_result": (
        scenario_record_result,
        frozenset({"crossing:inspection:complete"}),
    ),
    "inspections.results.approve_adjustment": (
        scenario_approve_adjustment,
        frozenset({"crossing:adjustment:approve", "ledger:movement:adjust"}),
    ),
    "inspections.results.reject_adjustment": (
        scenario_reject_adjustment,
        frozenset({"crossing:adjustment:reject"}),
    ),
    "inspections.overrides.propose_override": (
        scenario_propose_override,
        frozenset({"crossing:override:propose", "crossing:inspection:cancel"}),
    ),
    "inspections.overrides.confirm_override": (
        scenario_confirm_override,
        frozenset({"crossing:override:confirm", "crossing:inspection:open"}),
    ),
    "inspections.overrides.reject_override": (
        scenario_reject_override,
        frozenset({"crossing:override:reject"}),
    ),
}

INSPECTION_OTHER_PATHS: dict[str, tuple[str, Scenario, frozenset[str]]] = {
    "inspections.results.record_result[discrepancy]": (
        "inspections.results.record_result",
        scenario_record_discrepancy,
        frozenset({"crossing:inspection:complete", "crossing:adjustment:propose"}),
    ),
    "inspections.results.record_result[seizure]": (
        "inspections.results.record_result",
        scenario_record_seizure,
        frozenset({"crossing:inspection:complete", "ledger:hold:place"}),
    ),
    "inspections.results.record_result[photos]": (
        "inspections.results.record_result",
        scenario_record_result_with_photos,
        frozenset({"crossing:inspection:complete"}),
    ),
    "inspections.overrides.propose_override[refuse]": (
        "inspections.overrides.propose_override",
        scenario_propose_overturning_a_refusal,
        frozenset({"crossing:override:propose"}),
    ),
}

INSPECTION_READS: dict[str, tuple[str, Scenario]] = {
    "inspections.results.is_recorded": (
        "compares a result's key with the one recorded",
        scenario_is_recorded,
    ),
    "inspections.service.get_decision": (
        "looks a decision up (optionally locking it)",
        scenario_get_decision,
    ),
    "inspections.results.inspected_goods": (
        "reads the lots a decision's goods concern",
        scenario_inspected_goods,
    ),
    "inspections.service.get_inspection": (
        "looks an inspection up (optionally locking it)",
        scenario_get_inspection,
    ),
    "inspections.service.get_adjustment": (
        "looks a proposed adjustment up",
        scenario_get_adjustment,
    ),
    "inspections.service.get_override": ("looks an override up", scenario_get_override),
    "inspections.service.effective_outcome": (
        "computes the outcome in force",
        scenario_effective_outcome,
    ),
    "inspections.service.queue": ("lists a crossing point's queue", scenario_queue),
    "inspections.service.workloads": ("counts open inspections per officer", scenario_workloads),
    "inspections.service.least_loaded": (
        "picks the least-loaded officer, assigns nothing",
        scenario_least_loaded,
    ),
}
