"""The demo's parties: beneficiaries (R2), Hong Kong partners, brokers and carriers, and what
became of their standing (R8, R26)."""

from __future__ import annotations

import datetime as dt

from hetao.demo.builder import Builder, Research
from hetao.demo.vocabulary import (
    FIELDS,
    GOODS_CARRIER,
    HK_PLACES,
    HK_UNIVERSITIES,
    PASSENGER_CARRIER,
    PATTERNS,
    SZ_PLACES,
    USCC_CHARS,
)
from hetao.registry import parties as registry_parties
from hetao.registry import standings as registry_standings
from hetao.registry.identifiers import uscc_check_character
from hetao.registry.models import BENEFICIARY_KINDS, CreditLevel, PartyKind
from hetao.registry.schemas import PartyCreate, StandingChange, StandingCreate

#: Parties by kind: about 40, most of them beneficiaries (R2) and Hong Kong partners.
PARTY_COUNTS: tuple[tuple[PartyKind, int], ...] = (
    (PartyKind.CSA_ENTERPRISE, 16),
    (PartyKind.CSA_PUBLIC_INSTITUTION, 7),
    (PartyKind.ST_PRIVATE_NON_ENTERPRISE, 5),
    (PartyKind.HK_INSTITUTION, 8),
    (PartyKind.BROKER, 2),
    (PartyKind.CARRIER, 2),
)


def create_parties(builder: Builder) -> None:
    """About 40 parties: beneficiaries (R2), Hong Kong partners, brokers and carriers."""
    levels = (CreditLevel.ADVANCED_CERTIFIED, CreditLevel.CERTIFIED, CreditLevel.REGULAR)
    enterprises = dict(PARTY_COUNTS)[PartyKind.CSA_ENTERPRISE]
    # R26 has five levels; one enterprise at each dishonest level shows how the zone reacts.
    dishonest, seriously, newcomer = builder.rng.sample(range(enterprises), 3)
    universities = builder.rng.sample(HK_UNIVERSITIES, 2)
    pairs: set[tuple[str, str]] = set()
    for kind, count in PARTY_COUNTS:
        for index in range(count):
            code, fate = "", "active"
            if kind is PartyKind.CARRIER:
                pattern = (PASSENGER_CARRIER, GOODS_CARRIER)[index % 2]
                data = party_data(builder, kind, pattern, place=builder.rng.choice(SZ_PLACES))
                data.credit_level = builder.rng.choice(levels[:2])
            elif kind is PartyKind.BROKER:
                pattern = PATTERNS[kind][index % 2]
                data = party_data(builder, kind, pattern, place=builder.rng.choice(SZ_PLACES))
                data.credit_level = builder.rng.choice(levels[:2])
            elif kind is PartyKind.HK_INSTITUTION and index < len(universities):
                code = builder.rng.choice(FIELDS)[0]
                data = party_data(builder, kind, universities[index], place=("", ""), industry=code)
            else:
                data, code = research_party_data(builder, kind, pairs)
                if kind in BENEFICIARY_KINDS:
                    data.credit_level = builder.rng.choices(levels, weights=(2, 4, 6))[0]
            if kind is PartyKind.CSA_ENTERPRISE and index == dishonest:
                data.credit_level, fate = CreditLevel.DISHONEST, "suspended"
            elif kind is PartyKind.CSA_ENTERPRISE and index == seriously:
                data.credit_level, fate = CreditLevel.SERIOUSLY_DISHONEST, "declined"
            elif kind is PartyKind.CSA_ENTERPRISE and index == newcomer:
                fate = "submitted"
            party = registry_parties.create_party(builder.session, data, actor=builder.actor)
            builder.parties.append(party)
            if code:
                weight = {
                    PartyKind.CSA_PUBLIC_INSTITUTION: 3.0,
                    PartyKind.ST_PRIVATE_NON_ENTERPRISE: 1.5,
                    PartyKind.HK_INSTITUTION: 2.0 if index >= len(universities) else 4.0,
                }.get(kind, 1.0)
                builder.research.append(Research(party, code, fate, weight))


