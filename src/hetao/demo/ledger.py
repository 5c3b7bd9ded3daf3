"""The demo's ledger: one open centralised-declaration period (R10) with goods crossed under it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.profiles import Direction, Flow, Line, ZoneProfile
from hetao.registry import repository as repo

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
