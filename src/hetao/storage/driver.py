"""Driver statements: Core statements compiled once per dialect and run on the driver's cursor.

Only repositories and the storage package use them (an import-linter contract in ./check).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    Connection,
    Dialect,
    Executable,
    Select,
    Table,
    insert,
)
from sqlalchemy.sql.compiler import SQLCompiler

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

    def arguments_many(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """``arguments`` of each row; a value that is the very object the row before gave
        (a batch's one instant, actor, kind) goes through its processor once, not per row."""
        last: dict[str, tuple[Any, Any]] = {}
        out: list[Any] = []
        for params in rows:
            values = {**self.defaults, **params}
            for name, process in self.binds:
                value = values[name]
                seen = last.get(name)
                if seen is not None and seen[0] is value:
                    values[name] = seen[1]
                else:
                    processed = values[name] = process(value)
                    last[name] = (value, processed)
            out.append(values if self.order is None else [values[n] for n in self.order])
        return out


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


@contextmanager
def pipelined(connection: Connection) -> Iterator[None]:
    """Send the driver statements run inside together (psycopg's pipeline mode): one round
    trip up to the first read of a result, or to the block's end. SQLite: as they come."""
    if connection.dialect.driver != "psycopg":
        yield
        return
    with cast(Any, connection.connection.driver_connection).pipeline():
        yield


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
    lookup, an execution context, a result object) costs several times the query itself on
    SQLite (docs/performance.md). Values go through the same type processors SQLAlchemy applies
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
        return _result_processors(self._types, self._results, dialect, description)

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
        return [_typed_row(self._make, processors, row) for row in raw]

    def first(self, connection: Connection, **params: Any) -> RowT | None:
        """The first row, or None."""
        rows = self.all(connection, **params)
        return rows[0] if rows else None


def _result_processors(
    types: Sequence[Any], cache: dict[str, list[_Processor]], dialect: Dialect, description: Any
) -> list[_Processor]:
    """The result processors of ``types`` on ``dialect``, cached in ``cache`` by dialect."""
    processors = cache.get(dialect.name)
    if processors is None:
        processors = [
            kind.dialect_impl(dialect).result_processor(dialect, column[1])
            for kind, column in zip(types, description, strict=True)
        ]
        cache[dialect.name] = processors
    return processors


def _typed_row(
    make: Callable[[Iterable[Any]], RowT], processors: list[_Processor], row: Sequence[Any]
) -> RowT:
    if not any(processors):
        return make(row)
    return make([v if p is None else p(v) for p, v in zip(processors, row, strict=True)])


