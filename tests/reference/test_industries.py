"""The industry vocabulary is the plan's focus fields, each traced to a seed document."""

from __future__ import annotations

from pathlib import Path

import pytest

from hetao.errors import ValidationFailed
from hetao.reference.industries import INDUSTRIES, check_industry, industry

#: The seed documents are not shipped; docs/regime.md names each one by its official title.
REGIME_DOC = Path(__file__).resolve().parents[2] / "docs" / "regime.md"


class TestIndustries:
    def test_codes_are_unique_lower_case_slugs(self) -> None:
        codes = [entry.code for entry in INDUSTRIES]
        assert len(codes) == len(set(codes))
        assert all(code.isascii() and code == code.lower() and " " not in code for code in codes)

    def test_the_list_is_of_a_reviewable_size(self) -> None:
        assert 8 <= len(INDUSTRIES) <= 12

    def test_every_field_has_names_in_three_languages_and_a_seed_source(self) -> None:
        for entry in INDUSTRIES:
            assert entry.name_en
            assert entry.name_zh_hant
            assert entry.name_zh_hans
            assert all(s.startswith("seeds/") for s in entry.source.split(", "))

    def test_includes_the_2023_plan_fields_and_the_2018_park_fields(self) -> None:
        codes = {entry.code for entry in INDUSTRIES}
        assert {"next_gen_it", "biomedicine", "ai", "digital_economy"} <= codes
        assert {"fintech", "biotechnology"} <= codes

    def test_every_source_is_named_in_the_regime_document(self) -> None:
        described = REGIME_DOC.read_text(encoding="utf-8")
        for entry in INDUSTRIES:
            for source in entry.source.split(", "):
                assert f"`{source}`" in described, source


class TestCheckIndustry:
    def test_accepts_a_known_code(self) -> None:
        assert check_industry("biomedicine") == "biomedicine"

    def test_trims_and_lower_cases_the_code(self) -> None:
        assert check_industry(" AI ") == "ai"

    @pytest.mark.parametrize("code", ["", "mining", "new-materials", "生物醫藥"])
    def test_refuses_an_unknown_code(self, code: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            check_industry(code)
        assert [(p.field, p.rule) for p in caught.value.problems] == [("industry", "industry.code")]

    def test_names_the_field_passed_in(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            check_industry("mining", field="rows[2].industry")
        assert caught.value.problems[0].field == "rows[2].industry"

    def test_looks_a_field_up_by_code(self) -> None:
        entry = industry("fintech")
        assert entry is not None
        assert entry.name_zh_hans == "金融科技"
        assert industry("mining") is None
