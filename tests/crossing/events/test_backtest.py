"""Back-testing a candidate rule set on a small recorded history with inspection results."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossing.events.support import person_event, record, whitelisted_person
from crossing.events.test_service import rule_set
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.crossing import intake, rule_sets
from hetao.crossing.backtest import backtest
from hetao.engine.rules import load_rule_set
from hetao.inspections import results as inspection_results
from hetao.inspections import service as inspections
from hetao.inspections.models import Inspection, InspectionResult
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow
from inspections.support import officer

ALL_POINTS = intake.Device("device:7", "gate-7", frozenset({"HUANGGANG", "FUTIAN"}))


def watching(point: str, version: str, at: dt.datetime) -> dict[str, Any]:
    document = rule_set(version, at, point=point)
    document["tables"][0]["name"] = f"{point.lower()}_watch"
    return document


@pytest.fixture
def history(
    session: Session, actor: Actor, profile: ZoneProfile, cheap_hashing: None
) -> dt.datetime:
    """Four inspected crossings at Huanggang (one found a discrepancy), two at Futian."""
    start = utcnow() - dt.timedelta(days=1)
    rule_sets.add_rule_set(
        session, watching("HUANGGANG", "recorded-1", start), profile=profile, actor=actor
    )
    _, _, document = whitelisted_person(session, actor, profile)
    now = utcnow()
    for n, point in enumerate(["HUANGGANG"] * 4 + ["FUTIAN"] * 2):
        body = person_event(document, point=point, event=f"backtest-{n}", occurred_at=now)
        record(session, profile, body, device=ALL_POINTS, now=now)

    inspector = officer(session, Role.FIRST_LINE_OFFICER)
    queued = session.scalars(select(Inspection).order_by(Inspection.id)).all()
    assert len(queued) == 4
    for n, inspection in enumerate(queued):
        inspections.assign(session, inspection, by=inspector, officer_id=inspector.id)
        inspections.start(session, inspection, officer=inspector)
        if n == 0:
            # A person carries no goods: the discrepancy is in the findings, no lot moves.
            inspection_results.record_result(
                session,
                inspection,
                officer=inspector,
                result=InspectionResult.DISCREPANCY,
                findings="the visa in the passport does not match the permit",
            )
        else:
            inspection_results.record_result(
                session, inspection, officer=inspector, result=InspectionResult.CONFORMS
            )
    return start


def test_backtest_counts_changed_decisions_per_rule_and_lane_with_hit_rates(
    session: Session, profile: ZoneProfile, history: dt.datetime
) -> None:
    candidate = load_rule_set(watching("FUTIAN", "candidate-1", history), profile=profile)

    report = backtest(session, candidate, since=history, profile=profile).to_json()

    assert report["replayed"] == 6
    assert report["changed"] == 6
    assert report["outcomes"]["before"]["inspect"] == 4
    rules = {row["rule"]: row for row in report["rules"]}
    assert (
        rules["risk:huanggang_watch:1"]["before"],
        rules["risk:huanggang_watch:1"]["after"],
    ) == (
        4,
        0,
    )
    assert (rules["risk:futian_watch:1"]["before"], rules["risk:futian_watch:1"]["after"]) == (0, 2)
    # The Futian crossings were never inspected: the candidate rule's hit rate is unknown.
    assert rules["risk:futian_watch:1"]["hit_rate"] is None
    recorded = report["hit_rate"]["recorded_rules"]
    assert (recorded["inspected_with_result"], recorded["hits"], recorded["hit_rate"]) == (
        4,
        1,
        "0.2500",
    )
    lanes = {row["lane"]: row for row in report["lanes"]}
    assert sum(row["before"] for row in lanes.values()) == 6
    assert sum(row["after"] for row in lanes.values()) == 6
    assert sum(row["changed"] for row in lanes.values()) == 6


def test_backtest_with_the_recorded_rules_changes_nothing(
    session: Session, profile: ZoneProfile, history: dt.datetime
) -> None:
    same = rule_sets.rule_set_by_version(session, "recorded-1", profile=profile)

    report = backtest(session, same, since=history, profile=profile).to_json()

    assert (report["replayed"], report["changed"], report["transitions"]) == (6, 0, {})
    assert report["hit_rate"]["candidate_rules"] == report["hit_rate"]["recorded_rules"]


def test_backtest_replays_only_crossings_since_the_date(
    session: Session, profile: ZoneProfile, history: dt.datetime
) -> None:
    candidate = load_rule_set(watching("FUTIAN", "candidate-2", history), profile=profile)
    later = utcnow() + dt.timedelta(minutes=1)
    assert backtest(session, candidate, since=later, profile=profile).to_json()["replayed"] == 0
