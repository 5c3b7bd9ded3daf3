"""The demo's inspections and overrides: goods crossing against their declarations, inspected
in every state, and officers overriding decisions, one REFUSE overturn awaiting a second officer.

The goods cross first, so the first inspection is the README's: reagent kits carried through
Channel No. 1, in progress with the first first-line officer. Where a decision does not send the
goods to inspection, an officer overrides it, as an officer would to look at a consignment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hetao.auth.principal import Principal
from hetao.crossing import repository as crossing_repository
from hetao.crossing import service as crossing
from hetao.crossing.models import CrossingDecision
from hetao.crossing.schemas import CrossingIn
from hetao.demo.crossings import GATES
from hetao.demo.declarations import CHANNEL_1, HUANGGANG, SECOND_LINE
from hetao.demo.scene import Scene
from hetao.demo.users import OFFICERS
from hetao.engine.facts import Outcome, SubjectType
from hetao.inspections import overrides, results
from hetao.inspections import service as inspections
from hetao.inspections.models import Inspection, InspectionResult, Override
from hetao.inspections.repository import inspection_of
from hetao.profiles import Line

#: Why an officer overturns a gate's refusal, and what the second officer notes confirming or
#: rejecting it, by what crossed.
OVERTURNS = {
    SubjectType.PERSON: (
        "The traveller showed a valid permit at the counter; the gate had no record.",
        "Permit checked with the issuing office.",
        "The permit shown is for another crossing point.",
    ),
    SubjectType.CONSIGNMENT: (
        "The gate read the same truck twice; these goods were released an hour ago.",
        "Same truck, same seals as the first reading.",
        "The seals differ from the first reading.",
    ),
}


def propose(
    scene: Scene,
    decision_id: int,
    *,
    to_outcome: Outcome,
    reason: str,
    officer: Principal,
    now: dt.datetime,
) -> Override:
    """An officer overrides a decision; the scene keeps the override for the summary."""
    override = overrides.propose_override(
        scene.session,
        decision_id,
        to_outcome=to_outcome,
        reason=reason,
        officer=officer,
        now=now,
    )
    scene.overrides.append(override)
    return override


@dataclass
class Gate:
    """Goods presented at the gates, one consignment after another, on one day."""

    scene: Scene
    #: When the last goods crossed: officers act on them in the minutes after.
    clock: dt.datetime
    crossed: int = 0

    def cross(
        self,
        reference: str,
        point: str,
        direction: str,
        *,
        carried: Decimal | None = None,
    ) -> CrossingDecision:
        """The goods of a cleared declaration cross at ``point``: all that is left, or
        ``carried`` of its first line; the gate decides and the decision is stored."""
        scene = self.scene
        declaration = scene.declarations[reference]
        self.crossed += 1
        at = self.clock = self.clock + dt.timedelta(minutes=40)
        consignment: dict[str, Any] = {"type": "consignment", "declaration_id": declaration.id}
        if carried is not None:
            consignment["lines"] = [{"line_no": 1, "quantity": carried}]
        if declaration.hand_carried:
            carrier = scene.carrier_of(declaration.party_id)
            if carrier is not None:
                document = carrier.documents[0]
                consignment["carrier"] = {
                    "document": {"kind": document.kind, "number": document.number}
                }
        payload = CrossingIn.model_validate(
            {
                "event_id": f"demo-goods-{self.crossed:03d}",
                "crossing_point": point,
                "direction": direction,
                "occurred_at": at.isoformat(),
                "subject": consignment,
            }
        )
        event, _ = crossing.record_crossing(
            scene.session,
            payload,
            device=GATES,
            profile=scene.profile,
            seed_key=scene.seed_key,
            actor=scene.actor,
            now=at + dt.timedelta(seconds=40),
        )
        return event.decision

    def officer(self, username: str) -> Principal:
        return self.scene.users.principal(username)

    def later(self, minutes: int) -> dt.datetime:
        """``minutes`` after the last goods crossed, for the officers' steps."""
        return self.clock + dt.timedelta(minutes=minutes)

    def inspect(
        self, reference: str, point: str, direction: str, *, carried: Decimal | None = None
    ) -> Inspection:
        """The goods cross (``cross``) and are inspected: queued by the gate's decision, or by
        an officer's override when the gate let them through."""
        decision = self.cross(reference, point, direction, carried=carried)
        found = inspection_of(self.scene.session, decision.id)
        if found is not None:
            return found
        proposer, second = OFFICERS[Line(decision.event.line)]
        override = propose(
            self.scene,
            decision.id,
            to_outcome=Outcome.INSPECT,
            reason="Targeted check: the officer opens this consignment.",
            officer=self.officer(proposer),
            now=self.later(0),
        )
        if override.decided_by is None and decision.outcome is Outcome.REFUSE:
            # Overturning a REFUSE waits for a second officer (two-person rule).
            overrides.confirm_override(
                self.scene.session, override, officer=self.officer(second), now=self.later(1)
            )
        found = inspection_of(self.scene.session, decision.id)
        assert found is not None  # noqa: S101 (INSPECT in force opens one)
        return found

    def take(self, inspection: Inspection, username: str, *, start: bool = True) -> None:
        """``username`` is assigned the inspection and, with ``start``, begins it."""
        officer = self.officer(username)
        inspections.assign(
            self.scene.session, inspection, by=officer, officer_id=officer.id, now=self.later(5)
        )
        if start:
            inspections.start(self.scene.session, inspection, officer=officer, now=self.later(9))

    def complete(
        self,
        inspection: Inspection,
        username: str,
        result: InspectionResult,
        findings: str | None = None,
        **parts: Any,
    ) -> None:
        results.record_result(
            self.scene.session,
            inspection,
            officer=self.officer(username),
            result=result,
            findings=findings,
            now=self.later(30),
            **parts,
        )


