"""Every query of declarations and R10 centralised declaration periods lives here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, exists, func, null, select, update
from sqlalchemy.orm import Session, selectinload

from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import (
    CentralisedLine,
    CentralisedPeriod,
    Declaration,
    DeclarationLine,
    DeclarationStatus,
)
from hetao.ledger.models import QUANTITY
from hetao.registry.models import Affiliation
from hetao.storage import lookup
from hetao.storage.pagination import PageOf, paginate

#: A party, its count of declarations, and its sums of duty, consumption tax, VAT and total.
TaxSums = tuple[int, int, Decimal | None, Decimal | None, Decimal | None, Decimal | None]

# --- declarations -------------------------------------------------------------------------------


def get_declaration(
    session: Session, declaration_id: int, *, for_update: bool = False
) -> Declaration:
    """One declaration by id, or NotFound."""
    return lookup.get(session, Declaration, declaration_id, for_update=for_update)


def by_reference(session: Session, *, party_id: int, reference: str) -> Declaration | None:
    """The declaration a party lodged under ``reference``, if any."""
    return session.scalars(
        select(Declaration).where(
            Declaration.party_id == party_id, Declaration.reference == reference
        )
    ).first()


def page_declarations(
    session: Session,
    *,
    party_id: int | None,
    status: DeclarationStatus | None,
    kind: DeclarationKind | None,
    cursor: str | None,
    limit: int,
) -> PageOf[Declaration]:
    """Declarations in lodging order, filtered."""
    stmt = select(Declaration).options(selectinload(Declaration.lines))
    if party_id is not None:
        stmt = stmt.where(Declaration.party_id == party_id)
    if status is not None:
        stmt = stmt.where(Declaration.status == status)
    if kind is not None:
        stmt = stmt.where(Declaration.kind == kind)
    return paginate(session, stmt, id_column=Declaration.id, cursor=cursor, limit=limit)


def tax_sums_by_party(
    session: Session, *, start: dt.datetime, end: dt.datetime, party_id: int | None
) -> list[TaxSums]:
    """Per party, of declarations cleared in [start, end) with an assessment: how many, and the
    sums of duty, consumption tax, VAT and total."""
    stmt = (
        select(
            Declaration.party_id,
            func.count(Declaration.id),
            func.sum(Declaration.duty),
            func.sum(Declaration.consumption_tax),
            func.sum(Declaration.vat),
            func.sum(Declaration.tax_total),
        )
        .where(
            Declaration.status == DeclarationStatus.CLEARED,
            Declaration.cleared_at >= start,
            Declaration.cleared_at < end,
            Declaration.tax_total.is_not(None),
        )
        .group_by(Declaration.party_id)
        .order_by(Declaration.party_id)
    )
    if party_id is not None:
        stmt = stmt.where(Declaration.party_id == party_id)
    return [(*row,) for row in session.execute(stmt)]


# --- R10: centralised declaration periods ------------------------------------------------------


def get_centralised_period(
    session: Session, period_id: int, *, for_update: bool = False
) -> CentralisedPeriod:
    """One centralised declaration period by id, or NotFound."""
    return lookup.get(session, CentralisedPeriod, period_id, for_update=for_update)


def overlapping_period(
    session: Session, *, party_id: int, starts_on: dt.date, ends_on: dt.date
) -> CentralisedPeriod | None:
    """A period of the party sharing a day with [starts_on, ends_on], if any."""
    stmt = select(CentralisedPeriod).where(
        CentralisedPeriod.party_id == party_id,
        CentralisedPeriod.starts_on <= ends_on,
        CentralisedPeriod.ends_on >= starts_on,
    )
    return session.scalars(stmt.order_by(CentralisedPeriod.id)).first()


def next_centralised_line_no(session: Session, period_id: int) -> int:
    """The number the next line of a period takes (1-based)."""
    last = session.scalar(
        select(func.max(CentralisedLine.line_no)).where(CentralisedLine.period_id == period_id)
    )
    return (last or 0) + 1


# --- read by the gate and the inspections (hetao.crossing, hetao.inspections) ----------------


def declaration_at_the_gate(
    session: Session,
    *,
    declaration_id: int | None,
    party_id: int | None,
    reference: str | None,
    carrier_id: int | None,
) -> tuple[Declaration, bool | None] | None:
    """The declaration named (by id, else party and reference), and whether the carrier (if
    known) is affiliated with its party: one query."""
    affiliated = (
        exists().where(
            Affiliation.person_id == carrier_id,
            Affiliation.party_id == Declaration.party_id,
        )
        if carrier_id is not None
        else null()
    )
    stmt = select(Declaration, affiliated)
    if declaration_id is not None:
        stmt = stmt.where(Declaration.id == declaration_id)
    else:
        stmt = stmt.where(Declaration.party_id == party_id, Declaration.reference == reference)
    row = session.execute(stmt).first()
    if row is None:
        return None
    return row[0], None if row[1] is None else bool(row[1])


_LINES = cast(Table, DeclarationLine.__table__)

# What a crossing carries is added only while the line has that much left.
_ADD_CROSSED = (
    update(_LINES)
    .where(
        _LINES.c.declaration_id == bindparam("declaration"),
        _LINES.c.line_no == bindparam("line"),
        _LINES.c.quantity_crossed + bindparam("carried", type_=QUANTITY) <= _LINES.c.quantity,
    )
    .values(quantity_crossed=_LINES.c.quantity_crossed + bindparam("carried", type_=QUANTITY))
)
_TAKE_BACK_CROSSED = (
    update(_LINES)
    .where(
        _LINES.c.declaration_id == bindparam("declaration"),
        _LINES.c.line_no == bindparam("line"),
    )
    .values(quantity_crossed=_LINES.c.quantity_crossed - bindparam("carried", type_=QUANTITY))
)


def quantities_crossed(
    session: Session, declaration_ids: Sequence[int]
) -> dict[tuple[int, int], Decimal]:
    """The quantity crossed of every line of the declarations, by (declaration id, line no)."""
    rows = session.execute(
        select(_LINES.c.declaration_id, _LINES.c.line_no, _LINES.c.quantity_crossed).where(
            _LINES.c.declaration_id.in_(declaration_ids)
        )
    )
    return {(declaration, line_no): quantity for declaration, line_no, quantity in rows}


def add_crossed(connection: Connection, params: dict[str, Any]) -> bool:
    """Add ``carried`` to a line's quantity crossed; False, adding nothing, past the declared."""
    return connection.execute(_ADD_CROSSED, params).rowcount == 1


