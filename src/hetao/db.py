"""Engine, declarative base and the unit of work.

Services never commit: the entry point (an API request, a CLI command) opens a unit of work and
commits once at the end, so a failure anywhere leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Executable,
    MetaData,
    Numeric,
    Select,
    Table,
    create_engine,
    event,
    insert,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator, TypeEngine

# Deterministic constraint names so that migrations are reproducible on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: How long a SQLite writer waits for the write lock before "database is locked" (then 503).
BUSY_TIMEOUT_MS = 10_000
#: SQLite checkpoints inside a commit once the log passes this many pages. A server checkpoints
#: in the background (hetao.walcheckpoint) and keeps the log far below it; this bounds the log
#: (about 40 MB) should that thread stop, and for commands that run without a server.
WAL_AUTOCHECKPOINT_PAGES = 10_000
#: Execution option marking an engine whose transactions only read (see session_factory).
READ_ONLY_OPTION = "hetao_read_only"


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware UTC (the only clock the platform reads)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An instant stored as UTC and always returned timezone-aware.

    SQLite keeps no zone, so naive values would silently drift; this refuses naive input.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the platform stores UTC instants only")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, _dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class _WriterLocks:
    """Which threads wait for the writer lock in the kernel, and how many each holds.

    A thread in ``writer_lock_waits_in_kernel`` (a group committer) waits in a blocking
    flock, so the kernel wakes it the moment another process commits; unless it already holds
    a writer lock, in which case it polls like any other thread (blocking would deadlock it).
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._blocking: set[int] = set()
        self._held: dict[int, int] = {}

    def mark_blocking(self, thread: int, *, blocking: bool) -> None:
        with self._mutex:
            if blocking:
                self._blocking.add(thread)
            else:  # a thread id is reused once its thread has ended
                self._blocking.discard(thread)

    def may_block(self, thread: int) -> bool:
        with self._mutex:
            return thread in self._blocking and not self._held.get(thread)

    def taken(self, thread: int) -> None:
        with self._mutex:
            self._held[thread] = self._held.get(thread, 0) + 1

    def released(self, thread: int) -> None:
        with self._mutex:
            left = self._held.get(thread, 0) - 1
            if left > 0:
                self._held[thread] = left
            else:
                self._held.pop(thread, None)


_WRITER_LOCKS = _WriterLocks()


@contextmanager
def writer_lock_waits_in_kernel() -> Iterator[None]:
    """While the block runs, the calling thread waits for SQLite's writer lock in the kernel
    instead of polling.

    For a thread whose write transactions never overlap (a group committer). Polling every
    half millisecond, a committer woke thousands of times a second, each time taking the GIL
    from its process's request thread, and found the lock free only after its next wakeup
    and its next turn at the GIL: the lock, which all workers share, sat idle meanwhile. With
    a blocking flock, two workers stored 1,203-1,234 decisions/s against 847-978 polling.
    The wait has no time limit: what holds the lock is another hetao transaction, which ends;
    the requests behind a waiting committer answer 503 after their own limit.
    """
    thread = threading.get_ident()
    _WRITER_LOCKS.mark_blocking(thread, blocking=True)
    try:
        yield
    finally:
        _WRITER_LOCKS.mark_blocking(thread, blocking=False)


