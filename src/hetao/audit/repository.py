"""Every statement on the audit log: the append's head and rows, and the reads of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Table, Text, bindparam, insert, select, text, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from hetao.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from hetao.storage.driver import DriverInsert, DriverQuery, DriverWrite, pipelined
from hetao.storage.pagination import PageOf, paginate

# --- the append ------------------------------------------------------------------------------


def head_for_update(session: Session) -> AuditHead | None:
    """The chain head as an object, locked until commit and read fresh (None: an empty log)."""
    stmt = (
        select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).first()


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert event rows through the session, beside the ORM head it holds."""
    session.execute(insert(AuditEvent), rows)


_HEAD = cast(Table, AuditHead.__table__)


class HeadRow(NamedTuple):
    """The audit head as Core reads it (group commits)."""

    size: int
    chain_hash: bytes
    peaks: list[str]
    last_checkpoint_size: int
    last_checkpoint_at: dt.datetime | None


# Driver statements: a group commit appends a batch with them, cheaper than the ORM's path.
LOCK_HEAD = DriverQuery(
    select(
        _HEAD.c.size,
        _HEAD.c.chain_hash,
        _HEAD.c.peaks,
        _HEAD.c.last_checkpoint_size,
        _HEAD.c.last_checkpoint_at,
    )
    .where(_HEAD.c.id == 1)
    .with_for_update(),
    HeadRow,
)
WRITE_HEAD = DriverWrite(
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(
        size=bindparam("new_size"),
        chain_hash=bindparam("new_chain_hash"),
        peaks=bindparam("new_peaks"),
        last_checkpoint_size=bindparam("new_checkpoint_size"),
        last_checkpoint_at=bindparam("new_checkpoint_at"),
    )
)
INSERT_EVENTS = DriverInsert(cast(Table, AuditEvent.__table__))


def append_rows(
    connection: Connection, rows: Sequence[Mapping[str, Any]], head: Mapping[str, Any]
) -> None:
    """Insert event rows and write the head that follows them (``WRITE_HEAD``'s values):
    nothing to read back, so both go in one round trip on PostgreSQL."""
    with pipelined(connection):
        INSERT_EVENTS.write(connection, rows)
        WRITE_HEAD.write(connection, [head])


# --- reads for auditors ----------------------------------------------------------------------


def page_events(
    session: Session,
    *,
    tag: str | None,
    subject_type: str | None,
    subject_id: str | None,
    cursor: str | None,
    limit: int,
) -> PageOf[AuditEvent]:
    """The log oldest first from ``cursor``, filtered by tag or subject."""
    stmt = select(AuditEvent)
    if tag:
        stmt = stmt.where(AuditEvent.tag == tag)
    if subject_type:
        stmt = stmt.where(AuditEvent.subject_type == subject_type)
    if subject_id:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    return paginate(session, stmt, id_column=AuditEvent.id, cursor=cursor, limit=limit)


def latest_events(
    session: Session, *, tag: str | None, before: int | None, limit: int
) -> tuple[Sequence[AuditEvent], int | None]:
    """Events newest first, below ``before`` (a seq); the last seq shown when older ones follow."""
    # The API pages oldest first; an auditor's screen starts from now.
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit + 1)
    if tag:
        stmt = stmt.where(AuditEvent.tag == tag)
    if before is not None:
        stmt = stmt.where(AuditEvent.seq < before)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].seq if more and rows else None)


def event_by_seq(session: Session, seq: int) -> AuditEvent | None:
    """Event ``seq``, or None."""
    return session.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).first()


# --- raw reads for the verifier ---------------------------------------------------------------
# Plain DBAPI rows rather than ORM objects or typed results: a type processor (UTC datetime,
# JSON) raises on an edited value, and a million events must verify in seconds.

_READ = (
    "SELECT seq, {occurred_at}, tag, subject_type, subject_id, actor, request_id, "
    "CAST(data AS TEXT), leaf_hash, chain_hash FROM audit_events {where} ORDER BY seq"
)
#: How each database returns the instant: SQLite its text; PostgreSQL exact seconds since 1970,
#: which the driver loads whatever the column holds (infinity or past year 9999 would raise).
_OCCURRED_AT = {"sqlite": "occurred_at", "postgresql": "EXTRACT(EPOCH FROM occurred_at)"}
_READ_LEAVES = "SELECT seq, leaf_hash FROM audit_events WHERE seq <= :size ORDER BY seq"
_READ_HEAD = "SELECT size, chain_hash FROM audit_head WHERE id = 1"


def _raw_rows(
    connection: Connection, statement: str, parameters: dict[str, int], *, batch: int = 20_000
) -> Iterator[Sequence[Any]]:
    """The rows of ``statement`` as the driver returns them, streamed from its cursor."""
    cursor = connection.execute(text(statement), parameters).cursor
    if cursor is None:  # pragma: no cover - a SELECT always has a cursor
        return
    while rows := cursor.fetchmany(batch):
        yield from rows


def raw_event_rows(session: Session, *, seq: int | None = None) -> Iterator[Sequence[Any]]:
    """Every event row in sequence order (only event ``seq``'s when given), raw."""
    connection = session.connection()
    where, parameters = ("", {}) if seq is None else ("WHERE seq = :seq", {"seq": seq})
    statement = _READ.format(occurred_at=_OCCURRED_AT[connection.dialect.name], where=where)
    return _raw_rows(connection, statement, parameters)


def raw_event_data(session: Session, *, tags: Sequence[str]) -> Iterator[Sequence[Any]]:
    """(seq, tag, data) of the events with one of ``tags``, in sequence order, raw."""
    if not tags:
        return iter(())
    statement = select(AuditEvent.seq, AuditEvent.tag, sql_cast(AuditEvent.data, Text)).where(
        AuditEvent.tag.in_(tags)
    )
    return iter(session.execute(statement.order_by(AuditEvent.seq)))


def raw_leaf_rows(session: Session, size: int) -> Iterator[Sequence[Any]]:
    """(seq, leaf_hash) of events 1 to ``size`` in sequence order, raw."""
    return _raw_rows(session.connection(), _READ_LEAVES, {"size": size})


def raw_head_row(session: Session) -> Sequence[Any] | None:
    """(size, chain_hash) of the audit head, raw; None for an empty log."""
    return session.connection().exec_driver_sql(_READ_HEAD).first()


# --- checkpoints -----------------------------------------------------------------------------


def checkpoints_in_order(session: Session) -> Iterator[AuditCheckpoint]:
    """Every signed checkpoint, smallest tree first."""
    yield from session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size))
