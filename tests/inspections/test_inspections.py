"""Inspections: the queue per crossing point, assignment by workload, results, second officers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hetao.audit.models import AuditEvent
from hetao.auth.principal import Principal, Role
from hetao.engine.facts import Outcome
from hetao.errors import PermissionDenied, RuleViolation, TransitionForbidden, ValidationFailed
from hetao.inspections import results as inspection_results
from hetao.inspections import service
from hetao.inspections.models import (
    AdjustmentProposal,
    AdjustmentStatus,
    Inspection,
    InspectionResult,
    InspectionStatus,
)
from hetao.ledger.models import Hold, HoldStatus, Lot, Movement, MovementKind
from inspections.support import (
    FIRST_POINT,
    GATE,
    SECOND_POINT,
    decided,
    officer,
    tags,
)

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def opened(
    session: Session, point: str = FIRST_POINT, *, minutes: int = 0, carrying: Sequence[Lot] = ()
) -> Inspection:
    decision = decided(session, crossing_point=point, carrying=carrying)
    return service.open_inspection(
        session,
        decision.id,
        crossing_point=point,
        actor=GATE,
        now=T0 + dt.timedelta(minutes=minutes),
    )


def in_progress(
    session: Session, point: str = FIRST_POINT, *, carrying: Sequence[Lot] = ()
) -> Inspection:
    """An inspection under way of a crossing of the goods behind the ``carrying`` lots."""
    role = Role.FIRST_LINE_OFFICER if point == FIRST_POINT else Role.SECOND_LINE_OFFICER
    inspector = officer(session, role)
    inspection = opened(session, point, carrying=carrying)
    service.assign(session, inspection, by=inspector, officer_id=inspector.id)
    service.start(session, inspection, officer=inspector)
    return inspection


class TestQueue:
    def test_an_inspect_decision_opens_one_inspection_and_a_retry_returns_it(
        self, session: Session
    ) -> None:
        decision = decided(session)
        first = service.open_inspection(
            session, decision.id, crossing_point=FIRST_POINT, actor=GATE
        )
        again = service.open_inspection(
            session, decision.id, crossing_point=FIRST_POINT, actor=GATE
        )
        assert again.id == first.id
        assert first.status is InspectionStatus.QUEUED
        assert first.line == "first"
        assert tags(session, "inspection", first.id) == ["crossing:inspection:open"]

    def test_a_crossing_batch_queues_the_inspection_open_inspection_would_open(
        self, session: Session
    ) -> None:
        one, other = decided(session), decided(session)
        by_one = service.open_inspection(
            session, one.id, crossing_point=FIRST_POINT, actor=GATE, now=T0
        )
        [other_id] = service.queue_new_inspections(
            session,
            [service.NewInspection(other.id, FIRST_POINT, "first", T0, GATE, request_id=None)],
        )
        session.flush()
        by_batch = session.get(Inspection, other_id)
        assert by_batch is not None

        def seen(inspection: Inspection) -> tuple[object, ...]:
            return (inspection.status, inspection.line, inspection.crossing_point,
                    inspection.opened_at, inspection.assigned_to)  # fmt: skip

        assert seen(by_batch) == seen(by_one)
        [one_event, other_event] = (
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.tag == "crossing:inspection:open",
                    AuditEvent.subject_id == str(inspection_id),
                )
            ).one()
            for inspection_id in (by_one.id, other_id)
        )
        assert {**other_event.data, "decision": one.id} == one_event.data
        assert (other_event.actor, other_event.subject_type) == (
            one_event.actor,
            one_event.subject_type,
        )

    @pytest.mark.parametrize("outcome", [Outcome.RELEASE, Outcome.REFUSE])
    def test_only_an_inspect_outcome_opens_an_inspection(
        self, session: Session, outcome: Outcome
    ) -> None:
        decision = decided(session, outcome=outcome)
        with pytest.raises(RuleViolation) as refused:
            service.open_inspection(session, decision.id, crossing_point=FIRST_POINT, actor=GATE)
        assert refused.value.problems[0].rule == "inspection.outcome_inspect"

    def test_the_crossing_point_must_be_the_decisions(self, session: Session) -> None:
        decision = decided(session)
        with pytest.raises(ValidationFailed) as refused:
            service.open_inspection(session, decision.id, crossing_point=SECOND_POINT, actor=GATE)
        assert refused.value.problems[0].rule == "inspection.crossing_point"

    def test_the_queue_is_per_crossing_point_oldest_first(self, session: Session) -> None:
        later = opened(session, minutes=5)
        earlier = opened(session, minutes=1)
        elsewhere = opened(session, SECOND_POINT, minutes=0)
        taken = opened(session, minutes=0)
        service.assign(session, taken, by=officer(session), officer_id=officer(session).id)
        queue = service.queue(session, FIRST_POINT)
        assert [i.id for i in queue] == [earlier.id, later.id]
        assert [i.id for i in service.queue(session, SECOND_POINT)] == [elsewhere.id]


class TestAssignment:
    def test_assignment_goes_to_the_officer_with_the_fewest_open_inspections(
        self, session: Session
    ) -> None:
        a, b, c = (officer(session) for _ in range(3))
        on_duty = {a.id, b.id, c.id}
        # a carries two, b one, c none: the next goes to c, then b and c tie (b's id is lower).
        for who, count in ((a, 2), (b, 1)):
            for _ in range(count):
                service.assign(session, opened(session), by=a, officer_id=who.id)
        chosen = []
        for minutes in range(3):
            opened(session, minutes=minutes)
        for _ in range(3):
            got = service.assign_next(session, FIRST_POINT, by=a, on_duty=on_duty)
            assert got is not None
            chosen.append(got.assigned_to)
        assert chosen == [c.id, b.id, c.id]
        assert service.workloads(session, "first", on_duty=on_duty) == {a.id: 2, b.id: 2, c.id: 2}
        assert service.assign_next(session, FIRST_POINT, by=a, on_duty=on_duty) is None

    def test_completed_inspections_no_longer_weigh_on_an_officer(self, session: Session) -> None:
        busy, idle = officer(session), officer(session)
        inspection = opened(session)
        service.assign(session, inspection, by=busy, officer_id=busy.id)
        service.start(session, inspection, officer=busy)
        loads = service.workloads(session, "first", on_duty={busy.id, idle.id})
        assert loads == {busy.id: 1, idle.id: 0}
        inspection_results.record_result(
            session, inspection, officer=busy, result=InspectionResult.CONFORMS
        )
        loads = service.workloads(session, "first", on_duty={busy.id, idle.id})
        assert loads == {busy.id: 0, idle.id: 0}

    def test_a_second_line_point_is_assigned_to_a_second_line_officer(
        self, session: Session
    ) -> None:
        first = officer(session, Role.FIRST_LINE_OFFICER)
        second = officer(session, Role.SECOND_LINE_OFFICER)
        inspection = opened(session, SECOND_POINT)
        service.assign(session, inspection, by=second, on_duty={first.id, second.id})
        assert inspection.assigned_to == second.id

    def test_a_first_line_officer_is_not_named_for_a_second_line_point(
        self, session: Session
    ) -> None:
        first = officer(session, Role.FIRST_LINE_OFFICER)
        second = officer(session, Role.SECOND_LINE_OFFICER)
        inspection = opened(session, SECOND_POINT)
        with pytest.raises(ValidationFailed) as refused:
            service.assign(session, inspection, by=second, officer_id=first.id)
        assert refused.value.problems[0].rule == "inspection.officer_of_line"

    def test_an_officer_of_the_other_line_may_not_assign(self, session: Session) -> None:
        first = officer(session, Role.FIRST_LINE_OFFICER)
        with pytest.raises(PermissionDenied):
            service.assign(session, opened(session, SECOND_POINT), by=first)

    def test_an_inactive_officer_takes_nothing(self, session: Session) -> None:
        only = officer(session)
        with pytest.raises(RuleViolation) as refused:
            service.assign(session, opened(session), by=only, on_duty=set())
        assert refused.value.problems[0].rule == "inspection.officer_available"

    def test_assignment_is_audited_with_how_the_officer_was_chosen(self, session: Session) -> None:
        inspector = officer(session)
        inspection = opened(session)
        service.assign(session, inspection, by=inspector, on_duty={inspector.id})
        assert tags(session, "inspection", inspection.id) == [
            "crossing:inspection:open",
            "crossing:inspection:assign",
        ]


class TestInspectionTransitions:
    """Every verb from every state: allowed where the table says, refused elsewhere."""

    @staticmethod
    def at(session: Session, status: InspectionStatus) -> tuple[Inspection, Principal]:
        inspector = officer(session)
        inspection = opened(session)
        if status is not InspectionStatus.QUEUED:
            inspection.assigned_to = inspector.id
        if status is InspectionStatus.COMPLETED:
            inspection.result = InspectionResult.CONFORMS
            inspection.completed_by = inspector.id
        inspection.status = status
        session.flush()
        return inspection, inspector

    @pytest.mark.parametrize("status", list(InspectionStatus))
    @pytest.mark.parametrize("verb", ["assign", "start", "complete"])
    def test_verb_from_state(self, session: Session, verb: str, status: InspectionStatus) -> None:
        inspection, inspector = self.at(session, status)
        allowed, target = service.INSPECTION_TRANSITIONS[verb]

        def call() -> None:
            if verb == "assign":
                service.assign(session, inspection, by=inspector, officer_id=inspector.id)
            elif verb == "start":
                service.start(session, inspection, officer=inspector)
            else:
                inspection_results.record_result(
                    session,
                    inspection,
                    officer=inspector,
                    result=InspectionResult.CONFORMS,
                )

        if status in allowed:
            call()
            assert inspection.status is target
        else:
            with pytest.raises(TransitionForbidden) as refused:
                call()
            assert refused.value.problems[0].rule == f"inspection.{verb}.allowed_from"
            assert inspection.status is status

    def test_the_table_covers_the_lifecycle(self) -> None:
        reachable = {target for _, target in service.INSPECTION_TRANSITIONS.values()}
        assert reachable | {InspectionStatus.QUEUED} == set(InspectionStatus)


class TestResults:
    def test_a_conforming_inspection_changes_no_ledger(self, session: Session, lot: Lot) -> None:
        inspection = in_progress(session)
        before = lot.balance
        inspection_results.record_result(
            session,
            inspection,
            officer=officer(session),
            result=InspectionResult.CONFORMS,
            findings="Seals intact.",
        )
        assert inspection.status is InspectionStatus.COMPLETED
        assert inspection.result is InspectionResult.CONFORMS
        session.refresh(lot)
        assert lot.balance == before
        assert tags(session, "inspection", inspection.id)[-1] == "crossing:inspection:complete"

    def test_a_discrepancy_adjusts_the_ledger_only_after_a_second_officer_approves(
        self, session: Session, lot: Lot
    ) -> None:
        proposer, approver = officer(session), officer(session)
        inspection = in_progress(session, carrying=[lot])
        inspection_results.record_result(
            session,
            inspection,
            officer=proposer,
            result=InspectionResult.DISCREPANCY,
            findings="Two kits short of the declared ten.",
            adjustments=[
                inspection_results.ProposedAdjustment(lot.id, Decimal("-2"), "Short by 2 kits")
            ],
        )
        (proposal,) = inspection.adjustments
        assert proposal.status is AdjustmentStatus.PROPOSED
        session.refresh(lot)
        assert lot.balance == Decimal("10.000")  # nothing moves on a proposal

        with pytest.raises(RuleViolation) as refused:
            inspection_results.approve_adjustment(session, proposal, officer=proposer)
        assert refused.value.problems[0].rule == "adjustment.second_officer"
        session.refresh(lot)
        assert lot.balance == Decimal("10.000")

        inspection_results.approve_adjustment(
            session, proposal, officer=approver, note="Counted again."
        )
        session.refresh(lot)
        assert lot.balance == Decimal("8.000")
        movement = session.get(Movement, proposal.movement_id)
        assert movement is not None
        assert movement.kind is MovementKind.ADJUST
        assert movement.quantity == Decimal("-2.000")
        assert movement.idempotency_key == f"crossing-adjustment-{proposal.id}"
        assert (proposal.proposed_by, proposal.decided_by) == (proposer.id, approver.id)
        assert tags(session, "adjustment", proposal.id) == [
            "crossing:adjustment:propose",
            "crossing:adjustment:approve",
        ]

    def test_an_approved_adjustment_is_not_approved_again(self, session: Session, lot: Lot) -> None:
        proposal = self.proposed(session, lot, Decimal("1"))
        approver = officer(session)
        inspection_results.approve_adjustment(session, proposal, officer=approver)
        with pytest.raises(TransitionForbidden):
            inspection_results.approve_adjustment(session, proposal, officer=officer(session))
        session.refresh(lot)
        assert lot.balance == Decimal("11.000")
        moved = session.scalars(select(Movement).where(Movement.lot_id == lot.id)).all()
        assert [m.kind for m in moved] == [MovementKind.ADMIT, MovementKind.ADJUST]

    def test_a_rejected_adjustment_leaves_the_ledger_unchanged(
        self, session: Session, lot: Lot
    ) -> None:
        proposal = self.proposed(session, lot, Decimal("-3"))
        inspection_results.reject_adjustment(
            session, proposal, officer=officer(session), note="Recount found all ten."
        )
        session.refresh(lot)
        assert lot.balance == Decimal("10.000")
        assert proposal.status is AdjustmentStatus.REJECTED
        assert proposal.movement_id is None

    def test_the_proposer_may_not_reject_either(self, session: Session, lot: Lot) -> None:
        proposer = officer(session)
        proposal = self.proposed(session, lot, Decimal("-3"), proposer=proposer)
        with pytest.raises(RuleViolation) as refused:
            inspection_results.reject_adjustment(
                session, proposal, officer=proposer, note="changed my mind"
            )
        assert refused.value.problems[0].rule == "adjustment.second_officer"

    def test_the_database_refuses_an_adjustment_decided_by_its_proposer(
        self, session: Session, lot: Lot
    ) -> None:
        proposal = self.proposed(session, lot, Decimal("-1"))
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(
                text(
                    "UPDATE crossing_adjustments SET status = 'rejected', "
                    "decided_by = proposed_by WHERE id = :id"
                ),
                {"id": proposal.id},
            )

    def test_a_seizure_places_a_ledger_hold_on_the_goods(self, session: Session, lot: Lot) -> None:
        inspection = in_progress(session, carrying=[lot])
        until = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        inspection_results.record_result(
            session,
            inspection,
            officer=officer(session),
            result=InspectionResult.SEIZURE,
            findings="Undeclared biological samples.",
            seizures=[inspection_results.SeizedGoods(lot.id, Decimal("4"))],
            held_until=until,
        )
        (seizure,) = inspection.seizures
        hold = session.get(Hold, seizure.hold_id)
        assert hold is not None
        assert hold.status is HoldStatus.PENDING
        assert hold.quantity == Decimal("4.000")
        assert hold.expires_at == until
        assert hold.declaration_ref == f"INSPECTION-{inspection.id}"
        session.refresh(lot)
        assert (lot.balance, lot.reserved, lot.available) == (
            Decimal("10.000"),
            Decimal("4.000"),
            Decimal("6.000"),
        )
        assert tags(session, "hold", hold.id) == ["ledger:hold:place"]

    @pytest.mark.parametrize(
        ("result", "adjust", "seize", "rule"),
        [
            (InspectionResult.DISCREPANCY, False, False, "inspection.discrepancy_adjusts"),
            (InspectionResult.SEIZURE, False, False, "inspection.seizure_names_goods"),
            (InspectionResult.CONFORMS, True, False, "inspection.adjust_on_discrepancy"),
            (InspectionResult.DISCREPANCY, True, True, "inspection.seize_on_seizure"),
        ],
    )
    def test_a_result_carries_exactly_its_own_parts(
        self,
        session: Session,
        lot: Lot,
        result: InspectionResult,
        adjust: bool,
        seize: bool,
        rule: str,
    ) -> None:
        inspection = in_progress(session, carrying=[lot])
        with pytest.raises(ValidationFailed) as refused:
            inspection_results.record_result(
                session,
                inspection,
                officer=officer(session),
                result=result,
                findings="Something is off.",
                adjustments=[inspection_results.ProposedAdjustment(lot.id, Decimal(1), "x")]
                if adjust
                else [],
                seizures=[inspection_results.SeizedGoods(lot.id, Decimal(1))] if seize else [],
            )
        assert rule in {p.rule for p in refused.value.problems}
        assert inspection.status is InspectionStatus.IN_PROGRESS

    def test_a_discrepancy_needs_findings(self, session: Session, lot: Lot) -> None:
        inspection = in_progress(session, carrying=[lot])
        with pytest.raises(ValidationFailed) as refused:
            inspection_results.record_result(
                session,
                inspection,
                officer=officer(session),
                result=InspectionResult.DISCREPANCY,
                adjustments=[
                    inspection_results.ProposedAdjustment(lot.id, Decimal(1), "over by one")
                ],
            )
        assert refused.value.problems[0].field == "findings"

    def test_an_officer_of_the_other_line_may_not_record_a_result(self, session: Session) -> None:
        inspection = in_progress(session)
        with pytest.raises(PermissionDenied):
            inspection_results.record_result(
                session,
                inspection,
                officer=officer(session, Role.SECOND_LINE_OFFICER),
                result=InspectionResult.CONFORMS,
            )

    @staticmethod
    def proposed(
        session: Session, lot: Lot, quantity: Decimal, proposer: Principal | None = None
    ) -> AdjustmentProposal:
        inspection = in_progress(session, carrying=[lot])
        inspection_results.record_result(
            session,
            inspection,
            officer=proposer or officer(session),
            result=InspectionResult.DISCREPANCY,
            findings="Count differs.",
            adjustments=[inspection_results.ProposedAdjustment(lot.id, quantity, "Count differs")],
        )
        return inspection.adjustments[0]


class TestAdjustmentTransitions:
    @pytest.mark.parametrize("status", list(AdjustmentStatus))
    @pytest.mark.parametrize("verb", ["approve", "reject"])
    def test_verb_from_state(
        self, session: Session, lot: Lot, verb: str, status: AdjustmentStatus
    ) -> None:
        proposal = TestResults.proposed(session, lot, Decimal("1"))
        second = officer(session)
        if status is not AdjustmentStatus.PROPOSED:
            decider = officer(session).id
            admission = session.scalars(
                select(Movement.id).where(Movement.lot_id == lot.id)
            ).first()
            proposal.decided_by = decider
            if status is AdjustmentStatus.APPROVED:
                proposal.movement_id = admission
            proposal.status = status
            session.flush()
        allowed, target = service.ADJUSTMENT_TRANSITIONS[verb]

        def call() -> None:
            if verb == "approve":
                inspection_results.approve_adjustment(session, proposal, officer=second)
            else:
                inspection_results.reject_adjustment(session, proposal, officer=second, note="no")

        if status in allowed:
            call()
            assert proposal.status is target
        else:
            with pytest.raises(TransitionForbidden):
                call()
            assert proposal.status is status
