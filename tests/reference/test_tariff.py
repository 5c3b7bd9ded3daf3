"""The tariff table: imported from CSV row by row, looked up by the most specific code on a date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest

from hetao.errors import ValidationFailed
from hetao.reference.hs import check_hs_code
from hetao.reference.tariff import RateKind, import_tariff, load_tariff

HEADER = (
    "version,code,valid_from,duty_rate,specific_duty_cny,specific_duty_unit,"
    "consumption_tax_rate,vat_rate,kind,description"
)
MARCH = dt.date(2026, 3, 15)


def table(*rows: str) -> str:
    return "\n".join(["# a comment line", HEADER, *rows]) + "\n"


def refused(text: str) -> list[tuple[int | None, str, str]]:
    """(line, column, rule) of every problem of the table ``text``."""
    with pytest.raises(ValidationFailed) as caught:
        import_tariff(text)
    return [(p.row, p.field, p.rule) for p in caught.value.problems]


class TestShippedSample:
    def test_is_marked_as_sample_rates_in_its_header_its_name_and_its_rows(self) -> None:
        text = files("hetao.reference").joinpath("data", "tariff_sample.csv").read_text("utf-8")
        assert text.startswith("# SAMPLE RATES - not the Customs Tariff of the PRC")
        tariff = load_tariff()
        assert tariff.kind is RateKind.SAMPLE
        assert tariff.is_sample
        assert tariff.version.startswith("SAMPLE")

    def test_every_code_is_a_real_hs_2022_code(self) -> None:
        tariff = load_tariff()
        assert len(tariff) >= 15
        for row in tariff:
            assert check_hs_code(row.code) == row.code

    def test_covers_research_goods_and_a_car_with_consumption_tax(self) -> None:
        tariff = load_tariff()
        car = tariff.rate_for("8703.23", on=MARCH)
        assert car.consumption_tax_rate > 0
        for code in ("9027.81", "3822.19", "8421.19", "8543.70", "4901.99"):
            assert tariff.rate_for(code, on=MARCH).vat_rate in {Decimal("0.13"), Decimal("0.09")}


class TestLookup:
    tariff = import_tariff(
        table(
            "T-1,9027,2026-01-01,0.05,,,,0.13,sample,heading",
            "T-1,902781,2026-01-01,0.03,,,,0.13,sample,subheading",
            "T-1,902781,2026-07-01,0.02,,,,0.13,sample,subheading cut in July",
            "T-1,90278100,2026-01-01,0.01,,,,0.13,sample,national line",
        )
    )

    def test_takes_the_most_specific_code_prefix(self) -> None:
        assert self.tariff.rate_for("9027810000", on=MARCH).code == "90278100"
        assert self.tariff.rate_for("902781", on=MARCH).code == "902781"
        assert self.tariff.rate_for("9027.90", on=MARCH).code == "9027"

    def test_takes_the_row_in_force_on_the_date(self) -> None:
        assert self.tariff.rate_for("902781", on=dt.date(2026, 6, 30)).duty_rate == Decimal("0.03")
        assert self.tariff.rate_for("902781", on=dt.date(2026, 7, 1)).duty_rate == Decimal("0.02")

    def test_refuses_a_date_before_any_row(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            self.tariff.rate_for("902781", on=dt.date(2025, 12, 31))
        assert caught.value.problems[0].rule == "tariff.no_rate"

    def test_refuses_a_code_the_table_lacks_naming_the_field(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            self.tariff.rate_for("847130", on=MARCH, field="lines[2].hs_code")
        (problem,) = caught.value.problems
        assert (problem.field, problem.rule) == ("lines[2].hs_code", "tariff.no_rate")

    def test_refuses_a_code_not_in_hs_2022(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            self.tariff.rate_for("999999", on=MARCH)
        assert caught.value.problems[0].rule == "hs2022.unknown_subheading"


class TestImport:
    def test_reads_specific_duty_and_consumption_tax(self) -> None:
        tariff = import_tariff(
            table(
                "T-1,370244,2026-01-01,0.02,14.00,m2,,0.13,official,film",
                "T-1,870323,2026-01-01,0.15,,,0.09,0.13,official,car",
            )
        )
        film = tariff.rate_for("370244", on=MARCH)
        assert (film.specific_duty_cny, film.specific_duty_unit) == (Decimal("14.00"), "m2")
        assert film.consumption_tax_rate == 0
        assert tariff.rate_for("870323", on=MARCH).consumption_tax_rate == Decimal("0.09")
        assert tariff.kind is RateKind.OFFICIAL

    def test_reports_every_bad_row_with_its_line_column_and_rule(self) -> None:
        problems = refused(
            table(
                "T-1,9999,2026-01-01,0.05,,,,0.13,sample,invented heading",
                "T-1,90,2026-01-01,0.05,,,,0.13,sample,a chapter",
                "T-1,902781,2026-13-01,0.05,,,,0.13,sample,bad date",
                "T-1,902781,2026-01-01,5,,,,0.13,sample,500 % duty",
                "T-1,902781,2026-01-01,0.05,,,,13,sample,VAT as a percentage",
                "T-1,902781,2026-01-01,0.05,10,,,0.13,sample,specific duty without unit",
                "T-1,902781,2026-01-01,0.05,,,1,0.13,sample,consumption tax of 100 %",
                "T-1,902781,2026-01-01,0.05,,,,0.13,guess,unknown kind",
                "T-1,902781,2026-01-01,abc,,,,0.13,sample,not a number",
            )
        )
        assert problems == [
            (3, "code", "hs2022.unknown_heading"),
            (4, "code", "tariff.code_level"),
            (5, "valid_from", "iso_date"),
            (6, "duty_rate", "rate_range"),
            (7, "vat_rate", "rate_range"),
            (8, "specific_duty_unit", "tariff.specific_duty_needs_unit"),
            (9, "consumption_tax_rate", "rate_range"),
            (10, "kind", "rate_kind"),
            (11, "duty_rate", "decimal_format"),
        ]

    def test_refuses_a_duplicate_code_and_date(self) -> None:
        assert refused(
            table(
                "T-1,902781,2026-01-01,0.05,,,,0.13,sample,first",
                "T-1,902781,2026-01-01,0.04,,,,0.13,sample,second",
            )
        ) == [(4, "code", "tariff.duplicate")]

    def test_refuses_mixed_versions_in_one_file(self) -> None:
        assert refused(
            table(
                "T-1,902781,2026-01-01,0.05,,,,0.13,sample,first",
                "T-2,902720,2026-01-01,0.04,,,,0.13,sample,second",
            )
        ) == [(4, "version", "version.mixed")]

    def test_refuses_unknown_and_missing_columns(self) -> None:
        text = "version,code,valid_from,duty,vat_rate,kind,description\n"
        assert refused(text) == [
            (1, "duty", "csv.unknown_column"),
            (1, "duty_rate", "csv.missing_column"),
        ]

    def test_refuses_a_row_with_the_wrong_number_of_fields(self) -> None:
        assert refused(table("T-1,902781,2026-01-01,0.05")) == [(3, "(row)", "csv.field_count")]

    def test_refuses_an_empty_table(self) -> None:
        assert refused(table()) == [(1, "(rows)", "tariff.empty")]

    def test_an_unreadable_file_is_reported(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationFailed) as caught:
            load_tariff(tmp_path / "absent.csv")
        assert caught.value.problems[0].rule == "file_unreadable"
