"""Selection: lanes by score, the reproducible random draw, the cap per period, and replay."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
from decimal import Decimal

import pytest

from engine.support import (
    SEED,
    codes,
    consignment,
    crossing,
    decided,
    goods,
    hetao,
    party,
    person,
    reason_for,
    with_selection,
)
from hetao.engine.decision import decide, decision_from_json, decision_to_json
from hetao.engine.facts import Outcome, SelectionState, facts_from_json
from hetao.engine.rules import shipped_rule_set
from hetao.engine.selection import draw_value, hmac_sha256, period_start
from hetao.errors import ValidationFailed
from hetao.profiles.schema import SelectionSection

PERIOD = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)


def state(inspections: int) -> SelectionState:
    return SelectionState(
        period_start=PERIOD, inspections_in_period=inspections, crossings_in_period=500
    )


class TestDraw:
    def test_the_draw_is_hmac_sha256_of_the_event_id_under_the_seed(self) -> None:
        digest = hmac.new(SEED, b"gate-7/000123", hashlib.sha256).digest()
        expected = Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64)
        value = draw_value(SEED, "gate-7/000123")
        assert 0 <= value < 1
        assert abs(value - expected) < Decimal("1e-18")

    @pytest.mark.parametrize("seed", [b"", b"k", SEED, bytes(range(64)), bytes(range(200))])
    def test_the_precomputed_hmac_equals_the_standard_one(self, seed: bytes) -> None:
        for message in (b"", b"gate-7/000123", "事件-1".encode()):
            assert hmac_sha256(seed, message) == hmac.digest(seed, message, "sha256")

    def test_the_draw_depends_on_the_seed_and_the_event(self) -> None:
        assert draw_value(SEED, "a") != draw_value(SEED, "b")
        assert draw_value(SEED, "a") != draw_value(b"another seed", "a")
        assert draw_value(SEED, "a") == draw_value(SEED, "a")

    def test_the_minimum_random_rate_is_honoured_statistically(self) -> None:
        profile = with_selection(hetao(), rates=["0.10", "0.20", "0.50"])
        rules = shipped_rule_set()
        n = 20_000
        selected = 0
        for index in range(n):
            facts = crossing(person(), event=f"stat-{index}")
            decision = decide(facts, rules, profile, seed=SEED)
            assert decision.lane == "green"
            selected += decision.outcome is Outcome.INSPECT
        # Binomial(20000, 0.10): mean 2000, sd 42.4; 4 sd either side fails 1 run in 15,000.
        assert abs(selected - 2000) < 4 * math.sqrt(n * 0.10 * 0.90)

    def test_a_random_selection_is_explained_with_the_lane_and_rate(self) -> None:
        profile = with_selection(hetao(), rates=["0.50", "0.50", "0.50"])
        decisions = [decided(crossing(person()), profile=profile) for _ in range(40)]
        picked = [d for d in decisions if d.outcome is Outcome.INSPECT]
        assert picked, "40 draws at 0.5 all missed"
        reason = reason_for(picked[0], "selection.random")
        assert reason.rule == "selection"
        assert (
            reason.text["en"] == "Selected at random for inspection in the Green lane (rate 0.50)"
        )
        assert reason.text["zh-Hant"] == "於綠色通道按 0.50 的比率隨機抽中查驗"
        assert picked[0].draw is not None
        assert picked[0].draw.selected
        assert Decimal(picked[0].draw.value) < Decimal("0.50")


class TestLanes:
    def test_the_lane_follows_the_risk_score(self) -> None:
        green = decided(crossing(consignment(party=party(credit_level="regular"))))
        yellow = decided(crossing(consignment(goods(hs_code="901210"))))
        red = decided(crossing(consignment(goods(hs_code="010619"))))
        assert (green.lane, green.risk_score) == ("green", 15)
        assert (yellow.lane, yellow.risk_score) == ("yellow", 40)
        assert (red.lane, red.risk_score) == ("red", 80)

    def test_a_refusal_goes_to_the_last_lane_without_a_draw(self) -> None:
        decision = decided(crossing(consignment(goods(special_article=True))))
        assert decision.outcome is Outcome.REFUSE
        assert decision.lane == "red"
        assert decision.draw is None

    def test_lanes_must_start_at_0_and_rise(self) -> None:
        data = hetao().selection.model_dump(mode="json")
        data["lanes"][1]["min_score"] = 80
        with pytest.raises(ValueError, match="min_scores_not_increasing"):
            SelectionSection.model_validate(data)
        data = hetao().selection.model_dump(mode="json")
        data["lanes"][0]["min_score"] = 5
        with pytest.raises(ValueError, match="first_lane_starts_at_0"):
            SelectionSection.model_validate(data)


class TestCap:
    def test_the_cap_skips_random_selections(self) -> None:
        profile = with_selection(hetao(), rates=["0.50", "0.50", "0.50"], max_inspections=10)
        rules = shipped_rule_set()
        skipped = 0
        for index in range(60):
            facts = crossing(person(), event=f"cap-{index}", selection=state(10))
            decision = decide(facts, rules, profile, seed=SEED)
            assert decision.outcome is Outcome.RELEASE
            if decision.draw is not None and decision.draw.selected:
                skipped += 1
                reason = reason_for(decision, "selection.cap_reached")
                assert "10 inspections" in reason.text["en"]
        assert skipped > 0

    def test_below_the_cap_random_selections_stand(self) -> None:
        profile = with_selection(hetao(), rates=["0.50", "0.50", "0.50"], max_inspections=10)
        rules = shipped_rule_set()
        outcomes = {
            decide(
                crossing(person(), event=f"cap-{i}", selection=state(9)), rules, profile, seed=SEED
            ).outcome
            for i in range(60)
        }
        assert Outcome.INSPECT in outcomes

    def test_the_cap_never_skips_an_inspection_a_rule_requires(self) -> None:
        profile = with_selection(hetao(), max_inspections=1)
        facts = crossing(consignment(goods(hs_code="010619")), selection=state(500))
        decision = decided(facts, profile=profile)
        assert decision.outcome is Outcome.INSPECT
        assert "selection.cap_reached" not in codes(decision)

    def test_periods_align_to_the_period_length(self) -> None:
        section = hetao().selection
        at = dt.datetime(2026, 11, 23, 4, 59, 59, tzinfo=dt.UTC)
        assert period_start(at, section) == dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)


class TestReplay:
    def test_replaying_a_stored_decision_gives_the_same_decision_and_draw(self) -> None:
        profile = with_selection(hetao(), rates=["0.30", "0.30", "0.30"])
        rules = shipped_rule_set()
        for index in range(30):
            facts = crossing(
                consignment(
                    goods(value_cny=Decimal("250000.50")), party=party(credit_level="regular")
                ),
                event=f"replay-{index}",
                selection=state(3),
            )
            original = decide(facts, rules, profile, seed=SEED)
            stored = json.loads(json.dumps(decision_to_json(original)))
            again = decide(facts_from_json(stored["inputs"]), rules, profile, seed=SEED)
            assert again == original
            assert decision_to_json(again) == stored
            assert again.draw == decision_from_json(stored).draw

    def test_a_decision_round_trips_through_json(self) -> None:
        decision = decided(crossing(consignment(goods(hs_code="010619"))))
        assert decision_from_json(json.loads(json.dumps(decision_to_json(decision)))) == decision

    def test_a_malformed_stored_decision_is_refused_naming_the_key(self) -> None:
        data = decision_to_json(decided(crossing(person())))
        data["reasons"][0]["outcome"] = "maybe"
        with pytest.raises(ValidationFailed) as caught:
            decision_from_json(data)
        assert caught.value.problems[0].field == "reasons[0].outcome"
