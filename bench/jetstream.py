"""Gate events over NATS JetStream end to end, beside the HTTP path, in the same run.

JetStream: a 3-node cluster on loopback ports (the stream replicated three times) and
`hetao gate-consumer` processes; each event is published by a gate client, decided and
committed by a consumer, and counts as done when its decision comes back on the gate's subject.
HTTP: `hetao serve` answering POST /api/v1/crossings, as in bench/decide_http.py. The same
database, people and gate token serve both. Two figures for each path:

* the sustained rate: decisions per second with the path saturated for ``--seconds``;
* latency at a steady ``--rate``, open loop, from each event's scheduled send time to its
  decision (p50, p99).

    .venv/bin/python bench/jetstream.py [--postgres [URL]] [--workers 2] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from decide_http import (
    Events,
    closed_loop,
    database,
    load_arguments,
    ms,
    on_schedule,
    open_loop,
    percentile,
    populate,
    server,
)
from hetao import migrate
from hetao.crossing.jetstream import (
    AUTHORIZATION_HEADER,
    EVENT_ID_HEADER,
    MESSAGE_ID_HEADER,
    STREAM,
    Subjects,
)
from hetao.natscluster import NatsCluster, running_cluster
from hetao.profiles import load_profile
from hetao.storage.engine import make_engine

SUBJECTS = Subjects()
#: Publishes awaiting JetStream's ack at once in the saturated run (a busy port's gates).
IN_FLIGHT = 256


@contextlib.contextmanager
def consumers(
    cluster: NatsCluster, url: str, data_dir: Path, count: int
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` `hetao gate-consumer` processes, as an operator runs them."""
    env = {**os.environ, "HETAO_DATABASE_URL": url, "HETAO_DATA_DIR": str(data_dir)}
    env["HETAO_PROFILE"] = "hetao"
    servers = [option for node in cluster.urls for option in ("--server", node)]
    command = [str(Path(sys.executable).parent / "hetao"), "gate-consumer", *servers]
    command += ["--replicas", "3", "--log-level", "warning"]
    log = (data_dir / "consumers.log").open("ab")
    # Our own argv, no shell.
    started = [
        subprocess.Popen(command, env=env, stdout=log, stderr=log)  # noqa: S603
        for _ in range(count)
    ]
    try:
        yield started
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)
        log.close()


async def stream_ready(connection: Client, seconds: float = 60) -> None:
    """Until the consumers have made the stream and it has a leader."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(nats.errors.Error, TimeoutError):
            info = await connection.jetstream().stream_info(STREAM)
            if info.cluster is None or info.cluster.leader:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the stream {STREAM} was not ready within {seconds} s")


class Gates:
    """Gate clients on one connection: publish events, hear their decisions."""

    def __init__(self, connection: Client, token: str) -> None:
        self.js = connection.jetstream()
        self.headers = {AUTHORIZATION_HEADER: f"Bearer {token}"}
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.all_heard = asyncio.Event()

    async def hear(self, message: Msg) -> None:
        sent = self.sent.pop((message.headers or {}).get(EVENT_ID_HEADER, ""), None)
        if sent is not None:
            self.latencies.append(time.perf_counter() - sent)
            if not self.sent:
                self.all_heard.set()

    async def publish(self, scheduled: float, body: bytes) -> None:
        document = json.loads(body)
        self.sent[document["event_id"]] = scheduled
        self.all_heard.clear()
        await self.js.publish(
            SUBJECTS.events(document["crossing_point"]),
            body,
            headers={**self.headers, MESSAGE_ID_HEADER: document["event_id"]},
        )


async def jetstream_run(
    urls: list[str], token: str, events: Events, *, rate: float, seconds: float
) -> tuple[float, list[float]]:
    """The saturated rate (decisions/s), then the open-loop latencies (s)."""
    connection = await nats.connect(urls)
    gates = Gates(connection, token)
    await connection.subscribe(SUBJECTS.all_decisions, cb=gates.hear)
    await stream_ready(connection)

    async def saturate(count: int) -> float:
        slots = asyncio.Semaphore(IN_FLIGHT)
        start = time.perf_counter()

        async def one() -> None:
            async with slots:
                await gates.publish(time.perf_counter(), events.next())

        await asyncio.gather(*(one() for _ in range(count)))
        await asyncio.wait_for(gates.all_heard.wait(), 120)
        return count / (time.perf_counter() - start)

    await saturate(200)  # warm-up: connections, the first batches' caches
    # As many events as the HTTP path decided in a saturated run of the same length, about.
    rate_sustained = await saturate(int(max(rate, 100) * seconds))
    gates.latencies.clear()
    await on_schedule(events, gates.publish, rate=rate, seconds=seconds)
    await asyncio.wait_for(gates.all_heard.wait(), 120)
    await connection.close()
    return rate_sustained, gates.latencies


def run(args: argparse.Namespace, directory: Path) -> None:
    profile = load_profile("hetao")
    with database(args.postgres, directory) as url:
        label = "PostgreSQL" if args.postgres else "SQLite (WAL, synchronous=FULL)"
        engine = make_engine(url)
        migrate.upgrade(engine)
        numbers, token = populate(engine, profile, args.people)
        engine.dispose()
        print(f"database: {label}; {len(numbers)} whitelisted researchers; {os.cpu_count()} cores")
        data_dir = directory / "data"
        events = Events(numbers, seed=11)
        gc.collect()
        gc.freeze()  # the setup's objects stay out of the load generator's collections

        with server(url, data_dir, args.workers) as (port, _):
            asyncio.run(closed_loop(port, token, events, connections=4, seconds=1.0))  # warm-up
            http_rate, statuses = asyncio.run(
                closed_loop(port, token, events, connections=args.connections, seconds=args.seconds)
            )
            latencies, open_statuses, _ = asyncio.run(
                open_loop(port, token, events, rate=args.rate, seconds=args.seconds)
            )
        print(
            f"http       sustained {http_rate:,.0f} decisions/s ({args.workers} server workers,"
            f" {args.connections} connections; statuses {dict(sorted(statuses.items()))});"
            f" open loop {args.rate:.0f}/s: p50 {ms(percentile(latencies, 0.5))},"
            f" p99 {ms(percentile(latencies, 0.99))}"
            f" (statuses {dict(sorted(open_statuses.items()))})"
        )

        with (
            running_cluster(directory / "nats", size=3) as cluster,
            consumers(cluster, url, data_dir, args.workers),
        ):
            js_rate, js_latencies = asyncio.run(
                jetstream_run(cluster.urls, token, events, rate=args.rate, seconds=args.seconds)
            )
        print(
            f"jetstream  sustained {js_rate:,.0f} decisions/s ({args.workers} gate-consumers,"
            f" 3 nodes, stream R3, {IN_FLIGHT} publishes in flight); open loop {args.rate:.0f}/s:"
            f" p50 {ms(percentile(js_latencies, 0.5))}, p99 {ms(percentile(js_latencies, 0.99))}"
            f" ({len(js_latencies)} decisions)"
        )


def main() -> None:
    parser = load_arguments(
        __doc__, workers="server workers, and as many gate-consumers (default 2: one per core)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        run(args, Path(directory))


if __name__ == "__main__":
    main()
