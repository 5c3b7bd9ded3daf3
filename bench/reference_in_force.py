"""What the legal-inspection catalogue costs a goods crossing: the read of the version in force.

The gate reads the catalogue in force on the crossing day once per goods crossing (R12, ADR
0019): the stored version's hash, then the parsed table from the process's cache, then one
listing per line. Printed beside a floor measured in the same run: the rule set in force, the
read of the same shape the gate makes on every crossing already. Each is run with no stored
version (the packaged sample in force) and with one uploaded version.

    .venv/bin/python bench/reference_in_force.py [--reads 20000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hetao import migrate
from hetao.audit.service import SYSTEM
from hetao.crossing import repository as crossing_repository
from hetao.reference.legal_inspection import SAMPLE_CATALOGUE
from hetao.reference.tariff import packaged_text
from hetao.reference_versions import service as reference_versions
from hetao.reference_versions.models import TableKind
from hetao.storage.engine import make_engine, session_factory

DAY = dt.date(2026, 12, 7)
AT = dt.datetime(2026, 12, 7, 2, tzinfo=dt.UTC)
#: A goods crossing's lines: one the sample catalogue lists (ethanol), one it does not.
CODES = ("220710", "382219")
ROUNDS = 5


def per_read(read: Callable[[], object], reads: int) -> float:
    """The median over rounds of microseconds per call."""
    for _ in range(min(reads, 500)):
        read()
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(reads):
            read()
        rounds.append((time.perf_counter() - start) / reads * 1e6)
    return statistics.median(rounds)


def catalogue_read(session: Session) -> Callable[[], object]:
    def read() -> object:
        catalogue = reference_versions.inspection_catalogue_in_force(session, on=DAY)
        return [catalogue.listing(code, on=DAY) for code in CODES]

    return read


def bench(engine: Engine, label: str, reads: int) -> None:
    migrate.upgrade(engine)
    factory = session_factory(engine)
    with factory() as session:
        floor = per_read(lambda: crossing_repository.rule_set_in_force(session, at=AT), reads)
        packaged = per_read(catalogue_read(session), reads)
        text = packaged_text(SAMPLE_CATALOGUE).replace("SAMPLE-2026.1,", "BENCH-1,")
        reference_versions.add_version(
            session, TableKind.INSPECTION, text, effective_from=DAY, actor=SYSTEM
        )
        session.flush()
        uploaded = per_read(catalogue_read(session), reads)
        session.rollback()
    for what, micros in (("packaged sample in force", packaged), ("uploaded version", uploaded)):
        print(
            f"{label:10} catalogue in force + {len(CODES)} listings, {what:24}: "
            f"{micros:7.1f} us | floor rule set in force: {floor:7.1f} us | "
            f"ratio {micros / floor:4.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reads", type=int, default=20000)
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database to use as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'reference.sqlite3'}")
        bench(engine, "sqlite", args.reads)
        engine.dispose()
    if args.postgres:
        engine = make_engine(args.postgres)
        bench(engine, "postgresql", args.reads)
        engine.dispose()


if __name__ == "__main__":
    main()
