"""Scenarios of `hetao.funds.service` for tests/test_every_write_is_audited.py.

Each scenario sets up what its function needs and returns the call alone; the shared test
observes the call and checks the audit tags named here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from funds.support import RATES, TODAY, Consortium, transfer_body, transfer_in
from hetao.audit.service import Actor
from hetao.funds import service
from hetao.funds.schemas import ProjectCreate, TransferCreate
from hetao.profiles import ZoneProfile


class World(Protocol):
    session: Session
    actor: Actor
    profile: ZoneProfile
    tmp_path: Path


Call = Callable[[], object]


def _zone(w: World) -> Consortium:
    return Consortium(w.session, w.actor, w.profile)


def scenario_create_project(w: World) -> Call:
    zone = _zone(w)
    data = ProjectCreate(
        code="AUDITED-1",
        title="Audited project",
        lead_party_id=zone.lead.id,
        partner_party_ids=[zone.partner.id],
        funding_source="central",
        starts_on=TODAY,
        ends_on=TODAY,
        budget=[{"year": 2026, "category": "travel", "amount": "10.00"}],
    )
    return lambda: service.create_project(w.session, data, actor=w.actor)


def scenario_close_project(w: World) -> Call:
    zone = _zone(w)
    return lambda: service.close_project(w.session, zone.project, note="done", actor=w.actor)


def scenario_declare(w: World) -> Call:
    zone = _zone(w)
    data = TransferCreate(**transfer_body(zone.project, zone.lead, zone.partner))
    return lambda: service.declare(
        w.session, data, profile=w.profile, rates=RATES, actor=w.actor, today=TODAY
    )


def scenario_check(w: World) -> Call:
    transfer = transfer_in(_zone(w))
    return lambda: service.check(w.session, transfer, profile=w.profile, actor=w.actor)


def scenario_check_held(w: World) -> Call:
    zone = _zone(w)
    transfer = zone.declare(payee_rmb_account=None)
    return lambda: service.check(w.session, transfer, profile=w.profile, actor=w.actor)


def scenario_hold(w: World) -> Call:
    transfer = transfer_in(_zone(w), "check")
    return lambda: service.hold(w.session, transfer, note="ask", actor=w.actor)


def scenario_approve(w: World) -> Call:
    transfer = transfer_in(_zone(w), "check")
    return lambda: service.approve(w.session, transfer, profile=w.profile, actor=w.actor)


def scenario_approve_over_budget(w: World) -> Call:
    zone = Consortium(w.session, w.actor, w.profile, budget=[(2026, "personnel", "10000.00")])
    transfer = transfer_in(zone, "check")
    transfer_in(zone, "check", "approve")  # spends the whole line
    return lambda: service.approve(w.session, transfer, profile=w.profile, actor=w.actor)


def scenario_decline(w: World) -> Call:
    transfer = transfer_in(_zone(w), "check")
    return lambda: service.decline(w.session, transfer, note="no", actor=w.actor)


def scenario_remit(w: World) -> Call:
    transfer = transfer_in(_zone(w), "check", "approve")
    return lambda: service.remit(
        w.session,
        transfer,
        bank_reference="BANK-9",
        remitted_on=TODAY,
        profile=w.profile,
        actor=w.actor,
        today=TODAY,
    )


def scenario_report(w: World) -> Call:
    transfer = transfer_in(_zone(w), "check", "approve", "remit")
    return lambda: service.report(w.session, transfer, report_reference="R-9", actor=w.actor)


Scenario = Callable[[Any], Call]

FUNDS_WRITES: dict[str, tuple[Scenario, frozenset[str]]] = {
    "funds.service.create_project": (scenario_create_project, frozenset({"funds:project:create"})),
    "funds.service.close_project": (scenario_close_project, frozenset({"funds:project:close"})),
    "funds.service.declare": (scenario_declare, frozenset({"funds:transfer:declare"})),
    "funds.service.check": (scenario_check, frozenset({"funds:transfer:check"})),
    "funds.service.hold": (scenario_hold, frozenset({"funds:transfer:hold"})),
    "funds.service.approve": (scenario_approve, frozenset({"funds:transfer:approve"})),
    "funds.service.decline": (scenario_decline, frozenset({"funds:transfer:decline"})),
    "funds.service.remit": (scenario_remit, frozenset({"funds:transfer:remit"})),
    "funds.service.report": (scenario_report, frozenset({"funds:transfer:report"})),
}

FUNDS_OTHER_PATHS: dict[str, tuple[str, Scenario, frozenset[str]]] = {
    "funds.service.check[held]": (
        "funds.service.check",
        scenario_check_held,
        frozenset({"funds:transfer:check", "funds:transfer:hold"}),
    ),
    "funds.service.approve[over_budget]": (
        "funds.service.approve",
        scenario_approve_over_budget,
        frozenset({"funds:transfer:hold"}),
    ),
}
