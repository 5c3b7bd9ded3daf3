"""E-ledger tables: lots, their parent lots, append-only movements and holds.

A lot's ``balance`` and ``reserved`` are stored on the lot (an O(1) lookup however long the
history is) and the database keeps them honest: CHECK constraints refuse a negative balance or a
reservation beyond it, and every withdrawal is a conditional UPDATE (``repository.withdraw``).
Movements are only ever inserted; a correction is a reversal pointing at what it undoes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hetao.storage.types import Base, ScaledDecimal, UTCDateTime, enum_type, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


#: Goods quantities: 20 digits, 3 decimals (grams of a kilogram, millilitres of a litre).
QUANTITY = ScaledDecimal(20, 3)
#: Amounts of money: 18 digits, 2 decimals (the fen, the cent).
MONEY = ScaledDecimal(18, 2)


class CustomsStatus(StrEnum):
    """Customs status of the goods of a lot (the same values as ``hetao.tax``)."""

    DUTY_FREE_RESEARCH = "duty_free_research"
    """Research goods of a beneficiary, imported free of the three import taxes (R4, R5)."""
    BONDED = "bonded"
    """Foreign goods whose import taxes are suspended while they stay in the zone."""
    DUTY_PAID = "duty_paid"
    """Foreign goods whose import taxes are paid."""
    DOMESTIC = "domestic"
    """Goods of the mainland customs territory."""


class MovementKind(StrEnum):
    """What a movement does to its lot; the sign of the quantity follows from it."""

    ADMIT = "admit"
    """Admission of the goods into the zone: opens the lot (positive)."""
    TRANSFER_OUT = "transfer_out"
    """The giving leg of an in-zone transfer to another party (negative)."""
    TRANSFER_IN = "transfer_in"
    """The receiving leg of an in-zone transfer: opens the receiver's lot (positive)."""
    CONSUME = "consume"
    """Used up in research without forming an R&D product (R5; negative)."""
    TRANSFORM_OUT = "transform_out"
    """An input used to make an R&D product (negative)."""
    TRANSFORM_IN = "transform_in"
    """The R&D product made from inputs: opens the product lot (positive)."""
    RELEASE_SECOND_LINE = "release_second_line"
    """Left the zone for the mainland through the second line (R7; negative)."""
    EXPORT_FIRST_LINE = "export_first_line"
    """Left the zone for Hong Kong through the first line (negative)."""
    DESTROY = "destroy"
    """Destroyed under supervision (negative)."""
    ADJUST = "adjust"
    """Stocktake adjustment: an overage (positive) or a shortage (negative)."""
    REVERSAL = "reversal"
    """Undoes the movement it points at with the opposite quantity."""


#: Kinds that add goods to a lot; each opens a new lot.
DEPOSIT_KINDS = frozenset({MovementKind.ADMIT, MovementKind.TRANSFER_IN, MovementKind.TRANSFORM_IN})
#: Kinds that take goods out of a lot.
WITHDRAWAL_KINDS = frozenset(
    {
        MovementKind.TRANSFER_OUT,
        MovementKind.CONSUME,
        MovementKind.TRANSFORM_OUT,
        MovementKind.RELEASE_SECOND_LINE,
        MovementKind.EXPORT_FIRST_LINE,
        MovementKind.DESTROY,
    }
)


def _values_sql(kinds: frozenset[MovementKind]) -> str:
    return ", ".join(f"'{kind.value}'" for kind in sorted(kinds))


class HoldStatus(StrEnum):
    """Lifecycle of a hold on goods awaiting inspection."""

    PENDING = "pending"
    """The quantity is reserved: nothing else may withdraw it."""
    POSTED = "posted"
    """Turned into a movement; the reservation became a withdrawal."""
    VOIDED = "voided"
    """Released without a movement (inspection passed, or the hold expired)."""


