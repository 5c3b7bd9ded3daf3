"""Known figures for the dashboard tests: crossings, inspections, lots and declarations put in
directly, at instants chosen around a fixed "now" of the zone."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.auth.principal import Principal
from hetao.crossing.models import CrossingDecision
from hetao.dashboards.service import Clock
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration, DeclarationLine, DeclarationStatus
from hetao.engine.facts import Outcome
from hetao.inspections.models import Inspection, InspectionResult, InspectionStatus
from hetao.ledger.models import CustomsStatus, Lot
from hetao.profiles import ZoneProfile
from inspections.support import decided

_serial = itertools.count(1)
#: Now, for every test here: 12:30 at the zone (UTC+8) on 20 November 2026.
NOW = dt.datetime(2026, 11, 20, 4, 30, tzinfo=dt.UTC)


def clock(profile: ZoneProfile) -> Clock:
    return Clock.of(profile, NOW)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An instant given at the zone's local time (UTC+8)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC) - dt.timedelta(
        hours=8
    )


def crossing(
    session: Session,
    at: dt.datetime,
    outcome: Outcome,
    *,
    point: str = "FBZ_CHANNEL_1",
    rules: tuple[str, ...] = (),
    lane: str | None = None,
) -> CrossingDecision:
    """A decided crossing at ``point``; ``rules`` become its reasons."""
    decision = decided(session, outcome=outcome, crossing_point=point, occurred_at=at)
    decision.reasons = [
        {"code": f"test.{rule}", "rule": rule, "params": {}, "text": {}} for rule in rules
    ]
    if lane is not None:
        decision.lane = lane
    session.flush()
    return decision


def inspection(
    session: Session,
    decision: CrossingDecision,
    officer: Principal,
    *,
    status: InspectionStatus,
    result: InspectionResult | None = None,
    opened_at: dt.datetime = NOW,
    wait: dt.timedelta | None = None,
) -> Inspection:
    """An inspection of ``decision`` in ``status``; started ``wait`` after it was opened."""
    taken = status is not InspectionStatus.QUEUED
    started = opened_at + wait if wait is not None else None
    row = Inspection(
        decision_id=decision.id,
        crossing_point=decision.crossing_point,
        line=decision.event.line,
        status=status,
        assigned_to=officer.id if taken else None,
        started_by=officer.id if started else None,
        completed_by=officer.id if status is InspectionStatus.COMPLETED else None,
        result=result,
        opened_at=opened_at,
        assigned_at=opened_at if taken else None,
        started_at=started,
        completed_at=(started or opened_at) if status is InspectionStatus.COMPLETED else None,
    )
    session.add(row)
    session.flush()
    return row


def lot(session: Session, party_id: int, hs_code: str, status: CustomsStatus, balance: str) -> Lot:
    row = Lot(
        party_id=party_id,
        hs_code=hs_code,
        description="test goods",
        unit="kg",
        origin="DE",
        goods_kind="samples",
        customs_status=status,
        customs_value=Decimal("100.00"),
        currency="CNY",
        admission_ref=f"ADM-{next(_serial)}",
        admitted_on=NOW.date(),
        initial_quantity=Decimal("10"),
        balance=Decimal(balance),
    )
    session.add(row)
    session.flush()
    return row


def cleared(
    session: Session,
    party_id: int,
    at: dt.datetime,
    line_taxes: list[tuple[str, str, str]],
    *,
    kind: DeclarationKind = DeclarationKind.SECOND_LINE_EXIT,
) -> Declaration:
    """A declaration cleared at ``at`` with one line per (duty, consumption tax, VAT)."""
    n = next(_serial)
    lines: list[dict[str, Any]] = []
    for index, (duty, consumption, vat) in enumerate(line_taxes):
        total = Decimal(duty) + Decimal(consumption) + Decimal(vat)
        lines.append(
            {
                "index": index,
                "duty": duty,
                "consumption_tax": consumption,
                "vat": vat,
                "total": str(total),
            }
        )
    sums = [
        sum((Decimal(line[tax]) for line in lines), Decimal(0))
        for tax in ("duty", "consumption_tax", "vat", "total")
    ]
    declaration = Declaration(
        party_id=party_id,
        reference=f"SL-{n}",
        kind=kind,
        status=DeclarationStatus.CLEARED,
        crossing_point="SL_GOODS",
        declared_on=at.date(),
        content_hash="0" * 64,
        assessment={"lines": lines},
        duty=sums[0],
        consumption_tax=sums[1],
        vat=sums[2],
        tax_total=sums[3],
        submitted_by="test",
        cleared_at=at,
        lines=[
            DeclarationLine(
                line_no=index + 1,
                hs_code="90121000",
                description=f"microscope part {index + 1}",
                quantity=Decimal("2"),
                unit="set",
                customs_value=Decimal("1000.00"),
                currency="CNY",
                origin="DE",
                goods_kind="instruments",
                customs_status=CustomsStatus.BONDED,
            )
            for index in range(len(line_taxes))
        ],
    )
    session.add(declaration)
    session.flush()
    return declaration
