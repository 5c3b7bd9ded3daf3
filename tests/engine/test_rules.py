"""Risk rules as data: validated on load (table, row, column), tested by example."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.jdm import random_facts
from engine.support import (
    consignment,
    crossing,
    decided,
    goods,
    hengqin,
    party,
    person,
    reason_text,
    rules_of,
    vehicle,
)
from hetao.engine.facts import CrossingFacts, Outcome
from hetao.engine.rules import (
    evaluate,
    evaluate_interpreted,
    load_rule_set,
    risk_inputs,
    rule_set_to_json,
    shipped_rule_set,
    shipped_rule_set_path,
)
from hetao.errors import ValidationFailed
from hetao.profiles import load_profile

SHIPPED: dict[str, Any] = json.loads(shipped_rule_set_path().read_text(encoding="utf-8"))


def refused(document: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        load_rule_set(document, **kwargs)
    return [(p.field, p.rule) for p in caught.value.problems]


def shipped_with(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(SHIPPED)
    change(document)
    return document


def table(name: str, document: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in document["tables"] if t["name"] == name)


def fired(facts: CrossingFacts) -> set[str]:
    """The risk rule ids the shipped rule set fires for ``facts``."""
    return {r.rule for r in decided(facts).reasons if r.rule.startswith("risk:")}


class TestValidation:
    def test_the_shipped_rule_set_loads_with_about_fifty_rows(self) -> None:
        rules = shipped_rule_set()
        assert rules.version == "hetao-2026.11"
        assert 45 <= rules.row_count <= 60
        assert len(rules.tables) >= 8
        assert "NOT published customs risk profiles" in rules.description

    def test_a_malformed_range_is_refused_naming_table_row_and_column(self) -> None:
        document = shipped_with(
            lambda d: table("high-value", d)["rows"][2]["when"].update(value_cny="[1000000..")
        )
        assert ("tables[high-value].rows[3].value_cny", "range_malformed") in refused(document)

    def test_an_empty_range_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("high-value", d)["rows"][3]["when"].update(value_cny="[5..5)")
        )
        assert ("tables[high-value].rows[4].value_cny", "range_empty") in refused(document)

    def test_a_chapter_that_is_not_in_hs_2022_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("animals", d)["rows"][1]["when"].update(hs_chapter="77")
        )
        assert ("tables[animals].rows[2].hs_chapter", "hs2022.unknown_chapter") in refused(document)

    def test_a_heading_that_is_not_in_hs_2022_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("controlled-materials", d)["rows"][0]["when"].update(hs_heading="2899")
        )
        problems = refused(document)
        assert (
            "tables[controlled-materials].rows[1].hs_heading",
            "hs2022.unknown_heading",
        ) in problems

    def test_an_hs_code_prefix_that_is_not_in_hs_2022_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("controlled-materials", d)["rows"][3]["when"].update(hs_code="300299")
        )
        problems = refused(document)
        assert (
            "tables[controlled-materials].rows[4].hs_code",
            "hs2022.unknown_subheading",
        ) in problems

    def test_an_unknown_origin_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("round-trip", d)["rows"][1]["when"].update(origin=["HK", "XX"])
        )
        assert ("tables[round-trip].rows[2].origin", "iso3166.alpha2") in refused(document)

    def test_an_unknown_crossing_point_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("night-crossings", d)["rows"][2]["when"].update(
                crossing_point="LOK_MA_CHAU"
            )
        )
        problems = refused(document)
        assert (
            "tables[night-crossings].rows[3].crossing_point",
            "unknown_crossing_point",
        ) in problems

    def test_crossing_points_are_checked_against_the_profile_in_use(self) -> None:
        # FBZ_CHANNEL_1 is a Hetao point; Hengqin has none of that name.
        document = shipped_with(lambda d: d.pop("zone"))
        problems = refused(document, profile=hengqin())
        assert (
            "tables[night-crossings].rows[3].crossing_point",
            "unknown_crossing_point",
        ) in problems

    def test_a_rule_set_for_another_zone_is_refused(self) -> None:
        assert ("zone", "zone_mismatch") in refused(SHIPPED, profile=hengqin())

    def test_a_column_outside_the_closed_list_is_refused(self) -> None:
        document = shipped_with(lambda d: table("animals", d)["inputs"].append("weight_kg"))
        assert ("tables[animals].inputs[3]", "unknown_column") in refused(document)

    def test_a_condition_on_a_column_the_table_does_not_declare_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("animals", d)["rows"][0]["when"].update(origin="DE")
        )
        assert ("tables[animals].rows[1].origin", "column_not_an_input") in refused(document)

    def test_an_unknown_outcome_and_a_score_out_of_range_are_both_reported(self) -> None:
        def change(d: dict[str, Any]) -> None:
            table("party-credit", d)["rows"][0]["outcome"] = "detain"
            table("party-credit", d)["rows"][1]["score"] = 101

        problems = refused(shipped_with(change))
        assert ("tables[party-credit].rows[1].outcome", "unknown_outcome") in problems
        assert ("tables[party-credit].rows[2].score", "score_out_of_range") in problems

    def test_a_reason_without_its_chinese_texts_is_refused(self) -> None:
        document = shipped_with(lambda d: table("animals", d)["rows"][0]["reason"].pop("zh-Hant"))
        assert ("tables[animals].rows[1].reason.zh-Hant", "text_required") in refused(document)

    def test_a_placeholder_naming_no_column_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("party-credit", d)["rows"][0]["reason"].update(
                en="{value_cny} too much"
            )
        )
        assert ("tables[party-credit].rows[1].reason.en", "unknown_placeholder") in refused(
            document
        )

    def test_a_float_amount_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("high-value", d)["rows"][0]["when"].update(value_cny=5e6)
        )
        assert ("tables[high-value].rows[1].value_cny", "decimal_string_required") in refused(
            document
        )

    def test_an_hour_outside_the_day_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("night-crossings", d)["rows"][0]["when"].update(hour=24)
        )
        assert ("tables[night-crossings].rows[1].hour", "out_of_range") in refused(document)

    def test_an_unknown_goods_kind_is_refused(self) -> None:
        document = shipped_with(
            lambda d: table("goods-kind", d)["rows"][0]["when"].update(goods_kind="plutonium")
        )
        assert ("tables[goods-kind].rows[1].goods_kind", "unknown_goods_kind") in refused(document)

    def test_two_tables_with_one_name_are_refused(self) -> None:
        document = shipped_with(lambda d: d["tables"].append(copy.deepcopy(d["tables"][0])))
        assert (f"tables[{SHIPPED['tables'][0]['name']}].name", "must_be_unique") in refused(
            document
        )

    def test_an_activation_time_without_an_offset_is_refused(self) -> None:
        document = shipped_with(lambda d: d.update(activates_at="2026-11-01T00:00:00"))
        assert ("activates_at", "timezone_required") in refused(document)

    def test_an_unknown_hit_policy_is_refused(self) -> None:
        document = shipped_with(lambda d: d["tables"][0].update(hit_policy="priority"))
        assert ("tables[controlled-materials].hit_policy", "unknown_hit_policy") in refused(
            document
        )

    def test_every_problem_is_reported_not_only_the_first(self) -> None:
        def change(d: dict[str, Any]) -> None:
            table("high-value", d)["rows"][0]["when"]["value_cny"] = "[a..b)"
            table("animals", d)["rows"][0]["when"]["hs_heading"] = "0199"

        assert len(refused(shipped_with(change))) == 2

    def test_malformed_json_in_a_file_is_refused_with_its_position(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.json"
        path.write_text('{"version": ', encoding="utf-8")
        with pytest.raises(ValidationFailed) as caught:
            load_rule_set(path)
        assert caught.value.problems[0].rule == "json_malformed"

    def test_the_content_hash_follows_the_content_not_the_layout(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.json"
        path.write_text(json.dumps(SHIPPED, indent=None, sort_keys=True), encoding="utf-8")
        assert load_rule_set(path).content_hash == shipped_rule_set().content_hash
        changed = shipped_with(lambda d: table("animals", d)["rows"][0].update(score=81))
        assert load_rule_set(changed).content_hash != shipped_rule_set().content_hash

    def test_a_rule_set_round_trips_through_its_json(self) -> None:
        again = load_rule_set(rule_set_to_json(shipped_rule_set()))
        assert again.content_hash == shipped_rule_set().content_hash
        assert again.activates_at == dt.datetime(2026, 10, 31, 16, 0, tzinfo=dt.UTC)


class TestShippedTablesByExample:
    """Each row fires on its example and not on the neighbours just outside it."""

    def test_high_value_bands_meet_without_gaps_or_overlaps(self) -> None:
        def band(value: str) -> set[str]:
            facts = crossing(consignment(goods(hs_code="392690", value_cny=Decimal(value))))
            return {r for r in fired(facts) if r.startswith("risk:high-value:")}

        assert band("4999999.99") == {"risk:high-value:3"}
        assert band("5000000") == {"risk:high-value:1"}
        assert band("1000000") == {"risk:high-value:3"}
        assert band("999999.99") == {"risk:high-value:4"}
        assert band("200000") == {"risk:high-value:4"}
        assert band("199999.99") == {"risk:high-value:5"}

    def test_high_value_equipment_row_needs_chapters_84_85_or_90(self) -> None:
        on = crossing(consignment(goods(hs_code="847130", value_cny=Decimal("2000000"))))
        off = crossing(consignment(goods(hs_code="392690", value_cny=Decimal("2000000"))))
        assert "risk:high-value:2" in fired(on)
        assert "risk:high-value:2" not in fired(off)

    def test_live_laboratory_animals_are_inspected(self) -> None:
        decision = decided(crossing(consignment(goods(hs_code="010619"))))
        assert decision.outcome is Outcome.INSPECT
        assert "risk:animals:1" in {r.rule for r in decision.reasons}
        # 0106 fires row 1, so the chapter-01 catch-all (row 2) does not under "first".
        assert "risk:animals:2" not in {r.rule for r in decision.reasons}
        assert "risk:animals:2" in fired(crossing(consignment(goods(hs_code="010110"))))
        assert not any(
            r.startswith("risk:animals:")
            for r in fired(crossing(consignment(goods(hs_code="020110"))))
        )

    def test_toxins_fire_on_their_subheading_not_on_the_rest_of_3002(self) -> None:
        toxins = fired(crossing(consignment(goods(hs_code="300290"))))
        vaccines = fired(crossing(consignment(goods(hs_code="300212"))))
        assert "risk:controlled-materials:4" in toxins
        assert "risk:controlled-materials:4" not in vaccines
        assert "risk:biological-material:1" in vaccines

    def test_collect_max_lists_every_row_that_fires(self) -> None:
        facts = crossing(
            consignment(goods(hs_code="848620", value_cny=Decimal("100"))), direction="outbound"
        )
        decision = decided(facts)
        rows = {r.rule for r in decision.reasons if r.rule.startswith("risk:dual-use")}
        assert rows == {"risk:dual-use-equipment:1"}
        assert decision.outcome is Outcome.INSPECT
        inbound = fired(crossing(consignment(goods(hs_code="848620")), direction="inbound"))
        assert "risk:dual-use-equipment:2" in inbound
        assert "risk:dual-use-equipment:1" not in inbound

    def test_integrated_circuits_leaving_fire_from_cny_500000(self) -> None:
        def at(value: str) -> set[str]:
            line = goods(hs_code="854231", value_cny=Decimal(value))
            return fired(crossing(consignment(line), direction="outbound"))

        assert "risk:dual-use-equipment:3" in at("500000")
        assert "risk:dual-use-equipment:3" not in at("499999.99")

    def test_party_credit_levels_each_have_their_row(self) -> None:
        for number, level in enumerate(
            ["seriously_dishonest", "dishonest", "regular", "certified", "advanced_certified"], 1
        ):
            facts = crossing(consignment(party=party(credit_level=level)))
            assert {r for r in fired(facts) if "party-credit" in r} == {
                f"risk:party-credit:{number}"
            }

    def test_a_history_of_three_discrepancies_is_inspected_two_is_not(self) -> None:
        three = decided(crossing(consignment(party=party(discrepancies_last_365d=3))))
        two = decided(crossing(consignment(party=party(discrepancies_last_365d=2))))
        assert three.outcome is Outcome.INSPECT
        assert "risk:party-history:1" in {r.rule for r in three.reasons}
        assert "risk:party-history:2" in {r.rule for r in two.reasons}
        assert reason_for_rule(three, "risk:party-history:1").text["en"].startswith("3 inspections")

    def test_night_goods_fire_before_six_at_the_zone_not_at_six(self) -> None:
        at_0559 = dt.datetime(2026, 11, 23, 21, 59, tzinfo=dt.UTC)  # 05:59 on the 24th locally
        at_0600 = dt.datetime(2026, 11, 23, 22, 0, tzinfo=dt.UTC)
        assert "risk:night-crossings:1" in fired(crossing(consignment(), at=at_0559))
        assert "risk:night-crossings:1" not in fired(crossing(consignment(), at=at_0600))

    def test_late_channel_1_crossings_fire_for_people_only(self) -> None:
        late = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)  # 22:30 locally
        assert "risk:night-crossings:3" in fired(crossing(person(), at=late))
        assert "risk:night-crossings:3" not in fired(crossing(vehicle(), at=late))

    def test_weekend_goods_to_the_mainland(self) -> None:
        saturday = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)
        friday = dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC)
        kwargs: dict[str, Any] = {"point": "SL_GOODS", "line": "second", "direction": "outbound"}
        assert "risk:weekend-goods:1" in fired(crossing(consignment(), at=saturday, **kwargs))
        assert "risk:weekend-goods:1" not in fired(crossing(consignment(), at=friday, **kwargs))

    def test_bonded_goods_leaving_for_the_mainland_are_inspected(self) -> None:
        kwargs: dict[str, Any] = {"point": "SL_GOODS", "line": "second", "direction": "outbound"}
        bonded = decided(crossing(consignment(goods(bonded=True)), **kwargs))
        assert bonded.outcome is Outcome.INSPECT
        assert "risk:bonded-goods:1" in {r.rule for r in bonded.reasons}
        assert "risk:bonded-goods:1" not in fired(crossing(consignment(goods()), **kwargs))

    def test_mainland_goods_entering_from_hong_kong_are_flagged_as_a_possible_round_trip(
        self,
    ) -> None:
        assert "risk:round-trip:1" in fired(crossing(consignment(goods(origin="CN"))))
        assert "risk:round-trip:1" not in fired(crossing(consignment(goods(origin="DE"))))
        assert "risk:round-trip:1" not in fired(
            crossing(consignment(goods(origin="CN")), direction="outbound")
        )

    def test_reason_texts_carry_the_values_that_fired_them(self) -> None:
        facts = crossing(
            consignment(goods(hs_code="854231", value_cny=Decimal("750000.00"))),
            direction="outbound",
        )
        reason = reason_for_rule(decided(facts), "risk:dual-use-equipment:3")
        assert reason.text["en"] == "Integrated circuits worth CNY 750000.00 leaving (854231)"
        assert reason.text["zh-Hans"] == "价值人民币 750000.00 元的集成电路出区(854231)"
        assert reason.subject == "line[1]"


def reason_for_rule(decision: Any, rule: str) -> Any:
    return next(r for r in decision.reasons if r.rule == rule)


class TestHitPolicies:
    def test_first_stops_at_the_first_matching_row_collect_max_takes_every_row(self) -> None:
        rows = [
            {
                "when": {"value_cny": "[0..)"},
                "outcome": "release",
                "score": 10,
                "reason": reason_text("risk.a"),
            },
            {
                "when": {"value_cny": "[100..)"},
                "outcome": "inspect",
                "score": 50,
                "reason": reason_text("risk.b"),
            },
        ]
        first = rules_of(
            {"name": "t", "hit_policy": "first", "inputs": ["value_cny"], "rows": rows}
        )
        collect = rules_of(
            {"name": "t", "hit_policy": "collect_max", "inputs": ["value_cny"], "rows": rows}
        )
        facts = crossing(consignment(goods(value_cny=Decimal(500))))
        assert decided(facts, rules=first).risk_score == 10
        assert decided(facts, rules=first).outcome is Outcome.RELEASE
        assert decided(facts, rules=collect).risk_score == 50
        assert decided(facts, rules=collect).outcome is Outcome.INSPECT

    def test_a_risk_rule_may_refuse(self) -> None:
        refuse = rules_of(
            {
                "name": "arms",
                "hit_policy": "first",
                "inputs": ["hs_chapter"],
                "rows": [
                    {
                        "when": {"hs_chapter": "93"},
                        "outcome": "refuse",
                        "score": 100,
                        "reason": reason_text(),
                    }
                ],
            }
        )
        decision = decided(crossing(consignment(goods(hs_code="930190"))), rules=refuse)
        assert decision.outcome is Outcome.REFUSE
        assert decision.reasons[-1].rule == "risk:arms:1"

    def test_compiled_tables_agree_with_the_interpreter_on_random_crossings(self) -> None:
        rules, profile = shipped_rule_set(), load_profile("hetao")
        rng = random.Random(20261123)
        for index in range(3000):
            inputs = risk_inputs(random_facts(rng, profile, index=index), profile.zone.timezone)
            compiled = [(h.rule_id, h.subject) for h in evaluate(rules, inputs)]
            interpreted = [(h.rule_id, h.subject) for h in evaluate_interpreted(rules, inputs)]
            assert compiled == interpreted
