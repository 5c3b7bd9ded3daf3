"""R12 on a declaration: the legal-inspection catalogue in force lists a first-line entry's lines
for inspection on entry, by HS code, whatever the declarant ticked."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from declarations.support import line, submit
from hetao.audit.service import Actor
from hetao.declarations import service as declarations
from hetao.declarations.kinds import DeclarationKind
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party

#: Absolute ethanol: the shipped sample catalogue lists 2207.10 from 2024-01-01.
ETHANOL = {"hs_code": "2207.10", "goods_kind": "consumables", "unit": "l"}


def test_R12_an_entry_line_the_catalogue_lists_is_named_with_its_row(  # noqa: N802 - rule
    session: Session, actor: Actor, profile: ZoneProfile, party: Party
) -> None:
    entry = submit(
        session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY,
        lines=[line(), line(**ETHANOL)],
    )  # fmt: skip

    listings = declarations.inspection_listings(session, entry)

    assert list(listings) == [2]
    assert listings[2].label == "LI-CHEM-ETHANOL (SAMPLE-2026.1)"


def test_R12_the_catalogue_is_read_on_the_day_asked(  # noqa: N802 - rule
    session: Session, actor: Actor, profile: ZoneProfile, party: Party
) -> None:
    entry = submit(
        session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY, lines=[line(**ETHANOL)]
    )
    assert declarations.inspection_listings(session, entry, on=dt.date(2023, 12, 31)) == {}
    assert list(declarations.inspection_listings(session, entry, on=dt.date(2024, 1, 1))) == [1]


def test_R12_goods_entering_from_the_mainland_are_not_listed(  # noqa: N802 - rule
    session: Session, actor: Actor, profile: ZoneProfile, party: Party
) -> None:
    # The catalogue lists goods inspected on entry from Hong Kong; the second line is not R12's.
    entry = submit(
        session, party, profile, actor, DeclarationKind.SECOND_LINE_ENTRY, lines=[line(**ETHANOL)]
    )
    assert declarations.inspection_listings(session, entry) == {}
