"""Audit log speed: durable appends per second, and verification of 1,000,000 events.

Each figure is printed beside the floor the issue names, measured in the same run: a bare
SHA-256 of the same canonical bytes (and, for appends, a bare durable INSERT too).

    .venv/bin/python bench/audit.py [--events 1000000] [--appends 2000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, insert, text, update

from hetao import migrate
from hetao.audit.chain import GENESIS, EventFacts, canonical_bytes, chain_link
from hetao.audit.checkpoints import CheckpointStore, Signer
from hetao.audit.merkle import CompactRange, leaf_hash
from hetao.audit.models import AuditEvent, AuditHead
from hetao.audit.service import SYSTEM, CheckpointPolicy, enable_checkpoints, record_event
from hetao.audit.verify import verify_database
from hetao.storage.engine import make_engine, session_factory, unit_of_work

START = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)


def sample_facts(seq: int, rng: random.Random) -> EventFacts:
    return EventFacts(
        seq=seq,
        occurred_at=START + dt.timedelta(milliseconds=seq * 37),
        tag="crossing:decision:make",
        subject_type="crossing",
        subject_id=str(rng.randrange(10**9)),
        actor=f"device:gate-{rng.randrange(1, 64)}",
        request_id=f"{rng.getrandbits(64):016x}",
        data={"decision": "RELEASE", "rule_set": "2026.11-3", "score": rng.randrange(100)},
    )


def sha256_floor(payloads: list[bytes]) -> float:
    start = time.perf_counter()
    for payload in payloads:
        hashlib.sha256(payload).digest()
    return time.perf_counter() - start


def bench_appends(engine: Engine, count: int, label: str, key_dir: Path) -> None:
    """One event per transaction, each commit durable; checkpoints signed as in production."""
    migrate.upgrade(engine)
    factory = session_factory(engine)
    enable_checkpoints(
        factory,
        CheckpointPolicy(
            log_id="bench",
            every_events=1000,
            every_seconds=300,
            signer=Signer.load_or_create(key_dir / "key.pem"),
            store=CheckpointStore(key_dir / f"checkpoints-{label}"),
        ),
    )
    rng = random.Random(1)
    start = time.perf_counter()
    for i in range(count):
        with unit_of_work(factory) as session:
            record_event(
                session,
                "crossing:decision:make",
                subject_type="crossing",
                subject_id=i,
                actor=SYSTEM,
                data={"decision": "RELEASE", "score": rng.randrange(100)},
            )
    elapsed = time.perf_counter() - start
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, body TEXT)"))
    body = "x" * 300
    start = time.perf_counter()
    for i in range(count):
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO bench_floor (id, body) VALUES (:i, :b)"), {"i": i, "b": body}
            )
    bare_insert = time.perf_counter() - start
    payloads = [canonical_bytes(sample_facts(i, rng)) for i in range(1, count + 1)]
    floor = sha256_floor(payloads)
    print(
        f"{label:10} append {count} events, one durable commit each: {count / elapsed:8.0f}/s "
        f"({elapsed / count * 1e3:.2f} ms each) | floor bare durable insert: "
        f"{count / bare_insert:8.0f}/s, ratio {elapsed / bare_insert:4.2f}x | "
        f"floor SHA-256 of the same bytes: {count / floor:10.0f}/s"
    )


def bench_verify(engine: Engine, count: int, label: str) -> None:
    """Fill a log of ``count`` events directly (as record_event would), then verify it."""
    migrate.upgrade(engine)
    rng = random.Random(2)
    previous, frontier = GENESIS, CompactRange()
    payloads: list[bytes] = []
    batch: list[dict[str, object]] = []
    fill = time.perf_counter()
    with engine.begin() as conn:
        for seq in range(1, count + 1):
            facts = sample_facts(seq, rng)
            payload = canonical_bytes(facts)
            payloads.append(payload)
            leaf = leaf_hash(payload)
            previous = chain_link(previous, leaf)
            frontier.append(leaf)
            batch.append(
                {
                    "seq": seq,
                    "tag": facts.tag,
                    "subject_type": facts.subject_type,
                    "subject_id": facts.subject_id,
                    "actor": facts.actor,
                    "request_id": facts.request_id,
                    "occurred_at": facts.occurred_at,
                    "data": facts.data,
                    "leaf_hash": leaf,
                    "chain_hash": previous,
                }
            )
            if len(batch) == 20_000:
                conn.execute(insert(AuditEvent), batch)
                batch = []
        if batch:
            conn.execute(insert(AuditEvent), batch)
        conn.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(size=count, chain_hash=previous, peaks=[p.hex() for p in frontier.peaks()])
        )
    fill = time.perf_counter() - fill
    factory = session_factory(engine)
    start = time.perf_counter()
    with factory() as session:
        report = verify_database(session, [], None)
    elapsed = time.perf_counter() - start
    if not report.ok or report.events != count:
        raise SystemExit(f"verification failed: {report}")
    floor = sha256_floor(payloads)
    print(
        f"{label:10} verify {count} events (read, canonical bytes, leaf, chain, Merkle root): "
        f"{elapsed:6.2f} s = {count / elapsed:9.0f}/s | floor SHA-256 of the same bytes: "
        f"{floor:5.2f} s | ratio {elapsed / floor:5.1f}x | (filling the log took {fill:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database to use as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        engine = make_engine(f"sqlite:///{directory / 'append.sqlite3'}")
        bench_appends(engine, args.appends, "sqlite", directory)
        engine.dispose()
        if args.postgres:
            engine = make_engine(args.postgres)
            bench_appends(engine, args.appends, "postgresql", directory)
            engine.dispose()
        engine = make_engine(f"sqlite:///{directory / 'verify.sqlite3'}")
        bench_verify(engine, args.events, "sqlite")
        engine.dispose()


if __name__ == "__main__":
    main()
