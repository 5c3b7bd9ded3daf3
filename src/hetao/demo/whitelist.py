"""The demo's whitelist of institutions (R3) and industries, its tax waivers (R6) and the
approvals register (R11, R41)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hetao.demo.builder import Builder
from hetao.demo.vocabulary import BIO_FIELDS, DATA_FIELDS, FIELDS
from hetao.registry import approvals as registry_approvals
from hetao.registry import service
from hetao.registry import standings as registry_standings
from hetao.registry.models import (
    BENEFICIARY_KINDS,
    ApprovalKind,
    PartyKind,
    PartyStatus,
    SubjectKind,
)
from hetao.registry.schemas import ApprovalCreate, WaiverCreate

WHITELISTED_INDUSTRIES = 6


def whitelist_institutions(builder: Builder) -> None:
    """Beneficiaries and Hong Kong partners apply for the institution whitelist (R3)."""
    for research in builder.research:
        party = research.party
        beneficiary = party.kind in BENEFICIARY_KINDS
        flows = ["people", "goods"]
        exemptions = ["duty_free_research_goods", "centralised_declaration"] if beneficiary else []
        exemptions.append("hand_carry_channel1")
        if research.field in BIO_FIELDS:
            exemptions += ["special_articles_priority", "hgr"]
        if research.field in DATA_FIELDS or builder.rng.random() < 0.3:
            flows.append("data")
            exemptions.append("data")
        if beneficiary and builder.rng.random() < 0.5:
            flows.append("funds")
        elif not beneficiary:
            # Hong Kong partners are paid project funds across the first line (R38, R39).
            flows.append("funds")
        # Hong Kong partners cross the first line only; the second line leads to the mainland.
        lines = ["first", "second"] if beneficiary else ["first"]
        app = builder.apply(
            SubjectKind.INSTITUTION,
            builder.scopes(flows, lines, exemptions),
            party=party,
            justification=f"{party.name_en}: research in the customs-supervised area.",
        )
        if research.fate == "submitted":
            builder.review(app, "submitted")
        elif research.fate == "declined":
            service.submit(builder.session, app, actor=builder.actor)
            note = "Seriously dishonest enterprise under the customs credit rules (R26)."
            service.decline(builder.session, app, note=note, actor=builder.actor)
        else:
            entry = builder.approve(app, on=builder.days_ago(120, 900))
            if research.fate == "suspended":
                note = "Customs credit level downgraded to dishonest (R26); under review."
                service.suspend(builder.session, entry, note=note, actor=builder.actor)


def whitelist_industries(builder: Builder) -> None:
    """Focus fields of the plan enter the industry whitelist; one more awaits review."""
    codes = builder.rng.sample(sorted({f[0] for f in FIELDS}), WHITELISTED_INDUSTRIES + 1)
    scopes = builder.scopes(
        ["people", "goods"],
        ["first", "second"],
        # Duty-free entry belongs to beneficiary institutions, not to fields (R4).
        ["centralised_declaration"],
    )
    for index, code in enumerate(codes):
        app = builder.apply(
            SubjectKind.INDUSTRY,
            scopes,
            industry=code,
            justification="A focus field of the Shenzhen Park development plan.",
        )
        if index < WHITELISTED_INDUSTRIES:
            builder.approve(app, on=builder.days_ago(200, 1200))
        else:
            builder.review(app, "submitted")


def record_waivers(builder: Builder) -> None:
    """Two beneficiaries elected to pay import taxes on one kind of goods each (R6)."""
    eligible = [
        r.party
        for r in builder.research
        if r.party.kind in BENEFICIARY_KINDS and r.fate == "active"
    ]
    kinds = builder.rng.sample(list(builder.profile.whitelist.waiver_goods_kinds), 2)
    for party, kind in zip(builder.rng.sample(eligible, 2), kinds, strict=True):
        goods = kind.replace("_", " ")
        reason = f"Elected to pay import taxes on {goods} shared with its mainland site."
        registry_standings.waive_exemption(
            builder.session,
            party,
            WaiverCreate(goods_kind=kind, waived_on=builder.days_ago(20, 500), reason=reason),
            profile=builder.profile,
            actor=builder.actor,
        )
        builder.waivers += 1
        builder.waived.setdefault(party.id, set()).add(kind)


def record_approvals(builder: Builder) -> None:
    """The approvals register (R11, R41): a quarantine approval of the demo user's party,
    partly drawn already, and an HGR approval of a whitelisted institution."""
    enterprise = builder.enterprises()[0]
    institution = next(
        r.party
        for r in builder.research
        if r.fate == "active"
        and r.party.kind is PartyKind.CSA_PUBLIC_INSTITUTION
        and r.party.status is PartyStatus.ACTIVE
    )
    approvals = (
        ApprovalCreate(
            kind=ApprovalKind.SPECIAL_ARTICLE_QUARANTINE,
            number="SZ-QA-2026-0101",
            issuer="Shenzhen Customs, Futian (special articles)",
            party_id=enterprise.id,
            hs_codes=["3002"],
            article_kinds=["samples", "reagents"],
            quantity=Decimal("500"),
            unit="ml",
            valid_from=builder.today - dt.timedelta(days=90),
            valid_until=builder.today + dt.timedelta(days=275),
            drawn=Decimal("120"),
        ),
        ApprovalCreate(
            kind=ApprovalKind.HUMAN_GENETIC_RESOURCES,
            number="MOST-HGR-2026-0007",
            issuer="Ministry of Science and Technology (HGR administration)",
            party_id=institution.id,
            hs_codes=["3002"],
            article_kinds=["specimens", "samples"],
            quantity=Decimal("200"),
            unit="ml",
            valid_from=builder.today - dt.timedelta(days=30),
            valid_until=builder.today + dt.timedelta(days=335),
        ),
    )
    for data in approvals:
        registry_approvals.record_approval(builder.session, data, actor=builder.actor)