def inspect_goods(scene: Scene) -> None:
    """Goods crossing against their declarations, and an inspection in every state."""
    if not scene.declarations:
        return  # nothing was declared (before the regime): no goods to inspect
    # The goods cross on the last day they could be declared, from eight in the morning.
    gate = Gate(scene, scene.instant(scene.money_day(0), hour=8))
    first, second = OFFICERS[Line.FIRST]
    lot = scene.lot
    # The README's inspection: in progress, the reagent kits (lot 3) among its goods.
    gate.take(gate.inspect("DCL-A-0001", CHANNEL_1, "inbound"), first)
    # Half of B's carried kits wait in the queue; the other half are found without their
    # cold-chain record, and two kits are seized: a hold keeps them in their lot.
    gate.inspect("DCL-B-0004", CHANNEL_1, "inbound", carried=Decimal(6))
    seized = gate.inspect("DCL-B-0004", CHANNEL_1, "inbound")
    gate.take(seized, second)
    gate.complete(
        seized,
        second,
        InspectionResult.SEIZURE,
        "Two kits carry no cold-chain record; seized until the laboratory explains.",
        seizures=[results.SeizedGoods(lot("DCL-B-0004").id, Decimal(2))],
    )
    conforms = gate.inspect("DCL-A-0002", HUANGGANG, "inbound")
    gate.take(conforms, second)
    gate.complete(conforms, second, InspectionResult.CONFORMS)
    _discrepancies(gate)
    # Assigned, not started yet: the next officer's job.
    waiting = gate.inspect("DCL-I-0001", HUANGGANG, "inbound")
    gate.take(waiting, second, start=False)
    _second_line(gate)


