"""The demo's instruments on loan (issue 20): one lent to the Hong Kong Park and returned, one
away now, one overdue, one unreturned past the grace period and taxed, a Hong Kong instrument
admitted into the zone for a while, and one recorded in error and cancelled by an officer.

The loans are recorded through the loans service and cross at a first-line goods point through
the crossing service, as a gate would post them; the daily job then flags the overdue one and
assesses the taxes of the unreturned one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from hetao.crossing import intake
from hetao.demo.scene import Scene
from hetao.ledger.models import CustomsStatus, Lot
from hetao.loans import service as loans
from hetao.loans.schemas import LoanCancel, LoanCreate
from hetao.profiles import CrossingPoint, Direction, Flow, Line

#: The device the demo's first-line goods gate posts as.
GATE = intake.Device("demo:loan-gate", "demo-loan-gate")
INSTRUMENT_KINDS = frozenset({"instruments", "equipment"})


@dataclass(frozen=True)
class DemoLoan:
    """A loan of the demo: days before today it was recorded, crossed and came back (if it did),
    and its term in days."""

    serial: str
    purpose: str
    recorded: int
    term: int
    out: int
    back: int | None = None


#: Lent to the Hong Kong Park: returned, away, overdue (within the grace period), and taxable
#: (due 70 days ago, past the 30 days' grace).
LOANS_OUT = (
    DemoLoan("SPX-2024-0117", "Joint spectroscopy campaign at HKSTP", 40, 30, 38, 12),
    DemoLoan("SEM-2023-0042", "Imaging of shared graphene samples at HKU", 10, 60, 9),
    DemoLoan("SPX-2024-0118", "Calibration round with the HK Park laboratory", 70, 60, 68),
    DemoLoan("SPX-2024-0119", "Long-term field spectroscopy at the HK Park", 100, 30, 98),
)
#: A Hong Kong instrument admitted for a while: HS 9027.30 (spectrophotometers, hs2022).
LOAN_IN = DemoLoan("HK-UV-3301", "Shared UV-Vis sessions in the Shenzhen Park", 6, 45, 5)


def _gate_point(scene: Scene, day: dt.date) -> CrossingPoint | None:
    """A first-line point open on ``day`` where goods cross both ways."""
    for point in scene.profile.crossing_points:
        opened = point.opens_on is None or point.opens_on <= day
        both = {Direction.INBOUND, Direction.OUTBOUND} <= set(point.directions)
        if point.line is Line.FIRST and Flow.GOODS in point.flows and both and opened:
            return point
    return None


def _instrument_lots(scene: Scene) -> list[Lot]:
    return sorted(
        (
            lot
            for lot in scene.lots.values()
            if lot.goods_kind in INSTRUMENT_KINDS
            and lot.customs_status is CustomsStatus.DUTY_FREE_RESEARCH
            and lot.available >= 1
        ),
        key=lambda lot: lot.id,
    )


def lend_instruments(scene: Scene) -> int:
    """Record the demo's loans and cross them; how many loans were recorded."""
    from hetao.crossing import service as crossing
    from hetao.crossing.schemas import CrossingIn

    lots, partners = _instrument_lots(scene), scene.hong_kong_partners()
    point = _gate_point(scene, scene.today - dt.timedelta(days=max(p.out for p in LOANS_OUT)))
    if not lots or not partners or point is None:
        return 0

    def cross(loan_id: int, serial: str, direction: Direction, days_ago: int) -> None:
        at = scene.instant(scene.today - dt.timedelta(days=days_ago))
        payload = CrossingIn.model_validate(
            {
                "event_id": f"demo-loan-{loan_id}-{direction.value}",
                "crossing_point": point.code,
                "direction": direction.value,
                "occurred_at": at.isoformat(),
                "subject": {"type": "consignment", "loan_id": loan_id, "serial": serial},
            }
        )
        crossing.record_crossing(
            session, payload, device=GATE, profile=scene.profile, seed_key=scene.seed_key,
            actor=scene.actor, now=at + dt.timedelta(seconds=1),
        )  # fmt: skip

    session = scene.session
    recorded = 0
    for index, plan in enumerate((*LOANS_OUT, LOAN_IN)):
        lot = lots[index % len(lots)]
        day = scene.today - dt.timedelta(days=plan.recorded)
        body: dict[str, object] = {
            "hk_party_id": partners[index % len(partners)].id,
            "serial": plan.serial,
            "purpose": plan.purpose,
            "due_on": day + dt.timedelta(days=plan.term),
        }
        if plan is LOAN_IN:
            body |= {
                "direction": "in",
                "hs_code": "9027.30",
                "description": "UV-Vis spectrophotometer",
                "unit": "unit",
                "origin": "JP",
                "customs_value": Decimal("420000.00"),
                "currency": "CNY",
            }
        else:
            body |= {"direction": "out", "lot_id": lot.id}
        loan = loans.record(
            session,
            LoanCreate.model_validate(body),
            zone_party_id=lot.party_id,
            profile=scene.profile,
            today=day,
            actor=scene.actor,
        )
        recorded += 1
        first, back = (
            (Direction.INBOUND, Direction.OUTBOUND)
            if plan is LOAN_IN
            else (Direction.OUTBOUND, Direction.INBOUND)
        )
        cross(loan.id, plan.serial, first, plan.out)
        if plan.back is not None:
            cross(loan.id, plan.serial, back, plan.back)
    loans.flag_overdue(session, day=scene.today, profile=scene.profile, actor=scene.actor)
    # Recorded in error (the wrong instrument), cancelled by an officer before it crossed.
    error = loans.record(
        session,
        LoanCreate.model_validate(
            {
                "direction": "out",
                "lot_id": lots[0].id,
                "hk_party_id": partners[0].id,
                "serial": "SPX-2024-0120",
                "purpose": "Spectroscopy at HKSTP (recorded for the wrong instrument)",
                "due_on": scene.today + dt.timedelta(days=20),
            }
        ),
        zone_party_id=lots[0].party_id,
        profile=scene.profile,
        today=scene.today - dt.timedelta(days=2),
        actor=scene.actor,
    )
    reason = "Recorded for the wrong instrument: the lender lends SPX-2024-0117 instead"
    loans.cancel(session, error, LoanCancel(cancel_reason=reason), actor=scene.actor)
    return recorded + 1
