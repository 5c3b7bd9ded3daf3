"""Every query of `hetao.funds`, including the conditional UPDATE that consumes a budget line.

Concurrency: transactions run at READ COMMITTED (PostgreSQL's default; SQLite serialises
writers with BEGIN IMMEDIATE). A budget line's ``consumed`` never goes through Python: approval
is one ``UPDATE ... SET consumed = consumed + :x WHERE consumed + :x <= amount``. PostgreSQL
takes the row lock, and a second approval waiting on it re-evaluates the WHERE clause on the
new row version, so two approvals can never both spend the same yuan; CHECK (consumed <= amount)
is the last line. Lock order: the transfer row, the R40 contract key, the budget line, then the
audit head (``record_event``) last.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, func, literal, or_, select, update
from sqlalchemy.orm import Session, selectinload

from hetao.funds.models import (
    CONSUMING_STATUSES,
    MONEY,
    BudgetLine,
    FundingSource,
    FundTransfer,
    Project,
    ProjectPartner,
    ProjectStatus,
    TransferStatus,
)
from hetao.registry import repository as registry_repo
from hetao.registry.models import WhitelistEntry
from hetao.storage import lookup
from hetao.storage.locks import advisory_lock
from hetao.storage.pagination import PageOf, paginate


def _money(amount: Decimal) -> ColumnElement[Decimal]:
    # Typed, so SQLite binds the same integer fen the column stores.
    return literal(amount, MONEY)


# --- projects ---------------------------------------------------------------------------------


def get_project(session: Session, project_id: int, *, for_update: bool = False) -> Project:
    """One project by id, or NotFound."""
    return lookup.get(session, Project, project_id, for_update=for_update)


def project_by_code(session: Session, code: str) -> Project | None:
    return session.scalars(select(Project).where(Project.code == code)).first()


def projects_of_party(party_id: int) -> Select[int]:
    """Ids of the projects a party leads or is a partner of."""
    partner = select(ProjectPartner.project_id).where(ProjectPartner.party_id == party_id)
    return select(Project.id).where(or_(Project.lead_party_id == party_id, Project.id.in_(partner)))


def page_projects(
    session: Session,
    *,
    member: int | None,
    status: ProjectStatus | None,
    funding_source: FundingSource | None,
    cursor: str | None,
    limit: int,
) -> PageOf[Project]:
    stmt = select(Project).options(
        selectinload(Project.partners), selectinload(Project.budget_lines)
    )
    if member is not None:
        stmt = stmt.where(Project.id.in_(projects_of_party(member)))
    if status is not None:
        stmt = stmt.where(Project.status == status)
    if funding_source is not None:
        stmt = stmt.where(Project.funding_source == funding_source)
    return paginate(session, stmt, id_column=Project.id, cursor=cursor, limit=limit)


def budget_line(
    session: Session, *, project_id: int, year: int, category: str
) -> BudgetLine | None:
    return session.scalars(
        select(BudgetLine).where(
            BudgetLine.project_id == project_id,
            BudgetLine.year == year,
            BudgetLine.category == category,
        )
    ).first()


def consume(session: Session, line: BudgetLine, amount: Decimal) -> bool:
    """Add ``amount`` to the line's consumed total if it fits; False (nothing changed) if not."""
    x = _money(amount)
    done = session.execute(
        update(BudgetLine)
        .where(BudgetLine.id == line.id, BudgetLine.consumed + x <= BudgetLine.amount)
        .values(consumed=BudgetLine.consumed + x)
        .execution_options(synchronize_session=False)
    )
    session.refresh(line)
    return bool(getattr(done, "rowcount", 0) == 1)


def remaining(session: Session, line_id: int) -> Decimal:
    """A line's remaining amount as committed now (not the session's cached copy)."""
    amount, consumed = session.execute(
        select(BudgetLine.amount, BudgetLine.consumed).where(BudgetLine.id == line_id)
    ).one()
    return Decimal(amount) - Decimal(consumed)


# --- transfers --------------------------------------------------------------------------------


def get_transfer(session: Session, transfer_id: int) -> FundTransfer:
    """One transfer by id, or NotFound."""
    return lookup.get(session, FundTransfer, transfer_id)


