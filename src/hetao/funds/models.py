"""Tables of `hetao.funds`: research projects, their budget lines and cross-border fund transfers.

A budget line's ``consumed`` only moves through one conditional UPDATE
(``repository.consume``) and a CHECK constraint refuses ``consumed > amount`` as the backstop,
so concurrent approvals can never overspend a line.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hetao.reasons import stored_reasons
from hetao.storage.types import Base, ScaledDecimal, UTCDateTime, enum_type, utcnow

#: Amounts of money: 18 digits, 2 decimals (the fen, the cent).
MONEY = ScaledDecimal(18, 2)
#: CNY per one unit of a currency: the PBoC quotes 4 decimals per 1 or per 100 units.
RATE = ScaledDecimal(18, 6)


class FundingSource(StrEnum):
    """Who funds a research project (R38, R39)."""

    CENTRAL = "central"
    """Central fiscal science and technology funds; HK and Macao institutions may bid (R38)."""
    GUANGDONG = "guangdong"
    """Guangdong provincial funds, payable directly to HK and Macao units (R39)."""
    SHENZHEN = "shenzhen"
    """Shenzhen municipal funds (their cross-border rules were not retrieved: REGIME (d)10)."""
    OTHER = "other"
    """Any other source: enterprises, foundations, the partners' own funds."""


class BudgetCategory(StrEnum):
    """Categories of a project budget (the usual headings of a Chinese S&T project budget)."""

    EQUIPMENT = "equipment"
    """Purchase, trial production or upgrade of equipment."""
    MATERIALS = "materials"
    """Materials, reagents, samples and consumables."""
    PERSONNEL = "personnel"
    """Labour and expert fees."""
    TRAVEL = "travel"
    """Travel, conferences and international cooperation."""
    SERVICES = "services"
    """Testing, processing, publication and other purchased services."""
    OTHER = "other"
    """Anything else the approved budget allows (bank fees, indirect costs)."""


class TransferPurpose(StrEnum):
    """Why money crosses the boundary; which purposes a funding source allows: ``rules``."""

    RESEARCH_GRANT = "research_grant"
    """A share of the grant passed to a lead or partner unit to spend on the research."""
    EQUIPMENT_PURCHASE = "equipment_purchase"
    """Payment for equipment bought for the project."""
    MATERIALS = "materials"
    """Payment for materials, reagents and samples."""
    PERSONNEL = "personnel"
    """Fees of researchers and experts."""
    SERVICES = "services"
    """Payment for testing, processing or other services."""
    BANK_FEES = "bank_fees"
    """Hong Kong bank fees charged to the grant (R39)."""
    OTHER = "other"
    """Anything else."""


class ProjectStatus(StrEnum):
    """Lifecycle of a research project."""

    ACTIVE = "active"
    """Running: transfers may be declared and approved against its budget."""
    CLOSED = "closed"
    """Finished or stopped: no new transfer is approved."""


class TransferStatus(StrEnum):
    """Workflow of a cross-border fund transfer."""

    DECLARED = "declared"
    """Declared by the payer, not yet checked."""
    CHECKED = "checked"
    """Every check passed; waiting for approval."""
    HELD = "held"
    """A check failed (``reasons``) or a reviewer held it; approvable with a note, or declined."""
    APPROVED = "approved"
    """Approved: its budget line is consumed."""
    DECLINED = "declined"
    """Declined by a reviewer; nothing was consumed."""
    REMITTED = "remitted"
    """The bank remitted it (bank reference, remittance date)."""
    REPORTED = "reported"
    """Reported after remittance: the end of the workflow."""


#: The states whose amount is consumed from the budget.
CONSUMING_STATUSES = frozenset(
    {TransferStatus.APPROVED, TransferStatus.REMITTED, TransferStatus.REPORTED}
)


class Project(Base):
    """A research project with its lead party, partners, funding source, period and budget."""

    __tablename__ = "funds_projects"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period_ordered"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    lead_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    funding_source: Mapped[FundingSource] = mapped_column(
        enum_type(FundingSource, name="funding_source")
    )
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[ProjectStatus] = mapped_column(
        enum_type(ProjectStatus, name="project_status"), default=ProjectStatus.ACTIVE
    )
    status_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    partners: Mapped[list[ProjectPartner]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectPartner.party_id"
    )
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        cascade="all, delete-orphan", order_by="(BudgetLine.year, BudgetLine.category)"
    )

    @property
    def partner_party_ids(self) -> list[int]:
        return [p.party_id for p in self.partners]

    @property
    def member_party_ids(self) -> set[int]:
        """The lead and the partners: the parties a transfer of the project may pay."""
        return {self.lead_party_id, *self.partner_party_ids}


