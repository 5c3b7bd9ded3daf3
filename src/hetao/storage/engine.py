"""Engine and the unit of work.

Services never commit: the entry point (an API request, a CLI command) opens a unit of work and
commits once at the end, so a failure anywhere leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    create_engine,
    event,
)
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hetao.storage.writer import BUSY_TIMEOUT_MS, WriterQueueConnection

#: SQLite checkpoints inside a commit once the log passes this many pages. A server checkpoints
#: in the background (hetao.storage.walcheckpoint) and keeps the log far below it; this
#: bounds the log (about 40 MB) should that thread stop, and for commands that run without a server.
WAL_AUTOCHECKPOINT_PAGES = 10_000
#: Execution option marking an engine whose transactions only read (see session_factory).
READ_ONLY_OPTION = "hetao_read_only"


def sqlite_file(url: str | URL) -> str | None:
    """The database file of a SQLite URL; None for an in-memory database or another backend."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def _configure_sqlite(engine: Engine, database_file: str | None) -> None:
    lock_path = None if database_file is None else f"{database_file}-writer.lock"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN so SAVEPOINT and rollback work as documented.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL for concurrent readers; synchronous=FULL makes every commit durable in WAL mode.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()
        if lock_path is not None and isinstance(dbapi_connection, WriterQueueConnection):
            dbapi_connection.writer_lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # BEGIN goes to the driver directly: through SQLAlchemy's statement machinery it cost
        # as much as the query it opens (a read request's transaction is one or two queries).
        dbapi_connection = connection.connection.dbapi_connection
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            # A reader never takes the write lock: in WAL mode it reads a snapshot beside writers.
            dbapi_connection.execute("BEGIN")
            return
        queued = isinstance(dbapi_connection, WriterQueueConnection)
        try:
            if queued:
                dbapi_connection.take_writer_lock()
            try:
                # IMMEDIATE takes the write lock up front: two writers queue, never deadlock.
                dbapi_connection.execute("BEGIN IMMEDIATE")
            except BaseException:
                if queued:
                    dbapi_connection.release_writer_lock()
                raise
        except sqlite3.OperationalError as error:
            # Wrapped as SQLAlchemy wraps the driver's errors, so that a busy database is
            # answered 503 with Retry-After (hetao.api.problems), not 500.
            raise OperationalError("BEGIN IMMEDIATE", None, error) from error


def _canonical_json(value: Any) -> str:
    # Sorted and compact, so stored JSON (audit data above all) is byte-stable and hashable.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


#: Connections a process may hold at once: one per worker thread (anyio's 40), the committer
#: and the last-use writes. Fewer, and requests queue for the pool (docs/performance.md); on
#: SQLite that queue can deadlock until the pool's timeout.
POOL_CONNECTIONS = 48
#: Of those, kept open when idle.
POOL_KEPT_OPEN = 16


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, durable commits and foreign keys."""
    kwargs.setdefault("json_serializer", _canonical_json)
    parsed = make_url(url)
    database_file = sqlite_file(parsed)
    if parsed.get_backend_name() != "sqlite" or database_file is not None:
        # Not for an in-memory database: it has one connection.
        kwargs.setdefault("pool_size", POOL_KEPT_OPEN)
        kwargs.setdefault("max_overflow", POOL_CONNECTIONS - kwargs["pool_size"])
    if parsed.get_backend_name() == "sqlite":
        if database_file is not None:
            Path(database_file).parent.mkdir(parents=True, exist_ok=True)
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("factory", WriterQueueConnection)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, database_file)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "handle_error", _stuck_connection_is_lost)
    return engine


def _stuck_connection_is_lost(context: ExceptionContext) -> None:
    """Treat a PostgreSQL connection that can no longer run a statement as lost.

    A connection that dies in the middle of an executemany (its pipeline) can be left neither
    broken nor usable: "cannot exit pipeline mode while busy", then its ROLLBACK fails the same
    way. Marked a disconnect, the pool discards it and the caller answers 503 to be retried (the
    failover drill met a 500 there), instead of the connection going back to the pool.
    """
    # SQLAlchemy's own test (the driver says closed or broken) does not see this state.
    if not context.is_disconnect and "pipeline mode" in str(context.original_exception):
        context.is_disconnect = True


def reads_are_local(engine: Engine) -> bool:
    """Whether a read is a call into a file on this machine (SQLite) rather than a network round
    trip (PostgreSQL): a local read takes less time than handing it to a worker thread."""
    return engine.dialect.name == "sqlite"


def session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built after it).

    ``read_only`` sessions are for requests that only read (and roll back): on SQLite their
    transactions begin DEFERRED, so they never queue behind, or hold up, the one writer.
    """
    bind = engine.execution_options(**{READ_ONLY_OPTION: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
