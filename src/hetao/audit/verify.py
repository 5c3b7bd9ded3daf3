"""Proving the audit log intact: the chain, the Merkle tree and the exported checkpoints.

The core (`verify_log`) is pure over plain records so the mutation tests can tamper freely;
`verify_database` feeds it from the database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from hetao.audit import repository
from hetao.audit.chain import GENESIS, EventFacts, canonical_bytes, chain_link
from hetao.audit.checkpoints import DamagedEvidence, DamagedFile, SignedCheckpoint
from hetao.audit.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
)
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


@dataclass(frozen=True, slots=True)
class UnreadableEvent:
    """A stored row that does not decode into an event: by itself evidence of tampering.

    ``seq`` is None when the sequence number itself is unreadable; ``problem`` says what is
    wrong, e.g. "its seq is NULL, not an integer".
    """

    seq: int | None
    problem: str


class DamagedEvent(DamagedEvidence):
    """A row a proof needs that is missing or does not read: evidence of tampering.

    ``seq`` names the event (None when the row has no readable seq); the detail says what is
    wrong in the verifier's words, e.g. "event 4: its data is not valid JSON (...)".
    """

    def __init__(self, seq: int | None, detail: str) -> None:
        super().__init__(detail)
        self.seq = seq


class _UnreadableContent(Exception):
    """An event's content cannot be turned into its canonical bytes."""


def _leaf_of(stored: StoredEvent) -> bytes:
    """The leaf hash of what the event says; _UnreadableContent when it cannot be hashed."""
    if stored.data_json is None:
        return _hashed(stored.facts)
    leaf = _hashed(stored.facts, stored.data_json)
    if leaf == stored.leaf_hash:
        return leaf
    # Stored text in another spelling (e.g. written before canonical storage): decide on the
    # content, not the spelling.
    return _hashed(_with_data(stored).facts)


def _with_data(stored: StoredEvent) -> StoredEvent:
    """The event with its data decoded from the stored text; _UnreadableContent if not JSON."""
    if stored.data_json is None:
        return stored
    try:
        data = json.loads(stored.data_json)
    except (ValueError, RecursionError) as error:
        raise _UnreadableContent(f"its data is not valid JSON ({error})") from error
    return replace(stored, facts=replace(stored.facts, data=data))


def _misplaced(expected: int, seq: int) -> str:
    what = "missing" if seq > expected else "out of order or repeated"
    return f"event {expected} is {what} (found seq {seq})"


def _hashed(facts: EventFacts, data_json: str | None = None) -> bytes:
    """The leaf hash of the canonical bytes; values the platform never writes (NaN in data, an
    instant out of range, a number where text belongs) raise _UnreadableContent."""
    try:
        return leaf_hash(canonical_bytes(facts, data_json=data_json))
    except (TypeError, ValueError, OverflowError, RecursionError) as error:
        raise _UnreadableContent(f"its content cannot be hashed ({error})") from error


@dataclass(slots=True)
class Report:
    """The verdict; ``first_bad_seq`` names the first event that does not hold."""

    ok: bool = True
    events: int = 0
    checkpoints: int = 0
    first_bad_seq: int | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Exported files that do not read: tampering too, whatever the events say.
    damaged: list[DamagedFile] = field(default_factory=list)

    def fail(self, seq: int | None, problem: str) -> Report:
        self.ok, self.first_bad_seq, self.problem = False, seq, problem
        return self


def verify_log(
    events: Iterable[StoredEvent | UnreadableEvent],
    checkpoints: Sequence[SignedCheckpoint],
    public_key: Ed25519PublicKey | None,
    *,
    head: tuple[int, bytes] | None = None,
    damaged: Sequence[DamagedFile] = (),
) -> Report:
    """Check every event against the chain and every checkpoint against the Merkle tree.

    ``damaged`` are exported files that did not read: each fails the report, and the events
    are still checked against the checkpoints that did read.
    """
    unplaced: list[str] = []
    report = _verify_sequence(_placed(events, unplaced), checkpoints, public_key, head=head)
    # A row without a readable seq cannot be placed: the gap it leaves names the event; a
    # log that holds without it has a row too many.
    if unplaced and report.ok:
        report.fail(None, f"a row outside the sequence: {unplaced[0]}")
    if damaged:
        report.ok, report.damaged = False, list(damaged)
    return report


