"""A researcher's face enrolment: consent, purpose, the sealed template and when it goes.

One row per person. The template is sealed (``hetao.biometrics.sealed``) and removed, not
merely flagged, when consent is withdrawn or the retention period ends; the row stays as the
record that consent was given and when it ended.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow


class EnrolmentStatus(StrEnum):
    """Whether a person's face can be compared at the gate."""

    ENROLLED = "enrolled"
    """Consent in force, template kept until ``expires_at``."""
    WITHDRAWN = "withdrawn"
    """The person withdrew consent: the template was deleted."""
    EXPIRED = "expired"
    """The retention period ended: the template was purged."""


class FaceEnrolment(Base):
    """A person's consent to face verification at the gate, and their sealed template."""

    __tablename__ = "face_enrolments"
    __table_args__ = (
        CheckConstraint(
            "(status = 'enrolled') = (template_sealed IS NOT NULL)",
            name="template_only_while_enrolled",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        enum_type(EnrolmentStatus, name="face_enrolment_status")
    )
    purpose: Mapped[str] = mapped_column(String(200))
    #: The consent as the person gave it (the form's wording version), recorded by the user.
    consent_statement: Mapped[str] = mapped_column(String(40))
    consented_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    template_sealed: Mapped[bytes | None] = mapped_column(LargeBinary())
    #: SHA-256 of the plain template: what an audit event names instead of the template.
    template_sha256: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