class _WriterQueueConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions also hold an OS file lock until they end.

    SQLite's own busy handler polls a held write lock with sleeps of 1, 2, 5, 10 ... 100 ms, so
    a writer that arrives just after another may sleep long after the lock is free. Writers of
    every process on this database first queue on ``flock`` of ``<database>-writer.lock``, which
    the kernel hands over the moment it is released, and only then begin IMMEDIATE.
    """

    writer_lock_fd: int | None = None
    #: The thread that took the lock, while it is held (its count goes down on release,
    #: whichever thread releases).
    writer_lock_taker: int | None = None

    def take_writer_lock(self) -> None:
        """Wait for the lock: in the kernel on a thread in ``writer_lock_waits_in_kernel``;
        elsewhere polling every half millisecond, at most as long as busy_timeout.

        Not a blocking flock by default: a thread that already holds a write transaction and
        opens a second one would then wait forever; this way it fails as SQLite's own lock
        would.
        """
        if self.writer_lock_fd is None or self.writer_lock_taker is not None:
            return
        thread = threading.get_ident()
        if _WRITER_LOCKS.may_block(thread):
            fcntl.flock(self.writer_lock_fd, fcntl.LOCK_EX)  # the GIL is free while it waits
        else:
            self._poll_writer_lock(self.writer_lock_fd)
        self.writer_lock_taker = thread
        _WRITER_LOCKS.taken(thread)

    @staticmethod
    def _poll_writer_lock(descriptor: int) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(0.0005)
            else:
                return

    def release_writer_lock(self) -> None:
        if self.writer_lock_taker is not None and self.writer_lock_fd is not None:
            fcntl.flock(self.writer_lock_fd, fcntl.LOCK_UN)
            _WRITER_LOCKS.released(self.writer_lock_taker)
            self.writer_lock_taker = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_writer_lock()  # after COMMIT: the next writer finds SQLite's lock free

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writer_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writer_lock()
            if self.writer_lock_fd is not None:
                os.close(self.writer_lock_fd)
                self.writer_lock_fd = None


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
        if lock_path is not None and isinstance(dbapi_connection, _WriterQueueConnection):
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
        queued = isinstance(dbapi_connection, _WriterQueueConnection)
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
#: and the last-use writes. Fewer, and requests wait for the pool with a thread each: on
#: PostgreSQL the gate's rate fell from about 650 to 400 decisions/s with SQLAlchemy's 15; on
#: SQLite, threads holding every thread token while the request holding a connection waits
#: for one to commit is a deadlock broken only by the pool timeout.
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
        connect_args.setdefault("factory", _WriterQueueConnection)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, database_file)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


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


RowT = TypeVar("RowT", bound=tuple[Any, ...])
#: A value processor of SQLAlchemy's types (bind or result); None when values pass as they are.
_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A driver statement as one dialect runs it."""

    sql: str
    #: Bind names in the driver's order (qmark), or None where the driver takes them by name.
    order: tuple[str, ...] | None
    #: Values of the statement's own binds (a LIMIT), overlaid by the caller's.
    defaults: Mapping[str, Any]
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, compiled: SQLCompiler, dialect: Dialect) -> _Compiled:
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("a driver statement takes no expanding (IN) parameters")
        binds = []
        for parameter, name in compiled.bind_names.items():
            process = parameter.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds.append((name, process))
        order = tuple(compiled.positiontup or ()) if dialect.positional else None
        return cls(compiled.string, order, dict(compiled.params), tuple(binds))

    def arguments(self, params: Mapping[str, Any]) -> Any:
        """The driver's parameters for ``params``, each through its type's processor."""
        values = {**self.defaults, **params}
        for name, process in self.binds:
            values[name] = process(values[name])
        return values if self.order is None else [values[n] for n in self.order]


def _run(
    connection: Connection,
    cursor: Any,
    sql: str,
    arguments: Any,
    *,
    many: bool = False,
    returning: bool = False,
) -> None:
    """Execute on the driver's cursor; SQLAlchemy's cursor events still see the statement
    (with no execution context), so listeners that watch every write keep working.
    ``returning`` keeps each parameter set's rows of an executemany (psycopg only)."""
    dispatch = connection.dispatch
    if dispatch.before_cursor_execute:
        dispatch.before_cursor_execute(connection, cursor, sql, arguments, None, many)
    if returning:
        cursor.executemany(sql, arguments, returning=True)
    elif many:
        cursor.executemany(sql, arguments)
    else:
        cursor.execute(sql, arguments)
    if dispatch.after_cursor_execute:
        dispatch.after_cursor_execute(connection, cursor, sql, arguments, None, many)


