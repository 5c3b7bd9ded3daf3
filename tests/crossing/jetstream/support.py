"""What the JetStream tests share: events, a consumer process, listeners, and the rows stored."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from sqlalchemy import Engine, text

from hetao.crossing.jetstream import (
    EVENT_ID_HEADER,
    REASON_HEADER,
    ConsumerSettings,
    Decider,
    Subjects,
    consume,
)
from hetao.profiles import load_profile
from hetao.storage.engine import session_factory
from test_serving import HETAO

GATE_POINT = "FBZ_CHANNEL_1"
SUBJECTS = Subjects()
#: Short, so a killed consumer's events come back within the test's time.
ACK_WAIT_SECONDS = "2"


def event(event_id: str | None = None) -> dict[str, Any]:
    """A traveller on foot at the test gate, unknown to the registry (decided all the same)."""
    return {
        "event_id": event_id or f"js-{uuid.uuid4().hex}",
        "crossing_point": GATE_POINT,
        "direction": "inbound",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "subject": {
            "type": "person",
            "document": {"kind": "hk_identity_card", "number": "A1234563"},
        },
    }


def run_hetao(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """A `hetao` command, bounded in time."""
    return subprocess.run(  # noqa: S603 (our own argv, no shell)
        [str(HETAO), *arguments], env=env, capture_output=True, text=True, timeout=90, check=False
    )


def server_options(urls: Sequence[str]) -> list[str]:
    return [option for url in urls for option in ("--server", url)]


@dataclass
class Consumer:
    """A `hetao gate-consumer` process, its log in the test's directory."""

    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(
        cls, urls: Sequence[str], env: dict[str, str], directory: Path, *options: str
    ) -> Consumer:
        log = directory / f"consumer-{uuid.uuid4().hex[:6]}.log"
        command = [
            str(HETAO), "gate-consumer", *server_options(urls), "--replicas", "3",
            "--ack-wait", ACK_WAIT_SECONDS, *options,
        ]  # fmt: skip
        with log.open("wb") as output:
            process = subprocess.Popen(command, env=env, stdout=output, stderr=output)  # noqa: S603
        return cls(process, log)

    def kill(self) -> None:
        """SIGKILL: no ack, no goodbye, as a crash or a pulled plug."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Heard:
    """Decisions and dead letters heard on the gate subjects."""

    decisions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    dead: list[Msg] = field(default_factory=list)

    def decided(self) -> set[str]:
        return {event_id for event_id, _ in self.decisions}


async def listen(urls: Sequence[str]) -> tuple[Client, Heard]:
    """A connection hearing every decision and dead letter from now on."""
    import json

    connection = await nats.connect(list(urls), max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    heard = Heard()

    async def decision(message: Msg) -> None:
        event_id = (message.headers or {}).get(EVENT_ID_HEADER, "")
        heard.decisions.append((event_id, json.loads(message.data)))

    async def dead(message: Msg) -> None:
        heard.dead.append(message)

    await connection.subscribe(SUBJECTS.all_decisions, cb=decision)
    await connection.subscribe(SUBJECTS.dead, cb=dead)
    await connection.flush()
    return connection, heard


async def until(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Wait for ``condition``, polling; AssertionError naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(0.1)


def reason_of(message: Msg) -> str:
    return (message.headers or {}).get(REASON_HEADER, "")


def decision_rows(engine: Engine) -> Counter[str]:
    """Decisions stored per device event id."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT e.device_event_id FROM crossing_decisions d"
                " JOIN crossing_events e ON e.id = d.event_id"
            )
        ).scalars()
        return Counter(rows)


def decide_audit_events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM audit_events WHERE tag = 'crossing:event:decide'")
            ).scalar_one()
        )


async def stream_leader(connection: Client, *, seconds: float) -> str:
    """The stream's leader once it has one: it is created by the consumer, and a killed node
    makes the cluster elect another."""
    from hetao.crossing.jetstream import STREAM

    js = connection.jetstream()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            info = await js.stream_info(STREAM)
        except (nats.errors.Error, TimeoutError):
            info = None
        if info is not None and info.cluster is not None and info.cluster.leader:
            return info.cluster.leader
        await asyncio.sleep(0.2)
    raise AssertionError(f"the stream {STREAM} had no leader within {seconds} s")


async def publish(
    connection: Client,
    subject: str,
    payload: bytes,
    headers: dict[str, str],
    *,
    seconds: float,
) -> None:
    """Publish as a gate does: a server that has not yet heard of the new stream's subjects
    answers "no responders" (nothing stored), so the publication is tried again. Only that: a
    timeout may have stored it, and these tests count what arrives."""
    js = connection.jetstream()
    deadline = time.monotonic() + seconds
    while True:
        try:
            await js.publish(subject, payload, headers=headers)
        except nats.js.errors.NoStreamResponseError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
        else:
            return


@contextlib.asynccontextmanager
async def consuming(
    urls: Sequence[str], engine: Engine, settings: ConsumerSettings | None = None
) -> AsyncIterator[None]:
    """The gate consumer in this process (what `hetao gate-consumer` runs), stopped at the end;
    a process of its own only where a test kills it."""
    decider = Decider(
        session_factory(engine),
        profile=load_profile("hetao"),
        seed_key=bytes(32),
        subjects=SUBJECTS,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        consume(urls, decider, settings or ConsumerSettings(replicas=3), stop)
    )
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
