"""Each assessed line explains itself in the shape every domain gives (``hetao.reasons``)."""

from __future__ import annotations

import re
from typing import Any

from hetao.profiles import ZoneProfile
from hetao.reasons import Reason
from hetao.tax import Rule
from hetao.tax.rules import CATALOGUE, TAX_NAMES
from tax.support import hengqin, line, run


def reasons(*lines: dict[str, Any], profile: ZoneProfile | None = None) -> list[dict[str, Any]]:
    """The reasons of the one line a second-line exit of ``lines`` assesses, as served."""
    (assessed,) = run("second_line_exit", *lines, profile=profile).lines
    return [reason.model_dump() for reason in assessed.reasons]


class TestCatalogue:
    def test_every_rule_of_an_assessment_has_its_reason_under_the_regime_rule_it_names(
        self,
    ) -> None:
        assert set(CATALOGUE.templates) == {rule.value for rule in Rule}
        for code, template in CATALOGUE.templates.items():
            named = re.match(r"(R\d+)\.", code)
            assert template.rule == (named.group(1) if named else None), code


class TestLineReasons:
    def test_a_line_gives_its_rule_first_in_three_languages(self) -> None:
        (first,) = reasons(line(hs_code="902790", customs_value="20000.00"))
        assert first == Reason.from_stored(first).as_json()
        assert (first["code"], first["rule"], first["params"]) == (
            "R7.second_line_exit_taxed",
            "R7",
            {},
        )
        assert first["text"] == CATALOGUE.templates["R7.second_line_exit_taxed"].texts()

    def test_a_tax_waived_as_de_minimis_adds_its_reason_with_the_tax_and_the_amounts(
        self,
    ) -> None:
        # no duty (0 %); VAT 9 %: 555.44 x 0.09 = 49.99 <= 50, waived
        charged, waived = reasons(line(hs_code="490199", customs_value="555.44"))
        assert charged["code"] == "R7.second_line_exit_taxed"
        assert (waived["code"], waived["rule"], waived["params"]) == (
            "E.de_minimis",
            None,
            {"tax": TAX_NAMES["import_vat"], "total": "49.99", "threshold": "50.00"},
        )
        assert waived["text"]["en"] == (
            "The declaration's import VAT totals CNY 49.99, at or under the threshold of "
            "CNY 50.00: not levied."
        )
        assert "進口環節增值稅" in waived["text"]["zh-Hant"]

    def test_r25_names_the_ratio_and_the_threshold_then_the_rule_charging_what_is_still_due(
        self,
    ) -> None:
        product = line(
            hs_code="902781",
            quantity=1,
            unit="unit",
            customs_value="130000.00",
            status="bonded",
            imported_inputs_value="60000.00",
            domestic_inputs_value="35000.00",
            sale_price="130000.00",
        )
        relieved, charged = reasons(product, profile=hengqin())
        # (130,000.00 - 95,000.00) / 95,000.00 = 0.36842... cut to 0.3684
        assert (relieved["code"], relieved["params"]) == (
            "R25.value_added_duty_free",
            {"ratio": "36.84 %", "threshold": "30 %"},
        )
        assert "36.84 %" in relieved["text"]["zh-Hans"]
        assert (charged["code"], charged["rule"]) == ("R20.bonded_second_line_exit_taxed", "R20")