def _placed(
    events: Iterable[StoredEvent | UnreadableEvent], unplaced: list[str]
) -> Iterator[tuple[int, StoredEvent | UnreadableEvent]]:
    """Each row with its sequence number; the problems of rows without one go to ``unplaced``."""
    for stored in events:
        if isinstance(stored, StoredEvent):
            yield stored.facts.seq, stored
        elif stored.seq is None:
            unplaced.append(stored.problem)
        else:
            yield stored.seq, stored


def _verify_sequence(
    events: Iterable[tuple[int, StoredEvent | UnreadableEvent]],
    checkpoints: Sequence[SignedCheckpoint],
    public_key: Ed25519PublicKey | None,
    *,
    head: tuple[int, bytes] | None,
) -> Report:
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
    for seq, stored in events:
        if seq != expected:
            return report.fail(expected, _misplaced(expected, seq))
        if isinstance(stored, UnreadableEvent):
            return report.fail(seq, f"event {seq}: {stored.problem}")
        try:
            leaf = _leaf_of(stored)
        except _UnreadableContent as error:
            return report.fail(seq, f"event {seq}: {error}")
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


#: Sequence numbers are 64-bit integers.
MAX_SEQ = 2**63 - 1
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

#: A column read raw: its name, the Python types its value may arrive as, and those in words.
_Column = tuple[str, tuple[type, ...], str]
_TEXT, _HASH = ((str,), "text"), ((bytes,), "bytes")
_HEAD_COLUMNS: tuple[_Column, ...] = (("size", (int,), "an integer"), ("chain_hash", *_HASH))
_LEAF_COLUMNS: tuple[_Column, ...] = (("seq", (int,), "an integer"), ("leaf_hash", *_HASH))


def _instant_from_text(value: str) -> dt.datetime:
    """SQLite keeps the instant as the text the platform wrote: UTC without an offset."""
    instant = dt.datetime.fromisoformat(value)
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _instant_from_epoch(seconds: Decimal) -> dt.datetime:
    """PostgreSQL's instant as exact seconds since 1970: a number the driver loads whatever
    the column holds, where a timestamptz of infinity or past year 9999 makes it raise."""
    try:
        return _EPOCH + dt.timedelta(microseconds=int(seconds * 1_000_000))
    except ArithmeticError as error:  # OverflowError, decimal.InvalidOperation
        raise ValueError(f"{seconds} s after 1970-01-01 is out of range") from error


@dataclass(frozen=True, slots=True)
class _Dialect:
    """How one database returns the instant: its Python type, its decoding."""

    instant_type: type
    instant: Callable[[Any], dt.datetime]


_DIALECTS = {
    "sqlite": _Dialect(str, _instant_from_text),
    "postgresql": _Dialect(Decimal, _instant_from_epoch),
}


def _misfit(columns: Sequence[_Column], row: Sequence[Any]) -> str:
    """The first value of ``row`` not of its column's types, said as "its seq is NULL, ..."."""
    for (name, allowed, expected), value in zip(columns, row, strict=True):
        if type(value) not in allowed:
            shown = "NULL" if value is None else repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return f"its {name} is {shown}, not {expected}"
    raise ValueError("every value has its column's type")


