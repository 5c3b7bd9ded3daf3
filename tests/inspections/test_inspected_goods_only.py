"""An inspection's result touches only the goods it inspected (issue 15, point 9).

Adjustments and seizures name lots of the consignments the inspected decision was made on:
``inspection.lot_not_inspected`` otherwise, at the proposal and again at the approval; a crossing
that brought no goods (a person on foot) has none to adjust or seize:
``inspection.no_goods_inspected``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossing.events.support import (
    HUANGGANG_GATE,
    event_id,
    person_event,
    record,
    whitelisted_person,
)
from declarations.support import admitted, clear, line, submit
from factories import bearer, make_party
from hetao.audit.service import Actor
from hetao.auth.principal import Principal, Role
from hetao.crossing import rule_sets
from hetao.declarations.kinds import DeclarationKind
from hetao.errors import RuleViolation, ValidationFailed
from hetao.inspections import repository as inspection_repository
from hetao.inspections import results as inspection_results
from hetao.inspections import service
from hetao.inspections.models import (
    AdjustmentProposal,
    AdjustmentStatus,
    Inspection,
    InspectionResult,
    InspectionStatus,
)
from hetao.ledger.models import Hold, Lot
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from hetao.storage.types import utcnow
from inspections.support import GATE, decided, declaration_of, officer

V = "/api/v1"
PROBLEM = "application/problem+json"
Tokens = Callable[..., str]
#: Huanggang is open to everyone: a rule set sends every crossing there to inspection.
POINT = "HUANGGANG"


@pytest.fixture
def other_lot(session: Session, actor: Actor, profile: ZoneProfile) -> Lot:
    """Another party's goods, which no inspection here has seen."""
    return admitted(session, make_party(session, actor), profile, actor, bonded=True)


def inspect_everything_at_huanggang(session: Session, profile: ZoneProfile, actor: Actor) -> None:
    """A rule set under which every crossing at Huanggang is decided INSPECT."""
    rule_sets.add_rule_set(
        session,
        {
            "version": "inspect-all-huanggang",
            "activates_at": (utcnow() - dt.timedelta(days=1)).isoformat(),
            "description": "inspected goods tests",
            "tables": [
                {
                    "name": "point_watch",
                    "description": "every crossing at Huanggang",
                    "hit_policy": "first",
                    "inputs": ["crossing_point"],
                    "rows": [
                        {
                            "when": {"crossing_point": POINT},
                            "outcome": "inspect",
                            "score": 80,
                            "reason": {
                                "code": "risk.point_watch",
                                "en": "Crossing point under watch",
                                "zh-Hant": "口岸重點監管",
                                "zh-Hans": "口岸重点监管",
                            },
                        }
                    ],
                }
            ],
        },
        profile=profile,
        actor=actor,
    )


def crossed(session: Session, profile: ZoneProfile, body: dict[str, Any]) -> Inspection:
    """Record a crossing at Huanggang through the real service; the inspection it opened."""
    event, _ = record(session, profile, body, device=HUANGGANG_GATE)
    inspection = inspection_repository.inspection_of(session, event.decision.id)
    assert inspection is not None, event.decision.outcome
    return inspection


def person_on_foot(session: Session, profile: ZoneProfile, actor: Actor) -> Inspection:
    """The inspection of a whitelisted researcher crossing on foot, carrying no goods."""
    inspect_everything_at_huanggang(session, profile, actor)
    _, _, document = whitelisted_person(session, actor, profile)
    return crossed(session, profile, person_event(document, point=POINT))


def consignment_of(
    session: Session,
    profile: ZoneProfile,
    actor: Actor,
    declaration_id: int,
    direction: str = "inbound",
) -> Inspection:
    """The inspection of goods crossing under ``declaration_id``, as a gate records them."""
    inspect_everything_at_huanggang(session, profile, actor)
    body = {
        "event_id": event_id(),
        "crossing_point": POINT,
        "direction": direction,
        "occurred_at": utcnow().isoformat(),
        "subject": {"type": "consignment", "declaration_id": declaration_id},
    }
    return crossed(session, profile, body)


def inspecting(session: Session, *carrying: Lot) -> Inspection:
    """The queued inspection of a crossing of the goods behind the ``carrying`` lots."""
    decision = decided(session, crossing_point=POINT, carrying=carrying)
    return service.open_inspection(session, decision.id, crossing_point=POINT, actor=GATE)


def under_way(session: Session, inspection: Inspection) -> Principal:
    """Start the inspection; the officer who inspects."""
    inspector = officer(session)
    service.assign(session, inspection, by=inspector, officer_id=inspector.id)
    service.start(session, inspection, officer=inspector)
    return inspector


