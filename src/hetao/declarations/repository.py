"""Every query of declarations and R10 centralised declaration periods lives here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import (
    CentralisedLine,
    CentralisedPeriod,
    Declaration,
    DeclarationStatus,
)
from hetao.errors import NotFound
from hetao.storage.pagination import PageOf, paginate

#: A party, its count of declarations, and its sums of duty, consumption tax, VAT and total.
TaxSums = tuple[int, int, Decimal | None, Decimal | None, Decimal | None, Decimal | None]

# --- declarations -------------------------------------------------------------------------------


def get_declaration(
    session: Session, declaration_id: int, *, for_update: bool = False
) -> Declaration:
    """One declaration by id, or NotFound."""
    found = session.get(Declaration, declaration_id, with_for_update=for_update)
    if found is None:
        raise NotFound(f"declaration {declaration_id} does not exist")
    return found


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
    found = session.get(CentralisedPeriod, period_id, with_for_update=for_update)
    if found is None:
        raise NotFound(f"centralised period {period_id} does not exist")
    return found


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
