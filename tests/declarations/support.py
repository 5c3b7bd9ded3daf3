"""Declarations for tests, lodged and cleared through the real services."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.declarations import service as declarations
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration, DeclarationLine
from hetao.declarations.schemas import DeclarationCreate
from hetao.ledger.models import Lot, Movement
from hetao.profiles import ZoneProfile
from hetao.reference.rates import load_rates
from hetao.reference.tariff import load_tariff
from hetao.registry.models import Party

#: A Monday in a month of the sample exchange-rate table (HKD 0.9121 in November 2026).
DECLARED_ON = dt.date(2026, 11, 16)
HKD_NOVEMBER = Decimal("0.9121")

_serial = itertools.count(1)
_POINTS = {
    DeclarationKind.FIRST_LINE_ENTRY: "HUANGGANG",
    DeclarationKind.FIRST_LINE_EXIT: "HUANGGANG",
    DeclarationKind.SECOND_LINE_EXIT: "SL_GOODS",
    DeclarationKind.SECOND_LINE_ENTRY: "SL_GOODS",
}


def reference() -> str:
    """A fresh declarant's reference."""
    return f"REF-2026-{next(_serial):05d}"


def line(**overrides: Any) -> dict[str, Any]:
    """A goods line: 10 laboratory reagent kits from Hong Kong worth HKD 12,000."""
    values: dict[str, Any] = {
        "hs_code": "3822.19",
        "description": "Diagnostic reagent kit",
        "quantity": "10",
        "unit": "kit",
        "customs_value": "12000.00",
        "currency": "HKD",
        "origin": "HK",
        "goods_kind": "reagents",
    }
    values.update(overrides)
    return values


def body(
    party_id: int,
    kind: DeclarationKind,
    *,
    lines: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A declaration document; crossing kinds pass their line's goods point unless told."""
    values: dict[str, Any] = {
        "party_id": party_id,
        "reference": reference(),
        "kind": kind.value,
        "declared_on": DECLARED_ON.isoformat(),
        "lines": lines or [line()],
    }
    if kind in _POINTS:
        values["crossing_point"] = _POINTS[kind]
    values.update(fields)
    return values


def submit(
    session: Session,
    party: Party,
    profile: ZoneProfile,
    actor: Actor,
    kind: DeclarationKind,
    **fields: Any,
) -> Declaration:
    """Lodge a declaration built by ``body``."""
    data = DeclarationCreate.model_validate(body(party.id, kind, **fields))
    declaration, _ = declarations.submit(session, party, data, profile=profile, actor=actor)
    return declaration


def clear(
    session: Session, declaration: Declaration, profile: ZoneProfile, actor: Actor
) -> Declaration:
    """Clear with the shipped sample tariff and rates."""
    return declarations.clear(
        session,
        declaration,
        profile=profile,
        tariff=load_tariff(None),
        rates=load_rates(None),
        actor=actor,
    )


def admitted(
    session: Session, party: Party, profile: ZoneProfile, actor: Actor, **line_fields: Any
) -> Lot:
    """A lot admitted by a cleared first-line entry of one line."""
    declaration = submit(
        session,
        party,
        profile,
        actor,
        DeclarationKind.FIRST_LINE_ENTRY,
        lines=[line(**line_fields)],
    )
    clear(session, declaration, profile, actor)
    lot = session.get(Lot, declaration.lines[0].result_lot_id)
    assert lot is not None
    return lot


def counts(session: Session) -> tuple[int, ...]:
    """Rows of declarations, their lines, lots, movements and audit events."""
    tables = (Declaration, DeclarationLine, Lot, Movement, AuditEvent)
    return tuple(session.scalar(select(func.count()).select_from(table)) or 0 for table in tables)
