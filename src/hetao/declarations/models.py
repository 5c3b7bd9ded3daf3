"""Declaration tables: what a party declares at a line or inside the zone, line by line.

A declaration is idempotent by its declarant's reference (unique per party); clearing it posts
the ledger movements and keeps the tax assessment with its totals for reporting.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
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

from hetao.declarations.kinds import DeclarationKind
from hetao.ledger.models import MONEY, QUANTITY, CustomsStatus
from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow


class DeclarationStatus(StrEnum):
    """Workflow of a declaration."""

    SUBMITTED = "submitted"
    """Lodged by the declarant; nothing is posted yet."""
    ACCEPTED = "accepted"
    """Documents checked by an officer; waiting for clearance."""
    CLEARED = "cleared"
    """Movements posted and taxes assessed."""
    REFUSED = "refused"
    """Refused by an officer, with the reason; nothing was posted."""


class Declaration(Base):
    """One declaration by a party, unique by (party, reference)."""

    __tablename__ = "ledger_declarations"
    __table_args__ = (
        UniqueConstraint("party_id", "reference"),
        CheckConstraint(
            "(status = 'cleared' AND cleared_at IS NOT NULL)"
            " OR (status <> 'cleared' AND cleared_at IS NULL)",
            name="cleared_has_its_time",
        ),
        CheckConstraint(
            "status <> 'refused' OR refusal_reason IS NOT NULL", name="refused_has_a_reason"
        ),
        Index("ix_ledger_declarations_status_cleared_at", "status", "cleared_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    #: The declarant's own reference: the business idempotency key.
    reference: Mapped[str] = mapped_column(String(64))
    kind: Mapped[DeclarationKind] = mapped_column(
        enum_type(DeclarationKind, name="declaration_kind")
    )
    status: Mapped[DeclarationStatus] = mapped_column(
        enum_type(DeclarationStatus, name="declaration_status"),
        default=DeclarationStatus.SUBMITTED,
    )
    #: Profile code of the port or channel; None for movements inside the zone.
    crossing_point: Mapped[str | None] = mapped_column(String(40))
    hand_carried: Mapped[bool] = mapped_column(default=False)
    #: The date of the movement: admission date of new lots and the tax date.
    declared_on: Mapped[dt.date] = mapped_column(Date)
    #: The receiving party of an in-zone transfer.
    to_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    transfer_reason: Mapped[str | None] = mapped_column(String(20))
    #: Why goods were destroyed or adjusted (required for those kinds).
    reason: Mapped[str | None] = mapped_column(Text)
    #: The R&D product of a transformation, as declared.
    product: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    product_lot_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_lots.id"))
    #: SHA-256 of the submitted content: the same reference with other content is a conflict.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The whole ``hetao.tax.Assessment`` as JSON; None until cleared (or for untaxed kinds).
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    duty: Mapped[Decimal | None] = mapped_column(MONEY)
    consumption_tax: Mapped[Decimal | None] = mapped_column(MONEY)
    vat: Mapped[Decimal | None] = mapped_column(MONEY)
    tax_total: Mapped[Decimal | None] = mapped_column(MONEY)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(120))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    refused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    lines: Mapped[list[DeclarationLine]] = relationship(
        back_populates="declaration",
        order_by="DeclarationLine.line_no",
        cascade="all, delete-orphan",
    )


class DeclarationLine(Base):
    """One goods line: what, how much, worth what, from which lot, with its flags."""

    __tablename__ = "ledger_declaration_lines"
    __table_args__ = (
        UniqueConstraint("declaration_id", "line_no"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        CheckConstraint("customs_value >= 0", name="customs_value_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("ledger_declarations.id"))
    #: 1-based position in the declaration; part of the derived ledger keys.
    line_no: Mapped[int] = mapped_column(Integer)
    hs_code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(500))
    #: Signed only for stocktake adjustments; positive otherwise.
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    #: How much of ``quantity`` has crossed the gate so far: added when a crossing is recorded
    #: (``hetao.crossing.used_up``) by a conditional UPDATE that never passes ``quantity``.
    quantity_crossed: Mapped[Decimal] = mapped_column(
        QUANTITY, default=Decimal(0), server_default="0"
    )
    unit: Mapped[str] = mapped_column(String(16))
    customs_value: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    origin: Mapped[str] = mapped_column(String(2))
    goods_kind: Mapped[str] = mapped_column(String(40))
    #: The status the goods hold when declared: claimed for entries, the lot's otherwise.
    customs_status: Mapped[CustomsStatus] = mapped_column(
        enum_type(CustomsStatus, name="customs_status")
    )
    #: The lot the goods are drawn from (outbound, consumption, transfer, adjustment).
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_lots.id"), index=True)
    #: The lot clearance opened (an admission, or the receiver's lot of a transfer).
    result_lot_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_lots.id"))
    research_own_use: Mapped[bool] = mapped_column(default=False)
    bonded: Mapped[bool] = mapped_column(default=False)
    special_article: Mapped[bool] = mapped_column(default=False)
    hgr_material: Mapped[bool] = mapped_column(default=False)
    legally_inspected: Mapped[bool] = mapped_column(default=False)
    supervised_equipment: Mapped[bool] = mapped_column(default=False)
    #: R5: consumables used up in research, released without repaying tax on application.
    release_on_application: Mapped[bool] = mapped_column(default=False)
    #: R11: the number of the special-article quarantine approval in the approvals register.
    special_article_approval: Mapped[str | None] = mapped_column(String(80))
    #: R41: the number of the human-genetic-resources approval in the approvals register.
    hgr_approval: Mapped[str | None] = mapped_column(String(80))

    declaration: Mapped[Declaration] = relationship(back_populates="lines")


# --- R10: centralised declaration ----------------------------------------------------------


class CentralisedPeriodStatus(StrEnum):
    """Workflow of a centralised declaration period (R10)."""

    OPEN = "open"
    """Goods cross against it; lines are recorded."""
    CLOSED = "closed"
    """Its aggregate declaration was built and cleared; nothing more is recorded."""


class CentralisedPeriod(Base):
    """A party's open centralised declaration for a period (R10): its goods cross against it and
    one aggregate declaration, built from the recorded lines, is cleared when it closes."""

    __tablename__ = "ledger_centralised_periods"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_it_starts"),
        CheckConstraint(
            "(status = 'closed' AND declaration_id IS NOT NULL AND closed_at IS NOT NULL)"
            " OR (status <> 'closed' AND declaration_id IS NULL AND closed_at IS NULL)",
            name="closed_has_its_declaration",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    #: The first-line goods point the goods cross at (the aggregate declaration's).
    crossing_point: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    #: The last day of the period, included.
    ends_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[CentralisedPeriodStatus] = mapped_column(
        enum_type(CentralisedPeriodStatus, name="centralised_period_status"),
        default=CentralisedPeriodStatus.OPEN,
    )
    #: The aggregate declaration built at closing.
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_declarations.id"))
    opened_by: Mapped[str] = mapped_column(String(120))
    closed_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    lines: Mapped[list[CentralisedLine]] = relationship(
        back_populates="period", order_by="CentralisedLine.line_no", cascade="all, delete-orphan"
    )


class CentralisedLine(Base):
    """Goods that crossed under a centralised period, as recorded when they crossed."""

    __tablename__ = "ledger_centralised_lines"
    __table_args__ = (
        UniqueConstraint("period_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("customs_value >= 0", name="customs_value_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("ledger_centralised_periods.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    crossed_on: Mapped[dt.date] = mapped_column(Date)
    hs_code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit: Mapped[str] = mapped_column(String(16))
    customs_value: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    origin: Mapped[str] = mapped_column(String(2))
    goods_kind: Mapped[str] = mapped_column(String(40))
    research_own_use: Mapped[bool] = mapped_column(default=False)
    bonded: Mapped[bool] = mapped_column(default=False)
    hgr_material: Mapped[bool] = mapped_column(default=False)
    supervised_equipment: Mapped[bool] = mapped_column(default=False)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    period: Mapped[CentralisedPeriod] = relationship(back_populates="lines")
