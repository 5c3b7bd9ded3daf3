"""Scenarios of `hetao.declarations.centralised` (R10) for tests/test_every_write_is_audited.py.

Each scenario sets up what its function needs and returns the call alone; the shared test
observes the call and checks the audit tags named here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from factories import make_entry, make_party
from hetao.audit.service import Actor
from hetao.declarations import centralised
from hetao.declarations.models import CentralisedPeriod
from hetao.declarations.schemas import CentralisedLineIn, CentralisedPeriodCreate
from hetao.profiles import ZoneProfile
from hetao.reference.rates import load_rates
from hetao.reference.tariff import load_tariff
from hetao.registry.models import Party

STARTS = dt.date(2026, 11, 1)
GOODS: dict[str, Any] = {
    "crossed_on": "2026-11-02",
    "hs_code": "3822.19",
    "description": "Diagnostic reagent kit",
    "quantity": "2",
    "unit": "kit",
    "customs_value": "2400.00",
    "currency": "HKD",
    "origin": "HK",
    "goods_kind": "reagents",
    "research_own_use": True,
}


class World(Protocol):
    session: Session
    actor: Actor
    profile: ZoneProfile
    tmp_path: Path


Call = Callable[[], object]


def _eligible(w: World) -> Party:
    party = make_party(w.session, w.actor)
    exemptions = ["duty_free_research_goods", "centralised_declaration"]
    make_entry(w.session, w.actor, w.profile, party.id, exemptions=exemptions)
    return party


def _data(party: Party) -> CentralisedPeriodCreate:
    return CentralisedPeriodCreate(party_id=party.id, crossing_point="HUANGGANG", starts_on=STARTS)


def _period(w: World, *, goods: bool = False) -> CentralisedPeriod:
    party = _eligible(w)
    period = centralised.open_period(
        w.session, party, _data(party), profile=w.profile, actor=w.actor
    )
    if goods:
        line = CentralisedLineIn.model_validate(GOODS)
        centralised.record_line(w.session, period, line, profile=w.profile, actor=w.actor)
    return period


def scenario_open_period(w: World) -> Call:
    party = _eligible(w)
    return lambda: centralised.open_period(
        w.session, party, _data(party), profile=w.profile, actor=w.actor
    )


def scenario_record_line(w: World) -> Call:
    period = _period(w)
    line = CentralisedLineIn.model_validate(GOODS)
    return lambda: centralised.record_line(
        w.session, period, line, profile=w.profile, actor=w.actor
    )


def scenario_close_period(w: World) -> Call:
    period = _period(w, goods=True)
    return lambda: centralised.close_period(
        w.session,
        period,
        profile=w.profile,
        tariff=load_tariff(None),
        rates=load_rates(None),
        actor=w.actor,
        today=dt.date(2026, 12, 1),
    )


def scenario_eligibility(w: World) -> Call:
    party = _eligible(w)
    return lambda: centralised.eligibility(w.session, party, on=STARTS)


def scenario_period_end(w: World) -> Call:
    return lambda: centralised.period_end(STARTS, w.profile)


def scenario_reference_of(w: World) -> Call:
    period = _period(w)
    return lambda: centralised.reference_of(period)


def scenario_aggregate(w: World) -> Call:
    period = _period(w, goods=True)
    return lambda: centralised.aggregate(period)


Scenario = Callable[[Any], Call]

CENTRALISED_WRITES: dict[str, tuple[Scenario, frozenset[str]]] = {
    "declarations.centralised.open_period": (
        scenario_open_period,
        frozenset({"ledger:centralised:open"}),
    ),
    "declarations.centralised.record_line": (
        scenario_record_line,
        frozenset({"ledger:centralised:line"}),
    ),
    "declarations.centralised.close_period": (
        scenario_close_period,
        frozenset(
            {
                "ledger:centralised:close",
                "ledger:declaration:submit",
                "ledger:declaration:clear",
                "ledger:lot:admit",
            }
        ),
    ),
}
CENTRALISED_READS: dict[str, tuple[str, Scenario]] = {
    "declarations.centralised.eligibility": (
        "reads the party's whitelist entries, changes nothing",
        scenario_eligibility,
    ),
    "declarations.centralised.period_end": (
        "computes a date, changes nothing",
        scenario_period_end,
    ),
    "declarations.centralised.reference_of": (
        "names a reference, changes nothing",
        scenario_reference_of,
    ),
    "declarations.centralised.aggregate": (
        "builds the declaration document, changes nothing",
        scenario_aggregate,
    ),
}
