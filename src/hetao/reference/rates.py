"""Monthly customs exchange rates: CNY per unit of a currency, one rate per month and currency.

REGIME (e): customs converts at the People's Bank of China benchmark rate published on the third
Wednesday of the previous month (the next working day if that is a holiday). The table holds, for
each month, the rate applicable during that month (so the row for 2026-03 carries the rate
published in February); a date looks up its own month. Rates are never fetched over the network.

CSV columns: ``version, month (YYYY-MM), currency (ISO 4217), units (1 or 100), cny, kind``;
``cny`` is the price of ``units`` units as the PBoC quotes it (100 JPY), so no one divides by hand.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from hetao.errors import ValidationFailed
from hetao.reference.currencies import check_currency
from hetao.reference.tariff import RateKind, RowReader, packaged_text, read_csv_file, read_records

SAMPLE_RATES = "exchange_rates_sample.csv"
RATE_COLUMNS = ("version", "month", "currency", "units", "cny", "kind")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_UNITS = {"1": 1, "100": 100}


def month_of(day: dt.date) -> str:
    """The ``YYYY-MM`` month a date falls in."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True, slots=True)
class MonthlyRate:
    """The customs rate of one currency for one month."""

    month: str
    currency: str
    units: int
    cny: Decimal
    row: int = 0

    @property
    def cny_per_unit(self) -> Decimal:
        """CNY per one unit of the currency (exact: units is 1 or 100)."""
        return self.cny / self.units


class RateTable:
    """A versioned table of monthly customs rates; look one up with :meth:`rate`."""

    def __init__(
        self, *, version: str, kind: RateKind, rates: Iterable[MonthlyRate], source: str = ""
    ) -> None:
        self.version = version
        self.kind = kind
        self.source = source
        self._rates: dict[tuple[str, str], MonthlyRate] = {}
        self._months: set[str] = set()
        for rate in rates:
            self._rates[rate.month, rate.currency] = rate
            self._months.add(rate.month)

    @property
    def is_sample(self) -> bool:
        """Whether these are illustrative rates, not the PBoC's."""
        return self.kind is RateKind.SAMPLE

    def __len__(self) -> int:
        return len(self._rates)

    def rate(self, currency: str, *, on: dt.date, field: str = "currency") -> MonthlyRate:
        """The rate of ``currency`` for the month of ``on``; ValidationFailed when missing."""
        code = check_currency(currency, field=field)
        month = month_of(on)
        found = self._rates.get((month, code))
        if found is not None:
            return found
        if month not in self._months:
            raise ValidationFailed.single(
                "date",
                "exchange_rate.month_missing",
                f"exchange-rate table {self.version} has no rates for {month} "
                f"(the month of {on.isoformat()}); add that month's rates or give exchange_rates",
            )
        raise ValidationFailed.single(
            field,
            "exchange_rate.currency_missing",
            f"exchange-rate table {self.version} has no {code} rate for {month}; "
            f"give exchange_rates.{code}",
        )


def import_rates(text: str, *, source: str = "<text>") -> RateTable:
    """Validate every row of a rate CSV; raise one ValidationFailed naming row, column, rule."""
    rates, version, kind = read_records(
        text,
        RATE_COLUMNS,
        parse=_rate_row,
        key_of=lambda rate: (rate.month, rate.currency),
        duplicate=lambda rate, line: (
            "currency",
            f"{rate.currency} for {rate.month} is also on line {line}",
        ),
        rule="exchange_rate",
        what="exchange-rate table",
        source=source,
    )
    return RateTable(version=version, kind=kind, rates=rates, source=source)


def _rate_row(read: RowReader) -> MonthlyRate | None:
    before = len(read.problems)
    month = read.text("month")
    if month and not _MONTH.fullmatch(month):
        read.fail("month", "month_format", f"{month!r} is not a month (YYYY-MM)")
    currency = read.text("currency")
    if currency:
        try:
            currency = check_currency(currency)
        except ValidationFailed as error:
            for problem in error.problems:
                read.fail("currency", problem.rule, problem.message)
        else:
            if currency == "CNY":
                read.fail("currency", "exchange_rate.cny_is_one", "CNY converts at 1")
    units_text = read.text("units")
    units = _UNITS.get(units_text)
    if units_text and units is None:
        read.fail("units", "exchange_rate.units", f"{units_text!r}: quote per 1 or per 100 units")
    cny = read.decimal("cny", low=Decimal(0), high=None, high_open=False, rule="must_be_positive")
    if cny is not None and cny == 0:
        read.fail("cny", "must_be_positive", "a rate of 0 would make every value 0")
    if len(read.problems) > before or cny is None or units is None:
        return None
    return MonthlyRate(month=month, currency=currency, units=units, cny=cny, row=read.number)


def load_rates(path: Path | None = None) -> RateTable:
    """The rate table in ``path``, or the shipped sample table when no path is given."""
    if path is None:
        return _sample_rates()
    return import_rates(read_csv_file(path, rule="rates"), source=str(path))


@functools.cache
def _sample_rates() -> RateTable:
    return import_rates(packaged_text(SAMPLE_RATES), source=SAMPLE_RATES)


__all__ = [
    "RATE_COLUMNS",
    "SAMPLE_RATES",
    "MonthlyRate",
    "RateKind",
    "RateTable",
    "import_rates",
    "load_rates",
    "month_of",
]
