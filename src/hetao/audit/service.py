"""Recording audit events inside the caller's transaction, chained and checkpointed."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.util import identity_key

from hetao import metrics
from hetao.audit import repository
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
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow

log = logging.getLogger("hetao.audit")

#: Set by each entry point (the API route class, the CLI) so events carry it without plumbing.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)

_CONTEXT_KEY = "hetao.audit"
_PENDING_EXPORTS = "hetao.audit.pending_exports"
#: (the transaction that locked the audit head, the head): see lock_head.
_LOCKED_HEAD = "hetao.audit.locked_head"


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


def lock_head(session: Session) -> AuditHead:
    """The chain head, locked until commit so events are numbered in commit order.

    A writer that must see every other writer's work (a counter, a duplicate) locks it first.
    Within one transaction the lock is taken once; the head is read fresh when taken, since
    it may have been loaded (and then changed by others) in an earlier transaction.
    """
    transaction = session.get_transaction()
    locked: tuple[object, AuditHead] | None = session.info.get(_LOCKED_HEAD)
    if locked is not None and locked[0] is transaction and locked[1] in session:
        if session.autoflush:
            session.flush()  # as the query would have: callers count on it (refresh after)
        return locked[1]
    head = repository.head_for_update(session)
    if head is None:
        head = AuditHead(id=1, size=0, chain_hash=GENESIS, peaks=[], last_checkpoint_size=0)
        session.add(head)
    session.info[_LOCKED_HEAD] = (session.get_transaction(), head)
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


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append with ``record_events``: the arguments of ``record_event``."""

    tag: str
    subject_type: str
    subject_id: int | str
    actor: Actor
    data: dict[str, Any] | None = None
    #: The request that caused it: a committer thread writes for requests it is not in.
    request_id: str | None = None


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
    head = lock_head(session)
    frontier = CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks])
    new = NewEvent(tag, subject_type, subject_id, actor, data, current_request_id.get())
    row = _link(head, frontier, new, utcnow())
    audit_event = AuditEvent(**row)
    session.add(audit_event)
    _close_append(session, head, frontier, row["occurred_at"])
    metrics.count_on_commit(session, metrics.AUDIT_EVENTS)
    return audit_event


@dataclass(slots=True)
class LockedHead:
    """The audit head read by Core, for appends that need no ORM object (group commits).

    Appends advance it in place as they write the head row, so within one transaction it stays
    what the row holds, and a batch reads the head once (``lock_log``, then ``record_events``).
    """

    size: int
    chain_hash: bytes
    peaks: list[str]
    last_checkpoint_size: int
    last_checkpoint_at: dt.datetime | None


def lock_log(session: Session) -> LockedHead | None:
    """Take the audit head's lock (held until commit) without loading it as an object; the
    head as read (None for an empty log), to pass to ``record_events`` in this transaction."""
    row = repository.LOCK_HEAD.first(session.connection())
    return None if row is None else LockedHead(*row)


def record_events(
    session: Session, events: Sequence[NewEvent], *, locked: LockedHead | None = None
) -> None:
    """Append many events with one head update and one multi-row INSERT (group commits).

    By Core statements when no ORM head is loaded in the session (a batch of crossings), from
    ``locked`` when the caller took the lock with ``lock_log`` in this transaction; otherwise
    through the ORM object, so the session never holds a stale head.
    """
    if not events:
        return
    loaded = session.identity_map.get(identity_key(AuditHead, 1))
    head: AuditHead | LockedHead | None = None
    if loaded is None:
        # Core statements on the session's connection: the ORM's execute path costs more here.
        head = locked or lock_log(session)
    if head is None:  # an ORM head in the session, or an empty log: the object path
        head = lock_head(session)
    frontier = CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks])
    now = utcnow()
    rows = [_link(head, frontier, new, now) for new in events]
    _close_append(session, head, frontier, now)
    metrics.count_on_commit(session, metrics.AUDIT_EVENTS, len(rows))
    if isinstance(head, AuditHead):
        repository.insert_events(session, rows)
        return
    repository.append_rows(
        session.connection(),
        rows,
        {
            "new_size": head.size,
            "new_chain_hash": head.chain_hash,
            "new_peaks": head.peaks,
            "new_checkpoint_size": head.last_checkpoint_size,
            "new_checkpoint_at": head.last_checkpoint_at,
        },
    )


def _link(
    head: AuditHead | LockedHead, frontier: CompactRange, new: NewEvent, now: dt.datetime
) -> dict[str, Any]:
    """The next event's row, chained to ``head`` and added to ``frontier`` (both advanced)."""
    parts = new.tag.split(":")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"audit tag must be source:subject:action, got {new.tag!r}")
    payload = new.data or {}
    check_json_data(payload)
    facts = EventFacts(
        seq=head.size + 1,
        occurred_at=now,
        tag=new.tag,
        subject_type=new.subject_type,
        subject_id=str(new.subject_id),
        actor=str(new.actor),
        request_id=new.request_id,
        data=payload,
    )
    leaf = event_leaf(facts)
    chained = chain_link(head.chain_hash, leaf)
    frontier.append(leaf)
    head.size = facts.seq
    head.chain_hash = chained
    return {
        "seq": facts.seq,
        "tag": facts.tag,
        "subject_type": facts.subject_type,
        "subject_id": facts.subject_id,
        "actor": facts.actor,
        "request_id": facts.request_id,
        "occurred_at": facts.occurred_at,
        "data": facts.data,
        "leaf_hash": leaf,
        "chain_hash": chained,
    }


def _close_append(
    session: Session, head: AuditHead | LockedHead, frontier: CompactRange, now: dt.datetime
) -> None:
    """Store the new frontier, and sign a checkpoint when one is due."""
    head.peaks = [p.hex() for p in frontier.peaks()]
    policy: CheckpointPolicy | None = session.info.get(_CONTEXT_KEY)
    if policy is not None and _checkpoint_due(head, policy, now):
        _sign_checkpoint(session, head, frontier.root(), policy, now)


def _checkpoint_due(
    head: AuditHead | LockedHead, policy: CheckpointPolicy, now: dt.datetime
) -> bool:
    if head.size - head.last_checkpoint_size >= policy.every_events:
        return True
    last = head.last_checkpoint_at
    return last is None or (now - last).total_seconds() >= policy.every_seconds


def _sign_checkpoint(
    session: Session,
    head: AuditHead | LockedHead,
    root: bytes,
    policy: CheckpointPolicy,
    now: dt.datetime,
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
    head = lock_head(session)
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
