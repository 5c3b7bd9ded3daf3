"""Our decision tables as GoRules JDM graphs, to compare zen-engine with our own evaluator.

Only the bench and the tests use this; ``zen`` (dev extra) is imported when an evaluator is
built, never by the platform. Two graphs: one with the tables run per goods line, one with
the tables run per party, each a decision-table node per table writing to ``t<index>``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from hetao.engine.facts import (
    NOT_WHITELISTED,
    ConsignmentFacts,
    CrossingFacts,
    GoodsLine,
    Outcome,
    PartyFacts,
    PersonFacts,
    Subject,
    VehicleFacts,
    WhitelistStanding,
)
from hetao.engine.rules import (
    Condition,
    Context,
    RiskInputs,
    RuleSet,
    Table,
)
from hetao.profiles import ZoneProfile


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return json.dumps(value)


def unary(condition: Condition) -> str:
    """The ZEN unary test equivalent to one condition."""
    if condition.kind in ("exact", "set"):
        return ", ".join(_literal(v) for v in condition.values)
    if condition.kind == "prefix":
        return " or ".join(f"startsWith($, {json.dumps(p)})" for p in condition.values)
    low, high = condition.low, condition.high
    if low is not None and high is not None:
        left = "[" if condition.low_closed else "("
        right = "]" if condition.high_closed else ")"
        return f"{left}{low}..{high}{right}"
    if low is not None:
        return f"{'>=' if condition.low_closed else '>'} {low}"
    return f"{'<=' if condition.high_closed else '<'} {high}"


def table_node(table: Table, index: int) -> dict[str, Any]:
    """A JDM decision-table node for one of our tables."""
    node_id = f"t{index}"
    inputs = [
        {"id": f"{node_id}_{column}", "name": column, "field": column} for column in table.inputs
    ]
    outputs = [
        {"id": f"{node_id}_{name}", "name": name, "field": name}
        for name in ("outcome", "score", "rule")
    ]
    rules = []
    for row in table.rows:
        cells: dict[str, str] = {"_id": f"{node_id}_r{row.number}"}
        by_column = {c.column: c for c in row.conditions}
        for column in table.inputs:
            condition = by_column.get(column)
            cells[f"{node_id}_{column}"] = "" if condition is None else unary(condition)
        cells[f"{node_id}_outcome"] = json.dumps(row.outcome.value)
        cells[f"{node_id}_score"] = str(row.score)
        cells[f"{node_id}_rule"] = json.dumps(table.rule_id(row))
        rules.append(cells)
    return {
        "id": node_id,
        "type": "decisionTableNode",
        "name": table.name,
        "position": {"x": 300, "y": 100 * index},
        "content": {
            "hitPolicy": "first" if table.hit_policy.value == "first" else "collect",
            "inputs": inputs,
            "outputs": outputs,
            "rules": rules,
            "outputPath": node_id,
            "passThrough": False,
            "inputField": None,
            "executionMode": "single",
        },
    }


def to_jdm(rule_set: RuleSet, *, per_goods_line: bool) -> dict[str, Any]:
    """The JDM graph of the tables run per goods line (or per party when False)."""
    nodes: list[dict[str, Any]] = [
        {"id": "request", "type": "inputNode", "name": "request", "position": {"x": 0, "y": 0}},
        {
            "id": "response",
            "type": "outputNode",
            "name": "response",
            "position": {"x": 600, "y": 0},
        },
    ]
    edges: list[dict[str, Any]] = []
    for index, table in enumerate(rule_set.tables):
        if table.per_goods_line != per_goods_line:
            continue
        node = table_node(table, index)
        nodes.append(node)
        edges.append(
            {"id": f"in_{index}", "sourceId": "request", "targetId": node["id"], "type": "edge"}
        )
        edges.append(
            {"id": f"out_{index}", "sourceId": node["id"], "targetId": "response", "type": "edge"}
        )
    return {"nodes": nodes, "edges": edges}


def context_json(ctx: Context) -> str:
    """A context as JSON for zen: decimals as JSON numbers (zen reads them as decimals)."""
    parts = []
    for key, value in ctx.items():
        text = str(value) if isinstance(value, Decimal) else json.dumps(value)
        parts.append(f"{json.dumps(key)}:{text}")
    return "{" + ",".join(parts) + "}"


class ZenEvaluator:
    """Runs a rule set's tables in zen-engine; needs the ``zen-engine`` package."""

    def __init__(self, rule_set: RuleSet) -> None:
        import zen  # the dev extra only: the platform never evaluates with zen

        engine = zen.ZenEngine()
        self.goods = engine.create_decision(json.dumps(to_jdm(rule_set, per_goods_line=True)))
        self.crossing = engine.create_decision(json.dumps(to_jdm(rule_set, per_goods_line=False)))

    @staticmethod
    def _fired(result: dict[str, Any]) -> list[tuple[str, Outcome, int]]:
        fired: list[tuple[str, Outcome, int]] = []
        for value in result.values():
            for hit in value if isinstance(value, list) else [value]:
                if hit:
                    fired.append((hit["rule"], Outcome(hit["outcome"]), int(hit["score"])))
        return fired

    def hits(self, inputs: RiskInputs) -> list[tuple[str, Outcome, int]]:
        """(rule id, outcome, score) of every row zen fires over ``inputs``."""
        return self.timed_hits(inputs)[0]

    def timed_hits(self, inputs: RiskInputs) -> tuple[list[tuple[str, Outcome, int]], float]:
        """The hits, and the seconds zen says its engine spent (its ``performance`` field).

        The difference from the wall time is the Python binding's cost per call.
        """
        fired: list[tuple[str, Outcome, int]] = []
        engine = 0.0
        for decision, contexts in ((self.goods, inputs.goods), (self.crossing, inputs.crossing)):
            for _, ctx in contexts:
                response = decision.evaluate(context_json(ctx))
                fired.extend(self._fired(response["result"]))
                engine += seconds(response["performance"])
        return fired, engine