def take_back_crossed(connection: Connection, params: dict[str, Any]) -> None:
    """Undo ``add_crossed`` with the same parameters."""
    connection.execute(_TAKE_BACK_CROSSED, params)


def line_lots(
    session: Session, declaration_ids: set[int]
) -> list[Row[int, int, int | None, int | None]]:
    """(declaration id, line number, lot drawn from, lot admitted as) of the declarations' lines."""
    rows = session.execute(
        select(
            DeclarationLine.declaration_id,
            DeclarationLine.line_no,
            DeclarationLine.lot_id,
            DeclarationLine.result_lot_id,
        ).where(DeclarationLine.declaration_id.in_(declaration_ids))
    )
    return list(rows)


def producing_line(session: Session, lot_id: int) -> tuple[Declaration, DeclarationLine] | None:
    """The cleared declaration line that opened lot ``lot_id`` (an entry or a transfer), with
    its declaration: where the taxes paid on the lot's goods are recorded (R24)."""
    row = session.execute(
        select(Declaration, DeclarationLine)
        .join(DeclarationLine, DeclarationLine.declaration_id == Declaration.id)
        .where(
            DeclarationLine.result_lot_id == lot_id,
            Declaration.status == DeclarationStatus.CLEARED,
        )
        .order_by(Declaration.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None