def discrepancy(
    session: Session, inspection: Inspection, inspector: Principal, *lots: Lot
) -> Inspection:
    return inspection_results.record_result(
        session,
        inspection,
        officer=inspector,
        result=InspectionResult.DISCREPANCY,
        findings="One kit short.",
        adjustments=[
            inspection_results.ProposedAdjustment(lot.id, Decimal(-1), "short") for lot in lots
        ],
    )


def seizure(session: Session, inspection: Inspection, inspector: Principal, lot: Lot) -> Inspection:
    return inspection_results.record_result(
        session,
        inspection,
        officer=inspector,
        result=InspectionResult.SEIZURE,
        findings="Undeclared samples.",
        seizures=[inspection_results.SeizedGoods(lot.id, Decimal(2))],
    )


def proposals(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AdjustmentProposal)) or 0


def holds_on(session: Session, lot: Lot) -> int:
    return session.scalar(select(func.count()).where(Hold.lot_id == lot.id)) or 0


def proposed_before_the_rule(session: Session, inspection: Inspection, lot: Lot) -> None:
    """Complete the inspection, with a proposal to adjust ``lot`` stored as it could be before
    this rule: unchecked."""
    inspector = under_way(session, inspection)
    inspection_results.record_result(
        session, inspection, officer=inspector, result=InspectionResult.CONFORMS
    )
    session.add(
        AdjustmentProposal(
            inspection=inspection,
            lot_id=lot.id,
            quantity=Decimal("-5.000"),
            reason="as stored before the rule",
            status=AdjustmentStatus.PROPOSED,
            proposed_by=inspector.id,
            created_at=utcnow(),
        )
    )
    session.flush()


class TestLotNotInspected:
    def test_inspection_lot_not_inspected_refuses_adjusting_another_partys_lot(
        self, session: Session, lot: Lot, other_lot: Lot
    ) -> None:
        inspection = inspecting(session, lot)
        inspector = under_way(session, inspection)
        before = proposals(session)

        with pytest.raises(RuleViolation) as refused:
            discrepancy(session, inspection, inspector, other_lot)

        (problem,) = refused.value.problems
        assert (problem.field, problem.rule) == (
            "adjustments[0].lot_id",
            "inspection.lot_not_inspected",
        )
        assert f"lot {other_lot.id} " in problem.message
        assert f"(lots: {lot.id})" in problem.message
        assert inspection.status is InspectionStatus.IN_PROGRESS
        assert proposals(session) == before

    def test_inspection_lot_not_inspected_names_only_the_uncovered_lots(
        self, session: Session, lot: Lot, other_lot: Lot
    ) -> None:
        inspection = inspecting(session, lot)
        inspector = under_way(session, inspection)
        with pytest.raises(RuleViolation) as refused:
            discrepancy(session, inspection, inspector, lot, other_lot)
        assert [(p.field, p.rule) for p in refused.value.problems] == [
            ("adjustments[1].lot_id", "inspection.lot_not_inspected")
        ]

    def test_inspection_lot_not_inspected_refuses_seizing_another_partys_lot(
        self, session: Session, lot: Lot, other_lot: Lot
    ) -> None:
        inspection = inspecting(session, lot)
        inspector = under_way(session, inspection)
        with pytest.raises(RuleViolation) as refused:
            seizure(session, inspection, inspector, other_lot)
        assert [(p.field, p.rule) for p in refused.value.problems] == [
            ("seizures[0].lot_id", "inspection.lot_not_inspected")
        ]
        assert holds_on(session, other_lot) == 0
        session.refresh(other_lot)
        assert other_lot.reserved == Decimal(0)

    def test_a_vehicle_with_two_consignments_covers_the_lots_of_both(
        self, session: Session, lot: Lot, other_lot: Lot
    ) -> None:
        inspection = inspecting(session, lot, other_lot)
        decision = service.get_decision(session, inspection.decision_id)
        assert inspection_results.inspected_goods(session, decision).lot_ids == {
            lot.id,
            other_lot.id,
        }
        inspector = under_way(session, inspection)
        discrepancy(session, inspection, inspector, lot, other_lot)
        assert [p.lot_id for p in inspection.adjustments] == [lot.id, other_lot.id]

    def test_the_lot_of_a_consignment_crossing_at_the_gate_is_covered_and_no_other(
        self, session: Session, profile: ZoneProfile, actor: Actor, lot: Lot, other_lot: Lot
    ) -> None:
        inspection = consignment_of(session, profile, actor, declaration_of(session, lot))
        inspector = under_way(session, inspection)
        with pytest.raises(RuleViolation) as refused:
            seizure(session, inspection, inspector, other_lot)
        assert refused.value.problems[0].rule == "inspection.lot_not_inspected"

        seizure(session, inspection, inspector, lot)
        (seized,) = inspection.seizures
        assert seized.lot_id == lot.id

    def test_an_exit_covers_the_lot_its_goods_are_drawn_from(
        self, session: Session, profile: ZoneProfile, actor: Actor, lot: Lot
    ) -> None:
        declarant = session.get(Party, lot.party_id)
        assert declarant is not None
        exit_ = submit(
            session,
            declarant,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_EXIT,
            lines=[line(lot_id=lot.id, quantity="2")],
        )
        clear(session, exit_, profile, actor)  # the gate lets through cleared goods only
        inspection = consignment_of(session, profile, actor, exit_.id, direction="outbound")
        decision = service.get_decision(session, inspection.decision_id)
        assert inspection_results.inspected_goods(session, decision).lot_ids == {lot.id}


