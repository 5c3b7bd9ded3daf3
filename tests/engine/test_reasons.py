"""The reason catalogue: every code in three languages with the same parameters."""

from __future__ import annotations

import re
import string

import pytest

from hetao.engine.facts import Outcome
from hetao.engine.reasons import CATALOGUE, reason
from hetao.engine.rules import shipped_rule_set

CJK = re.compile(r"[\u4e00-\u9fff]")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_each_reason_names_the_same_parameters_in_every_language(code: str) -> None:
    template = CATALOGUE[code]
    assert placeholders(template.en) == placeholders(template.zh_hant)
    assert placeholders(template.en) == placeholders(template.zh_hans)
    assert CJK.search(template.zh_hant)
    assert CJK.search(template.zh_hans)
    assert not CJK.search(template.en)


def test_codes_name_their_rule_where_the_regime_has_one() -> None:
    for code, template in CATALOGUE.items():
        if re.match(r"R\d+\.", code):
            assert template.rule == code.split(".")[0]


def test_a_parameter_can_be_given_per_language() -> None:
    point = {"en": "Futian Port", "zh-Hant": "福田口岸", "zh-Hans": "福田口岸"}
    made = reason("point.not_open", Outcome.REFUSE, point=point, date="2027-01-01")
    assert made.text == {
        "en": "Futian Port opens on 2027-01-01",
        "zh-Hant": "福田口岸將於 2027-01-01 啟用",
        "zh-Hans": "福田口岸将于 2027-01-01 启用",
    }


def test_the_shipped_rules_write_traditional_and_simplified_chinese_differently() -> None:
    # A copy of one script into the other would pass validation; catch it where it shows.
    differing = 0
    for table in shipped_rule_set().tables:
        for row in table.rows:
            text = row.reason.text
            assert CJK.search(text["zh-Hant"])
            assert CJK.search(text["zh-Hans"])
            differing += text["zh-Hant"] != text["zh-Hans"]
    assert differing >= 0.9 * shipped_rule_set().row_count
