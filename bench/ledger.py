"""E-ledger speed: durable movements per second, and balance lookups as the history grows.

Each movement rate is printed beside its floor measured in the same run on the same database: a
bare durable INSERT of one row (one per transaction, then the same batch size per transaction);
workloads and floors take turns in ten rounds, so a drift of the disk's fsync time meets both.
One movement per commit goes through ``hetao.ledger.service.consume`` (a batch of one); a batch
through ``post_movements``: a multi-row insert of the movements that claims their idempotency
keys, each lot's conditional UPDATE and one audit event with the digest of their rows.
For contrast, the same count one ``consume`` call per movement, ``--batch-size`` per commit.
After the run the stored balance must equal the movements' sum, and the audit chain and the
batches' digests must verify.
Balance lookups are timed at 10,000 movements and again after a bulk insert (not through the
services) grows the lot's history to ``--movements``; the goal is a ratio under 2: the lookup
reads the stored balance, not the history.

    .venv/bin/python bench/ledger.py [--movements 2000000] [--commits 500] [--batches 20]
                                     [--batch-size 100] [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text, update

from hetao import migrate
from hetao.audit.service import Actor
from hetao.audit.verify import verify_database
from hetao.ledger import repository, service
from hetao.ledger.models import CustomsStatus, Lot, Movement, MovementKind
from hetao.ledger.service import MovementOrder
from hetao.ledger.service.digest import CONTENT_CHECKS
from hetao.profiles import load_profile
from hetao.registry.models import Party, PartyKind
from hetao.storage.engine import make_engine, session_factory, unit_of_work

ACTOR = Actor("bench", "ledger")
SMALL = 10_000
LOOKUPS = 5_000
START = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)


_parties = itertools.count(1)


def prepare(engine: Engine) -> tuple[int, int]:
    """Schema, a party and a lot big enough for every withdrawal; returns their ids."""
    migrate.upgrade(engine)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        party = Party(
            kind=PartyKind.CSA_ENTERPRISE,
            name_en="Bench Laboratory",
            uscc=f"91440300BENCH{next(_parties):05d}",
        )
        session.add(party)
        session.flush()  # the party's id for the lot
        lot = service.admit(
            session,
            party,
            hs_code="3822.19",
            description="Diagnostic reagent kit",
            unit="kit",
            quantity=Decimal(10**12),
            origin="HK",
            goods_kind="reagents",
            customs_status=CustomsStatus.BONDED,
            customs_value=Decimal("1000000.00"),
            currency="HKD",
            admission_ref="FL-BENCH-1",
            admitted_on=START.date(),
            idempotency_key="bench-lot",
            profile=load_profile("hetao"),
            actor=ACTOR,
        )
        return party.id, lot.id


#: Each workload and its floor run in turns, this many rounds each: a disk's fsync time drifts
#: over seconds on a shared machine, and a ratio of two runs minutes apart measured the drift.
ROUNDS = 10


def bench_movements(engine: Engine, label: str, commits: int, batches: int, size: int) -> None:
    """Movements durably committed, beside bare inserts of the same count on the same engine."""
    _, lot_id = prepare(engine)
    factory = session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, body TEXT)"))
    body = "x" * 300
    statement = text("INSERT INTO bench_floor (id, body) VALUES (:i, :b)")
    floor_ids = itertools.count()

    def one_each(indexes: range) -> None:
        for i in indexes:
            with unit_of_work(factory) as session:
                lot = session.get_one(Lot, lot_id)
                service.consume(
                    session, lot, quantity=Decimal(1), idempotency_key=f"s{i}", actor=ACTOR
                )

    def batched(indexes: range) -> None:
        for b in indexes:
            with unit_of_work(factory) as session:
                lot = session.get_one(Lot, lot_id)
                orders = [
                    MovementOrder(lot, MovementKind.CONSUME, Decimal(1), f"b{b}-{i}")
                    for i in range(size)
                ]
                service.post_movements(session, orders, actor=ACTOR)

    def per_call(indexes: range) -> None:
        """For contrast: one verb call per movement, ``size`` per commit."""
        for b in indexes:
            with unit_of_work(factory) as session:
                lot = session.get_one(Lot, lot_id)
                for i in range(size):
                    service.consume(
                        session, lot, quantity=Decimal(1), idempotency_key=f"c{b}-{i}", actor=ACTOR
                    )

    def floor_one_each(indexes: range) -> None:
        for _ in indexes:
            with engine.begin() as conn:
                conn.execute(statement, {"i": next(floor_ids), "b": body})

    def floor_batched(indexes: range) -> None:
        for _ in indexes:
            with engine.begin() as conn:
                conn.execute(statement, [{"i": next(floor_ids), "b": body} for _ in range(size)])

    workloads = [
        ("single", one_each, commits),
        ("floor_single", floor_one_each, commits),
        ("batched", batched, batches),
        ("floor_batched", floor_batched, batches),
        ("per_call", per_call, batches),
    ]
    # A running server has compiled its statements and filled its caches: so does a warm-up
    # round of each workload (negative indexes: keys of their own), which is not timed.
    for _, run, _ in workloads:
        run(range(-3, 0))
    # As the server does at startup (hetao.app): what the setup loaded stays out of the
    # collector's full passes, which would otherwise walk it during the timed loops.
    gc.collect()
    gc.freeze()
    seconds = dict.fromkeys([name for name, _, _ in workloads], 0.0)
    for round_index in range(ROUNDS):
        for name, run, count in workloads:
            share = range(count * round_index // ROUNDS, count * (round_index + 1) // ROUNDS)
            start = time.perf_counter()
            run(share)
            seconds[name] += time.perf_counter() - start
    single, floor_single = seconds["single"], seconds["floor_single"]
    batched_time, floor_batched_time = seconds["batched"], seconds["floor_batched"]
    per_call_time = seconds["per_call"]
    with factory() as session:
        if repository.balance(session, lot_id) != repository.balance_from_movements(
            session, lot_id
        ):
            raise SystemExit("stored balance and movements disagree")
        verified = verify_database(session, [], None, content_checks=CONTENT_CHECKS)
        if not verified.ok:
            raise SystemExit(f"the audit chain does not verify: {verified}")
    print(
        f"{label:10} movements, one durable commit each ({commits}): "
        f"{commits / single:7.0f}/s ({single / commits * 1e3:.2f} ms each) | "
        f"floor bare durable insert: {commits / floor_single:7.0f}/s | "
        f"ratio {single / floor_single:4.2f}x (goal < 2)"
    )
    count = batches * size
    print(
        f"{label:10} movements, {size} per durable commit, post_movements ({count}): "
        f"{count / batched_time:7.0f}/s ({batched_time / count * 1e3:.3f} ms each) | "
        f"floor bare durable insert, {size} rows per commit: "
        f"{count / floor_batched_time:7.0f}/s | "
        f"ratio {batched_time / floor_batched_time:4.2f}x (goal >= 20000/s)"
    )
    print(
        f"{label:10} for contrast, {size} per durable commit, one consume call each ({count}): "
        f"{count / per_call_time:7.0f}/s ({per_call_time / count * 1e3:.3f} ms each)"
    )


def history(lot_id: int, party_id: int, first: int, last: int) -> Iterator[dict[str, Any]]:
    """Movements ``first`` to ``last - 1`` of a lot, alternating +1 and -1 so it never runs dry."""
    for i in range(first, last):
        taking = i % 2 == 1
        yield {
            "lot_id": lot_id,
            "party_id": party_id,
            "kind": MovementKind.CONSUME if taking else MovementKind.ADJUST,
            "quantity": Decimal(-1 if taking else 1),
            "idempotency_key": f"h{i}",
            "request_hash": "0" * 64,
            "correlation_key": f"{i:032x}",
            "reason": None if taking else "bench",
            "actor": "bench:ledger",
            "created_at": START + dt.timedelta(milliseconds=i),
        }


def grow(engine: Engine, lot_id: int, party_id: int, first: int, last: int) -> float:
    """Bulk-insert history (bypassing the services, as the issue allows); returns seconds."""
    start = time.perf_counter()
    rows = history(lot_id, party_id, first, last)
    with engine.begin() as conn:
        while batch := [row for _, row in zip(range(20_000), rows, strict=False)]:
            conn.execute(insert(Movement), batch)
        # The stored balance moves by what the inserted movements add up to: evens +1, odds -1.
        evens = (last + 1) // 2 - (first + 1) // 2
        added = Decimal(evens - (last - first - evens))
        conn.execute(update(Lot).where(Lot.id == lot_id).values(balance=Lot.balance + added))
    return time.perf_counter() - start


def lookup_time(engine: Engine, lot_id: int) -> tuple[float, float]:
    """Mean seconds of a stored-balance lookup, and of one sum over the lot's movements."""
    factory = session_factory(engine)
    with factory() as session:
        for _ in range(100):  # warm the statement cache and the page cache
            repository.balance(session, lot_id)
        start = time.perf_counter()
        for _ in range(LOOKUPS):
            stored = repository.balance(session, lot_id)
        lookup = (time.perf_counter() - start) / LOOKUPS
        start = time.perf_counter()
        summed = repository.balance_from_movements(session, lot_id)
        total = time.perf_counter() - start
    if stored != summed:
        raise SystemExit(f"stored balance {stored} differs from the movements' sum {summed}")
    return lookup, total