class TestNoGoodsInspected:
    def test_inspection_no_goods_inspected_refuses_adjustments_for_a_person_on_foot(
        self, session: Session, profile: ZoneProfile, actor: Actor, other_lot: Lot
    ) -> None:
        inspection = person_on_foot(session, profile, actor)
        inspector = under_way(session, inspection)
        with pytest.raises(RuleViolation) as refused:
            discrepancy(session, inspection, inspector, other_lot)
        assert [(p.field, p.rule) for p in refused.value.problems] == [
            ("adjustments", "inspection.no_goods_inspected")
        ]
        assert inspection.status is InspectionStatus.IN_PROGRESS

    def test_inspection_no_goods_inspected_refuses_seizures_for_a_person_on_foot(
        self, session: Session, profile: ZoneProfile, actor: Actor, other_lot: Lot
    ) -> None:
        inspection = person_on_foot(session, profile, actor)
        inspector = under_way(session, inspection)
        with pytest.raises(RuleViolation) as refused:
            seizure(session, inspection, inspector, other_lot)
        assert [(p.field, p.rule) for p in refused.value.problems] == [
            ("seizures", "inspection.no_goods_inspected")
        ]
        assert holds_on(session, other_lot) == 0

    def test_a_person_on_foot_may_still_be_found_conforming(
        self, session: Session, profile: ZoneProfile, actor: Actor
    ) -> None:
        inspection = person_on_foot(session, profile, actor)
        inspector = under_way(session, inspection)
        inspection_results.record_result(
            session, inspection, officer=inspector, result=InspectionResult.CONFORMS
        )
        assert inspection.result is InspectionResult.CONFORMS

    def test_a_discrepancy_found_on_a_person_is_told_by_its_findings_alone(
        self, session: Session, profile: ZoneProfile, actor: Actor
    ) -> None:
        inspection = person_on_foot(session, profile, actor)
        inspector = under_way(session, inspection)
        before = proposals(session)
        inspection_results.record_result(
            session,
            inspection,
            officer=inspector,
            result=InspectionResult.DISCREPANCY,
            findings="the permit's photograph is not the traveller",
        )
        assert inspection.result is InspectionResult.DISCREPANCY
        assert proposals(session) == before

    def test_a_discrepancy_in_goods_still_names_the_lots_it_corrects(
        self, session: Session, lot: Lot
    ) -> None:
        inspection = inspecting(session, lot)
        inspector = under_way(session, inspection)
        with pytest.raises(ValidationFailed) as refused:
            inspection_results.record_result(
                session,
                inspection,
                officer=inspector,
                result=InspectionResult.DISCREPANCY,
                findings="short",
            )
        assert [p.rule for p in refused.value.problems] == ["inspection.discrepancy_adjusts"]