class ProjectPartner(Base):
    """A partner party of a project (mainland or Hong Kong)."""

    __tablename__ = "funds_project_partners"

    project_id: Mapped[int] = mapped_column(ForeignKey("funds_projects.id"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True, index=True)


class BudgetLine(Base):
    """The budget of one project for one year and category, in CNY, and how much is consumed."""

    __tablename__ = "funds_budget_lines"
    __table_args__ = (
        UniqueConstraint("project_id", "year", "category"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("consumed >= 0", name="consumed_not_negative"),
        # The backstop of the conditional UPDATE in repository.consume: never overspent.
        CheckConstraint("consumed <= amount", name="consumed_within_amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("funds_projects.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    category: Mapped[BudgetCategory] = mapped_column(
        enum_type(BudgetCategory, name="budget_category")
    )
    amount: Mapped[Decimal] = mapped_column(MONEY)
    consumed: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))

    @property
    def remaining(self) -> Decimal:
        """What is left, as last read from the database."""
        return self.amount - self.consumed


class FundTransfer(Base):
    """A cross-border payment under a project, from its declaration to its report."""

    __tablename__ = "funds_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("payer_party_id <> payee_party_id", name="payer_is_not_payee"),
        CheckConstraint(
            "(status IN ('remitted', 'reported')) = (bank_reference IS NOT NULL)",
            name="remitted_has_bank_reference",
        ),
        Index("ix_funds_transfers_contract", "payer_party_id", "contract_reference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("funds_projects.id"), index=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("funds_budget_lines.id"), index=True)
    payer_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    payee_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    #: The RMB account a Hong Kong payee gives (R39); free text, the bank's format.
    payee_rmb_account: Mapped[str | None] = mapped_column(String(64))
    #: ISO 4217 currency of ``amount``.
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    #: ``amount`` in CNY (consumed from the budget) and in USD (for R40), to the fen/cent.
    amount_cny: Mapped[Decimal] = mapped_column(MONEY)
    amount_usd: Mapped[Decimal] = mapped_column(MONEY)
    #: The rates used: CNY per unit of ``currency`` and of USD, from table ``rate_table``.
    rate_cny_per_unit: Mapped[Decimal] = mapped_column(RATE)
    usd_rate_cny_per_unit: Mapped[Decimal] = mapped_column(RATE)
    rate_table: Mapped[str] = mapped_column(String(64))
    rate_month: Mapped[str] = mapped_column(String(7))
    #: True when the rates came from the shipped SAMPLE table, not the PBoC's.
    rates_are_sample: Mapped[bool] = mapped_column(Boolean)
    #: The day the payment is to be made, at the zone: validity windows are checked on it.
    transfer_date: Mapped[dt.date] = mapped_column(Date)
    budget_year: Mapped[int] = mapped_column(Integer)
    budget_category: Mapped[BudgetCategory] = mapped_column(
        enum_type(BudgetCategory, name="budget_category")
    )
    purpose: Mapped[TransferPurpose] = mapped_column(
        enum_type(TransferPurpose, name="transfer_purpose")
    )
    contract_reference: Mapped[str] = mapped_column(String(64))
    status: Mapped[TransferStatus] = mapped_column(
        enum_type(TransferStatus, name="transfer_status"), default=TransferStatus.DECLARED
    )
    #: The checks that failed, each ``hetao.reasons.Reason.as_json()`` with a code of
    #: ``rules.CATALOGUE`` (before: the bare code, read by ``Reason.from_stored``); empty when
    #: all passed. A held transfer a reviewer approves keeps them: what the reviewer overrode.
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: R40: a tax filing is needed (computed at check, fixed at approval).
    tax_filing_required: Mapped[bool | None] = mapped_column(Boolean)
    #: R40: an earlier transfer under the same contract whose filing covers this one.
    tax_filing_covered_by_id: Mapped[int | None] = mapped_column(ForeignKey("funds_transfers.id"))
    #: The profile marks the R40 threshold provisional (REGIME (d)10: are grants covered?).
    tax_filing_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    remitted_on: Mapped[dt.date | None] = mapped_column(Date)
    report_reference: Mapped[str | None] = mapped_column(String(64))
    declared_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    project: Mapped[Project] = relationship()
    budget_line: Mapped[BudgetLine] = relationship()

    @property
    def reason_codes(self) -> list[str]:
        """The codes of ``reasons``, whatever shape they were stored in."""
        return [r.code for r in stored_reasons(self.reasons)]
