"""A loan of one instrument across the first line: out to Hong Kong, or in from it.

A loan moves no goods on the e-ledger: the lot keeps its balance and its supervision period
while the instrument is away (R5), since a loan's crossing is not an export.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hetao.ledger.models import MONEY
from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow


class LoanDirection(StrEnum):
    """Which way the instrument crosses first."""

    OUT = "out"
    """A zone party's instrument lent to a Hong Kong institution: out, then back in."""
    IN = "in"
    """A Hong Kong institution's instrument admitted temporarily: in, then back out."""


class LoanStatus(StrEnum):
    """Where the instrument is in its loan."""

    RECORDED = "recorded"
    """Recorded; the instrument has not crossed yet."""
    AWAY = "away"
    """Crossed the first time: outside the zone (out) or inside it (in), due back."""
    OVERDUE = "overdue"
    """Past its due date and not back: flagged by the daily job."""
    TAXABLE = "taxable"
    """Past the grace period and not back: a taxable event, with its assessment."""
    RETURNED = "returned"
    """Crossed back: the loan is closed."""
    CANCELLED = "cancelled"
    """Cancelled by an officer before the instrument crossed (recorded in error)."""


#: The statuses of a loan whose instrument is away and due back.
AWAY_STATUSES = frozenset({LoanStatus.AWAY, LoanStatus.OVERDUE, LoanStatus.TAXABLE})


class Loan(Base):
    """One instrument, one Hong Kong institution, one purpose, one due date."""

    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("direction <> 'out' OR lot_id IS NOT NULL", name="out_names_its_lot"),
        CheckConstraint("customs_value >= 0", name="customs_value_not_negative"),
        CheckConstraint("due_on >= recorded_on", name="due_after_recorded"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL)",
            name="cancelled_has_its_reason",
        ),
        # The taxes collected are the assessment's, never an amount a request chose.
        CheckConstraint(
            "paid_reference IS NULL OR (tax_total IS NOT NULL AND paid_total = tax_total"
            " AND paid_at IS NOT NULL)",
            name="paid_is_the_assessment",
        ),
        Index("ix_loans_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[LoanDirection] = mapped_column(
        enum_type(LoanDirection, name="loan_direction")
    )
    status: Mapped[LoanStatus] = mapped_column(
        enum_type(LoanStatus, name="loan_status"), default=LoanStatus.RECORDED
    )
    #: The zone party: the lender of a loan out, the borrower of a loan in.
    zone_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    #: The Hong Kong institution: the borrower of a loan out, the lender of a loan in.
    hk_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    #: The zone party's ledger lot the instrument belongs to (loans out only).
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_lots.id"), index=True)
    serial: Mapped[str] = mapped_column(String(64))
    hs_code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(2))
    customs_value: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[str] = mapped_column(Text)
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    crossed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The crossings that took the instrument across first, and back (set by the gate).
    crossed_event_id: Mapped[int | None] = mapped_column(ForeignKey("crossing_events.id"))
    returned_event_id: Mapped[int | None] = mapped_column(ForeignKey("crossing_events.id"))
    #: The zone day the daily job found it overdue, and the day it found it taxable.
    overdue_on: Mapped[dt.date | None] = mapped_column(Date)
    taxable_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Why it became taxable: a ``hetao.reasons`` record naming the loan rule and the tax rule.
    taxable_reason: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The ``hetao.tax`` assessment of the taxable event (an AssessmentDocument).
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tax_total: Mapped[Decimal | None] = mapped_column(MONEY)
    #: The payment of the assessment an officer recorded: the receipt's reference and amount.
    paid_reference: Mapped[str | None] = mapped_column(String(64))
    paid_total: Mapped[Decimal | None] = mapped_column(MONEY)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Why an officer cancelled the loan, and when.
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
