"""Crossing decisions over HTTP: `hetao serve` on a real socket, each decision durably committed.

Every POST /api/v1/crossings gathers the facts from the registry, decides, and commits the event,
the decision and its audit event in one durable transaction (SQLite WAL with synchronous=FULL,
or PostgreSQL). Two figures, each printed beside a bare durable single-row INSERT + COMMIT into
the same database measured in the same run:

* the sustained rate: as many requests as the server takes, from ``--connections`` keep-alive
  connections, for ``--seconds`` (goal >= 1,000/s on this 2-core machine);
* latency at a steady ``--rate`` (default 200/s), open loop: requests are sent on a fixed
  schedule whether or not earlier ones have answered, and each latency is measured from its
  scheduled send time, so a slow answer delays nobody's clock (goal p99 <= 10 ms).

The load generator is a small asyncio HTTP/1.1 client in this process; the server runs in its
own process(es), so the client's CPU is part of the machine's budget, as it would be for gates.

    .venv/bin/python bench/decide_http.py [--postgres [URL]] [--workers N] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, text

from hetao import migrate
from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile, load_profile
from hetao.registry import identifiers
from hetao.registry import parties as registry_parties
from hetao.registry import service as registry
from hetao.registry.schemas import ApplicationCreate, PartyCreate, PersonCreate
from hetao.storage.engine import make_engine, session_factory, unit_of_work
from hetao.storage.types import utcnow

ACTOR = Actor("bench", "decide_http")
POSTGRES_ADMIN_URL = os.environ.get(
    "HETAO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POINTS = ("FBZ_CHANNEL_1", "HUANGGANG", "FUTIAN")
#: Connections the open-loop client may add when all are busy (an overloaded server).
MAX_EXTRA_CONNECTIONS = 240
HTTP_CREATED = 201
HTTP_OK = 200


# --- the database and its people -------------------------------------------------------------


@contextlib.contextmanager
def database(postgres: str | None, directory: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file in ``directory``, or a scratch PostgreSQL database."""
    if postgres is None:
        yield f"sqlite:///{(directory / 'bench.sqlite3').as_posix()}"
        return
    name = f"hetao_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{postgres.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def resident_id(birth: dt.date, sequence: int) -> str:
    first17 = f"440304{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + identifiers.resident_id_check_digit(first17)


