"""The profile's [selection] section: lanes, random rates and the cap, validated on load."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from hetao.errors import ConfigurationError
from hetao.profiles import builtin_path, load_profile

HETAO_TOML = builtin_path("hetao").read_text(encoding="utf-8")


def refused(tmp_path: Path, old: str, new: str) -> list[tuple[str, str]]:
    assert HETAO_TOML.count(old) == 1, f"fixture drift: {old!r}"
    path = tmp_path / "zone.toml"
    path.write_text(HETAO_TOML.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_profile(str(path))
    return [(p.field, p.rule) for p in caught.value.problems]


@pytest.mark.parametrize("name", ["hetao", "hengqin"])
def test_each_shipped_profile_has_green_yellow_and_red_lanes(name: str) -> None:
    selection = load_profile(name).selection
    assert [lane.name for lane in selection.lanes] == ["green", "yellow", "red"]
    assert all(isinstance(lane.random_rate, Decimal) for lane in selection.lanes)
    assert selection.lane_for(0).name == "green"
    assert selection.lane_for(69).name == "yellow"
    assert selection.lane_for(70).name == "red"


def test_selection_is_marked_provisional_since_none_of_it_is_published() -> None:
    assert load_profile("hetao").is_provisional("selection.lanes")
    assert load_profile("hengqin").is_provisional("selection.cap.max_inspections")


def test_a_random_rate_written_as_a_float_is_refused(tmp_path: Path) -> None:
    problems = refused(tmp_path, 'random_rate = "0.02"', "random_rate = 0.02")
    assert ("selection.lanes[0].random_rate", "decimal_string_required") in problems


def test_a_random_rate_of_one_is_refused(tmp_path: Path) -> None:
    problems = refused(tmp_path, 'random_rate = "0.10"', 'random_rate = "1"')
    assert ("selection.lanes[1].random_rate", "must_be_between_0_and_1") in problems


def test_lanes_out_of_order_are_refused(tmp_path: Path) -> None:
    problems = refused(tmp_path, "min_score = 70", "min_score = 20")
    assert ("selection.lanes[2].min_score", "min_scores_not_increasing") in problems


def test_a_zero_cap_is_refused(tmp_path: Path) -> None:
    problems = refused(tmp_path, "max_inspections = 120", "max_inspections = 0")
    assert ("selection.cap.max_inspections", "greater_than") in problems
