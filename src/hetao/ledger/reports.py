"""E-ledger reports: statement per lot, stocktake reconciliation, supervision periods ending.

Queries in the repository, then pure formatting. Periods are whole local days at the zone,
[from, to].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hetao.errors import ValidationFailed
from hetao.ledger import repository as ledger_repo
from hetao.ledger.models import (
    DEPOSIT_KINDS,
    WITHDRAWAL_KINDS,
    CustomsStatus,
    Lot,
    MovementKind,
)
from hetao.profiles import ZoneProfile
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff
from hetao.registry.models import BENEFICIARY_KINDS, Party
from hetao.storage.types import utcnow
from hetao.tax import assess, parse_request

ZERO = Decimal("0.000")
MONEY_ZERO = Decimal("0.00")
FEN = Decimal("0.01")
RATIO_PLACES = Decimal("0.000001")
MAX_REPORT_DAYS = 3660
#: 19 CFR 146.23: adjustments are the corrections; a reversal is one, as is a stocktake entry.
ADJUSTMENT_KINDS = frozenset({MovementKind.ADJUST, MovementKind.REVERSAL})


def _midnight(day: dt.date, timezone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZoneInfo(timezone))


def period_bounds(
    period_from: dt.date, period_to: dt.date, timezone: str
) -> tuple[dt.datetime, ...]:
    if period_to < period_from:
        raise ValidationFailed.single("to", "period.ordered", "must not be before from")
    if (period_to - period_from).days > MAX_REPORT_DAYS:
        raise ValidationFailed.single("to", "period.max_days", "a period is at most ten years")
    return _midnight(period_from, timezone), _midnight(period_to + dt.timedelta(days=1), timezone)


# --- (a) statement ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One lot over the period (19 CFR 146.23): closing = opening + receipts - removals + adj."""

    lot_id: int
    hs_code: str
    description: str
    unit: str
    customs_status: CustomsStatus
    admission_ref: str
    opening: Decimal
    receipts: Decimal
    removals: Decimal
    adjustments: Decimal
    closing: Decimal
    #: The ledger's own balance at the end of the period, from an independent query.
    balance_at_end: Decimal
    balanced: bool


@dataclass(frozen=True, slots=True)
class Statement:
    """A party's e-ledger statement for a period."""

    party_id: int
    period_from: dt.date
    period_to: dt.date
    lots: tuple[StatementLine, ...]

    @property
    def balanced(self) -> bool:
        """Whether every lot's closing equals the ledger's balance."""
        return all(line.balanced for line in self.lots)


def _total(
    by: dict[tuple[bool, MovementKind], Decimal],
    kinds: frozenset[MovementKind],
    *,
    prior: bool,
) -> Decimal:
    return sum((v for (p, k), v in by.items() if p is prior and k in kinds), ZERO)


def statement(
    session: Session,
    party_id: int,
    *,
    period_from: dt.date,
    period_to: dt.date,
    timezone: str,
) -> Statement:
    """Per lot: opening, receipts, removals, adjustments, closing, checked against the ledger."""
    start, end = period_bounds(period_from, period_to, timezone)
    sums = ledger_repo.sums_by_lot(session, party_id, start, end)
    lots = ledger_repo.lots_by_id(session, sums)
    ended = end <= utcnow()
    lines = []
    for lot_id in sorted(sums):
        by = sums[lot_id]
        opening = _total(by, frozenset(MovementKind), prior=True)
        receipts = _total(by, DEPOSIT_KINDS, prior=False)
        removals = -_total(by, WITHDRAWAL_KINDS, prior=False)
        adjustments = _total(by, ADJUSTMENT_KINDS, prior=False)
        if opening == 0 and not any(not p for p, _ in by):
            continue  # emptied before the period and untouched in it
        closing = opening + receipts - removals + adjustments
        lot = lots[lot_id]
        # Before the end date: the balance as of that day; after it: also the stored balance.
        at_end = ledger_repo.balance_as_of(session, lot_id, period_to, timezone=timezone)
        balanced = closing == at_end and (ended or closing == lot.balance)
        lines.append(
            StatementLine(
                lot_id=lot_id,
                hs_code=lot.hs_code,
                description=lot.description,
                unit=lot.unit,
                customs_status=lot.customs_status,
                admission_ref=lot.admission_ref,
                opening=opening,
                receipts=receipts,
                removals=removals,
                adjustments=adjustments,
                closing=closing,
                balance_at_end=at_end,
                balanced=balanced,
            )
        )
    return Statement(
        party_id=party_id, period_from=period_from, period_to=period_to, lots=tuple(lines)
    )


# --- (b) stocktake reconciliation --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """A counted lot against the ledger; flagged past both profile thresholds (R31 analogue)."""

    lot_id: int
    hs_code: str
    unit: str
    customs_status: CustomsStatus
    ledger: Decimal
    counted: Decimal
    difference: Decimal
    #: |difference| / ledger balance; None when the ledger holds nothing (any count differs).
    ratio: Decimal | None
    duty_at_stake_cny: Decimal
    finding: str
    flagged: bool


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """A stocktake reconciled lot by lot."""

    party_id: int
    counted_on: dt.date
    ratio_threshold: Decimal
    duty_threshold_cny: Decimal
    lots: tuple[Discrepancy, ...]

    @property
    def flagged(self) -> int:
        """How many lots need a discrepancy report."""
        return sum(1 for lot in self.lots if lot.flagged)


