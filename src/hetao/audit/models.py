"""Audit tables: the append-only events, the chain head, and the signed checkpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hetao.storage.types import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")


class AuditEvent(Base):
    """One state change, tagged ``source:subject:action``, e.g. ``registry:entry:suspend``.

    Rows are only ever inserted: triggers refuse UPDATE and DELETE, and on PostgreSQL the
    application's role has no such privilege. ``seq`` numbers the events 1, 2, 3 ... without gaps.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigId, unique=True)
    tag: Mapped[str] = mapped_column(String(80), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    request_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: RFC 9162 leaf hash of the canonical bytes (hetao.audit.chain).
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: SHA-256(previous chain_hash || leaf_hash): breaks at the first altered event.
    chain_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    """The single row holding the log's size, last chain hash and Merkle frontier.

    Writers lock it, so events get gapless sequence numbers in commit order.
    """

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigId, default=0)
    chain_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: Roots of the perfect subtrees of the Merkle tree so far, hex, left to right.
    peaks: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_checkpoint_size: Mapped[int] = mapped_column(BigId, default=0)
    last_checkpoint_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AuditCheckpoint(Base):
    """A signed statement of the tree's size and root; exported outside the database too."""

    __tablename__ = "audit_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    #: The signed body, canonical JSON (hetao.audit.checkpoints).
    body: Mapped[str] = mapped_column(Text)
    #: Ed25519 signature of ``body``, base64.
    signature: Mapped[str] = mapped_column(String(120))
    key_id: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
