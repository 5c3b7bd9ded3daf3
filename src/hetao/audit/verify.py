"""Proving the audit log intact: the chain, the Merkle tree and the exported checkpoints.

The core (`verify_log`) is pure over plain records so the mutation tests can tamper freely;
`verify_database` feeds it from the database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from hetao.audit.chain import GENESIS, EventFacts, canonical_bytes, chain_link, event_leaf
from hetao.audit.checkpoints import SignedCheckpoint
from hetao.audit.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
)
from hetao.audit.models import AuditEvent, AuditHead
from hetao.errors import NotFound


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as read back: what it says, and the hashes stored beside it.

    ``data_json`` is the stored text of ``facts.data`` when read from the database.
    """

    facts: EventFacts
    leaf_hash: bytes
    chain_hash: bytes
    data_json: str | None = None


def _leaf_of(stored: StoredEvent) -> bytes:
    if stored.data_json is not None:
        leaf = leaf_hash(canonical_bytes(stored.facts, data_json=stored.data_json))
        if leaf == stored.leaf_hash:
            return leaf
        # Stored text in another spelling (e.g. written before canonical storage): decide on
        # the content, not the spelling.
        facts = replace(stored.facts, data=json.loads(stored.data_json))
        return event_leaf(facts)
    return event_leaf(stored.facts)


@dataclass(slots=True)
class Report:
    """The verdict; ``first_bad_seq`` names the first event that does not hold."""

    ok: bool = True
    events: int = 0
    checkpoints: int = 0
    first_bad_seq: int | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    def fail(self, seq: int | None, problem: str) -> Report:
        self.ok, self.first_bad_seq, self.problem = False, seq, problem
        return self


def verify_log(
    events: Iterable[StoredEvent],
    checkpoints: Sequence[SignedCheckpoint],
    public_key: Ed25519PublicKey | None,
    *,
    head: tuple[int, bytes] | None = None,
) -> Report:
    """Check every event against the chain and every checkpoint against the Merkle tree."""
    report = Report()
    by_size: dict[int, SignedCheckpoint] = {}
    for checkpoint in checkpoints:
        if public_key is None or not checkpoint.verify(public_key):
            return report.fail(None, f"checkpoint {checkpoint.tree_size}: signature does not hold")
        by_size[checkpoint.tree_size] = checkpoint
    report.checkpoints = len(by_size)
    previous = GENESIS
    frontier = CompactRange()
    expected = 1
    last_good_checkpoint = 0
    for stored in events:
        seq = stored.facts.seq
        if seq != expected:
            what = "missing" if seq > expected else "out of order or repeated"
            return report.fail(expected, f"event {expected} is {what} (found seq {seq})")
        leaf = _leaf_of(stored)
        if leaf != stored.leaf_hash:
            return report.fail(seq, f"event {seq}: content does not match its leaf hash")
        previous = chain_link(previous, leaf)
        if previous != stored.chain_hash:
            return report.fail(seq, f"event {seq}: chain hash does not follow from event {seq - 1}")
        frontier.append(leaf)
        covering = by_size.get(seq)
        if covering is not None:
            if covering.root_hash != frontier.root() or covering.chain_hash != previous:
                # A forger who rewrote every later hash leaves only this: the altered event is
                # somewhere after the last checkpoint that still matched.
                first = last_good_checkpoint + 1
                return report.fail(
                    first, f"events {first}-{seq} do not match signed checkpoint {seq}"
                )
            last_good_checkpoint = seq
        expected += 1
    report.events = expected - 1
    beyond = [size for size in by_size if size > report.events]
    if beyond:
        # Nothing after the last matching checkpoint can be confirmed any more.
        return report.fail(
            last_good_checkpoint + 1,
            f"the log ends at event {report.events} but checkpoint {max(beyond)} was signed: "
            f"events were removed; events after {last_good_checkpoint} are unconfirmed",
        )
    if head is not None and head != (report.events, previous):
        return report.fail(
            min(head[0], report.events) + 1,
            f"the head says {head[0]} events, the log holds {report.events} that chain differently",
        )
    if not by_size:
        report.notes.append("no exported checkpoint: only the chain was checked")
    elif max(by_size) < report.events:
        report.notes.append(
            f"events {max(by_size) + 1}-{report.events} are after the last exported checkpoint"
        )
    return report


