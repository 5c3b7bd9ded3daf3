"""Bulk import speed: persons per second through validation, services and audit events.

Prints the rate of `hetao registry import persons` (parse, check digits, duplicate checks,
inserts, one audit event per person, one durable commit) beside a floor measured in the same
run on the same database: a bare INSERT of the same number of rows in one durable commit.

    .venv/bin/python bench/registry_import.py [--rows 5000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, text

from hetao import migrate
from hetao.audit.service import Actor
from hetao.registry import bulk, identifiers, parties
from hetao.registry.schemas import PartyCreate
from hetao.storage.engine import make_engine, session_factory, unit_of_work

HEADER = (
    "family_name,given_name,birth_date,residency,nationality,document_kind,document_number,"
    "document_issuing_country,affiliation_party,affiliation_role"
)


def csv_of(rows: int, party_uscc: str, rng: random.Random) -> str:
    lines = [HEADER]
    for i in range(rows):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(14_000))
        first17 = f"440304{birth:%Y%m%d}{i % 1000:03d}"
        number = first17 + identifiers.resident_id_check_digit(first17)
        lines.append(
            f"Li,Wei{i},{birth.isoformat()},mainland,CN,mainland_resident_id,{number},CN,"
            f"{party_uscc},researcher"
        )
    return "\n".join(lines) + "\n"


def floor(engine: Engine, rows: int) -> float:
    """Seconds for a bare insert of ``rows`` similar rows and one durable commit."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_floor"))
        conn.execute(
            text(
                "CREATE TABLE bench_floor"
                " (id INTEGER PRIMARY KEY, name VARCHAR(100), doc VARCHAR(20))"
            )
        )
    values = [{"id": i, "name": f"Li Wei{i}", "doc": f"{i:018d}"} for i in range(rows)]
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO bench_floor (id, name, doc) VALUES (:id, :name, :doc)"), values
        )
    return time.perf_counter() - start


def measure(engine: Engine, rows: int, label: str) -> None:
    migrate.upgrade(engine)
    factory = session_factory(engine)
    actor = Actor("bench", "registry_import")
    rng = random.Random(7)
    with unit_of_work(factory) as session:
        first17 = f"91440300{rng.randrange(10**9):09d}"
        uscc = first17 + identifiers.uscc_check_character(first17)
        data = PartyCreate(
            kind="csa_enterprise",
            name_en="Bench Laboratory",
            uscc=uscc,
            registered_in_csa=True,
        )
        parties.create_party(session, data, actor=actor)
    document = csv_of(rows, uscc, rng)
    start = time.perf_counter()
    with unit_of_work(factory) as session:
        result = bulk.import_persons(session, document, actor=actor)
    elapsed = time.perf_counter() - start
    if result.imported != rows:
        raise SystemExit(f"imported {result.imported} of {rows} rows")
    bare = floor(engine, rows)
    print(
        f"{label:10} import {rows} persons: {elapsed:6.2f} s = {rows / elapsed:8.0f} rows/s | "
        f"floor (bare insert, same db): {bare:6.3f} s = {rows / bare:9.0f} rows/s | "
        f"ratio {elapsed / bare:5.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database to use as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        measure(engine, args.rows, "sqlite")
        engine.dispose()
    if args.postgres:
        engine = make_engine(args.postgres)
        measure(engine, args.rows, "postgresql")
        engine.dispose()


if __name__ == "__main__":
    main()
