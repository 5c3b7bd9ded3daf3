"""Parties, declarations and lots for the portal's page tests, through the real services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from declarations.support import DECLARED_ON, admitted, clear, submit
from declarations.support import line as declaration_line
from factories import make_party
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration
from hetao.ledger.models import Lot
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from web.support import SETUP


def party(session: Session) -> Party:
    """A new party (a beneficiary institution)."""
    return make_party(session, SETUP)


def entry(
    session: Session, owner: Party, profile: ZoneProfile, *, cleared: bool = False, **line: Any
) -> Declaration:
    """A first-line entry of ten reagent kits; cleared (taxes assessed) if asked."""
    declaration = submit(
        session,
        owner,
        profile,
        SETUP,
        DeclarationKind.FIRST_LINE_ENTRY,
        lines=[declaration_line(**line)],
    )
    if cleared:
        clear(session, declaration, profile, SETUP)
    return declaration


def lot(session: Session, owner: Party, profile: ZoneProfile) -> Lot:
    """Ten bonded reagent kits admitted by a cleared entry."""
    return admitted(session, owner, profile, SETUP, bonded=True)


def entry_form(csrf: str, **fields: str) -> dict[str, str]:
    """The lodging form filled in for one line of reagent kits entering from Hong Kong."""
    values = {
        "csrf_token": csrf,
        "reference": "WEB-0001",
        "kind": "first_line_entry",
        "crossing_point": "HUANGGANG",
        "declared_on": DECLARED_ON.isoformat(),
        "lines-1-hs_code": "3822.19",
        "lines-1-description": "Diagnostic reagent kit",
        "lines-1-quantity": "10",
        "lines-1-unit": "kit",
        "lines-1-customs_value": "12000.00",
        "lines-1-currency": "HKD",
        "lines-1-origin": "HK",
        "lines-1-goods_kind": "reagents",
        "lines-1-customs_status": "bonded",
    }
    values.update(fields)
    return values
