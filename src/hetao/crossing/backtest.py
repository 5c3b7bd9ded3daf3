"""Back-testing a candidate rule set on recorded crossings (reads only; writes nothing).

Each recorded decision is decided again from its stored facts and seed with the candidate rules,
so the only thing that differs is the rules. The report counts, per lane and per rule, how many
decisions change, and the hit rate against recorded inspection results: of the crossings a rule
(or the whole rule set) sends to inspection that WERE inspected, how many found a discrepancy or
a seizure. Crossings never inspected have no result, so a rule that flags only those has an
unknown hit rate (None), never 0.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.crossing import repository
from hetao.engine.decision import Decision, decide
from hetao.engine.facts import Outcome, facts_from_json
from hetao.engine.rules import RuleSet
from hetao.profiles import ZoneProfile

BATCH = 500
#: Results that count as a hit: the inspection found something.
HITS = frozenset(repository.FOUND_A_PROBLEM)
#: Outcomes that send a crossing to an officer (an inspection, or a refusal at the gate).
FLAGGED = frozenset({Outcome.INSPECT, Outcome.REFUSE})


@dataclass
class _Tally:
    """Counts of one rule or one lane."""

    before: int = 0
    after: int = 0
    changed: int = 0
    inspected_with_result: int = 0
    hits: int = 0

    def hit_rate(self) -> str | None:
        if not self.inspected_with_result:
            return None
        return str((Decimal(self.hits) / self.inspected_with_result).quantize(Decimal("0.0001")))


@dataclass
class Report:
    """What changes with the candidate rules, per lane and per rule."""

    candidate_version: str
    candidate_sha256: str
    since: dt.datetime
    replayed: int = 0
    changed: int = 0
    outcomes_before: Counter[str] = field(default_factory=Counter)
    outcomes_after: Counter[str] = field(default_factory=Counter)
    lanes: dict[str, _Tally] = field(default_factory=dict)
    rules: dict[str, _Tally] = field(default_factory=dict)
    recorded: _Tally = field(default_factory=_Tally)
    candidate: _Tally = field(default_factory=_Tally)
    transitions: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        """JSON-stable form of the report."""

        def row(key: str, value: str, t: _Tally) -> dict[str, Any]:
            return {
                key: value,
                "before": t.before,
                "after": t.after,
                "changed": t.changed,
                "inspected_with_result": t.inspected_with_result,
                "hits": t.hits,
                "hit_rate": t.hit_rate(),
            }

        def overall(t: _Tally) -> dict[str, Any]:
            return {
                "flagged": t.after,
                "inspected_with_result": t.inspected_with_result,
                "hits": t.hits,
                "hit_rate": t.hit_rate(),
            }

        return {
            "candidate": {"version": self.candidate_version, "sha256": self.candidate_sha256},
            "since": self.since.isoformat(),
            "replayed": self.replayed,
            "changed": self.changed,
            "outcomes": {
                "before": dict(sorted(self.outcomes_before.items())),
                "after": dict(sorted(self.outcomes_after.items())),
            },
            "transitions": dict(sorted(self.transitions.items())),
            "lanes": [row("lane", k, v) for k, v in sorted(self.lanes.items())],
            "rules": [row("rule", k, v) for k, v in sorted(self.rules.items())],
            "hit_rate": {
                "recorded_rules": overall(self.recorded),
                "candidate_rules": overall(self.candidate),
            },
        }


def _rules_of(reasons: Any) -> set[str]:
    return {str(r["rule"]) for r in reasons}


def backtest(
    session: Session, candidate: RuleSet, *, since: dt.datetime, profile: ZoneProfile
) -> Report:
    """Replay every crossing recorded since ``since`` with ``candidate`` and compare."""
    report = Report(
        candidate_version=candidate.version, candidate_sha256=candidate.content_hash, since=since
    )
    for recorded in repository.decisions_since(session, since, batch=BATCH):
        result = recorded.result
        facts = facts_from_json(recorded.inputs)
        again: Decision = decide(facts, candidate, profile, seed=bytes.fromhex(recorded.seed))
        before_outcome, after_outcome = recorded.outcome, again.outcome
        changed = before_outcome != after_outcome or recorded.lane != again.lane
        report.replayed += 1
        report.changed += changed
        report.outcomes_before[before_outcome.value] += 1
        report.outcomes_after[after_outcome.value] += 1
        if before_outcome != after_outcome:
            report.transitions[f"{before_outcome.value}->{after_outcome.value}"] += 1

        has_result = result is not None
        hit = result in HITS

        for lane, side in ((recorded.lane, "before"), (again.lane, "after")):
            tally = report.lanes.setdefault(lane, _Tally())
            setattr(tally, side, getattr(tally, side) + 1)
        report.lanes[recorded.lane].changed += changed

        before_rules = _rules_of(recorded.reasons)
        after_rules = {r.rule for r in again.reasons}
        for rule in before_rules | after_rules:
            tally = report.rules.setdefault(rule, _Tally())
            tally.before += rule in before_rules
            tally.after += rule in after_rules
            tally.changed += changed
            if rule in after_rules and after_outcome in FLAGGED and has_result:
                tally.inspected_with_result += 1
                tally.hits += hit

        for tally, outcome in (
            (report.recorded, before_outcome),
            (report.candidate, after_outcome),
        ):
            if outcome in FLAGGED:
                tally.after += 1
                if has_result:
                    tally.inspected_with_result += 1
                    tally.hits += hit
    return report
