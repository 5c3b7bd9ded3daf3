"""The legal-inspection catalogue (R12, R10): versioned, dated rows by HS code decide which goods
are inspected on entry, not the declarant."""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from pathlib import Path

import pytest

from hetao.errors import ValidationFailed
from hetao.reference.hs import check_hs_code, lookup
from hetao.reference.legal_inspection import (
    CATALOGUE_COLUMNS,
    SAMPLE_CATALOGUE,
    import_legal_inspection,
    load_legal_inspection,
)
from hetao.reference.tariff import RateKind

HEADER = ",".join(CATALOGUE_COLUMNS)
MARCH = dt.date(2026, 3, 15)


def catalogue(*rows: str) -> str:
    return "\n".join(["# a comment line", HEADER, *rows]) + "\n"


def row(
    code: str = "8516",
    *,
    row_id: str = "LI-1",
    valid_from: str = "2024-03-01",
    valid_to: str = "",
    version: str = "LI-2026.1",
) -> str:
    return f"{version},official,{row_id},{code},{valid_from},{valid_to},heaters,test source"


def refused(text: str) -> list[tuple[int | None, str, str]]:
    """(line, column, rule) of every problem of the catalogue ``text``."""
    with pytest.raises(ValidationFailed) as caught:
        import_legal_inspection(text)
    return [(problem.row, problem.field, problem.rule) for problem in caught.value.problems]


class TestShippedSample:
    def test_says_it_is_a_sample_in_its_header_and_its_rows(self) -> None:
        text = files("hetao.reference").joinpath("data", SAMPLE_CATALOGUE).read_text("utf-8")
        assert text.startswith("# SAMPLE LEGAL-INSPECTION CATALOGUE - not the published")
        sample = load_legal_inspection()
        assert sample.kind is RateKind.SAMPLE
        assert sample.is_sample
        assert len(sample) >= 5

    def test_every_code_is_a_real_hs_2022_code(self) -> None:
        for item in load_legal_inspection():
            digits = check_hs_code(item.code)
            assert lookup(digits[:6] if len(digits) > 6 else digits) is not None, item.code

    def test_lists_the_demos_ethanol_and_not_its_reagent_kits(self) -> None:
        sample = load_legal_inspection()
        listing = sample.listing("2207.10", on=MARCH)
        assert listing is not None
        assert (listing.row_id, listing.code, listing.version) == (
            "LI-CHEM-ETHANOL",
            "220710",
            "SAMPLE-2026.1",
        )
        assert listing.label == "LI-CHEM-ETHANOL (SAMPLE-2026.1)"
        assert sample.listing("382219", on=MARCH) is None


class TestListing:
    def test_a_national_line_extending_a_heading_is_listed_by_it(self) -> None:
        table = import_legal_inspection(catalogue(row("8516")))
        listing = table.listing("8516.10.00.00", on=MARCH)
        assert listing is not None
        assert listing.code == "8516"
        assert table.listing("851711", on=MARCH) is None

    def test_the_most_specific_row_in_force_names_the_goods(self) -> None:
        table = import_legal_inspection(
            catalogue(row("8516", row_id="HEADING"), row("851610", row_id="SUBHEADING"))
        )
        found = table.listing("85161000", on=MARCH)
        assert found is not None
        assert found.row_id == "SUBHEADING"
        other = table.listing("851621", on=MARCH)
        assert other is not None
        assert other.row_id == "HEADING"

    def test_a_row_lists_goods_only_on_the_days_it_is_in_force(self) -> None:
        table = import_legal_inspection(
            catalogue(row("8516", valid_from="2026-01-01", valid_to="2026-06-30"))
        )
        assert table.listing("851610", on=dt.date(2025, 12, 31)) is None
        assert table.listing("851610", on=dt.date(2026, 1, 1)) is not None
        assert table.listing("851610", on=dt.date(2026, 6, 30)) is not None
        assert table.listing("851610", on=dt.date(2026, 7, 1)) is None

    def test_a_code_that_is_not_hs_is_refused_with_the_field_named(self) -> None:
        table = import_legal_inspection(catalogue(row()))
        with pytest.raises(ValidationFailed) as caught:
            table.listing("9999", on=MARCH, field="lines[0].hs_code")
        assert caught.value.problems[0].field == "lines[0].hs_code"


class TestImport:
    def test_every_bad_cell_is_named_by_line_column_and_rule(self) -> None:
        problems = refused(
            catalogue(
                row("85", row_id="SHORT"),
                row("9999", row_id="NOT-HS"),
                row("8516", row_id="bad id!"),
                row("8544", row_id="BACKWARDS", valid_from="2026-02-01", valid_to="2026-01-01"),
                row("8544", row_id="NO-DAY", valid_from="someday"),
            )
        )
        assert (3, "code", "legal_inspection.code_level") in problems
        assert any(line == 4 and column == "code" for line, column, _ in problems)
        assert (5, "row_id", "name_format") in problems
        assert (6, "valid_to", "legal_inspection.valid_to_before_valid_from") in problems
        assert (7, "valid_from", "iso_date") in problems

    def test_a_row_id_used_twice_is_refused(self) -> None:
        problems = refused(catalogue(row("8516"), row("8544")))
        assert (4, "row_id", "legal_inspection.duplicate") in problems

    def test_one_file_holds_one_version(self) -> None:
        problems = refused(catalogue(row("8516"), row("8544", row_id="LI-2", version="LI-2026.2")))
        assert any(column == "version" for _, column, _ in problems)

    def test_an_empty_catalogue_is_refused(self) -> None:
        assert refused(catalogue()) == [(1, "(rows)", "legal_inspection.empty")]

    def test_an_unreadable_file_is_refused_naming_the_table(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationFailed) as caught:
            load_legal_inspection(tmp_path / "missing.csv")
        assert [(p.field, p.rule) for p in caught.value.problems] == [
            ("legal_inspection", "file_unreadable")
        ]

    def test_a_file_with_a_byte_order_mark_is_read(self, tmp_path: Path) -> None:
        path = tmp_path / "catalogue.csv"
        path.write_text(catalogue(row()), encoding="utf-8-sig")
        assert load_legal_inspection(path).version == "LI-2026.1"
