"""DriverQuery: a Core SELECT run on the driver's cursor gives what SQLAlchemy's execute gives."""

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
    insert,
    select,
)

from hetao.db import DriverQuery, ScaledDecimal, UTCDateTime, enum_type


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


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
NOON = dt.datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=dt.UTC)


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
    connection.execute(
        insert(SAMPLES),
        [
            {
                "id": 1,
                "at": NOON,
                "day": dt.date(2026, 11, 23),
                "colour": Colour.RED,
                "tags": ["people", "goods"],
                "amount": Decimal("12.30"),
                "name": "first",
            },
            {
                "id": 2,
                "at": NOON + dt.timedelta(hours=1),
                "day": dt.date(2026, 11, 24),
                "colour": Colour.GREEN,
                "tags": [],
                "amount": Decimal("0.01"),
                "name": "second",
            },
            dict.fromkeys(("at", "day", "colour", "tags", "amount", "name"), None) | {"id": 3},
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
    assert found[2] == Sample(3, None, None, None, None, None, None)


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
    assert [row.id for row in found] == [2]
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
