"""The second line: goods cleared out to the mainland with their taxes, by local day and party."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hetao.dashboards import repository as repo
from hetao.declarations.models import Declaration, DeclarationLine
from hetao.errors import ValidationFailed
from hetao.ledger.reports import period_bounds

ZERO = Decimal("0.00")
#: The page lists every line: a period longer than this is asked for as the taxes report.
MAX_DAYS = 92


@dataclass(frozen=True, slots=True)
class ExitLine:
    """One line of goods leaving and the taxes assessed on it."""

    declaration: Declaration
    line: DeclarationLine
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class PartyDay:
    """One party's goods cleared out on one local day."""

    day: dt.date
    party_id: int
    lines: tuple[ExitLine, ...]

    @property
    def declarations(self) -> int:
        return len({line.declaration.id for line in self.lines})

    def sum(self, tax: str) -> Decimal:
        return sum((getattr(line, tax) for line in self.lines), ZERO)


def assessed(declaration: Declaration) -> dict[int, dict[str, Any]]:
    """The stored assessment's lines by their index among the declaration's lines."""
    lines = (declaration.assessment or {}).get("lines", [])
    return {int(line["index"]): line for line in lines}


def _money(line: dict[str, Any] | None, tax: str) -> Decimal:
    return Decimal(str(line[tax])) if line and line.get(tax) is not None else ZERO


def exits(
    session: Session,
    *,
    period_from: dt.date,
    period_to: dt.date,
    timezone: str,
    party_id: int | None,
) -> list[PartyDay]:
    """Second-line exits cleared in the period, line by line, grouped by local day and party."""
    if (period_to - period_from).days >= MAX_DAYS:
        raise ValidationFailed.single(
            "to", "period.max_days", f"at most {MAX_DAYS} days; the taxes report takes longer ones"
        )
    start, end = period_bounds(period_from, period_to, timezone)
    zone = ZoneInfo(timezone)
    groups: dict[tuple[dt.date, int], list[ExitLine]] = defaultdict(list)
    for declaration in repo.second_line_exits(session, start=start, end=end, party_id=party_id):
        cleared = declaration.cleared_at or start  # set on every cleared declaration
        day = cleared.astimezone(zone).date()
        taxes = assessed(declaration)
        for index, line in enumerate(declaration.lines):
            found = taxes.get(index)
            groups[day, declaration.party_id].append(
                ExitLine(
                    declaration,
                    line,
                    duty=_money(found, "duty"),
                    consumption_tax=_money(found, "consumption_tax"),
                    vat=_money(found, "vat"),
                    total=_money(found, "total"),
                )
            )
    return [PartyDay(day, party, tuple(lines)) for (day, party), lines in sorted(groups.items())]
