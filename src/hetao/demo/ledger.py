"""The demo's ledger beyond its declarations: one open centralised-declaration period (R10)
with goods crossed under it, lots whose supervision period ends soon (R5), holds and a
correction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.declarations.clearance import ledger_key
from hetao.demo.goods import SCANNING_MICROSCOPE, SPECTROPHOTOMETER
from hetao.demo.scene import Scene
from hetao.demo.users import OFFICERS
from hetao.ledger import repository as ledger_repo
from hetao.ledger import service as ledger
from hetao.ledger.models import CustomsStatus, Hold, MovementKind
from hetao.profiles import Direction, Flow, Line, SupervisionClass, ZoneProfile
from hetao.registry import repository as repo
from hetao.registry.models import PartyKind
from hetao.timeutil import add_months

NON_ENTERPRISE = PartyKind.ST_PRIVATE_NON_ENTERPRISE

#: Goods that crossed under the demo's open centralised period (R10): HS code, what, how many.
DEMO_CENTRALISED_GOODS = (
    ("3822.19", "Diagnostic reagent kit", "12", "kit", "14400.00", "reagents"),
    ("9027.50", "Fluorescence microplate reader", "1", "unit", "86000.00", "instruments"),
    ("3002.90", "Cell culture media (non-biological)", "40", "l", "9200.00", "consumables"),
)


def demo_centralised_period(
    session: Session, *, profile: ZoneProfile, as_of: dt.date, actor: Actor
) -> int | None:
    """One open centralised period (R10) of the first eligible party, from the first of the
    month, with a few goods crossed under it; None where no party is eligible (Hengqin)."""
    from hetao.declarations import centralised
    from hetao.declarations.schemas import CentralisedLineIn, CentralisedPeriodCreate

    starts_on = max(as_of.replace(day=1), profile.effective_from)
    points = [
        p.code
        for p in profile.crossing_points
        if p.line is Line.FIRST and Flow.GOODS in p.flows and Direction.INBOUND in p.directions
    ]
    parties = repo.parties_in_order(session)
    eligible = next(
        (p for p in parties if centralised.eligibility(session, p, on=starts_on) == "active"),
        None,
    )
    if eligible is None or not points:
        return None
    period = centralised.open_period(
        session,
        eligible,
        CentralisedPeriodCreate(
            party_id=eligible.id, crossing_point=points[0], starts_on=starts_on
        ),
        profile=profile,
        actor=actor,
    )
    kinds = {str(k) for k in profile.whitelist.waiver_goods_kinds}
    for hs_code, what, quantity, unit, value, kind in DEMO_CENTRALISED_GOODS:
        if kind not in kinds:
            continue
        line = CentralisedLineIn.model_validate(
            {
                "crossed_on": starts_on,
                "hs_code": hs_code,
                "description": what,
                "quantity": quantity,
                "unit": unit,
                "customs_value": value,
                "currency": "HKD",
                "origin": "HK",
                "goods_kind": kind,
                "research_own_use": True,
            }
        )
        centralised.record_line(session, period, line, profile=profile, actor=actor)
    return period.id


#: Equipment whose R5 supervision period ends within the report's default 90 days, and in how
#: many days: (goods, quantity, days left).
ENDING_SUPERVISION = (
    (SPECTROPHOTOMETER, "1", 12),
    (SCANNING_MICROSCOPE, "1", 41),
    (SPECTROPHOTOMETER, "2", 77),
)


def supervision_ending(scene: Scene) -> None:
    """Lots whose R5 supervision period ends in the coming weeks (the report's first rows).

    The regime is younger than any supervision period (3 years, R5), so no admission under it
    ends one before 2029: these lots are opened through the ledger's own ``admit``, dated as
    if they had been admitted three years ago (a declaration cannot be dated before the regime).
    """
    holders = [scene.institution(), scene.enterprises()[0], *scene.whitelisted(NON_ENTERPRISE)]
    years = scene.profile.supervision_periods.years_for(SupervisionClass.OTHER)
    for index, (goods, quantity, days_left) in enumerate(ENDING_SUPERVISION):
        party = holders[index % len(holders)]
        ends_on = scene.today + dt.timedelta(days=days_left)
        admitted_on = add_months(ends_on, -12 * years)
        reference = f"DEMO-R5-{admitted_on:%Y%m%d}-{index + 1}"
        lot = ledger.admit(
            scene.session,
            party,
            hs_code=goods.hs_code,
            description=goods.description,
            unit=goods.unit,
            quantity=Decimal(quantity),
            origin=goods.origin,
            goods_kind=goods.goods_kind,
            customs_status=CustomsStatus.DUTY_FREE_RESEARCH,
            customs_value=goods.value_of(Decimal(quantity)),
            currency=goods.currency,
            admission_ref=reference,
            admitted_on=admitted_on,
            idempotency_key=reference,
            profile=scene.profile,
            actor=scene.actor,
        )
        scene.lots[lot.id] = lot


def holds_and_corrections(scene: Scene) -> None:
    """Holds that ended both ways, and a correction: goods held for a check, then released
    (voided) or destroyed (posted); a stocktake shortage undone by its reversal."""
    if not scene.declarations:
        return  # nothing was declared (before the regime): nothing to hold
    officer = scene.actor_of(OFFICERS[Line.FIRST][1])
    held_at = scene.instant(scene.money_day(1), hour=15)

    def held(reference: str, quantity: int, key: str, reason: str) -> Hold:
        placed = ledger.hold(
            scene.session,
            scene.lot(reference),
            quantity=Decimal(quantity),
            expires_at=held_at + dt.timedelta(days=7),
            idempotency_key=key,
            actor=officer,
            reason=reason,
            now=held_at,
        )
        scene.holds.append(placed)
        return placed

    released = held(
        "DCL-B-0004", 2, "demo-hold-cold-chain", "Held for a check of the cold chain at the lab."
    )
    ledger.void(
        scene.session,
        released,
        actor=officer,
        reason="The cold chain was kept: the kits are released.",
        now=held_at + dt.timedelta(hours=3),
    )
    leaking = held("DCL-B-0003", 5, "demo-hold-leaking", "Five litres in leaking containers, held.")
    ledger.post(
        scene.session,
        leaking,
        kind=MovementKind.DESTROY,
        idempotency_key="demo-hold-leaking-destroyed",
        actor=officer,
        reason="Leaking containers destroyed under customs supervision.",
        now=held_at + dt.timedelta(hours=2),
    )
    shortage = ledger_repo.movement_by_key(
        scene.session,
        party_id=scene.enterprises()[0].id,
        key=ledger_key("DCL-A-0009", 1),
    )
    assert shortage is not None  # noqa: S101 (the stocktake adjustment was cleared)
    ledger.reverse(
        scene.session,
        shortage,
        reason="The missing copy was on loan to the partner laboratory: no shortage.",
        idempotency_key="demo-reverse-stocktake",
        actor=officer,
    )
