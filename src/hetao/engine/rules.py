"""Risk rules as data: decision tables in JSON, validated on load, precompiled for speed.

A rule set is ``{"version", "activates_at", "description", "zone"?, "tables": [...]}``; a table
is ``{"name", "description", "hit_policy": "first" | "collect_max", "inputs": [columns],
"rows": [{"when": {column: condition}, "outcome", "score", "reason": {...}}]}``. Conditions:
``"-"`` any value, an exact value, a list (any of), a range ``"[a..b)"`` / ``"(a..]"`` for
numeric columns, and for ``hs_code`` a code whose digits the line's code must start with.
Tables over goods columns are evaluated once per goods line; the others once per party.
See docs/decisions/0003-decision-tables.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hetao.engine.facts import (
    OUTCOME_SEVERITY,
    ConsignmentFacts,
    CrossingFacts,
    Outcome,
    PartyFacts,
    PersonFacts,
    VehicleFacts,
)
from hetao.engine.rule_loading import canonical_json, load_rule_set
from hetao.engine.tables import (
    COLUMNS,
    CREDIT_LEVELS,
    Column,
    ColumnType,
    Condition,
    Context,
    Hit,
    HitPolicy,
    ReasonText,
    Row,
    RuleSet,
    Table,
    compile_rule_set,
    compile_table,
)

SHIPPED_RULE_SET = "hetao-2026.11.json"


# --- shipped rule sets ----------------------------------------------------------------------


def shipped_rule_set_path(name: str = SHIPPED_RULE_SET) -> Path:
    """Where a shipped rule set lives."""
    return Path(str(files("hetao.engine").joinpath("rulesets", name)))


@functools.cache
def shipped_rule_set() -> RuleSet:
    """The default rule set shipped in ``engine/rulesets/`` (validated against ``hetao``)."""
    return load_rule_set(shipped_rule_set_path())


def rule_set_to_json(rule_set: RuleSet) -> dict[str, Any]:
    """The rule set's source document (what ``load_rule_set`` reads back)."""
    copy: dict[str, Any] = json.loads(json.dumps(rule_set.source))
    return copy


# --- evaluation -----------------------------------------------------------------------------


def _party_values(party: PartyFacts | None) -> Context:
    if party is None:
        return _NO_PARTY
    return {
        "party_code": party.code,
        "party_credit_level": party.credit_level,
        "party_inspections_last_365d": party.inspections_last_365d,
        "party_discrepancies_last_365d": party.discrepancies_last_365d,
    }


_NO_PARTY: Context = {
    "party_code": None,
    "party_credit_level": None,
    "party_inspections_last_365d": None,
    "party_discrepancies_last_365d": None,
}


@dataclass(frozen=True, slots=True)
class RiskInputs:
    """The contexts the tables run over: one per party (or the crossing), one per goods line."""

    crossing: tuple[tuple[str, Context], ...]
    goods: tuple[tuple[str, Context], ...]


_SUBJECT_TYPES: dict[type, str] = {
    PersonFacts: "person",
    VehicleFacts: "vehicle",
    ConsignmentFacts: "consignment",
}


@functools.lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def risk_inputs(
    facts: CrossingFacts, timezone: str, *, local: dt.datetime | None = None
) -> RiskInputs:
    """Build the tables' contexts from the facts; ``timezone`` is the zone's.

    ``local`` is the crossing time at the zone when the caller already has it.
    """
    if local is None:
        local = facts.occurred_at.astimezone(_zone(timezone))
    goods, crossing = risk_contexts(facts, local)
    return RiskInputs(crossing=crossing, goods=goods)