def duty_at_stake(
    party: Party,
    lot: Lot,
    quantity: Decimal,
    *,
    on: dt.date,
    profile: ZoneProfile,
    tariff: Tariff,
    rates: RateTable,
) -> Decimal:
    """The duty on goods missing from (or extra to) a lot, as if they entered the mainland."""
    value = (lot.customs_value * quantity / lot.initial_quantity).quantize(FEN, ROUND_HALF_UP)
    request = parse_request(
        {
            "movement": "second_line_exit",
            "date": on.isoformat(),
            "declarant": {
                "beneficiary": party.kind in BENEFICIARY_KINDS,
                "kind": party.kind.value,
            },
            "lines": [
                {
                    "hs_code": lot.hs_code,
                    "quantity": quantity,
                    "unit": lot.unit.lower(),
                    "customs_value": value,
                    "currency": lot.currency,
                    "origin": lot.origin,
                    "status": lot.customs_status.value,
                }
            ],
        }
    )
    assessment = assess(request, profile, tariff=tariff, rates=rates)
    # One line: the de minimis relief is this line's, and the threshold compares the full duty.
    return assessment.lines[0].duty + assessment.de_minimis.duty_waived


def reconcile(
    session: Session,
    party: Party,
    counts: Sequence[tuple[int, Decimal]],
    *,
    counted_on: dt.date,
    profile: ZoneProfile,
    tariff: Tariff,
    rates: RateTable,
) -> Reconciliation:
    """Compare counted quantities with the stored balances; flag past ratio AND duty (R31)."""
    limits = profile.goods.stocktake_discrepancy
    seen: set[int] = set()
    found = []
    for index, (lot_id, counted) in enumerate(counts):
        at = f"counts[{index}]"
        lot = ledger_repo.find_lot(session, lot_id)
        if lot is None or lot.party_id != party.id:
            raise ValidationFailed.single(
                f"{at}.lot_id", "declaration.own_lot", "must name a lot of the party"
            )
        if lot_id in seen:
            raise ValidationFailed.single(
                f"{at}.lot_id", "reconciliation.lot_once", "is counted twice"
            )
        seen.add(lot_id)
        difference = counted - lot.balance
        if difference == 0:
            ratio: Decimal | None = Decimal(0)
            duty, finding, flagged = MONEY_ZERO, "none", False
        else:
            missing = abs(difference)
            ratio = (
                (missing / lot.balance).quantize(RATIO_PLACES, ROUND_DOWN) if lot.balance else None
            )
            duty = duty_at_stake(
                party, lot, missing, on=counted_on, profile=profile, tariff=tariff, rates=rates
            )
            finding = "shortage" if difference < 0 else "overage"
            # Compared without division, so a ratio a hair under the limit never rounds up.
            flagged = missing >= limits.ratio * lot.balance and duty >= limits.duty_cny
        found.append(
            Discrepancy(
                lot_id=lot.id,
                hs_code=lot.hs_code,
                unit=lot.unit,
                customs_status=lot.customs_status,
                ledger=lot.balance,
                counted=counted,
                difference=difference,
                ratio=ratio,
                duty_at_stake_cny=duty,
                finding=finding,
                flagged=flagged,
            )
        )
    return Reconciliation(
        party_id=party.id,
        counted_on=counted_on,
        ratio_threshold=limits.ratio,
        duty_threshold_cny=limits.duty_cny,
        lots=tuple(found),
    )


# --- (c) supervision periods ending -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupervisionEnding:
    """A lot still holding goods whose R5 supervision period ends soon."""

    lot_id: int
    party_id: int
    hs_code: str
    description: str
    goods_kind: str
    balance: Decimal
    supervision_ends_on: dt.date
    days_left: int


def supervision_ending(
    session: Session, *, today: dt.date, days: int, party_id: int | None = None
) -> list[SupervisionEnding]:
    """Lots with goods whose supervision ends within ``days`` days from ``today``, soonest first."""
    if not 0 <= days <= MAX_REPORT_DAYS:
        raise ValidationFailed.single("days", "report.days_range", f"must be 0-{MAX_REPORT_DAYS}")
    lots = ledger_repo.supervision_ending(
        session, first_day=today, last_day=today + dt.timedelta(days=days), party_id=party_id
    )
    return [
        SupervisionEnding(
            lot_id=lot.id,
            party_id=lot.party_id,
            hs_code=lot.hs_code,
            description=lot.description,
            goods_kind=lot.goods_kind,
            balance=lot.balance,
            supervision_ends_on=ends,
            days_left=(ends - today).days,
        )
        for lot in lots
        if (ends := lot.supervision_ends_on) is not None
    ]
