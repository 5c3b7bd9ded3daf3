"""HS codes are checked against the real HS 2022 nomenclature, never an invented list."""

from __future__ import annotations

import time

import pytest

from hetao.errors import ValidationFailed
from hetao.reference.hs import (
    chapter_of,
    check_hs_code,
    heading_of,
    lookup,
    search,
    section_of,
    subheading_of,
)


def rule_of(code: str, *, field: str = "hs_code") -> tuple[str, str]:
    """The (field, rule) of the single problem raised for ``code``."""
    with pytest.raises(ValidationFailed) as caught:
        check_hs_code(code, field=field)
    (problem,) = caught.value.problems
    return problem.field, problem.rule


class TestCheckHsCode:
    def test_accepts_a_chapter_present_in_the_nomenclature(self) -> None:
        assert check_hs_code("84") == "84"

    def test_accepts_a_heading_present_in_the_nomenclature(self) -> None:
        assert check_hs_code("8471") == "8471"

    def test_accepts_a_subheading_present_in_the_nomenclature(self) -> None:
        assert check_hs_code("847130") == "847130"

    def test_accepts_a_national_8_digit_code_extending_a_real_subheading(self) -> None:
        assert check_hs_code("90189000") == "90189000"

    def test_accepts_a_national_10_digit_code_extending_a_real_subheading(self) -> None:
        assert check_hs_code("8471300000") == "8471300000"

    def test_accepts_dotted_and_spaced_notation_and_returns_digits(self) -> None:
        assert check_hs_code(" 8471.30.00 ") == "84713000"
        assert check_hs_code("3002 15") == "300215"

    def test_accepts_an_undivided_heading_written_with_00(self) -> None:
        assert check_hs_code("050100") == "050100"

    def test_refuses_an_8_digit_code_whose_subheading_does_not_exist(self) -> None:
        assert rule_of("84719900") == ("hs_code", "hs2022.unknown_subheading")

    def test_refuses_a_10_digit_code_whose_subheading_does_not_exist(self) -> None:
        assert rule_of("8471000000") == ("hs_code", "hs2022.unknown_subheading")

    def test_refuses_a_6_digit_code_absent_from_the_nomenclature(self) -> None:
        assert rule_of("847199") == ("hs_code", "hs2022.unknown_subheading")

    def test_refuses_a_heading_absent_from_the_nomenclature(self) -> None:
        assert rule_of("8469") == ("hs_code", "hs2022.unknown_heading")

    def test_refuses_the_reserved_chapter_77(self) -> None:
        assert rule_of("77") == ("hs_code", "hs2022.unknown_chapter")

    def test_refuses_the_comtrade_not_specified_codes(self) -> None:
        assert rule_of("99") == ("hs_code", "hs2022.unknown_chapter")
        assert rule_of("99999900") == ("hs_code", "hs2022.unknown_subheading")

    @pytest.mark.parametrize(
        "code", ["", "8", "847", "84713", "8471300", "847130000", "84713000001"]
    )
    def test_refuses_a_code_of_the_wrong_length(self, code: str) -> None:
        assert rule_of(code) == ("hs_code", "hs2022.format")

    @pytest.mark.parametrize("code", ["84A1", "8471-30", "８４７１"])
    def test_refuses_anything_but_ascii_digits(self, code: str) -> None:
        assert rule_of(code) == ("hs_code", "hs2022.format")

    def test_names_the_field_passed_in(self) -> None:
        assert rule_of("847199", field="lines[3].hs_code")[0] == "lines[3].hs_code"


class TestLookup:
    def test_finds_a_subheading_with_its_parent_level_and_section(self) -> None:
        entry = lookup("847130")
        assert entry is not None
        assert entry.parent == "8471"
        assert entry.level == 6
        assert entry.section == "XVI"
        assert entry.description.startswith("Automatic data processing machines")

    def test_a_chapter_has_no_parent(self) -> None:
        entry = lookup("84")
        assert entry is not None
        assert entry.parent is None
        assert entry.level == 2

    def test_a_national_line_is_not_itself_in_the_nomenclature(self) -> None:
        assert lookup("84713000") is None

    def test_the_comtrade_total_row_is_not_an_entry(self) -> None:
        assert lookup("TOTAL") is None


class TestHierarchy:
    def test_finds_chapter_heading_and_subheading_of_a_national_line(self) -> None:
        assert chapter_of("8471300000").code == "84"
        assert heading_of("8471300000").code == "8471"
        assert subheading_of("8471300000").code == "847130"

    def test_finds_the_section_by_its_roman_numeral_and_name(self) -> None:
        section = section_of("90189000")
        assert section.numeral == "XVIII"
        assert section.name.startswith("Optical, photographic")

    def test_refuses_the_heading_of_a_chapter(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            heading_of("84")
        assert caught.value.problems[0].rule == "hs2022.heading_required"

    def test_refuses_the_chapter_of_an_unknown_code(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            chapter_of("84719900")
        assert caught.value.problems[0].rule == "hs2022.unknown_subheading"


class TestHsSearch:
    def test_every_word_must_match_the_start_of_a_word(self) -> None:
        found = search("diagnostic reagent")
        assert found
        assert all("diagnostic" in e.description.lower() for e in found)

    def test_digits_match_codes_by_prefix_shortest_first(self) -> None:
        assert [e.code for e in search("38 22")][:2] == ["3822", "382211"]

    def test_nothing_for_nothing_and_for_unknown_words(self) -> None:
        assert search("  ") == []
        assert search("qwertyuiop") == []

    def test_is_fast_enough_for_a_page(self) -> None:
        search("warm")  # the index is built once
        started = time.perf_counter()
        for _ in range(20):
            search("other machines")
        assert (time.perf_counter() - started) / 20 < 0.05
