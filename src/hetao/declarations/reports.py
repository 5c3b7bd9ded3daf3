"""Declaration reports: the taxes assessed on declarations cleared in a period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from hetao.declarations import repository as declarations_repo
from hetao.ledger.reports import MONEY_ZERO, period_bounds


@dataclass(frozen=True, slots=True)
class TaxRow:
    """Taxes of one party's declarations cleared in the period."""

    party_id: int
    declarations: int
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class TaxReport:
    """Taxes assessed on declarations cleared in a period, by party and tax."""

    period_from: dt.date
    period_to: dt.date
    rows: tuple[TaxRow, ...]

    @property
    def duty(self) -> Decimal:
        return sum((r.duty for r in self.rows), MONEY_ZERO)

    @property
    def consumption_tax(self) -> Decimal:
        return sum((r.consumption_tax for r in self.rows), MONEY_ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((r.vat for r in self.rows), MONEY_ZERO)

    @property
    def total(self) -> Decimal:
        return sum((r.total for r in self.rows), MONEY_ZERO)


def taxes(
    session: Session,
    *,
    period_from: dt.date,
    period_to: dt.date,
    timezone: str,
    party_id: int | None = None,
) -> TaxReport:
    """Sums of the assessments stored by clearance, per party, for declarations cleared then."""
    start, end = period_bounds(period_from, period_to, timezone)
    rows = tuple(
        TaxRow(
            party_id=party,
            declarations=count,
            duty=duty or MONEY_ZERO,
            consumption_tax=consumption or MONEY_ZERO,
            vat=vat or MONEY_ZERO,
            total=total or MONEY_ZERO,
        )
        for party, count, duty, consumption, vat, total in declarations_repo.tax_sums_by_party(
            session, start=start, end=end, party_id=party_id
        )
    )
    return TaxReport(period_from=period_from, period_to=period_to, rows=rows)