_READ = (
    "SELECT seq, occurred_at, tag, subject_type, subject_id, actor, request_id, "
    "CAST(data AS TEXT), leaf_hash, chain_hash FROM audit_events ORDER BY seq"
)


def _instant(value: str | dt.datetime) -> dt.datetime:
    """SQLite returns stored text (always UTC), PostgreSQL an aware datetime."""
    instant = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def stored_events(session: Session, *, batch: int = 20_000) -> Iterator[StoredEvent]:
    """Every event in sequence order, streamed from the driver's cursor.

    Plain DBAPI rows rather than ORM objects or typed results: a million events must verify in
    seconds, and the per-row type processing would dominate.
    """
    cursor = session.connection().exec_driver_sql(_READ).cursor
    if cursor is None:  # pragma: no cover - a SELECT always has a cursor
        return
    while rows := cursor.fetchmany(batch):
        for seq, at, tag, subject_type, subject_id, actor, request_id, data, leaf, chained in rows:
            yield StoredEvent(
                # data is decoded only if its stored spelling does not hash (see _leaf_of).
                facts=EventFacts(
                    seq, _instant(at), tag, subject_type, subject_id, actor, request_id, {}
                ),
                leaf_hash=bytes(leaf),
                chain_hash=bytes(chained),
                data_json=data,
            )


def to_stored(row: AuditEvent) -> StoredEvent:
    return StoredEvent(
        facts=EventFacts(
            seq=row.seq,
            occurred_at=row.occurred_at,
            tag=row.tag,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            actor=row.actor,
            request_id=row.request_id,
            data=row.data,
        ),
        leaf_hash=bytes(row.leaf_hash),
        chain_hash=bytes(row.chain_hash),
    )


def verify_database(
    session: Session, checkpoints: Sequence[SignedCheckpoint], public_key: Ed25519PublicKey | None
) -> Report:
    """Verify the log in the database against the exported checkpoints."""
    head_row = session.get(AuditHead, 1)
    head = (head_row.size, bytes(head_row.chain_hash)) if head_row is not None else (0, GENESIS)
    return verify_log(stored_events(session), checkpoints, public_key, head=head)


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """An event, its leaf index and the audit path to a signed checkpoint's root."""

    event: StoredEvent
    leaf_index: int
    path: list[bytes]
    checkpoint: SignedCheckpoint


def prove_inclusion(
    session: Session, *, seq: int, checkpoints: Sequence[SignedCheckpoint]
) -> InclusionProof:
    """The proof that event ``seq`` is in the first checkpoint that covers it."""
    row = session.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).first()
    if row is None:
        raise NotFound(f"audit event {seq} does not exist")
    covering = sorted((c for c in checkpoints if c.tree_size >= seq), key=lambda c: c.tree_size)
    if not covering:
        raise NotFound(
            f"no exported checkpoint covers event {seq} yet; run `hetao audit checkpoint`"
        )
    checkpoint = covering[0]
    leaves = [
        bytes(h)
        for h in session.scalars(
            select(AuditEvent.leaf_hash)
            .where(AuditEvent.seq <= checkpoint.tree_size)
            .order_by(AuditEvent.seq)
        )
    ]
    return InclusionProof(
        event=to_stored(row),
        leaf_index=seq - 1,
        path=inclusion_proof(seq - 1, leaves),
        checkpoint=checkpoint,
    )


def root_of_first(session: Session, size: int) -> bytes:
    """The Merkle root of the first ``size`` events as stored (for consistency proofs)."""
    leaves = [
        bytes(h)
        for h in session.scalars(
            select(AuditEvent.leaf_hash).where(AuditEvent.seq <= size).order_by(AuditEvent.seq)
        )
    ]
    return root_from_leaf_hashes(leaves)


def consistency_between(session: Session, *, old_size: int, new_size: int) -> list[bytes]:
    """The RFC 9162 consistency proof from the first ``old_size`` events to ``new_size``."""
    leaves = [
        bytes(h)
        for h in session.scalars(
            select(AuditEvent.leaf_hash).where(AuditEvent.seq <= new_size).order_by(AuditEvent.seq)
        )
    ]
    if len(leaves) != new_size:
        raise NotFound(f"the log holds {len(leaves)} events, fewer than {new_size}")
    return consistency_proof(old_size, leaves)