class _RowDecoder:
    """Turns a raw row into a StoredEvent, or an UnreadableEvent saying what does not decode."""

    def __init__(self, dialect: _Dialect) -> None:
        self._instant = dialect.instant
        # Raw values, since a type processor (UTC datetime, JSON) would raise on an edited
        # value instead of letting the verifier report it; in raw_event_rows order.
        self._columns: tuple[_Column, ...] = (
            ("seq", (int,), "an integer"),
            ("occurred_at", (dialect.instant_type,), "an instant"),
            ("tag", *_TEXT),
            ("subject_type", *_TEXT),
            ("subject_id", *_TEXT),
            ("actor", *_TEXT),
            ("request_id", (str, type(None)), "text or NULL"),
            ("data", *_TEXT),
            ("leaf_hash", *_HASH),
            ("chain_hash", *_HASH),
        )
        # Every well-typed row's tuple of value types: one set lookup checks a whole row.
        self._accepted = frozenset(itertools.product(*(kinds for _, kinds, _ in self._columns)))

    def decoded(self, row: Sequence[Any]) -> StoredEvent | UnreadableEvent:
        seq, at, tag, subject_type, subject_id, actor, request_id, data, leaf, chained = row
        if tuple(map(type, row)) not in self._accepted:
            readable_seq = seq if type(seq) is int else None
            return UnreadableEvent(readable_seq, _misfit(self._columns, row))
        try:
            occurred_at = self._instant(at)
        except ValueError as error:
            return UnreadableEvent(seq, f"its occurred_at is not an instant ({error})")
        return StoredEvent(
            # data is decoded only if its stored spelling does not hash (see _leaf_of).
            facts=EventFacts(
                seq, occurred_at, tag, subject_type, subject_id, actor, request_id, {}
            ),
            leaf_hash=leaf,
            chain_hash=chained,
            data_json=data,
        )


def stored_events(
    session: Session, *, seq: int | None = None
) -> Iterator[StoredEvent | UnreadableEvent]:
    """Every row of the log in sequence order (only event ``seq``'s when given); a row that
    does not decode comes as an UnreadableEvent, never as an exception."""
    dialect = _DIALECTS[session.connection().dialect.name]
    decoder = _RowDecoder(dialect)
    for row in repository.raw_event_rows(session, seq=seq):
        yield decoder.decoded(row)


def stored_leaf_hashes(session: Session, size: int) -> list[bytes]:
    """The leaf hashes of events 1 to ``size`` as stored; DamagedEvent naming the first event
    that is missing, out of place or without a hash (its content is not read)."""
    leaves: list[bytes] = []
    for row in repository.raw_leaf_rows(session, size):
        seq, leaf = row
        expected = len(leaves) + 1
        if type(seq) is not int:
            raise DamagedEvent(None, f"a row outside the sequence: {_misfit(_LEAF_COLUMNS, row)}")
        if seq != expected:
            raise DamagedEvent(expected, _misplaced(expected, seq))
        if type(leaf) is not bytes:
            raise DamagedEvent(seq, f"event {seq}: {_misfit(_LEAF_COLUMNS, row)}")
        leaves.append(leaf)
    if len(leaves) < size:
        missing = len(leaves) + 1
        raise DamagedEvent(
            missing, f"event {missing} is missing (the log ends at event {len(leaves)})"
        )
    return leaves


#: A check that an event's data still agrees with the rows it describes (a ledger batch's
#: digest): the problem in the verifier's words, or None. Given by the caller, by the tag of the
#: events it reads, since the audit log imports no domain (hetao.ledger.service.digest).
ContentCheck = Callable[[Session, Mapping[str, Any]], "str | None"]
#: What a content check may raise on rows edited past what their columns' types read.
_UNREADABLE_ROWS = (TypeError, ValueError, LookupError, ArithmeticError)


def verify_database(
    session: Session,
    checkpoints: Sequence[SignedCheckpoint],
    public_key: Ed25519PublicKey | None,
    *,
    damaged: Sequence[DamagedFile] = (),
    content_checks: Mapping[str, ContentCheck] | None = None,
) -> Report:
    """Verify the log in the database against the exported checkpoints; ``damaged`` as for
    verify_log. Once the chain holds, each event with a tag of ``content_checks`` is checked
    against the rows it describes, in sequence order."""
    report = _verify_chain(session, checkpoints, public_key, damaged)
    if report.problem is None:
        _check_contents(session, report, content_checks or {})
    return report


