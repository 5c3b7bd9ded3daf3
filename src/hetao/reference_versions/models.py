"""A stored version of a reference table: its CSV text, immutable once added."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow


class TableKind(StrEnum):
    """Which reference table a version belongs to."""

    TARIFF = "tariff"
    """Duty, consumption-tax and VAT rates by HS code (hetao.reference.tariff)."""
    RATES = "rates"
    """Monthly customs exchange rates (hetao.reference.rates)."""
    EXCLUSIONS = "exclusions"
    """What REGIME R4, R19 and R23 exclude from exemption, R23's taxed-goods catalogue among
    them (hetao.reference.exemption_exclusions)."""
    INSPECTION = "inspection"
    """The goods legally inspected on entry, for R12 and R10 (hetao.reference.legal_inspection)."""


class ReferenceVersion(Base):
    """One uploaded version of a reference table, in force from ``effective_from``."""

    __tablename__ = "reference_versions"
    __table_args__ = (
        UniqueConstraint("kind", "version"),
        Index("ix_reference_versions_kind_effective_from", "kind", "effective_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[TableKind] = mapped_column(enum_type(TableKind, name="reference_table_kind"))
    #: The version the file names in its ``version`` column.
    version: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    #: The CSV text as uploaded (validated), parsed again on first use in a process.
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    #: ``sample`` or ``official``, as the file's ``kind`` column says.
    rate_kind: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
