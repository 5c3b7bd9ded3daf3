"""Stored responses of idempotent POSTs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hetao.storage.types import Base, UTCDateTime, utcnow


class IdempotencyRecord(Base):
    """The first response to a POST with an Idempotency-Key, kept to answer retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("principal", "key"),
        Index("ix_idempotency_records_created_at", "created_at"),  # the purge's range
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(255))
    #: HMAC-SHA256 (server key) of method, path, query and body: a reused key with another
    #: request is a conflict.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    #: The first answer, with every secret field set to null.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    #: Dotted names of the secret fields left out of ``body``, comma-separated; None if none.
    withheld: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
