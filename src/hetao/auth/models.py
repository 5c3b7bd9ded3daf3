"""Auth tables: users, web sessions, API tokens and login attempts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from hetao.auth.principal import Role
from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow

#: Longest username; it is also an audit subject id (64 characters).
USERNAME_MAX = 64
#: Longest textual IP address (IPv6 with an embedded IPv4 tail).
REMOTE_ADDR_MAX = 45


class TokenKind(StrEnum):
    """Whom an API token speaks for."""

    USER = "user"
    """A user, with a subset of that user's role."""
    DEVICE = "device"
    """A machine (a gate), named by ``device_name``."""


class User(Base):
    """A person who signs in to the console or portal, with exactly one role."""

    __tablename__ = "auth_users"
    __table_args__ = (
        CheckConstraint("username = lower(username)", name="username_lower_case"),
        # An enterprise user sees only its own party; every other role is not bound to one.
        CheckConstraint(
            "(role = 'enterprise_user' AND party_id IS NOT NULL)"
            " OR (role <> 'enterprise_user' AND party_id IS NULL)",
            name="party_iff_enterprise_user",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, name="auth_role"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The pages' language the user chose (BCP 47: en, zh-Hant, zh-Hans); None: not chosen yet.
    language: Mapped[str | None] = mapped_column(String(8))


class WebSession(Base):
    """A signed-in browser; the cookie holds a secret whose SHA-256 alone is stored."""

    __tablename__ = "auth_web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Absolute end of the session; idleness ends it sooner (see ``service.SESSION_IDLE``).
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A bearer token ``hetao_<id>_<secret>`` for a user or a device; the secret is hashed."""

    __tablename__ = "auth_api_tokens"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'user' AND user_id IS NOT NULL AND device_name IS NULL)"
            " OR (kind = 'device' AND user_id IS NULL AND device_name IS NOT NULL)",
            name="subject_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TokenKind] = mapped_column(enum_type(TokenKind, name="auth_token_kind"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"), index=True)
    device_name: Mapped[str | None] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(JSON)
    #: Crossing points a gate device may report for; SQL NULL (not JSON null) when unscoped.
    crossing_points: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: First characters of the secret, so administrators can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    """One sign-in attempt, kept to throttle guessing by username and by address."""

    __tablename__ = "auth_login_attempts"
    __table_args__ = (
        Index("ix_auth_login_attempts_username_attempted_at", "username", "attempted_at"),
        Index("ix_auth_login_attempts_remote_addr_attempted_at", "remote_addr", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    remote_addr: Mapped[str] = mapped_column(String(REMOTE_ADDR_MAX))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
