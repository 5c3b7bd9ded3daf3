"""Tables of `hetao.datatransfer`: transfer applications and the dedicated channel log.

The channel log keeps what a batch was (digest, size, counts, destination), never the data.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hetao.datatransfer.routing import Ground, Purpose, Route
from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow


class ApplicationStatus(StrEnum):
    """Workflow of a data transfer application (R33-R37, R36 for validity)."""

    DRAFT = "draft"
    """Being prepared by the exporter."""
    SELF_ASSESSED = "self_assessed"
    """Routed; an exempt route ends here (nothing to file)."""
    FILED = "filed"
    """A standard contract (CAC or GBA) or a certification was filed."""
    APPLIED = "applied"
    """A security assessment was applied for."""
    APPROVED = "approved"
    """The filing was accepted or the assessment passed."""
    REJECTED = "rejected"
    """The filing or the assessment was refused."""
    ACTIVE = "active"
    """In force: batches may pass the dedicated channel."""
    EXPIRING = "expiring"
    """In force, inside the R36 renewal window."""
    EXTENDED = "extended"
    """In force after an extension added the validity period again (R36)."""
    EXPIRED = "expired"
    """Its validity ended."""


#: States in which the channel lets batches through.
LIVE_STATUSES = frozenset(
    {ApplicationStatus.ACTIVE, ApplicationStatus.EXPIRING, ApplicationStatus.EXTENDED}
)


class BatchStatus(StrEnum):
    """What the channel decided about a batch."""

    RECORDED = "recorded"
    """Within the approval: the batch may leave."""
    REFUSED = "refused"
    """Outside the approval: it must not leave; the reasons say why."""


class DataTransferApplication(Base):
    """An exporter's application to send data abroad, its route and its approval."""

    __tablename__ = "data_transfer_applications"
    __table_args__ = (
        CheckConstraint("personal_info_subjects >= 0", name="pi_not_negative"),
        CheckConstraint("sensitive_personal_info_subjects >= 0", name="sensitive_not_negative"),
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="validity_ordered"
        ),
        Index("ix_data_transfer_applications_exporter_year", "exporter_party_id", "assessed_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exporter_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    #: A mainland city in English (e.g. Shenzhen) or CN.
    exporter_region: Mapped[str] = mapped_column(String(40))
    recipient_name: Mapped[str] = mapped_column(String(200))
    #: HK, MO or another ISO 3166-1 alpha-2 code.
    recipient_region: Mapped[str] = mapped_column(String(2))
    #: Slugs of the data categories in scope; a batch outside them is refused.
    data_categories: Mapped[list[str]] = mapped_column(JSON)
    #: Persons whose personal information (non-sensitive) the approval covers.
    personal_info_subjects: Mapped[int] = mapped_column(Integer)
    sensitive_personal_info_subjects: Mapped[int] = mapped_column(Integer)
    important_data: Mapped[bool] = mapped_column()
    cii_operator: Mapped[bool] = mapped_column()
    purpose: Mapped[Purpose] = mapped_column(enum_type(Purpose, name="data_purpose"))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_type(ApplicationStatus, name="data_application_status"),
        default=ApplicationStatus.DRAFT,
        index=True,
    )
    route: Mapped[Route | None] = mapped_column(enum_type(Route, name="data_route"))
    route_rule: Mapped[str | None] = mapped_column(String(8))
    ground: Mapped[Ground | None] = mapped_column(enum_type(Ground, name="data_exempt_ground"))
    #: The whole routing as decided at self-assessment, with the year-to-date counts used.
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Calendar year (at the zone) of the self-assessment: the year its persons count in.
    assessed_year: Mapped[int | None] = mapped_column(Integer)
    #: The filing number or the assessment's application number.
    filing_reference: Mapped[str | None] = mapped_column(String(64))
    approval_reference: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date, index=True)
    #: R36: from this day the extension may be applied for (working days before expiry).
    renewal_window_opens_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChannelBatch(Base):
    """One batch posted by the dedicated channel: what passed or was refused, never the data."""

    __tablename__ = "data_channel_log"
    __table_args__ = (
        UniqueConstraint("application_id", "batch_id"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        CheckConstraint("personal_info_subjects >= 0", name="pi_not_negative"),
        CheckConstraint("sensitive_personal_info_subjects >= 0", name="sensitive_not_negative"),
        Index("ix_data_channel_log_exporter_recorded_on", "exporter_party_id", "recorded_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("data_transfer_applications.id"))
    #: Denormalised from the application: the R33 year-to-date check sums per exporter.
    exporter_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    #: The client's id for the batch: a retry with the same id returns this row.
    batch_id: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the request's content: the same id with other content is a conflict.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the data as sent, lower-case hex.
    digest: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    #: Records per data category.
    record_counts: Mapped[dict[str, int]] = mapped_column(JSON)
    personal_info_subjects: Mapped[int] = mapped_column(Integer)
    sensitive_personal_info_subjects: Mapped[int] = mapped_column(Integer)
    recipient_region: Mapped[str] = mapped_column(String(2))
    recipient_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[BatchStatus] = mapped_column(enum_type(BatchStatus, name="data_batch_status"))
    #: Each refusal reason, ``hetao.reasons.Reason.as_json()`` (before: {"code", "message"},
    #: read by ``Reason.from_stored``); empty when recorded.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: The zone date the batch was posted: its year is the R33 "since 1 January" year.
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
