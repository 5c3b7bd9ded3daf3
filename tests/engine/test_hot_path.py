"""The decision's fast paths agree with the plain ones they stand in for."""

from __future__ import annotations

import random

from engine.jdm import random_facts
from engine.support import SEED, hetao
from hetao.engine.decision import decide, decision_from_json, decision_to_json
from hetao.engine.facts import Outcome
from hetao.engine.reasons import CATALOGUE, Reason, reason
from hetao.engine.rules import evaluate, risk_inputs, shipped_rule_set


def test_the_rule_set_in_one_function_fires_what_the_tables_fire_in_the_same_order() -> None:
    rules, profile = shipped_rule_set(), hetao()
    rng = random.Random(5)
    for index in range(300):
        inputs = risk_inputs(random_facts(rng, profile, index=index), profile.zone.timezone)
        by_table = [(h.subject, h.rule_id, h.ctx) for h in evaluate(rules, inputs)]
        at_once = [
            (where, row.rule, ctx) for where, ctx, row in rules.fire(inputs.goods, inputs.crossing)
        ]
        assert at_once == by_table


def test_a_reason_renders_its_texts_when_first_read_and_keeps_them() -> None:
    point = {"en": "Gate", "zh-Hant": "閘", "zh-Hans": "闸"}
    deferred = reason("whitelist.not_listed", Outcome.REFUSE, "party", point=point)
    eager = Reason(
        "whitelist.not_listed",
        "whitelist",
        Outcome.REFUSE,
        CATALOGUE["whitelist.not_listed"].render({"point": point}),
        "party",
    )
    assert deferred == eager
    assert deferred.text is deferred.text
    assert deferred.text["en"] == "Not on the whitelist; Gate admits whitelisted subjects only"
    assert repr(deferred) == repr(eager)
    assert deferred != reason("whitelist.not_listed", Outcome.REFUSE, "carrier", point=point)


def test_a_decision_read_back_from_json_has_equal_reasons() -> None:
    rules, profile = shipped_rule_set(), hetao()
    rng = random.Random(9)
    for index in range(50):
        decision = decide(random_facts(rng, profile, index=index), rules, profile, seed=SEED)
        again = decision_from_json(decision_to_json(decision))
        assert again.reasons == decision.reasons
        assert again.draw == decision.draw
