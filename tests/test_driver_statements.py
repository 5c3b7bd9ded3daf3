"""Driver statements: a Core SELECT or INSERT run on the driver's cursor reads and writes what
SQLAlchemy's own execute would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    insert,
    select,
    update,
)

from hetao.storage.driver import DriverInsert, DriverQuery, DriverWrite
from hetao.storage.types import ScaledDecimal, UTCDateTime, enum_type


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


NOON = dt.datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=dt.UTC)
METADATA = MetaData()
SAMPLES = Table(
    "driver_query_samples",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=True),
    Column("day", Date, nullable=True),
    Column("colour", enum_type(Colour, name="driver_query_colour"), nullable=True),
    Column("tags", JSON, nullable=True),
    Column("amount", ScaledDecimal(18, 2), nullable=True),
    Column("name", String(20), nullable=True),
)
DEFAULTED = Table(
    "driver_query_defaulted",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("at", UTCDateTime, default=lambda: NOON),
)


class Sample(NamedTuple):
    id: int
    at: dt.datetime | None
    day: dt.date | None
    colour: Colour | None
    tags: list[str] | None
    amount: Decimal | None
    name: str | None


ALL_COLUMNS = select(*SAMPLES.c).order_by(SAMPLES.c.id)


@pytest.fixture
def samples(connection: Connection) -> Connection:
    METADATA.create_all(connection)  # inside the test's transaction, rolled back after it
    # Ids far from where PostgreSQL's sequence starts, for the rows inserted without one.
    connection.execute(
        insert(SAMPLES),
        [
            {
                "id": 1001,
                "at": NOON,
                "day": dt.date(2026, 11, 23),
                "colour": Colour.RED,
                "tags": ["people", "goods"],
                "amount": Decimal("12.30"),
                "name": "first",
            },
            {
                "id": 1002,
                "at": NOON + dt.timedelta(hours=1),
                "day": dt.date(2026, 11, 24),
                "colour": Colour.GREEN,
                "tags": [],
                "amount": Decimal("0.01"),
                "name": "second",
            },
            dict.fromkeys(("at", "day", "colour", "tags", "amount", "name"), None) | {"id": 1003},
        ],
    )
    return connection


def test_rows_have_the_values_and_types_sqlalchemy_gives(samples: Connection) -> None:
    expected = [tuple(row) for row in samples.execute(ALL_COLUMNS).all()]
    found = DriverQuery(ALL_COLUMNS, Sample).all(samples)
    assert [tuple(row) for row in found] == expected
    assert [[type(value) for value in row] for row in found] == [
        [type(value) for value in row] for row in expected
    ]
    first = found[0]
    assert first.at == NOON
    assert first.at is not None
    assert first.at.tzinfo is not None
    assert first.colour is Colour.RED
    assert first.amount == Decimal("12.30")
    assert found[2] == Sample(1003, None, None, None, None, None, None)


def test_parameters_go_through_their_types_and_the_statement_keeps_its_own(
    samples: Connection,
) -> None:
    query = DriverQuery(
        select(*SAMPLES.c)
        .where(
            SAMPLES.c.at >= bindparam("since", type_=SAMPLES.c.at.type),
            SAMPLES.c.colour != Colour.RED,  # a literal of the statement: an anonymous bind
        )
        .order_by(SAMPLES.c.id)
        .limit(1),
        Sample,
    )
    found = query.all(samples, since=NOON.astimezone(dt.timezone(dt.timedelta(hours=8))))
    assert [row.id for row in found] == [1002]
    assert query.first(samples, since=NOON + dt.timedelta(days=1)) is None


def test_a_row_type_that_is_not_the_statement_s_columns_is_refused() -> None:
    class Short(NamedTuple):
        id: int

    with pytest.raises(ValueError, match=r"Short has fields \('id',\).*'at'"):
        DriverQuery(ALL_COLUMNS, Short)


def test_an_expanding_parameter_is_refused(samples: Connection) -> None:
    query = DriverQuery(
        select(*SAMPLES.c).where(SAMPLES.c.id.in_(bindparam("ids", expanding=True))), Sample
    )
    with pytest.raises(ValueError, match="expanding"):
        query.all(samples, ids=[1, 2])


def test_an_insert_writes_what_sqlalchemy_writes_and_returns_the_ids_in_order(
    samples: Connection,
) -> None:
    rows = [
        {
            "at": NOON + dt.timedelta(days=n),
            "day": dt.date(2026, 12, n),
            "colour": Colour.GREEN if n % 2 else Colour.RED,
            "tags": [f"tag-{n}"],
            "amount": Decimal(n) / 100,
            "name": f"row {n}",
        }
        for n in range(1, 6)
    ]
    ids = DriverInsert(SAMPLES).ids(samples, rows)
    assert len(set(ids)) == len(rows)
    stored = {row.id: row for row in samples.execute(ALL_COLUMNS).all()}
    for new_id, row in zip(ids, rows, strict=True):
        assert stored[new_id]._asdict() == {"id": new_id, **row}


def test_an_insert_without_ids_writes_every_row(samples: Connection) -> None:
    DriverInsert(SAMPLES, ["id", "name"]).write(
        samples, [{"id": 10, "name": "ten"}, {"id": 11, "name": "eleven"}]
    )
    names = samples.execute(
        select(SAMPLES.c.name).where(SAMPLES.c.id.in_([10, 11])).order_by(SAMPLES.c.id)
    )
    assert names.scalars().all() == ["ten", "eleven"]


def test_an_insert_must_give_the_columns_sqlalchemy_would_default(samples: Connection) -> None:
    with pytest.raises(ValueError, match="driver_query_defaulted: give at"):
        DriverInsert(DEFAULTED, ["name"]).write(samples, [{"name": "x"}])
    DriverInsert(DEFAULTED).write(samples, [{"name": "x", "at": NOON}])


def test_an_insert_of_an_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="driver_query_samples has no column colour_name"):
        DriverInsert(SAMPLES, ["name", "colour_name"])


def test_an_insert_skipping_conflicts_writes_and_returns_only_the_rows_it_inserted(
    samples: Connection,
) -> None:
    skipping = DriverInsert(SAMPLES, ["id", "name"], skip_conflicts_on=["id"])
    rows = [{"id": 1001, "name": "taken"}, {"id": 20, "name": "new"}, {"id": 1003, "name": "x"}]
    assert skipping.returning(samples, rows, ("id", "name")) == [(20, "new")]
    skipping.write(samples, [{"id": 1002, "name": "taken too"}, {"id": 21, "name": "also new"}])
    names = samples.execute(select(SAMPLES.c.id, SAMPLES.c.name).order_by(SAMPLES.c.id)).all()
    assert [tuple(row) for row in names] == [
        (20, "new"),
        (21, "also new"),
        (1001, "first"),
        (1002, "second"),
        (1003, None),
    ]
    with pytest.raises(ValueError, match="a skipped row has no id"):
        skipping.ids(samples, [{"id": 22, "name": "y"}])


def test_an_insert_skipping_conflicts_on_an_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="driver_query_samples has no column serial"):
        DriverInsert(SAMPLES, skip_conflicts_on=["serial"])


def test_a_write_runs_once_per_parameter_set_with_values_through_their_types(
    samples: Connection,
) -> None:
    renamed = DriverWrite(
        update(SAMPLES)
        .where(SAMPLES.c.id == bindparam("key"), SAMPLES.c.colour != Colour.GREEN)
        .values(tags=bindparam("new_tags"), at=bindparam("new_at"))
    )
    later = NOON + dt.timedelta(days=2)
    renamed.write(
        samples,
        [
            {"key": 1001, "new_tags": ["a"], "new_at": later},
            {"key": 1002, "new_tags": ["b"], "new_at": later},  # green: left as it was
        ],
    )
    rows = {row.id: row for row in samples.execute(ALL_COLUMNS)}
    assert (rows[1001].tags, rows[1001].at) == (["a"], later)
    assert (rows[1002].tags, rows[1002].at) == ([], NOON + dt.timedelta(hours=1))


def test_cursor_event_listeners_see_every_driver_statement(samples: Connection) -> None:
    seen: list[str] = []

    def watch(*args: object) -> None:  # (conn, cursor, statement, parameters, context, many)
        seen.append(str(args[2]).split()[0])

    event.listen(samples, "before_cursor_execute", watch)
    try:
        DriverQuery(ALL_COLUMNS, Sample).all(samples)
        DriverInsert(SAMPLES, ["name"]).ids(samples, [{"name": "a"}, {"name": "b"}])
        DriverWrite(update(SAMPLES).values(name=bindparam("new_name"))).write(
            samples, [{"new_name": "c"}]
        )
    finally:
        event.remove(samples, "before_cursor_execute", watch)
    assert seen[0] == "SELECT"
    assert seen[-1] == "UPDATE"
    assert set(seen[1:-1]) == {"INSERT"}


def test_a_value_repeated_across_rows_is_processed_once_and_written_to_each(
    samples: Connection,
) -> None:
    shared_at, shared_tags = NOON + dt.timedelta(days=3), ["shared"]
    rows = [
        {"at": shared_at, "day": None, "colour": Colour.RED, "tags": shared_tags, "amount": None}
        | {"name": f"r{n}"}
        for n in range(3)
    ] + [{"at": NOON, "day": None, "colour": Colour.GREEN, "tags": [], "amount": None, "name": "x"}]
    ids = DriverInsert(SAMPLES).returning(samples, rows, ("id", "name"))
    assert len(ids) == 4
    stored = {row.name: row for row in samples.execute(ALL_COLUMNS).all()}
    for row in rows:
        assert (stored[row["name"]].at, stored[row["name"]].tags) == (row["at"], row["tags"])
        assert stored[row["name"]].colour == row["colour"]