def bench_lookups(engine: Engine, label: str, movements: int) -> None:
    """Balance lookup at 10,000 movements and at ``movements``, on one lot's history."""
    party_id, lot_id = prepare(engine)
    fill = grow(engine, lot_id, party_id, 1, SMALL)  # the admission is movement 0
    small, small_sum = lookup_time(engine, lot_id)
    fill += grow(engine, lot_id, party_id, SMALL, movements)
    big, big_sum = lookup_time(engine, lot_id)
    print(
        f"{label:10} balance lookup (repository.balance, the lot's stored balance by primary "
        f"key, mean of {LOOKUPS}): at {SMALL:,} movements {small * 1e6:6.1f} us | at {movements:,} "
        f"movements {big * 1e6:6.1f} us | ratio {big / small:4.2f} (goal < 2)"
    )
    print(
        f"{label:10} for contrast, summing the movements (repository.balance_from_movements): "
        f"{small_sum * 1e3:8.1f} ms -> {big_sum * 1e3:8.1f} ms | ratio {big_sum / small_sum:6.1f} "
        f"| (bulk-inserting the history took {fill:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--movements",
        type=int,
        default=2_000_000,
        help="history size for the second lookup (the issue's figure is 10,000,000: minutes)",
    )
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database to use as well")
    args = parser.parse_args()
    if args.movements <= SMALL:
        parser.error(f"--movements must be more than {SMALL}")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        runs: list[tuple[str, str]] = [("sqlite", f"sqlite:///{directory / 'moves.sqlite3'}")]
        if args.postgres:
            runs.append(("postgresql", args.postgres))
        for label, url in runs:
            engine = make_engine(url)
            bench_movements(engine, label, args.commits, args.batches, args.batch_size)
            engine.dispose()
        runs[0] = ("sqlite", f"sqlite:///{directory / 'history.sqlite3'}")
        for label, url in runs:
            engine = make_engine(url)
            bench_lookups(engine, label, args.movements)
            engine.dispose()


if __name__ == "__main__":
    main()
