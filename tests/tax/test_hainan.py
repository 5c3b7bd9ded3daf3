"""The Hainan-style profile's taxes, worked by hand: R23's zero tariff by a negative list and
R24's second line taxed on imported inputs with the amounts already paid credited.

The engine has no code for a zone: these are the profile's ``tax.exemption_list`` (the taxed-goods
catalogue) and ``tax.second_line_exit`` (``imported_inputs``, ``credit_paid_taxes``) at work, and
the same keys left out leave Hetao and Hengqin as they were.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hetao.errors import ValidationFailed
from hetao.profiles import ZoneProfile, builtin_path, load_profile
from hetao.reference.exemption_exclusions import (
    ExemptionExclusions,
    import_exemption_exclusions,
    load_exemption_exclusions,
)
from hetao.reference.tariff import Tariff, import_tariff
from hetao.tax import Assessment, CustomsStatus, Rule, assess
from tax.support import RATES, TARIFF, TARIFF_CSV, hainan, hengqin, hetao, line, request, run

#: The test tariff with an alcohol line (220710: 5 % duty, 13 % VAT) for a duty-paid input.
TARIFF_WITH_ALCOHOL: Tariff = import_tariff(
    TARIFF_CSV + "TEST-1,220710,2026-01-01,0.05,,,,0.13,sample,ethyl alcohol 80 % vol or more\n",
    source="test",
)
CATALOGUE = "R23-taxed-goods-catalogue"
HEADER = "version,kind,table,row_id,rule,effect,code,valid_from,valid_to,description,source\n"
CAR = {"hs_code": "8703.23", "quantity": 1, "unit": "unit", "customs_value": "200000.00"}


def exclusions(*rows: str) -> ExemptionExclusions:
    """An official exemption-exclusions table of ``rows`` (after version and kind)."""
    text = HEADER + "".join(f"T-1,official,{row}\n" for row in rows)
    return import_exemption_exclusions(text, source="test")


def refused(movement: str, *lines: dict[str, Any], profile: ZoneProfile) -> list[tuple[str, str]]:
    """(field, rule) of each problem that refuses assessing ``lines``."""
    with pytest.raises(ValidationFailed) as caught:
        run(movement, *lines, profile=profile)
    return [(p.field, p.rule) for p in caught.value.problems]


def reagents() -> dict[str, Any]:
    """Input A: 5 kits of reagents, zero-tariff (382219: duty 6.5 %, VAT 13 %)."""
    return {
        "hs_code": "382219",
        "quantity": "5",
        "unit": "kit",
        "customs_value": "10000.00",
        "currency": "CNY",
        "status": "duty_free_research",
    }


def alcohol(**paid: str) -> dict[str, Any]:
    """Input B: 20 l of ethyl alcohol from the taxed-goods catalogue, duty-paid at entry."""
    document: dict[str, Any] = {
        "hs_code": "220710",
        "quantity": "20",
        "unit": "l",
        "customs_value": "4000.00",
        "currency": "CNY",
        "status": "duty_paid",
    }
    if paid:
        document["taxes_paid"] = paid
    return document


def product(*inputs: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """Two kits of a reagent product worth CNY 50,000, made in the zone from ``inputs``."""
    return line(quantity=2, unit="kit", customs_value="50000.00", inputs=list(inputs), **overrides)


def leaves(*lines: dict[str, Any], profile: ZoneProfile | None = None) -> Assessment:
    """A second-line exit, with the alcohol line in the tariff."""
    return assess(
        request("second_line_exit", *lines),
        profile or hainan(),
        tariff=TARIFF_WITH_ALCOHOL,
        rates=RATES,
    )


class TestR23FirstLine:
    def test_r23_goods_outside_the_taxed_catalogue_enter_free_of_the_three_taxes(self) -> None:
        result = run("first_line_entry", line(), profile=hainan())
        (assessed,) = result.lines
        assert assessed.rule is Rule.R23_ZERO_TARIFF_EXEMPT
        assert not assessed.taxed
        assert (assessed.duty, assessed.consumption_tax, assessed.vat) == (
            Decimal("0.00"),
            Decimal("0.00"),
            Decimal("0.00"),
        )
        # Kept on the e-ledger with the exempt status, not as duty-paid goods.
        assert assessed.status_after is CustomsStatus.DUTY_FREE_RESEARCH
        assert assessed.exclusion is None
        (reason,) = assessed.reasons
        assert (reason.code, reason.rule, reason.params) == (
            "R23.zero_tariff_exempt",
            "R23",
            {"table": CATALOGUE},
        )
        assert reason.text["en"].startswith(
            f"The goods are not in the taxed-goods catalogue ({CATALOGUE})"
        )
        assert "進口徵稅商品目錄" in reason.text["zh-Hant"]
        assert "进口征税商品目录" in reason.text["zh-Hans"]
        assert result.exemption_exclusions_sample is True

    def test_r23_goods_in_the_taxed_catalogue_are_taxed(self) -> None:
        result = run("first_line_entry", line(**CAR), profile=hainan())
        (car,) = result.lines
        assert car.rule is Rule.R23_EXCLUDED_TAXED
        assert car.taxed
        assert car.status_after is CustomsStatus.DUTY_PAID
        assert car.exclusion is not None
        excluded = car.exclusion
        assert (excluded.rule, excluded.table, excluded.row_id, excluded.code) == (
            "R23",
            CATALOGUE,
            "R23-TAXED-5",
            "8703",
        )
        assert car.exclusion.source.startswith("ILLUSTRATIVE")
        # duty 15 %: 200,000.00 x 0.15 = 30,000.00
        # consumption tax 9 %: 230,000.00 / 0.91 x 0.09 = 22,747.2527... -> 22,747.25
        # VAT 13 %: (230,000.00 + 22,747.25) x 0.13 = 32,857.1425 -> 32,857.14
        assert (car.duty, car.consumption_tax, car.vat) == (
            Decimal("30000.00"),
            Decimal("22747.25"),
            Decimal("32857.14"),
        )
        assert result.totals.total == Decimal("85604.39")
        assert car.reasons[0].params == {"table": CATALOGUE}

    def test_r23_the_catalogue_is_a_heading_so_every_subheading_under_it_is_taxed(self) -> None:
        sample = load_exemption_exclusions()
        (wine,) = assess(
            request(
                "first_line_entry",
                line(
                    hs_code="220421",
                    unit="l",
                    duty_rate="0.14",
                    consumption_tax_rate="0.10",
                    vat_rate="0.13",
                ),
            ),
            hainan(),
            tariff=TARIFF,
            rates=RATES,
            exclusions=sample,
        ).lines
        assert (wine.rule, wine.exclusion and wine.exclusion.row_id) == (
            Rule.R23_EXCLUDED_TAXED,
            "R23-TAXED-1",
        )

    def test_r23_a_party_that_is_not_a_beneficiary_is_not_zero_tariff(self) -> None:
        (assessed,) = run("first_line_entry", line(), profile=hainan(), beneficiary=False).lines
        assert assessed.rule is Rule.FIRST_LINE_ENTRY_BONDED
        assert assessed.status_after is CustomsStatus.BONDED

    def test_r23_without_a_taxed_catalogue_in_force_an_exempt_claim_is_refused(self) -> None:
        # A table holding only Hengqin's rows: reading it as R23's negative list would make every
        # import free, so the assessment is refused instead.
        table = exclusions("cars,CAR-1,R19,excluded,8703,2024-03-01,,cars,test")
        with pytest.raises(ValidationFailed) as caught:
            assess(
                request("first_line_entry", line()),
                hainan(),
                tariff=TARIFF,
                rates=RATES,
                exclusions=table,
            )
        (problem,) = caught.value.problems
        assert (problem.field, problem.rule) == ("date", "R23.exemption_list_not_in_force")
        assert CATALOGUE in problem.message

    def test_r23_a_catalogue_not_yet_in_force_on_the_day_is_no_catalogue(self) -> None:
        later = exclusions(f"{CATALOGUE},T-1,R23,excluded,8703,2026-04-01,,cars,test")
        march = request("first_line_entry", line())
        with pytest.raises(ValidationFailed) as caught:
            assess(march, hainan(), tariff=TARIFF, rates=RATES, exclusions=later)
        assert caught.value.problems[0].rule == "R23.exemption_list_not_in_force"
        april = request("first_line_entry", line(), date="2026-04-15")
        (assessed,) = assess(april, hainan(), tariff=TARIFF, rates=RATES, exclusions=later).lines
        assert assessed.rule is Rule.R23_ZERO_TARIFF_EXEMPT

    def test_r23_an_official_catalogue_replaces_the_illustrative_one(self) -> None:
        official = exclusions(
            f"{CATALOGUE},OFF-1,R23,excluded,3822,2025-12-18,,reagents (test row),official test"
        )
        result = assess(
            request("first_line_entry", line(), line(**CAR)),
            hainan(),
            tariff=TARIFF,
            rates=RATES,
            exclusions=official,
        )
        kits, car = result.lines
        assert (kits.rule, kits.exclusion and kits.exclusion.row_id) == (
            Rule.R23_EXCLUDED_TAXED,
            "OFF-1",
        )
        assert car.rule is Rule.R23_ZERO_TARIFF_EXEMPT
        assert (result.exemption_exclusions_version, result.exemption_exclusions_sample) == (
            "T-1",
            False,
        )

    def test_r23_goods_declared_bonded_or_duty_paid_are_not_claims_of_the_zero_tariff(
        self,
    ) -> None:
        bonded, paid = run(
            "first_line_entry", line(status="bonded"), line(status="duty_paid"), profile=hainan()
        ).lines
        assert bonded.rule is Rule.FIRST_LINE_ENTRY_BONDED
        assert paid.rule is Rule.FIRST_LINE_ENTRY_DUTY_PAID_TAXED


class TestR24SecondLine:
    def test_r24_second_line_taxes_imported_inputs_with_paid_amounts_credited(self) -> None:
        paid = alcohol(duty="200.00", import_vat="546.00")
        result = leaves(product(reagents(), paid))
        (assessed,) = result.lines
        assert assessed.rule is Rule.R24_TAXED_ON_IMPORTED_INPUTS
        first, second = assessed.inputs
        # A: 10,000.00 x 6.5 % = 650.00; VAT (10,000.00 + 650.00) x 13 % = 1,384.50
        assert (first.duty, first.vat, first.tariff_code) == (
            Decimal("650.00"),
            Decimal("1384.50"),
            "382219",
        )
        # B: 4,000.00 x 5 % = 200.00; VAT (4,000.00 + 200.00) x 13 % = 546.00, paid at entry
        assert (second.duty, second.vat, second.tariff_code) == (
            Decimal("200.00"),
            Decimal("546.00"),
            "220710",
        )
        # The basis is the inputs (10,000.00 + 4,000.00), not the product's CNY 50,000.00.
        assert assessed.dutiable_value_cny == Decimal("14000.00")
        # Credited: what B paid; due: duty 650.00 + 200.00 - 200.00, VAT 1,930.50 - 546.00.
        credits = (
            assessed.duty_credited,
            assessed.consumption_tax_credited,
            assessed.vat_credited,
        )
        assert credits == (
            Decimal("200.00"),
            Decimal("0.00"),
            Decimal("546.00"),
        )
        assert (assessed.duty, assessed.consumption_tax, assessed.vat) == (
            Decimal("650.00"),
            Decimal("0.00"),
            Decimal("1384.50"),
        )
        assert result.totals.total == Decimal("2034.50")
        charged, credited = assessed.reasons
        assert (charged.code, charged.rule) == ("R24.taxed_on_imported_inputs", "R24")
        assert (credited.code, credited.params) == (
            "R24.paid_taxes_credited",
            {"duty": "200.00", "consumption_tax": "0.00", "vat": "546.00"},
        )
        assert credited.text["en"] == (
            "Taxes already paid on the imported inputs are credited: duty CNY 200.00, "
            "consumption tax CNY 0.00, import VAT CNY 546.00 (R24)."
        )
        assert "抵扣" in credited.text["zh-Hans"]

    def test_r24_a_credit_never_exceeds_the_tax_due_on_the_inputs(self) -> None:
        # Paid more at entry than is due now (a rate cut since): the credit stops at what is due;
        # nothing is refunded through the second line.
        (assessed,) = leaves(product(reagents(), alcohol(duty="300.00", import_vat="600.00"))).lines
        assert (assessed.duty_credited, assessed.vat_credited) == (
            Decimal("200.00"),
            Decimal("546.00"),
        )
        assert (assessed.duty, assessed.vat) == (Decimal("650.00"), Decimal("1384.50"))

    def test_r24_goods_leaving_as_they_entered_are_their_own_imported_input(self) -> None:
        (assessed,) = leaves(line()).lines
        assert assessed.rule is Rule.R24_TAXED_ON_IMPORTED_INPUTS
        assert assessed.inputs == ()
        # 20,000.00 x 6.5 % = 1,300.00; VAT 21,300.00 x 13 % = 2,769.00 (as R7 would charge)
        assert (assessed.duty, assessed.vat) == (Decimal("1300.00"), Decimal("2769.00"))
        assert assessed.dutiable_value_cny == Decimal("20000.00")

    def test_r24_bonded_goods_are_taxed_on_their_inputs_too(self) -> None:
        (assessed,) = leaves(product(reagents(), status="bonded")).lines
        assert assessed.rule is Rule.R24_TAXED_ON_IMPORTED_INPUTS
        assert (assessed.duty, assessed.vat) == (Decimal("650.00"), Decimal("1384.50"))

    def test_r24_each_input_is_valued_at_the_rate_of_its_own_currency(self) -> None:
        in_hkd = {**reagents(), "currency": "HKD"}
        (assessed,) = leaves(product(in_hkd, alcohol())).lines
        first, second = assessed.inputs
        # March 2026 HKD 0.9098: 10,000.00 x 0.9098 = 9,098.00; duty 6.5 % = 591.37;
        # VAT (9,098.00 + 591.37) x 13 % = 1,259.6181 -> 1,259.62
        assert (first.exchange_rate, first.exchange_rate_month) == (Decimal("0.9098"), "2026-03")
        assert (first.dutiable_value_cny, first.duty, first.vat) == (
            Decimal("9098.00"),
            Decimal("591.37"),
            Decimal("1259.62"),
        )
        # B in CNY, nothing paid on it recorded: duty 200.00, VAT 546.00, no credit.
        assert second.exchange_rate == Decimal("1")
        assert (assessed.duty, assessed.vat) == (Decimal("791.37"), Decimal("1805.62"))
        assert assessed.dutiable_value_cny == Decimal("13098.00")
        assert [r.code for r in assessed.reasons] == ["R24.taxed_on_imported_inputs"]

    def test_r25_value_added_relieves_the_duty_on_the_inputs_and_the_credit_applies_to_the_rest(
        self,
    ) -> None:
        made = product(
            reagents(),
            alcohol(duty="200.00", import_vat="546.00"),
            sale_price="20000.00",
            imported_inputs_value="14000.00",
            domestic_inputs_value="1000.00",
        )
        (assessed,) = leaves(made).lines
        # (20,000 - 14,000 - 1,000) / 15,000 = 33.33 % >= 30 %: duty not due (R25).
        assert assessed.rule is Rule.R25_VALUE_ADDED_DUTY_FREE
        assert assessed.value_added_ratio == Decimal("0.3333")
        # VAT on each input without duty: 10,000.00 x 13 % = 1,300.00; 4,000.00 x 13 % = 520.00,
        # of which the 546.00 paid covers 520.00; the paid duty has nothing to be credited against.
        assert (assessed.duty, assessed.vat) == (Decimal("0.00"), Decimal("1300.00"))
        assert (assessed.duty_credited, assessed.vat_credited) == (
            Decimal("0.00"),
            Decimal("520.00"),
        )
        assert [r.code for r in assessed.reasons] == [
            "R25.value_added_duty_free",
            "R24.taxed_on_imported_inputs",
            "R24.paid_taxes_credited",
        ]

    def test_r24_a_product_of_the_car_inputs_pays_consumption_tax_on_them(self) -> None:
        car = {**CAR, "currency": "CNY", "status": "duty_free_research"}
        (assessed,) = leaves(product(car)).lines
        # As the first-line entry of the car would have been taxed (TestR23FirstLine).
        assert (assessed.duty, assessed.consumption_tax, assessed.vat) == (
            Decimal("30000.00"),
            Decimal("22747.25"),
            Decimal("32857.14"),
        )


class TestR24Refusals:
    def test_r24_inputs_belong_to_a_second_line_exit(self) -> None:
        problems = refused("first_line_entry", product(reagents()), profile=hainan())
        assert problems == [("lines[0].inputs", "R24.inputs_only_for_second_line_exit")]

    def test_r24_inputs_are_refused_where_the_profile_taxes_the_goods_value(self) -> None:
        for profile in (hetao(), hengqin()):
            problems = refused("second_line_exit", product(reagents()), profile=profile)
            assert problems == [("lines[0].inputs", "R24.inputs_not_in_profile")]

    def test_r24_each_input_is_rated_by_its_own_tariff_row(self) -> None:
        problems = refused("second_line_exit", product(reagents(), duty_rate="0"), profile=hainan())
        assert problems == [("lines[0].duty_rate", "R24.rates_per_input")]

    def test_r24_goods_that_bear_no_tax_when_they_leave_carry_no_inputs(self) -> None:
        problems = refused(
            "second_line_exit", product(reagents(), status="duty_paid"), profile=hainan()
        )
        assert problems == [("lines[0].inputs", "R24.inputs_only_for_exempt_or_bonded_goods")]

    def test_r24_a_domestic_input_is_no_imported_input(self) -> None:
        domestic = {**reagents(), "status": "domestic"}
        with pytest.raises(ValidationFailed) as caught:
            request("second_line_exit", product(domestic))
        assert [(p.field, p.rule) for p in caught.value.problems] == [
            ("lines[0].inputs[0].status", "R24.input_not_imported")
        ]

    def test_r24_taxes_paid_are_refused_where_the_profile_credits_none(self, tmp_path: Any) -> None:
        text = builtin_path("hainan").read_text(encoding="utf-8")
        old = "credit_paid_taxes = true"
        assert text.count(old) == 1
        path = tmp_path / "no-credit.toml"
        path.write_text(text.replace(old, "credit_paid_taxes = false"), encoding="utf-8")
        without_credit = load_profile(str(path))
        problems = refused(
            "second_line_exit",
            product(reagents(), alcohol(duty="200.00")),
            profile=without_credit,
        )
        assert problems == [("lines[0].inputs[1].taxes_paid", "R24.credit_not_in_profile")]
        # Inputs without payments are still taxed on, without credit.
        (assessed,) = leaves(product(reagents(), alcohol()), profile=without_credit).lines
        assert (assessed.duty, assessed.duty_credited) == (Decimal("850.00"), Decimal("0.00"))


class TestOtherProfilesAsBefore:
    """The keys Hainan sets are absent from hetao and hengqin, which assess as they did."""

    def test_hetao_taxes_research_goods_leaving_on_their_own_value_under_r7(self) -> None:
        (assessed,) = run("second_line_exit", line(), profile=hetao()).lines
        assert assessed.rule is Rule.R7_SECOND_LINE_EXIT_TAXED
        assert (assessed.duty, assessed.vat) == (Decimal("1300.00"), Decimal("2769.00"))
        assert assessed.inputs == ()
        assert (assessed.duty_credited, assessed.vat_credited) == (
            Decimal("0.00"),
            Decimal("0.00"),
        )

    def test_hengqin_taxes_bonded_goods_leaving_on_their_own_value_under_r20(self) -> None:
        (assessed,) = run("second_line_exit", line(status="bonded"), profile=hengqin()).lines
        assert assessed.rule is Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED
        assert (assessed.duty, assessed.vat) == (Decimal("1300.00"), Decimal("2769.00"))

    def test_the_r23_catalogue_does_not_reach_the_hetao_or_hengqin_exemptions(self) -> None:
        # The car is in the illustrative R23 catalogue; in Hetao it is R4 research goods, and in
        # Hengqin R19 excludes it on its own row, not R23's.
        (hetao_car,) = run("first_line_entry", line(**CAR), profile=hetao()).lines
        assert hetao_car.rule is Rule.R4_RESEARCH_GOODS_EXEMPT
        (hengqin_car,) = run("first_line_entry", line(**CAR), profile=hengqin()).lines
        assert hengqin_car.rule is Rule.R19_EXCLUDED_BONDED
        assert hengqin_car.exclusion is not None
        assert hengqin_car.exclusion.table == "R19-not-exempt-equipment"

    def test_hetao_and_hengqin_need_no_catalogue_in_force(self) -> None:
        empty = exclusions("cars,CAR-1,R19,excluded,8703,2024-03-01,,cars,test")
        for profile in (hetao(), hengqin()):
            (kits,) = assess(
                request("first_line_entry", line()),
                profile,
                tariff=TARIFF,
                rates=RATES,
                exclusions=empty,
            ).lines
            assert not kits.taxed