class DriverWrite(_OneStatement):
    """An UPDATE, or an INSERT with its own conflict handling, compiled once per dialect and
    run on the driver's cursor for each set of parameters (see DriverInsert for why)."""

    def write(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per parameter set in ``rows``, in one call to the driver."""
        if rows:
            _write_many(connection, self._for(connection.dialect), rows)


class DriverReturning(DriverWrite, Generic[RowT]):
    """A DriverWrite with RETURNING: per parameter set, the row it returned as ``row`` (a
    NamedTuple of the returned columns, checked as DriverQuery checks a SELECT's), or None."""

    def __init__(self, statement: Executable, row: type[RowT]) -> None:
        super().__init__(statement)
        columns = list(cast(Any, statement).exported_columns)
        fields = getattr(row, "_fields", None)
        if fields != tuple(column.key for column in columns):
            raise ValueError(
                f"{row.__name__} has fields {fields}, the statement returns"
                f" {tuple(column.key for column in columns)}"
            )
        self._types = [column.type for column in columns]
        self._make: Callable[[Iterable[Any]], RowT] = cast(Any, row)._make
        self._results: dict[str, list[_Processor]] = {}

    def each(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[RowT | None]:
        """Run the statement once per parameter set; per set, the row it returned, or None."""
        dialect = connection.dialect
        raw = _returning_each(connection, self._for(dialect), rows)
        if not raw:
            return []
        processors = _result_processors(self._types, self._results, dialect, raw[0][1])
        return [None if row is None else _typed_row(self._make, processors, row) for row, _ in raw]


def _returning_each(
    connection: Connection, compiled: _Compiled, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Sequence[Any] | None, Any]]:
    """Run a statement with RETURNING once per parameter set in ``rows``; per set, its first
    row as the driver gives it (None: no row) and the cursor's description."""
    if not rows:
        return []
    arguments = compiled.arguments_many(rows)
    cursor: Any = connection.connection.cursor()
    returned: list[tuple[Sequence[Any] | None, Any]] = []
    try:
        if connection.dialect.driver == "psycopg":
            # One pipelined round trip for all sets, each set's RETURNING a result set.
            _run(connection, cursor, compiled.sql, arguments, many=True, returning=True)
            while True:
                returned.append((cursor.fetchone(), cursor.description))
                if not cursor.nextset():
                    break
        else:  # a local database: a statement per set costs microseconds
            for set_arguments in arguments:
                _run(connection, cursor, compiled.sql, set_arguments)
                returned.append((cursor.fetchone(), cursor.description))
    finally:
        cursor.close()
    return returned


def _write_many(
    connection: Connection, compiled: _Compiled, rows: Sequence[Mapping[str, Any]]
) -> None:
    """One statement for each parameter set in ``rows``, in one call to the driver."""
    cursor = connection.connection.cursor()
    try:
        arguments = compiled.arguments_many(rows)
        _run(connection, cursor, compiled.sql, arguments, many=True)
    finally:
        cursor.close()


#: A multi-row INSERT stays under both databases' limits on bound values (SQLite's 32,766).
_MAX_BINDS = 30_000
_MAX_ROWS_PER_STATEMENT = 500


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity (_groups's cache)
class _MultiRow:
    """A DriverInsert as a multi-row INSERT: ``head``, ``group`` once per row, ``tail``."""

    compiled: _Compiled
    head: str
    group: str
    tail: str
    #: The bind names of one group in order, where the driver takes them by name.
    names: tuple[str, ...] | None
    returned: list[Any]


@functools.lru_cache(maxsize=256)
def _groups(multi: _MultiRow, count: int) -> str:
    """``count`` VALUES groups; numbered $1, $2 ... across them where the driver takes names
    (kept: a batch of a hundred rows numbered thousands of placeholders each time)."""
    if multi.names is None:
        return ", ".join([multi.group] * count)
    parts = multi.group.split("%s")
    width = len(parts) - 1
    return ", ".join(
        "".join(
            part + (f"${row * width + i + 1}" if i < width else "") for i, part in enumerate(parts)
        )
        for row in range(count)
    )


def _first_group(text: str) -> str:
    """The parenthesised group ``text`` starts with (casts may hold parentheses too)."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return text[: index + 1]
    raise ValueError(f"no closed group in {text!r}")


class DriverInsert:
    """An INSERT of a table's given columns, compiled once per dialect and written on the
    driver's cursor, for the rows a group commit writes under the write lock.

    SQLAlchemy's insert of many rows spent more on each row's parameters (an execution
    context, per-value processing) than the database spent writing it, and with the new ids
    asked for in order it sent SQLite one statement per row anyway. Here each value goes
    through its type's processor in one loop; ``ids`` returns the new primary keys in the
    order of the rows. ``columns`` defaults to all but the primary key; every column with a
    Python-side default must be among them (checked). With ``skip_conflicts_on`` (the columns
    of a unique constraint) a row that would break it is skipped, not an error
    (``ON CONFLICT (...) DO NOTHING``): ``returning`` gives the inserted rows only.
    """

    def __init__(
        self,
        table: Table,
        columns: Sequence[str] | None = None,
        *,
        skip_conflicts_on: Sequence[str] = (),
    ) -> None:
        [self._key] = table.primary_key.columns
        if columns is None:  # every column but the generated key
            columns = [c.key for c in table.columns if c is not self._key]
        unknown = (set(columns) | set(skip_conflicts_on)) - set(table.c.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
        self.table = table
        self.columns = tuple(columns)
        self._on_conflict = (
            f" ON CONFLICT ({', '.join(table.c[name].name for name in skip_conflicts_on)})"
            " DO NOTHING"
            if skip_conflicts_on
            else ""
        )
        self._compiled: dict[tuple[str, bool], _Compiled] = {}
        self._multi: dict[tuple[str, tuple[str, ...]], _MultiRow] = {}

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
        if connection.dialect.driver == "psycopg" or self._on_conflict:
            # psycopg's executemany adapts each row in Python, several times a multi-row VALUES;
            # and only the multi-row form carries the ON CONFLICT clause.
            self.returning(connection, rows, ())
            return
        _write_many(connection, self._for(connection.dialect, returning=False), rows)

    def _multi_row(self, dialect: Dialect, returned: tuple[str, ...]) -> _MultiRow:
        multi = self._multi.get((dialect.name, returned))
        if multi is None:
            compiled = self._for(dialect, returning=False)
            head, values = compiled.sql.split(" VALUES ", 1)
            values = _first_group(values)  # without the RETURNING some dialects add
            names = tuple(re.findall(r"%\((\w+)\)s", values))
            if names:  # named (psycopg): positional, so one group can repeat
                values = re.sub(r"%\((\w+)\)s", "%s", values)
            columns = [self.table.c[name] for name in returned]
            tail = self._on_conflict
            if returned:
                tail += f" RETURNING {', '.join(c.name for c in columns)}"
            multi = _MultiRow(compiled, f"{head} VALUES ", values, tail, names or None, columns)
            self._multi[(dialect.name, returned)] = multi
        return multi

    def returning(
        self, connection: Connection, rows: Sequence[Mapping[str, Any]], returned: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """Insert ``rows`` in multi-row statements (a few hundred rows each); per row inserted,
        its ``returned`` columns, in whatever order the database gives them: match them to
        the rows by a unique key among them, not by position."""
        if not rows:
            return []
        dialect = connection.dialect
        multi = self._multi_row(dialect, tuple(returned))
        per_statement = max(1, min(_MAX_ROWS_PER_STATEMENT, _MAX_BINDS // len(self.columns)))
        cursor: Any
        if multi.names is not None:
            # psycopg: PostgreSQL's own $n placeholders, sent as they are; psycopg would parse a
            # long query's %s in Python on every call (it caches only short ones).
            from psycopg import RawCursor

            cursor = RawCursor(cast(Any, connection.connection.driver_connection))
        else:
            cursor = connection.connection.cursor()
        out: list[tuple[Any, ...]] = []
        processors: list[_Processor] | None = None
        try:
            for first in range(0, len(rows), per_statement):
                chunk = rows[first : first + per_statement]
                arguments: list[Any] = []
                for values in multi.compiled.arguments_many(chunk):
                    if multi.names is not None:
                        arguments.extend(values[name] for name in multi.names)
                    else:
                        arguments.extend(values)
                sql = multi.head + _groups(multi, len(chunk)) + multi.tail
                _run(connection, cursor, sql, arguments)
                if returned:
                    raw = cursor.fetchall()
                    if processors is None:
                        processors = _result_processors(
                            [c.type for c in multi.returned], {}, dialect, cursor.description
                        )
                    out.extend(_typed_row(tuple, processors, r) for r in raw)
        finally:
            cursor.close()
        return out

    def ids(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert ``rows``; their new primary keys, in the order of ``rows``."""
        if self._on_conflict:
            raise ValueError("a skipped row has no id: use returning with a unique key")
        compiled = self._for(connection.dialect, returning=True)
        return [
            cast(Sequence[int], row)[0] for row, _ in _returning_each(connection, compiled, rows)
        ]
