"""The demo's researchers: about 1,500 mainland, Hong Kong and foreign people with valid
documents, a sponsor and an individual whitelist case each (R15)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hetao.demo.builder import Builder, Research
from hetao.demo.vocabulary import (
    COUNTRIES,
    DIVISIONS,
    HK_FAMILY,
    HK_GIVEN,
    MAINLAND_FAMILY,
    MAINLAND_GIVEN,
    REVOCATIONS,
    ROLES,
    SUSPENSIONS,
    Country,
)
from hetao.registry import parties as registry_parties
from hetao.registry import service
from hetao.registry.identifiers import (
    DocumentKind,
    hkid_check_digit,
    mrz_check_digit,
    resident_id_check_digit,
)
from hetao.registry.models import Party, PartyKind, Person, Residency, SubjectKind
from hetao.registry.schemas import AffiliationIn, DocumentIn, PersonCreate
from hetao.timeutil import add_months

#: Individual whitelist cases: how many researchers end in each state (R15: about 1,500 active).
INDIVIDUAL_CASES: tuple[tuple[str, int], ...] = (
    ("active", 1496),
    ("reinstated", 4),
    ("suspended", 12),
    ("revoked", 8),
    ("expired", 10),
    ("draft", 10),
    ("submitted", 24),
    ("information_requested", 8),
    ("resubmitted", 6),
    ("declined", 9),
)


def create_researchers(builder: Builder) -> None:
    """About 1,500 researchers with documents, a sponsor and an individual application."""
    cases = [case for case, count in INDIVIDUAL_CASES for _ in range(count)]
    builder.rng.shuffle(cases)
    sponsors = [r for r in builder.research if r.fate in ("active", "suspended")]
    people = [researcher(builder, sponsors) for _ in cases]
    # Batches keep the IN lists of the uniqueness checks well under SQLite's variable limit.
    for start in range(0, len(people), 400):
        batch = [data for data, _ in people[start : start + 400]]
        builder.persons += registry_parties.create_persons(
            builder.session, batch, actor=builder.actor
        )
    for person, (data, sponsor), case in zip(builder.persons, people, cases, strict=True):
        individual_case(builder, person, sponsor, data.affiliations[0].role, case)


#: Researchers whose individual entries end within the next 30 days: renewal reminders are due.
DUE_FOR_RENEWAL = 6


def researchers_due_for_renewal(builder: Builder) -> None:
    """A few researchers whose two-year entries end in the coming four weeks."""
    sponsors = [r for r in builder.research if r.fate == "active"]
    people = [researcher(builder, sponsors) for _ in range(DUE_FOR_RENEWAL)]
    persons = registry_parties.create_persons(
        builder.session, [data for data, _ in people], actor=builder.actor
    )
    builder.persons += persons
    months = builder.profile.whitelist.validity_months.months_for(SubjectKind.INDIVIDUAL)
    for person, (data, sponsor) in zip(persons, people, strict=True):
        ends = builder.days_ahead(3, 28)
        starts = add_months(ends, -months) + dt.timedelta(days=1)
        app = builder.apply(
            SubjectKind.INDIVIDUAL,
            builder.scopes(["people"], ["first", "second"], []),
            person=person,
            party=sponsor,
            window=(starts, ends),
            justification=f"{data.affiliations[0].role} at {sponsor.name_en}.",
        )
        builder.approve(app, on=starts)


def researcher(builder: Builder, sponsors: Sequence[Research]) -> tuple[PersonCreate, Party]:
    """A mainland, Hong Kong or foreign researcher and the party that sponsors them."""
    draw = builder.rng.random()
    hk = [s for s in sponsors if s.party.kind is PartyKind.HK_INSTITUTION]
    csa = [s for s in sponsors if s.party.kind is not PartyKind.HK_INSTITUTION]
    birth = builder.days_ago(23 * 365, 63 * 365)
    sex = builder.rng.choice("FM")
    # Hong Kong residents mostly work for Hong Kong partners, mainland residents in the CSA.
    if draw < 0.64:
        data = mainland_person(builder, birth, sex)
        pool = csa if builder.rng.random() < 0.85 else hk
    elif draw < 0.9:
        data = hong_kong_person(builder, birth)
        pool = hk if builder.rng.random() < 0.6 else csa
    else:
        data = foreign_person(builder, birth, sex)
        pool = list(sponsors)
    sponsor = builder.rng.choices(pool, weights=[s.weight for s in pool])[0].party
    role = builder.rng.choices([r for r, _ in ROLES], weights=[w for _, w in ROLES])[0]
    since = builder.days_ago(30, 3000)
    data.affiliations = [AffiliationIn(party_id=sponsor.id, role=role, since=since)]
    return data, sponsor


def chinese_name(
    builder: Builder,
    family: Sequence[tuple[str, str]],
    given: Sequence[tuple[str, str]],
    *,
    hk: bool,
) -> tuple[str, str, str]:
    """Family name, given name (romanised) and the name in Chinese characters."""
    zh_family, roman_family = builder.rng.choice(family)
    parts = builder.rng.sample(list(given), 2 if hk or builder.rng.random() < 0.75 else 1)
    zh = zh_family + "".join(c for c, _ in parts)
    if hk:
        return roman_family, " ".join(r for _, r in parts), zh
    # Pinyin writes syllables together, with an apostrophe before a, o or e (Xi'an, not Xian).
    roman = parts[0][1] + "".join(("'" if r[0] in "aoe" else "") + r for _, r in parts[1:])
    return roman_family, roman.capitalize(), zh


def mainland_person(builder: Builder, birth: dt.date, sex: str) -> PersonCreate:
    names = chinese_name(builder, MAINLAND_FAMILY, MAINLAND_GIVEN, hk=False)

    def number() -> str:
        # The 17th digit is odd for men and even for women (GB 11643-1999).
        parity = builder.rng.choice("13579" if sex == "M" else "02468")
        first17 = (
            f"{builder.rng.choice(DIVISIONS)}{birth:%Y%m%d}{builder.rng.randrange(100):02d}{parity}"
        )
        return first17 + resident_id_check_digit(first17)

    document = DocumentIn(
        kind=DocumentKind.MAINLAND_RESIDENT_ID,
        number=builder.unique(number),
        issuing_country="CN",
        expiry_date=builder.days_ahead(200, 7000),
    )
    return chinese_resident(names, birth, Residency.MAINLAND, [document])


def hong_kong_person(builder: Builder, birth: dt.date) -> PersonCreate:
    names = chinese_name(builder, HK_FAMILY, HK_GIVEN, hk=True)

    def hkid() -> str:
        prefix, digits = builder.rng.choice("ACDEGHKPRVYZ"), builder.fill("######")
        return f"{prefix}{digits}({hkid_check_digit(prefix, digits)})"

    documents = [
        DocumentIn(
            kind=DocumentKind.HK_IDENTITY_CARD, number=builder.unique(hkid), issuing_country="HK"
        ),
        DocumentIn(
            kind=DocumentKind.MAINLAND_TRAVEL_PERMIT_HK_MACAO,
            number=builder.unique(lambda: builder.fill("H########")),
            issuing_country="CN",
            expiry_date=builder.days_ahead(100, 3600),
        ),
    ]
    return chinese_resident(names, birth, Residency.HONG_KONG, documents)


def chinese_resident(
    names: tuple[str, str, str], birth: dt.date, residency: Residency, documents: list[DocumentIn]
) -> PersonCreate:
    """A Chinese citizen of the mainland or Hong Kong, named in romanised and Chinese script."""
    family, given, zh = names
    return PersonCreate(
        family_name=family,
        given_name=given,
        name_zh=zh,
        birth_date=birth,
        residency=residency,
        nationality="CN",
        documents=documents,
    )


def foreign_person(builder: Builder, birth: dt.date, sex: str) -> PersonCreate:
    country = builder.rng.choice(COUNTRIES)
    family = builder.rng.choice(country.family)
    given = builder.rng.choice(country.given[sex == "F" :: 2])
    number = builder.unique(lambda: builder.fill(country.passport))
    expiry = builder.days_ahead(120, 3500)
    line1, line2 = mrz(
        country=country,
        surname=family,
        given=given,
        number=number,
        sex=sex,
        birth=birth,
        expiry=expiry,
    )
    document = DocumentIn(
        kind=DocumentKind.PASSPORT,
        number=number,
        issuing_country=country.alpha2,
        expiry_date=expiry,
        mrz_line1=line1,
        mrz_line2=line2,
    )
    return PersonCreate(
        family_name=family,
        given_name=given,
        birth_date=birth,
        residency=Residency.FOREIGN,
        nationality=country.alpha2,
        documents=[document],
    )


def individual_case(builder: Builder, person: Person, sponsor: Party, role: str, case: str) -> None:
    """Take one researcher's application to the state ``case`` names."""
    carries_goods = builder.rng.random() < 0.3
    window = None
    if case == "expired":
        # A visiting researcher whose short window closed before today.
        ends = builder.days_ago(1, 200)
        window = (ends - dt.timedelta(days=builder.rng.randint(90, 360)), ends)
    # Designated persons may hand-carry research goods through Channel No. 1 (R13).
    app = builder.apply(
        SubjectKind.INDIVIDUAL,
        builder.scopes(
            ["people", "goods"] if carries_goods else ["people"],
            ["first", "second"],
            ["hand_carry_channel1"] if carries_goods else [],
        ),
        person=person,
        party=sponsor,
        window=window,
        justification=f"{role} at {sponsor.name_en}.",
    )
    if window is not None:
        builder.approve(app, on=window[0])
    elif case in ("active", "reinstated", "suspended", "revoked"):
        entry = builder.approve(app, on=builder.days_ago(0, 600))
        if case in ("reinstated", "suspended"):
            note = builder.rng.choice(SUSPENSIONS)
            service.suspend(builder.session, entry, note=note, actor=builder.actor)
        if case == "reinstated":
            service.reinstate(
                builder.session,
                entry,
                profile=builder.profile,
                actor=builder.actor,
                note="Inspection closed with no violation found.",
                today=builder.today,
            )
        if case == "revoked":
            note = builder.rng.choice(REVOCATIONS)
            service.revoke(builder.session, entry, note=note, actor=builder.actor)
    else:
        builder.review(app, case)


def mrz_name(text: str) -> str:
    return "".join(c if c.isalpha() else "<" for c in text.upper())


def mrz(
    *,
    country: Country,
    surname: str,
    given: str,
    number: str,
    sex: str,
    birth: dt.date,
    expiry: dt.date,
) -> tuple[str, str]:
    """Both lines of an ICAO 9303 TD3 passport MRZ, every check digit computed."""
    name = (mrz_name(surname) + "<<" + mrz_name(given))[:39].ljust(39, "<")
    line1 = "P<" + country.mrz + name
    doc = number.ljust(9, "<")
    born, ends, optional = f"{birth:%y%m%d}", f"{expiry:%y%m%d}", "<" * 14
    line2 = (
        doc + mrz_check_digit(doc) + country.mrz + born + mrz_check_digit(born) + sex
        + ends + mrz_check_digit(ends) + optional + mrz_check_digit(optional)
    )  # fmt: skip
    return line1, line2 + mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43])