def research_party_data(
    builder: Builder, kind: PartyKind, pairs: set[tuple[str, str]]
) -> tuple[PartyCreate, str]:
    """A beneficiary or Hong Kong lab working in one of the plan's focus fields."""
    places = HK_PLACES if kind is PartyKind.HK_INSTITUTION else SZ_PLACES
    while True:
        place, (code, field_en, hans, hant) = builder.rng.choice(places), builder.rng.choice(FIELDS)
        if (place[0], field_en) not in pairs:
            pairs.add((place[0], field_en))
            break
    zh_field = hant if kind is PartyKind.HK_INSTITUTION else hans
    pattern = builder.rng.choice(PATTERNS[kind])
    data = party_data(
        builder, kind, pattern, place=place, field_name=(field_en, zh_field), industry=code
    )
    return data, code


def party_data(
    builder: Builder,
    kind: PartyKind,
    pattern: tuple[str, str],
    *,
    place: tuple[str, str],
    field_name: tuple[str, str] = ("", ""),
    industry: str | None = None,
) -> PartyCreate:
    name_en = pattern[0].format(p=place[0], f=field_name[0])
    name_zh = pattern[1].format(p=place[1], f=field_name[1])
    if kind is PartyKind.HK_INSTITUTION:
        hk_br = builder.unique(lambda: builder.fill(f"{builder.rng.randint(1, 7)}#######"))
        return PartyCreate(
            kind=kind, name_en=name_en, name_zh=name_zh, industry=industry, hk_br=hk_br
        )
    return PartyCreate(
        kind=kind,
        name_en=name_en,
        name_zh=name_zh,
        industry=industry,
        uscc=builder.unique(lambda: new_uscc(builder, kind)),
        # Carriers work from outside the fenced area; everyone else is registered inside it.
        registered_in_csa=kind is not PartyKind.CARRIER,
    )


def new_uscc(builder: Builder, kind: PartyKind) -> str:
    """A unified social credit code of the registering authority that fits ``kind``."""
    # 12: public institutions (establishment office), 52: private non-enterprise units (civil
    # affairs), 91: enterprises (market regulation); 440304 is Futian district.
    prefix, body = {
        PartyKind.CSA_PUBLIC_INSTITUTION: ("12440304", "########"),
        PartyKind.ST_PRIVATE_NON_ENTERPRISE: ("52440304", "MJ######"),
    }.get(kind, ("91440300", "MA5@@@@@"))
    org = builder.fill(body, letters=USCC_CHARS)
    first17 = prefix + org + gb11714_check(org)
    return first17 + uscc_check_character(first17)


def gb11714_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def record_standings(builder: Builder) -> None:
    """One whitelisted enterprise bankrupt, one institution deregistered (R8's exception),
    one credit decision (R26); the rest stay active. The demo users' enterprises stay active."""
    whitelisted = [r.party for r in builder.research if r.fate == "active"]
    enterprises = [p for p in builder.parties if p.kind is PartyKind.CSA_ENTERPRISE]
    bankrupt = next(p for p in reversed(whitelisted) if p.kind is PartyKind.CSA_ENTERPRISE)
    deregistered = next(
        p for p in reversed(whitelisted) if p.kind in BENEFICIARY_KINDS - {PartyKind.CSA_ENTERPRISE}
    )
    downgraded = next(p for p in enterprises if p.credit_level is CreditLevel.DISHONEST)
    changes = (
        (bankrupt, StandingChange.BANKRUPT, 40, "(2026) Yue 03 Po 117", None),
        (deregistered, StandingChange.DEREGISTERED, 20, "SZ-DEREG-2026-0311", None),
        (
            downgraded,
            StandingChange.CREDIT_LEVEL,
            60,
            "GACC-CREDIT-2026-0042",
            CreditLevel.DISHONEST,
        ),
    )
    for party, change, days_ago, document, level in changes:
        # The demo users' enterprises stay active: their pages show goods going on.
        assert party not in builder.enterprises()  # noqa: S101
        data = StandingCreate(
            change=change,
            effective_on=builder.today - dt.timedelta(days=days_ago),
            document_ref=document,
            credit_level=level,
        )
        registry_standings.record_standing(
            builder.session,
            party,
            data,
            profile=builder.profile,
            actor=builder.actor,
            today=builder.today,
        )