_UNITS = (("ns", 1e-9), ("µs", 1e-6), ("us", 1e-6), ("ms", 1e-3), ("s", 1.0))


def seconds(performance: str) -> float:
    """zen's ``performance`` text ("36.7µs", "1.2ms") in seconds."""
    for suffix, factor in _UNITS:
        if performance.endswith(suffix):
            return float(performance[: -len(suffix)]) * factor
    raise ValueError(f"unknown duration {performance!r}")


def summarise_hits(hits: Sequence[tuple[str, Outcome, int]]) -> tuple[Outcome, int]:
    """Most severe outcome and highest score of zen's hits (our ``rules.summarise``)."""
    severity = {Outcome.RELEASE: 0, Outcome.INSPECT: 1, Outcome.REFUSE: 2}
    outcome, score = Outcome.RELEASE, 0
    for _, hit_outcome, hit_score in hits:
        if severity[hit_outcome] > severity[outcome]:
            outcome = hit_outcome
        score = max(score, hit_score)
    return outcome, score


# --- generated facts for comparison and benchmarks --------------------------------------------

_HS_CODES = (
    "284410",
    "840110",
    "930190",
    "300290",
    "880620",
    "902212",
    "300212",
    "300120",
    "382100",
    "293491",
    "382200",
    "350400",
    "010619",
    "010110",
    "030110",
    "051199",
    "041090",
    "050100",
    "848620",
    "854231",
    "854140",
    "901210",
    "902780",
    "845611",
    "852560",
    "854370",
    "847130",
    "901890",
    "392690",
    "481920",
    "940360",
)
_VALUES = (
    "0.01",
    "1999.99",
    "199999.99",
    "200000",
    "499999",
    "500000",
    "999999.99",
    "1000000",
    "4999999.99",
    "5000000",
    "12000000",
)
_ORIGINS = ("CN", "HK", "MO", "DE", "US", "JP", "GB")
_CREDIT = ("advanced_certified", "certified", "regular", "dishonest", "seriously_dishonest")


def _standing(rng: random.Random) -> WhitelistStanding:
    return WhitelistStanding(
        entry_id=rng.randint(1, 10**6),
        status="active",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2028, 12, 31),
        flows=("people", "goods"),
        lines=("first", "second"),
        exemptions=("duty_free_research_goods", "hand_carry_channel1"),
    )


def _party(rng: random.Random) -> PartyFacts | None:
    if rng.random() < 0.05:
        return None
    return PartyFacts(
        party_id=rng.randint(1, 5000),
        kind="csa_enterprise",
        status="active",
        credit_level=rng.choice(_CREDIT),
        whitelist=_standing(rng),
        inspections_last_365d=rng.randint(0, 30),
        discrepancies_last_365d=rng.choice((0, 0, 0, 1, 2, 3, 5)),
    )


def _consignment(rng: random.Random, kinds: Sequence[str]) -> ConsignmentFacts:
    lines = tuple(
        GoodsLine(
            line_no=n,
            hs_code=rng.choice(_HS_CODES),
            goods_kind=rng.choice(kinds),
            origin=rng.choice(_ORIGINS),
            value_cny=Decimal(rng.choice(_VALUES)),
            quantity=Decimal(rng.randint(1, 20)),
            unit="pcs",
            bonded=rng.random() < 0.2,
        )
        for n in range(1, rng.randint(1, 3) + 1)
    )
    return ConsignmentFacts(
        declaration_id=rng.randint(1, 10**6),
        declaration_status="accepted",
        party=_party(rng),
        lines=lines,
    )


def random_facts(rng: random.Random, profile: ZoneProfile, *, index: int = 0) -> CrossingFacts:
    """A plausible crossing with values on and around the shipped tables' boundaries."""
    point = rng.choice(profile.crossing_points)
    kinds = profile.whitelist.waiver_goods_kinds
    roll = rng.random()
    subject: Subject
    if roll < 0.6:
        subject = _consignment(rng, kinds)
    elif roll < 0.8:
        subject = VehicleFacts(
            vehicle_id=rng.randint(1, 10**5),
            plate=f"V{rng.randint(1000, 9999)}",
            permit_valid_here=True,
            owner=_party(rng),
            whitelist=NOT_WHITELISTED,
            driver=None,
            consignments=tuple(_consignment(rng, kinds) for _ in range(rng.randint(0, 2))),
        )
    else:
        subject = PersonFacts(
            person_id=rng.randint(1, 10**6), residency="hong_kong", whitelist=_standing(rng)
        )
    occurred = dt.datetime(2026, 11, 23, tzinfo=dt.UTC) + dt.timedelta(
        minutes=rng.randint(0, 7 * 24 * 60 - 1)
    )
    return CrossingFacts(
        event_id=f"gen-{index}-{rng.getrandbits(48):012x}",
        crossing_point=point.code,
        line=point.line.value,
        direction=rng.choice(point.directions).value,
        occurred_at=occurred,
        subject=subject,
    )


__all__ = [
    "ZenEvaluator",
    "context_json",
    "random_facts",
    "seconds",
    "summarise_hits",
    "table_node",
    "to_jdm",
    "unary",
]