def _check_contents(session: Session, report: Report, checks: Mapping[str, ContentCheck]) -> None:
    """Fail ``report`` at the first event whose content check finds a problem."""
    for seq, tag, data_json in repository.raw_event_data(session, tags=sorted(checks)):
        try:
            data = json.loads(data_json)
            problem = (
                checks[tag](session, data)
                if isinstance(data, dict)
                else "its data is not an object"
            )
        except _UNREADABLE_ROWS as error:
            problem = f"the rows it describes do not read ({error})"
        if problem is not None:
            report.fail(seq, f"event {seq} ({tag}): {problem}")
            return


def _verify_chain(
    session: Session,
    checkpoints: Sequence[SignedCheckpoint],
    public_key: Ed25519PublicKey | None,
    damaged: Sequence[DamagedFile],
) -> Report:
    head_row = repository.raw_head_row(session)
    events = stored_events(session)
    if head_row is None:
        return verify_log(events, checkpoints, public_key, head=(0, GENESIS), damaged=damaged)
    size, chain_hash = head_row
    if type(size) is int and type(chain_hash) is bytes:
        return verify_log(events, checkpoints, public_key, head=(size, chain_hash), damaged=damaged)
    # The events are still checked first: an altered event is named before the head.
    report = verify_log(events, checkpoints, public_key, damaged=damaged)
    if report.problem is not None:
        return report
    head_problem = _misfit(_HEAD_COLUMNS, head_row)
    return report.fail(None, f"the audit head is unreadable: {head_problem}")


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
    """The proof that event ``seq`` is in the first checkpoint that covers it; DamagedEvent
    when the event, or a leaf hash the proof needs, is missing or does not read."""
    if not 1 <= seq <= MAX_SEQ:
        raise NotFound(f"audit event {seq} does not exist")
    # Read to the end, so the driver's cursor is closed (seq is unique: one row at most).
    rows = list(stored_events(session, seq=seq))
    stored = rows[0] if rows else None
    covering = min(
        (c for c in checkpoints if c.tree_size >= seq), key=lambda c: c.tree_size, default=None
    )
    if stored is None:
        if covering is None:
            raise NotFound(f"audit event {seq} does not exist")
        raise DamagedEvent(
            seq,
            f"event {seq} is missing, though exported checkpoint {covering.tree_size} covers it",
        )
    event = _provable(stored, seq)
    if covering is None:
        raise NotFound(
            f"no exported checkpoint covers event {seq} yet; run `hetao audit checkpoint`"
        )
    leaves = stored_leaf_hashes(session, covering.tree_size)
    return InclusionProof(
        event=event,
        leaf_index=seq - 1,
        path=inclusion_proof(seq - 1, leaves),
        checkpoint=covering,
    )


def _provable(stored: StoredEvent | UnreadableEvent, seq: int) -> StoredEvent:
    """The event with its data decoded, as a proof shows it; DamagedEvent when it does not
    decode or cannot be hashed (its hash matching is for the proof's check to say)."""
    if isinstance(stored, UnreadableEvent):
        raise DamagedEvent(seq, f"event {seq}: {stored.problem}")
    try:
        decoded = _with_data(stored)
        _hashed(decoded.facts)
    except _UnreadableContent as error:
        raise DamagedEvent(seq, f"event {seq}: {error}") from error
    return decoded


def root_of_first(session: Session, size: int) -> bytes:
    """The Merkle root of the first ``size`` events as stored (for consistency proofs)."""
    return root_from_leaf_hashes(stored_leaf_hashes(session, size))


def consistency_between(session: Session, *, old_size: int, new_size: int) -> list[bytes]:
    """The RFC 9162 consistency proof from the first ``old_size`` events to ``new_size``;
    DamagedEvent naming an event among them that is missing or has no readable hash."""
    return consistency_proof(old_size, stored_leaf_hashes(session, new_size))
