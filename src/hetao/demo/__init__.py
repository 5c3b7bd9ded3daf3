"""The demo zone: fictitious institutions, researchers and vehicles, their goods, crossings,
inspections, research funds, data transfers and instruments on loan, built through the
services.

Everything goes through the services (registry, declarations, ledger, crossing, inspections,
funds, data transfer), so the demo obeys the same rules and leaves the same audit trail as real
data. The registry follows REGIME R15 (1,500 whitelisted researchers, 11 institutions with
Channel No. 1 cars); the rest puts something in every state a page lists. It is a pure function
of the seed and the date: the steps below draw from one random stream in a fixed order, so ids
and names never change.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.biometrics.sealed import TemplateBox
from hetao.demo.builder import Builder, DemoSummary
from hetao.demo.crossings import DEMO_CROSSINGS, demo_crossings, selection_key
from hetao.demo.datatransfer import transfer_data
from hetao.demo.declarations import declare_goods
from hetao.demo.faces import enrol_faces
from hetao.demo.funds import fund_projects
from hetao.demo.inspections import inspect_goods, review_refusals
from hetao.demo.ledger import (
    DEMO_CENTRALISED_GOODS,
    demo_centralised_period,
    holds_and_corrections,
    supervision_ending,
)
from hetao.demo.loans import lend_instruments
from hetao.demo.parties import create_parties, record_standings
from hetao.demo.researchers import create_researchers, researchers_due_for_renewal
from hetao.demo.scene import Scene
from hetao.demo.summary import zone_counts
from hetao.demo.users import DEMO_PASSWORD, demo_users
from hetao.demo.vehicles import cars_in_review, create_vehicles
from hetao.demo.whitelist import (
    record_approvals,
    record_waivers,
    whitelist_industries,
    whitelist_institutions,
)
from hetao.profiles import ZoneProfile
from hetao.reference.rates import load_rates
from hetao.reference.tariff import load_tariff
from hetao.registry import repository as repo
from hetao.registry import service
from hetao.timeutil import zone_today

__all__ = [
    "DEMO_CENTRALISED_GOODS",
    "DEMO_CROSSINGS",
    "DEMO_PASSWORD",
    "DemoSummary",
    "demo_centralised_period",
    "demo_crossings",
    "demo_users",
    "is_empty",
    "load",
]


def is_empty(session: Session) -> bool:
    """Whether the registry holds no party yet."""
    return not repo.has_parties(session)


def load(
    session: Session,
    *,
    profile: ZoneProfile,
    seed: int,
    as_of: dt.date | None,
    actor: Actor,
    templates: TemplateBox,
) -> DemoSummary:
    """Create the demo zone in ``session`` (the caller commits) and say what was created."""
    day = as_of or zone_today(profile.zone.timezone)
    rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not a secret)
    builder = Builder(session, profile=profile, rng=rng, today=day, actor=actor)
    _build_registry(builder)
    users = demo_users(session, enterprises=builder.enterprises(), actor=actor)
    scene = Scene(
        builder, users, tariff=load_tariff(), rates=load_rates(), seed_key=selection_key(seed)
    )
    declare_goods(scene)
    supervision_ending(scene)
    holds_and_corrections(scene)
    inspect_goods(scene)
    demo_crossings(session, profile=profile, seed=seed, as_of=day, actor=actor)
    review_refusals(scene)
    demo_centralised_period(session, profile=profile, as_of=day, actor=actor)
    fund_projects(scene)
    transfer_data(scene)
    lend_instruments(scene)
    enrol_faces(scene, templates)
    summary = builder.summary(seed)
    summary.activity = zone_counts(scene)
    summary.users = users.listed()
    return summary


def _build_registry(builder: Builder) -> None:
    """The registry's steps, in the order the random stream was first drawn in."""
    create_parties(builder)
    whitelist_institutions(builder)
    whitelist_industries(builder)
    record_waivers(builder)
    create_researchers(builder)
    create_vehicles(builder)
    # Windows that closed before today end now, as the nightly expiry job would end them.
    service.expire_due(builder.session, today=builder.today, actor=builder.actor)
    record_standings(builder)
    record_approvals(builder)
    cars_in_review(builder)
    researchers_due_for_renewal(builder)
