"""Worked examples of the assessment, computed by hand in each test and named after the rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hetao.errors import ValidationFailed
from hetao.profiles import RoundingMode
from hetao.tax import CustomsStatus, RateSource, Rule, assess
from tax.support import RATES, TARIFF, hengqin, hetao, line, request, run


class TestSecondLineExit:
    def test_r7_duty_consumption_tax_and_vat_on_a_car_valued_in_hkd_at_the_monthly_rate(
        self,
    ) -> None:
        car = line(hs_code="8703.23", quantity=1, unit="unit", customs_value="200000.00")
        car["currency"], car["origin"] = "HKD", "DE"
        result = run("second_line_exit", car)
        (assessed,) = result.lines
        # March 2026 HKD rate 0.9098: 200,000.00 x 0.9098 = 181,960.00
        assert assessed.exchange_rate == Decimal("0.9098")
        assert assessed.exchange_rate_source is RateSource.TABLE
        assert assessed.exchange_rate_month == "2026-03"
        assert assessed.dutiable_value_cny == Decimal("181960.00")
        # duty 15 %: 181,960.00 x 0.15 = 27,294.00
        assert assessed.duty == Decimal("27294.00")
        # consumption tax 9 %: (181,960.00 + 27,294.00) / (1 - 0.09) x 0.09
        #   = 209,254.00 x 0.09 / 0.91 = 18,832.86 / 0.91 = 20,695.4505... -> 20,695.45
        assert assessed.consumption_tax == Decimal("20695.45")
        # VAT 13 %: (209,254.00 + 20,695.45) x 0.13 = 229,949.45 x 0.13 = 29,893.4285 -> 29,893.43
        assert assessed.vat == Decimal("29893.43")
        assert assessed.rule is Rule.R7_SECOND_LINE_EXIT_TAXED
        assert {assessed.duty_rule, assessed.consumption_tax_rule, assessed.vat_rule} == {
            Rule.R7_SECOND_LINE_EXIT_TAXED
        }
        assert assessed.status_after is None
        # 27,294.00 + 20,695.45 + 29,893.43 = 77,882.88
        assert result.totals.total == Decimal("77882.88")
        assert (result.totals.duty, result.totals.consumption_tax, result.totals.vat) == (
            Decimal("27294.00"),
            Decimal("20695.45"),
            Decimal("29893.43"),
        )

    def test_r20_bonded_goods_are_taxed_like_an_import(self) -> None:
        result = run("second_line_exit", line(status="bonded"))
        (assessed,) = result.lines
        # 20,000.00 x 6.5 % = 1,300.00; VAT (20,000.00 + 1,300.00) x 13 % = 2,769.00
        assert (assessed.duty, assessed.vat) == (Decimal("1300.00"), Decimal("2769.00"))
        assert assessed.rule is Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED

    def test_domestic_goods_are_not_taxed(self) -> None:
        (assessed,) = run("second_line_exit", line(status="domestic")).lines
        assert assessed.rule is Rule.DOMESTIC_NOT_TAXED
        assert assessed.total == Decimal("0.00")
        assert not assessed.taxed

    def test_duty_paid_goods_are_not_taxed(self) -> None:
        (assessed,) = run("second_line_exit", line(status="duty_paid")).lines
        assert assessed.rule is Rule.DUTY_PAID_NOT_TAXED
        assert assessed.total == Decimal("0.00")

    def test_specific_duty_is_added_per_unit_of_the_tariff(self) -> None:
        film = line(hs_code="370244", quantity="120", unit="m2", customs_value="30000.00")
        (assessed,) = run("second_line_exit", film).lines
        # duty 2 % + CNY 14.00/m2: 30,000.00 x 0.02 + 14.00 x 120 = 600.00 + 1,680.00 = 2,280.00
        assert assessed.duty == Decimal("2280.00")
        # VAT: (30,000.00 + 2,280.00) x 0.13 = 4,196.40
        assert assessed.vat == Decimal("4196.40")
        assert (assessed.specific_duty_cny, assessed.specific_duty_unit) == (Decimal("14.00"), "m2")

    def test_specific_duty_refuses_a_quantity_in_another_unit(self) -> None:
        film = line(hs_code="370244", quantity="15", unit="kg")
        with pytest.raises(ValidationFailed) as caught:
            run("second_line_exit", film)
        assert [(p.field, p.rule) for p in caught.value.problems] == [
            ("lines[0].unit", "tariff.specific_duty_unit")
        ]

    def test_a_national_code_takes_the_most_specific_tariff_row(self) -> None:
        spectrometer = line(hs_code="9027810000", customs_value="10000.00")
        microtome = line(hs_code="90279000", customs_value="10000.00")
        first, second = run("second_line_exit", spectrometer, microtome).lines
        # 902781 has its own row (3 %); 902790 falls back to heading 9027 (5 %).
        assert (first.tariff_code, first.duty) == ("902781", Decimal("300.00"))
        assert (second.tariff_code, second.duty) == ("9027", Decimal("500.00"))

    def test_overridden_rates_replace_the_tariff_and_need_no_row(self) -> None:
        unlisted = line(
            hs_code="010619",
            customs_value="10000.00",
            duty_rate="0",
            vat_rate="0.09",
            consumption_tax_rate="0",
        )
        (assessed,) = run("second_line_exit", unlisted).lines
        # no duty; VAT 10,000.00 x 9 % = 900.00
        assert (assessed.duty, assessed.vat) == (Decimal("0.00"), Decimal("900.00"))
        assert assessed.tariff_code is None
        assert assessed.overridden_rates == ("duty_rate", "consumption_tax_rate", "vat_rate")

    def test_a_code_without_tariff_row_is_refused_naming_the_line(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            run("second_line_exit", line(), line(hs_code="010619"))
        assert [(p.field, p.rule) for p in caught.value.problems] == [
            ("lines[1].hs_code", "tariff.no_rate")
        ]


class TestDeMinimis:
    # Heading 9027 (via 902790): duty 5 %, VAT 13 %; the hetao threshold is RMB 50.

    @pytest.mark.parametrize(
        ("value", "duty", "duty_rule", "vat"),
        [
            # just under: 999.80 x 5 % = 49.99 <= 50, waived; VAT 999.80 x 13 % = 129.974 -> 129.97
            ("999.80", "0.00", Rule.E_DE_MINIMIS, "129.97"),
            # at: 1,000.00 x 5 % = 50.00 <= 50, waived; VAT 1,000.00 x 13 % = 130.00
            ("1000.00", "0.00", Rule.E_DE_MINIMIS, "130.00"),
            # just over: 1,000.20 x 5 % = 50.01 > 50, due; VAT 1,050.21 x 13 % = 136.5273 -> 136.53
            ("1000.20", "50.01", Rule.R7_SECOND_LINE_EXIT_TAXED, "136.53"),
        ],
    )
    def test_e_de_minimis_duty_of_a_declaration_at_or_under_the_threshold_is_waived(
        self, value: str, duty: str, duty_rule: Rule, vat: str
    ) -> None:
        result = run("second_line_exit", line(hs_code="902790", customs_value=value))
        (assessed,) = result.lines
        assert (assessed.duty, assessed.duty_rule) == (Decimal(duty), duty_rule)
        assert (assessed.vat, assessed.vat_rule) == (Decimal(vat), Rule.R7_SECOND_LINE_EXIT_TAXED)
        waived = (
            Decimal("0.00")
            if duty_rule is not Rule.E_DE_MINIMIS
            else Decimal(value) * Decimal("0.05")
        )
        assert result.de_minimis.duty_waived == waived.quantize(Decimal("0.01"))

    def test_e_de_minimis_is_per_tax_a_small_vat_is_waived_alone(self) -> None:
        book = line(hs_code="490199", customs_value="555.44")
        (assessed,) = run("second_line_exit", book).lines
        # no duty (0 %); VAT 9 %: 555.44 x 0.09 = 49.9896 -> 49.99 <= 50, waived
        assert (assessed.duty, assessed.duty_rule) == (
            Decimal("0.00"),
            Rule.R7_SECOND_LINE_EXIT_TAXED,
        )
        assert (assessed.vat, assessed.vat_rule) == (Decimal("0.00"), Rule.E_DE_MINIMIS)

    def test_e_de_minimis_counts_the_whole_declaration_not_each_line(self) -> None:
        small = line(hs_code="902790", customs_value="600.00")
        # each line: 600.00 x 5 % = 30.00 <= 50, but the declaration: 60.00 > 50, so due
        first, second = run("second_line_exit", small, small).lines
        assert (first.duty, second.duty) == (Decimal("30.00"), Decimal("30.00"))


class TestFirstLineEntry:
    spectrometer = line(hs_code="902781", customs_value="100000.00", currency="USD")

    def test_r4_research_goods_of_a_beneficiary_enter_free_of_the_three_taxes(self) -> None:
        (assessed,) = run("first_line_entry", self.spectrometer).lines
        assert assessed.rule is Rule.R4_RESEARCH_GOODS_EXEMPT
        assert assessed.total == Decimal("0.00")
        assert assessed.status_after is CustomsStatus.DUTY_FREE_RESEARCH
        # valued all the same: 100,000.00 x 7.0912 = 709,120.00
        assert assessed.dutiable_value_cny == Decimal("709120.00")

    def test_r6_after_a_waiver_the_same_goods_are_taxed(self) -> None:
        waived = {**self.spectrometer, "waived": True}
        (assessed,) = run("first_line_entry", waived).lines
        # duty 3 %: 709,120.00 x 0.03 = 21,273.60
        assert assessed.duty == Decimal("21273.60")
        # VAT: (709,120.00 + 21,273.60) x 0.13 = 730,393.60 x 0.13 = 94,951.168 -> 94,951.17
        assert assessed.vat == Decimal("94951.17")
        assert assessed.rule is Rule.R6_WAIVED_EXEMPTION_TAXED
        assert assessed.status_after is CustomsStatus.DUTY_PAID

    def test_goods_of_a_non_beneficiary_enter_bonded_untaxed(self) -> None:
        (assessed,) = run("first_line_entry", self.spectrometer, beneficiary=False).lines
        assert assessed.rule is Rule.FIRST_LINE_ENTRY_BONDED
        assert assessed.status_after is CustomsStatus.BONDED
        assert assessed.total == Decimal("0.00")

    def test_r19_hengqin_exempts_self_use_goods_of_a_listed_entity(self) -> None:
        (assessed,) = run("first_line_entry", self.spectrometer, profile=hengqin()).lines
        assert assessed.rule is Rule.R19_SELF_USE_EQUIPMENT_EXEMPT

    def test_goods_declared_duty_paid_are_taxed_at_the_first_line(self) -> None:
        (assessed,) = run("first_line_entry", line(status="duty_paid")).lines
        assert assessed.rule is Rule.FIRST_LINE_ENTRY_DUTY_PAID_TAXED
        assert assessed.duty == Decimal("1300.00")


class TestInZoneTransfer:
    def test_r8_transfer_to_a_non_beneficiary_is_taxed(self) -> None:
        (assessed,) = run("in_zone_transfer", line(), beneficiary=False).lines
        # reagents 20,000.00: duty 6.5 % = 1,300.00; VAT (21,300.00) x 13 % = 2,769.00
        assert (assessed.duty, assessed.consumption_tax, assessed.vat) == (
            Decimal("1300.00"),
            Decimal("0.00"),
            Decimal("2769.00"),
        )
        assert assessed.rule is Rule.R8_IN_ZONE_TRANSFER_TAXED
        assert assessed.status_after is CustomsStatus.DUTY_PAID

    def test_r8_bankruptcy_transfer_to_a_beneficiary_is_not_taxed(self) -> None:
        result = run("in_zone_transfer", line(), transfer_reason="bankruptcy")
        (assessed,) = result.lines
        assert assessed.rule is Rule.R8_BANKRUPTCY_TRANSFER_EXEMPT
        assert result.totals.total == Decimal("0.00")
        assert assessed.status_after is CustomsStatus.DUTY_FREE_RESEARCH

    def test_r8_deregistration_transfer_to_a_beneficiary_is_not_taxed(self) -> None:
        (assessed,) = run("in_zone_transfer", line(), transfer_reason="deregistration").lines
        assert assessed.rule is Rule.R8_DEREGISTRATION_TRANSFER_EXEMPT

    def test_r8_bankruptcy_transfer_to_a_non_beneficiary_is_taxed(self) -> None:
        (assessed,) = run(
            "in_zone_transfer", line(), transfer_reason="bankruptcy", beneficiary=False
        ).lines
        assert assessed.rule is Rule.R8_IN_ZONE_TRANSFER_TAXED

    def test_r8_ordinary_transfer_to_a_beneficiary_is_taxed(self) -> None:
        (assessed,) = run("in_zone_transfer", line(), transfer_reason="ordinary").lines
        assert assessed.rule is Rule.R8_IN_ZONE_TRANSFER_TAXED

    def test_r8_a_profile_without_exempt_reasons_taxes_a_bankruptcy_transfer(self) -> None:
        (assessed,) = run(
            "in_zone_transfer", line(), transfer_reason="bankruptcy", profile=hengqin()
        ).lines
        assert assessed.rule is Rule.R8_IN_ZONE_TRANSFER_TAXED

    def test_bonded_goods_stay_bonded_and_untaxed(self) -> None:
        (assessed,) = run("in_zone_transfer", line(status="bonded"), beneficiary=False).lines
        assert assessed.rule is Rule.BONDED_IN_ZONE_TRANSFER
        assert assessed.status_after is CustomsStatus.BONDED


class TestValueAddedRule:
    # Inputs 60,000.00 imported + 40,000.00 domestic = 100,000.00; customs value 130,000.00 CNY,
    # heading 902781: duty 3 %, VAT 13 %.

    @staticmethod
    def product(sale_price: str) -> dict[str, object]:
        return line(
            hs_code="902781",
            quantity=1,
            unit="unit",
            customs_value="130000.00",
            status="bonded",
            imported_inputs_value="60000.00",
            domestic_inputs_value="40000.00",
            sale_price=sale_price,
        )

    def test_r25_at_30_percent_duty_is_exempt_vat_still_due_in_hengqin(self) -> None:
        # (130,000.00 - 100,000.00) / 100,000.00 = 0.30 >= 0.30
        (assessed,) = run("second_line_exit", self.product("130000.00"), profile=hengqin()).lines
        assert assessed.rule is Rule.R25_VALUE_ADDED_DUTY_FREE
        assert assessed.value_added_ratio == Decimal("0.3000")
        assert (assessed.duty, assessed.duty_rule) == (
            Decimal("0.00"),
            Rule.R25_VALUE_ADDED_DUTY_FREE,
        )
        # VAT on the value without the exempt duty: 130,000.00 x 0.13 = 16,900.00
        assert (assessed.vat, assessed.vat_rule) == (
            Decimal("16900.00"),
            Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED,
        )

    def test_r25_at_29_99_percent_all_taxes_are_due_in_hengqin(self) -> None:
        # (129,990.00 - 100,000.00) / 100,000.00 = 0.2999 < 0.30
        (assessed,) = run("second_line_exit", self.product("129990.00"), profile=hengqin()).lines
        assert assessed.rule is Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED
        assert assessed.value_added_ratio == Decimal("0.2999")
        # duty 130,000.00 x 0.03 = 3,900.00; VAT (133,900.00) x 0.13 = 17,407.00
        assert (assessed.duty, assessed.vat) == (Decimal("3900.00"), Decimal("17407.00"))

    def test_r25_a_ratio_just_below_the_threshold_is_not_rounded_up(self) -> None:
        # 29,999.99 / 100,000.00 = 0.2999999 < 0.30, shown cut to 0.2999
        (assessed,) = run("second_line_exit", self.product("129999.99"), profile=hengqin()).lines
        assert assessed.rule is Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED
        assert assessed.value_added_ratio == Decimal("0.2999")

    def test_r25_is_off_in_hetao_even_at_40_percent(self) -> None:
        (assessed,) = run("second_line_exit", self.product("140000.00"), profile=hetao()).lines
        assert assessed.rule is Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED
        assert assessed.value_added_ratio is None
        assert assessed.duty == Decimal("3900.00")


class TestResearchConsumption:
    def test_r5_consumables_used_up_are_released_on_application(self) -> None:
        used = line(consumed_in_research=True, release_on_application=True)
        (assessed,) = run("research_consumption", used).lines
        assert assessed.rule is Rule.R5_CONSUMED_IN_RESEARCH_RELEASED
        assert assessed.total == Decimal("0.00")
        assert assessed.status_after is None

    def test_r5_without_an_application_the_exemption_ends_and_tax_is_due(self) -> None:
        (assessed,) = run("research_consumption", line(consumed_in_research=True)).lines
        assert assessed.rule is Rule.R5_CONSUMED_WITHOUT_RELEASE_TAXED
        assert (assessed.duty, assessed.vat) == (Decimal("1300.00"), Decimal("2769.00"))

    def test_r5_a_profile_without_release_on_application_taxes_consumption(self) -> None:
        used = line(consumed_in_research=True, release_on_application=True)
        (assessed,) = run("research_consumption", used, profile=hengqin()).lines
        assert assessed.rule is Rule.R5_CONSUMED_WITHOUT_RELEASE_TAXED

    def test_r7_inputs_turned_into_an_rd_product_keep_their_status_untaxed(self) -> None:
        (assessed,) = run("research_consumption", line()).lines
        assert assessed.rule is Rule.R7_TRANSFORMED_INTO_RD_PRODUCT
        assert assessed.status_after is CustomsStatus.DUTY_FREE_RESEARCH
        assert assessed.total == Decimal("0.00")


class TestOtherMovements:
    def test_r9_first_line_exit_bears_no_import_tax(self) -> None:
        (assessed,) = run("first_line_exit", line(status="bonded")).lines
        assert assessed.rule is Rule.R9_FIRST_LINE_EXIT
        assert assessed.total == Decimal("0.00")

    def test_r9_second_line_entry_bears_no_import_tax(self) -> None:
        (assessed,) = run("second_line_entry", line(status="domestic")).lines
        assert assessed.rule is Rule.R9_SECOND_LINE_ENTRY
        assert assessed.status_after is CustomsStatus.DOMESTIC


class TestExchangeRates:
    def test_a_date_takes_the_rate_of_its_own_month(self) -> None:
        hkd = line(customs_value="1000.00", currency="HKD")
        (march,) = run("second_line_exit", hkd, date="2026-03-31").lines
        (april,) = run("second_line_exit", hkd, date="2026-04-01").lines
        # 1,000.00 x 0.9098 = 909.80 in March; 1,000.00 x 0.9112 = 911.20 in April
        assert (march.dutiable_value_cny, march.exchange_rate_month) == (
            Decimal("909.80"),
            "2026-03",
        )
        assert (april.dutiable_value_cny, april.exchange_rate_month) == (
            Decimal("911.20"),
            "2026-04",
        )

    def test_a_rate_quoted_per_100_units_is_divided_exactly(self) -> None:
        yen = line(customs_value="1000000", currency="JPY")
        (assessed,) = run("second_line_exit", yen).lines
        # 100 JPY = 4.6931 CNY: 1,000,000 x 0.046931 = 46,931.00
        assert assessed.exchange_rate == Decimal("0.046931")
        assert assessed.dutiable_value_cny == Decimal("46931.00")

    def test_an_override_replaces_the_monthly_rate_and_says_so(self) -> None:
        hkd = line(customs_value="1000.00", currency="HKD")
        result = run("second_line_exit", hkd, exchange_rates={"HKD": "0.9123"})
        (assessed,) = result.lines
        # 1,000.00 x 0.9123 = 912.30
        assert assessed.dutiable_value_cny == Decimal("912.30")
        assert assessed.exchange_rate_source is RateSource.OVERRIDE
        assert assessed.exchange_rate_month is None

    def test_a_month_missing_from_the_table_is_refused_naming_the_date(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            run("second_line_exit", line(currency="HKD"), date="2026-05-04")
        assert [(p.field, p.rule) for p in caught.value.problems] == [
            ("date", "exchange_rate.month_missing")
        ]

    def test_a_missing_month_is_named_once_for_many_lines(self) -> None:
        hkd = line(currency="HKD")
        with pytest.raises(ValidationFailed) as caught:
            run("second_line_exit", hkd, hkd, date="2026-05-04")
        assert len(caught.value.problems) == 1

    def test_a_currency_missing_from_the_month_is_refused_naming_the_line(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            run("second_line_exit", line(currency="EUR"))
        assert [(p.field, p.rule) for p in caught.value.problems] == [
            ("lines[0].currency", "exchange_rate.currency_missing")
        ]

    def test_an_override_fills_a_currency_the_table_lacks(self) -> None:
        euro = line(customs_value="100.00", currency="EUR")
        (assessed,) = run("first_line_entry", euro, exchange_rates={"EUR": "7.7120"}).lines
        assert assessed.dutiable_value_cny == Decimal("771.20")


class TestRounding:
    def test_half_a_fen_rounds_up_in_the_dutiable_value_and_the_duty(self) -> None:
        half = line(
            customs_value="10000.01",
            currency="USD",
            duty_rate="0.05",
            vat_rate="0",
            consumption_tax_rate="0",
        )
        (assessed,) = run("second_line_exit", half, exchange_rates={"USD": "0.5"}).lines
        # 10,000.01 x 0.5 = 5,000.005 -> 5,000.01 (half up; half-even would give 5,000.00)
        assert assessed.dutiable_value_cny == Decimal("5000.01")
        # 5,000.01 x 0.05 = 250.0005 -> 250.00
        assert assessed.duty == Decimal("250.00")

    def test_half_a_fen_of_duty_rounds_up(self) -> None:
        big = line(customs_value="1000000.10", duty_rate="0.05", vat_rate="0")
        big["consumption_tax_rate"] = "0"
        (assessed,) = run("second_line_exit", big).lines
        # 1,000,000.10 x 0.05 = 50,000.005 -> 50,000.01
        assert assessed.duty == Decimal("50000.01")

    def test_the_rounding_mode_comes_from_the_profile(self) -> None:
        profile = hetao()
        even = profile.model_copy(
            update={
                "tax": profile.tax.model_copy(update={"rounding": RoundingMode.ROUND_HALF_EVEN})
            }
        )
        big = line(customs_value="1000000.10", duty_rate="0.05", vat_rate="0")
        big["consumption_tax_rate"] = "0"
        (assessed,) = run("second_line_exit", big, profile=even).lines
        # 50,000.005 -> 50,000.00 under banker's rounding
        assert assessed.duty == Decimal("50000.00")


class TestAssessmentRecord:
    def test_keeps_inputs_profile_tariff_version_and_rates(self) -> None:
        req = request("second_line_exit", line(currency="HKD"))
        result = assess(req, hetao(), tariff=TARIFF, rates=RATES)
        assert result.request == req
        assert (result.profile, result.profile_effective_from) == ("hetao", dt.date(2026, 2, 10))
        assert (result.tariff_version, result.tariff_sample) == ("TEST-1", True)
        assert result.exchange_rate_table_version == "TEST-1"
        assert result.lines[0].tariff_valid_from == dt.date(2026, 1, 1)
        assert "tax.de_minimis_cny" in result.provisional

    def test_is_the_same_for_the_same_inputs(self) -> None:
        req = request("second_line_exit", line(), line(hs_code="8703.23"))
        first = assess(req, hetao(), tariff=TARIFF, rates=RATES)
        second = assess(req, hetao(), tariff=TARIFF, rates=RATES)
        assert first == second

    def test_recomputes_from_its_own_json(self) -> None:
        req = request("second_line_exit", line(currency="HKD"))
        result = assess(req, hetao(), tariff=TARIFF, rates=RATES)
        again = result.model_validate_json(result.model_dump_json())
        assert assess(again.request, hetao(), tariff=TARIFF, rates=RATES) == result
