"""HS codes are checked against the real HS 2022 nomenclature, never an invented list."""

from __future__ import annotations

import csv
import io
import re
import time
from importlib.resources import files

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
    title_zh,
)

CJK = re.compile(r"[\u3400-\u9fff]")
#: Words each Traditional title must have (Hong Kong forms, not the Simplified ones).
TRADITIONAL = {"30": "藥品", "01": "活動物", "84": "機器", "85": "電氣", "87": "車輛", "90": "儀器"}


def nomenclature_rows() -> list[dict[str, str]]:
    text = files("hetao.reference").joinpath("data", "hs2022.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def title_rows() -> list[dict[str, str]]:
    path = files("hetao.reference").joinpath("data", "hs2022_titles_zh.csv")
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


CHAPTERS = sorted(
    {r["hscode"] for r in nomenclature_rows() if r["level"] == "2" and r["section"] != "TOTAL"}
)
SECTIONS = sorted({r["section"] for r in nomenclature_rows() if r["section"] != "TOTAL"})


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


class TestChineseTitles:
    def test_the_nomenclature_has_96_chapters_in_21_sections(self) -> None:
        assert len(CHAPTERS) == 96
        assert "77" not in CHAPTERS
        assert len(SECTIONS) == 21

    @pytest.mark.parametrize("code", CHAPTERS + SECTIONS)
    @pytest.mark.parametrize("script", ["zh-Hans", "zh-Hant"])
    def test_every_chapter_and_section_has_both_titles(self, code: str, script: str) -> None:
        title = title_zh(code, script)  # type: ignore[arg-type]
        assert title
        assert CJK.search(title)
        assert not title.startswith("第")

    def test_the_file_names_only_real_sections_and_chapters_once_each(self) -> None:
        rows = title_rows()
        assert [r["code"] for r in rows if r["level"] == "chapter"] == CHAPTERS
        assert sorted(r["code"] for r in rows if r["level"] == "section") == SECTIONS
        assert {r["level"] for r in rows} == {"section", "chapter"}

    def test_well_known_titles(self) -> None:
        assert title_zh("01", "zh-Hans") == "活动物"
        assert title_zh("30", "zh-Hans") == "药品"
        assert title_zh("84", "zh-Hans") == "核反应堆、锅炉、机器、机械器具及其零件"
        assert title_zh("87", "zh-Hans") == "车辆及其零件、附件，但铁道及电车道车辆除外"
        assert title_zh("I", "zh-Hant") == "活動物；動物產品"

    @pytest.mark.parametrize(("code", "words"), sorted(TRADITIONAL.items()))
    def test_the_traditional_column_is_traditional(self, code: str, words: str) -> None:
        assert words in (title_zh(code, "zh-Hant") or "")

    def test_only_titles_written_alike_in_both_scripts_are_the_same(self) -> None:
        same = [r["code"] for r in title_rows() if r["zh_hans"] == r["zh_hant"]]
        # 糖及糖食, 肥料, 生皮（毛皮除外）及皮革, 棉花, 航空器、航天器及其零件
        assert same == ["17", "31", "41", "52", "88"]

    def test_nothing_for_a_reserved_or_unknown_code(self) -> None:
        assert title_zh("77", "zh-Hans") is None
        assert title_zh("8471", "zh-Hant") is None


class TestHsSearchInChinese:
    @pytest.mark.parametrize("query", ["药品", "藥品", " 藥品 "])
    def test_simplified_or_traditional_finds_chapter_30_and_its_headings(self, query: str) -> None:
        found = [e.code for e in search(query)]
        assert found[0] == "30"
        assert found[1:] == [c for c in found[1:] if c.startswith("30")]
        assert {"3002", "3004", "3006"} <= set(found)
        assert all(len(code) in (2, 4) for code in found)

    def test_every_word_must_be_in_the_title_in_either_script(self) -> None:
        found = [e.code for e in search("醫療 仪器")]
        assert found[0] == "90"
        assert all(code.startswith("90") for code in found)
        assert search("醫療 鋼鐵") == []

    def test_english_words_narrow_the_chapters_found(self) -> None:
        found = search("机器 pumps")
        assert found
        assert all(e.code.startswith("84") and e.level == 4 for e in found)
        assert all("pumps" in e.description.lower() for e in found)

    def test_the_chapter_titled_exactly_so_comes_first(self) -> None:
        found = [e.code for e in search("杂项 制品")]
        assert found[:2] == ["96", "83"]

    def test_chapters_before_headings_and_capped(self) -> None:
        found = search("产品")
        assert len(found) == 50
        levels = [e.level for e in found]
        assert levels == sorted(levels)
        assert len(search("产品", limit=5)) == 5

    def test_nothing_for_an_unknown_word(self) -> None:
        assert search("不存在的词") == []
        assert search("電腦") == []

    def test_english_results_are_unchanged(self) -> None:
        found = search("pharmaceutical")
        assert found
        assert found == sorted(found, key=lambda e: (e.level, e.code))
        assert [e.code for e in search("30")][:3] == ["30", "3001", "3002"]

    def test_is_fast_enough_for_a_page(self) -> None:
        search("藥品")  # the index is built once
        started = time.perf_counter()
        for _ in range(20):
            search("机器 pumps")
        assert (time.perf_counter() - started) / 20 < 0.05
