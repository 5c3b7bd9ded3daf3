"""A request is refused naming the key and the rule: wrong types, floats, odd combinations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hetao.errors import ValidationFailed
from hetao.tax import AssessmentRequest, Movement, loads, parse_request, read_document
from tax.support import line, request, run


def problems(document: object) -> list[tuple[str, str]]:
    """(key, rule) of every problem of ``document``."""
    with pytest.raises(ValidationFailed) as caught:
        parse_request(document)
    return [(p.field, p.rule) for p in caught.value.problems]


def document(**changes: Any) -> dict[str, Any]:
    """A valid request document with ``changes`` applied to its first line."""
    return {
        "movement": "second_line_exit",
        "date": "2026-03-15",
        "declarant": {"beneficiary": True, "kind": "csa_enterprise"},
        "lines": [line(**changes)],
    }


class TestParseRequest:
    def test_accepts_a_good_document(self) -> None:
        parsed = parse_request(document())
        assert isinstance(parsed, AssessmentRequest)
        assert parsed.movement is Movement.SECOND_LINE_EXIT
        assert parsed.lines[0].customs_value == Decimal("20000.00")
        assert parsed.lines[0].hs_code == "382219"

    def test_refuses_a_json_float_for_money_because_floats_lose_cents(self) -> None:
        assert problems(document(customs_value=100.10)) == [
            ("lines[0].customs_value", "decimal_string_required")
        ]

    def test_refuses_a_json_integer_for_money_too(self) -> None:
        assert problems(document(customs_value=100)) == [
            ("lines[0].customs_value", "decimal_string_required")
        ]

    def test_refuses_a_float_rate(self) -> None:
        assert problems(document(vat_rate=0.13)) == [
            ("lines[0].vat_rate", "decimal_string_required")
        ]

    def test_refuses_a_rate_written_as_a_percentage(self) -> None:
        assert problems(document(vat_rate="13")) == [("lines[0].vat_rate", "rate_range")]

    def test_accepts_an_integer_or_string_quantity_and_refuses_a_float(self) -> None:
        assert parse_request(document(quantity="2.5")).lines[0].quantity == Decimal("2.5")
        assert parse_request(document(quantity=3)).lines[0].quantity == Decimal(3)
        assert problems(document(quantity=2.5)) == [
            ("lines[0].quantity", "decimal_string_required")
        ]

    def test_refuses_a_zero_quantity_and_a_negative_value(self) -> None:
        assert problems(document(quantity=0, customs_value="-1")) == [
            ("lines[0].quantity", "must_be_positive"),
            ("lines[0].customs_value", "must_not_be_negative"),
        ]

    def test_refuses_an_unknown_key(self) -> None:
        assert problems(document(colour="red")) == [("lines[0].colour", "extra_forbidden")]
        assert problems({**document(), "urgent": True}) == [("urgent", "extra_forbidden")]

    def test_refuses_an_hs_code_not_in_hs_2022(self) -> None:
        assert problems(document(hs_code="999999")) == [
            ("lines[0].hs_code", "hs2022.unknown_subheading")
        ]

    def test_refuses_an_unknown_currency_and_country(self) -> None:
        assert problems(document(currency="XYZ", origin="XX")) == [
            ("lines[0].currency", "iso4217.code"),
            ("lines[0].origin", "iso3166.alpha2"),
        ]

    def test_refuses_an_unknown_movement_and_status(self) -> None:
        bad = {**document(status="smuggled"), "movement": "teleport"}
        assert problems(bad) == [("movement", "enum"), ("lines[0].status", "enum")]

    def test_refuses_a_date_given_as_a_number(self) -> None:
        assert problems({**document(), "date": 20260315}) == [("date", "iso_date")]

    def test_refuses_a_partial_value_added_claim_naming_the_missing_key(self) -> None:
        assert problems(document(sale_price="100.00", imported_inputs_value="50.00")) == [
            ("lines[0].domestic_inputs_value", "R25.inputs_incomplete")
        ]

    def test_refuses_an_override_rate_that_is_not_positive(self) -> None:
        assert problems({**document(), "exchange_rates": {"HKD": "0"}}) == [
            ("exchange_rates.HKD", "must_be_positive")
        ]

    def test_refuses_a_request_without_lines(self) -> None:
        assert problems({**document(), "lines": []}) == [("lines", "line_count")]

    def test_normalises_codes_and_units_and_refuses_a_bad_unit(self) -> None:
        parsed = parse_request(document(unit=" M2 ", currency="hkd", origin="hk"))
        assert (parsed.lines[0].unit, parsed.lines[0].currency, parsed.lines[0].origin) == (
            "m2",
            "HKD",
            "HK",
        )
        assert problems(document(unit="square metres")) == [("lines[0].unit", "unit_format")]

    def test_refuses_a_string_boolean(self) -> None:
        bad = {**document(), "declarant": {"beneficiary": "yes", "kind": "csa_enterprise"}}
        assert problems(bad) == [("declarant.beneficiary", "bool_type")]


class TestReadDocument:
    def test_separates_the_profile_from_the_request(self) -> None:
        read = read_document({**document(), "profile": "hengqin"})
        assert read.profile == "hengqin"
        assert read.request.movement is Movement.SECOND_LINE_EXIT

    def test_refuses_a_key_given_twice(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            loads('{"date": "2026-03-15", "date": "2026-03-16"}')
        assert caught.value.problems[0].rule == "duplicate_key"

    def test_refuses_text_that_is_not_json(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            loads("{movement: first_line_entry}")
        assert caught.value.problems[0].rule == "json_syntax"


class TestConsistency:
    def assert_refused(
        self, key: str, rule: str, movement: str, *lines: dict[str, Any], **kw: Any
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            run(movement, *lines, **kw)
        assert (key, rule) in [(p.field, p.rule) for p in caught.value.problems]

    def test_r6_a_waiver_belongs_to_research_goods_entering_through_the_first_line(self) -> None:
        self.assert_refused(
            "lines[0].waived",
            "R6.waiver_only_at_first_line_entry",
            "second_line_exit",
            line(waived=True),
        )

    def test_r6_only_a_beneficiary_can_waive(self) -> None:
        self.assert_refused(
            "lines[0].waived",
            "R6.beneficiary_only",
            "first_line_entry",
            line(waived=True),
            beneficiary=False,
        )

    def test_r5_consumption_flags_belong_to_research_consumption(self) -> None:
        self.assert_refused(
            "lines[0].consumed_in_research",
            "R5.only_for_research_consumption",
            "in_zone_transfer",
            line(consumed_in_research=True),
        )

    def test_r5_release_needs_goods_used_up(self) -> None:
        self.assert_refused(
            "lines[0].release_on_application",
            "R5.release_needs_consumed_in_research",
            "research_consumption",
            line(release_on_application=True),
        )

    def test_r25_inputs_belong_to_a_second_line_exit(self) -> None:
        claim = line(sale_price="1.00", imported_inputs_value="1.00", domestic_inputs_value="0")
        self.assert_refused(
            "lines[0].sale_price", "R25.only_for_second_line_exit", "first_line_entry", claim
        )

    def test_r25_inputs_must_not_add_up_to_zero(self) -> None:
        claim = line(sale_price="1.00", imported_inputs_value="0", domestic_inputs_value="0")
        self.assert_refused(
            "lines[0].imported_inputs_value", "R25.inputs_required", "second_line_exit", claim
        )

    def test_a_transfer_reason_belongs_to_an_in_zone_transfer(self) -> None:
        self.assert_refused(
            "transfer_reason",
            "transfer_reason.only_for_in_zone_transfer",
            "second_line_exit",
            transfer_reason="bankruptcy",
        )

    def test_domestic_goods_do_not_come_from_hong_kong(self) -> None:
        self.assert_refused(
            "lines[0].status",
            "status.not_domestic_at_first_line_entry",
            "first_line_entry",
            line(status="domestic"),
        )

    def test_a_date_before_the_regime_is_refused(self) -> None:
        self.assert_refused("date", "date.before_regime", "second_line_exit", date="2026-01-15")

    def test_cny_needs_no_exchange_rate(self) -> None:
        self.assert_refused(
            "exchange_rates.CNY",
            "exchange_rate.cny_is_one",
            "second_line_exit",
            exchange_rates={"CNY": "1"},
        )

    def test_every_problem_is_reported_at_once(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            run("second_line_exit", line(waived=True), line(consumed_in_research=True))
        assert [p.field for p in caught.value.problems] == [
            "lines[0].waived",
            "lines[1].consumed_in_research",
        ]

    def test_a_python_caller_may_pass_decimals(self) -> None:
        req = request("second_line_exit", line(customs_value=Decimal("20000.00")))
        assert req.lines[0].customs_value == Decimal("20000.00")