class TestApprovalChecksAgain:
    """A proposal stored unchecked (before this rule) is refused when approved."""

    def test_inspection_lot_not_inspected_at_approval(
        self, session: Session, lot: Lot, other_lot: Lot
    ) -> None:
        inspection = inspecting(session, lot)
        proposed_before_the_rule(session, inspection, other_lot)
        (proposal,) = inspection.adjustments

        with pytest.raises(RuleViolation) as refused:
            inspection_results.approve_adjustment(session, proposal, officer=officer(session))
        assert [(p.field, p.rule) for p in refused.value.problems] == [
            ("lot_id", "inspection.lot_not_inspected")
        ]
        session.refresh(other_lot)
        assert other_lot.balance == Decimal("10.000")
        assert proposal.status is AdjustmentStatus.PROPOSED

        # A proposal of goods not inspected can still be turned down.
        rejected = inspection_results.reject_adjustment(
            session, proposal, officer=officer(session), note="not ours"
        )
        assert rejected.status is AdjustmentStatus.REJECTED

    def test_inspection_no_goods_inspected_at_approval(
        self, session: Session, profile: ZoneProfile, actor: Actor, other_lot: Lot
    ) -> None:
        inspection = person_on_foot(session, profile, actor)
        proposed_before_the_rule(session, inspection, other_lot)
        (proposal,) = inspection.adjustments
        with pytest.raises(RuleViolation) as refused:
            inspection_results.approve_adjustment(session, proposal, officer=officer(session))
        assert refused.value.problems[0].rule == "inspection.no_goods_inspected"
        session.refresh(other_lot)
        assert other_lot.balance == Decimal("10.000")


def post(client: TestClient, url: str, who: dict[str, str], body: Any = None) -> Any:
    return client.post(url, json=body, headers=who)


class TestOverHttp:
    def start(self, client: TestClient, inspection_id: int, who: dict[str, str]) -> None:
        for verb, body in (("assign", {}), ("start", None)):
            done = post(client, f"{V}/inspections/{inspection_id}/{verb}", who, body)
            assert done.status_code == 200, done.text

    def test_a_person_on_foot_shows_no_goods_and_is_refused_adjustments(
        self,
        anonymous_client: TestClient,
        session: Session,
        profile: ZoneProfile,
        actor: Actor,
        token_for: Tokens,
        other_lot: Lot,
    ) -> None:
        number = person_on_foot(session, profile, actor).id
        session.commit()
        # Huanggang is a first-line point.
        first = bearer(token_for(Role.FIRST_LINE_OFFICER))
        self.start(anonymous_client, number, first)

        shown = anonymous_client.get(f"{V}/inspections/{number}", headers=first)
        assert shown.json()["goods"] == {"carried_goods": False, "lot_ids": []}

        refused = post(
            anonymous_client,
            f"{V}/inspections/{number}/result",
            first,
            {
                "result": "discrepancy",
                "findings": "One kit short.",
                "adjustments": [{"lot_id": other_lot.id, "quantity": "-1", "reason": "short"}],
            },
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == PROBLEM
        assert [e["rule"] for e in refused.json()["errors"]] == ["inspection.no_goods_inspected"]

    def test_inspection_lot_not_inspected_over_http_and_the_covered_lot_is_approved(
        self,
        anonymous_client: TestClient,
        session: Session,
        token_for: Tokens,
        lot: Lot,
        other_lot: Lot,
    ) -> None:
        number = inspecting(session, lot).id
        session.commit()
        first = bearer(token_for(Role.FIRST_LINE_OFFICER))
        second = bearer(token_for(Role.FIRST_LINE_OFFICER))
        self.start(anonymous_client, number, first)
        url = f"{V}/inspections/{number}/result"

        def result(*lot_ids: int) -> Any:
            adjustments = [{"lot_id": i, "quantity": "-1", "reason": "short"} for i in lot_ids]
            body = {"result": "discrepancy", "findings": "short", "adjustments": adjustments}
            return post(anonymous_client, url, first, body)

        refused = result(lot.id, other_lot.id)
        assert refused.status_code == 422, refused.text
        (error,) = refused.json()["errors"]
        assert (error["field"], error["rule"]) == (
            "adjustments[1].lot_id",
            "inspection.lot_not_inspected",
        )

        done = result(lot.id)
        assert done.status_code == 200, done.text
        assert done.json()["goods"] == {"carried_goods": True, "lot_ids": [lot.id]}
        (proposal,) = done.json()["adjustments"]
        approved = post(anonymous_client, f"{V}/adjustments/{proposal['id']}/approve", second)
        assert approved.status_code == 200, approved.text
        session.refresh(lot)
        assert lot.balance == Decimal("9.000")

    def test_inspection_lot_not_inspected_at_approval_over_http(
        self,
        anonymous_client: TestClient,
        session: Session,
        token_for: Tokens,
        lot: Lot,
        other_lot: Lot,
    ) -> None:
        inspection = inspecting(session, lot)
        proposed_before_the_rule(session, inspection, other_lot)
        (proposal,) = inspection.adjustments
        session.commit()
        second = bearer(token_for(Role.FIRST_LINE_OFFICER))

        refused = post(anonymous_client, f"{V}/adjustments/{proposal.id}/approve", second)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["rule"] == "inspection.lot_not_inspected"
        session.refresh(other_lot)
        assert other_lot.balance == Decimal("10.000")