class Lot(Base):
    """Goods of one party with one customs status, HS code, origin and admission (19 CFR 146.23)."""

    __tablename__ = "ledger_lots"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= balance", name="reserved_within_balance"),
        CheckConstraint("initial_quantity > 0", name="initial_quantity_positive"),
        CheckConstraint("customs_value >= 0", name="customs_value_not_negative"),
        CheckConstraint(
            "supervision_ends_on IS NULL OR supervision_ends_on > admitted_on",
            name="supervision_after_admission",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    hs_code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(16))
    #: ISO 3166-1 alpha-2 country of origin.
    origin: Mapped[str] = mapped_column(String(2))
    #: R6 "goods of the same kind", one of the profile's ``whitelist.waiver_goods_kinds``.
    goods_kind: Mapped[str] = mapped_column(String(40))
    customs_status: Mapped[CustomsStatus] = mapped_column(
        enum_type(CustomsStatus, name="customs_status")
    )
    #: Customs value of ``initial_quantity``; a part is valued pro rata.
    customs_value: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    #: The first-line declaration that admitted the goods (kept by lots split off by transfer).
    admission_ref: Mapped[str] = mapped_column(String(64), index=True)
    #: Release date at the first line (an R&D product: the day it was made).
    admitted_on: Mapped[dt.date] = mapped_column(Date)
    #: End of the R5 supervision period; None when the goods have none.
    supervision_ends_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    #: The quantity the lot opened with (R29 opening balance of its first period).
    initial_quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    #: The lot an in-zone transfer split this one off (None for admissions and R&D products).
    source_lot_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_lots.id"), index=True)
    balance: Mapped[Decimal] = mapped_column(QUANTITY)
    #: Held for inspection (pending holds): not available to withdraw.
    reserved: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def available(self) -> Decimal:
        """What may be withdrawn now, as last read from the database."""
        return self.balance - self.reserved


class LotParent(Base):
    """An input lot of an R&D product lot, with the quantity of it used."""

    __tablename__ = "ledger_lot_parents"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("product_lot_id <> input_lot_id", name="not_its_own_parent"),
    )

    product_lot_id: Mapped[int] = mapped_column(ForeignKey("ledger_lots.id"), primary_key=True)
    input_lot_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_lots.id"), primary_key=True, index=True
    )
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)


class Movement(Base):
    """One change to one lot; rows are only inserted, never updated or deleted."""

    __tablename__ = "ledger_movements"
    __table_args__ = (
        UniqueConstraint("party_id", "idempotency_key"),
        CheckConstraint(
            f"(kind IN ({_values_sql(DEPOSIT_KINDS)}) AND quantity > 0)"
            f" OR (kind IN ({_values_sql(WITHDRAWAL_KINDS)}) AND quantity < 0)"
            " OR (kind IN ('adjust', 'reversal') AND quantity <> 0)",
            name="sign_follows_kind",
        ),
        CheckConstraint(
            "(kind = 'reversal' AND reverses_id IS NOT NULL)"
            " OR (kind <> 'reversal' AND reverses_id IS NULL)",
            name="reversal_points_at_its_movement",
        ),
        Index("ix_ledger_movements_lot_id_created_at", "lot_id", "created_at"),
        # Most movements have no declaration: a partial index spares their inserts a page.
        Index(
            "ix_ledger_movements_declaration_ref",
            "declaration_ref",
            sqlite_where=text("declaration_ref IS NOT NULL"),
            postgresql_where=text("declaration_ref IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("ledger_lots.id"))
    #: The owner of the lot, whose ledger this is; client keys are unique per party.
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    kind: Mapped[MovementKind] = mapped_column(enum_type(MovementKind, name="movement_kind"))
    #: Signed: positive adds to the lot, negative takes from it.
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    #: The client's key on the leg it asked for; other legs get "<correlation key>#<leg>".
    idempotency_key: Mapped[str] = mapped_column(String(160))
    #: SHA-256 of the request's arguments: the same key with other arguments is a conflict.
    request_hash: Mapped[str] = mapped_column(String(64))
    #: Shared by the legs of one request (a transfer pair, a transformation, their reversal).
    correlation_key: Mapped[str] = mapped_column(String(32), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_movements.id"), unique=True)
    declaration_ref: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lot: Mapped[Lot] = relationship()


class Hold(Base):
    """Goods reserved while they await inspection: posted to a movement, voided, or expired."""

    __tablename__ = "ledger_holds"
    __table_args__ = (
        UniqueConstraint("party_id", "idempotency_key"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "(status = 'posted' AND movement_id IS NOT NULL)"
            " OR (status <> 'posted' AND movement_id IS NULL)",
            name="posted_has_its_movement",
        ),
        Index("ix_ledger_holds_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("ledger_lots.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    status: Mapped[HoldStatus] = mapped_column(
        enum_type(HoldStatus, name="hold_status"), default=HoldStatus.PENDING
    )
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str] = mapped_column(String(160))
    request_hash: Mapped[str] = mapped_column(String(64))
    #: The movement the hold was posted to.
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_movements.id"), unique=True)
    declaration_ref: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    lot: Mapped[Lot] = relationship()