def populate(engine: Engine, profile: ZoneProfile, people: int) -> tuple[list[str], str]:
    """Whitelisted researchers (their document numbers) and a gate token for every point."""
    factory = session_factory(engine)
    numbers: list[str] = []
    with unit_of_work(factory) as session:
        first17 = "914403000" + "77" + "000001"
        party = registry_parties.create_party(
            session,
            PartyCreate(
                kind="csa_enterprise",
                name_en="Bench Photonics Laboratory Co., Ltd.",
                uscc=first17 + identifiers.uscc_check_character(first17),
                registered_in_csa=True,
                credit_level="certified",
            ),
            actor=ACTOR,
        )
        _, raw = auth.issue_token(
            session,
            name="bench gate",
            roles=[Role.GATE_DEVICE],
            device_name="bench-gate",
            crossing_points=list(POINTS),
            expires_at=utcnow() + dt.timedelta(days=1),
            actor=ACTOR,
            profile=profile,
        )
    for start in range(0, people, 200):
        with unit_of_work(factory) as session:
            batch = []
            for n in range(start, min(start + 200, people)):
                birth = dt.date(1960, 1, 1) + dt.timedelta(days=n // 1000)
                number = resident_id(birth, n)
                numbers.append(number)
                batch.append(
                    PersonCreate(
                        family_name="Bench",
                        given_name=f"Researcher {n}",
                        birth_date=birth,
                        residency="mainland",
                        nationality="CN",
                        documents=[
                            {
                                "kind": "mainland_resident_id",
                                "number": number,
                                "issuing_country": "CN",
                            }
                        ],
                        affiliations=[{"party_id": party.id, "role": "researcher"}],
                    )
                )
            for person in registry_parties.create_persons(session, batch, actor=ACTOR):
                application = registry.create_application(
                    session,
                    ApplicationCreate(
                        subject_kind="individual",
                        party_id=party.id,
                        person_id=person.id,
                        flows=["people"],
                        lines=["first", "second"],
                    ),
                    profile=profile,
                    actor=ACTOR,
                )
                registry.submit(session, application, actor=ACTOR)
                registry.approve(session, application, profile=profile, actor=ACTOR)
    return numbers, raw


# --- the floor: a bare durable insert ---------------------------------------------------------


def bare_inserts(engine: Engine, count: int) -> tuple[float, list[float]]:
    """Single-row INSERT + COMMIT, one after another: rate and latencies (s)."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, body TEXT)"))
    latencies = []
    start = time.perf_counter()
    for n in range(count):
        began = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO bench_floor (id, body) VALUES (:id, :body)"),
                {"id": n, "body": "x" * 200},
            )
        latencies.append(time.perf_counter() - began)
    return count / (time.perf_counter() - start), latencies


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(url: str, data_dir: Path, workers: int) -> Iterator[tuple[int, int]]:
    """``hetao serve`` on a free loopback port."""
    port = free_port()
    env = {
        **os.environ,
        "HETAO_DATABASE_URL": url,
        "HETAO_DATA_DIR": str(data_dir),
        "HETAO_PROFILE": "hetao",
        # The per-principal budget protects a shared deployment; the bench is one gate flooding.
        "HETAO_RATE_PER_SECOND": "1000000",
        "HETAO_RATE_BURST": "1000000",
    }
    # The shipped command, as an operator runs it (each worker with its own socket).
    command = [
        str(Path(sys.executable).parent / "hetao"), "serve",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
    ]  # fmt: skip
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "server.log").open("wb")
    # Our own argv, no shell; the server's log goes to a file (a 5xx is counted, not printed).
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)  # noqa: S603
    try:
        # Every worker ready, or the first would get every connection the client opens.
        deadline = time.monotonic() + 60
        log_path = data_dir / "server.log"
        while log_path.read_bytes().count(b"Application startup complete") < workers:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the server did not start; see {log_path}")
            time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def cpu_seconds(*, parent: int | None = None, command: str | None = None) -> float:
    """CPU time used so far by ``parent`` and its children, or by every process named ``command``.

    Read from Linux's /proc (0.0 elsewhere): it shows where a request's cost goes.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            raw = stat.read_text()
            name = raw[raw.index("(") + 1 : raw.rindex(")")]
            fields = raw[raw.rindex(")") + 2 :].split()  # fields from the 3rd (state) on
            pid, ppid = int(stat.parent.name), int(fields[1])
            if (parent is not None and parent in (pid, ppid)) or name == command:
                total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


# --- the client -------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection: send a request, read one response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def post(self, path: str, body: bytes, token: str, method: str = "POST") -> int:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        self.writer.close()


class Events:
    """Event bodies: mostly whitelisted researchers, some unknown travellers, three points."""

    def __init__(self, numbers: list[str], seed: int) -> None:
        self.numbers = numbers
        self.rng = random.Random(seed)
        self.serial = 0

    def next(self) -> bytes:
        self.serial += 1
        known = self.rng.random() < 0.9
        number = self.rng.choice(self.numbers) if known else f"R{self.rng.randrange(10**7):07d}"
        document = (
            {"kind": "mainland_resident_id", "number": number, "issuing_country": "CN"}
            if known
            else {"kind": "passport", "number": number, "issuing_country": "GB"}
        )
        return json.dumps(
            {
                "event_id": f"bench-{uuid.uuid4().hex}",
                "crossing_point": self.rng.choice(POINTS),
                "direction": self.rng.choice(("inbound", "outbound")),
                "occurred_at": utcnow().isoformat(),
                "subject": {"type": "person", "document": document},
            }
        ).encode()


async def closed_loop(
    port: int,
    token: str,
    events: Events,
    *,
    connections: int,
    seconds: float,
    probe: str | None = None,
) -> tuple[float, dict[int, int]]:
    """Saturate the server from ``connections`` connections; decisions recorded per second.

    With ``probe`` (a path), GET it instead: the HTTP stack's own rate, nothing decided.
    """
    statuses: dict[int, int] = {}
    stop = time.perf_counter() + seconds
    done = 0

    async def worker(conn: Connection) -> None:
        nonlocal done
        try:
            while time.perf_counter() < stop:
                try:
                    if probe is None:
                        status = await conn.post("/api/v1/crossings", events.next(), token)
                    else:
                        status = await conn.post(probe, b"", token, method="GET")
                except (OSError, asyncio.IncompleteReadError):
                    status = 0
                    conn.close()
                    conn = await Connection.open(port)
                statuses[status] = statuses.get(status, 0) + 1
                done += status == (HTTP_CREATED if probe is None else HTTP_OK)
        finally:
            conn.close()

    # Opened before the clock starts, so connection setup is not counted as serving time.
    opened = [await Connection.open(port) for _ in range(connections)]
    start = time.perf_counter()
    await asyncio.gather(*(worker(conn) for conn in opened))
    return done / (time.perf_counter() - start), statuses


async def on_schedule(
    events: Events,
    send: Callable[[float, bytes], Coroutine[Any, Any, None]],
    *,
    rate: float,
    seconds: float,
) -> None:
    """``send(scheduled, body)`` for each event on a fixed schedule, whether or not earlier
    ones are done (open loop); returns when all are."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    tasks = []
    for n in range(total):
        scheduled = start + n / rate
        body = events.next()
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(scheduled, body)))
    await asyncio.gather(*tasks)


async def open_loop(
    port: int, token: str, events: Events, *, rate: float, seconds: float
) -> tuple[list[float], dict[int, int], int]:
    """Send at a constant rate; latency of each from its scheduled time. Also: late sends."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(16):
        pool.put_nowait(await Connection.open(port))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    opened = 0

    async def one(scheduled: float, body: bytes) -> None:
        nonlocal opened
        try:
            conn = pool.get_nowait()
        except asyncio.QueueEmpty:
            if opened < MAX_EXTRA_CONNECTIONS:
                opened += 1  # every connection busy: open another, the schedule does not wait
                conn = await Connection.open(port)
            else:  # as a gate fleet would: queue, and the wait counts in the latency
                conn = await pool.get()
        try:
            status = await conn.post("/api/v1/crossings", body, token)
        except (OSError, asyncio.IncompleteReadError):
            status = 0  # the server dropped the connection: counted, and a new one is used
            conn.close()
            conn = await Connection.open(port)
        latencies.append(time.perf_counter() - scheduled)
        statuses[status] = statuses.get(status, 0) + 1
        pool.put_nowait(conn)

    await on_schedule(events, one, rate=rate, seconds=seconds)
    while not pool.empty():
        pool.get_nowait().close()
    return latencies, statuses, opened


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def run(args: argparse.Namespace, directory: Path) -> None:
    profile = load_profile("hetao")
    with database(args.postgres, directory) as url:
        label = "PostgreSQL" if args.postgres else "SQLite (WAL, synchronous=FULL)"
        engine = make_engine(url)
        migrate.upgrade(engine)
        data_dir = directory / "data"
        began = time.perf_counter()
        numbers, token = populate(engine, profile, args.people)
        print(
            f"database: {label}; {len(numbers)} whitelisted researchers"
            f" loaded in {time.perf_counter() - began:.1f} s"
        )

        floor_rate, floor_latencies = bare_inserts(engine, args.floor)
        print(
            f"floor   bare durable INSERT+COMMIT, one connection: {floor_rate:,.0f}/s,"
            f" p50 {ms(percentile(floor_latencies, 0.5))},"
            f" p99 {ms(percentile(floor_latencies, 0.99))}"
        )
        engine.dispose()

        events = Events(numbers, seed=7)
        # The load generator's own full collections would stall its clock for tens of ms and be
        # counted as the server's latency: what it holds from the setup is kept out of them.
        gc.collect()
        gc.freeze()
        with server(url, data_dir, args.workers) as (port, server_pid):
            asyncio.run(closed_loop(port, token, events, connections=4, seconds=1.0))  # warm-up
            probe_rate, _ = asyncio.run(
                closed_loop(
                    port,
                    token,
                    events,
                    connections=args.connections,
                    seconds=min(args.seconds, 5.0),
                    probe="/api/v1/health",
                )
            )
            print(
                "http floor GET /api/v1/health (the same server; reads the caller's token,"
                f" decides nothing): {probe_rate:,.0f}/s"
            )
            cpu_before = (
                cpu_seconds(parent=server_pid),
                time.process_time(),
                cpu_seconds(command="postgres"),
            )
            rate, statuses = asyncio.run(
                closed_loop(port, token, events, connections=args.connections, seconds=args.seconds)
            )
            server_cpu, client_cpu, postgres_cpu = (
                cpu_seconds(parent=server_pid) - cpu_before[0],
                time.process_time() - cpu_before[1],
                cpu_seconds(command="postgres") - cpu_before[2],
            )
            served = rate * args.seconds
            print(
                f"sustained  {rate:,.0f} decisions/s over {args.seconds:.0f} s"
                f" ({args.workers} server workers, {args.connections} connections);"
                f" statuses {dict(sorted(statuses.items()))}"
                f"  = {rate / floor_rate:.2f}x the bare insert rate  (goal >= 1,000/s)"
            )
            print(
                f"           CPU per decision: server {ms(server_cpu / served)},"
                f" client {ms(client_cpu / served)}"
                + (f", postgres {ms(postgres_cpu / served)}" if args.postgres else "")
                + f"; {os.cpu_count()} cores"
            )
            latencies, statuses, opened = asyncio.run(
                open_loop(port, token, events, rate=args.rate, seconds=args.seconds)
            )
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
            print(
                f"open loop  {args.rate:.0f}/s for {args.seconds:.0f} s: {len(latencies)}"
                f" requests, p50 {ms(p50)}, p99 {ms(p99)}, max {ms(max(latencies))};"
                f" statuses {dict(sorted(statuses.items()))}; extra connections {opened}"
                f"  = p50 {p50 / statistics.median(floor_latencies):.1f}x,"
                f" p99 {p99 / percentile(floor_latencies, 0.99):.1f}x the bare insert"
                f"  (goal p99 <= 10 ms)"
            )
        engine = make_engine(url)
        with engine.connect() as connection:
            decided, batches = connection.execute(
                text(
                    "SELECT count(*), count(DISTINCT occurred_at) FROM audit_events"
                    " WHERE tag = 'crossing:event:decide'"
                )
            ).one()
        engine.dispose()
        # A batch's audit events share one instant (hetao.audit.service.record_events).
        print(
            f"group commit: {decided:,} decisions in {batches:,} transactions"
            f" ({decided / max(batches, 1):.1f} per commit)"
        )


def load_arguments(doc: str | None, *, workers: str) -> argparse.ArgumentParser:
    """The options of a run under load: database, workers, connections, duration, rate."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument(
        "--postgres", nargs="?", const=POSTGRES_ADMIN_URL, default=None,
        help="run on a scratch database of this PostgreSQL server (default: SQLite)",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help=workers)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--people", type=int, default=1000)
    return parser


def main() -> None:
    parser = load_arguments(
        __doc__,
        workers="server worker processes (default 2: one per core; a worker's Python runs one"
        " thread at a time, so one worker uses one core)",
    )
    parser.add_argument("--floor", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes")
    args = parser.parse_args()
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        run(args, Path(directory))


if __name__ == "__main__":
    main()