def lock_transfer(session: Session, transfer: FundTransfer) -> FundTransfer:
    """Lock the transfer's row until commit and re-read it (another request may have moved it)."""
    return session.scalars(
        select(FundTransfer)
        .where(FundTransfer.id == transfer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def lock_contract(session: Session, *, payer_party_id: int, contract_reference: str) -> None:
    """Serialise the R40 decisions of one contract (PostgreSQL advisory lock).

    Two approvals under one contract must not both believe they are its first payment.
    """
    advisory_lock(session, "funds", payer_party_id, contract_reference)


def earlier_filing(session: Session, transfer: FundTransfer) -> int | None:
    """The id of the contract's payment already flagged for an R40 filing, if any."""
    return session.scalars(
        select(FundTransfer.id)
        .where(
            FundTransfer.payer_party_id == transfer.payer_party_id,
            FundTransfer.contract_reference == transfer.contract_reference,
            FundTransfer.id != transfer.id,
            FundTransfer.status.in_(CONSUMING_STATUSES),
            FundTransfer.tax_filing_required.is_(True),
        )
        .order_by(FundTransfer.id)
        .limit(1)
    ).first()


def payee_entries(session: Session, party_id: int) -> Sequence[WhitelistEntry]:
    """Every institution whitelist entry of a party, whatever its status, oldest first."""
    return registry_repo.institution_entries(session, party_id=party_id)[::-1]


def find_project(session: Session, project_id: int) -> Project | None:
    """Project ``project_id``, or None."""
    return session.get(Project, project_id)


def page_transfers(
    session: Session,
    *,
    visible_to: int | None,
    party_id: int | None,
    project_id: int | None,
    status: TransferStatus | None,
    cursor: str | None,
    limit: int,
) -> PageOf[FundTransfer]:
    stmt = select(FundTransfer)
    if visible_to is not None:
        stmt = stmt.where(
            or_(
                FundTransfer.payer_party_id == visible_to,
                FundTransfer.payee_party_id == visible_to,
                FundTransfer.project_id.in_(projects_of_party(visible_to)),
            )
        )
    if party_id is not None:
        stmt = stmt.where(
            or_(FundTransfer.payer_party_id == party_id, FundTransfer.payee_party_id == party_id)
        )
    if project_id is not None:
        stmt = stmt.where(FundTransfer.project_id == project_id)
    if status is not None:
        stmt = stmt.where(FundTransfer.status == status)
    return paginate(session, stmt, id_column=FundTransfer.id, cursor=cursor, limit=limit)


# --- reports ----------------------------------------------------------------------------------


def transfer_totals_by_status(
    session: Session, project_id: int
) -> list[tuple[TransferStatus, int, Decimal]]:
    """(status, count, CNY total) of a project's transfers."""
    rows = session.execute(
        select(FundTransfer.status, func.count(), func.sum(FundTransfer.amount_cny))
        .where(FundTransfer.project_id == project_id)
        .group_by(FundTransfer.status)
    ).all()
    return [(TransferStatus(s), int(n), _sum(total)) for s, n, total in rows]


def budget_totals_by_source(
    session: Session, *, year: int | None
) -> list[tuple[FundingSource, int, Decimal, Decimal]]:
    """(funding source, projects, budget, consumed) over every project's budget lines."""
    stmt = (
        select(
            Project.funding_source,
            func.count(func.distinct(Project.id)),
            func.sum(BudgetLine.amount),
            func.sum(BudgetLine.consumed),
        )
        .join(BudgetLine, BudgetLine.project_id == Project.id)
        .group_by(Project.funding_source)
    )
    if year is not None:
        stmt = stmt.where(BudgetLine.year == year)
    return [
        (FundingSource(source), int(n), _sum(amount), _sum(consumed))
        for source, n, amount, consumed in session.execute(stmt).all()
    ]


def transfer_totals_by_source(
    session: Session, *, year: int | None
) -> list[tuple[FundingSource, TransferStatus, int, Decimal]]:
    """(funding source, status, count, CNY total) of every transfer."""
    stmt = (
        select(
            Project.funding_source,
            FundTransfer.status,
            func.count(),
            func.sum(FundTransfer.amount_cny),
        )
        .join(Project, FundTransfer.project_id == Project.id)
        .group_by(Project.funding_source, FundTransfer.status)
    )
    if year is not None:
        stmt = stmt.where(FundTransfer.budget_year == year)
    return [
        (FundingSource(source), TransferStatus(status), int(n), _sum(total))
        for source, status, n, total in session.execute(stmt).all()
    ]


def _sum(value: object) -> Decimal:
    """A SUM keeps its column's type (fen on SQLite come back as Decimal); no rows give NULL."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value))