def _discrepancies(gate: Gate) -> None:
    """Three discrepancies: an adjustment approved, one rejected, one awaiting a second officer."""
    first, second = OFFICERS[Line.FIRST]
    session, lot = gate.scene.session, gate.scene.lot
    for reference, number, quantity, why, verdict in (
        ("DCL-B-0003", 1, "-0.5", "Short by half a litre against the declaration", "approve"),
        ("DCL-B-0001", 2, "-1", "The chromatograph is missing from the consignment", "reject"),
        ("DCL-A-0003", 1, "1", "One oscilloscope more than declared", None),
    ):
        inspection = gate.inspect(reference, HUANGGANG, "inbound")
        gate.take(inspection, first)
        gate.complete(
            inspection,
            first,
            InspectionResult.DISCREPANCY,
            f"{why}.",
            adjustments=[
                results.ProposedAdjustment(lot(reference, number).id, Decimal(quantity), why)
            ],
        )
        (proposal,) = inspection.adjustments
        if verdict == "approve":
            results.approve_adjustment(
                session, proposal, officer=gate.officer(second), now=gate.later(50)
            )
        elif verdict == "reject":
            results.reject_adjustment(
                session,
                proposal,
                officer=gate.officer(second),
                note="It was unloaded at the annex; the consignment is complete.",
                now=gate.later(50),
            )


def _second_line(gate: Gate) -> None:
    """At the second line: exit goods inspected and found as declared; a domestic entry's
    inspection withdrawn by an override once its documents were checked."""
    first, second = OFFICERS[Line.SECOND]
    exit_goods = gate.inspect("DCL-A-0005", SECOND_LINE, "outbound")
    gate.take(exit_goods, first)
    gate.complete(exit_goods, first, InspectionResult.CONFORMS)
    # The gate reads the same truck again: nothing of its declaration is left to carry, so it
    # refuses; the officers overturn that refusal later (``review_refusals``).
    gate.cross("DCL-A-0005", SECOND_LINE, "outbound")
    entry = gate.inspect("DCL-B-0002", SECOND_LINE, "inbound")
    propose(
        gate.scene,
        entry.decision_id,
        to_outcome=Outcome.RELEASE,
        reason="Invoices and serial numbers checked at the counter; no need to open the crates.",
        officer=gate.officer(second),
        now=gate.later(20),
    )


def review_refusals(scene: Scene) -> None:
    """Officers overturn refusals of the gates: on the first line one awaits a second officer,
    one is confirmed and one rejected; on the second line one is confirmed."""
    officers = {
        line: tuple(scene.users.principal(u) for u in names) for line, names in OFFICERS.items()
    }
    refused = {line: _refusals(scene, line) for line in OFFICERS}
    plans = (
        # (line, proposer, second officer, what the second does)
        (Line.FIRST, 0, 1, None),
        (Line.FIRST, 0, 1, "confirm"),
        (Line.FIRST, 1, 0, "reject"),
        (Line.SECOND, 0, 1, "confirm"),
    )
    for line, proposer, decider, verdict in plans:
        if not refused[line]:
            continue  # no gate of this line refused anyone in the demo's fortnight
        decision = refused[line].pop(0)
        reason, confirmed, rejected = OVERTURNS.get(
            decision.event.subject_type, OVERTURNS[SubjectType.PERSON]
        )
        at = decision.decided_at + dt.timedelta(minutes=12)
        override = propose(
            scene,
            decision.id,
            to_outcome=Outcome.RELEASE,
            reason=reason,
            officer=officers[line][proposer],
            now=at,
        )
        if verdict is not None:
            decide, note = (
                (overrides.confirm_override, confirmed)
                if verdict == "confirm"
                else (overrides.reject_override, rejected)
            )
            decide(
                scene.session,
                override,
                officer=officers[line][decider],
                note=note,
                now=at + dt.timedelta(minutes=5),
            )


def _refusals(scene: Scene, line: Line) -> list[CrossingDecision]:
    """Refused crossings at ``line``'s points, in recording order."""
    points = [p.code for p in scene.profile.crossing_points if p.line is line]
    found = []
    for point in points:
        page = crossing_repository.page_crossings(
            scene.session, crossing_point=point, outcome=Outcome.REFUSE, limit=20
        )
        found += [event.decision for event in page.items]
    return sorted(found, key=lambda decision: decision.id)
