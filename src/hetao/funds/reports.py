"""Reports of `hetao.funds`: per project and per funding source, exact in Decimal (CNY)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy.orm import Session

from hetao.funds import repository as repo
from hetao.funds.models import FundingSource, Project, TransferStatus
from hetao.funds.schemas import (
    BudgetLineOut,
    FundsBySourceOut,
    ProjectOut,
    ProjectReportOut,
    SourceTotalOut,
    StatusTotalOut,
    YearTotalOut,
)

ZERO = Decimal("0.00")


def project_out(project: Project) -> ProjectOut:
    return ProjectOut.model_validate(project)


def project_report(session: Session, project: Project) -> ProjectReportOut:
    """Budget, consumed and remaining by year and category, and transfers by status."""
    session.refresh(project, ["budget_lines"])  # consumed moves by UPDATE, not through the ORM
    lines = [BudgetLineOut.model_validate(line) for line in project.budget_lines]
    years: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        years[line.year][0] += line.amount
        years[line.year][1] += line.consumed
    budget = sum((line.amount for line in lines), ZERO)
    consumed = sum((line.consumed for line in lines), ZERO)
    return ProjectReportOut(
        project=project_out(project),
        lines=lines,
        years=[
            YearTotalOut(year=year, budget=b, consumed=c, remaining=b - c)
            for year, (b, c) in sorted(years.items())
        ],
        budget=budget,
        consumed=consumed,
        remaining=budget - consumed,
        transfers=_by_status(
            {
                status: (n, total)
                for status, n, total in repo.transfer_totals_by_status(session, project.id)
            }
        ),
    )


def _by_status(found: dict[TransferStatus, tuple[int, Decimal]]) -> list[StatusTotalOut]:
    """Every status in workflow order, zero where there is none (a stable shape for clients)."""
    return [
        StatusTotalOut(
            status=status,
            count=found.get(status, (0, ZERO))[0],
            amount_cny=found.get(status, (0, ZERO))[1],
        )
        for status in TransferStatus
    ]


def funds_by_source(session: Session, *, year: int | None) -> FundsBySourceOut:
    """Per funding source: projects, budget, consumed, remaining and transfers by status."""
    budgets = {
        source: (n, b, c) for source, n, b, c in repo.budget_totals_by_source(session, year=year)
    }
    transfers: dict[FundingSource, dict[TransferStatus, tuple[int, Decimal]]] = defaultdict(dict)
    for source, status, n, total in repo.transfer_totals_by_source(session, year=year):
        transfers[source][status] = (n, total)
    sources = []
    for source in FundingSource:
        n, budget, consumed = budgets.get(source, (0, ZERO, ZERO))
        sources.append(
            SourceTotalOut(
                funding_source=source,
                projects=n,
                budget=budget,
                consumed=consumed,
                remaining=budget - consumed,
                transfers=_by_status(transfers.get(source, {})),
            )
        )
    return FundsBySourceOut(year=year, sources=sources)
