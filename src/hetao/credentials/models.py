"""Tables of zone credentials: the public keys that signed them and the credentials issued.

The token itself is never stored: it is a bearer credential, and the claims plus the key are
enough to recognise it. Revocation lists are signed on request from these rows (nothing to
store: their sequence is the audit log's size when they were read).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow


class CredentialStatus(StrEnum):
    """Stored state of a credential; expiry is read from ``not_after``, never stored."""

    ACTIVE = "active"
    """Issued and not revoked."""
    REVOKED = "revoked"
    """Revoked by staff, or superseded by a newer credential for the same entry."""


class CredentialKey(Base):
    """A public key that signs credentials; retired keys still verify what they signed."""

    __tablename__ = "credential_keys"

    #: First 8 bytes of SHA-256 of the raw public key, hex.
    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set when a newer key took over signing.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ZoneCredential(Base):
    """A credential issued to a whitelisted person, with its claims as signed."""

    __tablename__ = "zone_credentials"
    __table_args__ = (
        CheckConstraint("not_after > not_before", name="window_ordered"),
        Index("ix_zone_credentials_person_id_status", "person_id", "status"),
    )

    #: The token's credential id: 16 random bytes, base64url.
    id: Mapped[str] = mapped_column(String(22), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    whitelist_entry_id: Mapped[int] = mapped_column(ForeignKey("whitelist_entries.id"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("credential_keys.key_id"))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[CredentialStatus] = mapped_column(
        enum_type(CredentialStatus, name="credential_status"),
        default=CredentialStatus.ACTIVE,
        index=True,
    )
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    issued_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    #: The credential that replaced this one when it was re-issued.
    superseded_by: Mapped[str | None] = mapped_column(String(22))
