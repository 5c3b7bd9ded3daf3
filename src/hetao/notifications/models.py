"""Tables of notifications: the feed gathered from the audit log, webhooks and their outbox.

A notification is a projection of an audit event onto the party it concerns; the audit log stays
the record. A webhook's secret is kept sealed (AES-GCM under the platform's webhook key), never
in clear: the platform must sign with it, so a one-way hash would not do.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class SubjectKind(StrEnum):
    """What a notification is about: the kinds of object an enterprise follows."""

    APPLICATION = "application"
    """A whitelist application (registry)."""
    DECLARATION = "declaration"
    """A customs declaration (e-ledger)."""
    FUND_TRANSFER = "fund_transfer"
    """A cross-boundary transfer of research funds."""
    DATA_APPLICATION = "data_application"
    """An application to transfer data across the boundary."""


class WebhookStatus(StrEnum):
    """Whether a webhook receives deliveries."""

    ACTIVE = "active"
    """New notifications of its party are delivered to it."""
    DISABLED = "disabled"
    """Switched off by its party: nothing new is delivered, pending deliveries stop."""


class DeliveryStatus(StrEnum):
    """Where a delivery stands in the outbox."""

    PENDING = "pending"
    """Not yet accepted by the receiver; due at ``next_attempt_at``."""
    DELIVERED = "delivered"
    """The receiver answered 2xx."""
    FAILED = "failed"
    """Every attempt failed, or the webhook was disabled: no more attempts."""


class Notification(Base):
    """One status change of a party's object, from the audit event at ``audit_seq``."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("audit_seq", "party_id"),
        Index("ix_notifications_party_id_id", "party_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    audit_seq: Mapped[int] = mapped_column(BigId, index=True)
    #: None: the event's object belongs to no party (kept so the gatherer moves past it).
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    tag: Mapped[str] = mapped_column(String(80))
    subject_kind: Mapped[SubjectKind] = mapped_column(
        enum_type(SubjectKind, name="notification_subject_kind")
    )
    subject_id: Mapped[int] = mapped_column(Integer)
    #: The object's own reference where it has one (a declaration's, a contract's).
    reference: Mapped[str | None] = mapped_column(String(80))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Webhook(Base):
    """An HTTPS endpoint a party registered to receive its notifications, signed."""

    __tablename__ = "notification_webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    #: nonce || AES-GCM ciphertext of the signing secret (hetao.notifications.delivery).
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary(128))
    status: Mapped[WebhookStatus] = mapped_column(
        enum_type(WebhookStatus, name="webhook_status"), default=WebhookStatus.ACTIVE
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    secret_rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One notification owed to one webhook: the outbox row the sender works from."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "notification_id"),
        Index("ix_notification_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: Sent as X-Hetao-Delivery: the same on every attempt, so a receiver can drop repeats.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("notification_webhooks.id"), index=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus, name="delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class DeliveryAttempt(Base):
    """One try at a delivery: when, what the receiver answered (or the error), how long."""

    __tablename__ = "notification_delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    #: A short, secret-free description of what went wrong (timeout, refused, redirect...).
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int] = mapped_column(Integer)
