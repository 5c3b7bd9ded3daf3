"""Officers' overrides of decisions: one officer suffices, but overturning a REFUSE takes two."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hetao.auth.principal import Role
from hetao.engine.facts import Outcome
from hetao.errors import (
    Conflict,
    PermissionDenied,
    RuleViolation,
    TransitionForbidden,
    ValidationFailed,
)
from hetao.inspections import overrides as inspection_overrides
from hetao.inspections import repository as inspection_repository
from hetao.inspections import service
from hetao.inspections.models import InspectionStatus, Override, OverrideStatus
from inspections.support import FIRST_POINT, GATE, SECOND_POINT, decided, officer, tags


class TestOneOfficer:
    def test_one_officer_overrides_inspect_to_release_and_the_inspection_is_withdrawn(
        self, session: Session
    ) -> None:
        decision = decided(session, outcome=Outcome.INSPECT)
        inspection = service.open_inspection(
            session, decision.id, crossing_point=FIRST_POINT, actor=GATE
        )
        override = inspection_overrides.propose_override(
            session,
            decision.id,
            to_outcome=Outcome.RELEASE,
            reason="Consignment verified against the e-ledger at the counter.",
            officer=officer(session),
        )
        assert override.status is OverrideStatus.CONFIRMED
        assert override.decided_by is None  # no second officer was needed
        assert service.effective_outcome(session, decision.id) is Outcome.RELEASE
        assert decision.outcome is Outcome.INSPECT  # the decision itself is kept
        assert inspection.status is InspectionStatus.CANCELLED
        assert tags(session, "override", override.id) == ["crossing:override:propose"]
        assert tags(session, "inspection", inspection.id)[-1] == "crossing:inspection:cancel"

    def test_an_override_to_inspect_queues_an_inspection_again(self, session: Session) -> None:
        decision = decided(session, outcome=Outcome.INSPECT)
        inspection = service.open_inspection(
            session, decision.id, crossing_point=FIRST_POINT, actor=GATE
        )
        first, second = officer(session), officer(session)
        inspection_overrides.propose_override(
            session, decision.id, to_outcome=Outcome.RELEASE, reason="verified", officer=first
        )
        inspection_overrides.propose_override(
            session, decision.id, to_outcome=Outcome.INSPECT, reason="new tip-off", officer=second
        )
        assert inspection.status is InspectionStatus.QUEUED
        assert inspection.assigned_to is None
        assert service.effective_outcome(session, decision.id) is Outcome.INSPECT

    def test_a_release_sent_to_inspection_opens_one(self, session: Session) -> None:
        decision = decided(session, outcome=Outcome.RELEASE)
        inspection_overrides.propose_override(
            session,
            decision.id,
            to_outcome=Outcome.INSPECT,
            reason="Odour from the cold box.",
            officer=officer(session),
        )
        inspection = inspection_repository.inspection_of(session, decision.id)
        assert inspection is not None
        assert inspection.status is InspectionStatus.QUEUED

    def test_an_override_must_change_the_outcome_in_force(self, session: Session) -> None:
        decision = decided(session, outcome=Outcome.RELEASE)
        with pytest.raises(ValidationFailed) as refused:
            inspection_overrides.propose_override(
                session,
                decision.id,
                to_outcome=Outcome.RELEASE,
                reason="same",
                officer=officer(session),
            )
        assert refused.value.problems[0].rule == "override.changes_outcome"

    def test_an_override_needs_a_reason(self, session: Session) -> None:
        decision = decided(session, outcome=Outcome.INSPECT)
        with pytest.raises(ValidationFailed) as refused:
            inspection_overrides.propose_override(
                session,
                decision.id,
                to_outcome=Outcome.RELEASE,
                reason="  ",
                officer=officer(session),
            )
        assert refused.value.problems[0].field == "reason"

    def test_an_officer_of_the_other_line_may_not_override(self, session: Session) -> None:
        decision = decided(session, outcome=Outcome.INSPECT, crossing_point=SECOND_POINT)
        with pytest.raises(PermissionDenied):
            inspection_overrides.propose_override(
                session,
                decision.id,
                to_outcome=Outcome.RELEASE,
                reason="not mine",
                officer=officer(session, Role.FIRST_LINE_OFFICER),
            )


class TestOverturningARefusal:
    def test_overturning_a_refuse_needs_a_second_different_officer(self, session: Session) -> None:
        decision = decided(session, outcome=Outcome.REFUSE)
        proposer, confirmer = officer(session), officer(session)
        override = inspection_overrides.propose_override(
            session,
            decision.id,
            to_outcome=Outcome.RELEASE,
            reason="Entry reinstated this morning; the registry had not caught up.",
            officer=proposer,
        )
        assert override.status is OverrideStatus.PROPOSED
        assert service.effective_outcome(session, decision.id) is Outcome.REFUSE

        with pytest.raises(RuleViolation) as refused:
            inspection_overrides.confirm_override(session, override, officer=proposer)
        assert refused.value.problems[0].rule == "override.second_officer"
        assert service.effective_outcome(session, decision.id) is Outcome.REFUSE

        confirmed = inspection_overrides.confirm_override(
            session, override, officer=confirmer, note="Checked the entry."
        )
        assert confirmed.status is OverrideStatus.CONFIRMED
        assert (override.proposed_by, override.decided_by) == (proposer.id, confirmer.id)
        assert service.effective_outcome(session, decision.id) is Outcome.RELEASE
        session.refresh(decision)
        assert decision.outcome is Outcome.REFUSE  # the original decision is kept as made
        assert tags(session, "override", override.id) == [
            "crossing:override:propose",
            "crossing:override:confirm",
        ]

    def test_a_refusal_overturned_to_inspect_queues_the_inspection_once_confirmed(
        self, session: Session
    ) -> None:
        decision = decided(session, outcome=Outcome.REFUSE)
        override = inspection_overrides.propose_override(
            session,
            decision.id,
            to_outcome=Outcome.INSPECT,
            reason="Let an officer look.",
            officer=officer(session),
        )
        assert inspection_repository.inspection_of(session, decision.id) is None
        inspection_overrides.confirm_override(session, override, officer=officer(session))
        inspection = inspection_repository.inspection_of(session, decision.id)
        assert inspection is not None
        assert inspection.status is InspectionStatus.QUEUED

    def test_a_rejected_override_leaves_the_refusal_in_force(self, session: Session) -> None:
        decision = decided(session, outcome=Outcome.REFUSE)
        override = inspection_overrides.propose_override(
            session,
            decision.id,
            to_outcome=Outcome.RELEASE,
            reason="looks fine",
            officer=officer(session),
        )
        inspection_overrides.reject_override(
            session, override, officer=officer(session), note="Entry is still suspended."
        )
        assert override.status is OverrideStatus.REJECTED
        assert service.effective_outcome(session, decision.id) is Outcome.REFUSE
        assert tags(session, "override", override.id)[-1] == "crossing:override:reject"

    def test_one_override_awaits_its_second_officer_at_a_time(self, session: Session) -> None:
        decision = decided(session, outcome=Outcome.REFUSE)
        inspection_overrides.propose_override(
            session, decision.id, to_outcome=Outcome.RELEASE, reason="a", officer=officer(session)
        )
        with pytest.raises(Conflict) as refused:
            inspection_overrides.propose_override(
                session,
                decision.id,
                to_outcome=Outcome.INSPECT,
                reason="b",
                officer=officer(session),
            )
        assert refused.value.problems[0].rule == "override.one_pending"

    def test_an_officer_may_not_tighten_back_to_refuse_alone_then_release_alone(
        self, session: Session
    ) -> None:
        """Once an override makes REFUSE the outcome in force, releasing takes two again."""
        decision = decided(session, outcome=Outcome.INSPECT)
        inspection_overrides.propose_override(
            session,
            decision.id,
            to_outcome=Outcome.REFUSE,
            reason="fake permit",
            officer=officer(session),
        )
        again = inspection_overrides.propose_override(
            session,
            decision.id,
            to_outcome=Outcome.RELEASE,
            reason="permit is genuine",
            officer=officer(session),
        )
        assert again.from_outcome is Outcome.REFUSE
        assert again.status is OverrideStatus.PROPOSED

    def test_the_database_refuses_a_refusal_overturned_by_one_officer(
        self, session: Session
    ) -> None:
        decision = decided(session, outcome=Outcome.REFUSE)
        proposer = officer(session)
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(
                text(
                    "INSERT INTO crossing_overrides (decision_id, from_outcome, to_outcome, "
                    "reason, status, proposed_by, created_at) VALUES (:d, 'refuse', 'release', "
                    "'alone', 'confirmed', :p, CURRENT_TIMESTAMP)"
                ),
                {"d": decision.id, "p": proposer.id},
            )


class TestOverrideTransitions:
    @pytest.mark.parametrize("status", list(OverrideStatus))
    @pytest.mark.parametrize("verb", ["confirm", "reject"])
    def test_verb_from_state(self, session: Session, verb: str, status: OverrideStatus) -> None:
        decision = decided(session, outcome=Outcome.REFUSE)
        override = inspection_overrides.propose_override(
            session, decision.id, to_outcome=Outcome.RELEASE, reason="r", officer=officer(session)
        )
        second = officer(session)
        if status is not OverrideStatus.PROPOSED:
            override.decided_by = officer(session).id
            override.status = status
            session.flush()
        allowed, target = service.OVERRIDE_TRANSITIONS[verb]

        def call() -> Override:
            if verb == "confirm":
                return inspection_overrides.confirm_override(session, override, officer=second)
            return inspection_overrides.reject_override(
                session, override, officer=second, note="no"
            )

        if status in allowed:
            call()
            assert override.status is target
        else:
            with pytest.raises(TransitionForbidden) as refused:
                call()
            assert refused.value.problems[0].rule == f"override.{verb}.allowed_from"
            assert override.status is status
