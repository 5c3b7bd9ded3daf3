"""What R4 and R19 exclude from exemption: a versioned, dated table by HS code (REGIME (d)2)."""

from __future__ import annotations

import datetime as dt
from importlib.resources import files

import pytest

from hetao.errors import ValidationFailed
from hetao.reference.exemption_exclusions import (
    EXCLUSION_COLUMNS,
    ExemptionRule,
    import_exemption_exclusions,
    load_exemption_exclusions,
)
from hetao.reference.hs import check_hs_code, lookup
from hetao.reference.tariff import RateKind

HEADER = ",".join(EXCLUSION_COLUMNS)
MARCH = dt.date(2026, 3, 15)
R4, R19 = ExemptionRule.R4, ExemptionRule.R19


def table(*rows: str) -> str:
    return "\n".join(["# a comment line", HEADER, *rows]) + "\n"


def row(
    code: str = "8703",
    *,
    row_id: str = "X-1",
    rule: str = "R19",
    effect: str = "excluded",
    valid_from: str = "2024-03-01",
    valid_to: str = "",
) -> str:
    return (
        f"T-1,official,test-table,{row_id},{rule},{effect},{code},{valid_from},{valid_to},cars,test"
    )


def refused(text: str) -> list[tuple[int | None, str, str]]:
    """(line, column, rule) of every problem of the table ``text``."""
    with pytest.raises(ValidationFailed) as caught:
        import_exemption_exclusions(text)
    return [(p.row, p.field, p.rule) for p in caught.value.problems]


class TestShippedSample:
    def test_is_marked_as_a_sample_in_its_header_its_name_and_its_rows(self) -> None:
        text = files("hetao.reference").joinpath("data", "exemption-exclusions-SAMPLE.csv")
        assert text.read_text("utf-8").startswith("# SAMPLE EXCLUSIONS - not the published lists")
        sample = load_exemption_exclusions()
        assert sample.kind is RateKind.SAMPLE
        assert sample.is_sample
        assert sample.version.startswith("SAMPLE")

    def test_every_code_is_a_real_hs_2022_code(self) -> None:
        for item in load_exemption_exclusions():
            assert check_hs_code(item.code) == item.code
            assert lookup(item.code) is not None, item.code

    def test_R4_rows_are_marked_illustrative(self) -> None:  # noqa: N802
        rows = [item for item in load_exemption_exclusions() if item.rule is R4]
        assert rows
        assert all(item.source.startswith("ILLUSTRATIVE") for item in rows)

    @pytest.mark.parametrize(
        ("code", "row_id"),
        [
            ("870323", "R19-CAR-1"),
            ("880230", "R19-AIRCRAFT-4"),
            ("890110", "R19-SHIP-1"),
            ("890333", "R19-YACHT-1"),
        ],
    )
    def test_R19_excludes_cars_aircraft_ships_and_yachts(  # noqa: N802
        self, code: str, row_id: str
    ) -> None:
        found = load_exemption_exclusions().exclusion_for(code, rule=R19, on=MARCH)
        assert found is not None
        assert (found.rule, found.table, found.row_id) == (R19, "R19-not-exempt-equipment", row_id)

    def test_R19_rows_do_not_limit_the_R4_exemption_nor_reach_other_goods(self) -> None:  # noqa: N802
        sample = load_exemption_exclusions()
        assert sample.exclusion_for("870323", rule=R4, on=MARCH) is None
        # Spacecraft share heading 8802 with aircraft, but R19 names aircraft only.
        assert sample.exclusion_for("880260", rule=R19, on=MARCH) is None
        assert sample.exclusion_for("902730", rule=R19, on=MARCH) is None


class TestLookup:
    def test_a_row_outside_its_validity_dates_does_not_apply(self) -> None:
        dated = import_exemption_exclusions(
            table(row(valid_from="2026-04-01", valid_to="2026-06-30"))
        )
        assert dated.exclusion_for("870323", rule=R19, on=dt.date(2026, 3, 31)) is None
        assert dated.exclusion_for("870323", rule=R19, on=dt.date(2026, 4, 1)) is not None
        assert dated.exclusion_for("870323", rule=R19, on=dt.date(2026, 6, 30)) is not None
        assert dated.exclusion_for("870323", rule=R19, on=dt.date(2026, 7, 1)) is None

    def test_the_most_specific_row_in_force_is_named(self) -> None:
        both = import_exemption_exclusions(
            table(row("8703", row_id="HEADING"), row("870323", row_id="SUBHEADING"))
        )
        found = both.exclusion_for("87032310", rule=R19, on=MARCH)
        assert found is not None
        assert found.row_id == "SUBHEADING"

    def test_R4_an_exempt_list_in_force_leaves_out_goods_on_none_of_its_rows(self) -> None:  # noqa: N802
        listed = import_exemption_exclusions(
            table(row("9027", row_id="LIST-1", rule="R4", effect="exempt_list"))
        )
        assert listed.exclusion_for("902730", rule=R4, on=MARCH) is None
        outside = listed.exclusion_for("382219", rule=R4, on=MARCH)
        assert outside is not None
        assert (outside.table, outside.row_id) == ("test-table", None)
        # Before the list is in force every code is in scope.
        assert listed.exclusion_for("382219", rule=R4, on=dt.date(2024, 1, 1)) is None


class TestImport:
    def test_a_malformed_file_is_refused_naming_every_row_and_column(self) -> None:
        problems = refused(
            table(
                row("8703"),
                row("9999", row_id="X-2"),
                row("87", row_id="X-3"),
                row(row_id="X-4", rule="R7"),
                row(row_id="X-5", effect="maybe"),
                row(row_id="X-6", valid_from="2026-13-01"),
                row(row_id="X-7", valid_from="2026-03-01", valid_to="2026-02-01"),
                row(row_id="X-1"),
            )
        )
        assert [(line, column) for line, column, _ in problems] == [
            (4, "code"),
            (5, "code"),
            (6, "rule"),
            (7, "effect"),
            (8, "valid_from"),
            (9, "valid_to"),
            (10, "row_id"),
        ]
        rules = {rule for _, _, rule in problems}
        assert {
            "exemption_exclusions.code_level",
            "rule_unknown",
            "effect_unknown",
            "iso_date",
            "exemption_exclusions.valid_to_before_valid_from",
            "exemption_exclusions.duplicate",
        } <= rules

    def test_a_missing_column_is_refused_naming_it(self) -> None:
        text = "version,kind,table,row_id,rule,effect,code,valid_from,description\n"
        assert refused(text) == [(1, "source", "csv.missing_column")]

    def test_sample_and_official_rows_do_not_mix(self) -> None:
        mixed = table(row(), row(row_id="X-2").replace(",official,", ",sample,"))
        assert refused(mixed) == [(4, "kind", "kind.mixed")]