def risk_contexts(
    facts: CrossingFacts, local: dt.datetime
) -> tuple[tuple[tuple[str, Context], ...], tuple[tuple[str, Context], ...]]:
    """``risk_inputs`` as (goods, crossing), the arguments of ``RuleSet.fire``; ``local`` is
    the crossing time at the zone."""
    subject = facts.subject
    if type(subject) is PersonFacts:
        # The commonest crossing: one context, no party, no goods, built in one go.
        person: Context = {
            "hour": local.hour,
            "weekday": local.isoweekday(),
            "crossing_point": facts.crossing_point,
            "line": facts.line,
            "direction": facts.direction,
            "subject_type": "person",
            "party_code": None,
            "party_credit_level": None,
            "party_inspections_last_365d": None,
            "party_discrepancies_last_365d": None,
        }
        return (), (("", person),)
    base: Context = {
        "hour": local.hour,
        "weekday": local.isoweekday(),
        "crossing_point": facts.crossing_point,
        "line": facts.line,
        "direction": facts.direction,
        "subject_type": _SUBJECT_TYPES[type(subject)],
    }
    consignments: list[tuple[str, ConsignmentFacts]] = []
    parties: list[tuple[str, PartyFacts | None]] = []
    if isinstance(subject, ConsignmentFacts):
        consignments.append(("", subject))
        parties.append(("party", subject.party))
    elif isinstance(subject, VehicleFacts):
        parties.append(("owner", subject.owner))
        for index, c in enumerate(subject.consignments):
            consignments.append((f"consignment[{index + 1}].", c))
            if c.party is not None and all(
                p is None or p.party_id != c.party.party_id for _, p in parties
            ):
                parties.append((f"consignment[{index + 1}].party", c.party))
    else:  # a person: the crossing's own context, no party
        parties.append(("", None))
    crossing: list[tuple[str, Context]] = []
    for label, party in parties:
        crossing.append((label, {**base, **_party_values(party)}))
    goods: list[tuple[str, Context]] = []
    for prefix, c in consignments:
        party_ctx = {**base, **_party_values(c.party)}
        for line in c.lines:
            digits = line.hs_code.replace(".", "").replace(" ", "")
            # The party's values and the line's in one dict (this runs for every goods line).
            line_ctx = {
                **party_ctx,
                "hs_chapter": digits[:2],
                "hs_heading": digits[:4],
                "hs_code": digits,
                "origin": line.origin,
                "value_cny": line.value_cny,
                "goods_kind": line.goods_kind,
                "bonded": line.bonded,
            }
            goods.append((f"{prefix}line[{line.line_no}]", line_ctx))
    return tuple(goods), tuple(crossing)


def evaluate(rule_set: RuleSet, inputs: RiskInputs) -> list[Hit]:
    """Every row that fires, table by table, in table and input order."""
    hits: list[Hit] = []
    for table in rule_set.tables:
        evaluate_table = table.compiled
        for subject, ctx in inputs.goods if table.per_goods_line else inputs.crossing:
            for row in evaluate_table(ctx):
                hits.append(Hit(table, row, ctx, subject))
    return hits


def evaluate_interpreted(rule_set: RuleSet, inputs: RiskInputs) -> list[Hit]:
    """``evaluate`` through ``Table.evaluate``: the reference the compiled tables must match."""
    hits: list[Hit] = []
    for table in rule_set.tables:
        for subject, ctx in inputs.goods if table.per_goods_line else inputs.crossing:
            for row in table.evaluate(ctx):
                hits.append(Hit(table, row, ctx, subject))
    return hits


def summarise(hits: Sequence[Hit]) -> tuple[Outcome, int]:
    """The most severe outcome and the highest score among ``hits``."""
    outcome, score = Outcome.RELEASE, 0
    for hit in hits:
        if OUTCOME_SEVERITY[hit.row.outcome] > OUTCOME_SEVERITY[outcome]:
            outcome = hit.row.outcome
        score = max(score, hit.row.score)
    return outcome, score


__all__ = [
    "COLUMNS",
    "CREDIT_LEVELS",
    "Column",
    "ColumnType",
    "Condition",
    "Context",
    "Hit",
    "HitPolicy",
    "ReasonText",
    "RiskInputs",
    "Row",
    "RuleSet",
    "Table",
    "canonical_json",
    "compile_rule_set",
    "compile_table",
    "evaluate",
    "evaluate_interpreted",
    "load_rule_set",
    "risk_contexts",
    "risk_inputs",
    "rule_set_to_json",
    "shipped_rule_set",
    "shipped_rule_set_path",
    "summarise",
]
