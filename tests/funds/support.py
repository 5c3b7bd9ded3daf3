"""Builders for funds tests: parties with whitelist entries, projects and declared transfers."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from factories import hk_br, make_application, make_party
from hetao.audit.service import Actor
from hetao.funds import service
from hetao.funds.models import FundTransfer, Project
from hetao.funds.schemas import ProjectCreate, TransferCreate
from hetao.profiles import ZoneProfile
from hetao.reference.rates import load_rates
from hetao.registry import service as registry
from hetao.registry.models import Party, WhitelistEntry

#: A day inside the shipped SAMPLE rate table (2026) and inside the projects' period.
TODAY = dt.date(2026, 11, 23)
RATES = load_rates(None)
_serial = itertools.count(1)


def whitelist(
    session: Session,
    actor: Actor,
    profile: ZoneProfile,
    party: Party,
    *,
    flows: tuple[str, ...] = ("people", "funds"),
    lines: tuple[str, ...] = ("first", "second"),
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> WhitelistEntry:
    """An approved institution entry for ``party`` with the given scope and window."""
    application = make_application(
        session,
        actor,
        profile,
        party_id=party.id,
        flows=list(flows),
        lines=list(lines),
        exemptions=[],
        valid_from=valid_from,
        valid_until=valid_until,
    )
    registry.submit(session, application, actor=actor)
    return registry.approve(session, application, profile=profile, actor=actor, today=TODAY)


def hk_party(session: Session, actor: Actor) -> Party:
    return make_party(
        session, actor, kind="hk_institution", uscc=None, hk_br=hk_br(), registered_in_csa=False
    )


def project(
    session: Session,
    actor: Actor,
    *,
    lead: Party,
    partners: list[Party],
    funding_source: str = "guangdong",
    budget: list[tuple[int, str, str]] | None = None,
    starts_on: dt.date = dt.date(2026, 1, 1),
    ends_on: dt.date = dt.date(2028, 12, 31),
) -> Project:
    lines = budget or [(2026, "personnel", "1000000.00"), (2026, "equipment", "500000.00")]
    data = ProjectCreate(
        code=f"GD-2026-{next(_serial):04d}",
        title="Joint photonics research",
        lead_party_id=lead.id,
        partner_party_ids=[p.id for p in partners],
        funding_source=funding_source,
        starts_on=starts_on,
        ends_on=ends_on,
        budget=[{"year": y, "category": c, "amount": a} for y, c, a in lines],
    )
    return service.create_project(session, data, actor=actor)


def transfer_body(project: Project, payer: Party, payee: Party, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": project.id,
        "payer_party_id": payer.id,
        "payee_party_id": payee.id,
        "payee_rmb_account": "HK-RMB-012-345-678901",
        "amount": "10000.00",
        "currency": "CNY",
        "transfer_date": TODAY.isoformat(),
        "budget_year": 2026,
        "budget_category": "personnel",
        "purpose": "research_grant",
        "contract_reference": f"C-{next(_serial):05d}",
    }
    body.update(overrides)
    return body


def declared(
    session: Session,
    actor: Actor,
    profile: ZoneProfile,
    project: Project,
    payer: Party,
    payee: Party,
    **overrides: Any,
) -> FundTransfer:
    data = TransferCreate(**transfer_body(project, payer, payee, **overrides))
    return service.declare(session, data, profile=profile, rates=RATES, actor=actor, today=TODAY)


class Consortium:
    """A mainland lead and a whitelisted Hong Kong partner of one Guangdong-funded project."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        lead: Party | None = None,
        **project_args: Any,
    ):
        self.session, self.actor, self.profile = session, actor, profile
        self.lead = lead or make_party(session, actor)
        self.partner = hk_party(session, actor)
        self.entry = whitelist(session, actor, profile, self.partner)
        self.project = project(
            session, actor, lead=self.lead, partners=[self.partner], **project_args
        )

    def declare(self, **overrides: Any) -> FundTransfer:
        return declared(
            self.session, self.actor, self.profile, self.project, self.lead, self.partner,
            **overrides,
        )  # fmt: skip

    def checked(self, **overrides: Any) -> FundTransfer:
        transfer = self.declare(**overrides)
        return service.check(self.session, transfer, profile=self.profile, actor=self.actor)


def transfer_in(zone: Consortium, *verbs: str) -> FundTransfer:
    """A fresh transfer of ``zone`` moved through ``verbs`` (check, approve, remit)."""
    transfer = zone.declare()
    for verb in verbs:
        if verb == "check":
            service.check(zone.session, transfer, profile=zone.profile, actor=zone.actor)
        elif verb == "approve":
            service.approve(zone.session, transfer, profile=zone.profile, actor=zone.actor)
        elif verb == "remit":
            service.remit(
                zone.session, transfer, bank_reference="BANK-1", remitted_on=TODAY,
                profile=zone.profile, actor=zone.actor, today=TODAY,
            )  # fmt: skip
    return transfer


def led_by(session: Session, profile: ZoneProfile, party_id: int) -> Consortium:
    """A consortium led by an existing party (the access matrix's "own" or "other")."""
    lead = session.get(Party, party_id)
    assert lead is not None
    return Consortium(session, Actor("test", "matrix"), profile, lead=lead)
