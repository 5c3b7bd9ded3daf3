"""Zone profiles load from TOML, and bad ones are refused naming the file, the key and the rule."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from hetao.errors import ConfigurationError
from hetao.profiles import (
    Flow,
    Line,
    SubjectKind,
    SupervisionClass,
    ZoneProfile,
    available_profiles,
    builtin_path,
    dotted_key,
    load_profile,
)

HETAO_TOML = builtin_path("hetao").read_text(encoding="utf-8")


def write_variant(tmp_path: Path, old: str, new: str, *, name: str = "zone.toml") -> Path:
    """Write the hetao profile with one exact edit, failing if the text to edit has moved."""
    assert HETAO_TOML.count(old) == 1, f"fixture drift: {old!r} must occur once in hetao.toml"
    path = tmp_path / name
    path.write_text(HETAO_TOML.replace(old, new), encoding="utf-8")
    return path


def refusal(path: Path) -> ConfigurationError:
    """Load ``path`` expecting refusal; check the detail names the file first."""
    with pytest.raises(ConfigurationError) as caught:
        load_profile(str(path))
    error = caught.value
    assert error.detail.startswith(str(path.resolve()))
    return error


def assert_refused(path: Path, key: str, rule: str) -> None:
    """The profile at ``path`` is refused with a problem naming ``key`` and ``rule``."""
    error = refusal(path)
    pairs = [(problem.field, problem.rule) for problem in error.problems]
    assert (key, rule) in pairs
    assert f"{key}: " in error.detail
    assert f"[{rule}]" in error.detail


class TestShippedProfiles:
    @pytest.mark.parametrize("name", ["hetao", "hengqin", "hainan"])
    def test_each_shipped_profile_loads_and_carries_its_own_code(self, name: str) -> None:
        profile = load_profile(name)
        assert isinstance(profile, ZoneProfile)
        assert profile.zone.code == name

    def test_lists_the_shipped_profiles_by_name(self) -> None:
        assert available_profiles() == ["hainan", "hengqin", "hetao"]

    def test_a_path_loads_the_same_profile_as_the_bare_name(self) -> None:
        assert load_profile(str(builtin_path("hetao"))) == load_profile("hetao")

    def test_hetao_keeps_the_value_added_rule_disabled(self) -> None:
        assert load_profile("hetao").tax.value_added_rule.enabled is False

    def test_hengqin_enables_the_30_percent_value_added_rule(self) -> None:
        rule = load_profile("hengqin").tax.value_added_rule
        assert rule.enabled is True
        assert rule.threshold == Decimal("0.30")

    def test_hetao_second_line_controls_people(self) -> None:
        lines = load_profile("hetao").lines
        assert lines.second_line_controls_people is True
        assert lines.controls(Line.SECOND, Flow.PEOPLE)

    def test_hengqin_second_line_controls_goods_not_people(self) -> None:
        lines = load_profile("hengqin").lines
        assert lines.second_line_controls_people is False
        assert lines.controls(Line.SECOND, Flow.GOODS)
        assert not lines.controls(Line.SECOND, Flow.PEOPLE)

    def test_money_and_rates_are_exact_decimals(self) -> None:
        tax = load_profile("hetao").tax
        assert tax.vat_standard_rate == Decimal("0.13")
        assert tax.vat_reduced_rate == Decimal("0.09")
        assert tax.de_minimis_cny == Decimal("50")
        assert isinstance(tax.vat_standard_rate, Decimal)

    def test_rounds_money_half_up_to_the_fen(self) -> None:
        tax = load_profile("hetao").tax
        assert tax.round_money(Decimal("1.005")) == Decimal("1.01")
        assert tax.round_money(Decimal("1.0049")) == Decimal("1.00")

    def test_channel_no_1_is_whitelist_only_and_allows_hand_carry(self) -> None:
        point = load_profile("hetao").crossing_point("FBZ_CHANNEL_1")
        assert point is not None
        assert point.line is Line.FIRST
        assert point.whitelist_only
        assert point.hand_carry_allowed

    def test_bonded_goods_may_not_be_hand_carried_in_hetao(self) -> None:
        assert load_profile("hetao").goods.bonded_hand_carry_allowed is False

    def test_waiver_lockout_is_36_months(self) -> None:
        assert load_profile("hetao").whitelist.waiver_lockout_months == 36

    def test_supervision_periods_follow_the_goods_class(self) -> None:
        periods = load_profile("hetao").supervision_periods
        assert periods.years_for(SupervisionClass.SHIPS_AIRCRAFT) == 8
        assert periods.years_for(SupervisionClass.MOTOR_VEHICLES) == 6
        assert periods.years_for(SupervisionClass.OTHER) == 3

    def test_whitelist_validity_is_given_for_every_subject_kind(self) -> None:
        validity = load_profile("hetao").whitelist.validity_months
        assert all(validity.months_for(kind) > 0 for kind in SubjectKind)

    def test_unpublished_values_are_marked_provisional(self) -> None:
        profile = load_profile("hetao")
        assert profile.is_provisional("people.passenger_allowance_cny")
        assert profile.is_provisional("whitelist.validity_months.vehicle")
        assert not profile.is_provisional("tax.vat_standard_rate")

    def test_the_2026_calendar_honours_holidays_and_make_up_working_days(self) -> None:
        data = load_profile("hetao").data
        assert not data.is_working_day(dt.date(2026, 2, 16))  # Spring Festival Monday
        assert data.is_working_day(dt.date(2026, 2, 14))  # Saturday worked in exchange
        assert data.is_working_day(dt.date(2026, 3, 2))  # ordinary Monday
        assert not data.is_working_day(dt.date(2026, 3, 7))  # ordinary Saturday

    def test_data_thresholds_match_the_2024_provisions(self) -> None:
        data = load_profile("hetao").data
        assert data.security_assessment_pi_min == 1_000_000
        assert data.security_assessment_sensitive_pi_min == 10_000
        assert data.standard_contract_pi_min == 100_000
        assert "macao" not in data.gba_cities
        assert "hong_kong" in data.gba_cities


class TestLoadProfileRefusals:
    def test_refuses_a_profile_with_an_unknown_key_naming_file_and_key(
        self, tmp_path: Path
    ) -> None:
        path = write_variant(tmp_path, "[tax]\n", '[tax]\nvat_rate = "0.13"\n')
        assert_refused(path, "tax.vat_rate", "extra_forbidden")

    def test_refuses_a_float_where_a_money_amount_is_required(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'de_minimis_cny = "50"', "de_minimis_cny = 50.0")
        assert_refused(path, "tax.de_minimis_cny", "decimal_string_required")

    def test_refuses_a_float_where_a_rate_is_required(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'vat_standard_rate = "0.13"', "vat_standard_rate = 0.13")
        assert_refused(path, "tax.vat_standard_rate", "decimal_string_required")

    def test_refuses_a_money_string_that_is_not_a_number(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'de_minimis_cny = "50"', 'de_minimis_cny = "fifty"')
        assert_refused(path, "tax.de_minimis_cny", "decimal_format")

    def test_refuses_a_rate_of_one_or_more(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'vat_standard_rate = "0.13"', 'vat_standard_rate = "13"')
        assert_refused(path, "tax.vat_standard_rate", "must_be_between_0_and_1")

    def test_refuses_a_negative_money_amount(self, tmp_path: Path) -> None:
        path = write_variant(
            tmp_path, 'tax_filing_threshold_usd = "50000"', 'tax_filing_threshold_usd = "-1"'
        )
        assert_refused(path, "funds.tax_filing_threshold_usd", "must_not_be_negative")

    def test_refuses_a_reduced_vat_rate_above_the_standard_rate(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'vat_reduced_rate = "0.09"', 'vat_reduced_rate = "0.20"')
        assert_refused(path, "tax.vat_reduced_rate", "must_not_exceed_standard_rate")

    def test_refuses_duplicate_crossing_point_codes(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'code = "FUTIAN"', 'code = "HUANGGANG"')
        assert_refused(path, "crossing_points[1].code", "must_be_unique")

    def test_refuses_a_lower_case_crossing_point_code(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'code = "FUTIAN"', 'code = "futian"')
        assert_refused(path, "crossing_points[1].code", "string_pattern_mismatch")

    def test_refuses_a_standard_contract_threshold_not_below_the_assessment_threshold(
        self, tmp_path: Path
    ) -> None:
        path = write_variant(
            tmp_path, "standard_contract_pi_min = 100_000", "standard_contract_pi_min = 1_000_000"
        )
        assert_refused(path, "data.standard_contract_pi_min", "thresholds_out_of_order")

    def test_refuses_an_unknown_time_zone(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, '"Asia/Shanghai"', '"Asia/Shenzhen"')
        assert_refused(path, "zone.timezone", "iana_timezone")

    def test_refuses_a_currency_that_is_not_iso_4217(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'currency = "CNY"', 'currency = "RMB"')
        assert_refused(path, "zone.currency", "iso4217.code")

    def test_refuses_a_zero_whitelist_validity(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, "individual = 24", "individual = 0")
        assert_refused(path, "whitelist.validity_months.individual", "greater_than")

    def test_refuses_a_count_written_as_a_float(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, "waiver_lockout_months = 36", "waiver_lockout_months = 36.0")
        assert_refused(path, "whitelist.waiver_lockout_months", "int_type")

    def test_refuses_a_boolean_written_as_a_string(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, "hand_carry_allowed = true", 'hand_carry_allowed = "yes"')
        assert_refused(path, "crossing_points[2].hand_carry_allowed", "bool_type")

    def test_refuses_an_unknown_flow(self, tmp_path: Path) -> None:
        path = write_variant(
            tmp_path, 'controls = ["people", "goods", "vehicles"]', 'controls = ["people", "cash"]'
        )
        assert_refused(path, "lines.second.controls[1]", "enum")

    def test_refuses_a_people_flag_that_contradicts_the_second_line_controls(
        self, tmp_path: Path
    ) -> None:
        path = write_variant(
            tmp_path,
            "second_line_controls_people = true",
            "second_line_controls_people = false",
        )
        assert_refused(path, "lines.second_line_controls_people", "inconsistent_with_controls")

    def test_refuses_a_crossing_point_for_a_flow_its_line_does_not_control(
        self, tmp_path: Path
    ) -> None:
        path = write_variant(
            tmp_path,
            "second_line_controls_people = true",
            "second_line_controls_people = false",
        )
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                'controls = ["people", "goods", "vehicles"]', 'controls = ["goods", "vehicles"]'
            ),
            encoding="utf-8",
        )
        assert_refused(path, "crossing_points[4].flows[0]", "line_does_not_control_flow")

    def test_refuses_funds_as_a_flow_through_a_gate(self, tmp_path: Path) -> None:
        path = write_variant(
            tmp_path, 'flows = ["people"]  # R45: passenger port', 'flows = ["people", "funds"]'
        )
        assert_refused(path, "crossing_points[1].flows[1]", "not_a_physical_flow")

    def test_refuses_hand_carry_at_a_point_without_goods(self, tmp_path: Path) -> None:
        old = 'flows = ["people"]  # R45: passenger port\ndirections = ["inbound", "outbound"]\n'
        old += "hand_carry_allowed = false"
        new = old.replace("hand_carry_allowed = false", "hand_carry_allowed = true")
        path = write_variant(tmp_path, old, new)
        assert_refused(
            path, "crossing_points[1].hand_carry_allowed", "hand_carry_requires_goods_flow"
        )

    def test_refuses_a_whitelist_exemption_the_profile_switches_off(self, tmp_path: Path) -> None:
        path = write_variant(
            tmp_path,
            "centralised_declaration_allowed = true  # R10",
            "centralised_declaration_allowed = false",
        )
        assert_refused(path, "whitelist.scopes.exemptions[1]", "exemption_not_enabled")

    def test_refuses_a_provisional_key_that_names_nothing(self, tmp_path: Path) -> None:
        path = write_variant(
            tmp_path, '"people.passenger_allowance_cny",', '"people.passenger_allowance",'
        )
        # The problem names the entry's position in the list, wherever the entry stands.
        position = load_profile("hetao").provisional.index("people.passenger_allowance_cny")
        assert_refused(path, f"provisional[{position}]", "unknown_key")

    def test_refuses_a_make_up_working_day_that_is_a_weekday(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, "    2026-01-04,\n", "    2026-01-05,\n")
        assert_refused(path, "data.adjusted_working_days[0]", "adjusted_working_day_not_weekend")

    def test_refuses_a_missing_section_key(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'de_minimis_cny = "50"', "")
        assert_refused(path, "tax.de_minimis_cny", "missing")

    def test_reports_every_problem_not_only_the_first(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, 'currency = "CNY"', 'currency = "RMB"')
        text = path.read_text(encoding="utf-8").replace("individual = 24", "individual = 0")
        path.write_text(text, encoding="utf-8")
        fields = {problem.field for problem in refusal(path).problems}
        assert {"zone.currency", "whitelist.validity_months.individual"} <= fields

    def test_refuses_malformed_toml_naming_the_file(self, tmp_path: Path) -> None:
        path = write_variant(tmp_path, "[tax]\n", "[tax\n")
        assert_refused(path, "(toml)", "toml_syntax")

    def test_refuses_an_unknown_built_in_name(self) -> None:
        with pytest.raises(ConfigurationError) as caught:
            load_profile("atlantis")
        assert [(p.field, p.rule) for p in caught.value.problems] == [
            ("profile", "unknown_profile")
        ]
        assert "hetao" in caught.value.detail

    def test_refuses_a_path_that_does_not_exist(self, tmp_path: Path) -> None:
        assert_refused(tmp_path / "absent.toml", "profile", "file_unreadable")

    def test_reads_an_edited_file_again(self, tmp_path: Path) -> None:
        path = write_variant(
            tmp_path, 'passenger_allowance_cny = "0"', 'passenger_allowance_cny = "1"'
        )
        assert load_profile(str(path)).people.passenger_allowance_cny == Decimal("1")
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                'passenger_allowance_cny = "1"', 'passenger_allowance_cny = "2"'
            ),
            encoding="utf-8",
        )
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert load_profile(str(path)).people.passenger_allowance_cny == Decimal("2")


class TestDottedKey:
    def test_joins_names_with_dots_and_indexes_with_brackets(self) -> None:
        assert dotted_key(("crossing_points", 2, "flows", 0)) == "crossing_points[2].flows[0]"

    def test_names_the_root_when_the_location_is_empty(self) -> None:
        assert dotted_key(()) == "(root)"
