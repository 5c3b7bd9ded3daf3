"""Recording audit events inside the caller's transaction, chained and checkpointed."""

from __future__ import annotations

import datetime as dt
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from hetao.audit.chain import (
    GENESIS,
    EventFacts,
    chain_link,
    check_json_data,
    event_leaf,
    format_instant,
)
from hetao.audit.checkpoints import CheckpointStore, SignedCheckpoint, Signer
from hetao.audit.merkle import CompactRange
from hetao.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from hetao.db import utcnow
from hetao.profiles import ZoneProfile

log = logging.getLogger("hetao.audit")

#: Set by each entry point (the API route class, the CLI) so events carry it without plumbing.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)

_CONTEXT_KEY = "hetao.audit"
_PENDING_EXPORTS = "hetao.audit.pending_exports"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused a change: ``kind`` is user, device, cli or system."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


SYSTEM = Actor("system", "hetao")


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """When to sign a checkpoint, with which key, and where to export it."""

    log_id: str
    every_events: int
    every_seconds: int
    signer: Signer
    store: CheckpointStore


def enable_checkpoints(factory: sessionmaker[Session], policy: CheckpointPolicy) -> None:
    """Make sessions of ``factory`` sign checkpoints and export them once committed."""
    factory.kw.setdefault("info", {})[_CONTEXT_KEY] = policy

    @event.listens_for(factory, "after_commit")
    def _export(session: Session) -> None:
        pending: list[SignedCheckpoint] = session.info.pop(_PENDING_EXPORTS, [])
        for checkpoint in pending:
            try:
                policy.store.export(checkpoint, policy.signer.public_key)
            except Exception:
                # Committed already: never fail the request. `hetao audit checkpoint` re-exports,
                # and a file that differs from the database is an alarm for the auditors.
                log.exception("could not export checkpoint %s", checkpoint.tree_size)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_PENDING_EXPORTS, None)


def _lock_head(session: Session) -> AuditHead:
    """The chain head, locked until commit so events are numbered in commit order."""
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, size=0, chain_hash=GENESIS, peaks=[], last_checkpoint_size=0)
        session.add(head)
    return head


def json_stable(value: Any) -> Any:
    """``value`` as event data may hold it: Decimals, dates and instants as their strings."""
    if isinstance(value, Decimal | dt.date):  # dt.datetime is a dt.date
        return str(value)
    if isinstance(value, list | tuple):
        return [json_stable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_stable(v) for k, v in value.items()}
    return value


def record_event(
    session: Session,
    tag: str,
    *,
    subject_type: str,
    subject_id: int | str,
    actor: Actor,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the chain in the session; it commits or rolls back with its change."""
    parts = tag.split(":")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"audit tag must be source:subject:action, got {tag!r}")
    payload = data or {}
    check_json_data(payload)
    head = _lock_head(session)
    facts = EventFacts(
        seq=head.size + 1,
        occurred_at=utcnow(),
        tag=tag,
        subject_type=subject_type,
        subject_id=str(subject_id),
        actor=str(actor),
        request_id=current_request_id.get(),
        data=payload,
    )
    leaf = event_leaf(facts)
    chained = chain_link(head.chain_hash, leaf)
    frontier = CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks])
    frontier.append(leaf)
    audit_event = AuditEvent(
        seq=facts.seq,
        tag=facts.tag,
        subject_type=facts.subject_type,
        subject_id=facts.subject_id,
        actor=facts.actor,
        request_id=facts.request_id,
        occurred_at=facts.occurred_at,
        data=facts.data,
        leaf_hash=leaf,
        chain_hash=chained,
    )
    session.add(audit_event)
    head.size = facts.seq
    head.chain_hash = chained
    head.peaks = [p.hex() for p in frontier.peaks()]
    policy: CheckpointPolicy | None = session.info.get(_CONTEXT_KEY)
    if policy is not None and _checkpoint_due(head, policy, facts.occurred_at):
        _sign_checkpoint(session, head, frontier.root(), policy, facts.occurred_at)
    return audit_event


def _checkpoint_due(head: AuditHead, policy: CheckpointPolicy, now: dt.datetime) -> bool:
    if head.size - head.last_checkpoint_size >= policy.every_events:
        return True
    last = head.last_checkpoint_at
    return last is None or (now - last).total_seconds() >= policy.every_seconds


def _sign_checkpoint(
    session: Session, head: AuditHead, root: bytes, policy: CheckpointPolicy, now: dt.datetime
) -> SignedCheckpoint:
    signed = policy.signer.sign(
        log_id=policy.log_id,
        tree_size=head.size,
        root_hash=root,
        chain_hash=head.chain_hash,
        issued_at=format_instant(now),
    )
    session.add(
        AuditCheckpoint(
            tree_size=head.size,
            body=signed.body,
            signature=signed.signature,
            key_id=policy.signer.key_id,
            issued_at=now,
        )
    )
    head.last_checkpoint_size = head.size
    head.last_checkpoint_at = now
    session.info.setdefault(_PENDING_EXPORTS, []).append(signed)
    return signed


def checkpoint_now(session: Session, policy: CheckpointPolicy) -> SignedCheckpoint | None:
    """Sign a checkpoint of the log as it is (None when nothing was added since the last one)."""
    head = _lock_head(session)
    if head.size in (0, head.last_checkpoint_size):
        return None
    frontier = CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks])
    return _sign_checkpoint(session, head, frontier.root(), policy, utcnow())


def checkpoint_policy(
    profile: ZoneProfile, *, signing_key: Path, store_dir: Path
) -> CheckpointPolicy:
    """The profile's checkpoint rules with the platform's signing key and export directory."""
    return CheckpointPolicy(
        log_id=profile.zone.code,
        every_events=profile.audit.checkpoint_every_events,
        every_seconds=profile.audit.checkpoint_every_seconds,
        signer=Signer.load_or_create(signing_key),
        store=CheckpointStore(store_dir),
    )
