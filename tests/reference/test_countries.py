"""Country and currency codes come from ISO 3166-1 and ISO 4217 (pycountry)."""

from __future__ import annotations

import pytest

from hetao.errors import ValidationFailed
from hetao.reference.countries import check_country, country_name
from hetao.reference.currencies import check_currency, currency_name


class TestCheckCountry:
    @pytest.mark.parametrize("code", ["CN", "HK", "MO", "TW", "US"])
    def test_accepts_iso_3166_alpha_2_codes_including_hong_kong_and_macao(self, code: str) -> None:
        assert check_country(code) == code

    def test_upper_cases_and_trims_the_code(self) -> None:
        assert check_country(" hk ") == "HK"

    @pytest.mark.parametrize("code", ["", "ZZ", "CHN", "H", "UK", "XK"])
    def test_refuses_what_is_not_an_alpha_2_code(self, code: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            check_country(code)
        assert [(p.field, p.rule) for p in caught.value.problems] == [("country", "iso3166.alpha2")]

    def test_names_the_field_passed_in(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            check_country("ZZ", field="origin")
        assert caught.value.problems[0].field == "origin"

    def test_gives_the_english_short_name(self) -> None:
        assert country_name("mo") == "Macao"


class TestCheckCurrency:
    @pytest.mark.parametrize("code", ["CNY", "HKD", "MOP", "USD", "EUR"])
    def test_accepts_iso_4217_codes(self, code: str) -> None:
        assert check_currency(code) == code

    def test_upper_cases_and_trims_the_code(self) -> None:
        assert check_currency(" hkd") == "HKD"

    @pytest.mark.parametrize("code", ["", "RMB", "US", "USDT", "ABC"])
    def test_refuses_what_is_not_an_iso_4217_code(self, code: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            check_currency(code)
        assert [(p.field, p.rule) for p in caught.value.problems] == [("currency", "iso4217.code")]

    def test_names_the_field_passed_in(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            check_currency("RMB", field="amount_currency")
        assert caught.value.problems[0].field == "amount_currency"

    def test_gives_the_english_name(self) -> None:
        assert currency_name("CNY") == "Yuan Renminbi"
