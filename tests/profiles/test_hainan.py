"""The Hainan-style profile: R23 and R24 said in configuration, refused when said wrongly, and the
second line that controls goods, not people (decided by the engine and by the real service).

The schema keys it adds (``tax.exemption_list``, ``tax.second_line_exit``, the exemption
``zero_tariff_goods``) are generic: Hetao and Hengqin leave them out and keep their behaviour.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from crossing.events.support import (
    UNKNOWN_DOCUMENT,
    office_hours,
    person_event,
    record,
)
from engine.support import (
    NOT_LISTED,
    codes,
    consignment,
    crossing,
    decided,
    goods,
    person,
    vehicle,
    without_random_selection,
)
from hetao.crossing import intake
from hetao.engine.facts import Outcome
from hetao.errors import ConfigurationError
from hetao.profiles import (
    CrossingKind,
    Exemption,
    ExemptionBasis,
    Flow,
    Line,
    SecondLineTaxBasis,
    TaxKind,
    ZoneProfile,
    builtin_path,
    load_profile,
)

HAINAN_TOML = builtin_path("hainan").read_text(encoding="utf-8")
SECOND_LINE_GATE = intake.Device("device:9", "gate-9", frozenset({"SL_SEAPORT"}))


def hainan() -> ZoneProfile:
    return load_profile("hainan")


def variant(tmp_path: Path, *edits: tuple[str, str], base: str = HAINAN_TOML) -> Path:
    """The profile ``base`` with exact edits, failing if the text to edit has moved."""
    text = base
    for old, new in edits:
        assert text.count(old) == 1, f"fixture drift: {old!r} must occur once"
        text = text.replace(old, new)
    path = tmp_path / "zone.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(ConfigurationError) as caught:
        load_profile(str(path))
    return [(p.field, p.rule) for p in caught.value.problems]


class TestShippedHainanProfile:
    def test_loads_as_its_own_zone_on_shanghai_time_in_cny(self) -> None:
        profile = hainan()
        assert (profile.zone.code, profile.zone.timezone, profile.zone.currency) == (
            "hainan",
            "Asia/Shanghai",
            "CNY",
        )
        assert profile.effective_from == dt.date(2025, 12, 18)
        assert profile.zone.name.zh_hans == "海南自由贸易港"

    def test_r23_beneficiaries_claim_the_zero_tariff_read_against_a_negative_list(self) -> None:
        profile = hainan()
        assert profile.first_line_exemption is Exemption.ZERO_TARIFF_GOODS
        assert profile.first_line_exemption_rule == "R23"
        assert profile.tax.research_goods_exemption is False
        listed = profile.tax.exemption_list
        assert listed is not None
        assert (listed.basis, listed.table) == (
            ExemptionBasis.NEGATIVE_LIST,
            "R23-taxed-goods-catalogue",
        )
        # Goods in the catalogue are an ordinary import: taxed at the first line.
        assert profile.tax.excluded_goods_enter_as == "duty_paid"
        assert "tax.exemption_list" not in profile.provisional

    def test_r24_the_second_line_taxes_imported_inputs_and_credits_what_was_paid(self) -> None:
        exit_rule = hainan().tax.second_line_exit
        assert exit_rule.taxed_on is SecondLineTaxBasis.IMPORTED_INPUTS
        assert exit_rule.credit_paid_taxes is True

    def test_r25_the_30_percent_value_added_rule_relieves_duty_only(self) -> None:
        rule = hainan().tax.value_added_rule
        assert (rule.enabled, rule.threshold, rule.exempt_taxes) == (
            True,
            Decimal("0.30"),
            (TaxKind.DUTY,),
        )
        assert Exemption.VALUE_ADDED_DUTY_FREE in hainan().whitelist.scopes.exemptions

    def test_r24_the_second_line_controls_goods_not_people(self) -> None:
        lines = hainan().lines
        assert lines.second_line_controls_people is False
        assert lines.controls(Line.SECOND, Flow.GOODS)
        assert not lines.controls(Line.SECOND, Flow.PEOPLE)

    def test_r24_first_and_second_line_points_are_marked_as_representative_placeholders(
        self,
    ) -> None:
        profile = hainan()
        by_line = {line: [p for p in profile.crossing_points if p.line is line] for line in Line}
        assert len(by_line[Line.FIRST]) >= 2
        assert len(by_line[Line.SECOND]) >= 2
        for point in profile.crossing_points:
            assert profile.is_provisional(f"crossing_points.{point.code}")
            assert "placeholder" in point.name.en
            assert "示意" in point.name.zh_hant
            assert "示意" in point.name.zh_hans
            assert Flow.PEOPLE not in point.flows or point.line is Line.FIRST
        assert {p.kind for p in by_line[Line.SECOND]} == {CrossingKind.CHANNEL}

    def test_every_placeholder_is_listed_as_provisional(self) -> None:
        profile = hainan()
        for key in (
            "whitelist.waiver_lockout_months",
            "people.passenger_allowance_cny",
            "tax.in_zone_transfer_taxed",
            "selection",
        ):
            assert profile.is_provisional(key), key


class TestHetaoAndHengqinUnchanged:
    def test_hetao_grants_r4_and_taxes_goods_leaving_on_their_value(self) -> None:
        profile = load_profile("hetao")
        assert (profile.first_line_exemption_rule, profile.tax.exemption_list) == ("R4", None)
        assert profile.tax.second_line_exit.taxed_on is SecondLineTaxBasis.GOODS_VALUE
        assert profile.tax.second_line_exit.credit_paid_taxes is False

    def test_hengqin_grants_r19_and_taxes_goods_leaving_on_their_value(self) -> None:
        profile = load_profile("hengqin")
        assert (profile.first_line_exemption_rule, profile.tax.exemption_list) == ("R19", None)
        assert profile.tax.second_line_exit.taxed_on is SecondLineTaxBasis.GOODS_VALUE


class TestRefusals:
    def test_r23_the_zero_tariff_needs_its_taxed_catalogue(self, tmp_path: Path) -> None:
        path = variant(
            tmp_path,
            (
                '[tax.exemption_list]\nbasis = "negative_list"\n'
                'table = "R23-taxed-goods-catalogue"\n',
                "",
            ),
        )
        assert problems(path) == [("tax.exemption_list", "zero_tariff_needs_taxed_catalogue")]

    def test_r23_the_catalogue_is_a_negative_list(self, tmp_path: Path) -> None:
        path = variant(tmp_path, ('basis = "negative_list"', 'basis = "positive_list"'))
        assert problems(path) == [("tax.exemption_list", "zero_tariff_needs_taxed_catalogue")]

    def test_an_unknown_basis_is_refused_naming_the_key(self, tmp_path: Path) -> None:
        path = variant(tmp_path, ('basis = "negative_list"', 'basis = "catalogue"'))
        assert problems(path) == [("tax.exemption_list.basis", "enum")]

    def test_r24_taxes_paid_are_credited_on_imported_inputs_only(self, tmp_path: Path) -> None:
        path = variant(tmp_path, ('taxed_on = "imported_inputs"', 'taxed_on = "goods_value"'))
        assert problems(path) == [
            ("tax.second_line_exit.credit_paid_taxes", "credit_needs_imported_inputs")
        ]

    def test_a_profile_grants_one_first_line_exemption(self, tmp_path: Path) -> None:
        path = variant(
            tmp_path,
            (
                '    "zero_tariff_goods",  # R23\n',
                '    "zero_tariff_goods",  # R23\n    "duty_free_self_use_equipment",\n',
            ),
        )
        assert problems(path) == [("whitelist.scopes.exemptions[1]", "one_first_line_exemption")]

    def test_a_list_needs_an_exemption_to_read_it_for(self, tmp_path: Path) -> None:
        path = variant(
            tmp_path,
            ('    "zero_tariff_goods",  # R23\n', ""),
        )
        assert problems(path) == [("tax.exemption_list", "no_first_line_exemption")]

    def test_a_table_name_of_the_reference_data_is_checked(self, tmp_path: Path) -> None:
        path = variant(tmp_path, ('table = "R23-taxed-goods-catalogue"', 'table = "taxed goods"'))
        assert problems(path) == [("tax.exemption_list.table", "string_pattern_mismatch")]

    def test_a_positive_list_is_said_the_same_way_for_any_zone(self, tmp_path: Path) -> None:
        # Hetao's R4 annex list, once published, is configuration: a positive list of its own.
        hetao = builtin_path("hetao").read_text(encoding="utf-8")
        anchor = "[tax.value_added_rule]"
        path = variant(
            tmp_path,
            (
                anchor,
                f'[tax.exemption_list]\nbasis = "positive_list"\ntable = "R4-annex"\n\n{anchor}',
            ),
            base=hetao,
        )
        listed = load_profile(str(path)).tax.exemption_list
        assert listed is not None
        assert (listed.basis, listed.table) == (ExemptionBasis.POSITIVE_LIST, "R4-annex")


class TestSecondLineGoodsNotPeople:
    def test_r24_a_traveller_is_not_checked_at_the_hainan_second_line(self) -> None:
        facts = crossing(
            person(person_id=None, whitelist=NOT_LISTED),
            point="SL_SEAPORT",
            line="second",
            direction="outbound",
        )
        decision = decided(facts, profile=without_random_selection(hainan()))
        assert decision.outcome is Outcome.RELEASE
        assert codes(decision) == ["second_line.people_not_controlled"]

    def test_r24_the_hainan_second_line_still_controls_goods(self) -> None:
        facts = crossing(
            consignment(goods(special_article=True)),
            point="SL_SEAPORT",
            line="second",
            direction="outbound",
        )
        decision = decided(facts, profile=without_random_selection(hainan()))
        assert decision.outcome is Outcome.REFUSE
        assert "R11.approval_missing" in codes(decision)

    def test_r24_the_people_in_a_vehicle_are_not_checked_either(self) -> None:
        facts = crossing(
            vehicle(driver=person(person_id=None, whitelist=NOT_LISTED)),
            point="SL_SEAPORT",
            line="second",
            direction="outbound",
        )
        decision = decided(facts, profile=without_random_selection(hainan()))
        assert "whitelist.not_listed" not in codes(decision)
        assert "second_line.people_not_controlled" in codes(decision)

    def test_r24_an_unknown_traveller_is_released_through_the_real_service(
        self, session: Session
    ) -> None:
        body = person_event(
            UNKNOWN_DOCUMENT, point="SL_SEAPORT", direction="outbound", occurred_at=office_hours()
        )
        event, created = record(session, hainan(), body, device=SECOND_LINE_GATE)
        assert created
        decision = event.decision
        assert decision is not None
        assert decision.outcome == Outcome.RELEASE
        assert [r["code"] for r in decision.reasons] == ["second_line.people_not_controlled"]