class _OneStatement:
    """A Core statement and, per dialect, its compiled form."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            sql = cast(SQLCompiler, cast(Any, self.statement).compile(dialect=dialect))
            compiled = self._compiled[dialect.name] = _Compiled.of(sql, dialect)
        return compiled


class DriverQuery(_OneStatement, Generic[RowT]):
    """A Core SELECT compiled once per dialect and run on the driver's own cursor.

    For the few reads a gate request makes every time (its token, the traveller, the
    whitelist entry, the rule set in force): SQLAlchemy's execute path (the compiled-cache
    lookup, an execution context, a result object) cost several times the query itself, about
    40 us against 7 on SQLite. Values go through the same type processors SQLAlchemy applies
    (UTC instants, enums, JSON, dates), and rows come back as ``row``, a NamedTuple whose
    fields are the statement's columns (checked here). Reads only: no ORM event sees them.
    """

    def __init__(self, statement: Select[*tuple[Any, ...]], row: type[RowT]) -> None:
        columns = list(statement.selected_columns)
        fields = getattr(row, "_fields", None)
        if fields != tuple(column.key for column in columns):
            raise ValueError(
                f"{row.__name__} has fields {fields}, the statement selects"
                f" {tuple(column.key for column in columns)}"
            )
        super().__init__(statement)
        self.statement: Select[*tuple[Any, ...]] = statement
        self._types = [column.type for column in columns]
        self._make: Callable[[Iterable[Any]], RowT] = cast(Any, row)._make
        self._results: dict[str, list[_Processor]] = {}

    def _result_processors(self, dialect: Dialect, description: Any) -> list[_Processor]:
        processors = self._results.get(dialect.name)
        if processors is None:
            processors = [
                kind.dialect_impl(dialect).result_processor(dialect, column[1])
                for kind, column in zip(self._types, description, strict=True)
            ]
            self._results[dialect.name] = processors
        return processors

    def all(self, connection: Connection, **params: Any) -> list[RowT]:
        """Every row, in the transaction ``connection`` is in."""
        dialect = connection.dialect
        compiled = self._for(dialect)
        cursor = connection.connection.cursor()
        try:
            _run(connection, cursor, compiled.sql, compiled.arguments(params))
            raw = cursor.fetchall()
            processors = self._result_processors(dialect, cursor.description)
        finally:
            cursor.close()
        make = self._make
        if not any(processors):
            return [make(row) for row in raw]
        return [
            make([v if p is None else p(v) for p, v in zip(processors, row, strict=True)])
            for row in raw
        ]

    def first(self, connection: Connection, **params: Any) -> RowT | None:
        """The first row, or None."""
        rows = self.all(connection, **params)
        return rows[0] if rows else None


class DriverWrite(_OneStatement):
    """An UPDATE, or an INSERT with its own conflict handling, compiled once per dialect and
    run on the driver's cursor for each set of parameters (see DriverInsert for why)."""

    def write(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per parameter set in ``rows``, in one call to the driver."""
        if rows:
            _write_many(connection, self._for(connection.dialect), rows)


def _write_many(
    connection: Connection, compiled: _Compiled, rows: Sequence[Mapping[str, Any]]
) -> None:
    """One statement for each parameter set in ``rows``, in one call to the driver."""
    cursor = connection.connection.cursor()
    try:
        arguments = [compiled.arguments(row) for row in rows]
        _run(connection, cursor, compiled.sql, arguments, many=True)
    finally:
        cursor.close()


class DriverInsert:
    """An INSERT of a table's given columns, compiled once per dialect and written on the
    driver's cursor, for the rows a group commit writes under the write lock.

    SQLAlchemy's insert of many rows spent more on each row's parameters (an execution
    context, per-value processing) than the database spent writing it, and with the new ids
    asked for in order it sent SQLite one statement per row anyway. Here each value goes
    through its type's processor in one loop; ``ids`` returns the new primary keys in the
    order of the rows. ``columns`` defaults to all but the primary key; every column with a
    Python-side default must be among them (checked).
    """

    def __init__(self, table: Table, columns: Sequence[str] | None = None) -> None:
        [self._key] = table.primary_key.columns
        if columns is None:  # every column but the generated key
            columns = [c.key for c in table.columns if c is not self._key]
        unknown = set(columns) - set(table.c.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
        self.table = table
        self.columns = tuple(columns)
        self._compiled: dict[tuple[str, bool], _Compiled] = {}

    def _for(self, dialect: Dialect, *, returning: bool) -> _Compiled:
        compiled = self._compiled.get((dialect.name, returning))
        if compiled is None:
            statement = insert(self.table)
            if returning:
                statement = statement.returning(self._key)
            sql = statement.compile(dialect=dialect, column_keys=list(self.columns))
            defaulted = [c.key for c in cast(Any, sql).insert_prefetch]
            if defaulted:
                raise ValueError(
                    f"{self.table.name}: give {', '.join(defaulted)} (a Python-side default)"
                )
            compiled = _Compiled.of(sql, dialect)
            self._compiled[(dialect.name, returning)] = compiled
        return compiled

    def write(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` in one call to the driver."""
        if not rows:
            return
        _write_many(connection, self._for(connection.dialect, returning=False), rows)

    def ids(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert ``rows``; their new primary keys, in the order of ``rows``."""
        if not rows:
            return []
        dialect = connection.dialect
        compiled = self._for(dialect, returning=True)
        arguments = [compiled.arguments(row) for row in rows]
        cursor: Any = connection.connection.cursor()
        ids: list[int] = []
        try:
            if dialect.driver == "psycopg":
                # One pipelined round trip for all rows, each row's RETURNING a result set.
                _run(connection, cursor, compiled.sql, arguments, many=True, returning=True)
                while True:
                    ids.append(cursor.fetchone()[0])
                    if not cursor.nextset():
                        break
            else:  # a local database: a statement per row costs microseconds
                for row_arguments in arguments:
                    _run(connection, cursor, compiled.sql, row_arguments)
                    ids.append(cursor.fetchone()[0])
        finally:
            cursor.close()
        return ids


def enum_type(enum_cls: type[StrEnum], *, name: str) -> SAEnum:
    """A StrEnum stored by value in a VARCHAR with a CHECK constraint (portable, readable)."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class ScaledDecimal(TypeDecorator[Decimal]):
    """A fixed-point Decimal: NUMERIC(p, s) on PostgreSQL, a count of 10**-s units on SQLite."""

    # SQLite has no decimal type: its NUMERIC holds binary floats, so 0.3 - 0.1 - 0.2 leaves
    # -2.8e-17 there and CHECK (balance >= 0) would refuse an exact withdrawal.
    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale)
        self.places = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return self.impl_instance

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"{value!r} is not a Decimal: fixed-point columns refuse floats")
        scaled = Decimal(value).scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.places)
        return Decimal(value)
