"""Monthly customs exchange rates: the rate of a date's month, or an error naming date/currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib.resources import files

import pytest

from hetao.errors import ValidationFailed
from hetao.reference.rates import RateKind, import_rates, load_rates, month_of

HEADER = "version,month,currency,units,cny,kind"


def table(*rows: str) -> str:
    return "\n".join(["# comment", HEADER, *rows]) + "\n"


def refused(text: str) -> list[tuple[int | None, str, str]]:
    """(line, column, rule) of every problem of the table ``text``."""
    with pytest.raises(ValidationFailed) as caught:
        import_rates(text)
    return [(p.row, p.field, p.rule) for p in caught.value.problems]


class TestShippedSample:
    def test_is_marked_as_sample_rates(self) -> None:
        text = files("hetao.reference").joinpath("data", "exchange_rates_sample.csv")
        assert text.read_text("utf-8").startswith("# SAMPLE RATES")
        rates = load_rates()
        assert rates.kind is RateKind.SAMPLE
        assert rates.is_sample

    def test_has_every_month_of_2026_for_hong_kong_and_macao_dollars(self) -> None:
        rates = load_rates()
        for month in range(1, 13):
            for currency in ("HKD", "MOP", "USD"):
                assert rates.rate(currency, on=dt.date(2026, month, 1)).cny_per_unit > 0


class TestLookup:
    rates = import_rates(
        table(
            "T-1,2026-03,HKD,1,0.9098,sample",
            "T-1,2026-03,JPY,100,4.6931,sample",
            "T-1,2026-04,HKD,1,0.9112,sample",
        )
    )

    def test_a_date_takes_the_rate_of_its_month(self) -> None:
        assert self.rates.rate("HKD", on=dt.date(2026, 3, 1)).cny_per_unit == Decimal("0.9098")
        assert self.rates.rate("hkd", on=dt.date(2026, 3, 31)).cny_per_unit == Decimal("0.9098")
        assert self.rates.rate("HKD", on=dt.date(2026, 4, 1)).cny_per_unit == Decimal("0.9112")

    def test_a_rate_quoted_per_100_units_is_per_unit_exactly(self) -> None:
        assert self.rates.rate("JPY", on=dt.date(2026, 3, 9)).cny_per_unit == Decimal("0.046931")

    def test_a_missing_month_names_the_date(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            self.rates.rate("HKD", on=dt.date(2026, 5, 1))
        (problem,) = caught.value.problems
        assert (problem.field, problem.rule) == ("date", "exchange_rate.month_missing")
        assert "2026-05" in problem.message

    def test_a_missing_currency_names_the_currency(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            self.rates.rate("JPY", on=dt.date(2026, 4, 2), field="lines[1].currency")
        (problem,) = caught.value.problems
        assert (problem.field, problem.rule) == (
            "lines[1].currency",
            "exchange_rate.currency_missing",
        )

    def test_an_unknown_currency_is_refused(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            self.rates.rate("HKX", on=dt.date(2026, 3, 1))
        assert caught.value.problems[0].rule == "iso4217.code"

    def test_month_of(self) -> None:
        assert month_of(dt.date(2026, 1, 31)) == "2026-01"


class TestImport:
    def test_reports_every_bad_row_with_its_line_column_and_rule(self) -> None:
        assert refused(
            table(
                "T-1,2026-13,HKD,1,0.91,sample",
                "T-1,2026-03,HKX,1,0.91,sample",
                "T-1,2026-03,CNY,1,1,sample",
                "T-1,2026-03,USD,10,71.0,sample",
                "T-1,2026-03,EUR,1,0,sample",
                "T-1,2026-03,GBP,1,-9,sample",
                "T-1,2026-03,MOP,1,0.88,estimate",
            )
        ) == [
            (3, "month", "month_format"),
            (4, "currency", "iso4217.code"),
            (5, "currency", "exchange_rate.cny_is_one"),
            (6, "units", "exchange_rate.units"),
            (7, "cny", "must_be_positive"),
            (8, "cny", "must_be_positive"),
            (9, "kind", "rate_kind"),
        ]

    def test_refuses_two_rates_for_one_month_and_currency(self) -> None:
        assert refused(table("T-1,2026-03,HKD,1,0.91,sample", "T-1,2026-03,HKD,1,0.92,sample")) == [
            (4, "currency", "exchange_rate.duplicate")
        ]

    def test_refuses_mixed_kinds_in_one_file(self) -> None:
        assert refused(
            table("T-1,2026-03,HKD,1,0.91,sample", "T-1,2026-04,HKD,1,0.92,official")
        ) == [(4, "kind", "kind.mixed")]
