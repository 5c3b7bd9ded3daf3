"""zen-engine (GoRules JDM) and our evaluator agree on the same tables and the same facts."""

from __future__ import annotations

import importlib.util
import random

import pytest

from engine.jdm import ZenEvaluator, random_facts, summarise_hits, to_jdm, unary
from hetao.engine.rules import evaluate, risk_inputs, shipped_rule_set, summarise
from hetao.profiles import load_profile

zen_missing = importlib.util.find_spec("zen") is None
needs_zen = pytest.mark.skipif(
    zen_missing, reason="zen-engine is not installed (pip install -e '.[dev]' brings it)"
)


def test_each_table_becomes_one_decision_table_node() -> None:
    rules = shipped_rule_set()
    goods = to_jdm(rules, per_goods_line=True)
    crossing = to_jdm(rules, per_goods_line=False)
    tables = [n for g in (goods, crossing) for n in g["nodes"] if n["type"] == "decisionTableNode"]
    assert sorted(n["name"] for n in tables) == sorted(t.name for t in rules.tables)
    assert sum(len(n["content"]["rules"]) for n in tables) == rules.row_count


def test_conditions_become_zen_unary_tests() -> None:
    rules = shipped_rule_set()
    by_source = {
        str(c.source): unary(c) for t in rules.tables for r in t.rows for c in r.conditions
    }
    assert by_source["[1000000..5000000)"] == "[1000000..5000000)"
    assert by_source["[5000000..)"] == ">= 5000000"
    assert by_source["[..200000)"] == "< 200000"
    assert by_source["93"] == 'startsWith($, "93")'
    assert by_source["['84', '85', '90']"] == '"84", "85", "90"'


@needs_zen
def test_zen_and_our_evaluator_agree_on_10000_random_crossings() -> None:
    rules, profile = shipped_rule_set(), load_profile("hetao")
    zen = ZenEvaluator(rules)
    rng = random.Random(5)
    fired_rows: set[str] = set()
    for index in range(10_000):
        inputs = risk_inputs(random_facts(rng, profile, index=index), profile.zone.timezone)
        ours = evaluate(rules, inputs)
        theirs = zen.hits(inputs)
        assert summarise(ours) == summarise_hits(theirs), f"case {index}"
        assert sorted((h.rule_id, h.row.outcome, h.row.score) for h in ours) == sorted(theirs)
        fired_rows.update(h.rule_id for h in ours)
    # The comparison means something only if the generated facts reach most rows.
    assert len(fired_rows) >= 0.8 * rules.row_count
