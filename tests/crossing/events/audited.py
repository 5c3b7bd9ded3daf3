"""Scenarios of `hetao.crossing.service` and `.backtest` for tests/test_every_write_is_audited.py.

Each scenario sets up what its function needs and returns the call alone; the shared test
observes the call and checks the audit tags named here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from crossing.events.support import (
    CHANNEL1_GATE,
    HUANGGANG_GATE,
    SEED_KEY,
    UNKNOWN_DOCUMENT,
    person_event,
    record,
    whitelisted_person,
)
from crossing.events.test_service import rule_set
from hetao.audit.service import Actor
from hetao.crossing import backtest, intake, rule_sets, service
from hetao.crossing.schemas import CrossingIn
from hetao.engine.rules import load_rule_set, shipped_rule_set
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow


class World(Protocol):
    session: Session
    actor: Actor
    profile: ZoneProfile
    tmp_path: Path


Call = Callable[[], object]
Scenario = Callable[[Any], Call]
DAY = dt.timedelta(days=1)


def _rules(w: World, version: str = "audited-1") -> None:
    rule_sets.add_rule_set(
        w.session, rule_set(version, utcnow() - DAY), profile=w.profile, actor=w.actor
    )


def _event(point: str = "FBZ_CHANNEL_1") -> CrossingIn:
    return CrossingIn.model_validate(person_event(UNKNOWN_DOCUMENT, point=point))


def _recorded(w: World) -> Any:
    _rules(w)
    event, _ = record(w.session, w.profile, person_event(UNKNOWN_DOCUMENT))
    return event


def scenario_record_crossing(w: World) -> Call:
    _rules(w)
    payload = _event()
    return lambda: service.record_crossing(
        w.session,
        payload,
        device=CHANNEL1_GATE,
        profile=w.profile,
        seed_key=SEED_KEY,
        actor=w.actor,
    )


def scenario_record_crossing_inspect(w: World) -> Call:
    _rules(w)  # inspects every crossing at Huanggang
    _, _, document = whitelisted_person(w.session, w.actor, w.profile)
    payload = CrossingIn.model_validate(person_event(document, point="HUANGGANG"))
    return lambda: service.record_crossing(
        w.session,
        payload,
        device=HUANGGANG_GATE,
        profile=w.profile,
        seed_key=SEED_KEY,
        actor=w.actor,
    )


def scenario_record_crossing_first_use(w: World) -> Call:
    payload = _event()
    return lambda: service.record_crossing(
        w.session,
        payload,
        device=CHANNEL1_GATE,
        profile=w.profile,
        seed_key=SEED_KEY,
        actor=w.actor,
    )


def _prepared(w: World, point: str = "FBZ_CHANNEL_1") -> intake.PreparedCrossing:
    return intake.prepare_crossing(
        w.session,
        _event(point),
        device=CHANNEL1_GATE,
        profile=w.profile,
        seed_key=SEED_KEY,
        actor=w.actor,
    )


def scenario_write_crossings(w: World) -> Call:
    _rules(w)
    batch = [_prepared(w), _prepared(w)]
    return lambda: service.write_crossings(w.session, batch, profile=w.profile)


def scenario_add_rule_set(w: World) -> Call:
    document = rule_set("audited-add", utcnow())
    return lambda: rule_sets.add_rule_set(w.session, document, profile=w.profile, actor=w.actor)


def scenario_active_rule_set(w: World) -> Call:
    return lambda: rule_sets.active_rule_set(
        w.session, at=utcnow(), profile=w.profile, actor=w.actor
    )


EVENT_WRITES: dict[str, tuple[Scenario, frozenset[str]]] = {
    "crossing.service.record_crossing": (
        scenario_record_crossing,
        frozenset({"crossing:event:decide"}),
    ),
    "crossing.service.write_crossings": (
        scenario_write_crossings,
        frozenset({"crossing:event:decide"}),
    ),
    "crossing.rule_sets.add_rule_set": (
        scenario_add_rule_set,
        frozenset({"crossing:rule_set:add"}),
    ),
    "crossing.rule_sets.active_rule_set": (
        scenario_active_rule_set,
        frozenset({"crossing:rule_set:add"}),
    ),
}

EVENT_OTHER_PATHS: dict[str, tuple[str, Scenario, frozenset[str]]] = {
    "crossing.service.record_crossing[inspect]": (
        "crossing.service.record_crossing",
        scenario_record_crossing_inspect,
        frozenset({"crossing:event:decide", "crossing:inspection:open"}),
    ),
    "crossing.service.record_crossing[first use of the shipped rules]": (
        "crossing.service.record_crossing",
        scenario_record_crossing_first_use,
        frozenset({"crossing:event:decide", "crossing:rule_set:add"}),
    ),
}


def scenario_get_crossing(w: World) -> Call:
    event = _recorded(w)
    return lambda: service.get_crossing(w.session, event.id)


def scenario_replay(w: World) -> Call:
    event = _recorded(w)
    return lambda: service.replay(w.session, event.decision, profile=w.profile)


def scenario_decide_facts(w: World) -> Call:
    inputs = _recorded(w).decision.inputs
    return lambda: service.decide_facts(
        inputs, rule_set=shipped_rule_set(), profile=w.profile, seed=SEED_KEY
    )


def scenario_backtest(w: World) -> Call:
    since = _recorded(w).occurred_at - DAY
    candidate = load_rule_set(rule_set("audited-candidate", utcnow()), profile=w.profile)
    return lambda: backtest.backtest(w.session, candidate, since=since, profile=w.profile)


def scenario_rule_set_by_version(w: World) -> Call:
    _rules(w)
    return lambda: rule_sets.rule_set_by_version(w.session, "audited-1", profile=w.profile)


def scenario_get_rule_set(w: World) -> Call:
    _rules(w)
    return lambda: rule_sets.get_rule_set(w.session, "audited-1")


EVENT_READS: dict[str, tuple[str, Scenario]] = {
    "crossing.intake.load_seed_key": (
        "reads (or first creates) the selection secret file, no table",
        lambda w: lambda: intake.load_seed_key(w.tmp_path / "seed.key"),
    ),
    "crossing.intake.seed_for": (
        "pure HMAC",
        lambda w: lambda: intake.seed_for(SEED_KEY, device_key="d", event_id="e"),
    ),
    "crossing.rule_sets.rule_set_by_version": (
        "compiles a stored rule set, changes nothing",
        scenario_rule_set_by_version,
    ),
    "crossing.rule_sets.rule_set_in_force": (
        "finds the stored rule set in force, changes nothing",
        lambda w: lambda: rule_sets.rule_set_in_force(w.session, at=utcnow(), profile=w.profile),
    ),
    "crossing.rule_sets.get_rule_set": (
        "reads one rule set",
        scenario_get_rule_set,
    ),
    "crossing.intake.crossing_point": (
        "looks up the profile",
        lambda w: lambda: intake.crossing_point(w.profile, "HUANGGANG"),
    ),
    "crossing.intake.parse_event": (
        "validates a payload",
        lambda w: lambda: intake.parse_event(person_event(UNKNOWN_DOCUMENT)),
    ),
    "crossing.intake.payload_hash": (
        "hashes a payload",
        lambda w: lambda: intake.payload_hash(_event()),
    ),
    "crossing.intake.prepare_crossing": (
        "checks an event and gathers its facts; the write is write_crossings'",
        lambda w: lambda: _prepared(w),
    ),
    "crossing.service.get_crossing": ("reads one crossing", scenario_get_crossing),
    "crossing.service.replay": ("recomputes a stored decision, writes nothing", scenario_replay),
    "crossing.service.decide_payload": (
        "decides against the database without recording (hetao decide)",
        lambda w: (
            lambda: service.decide_payload(w.session, _event(), profile=w.profile, seed=SEED_KEY)
        ),
    ),
    "crossing.service.decide_facts": ("pure decision over stored facts", scenario_decide_facts),
    "crossing.backtest.backtest": (
        "replays recorded crossings with a candidate rule set, writes nothing",
        scenario_backtest,
    ),
}
