"""`hetao gate-consumer` on a 3-node JetStream cluster, on SQLite and PostgreSQL: each event is
decided once and answered; what cannot be decided goes to the dead letters with its reason; a
killed consumer and a killed node lose nothing and decide nothing twice."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from nats.aio.client import Client
from sqlalchemy import Engine

from crossing.jetstream.support import (
    SUBJECTS,
    Consumer,
    Heard,
    consuming,
    decide_audit_events,
    decision_rows,
    event,
    listen,
    publish,
    reason_of,
    stream_leader,
    until,
)
from hetao.auth.tokens import format_token
from hetao.crossing.jetstream import (
    AUTHORIZATION_HEADER,
    MESSAGE_ID_HEADER,
    ConsumerSettings,
    GateClient,
    GateReport,
    LocalQueue,
)
from hetao.natscluster import NatsCluster
from hetao.storage.engine import make_engine

#: Bounds of each wait; generous for a loaded 2-core machine, never asserted as a duration.
WAIT_SECONDS = 60.0


class TestDecidingGateEvents:
    def test_decides_every_event_exactly_once_and_answers_the_gate(
        self,
        cluster: NatsCluster,
        gate_token: str,
        committing_engine: Engine,
        tmp_path: Path,
    ) -> None:
        events = [event() for _ in range(60)]
        repeated = events[0]

        async def scenario() -> None:
            connection, heard = await listen(cluster.urls)
            try:
                async with consuming(cluster.urls, committing_engine):
                    await stream_leader(connection, seconds=WAIT_SECONDS)
                    await decide_all(connection, heard)
            finally:
                await connection.close()
            assert heard.decided() == {e["event_id"] for e in events}
            answers = [d for event_id, d in heard.decisions if event_id == repeated["event_id"]]
            assert len(answers) == 2
            assert answers[0]["decision"]["id"] == answers[1]["decision"]["id"]

        async def decide_all(connection: Client, heard: Heard) -> None:
            gate = GateClient(
                connection.jetstream(), SUBJECTS, gate_token, LocalQueue(tmp_path / "q.jsonl")
            )
            report = GateReport()
            await gate.send(events, report, retry_seconds=WAIT_SECONDS)
            assert report.queued == 0
            # The same event again under another message id (past the dedupe window):
            # the stored decision is answered again, nothing decided twice.
            await publish(
                connection,
                SUBJECTS.events(repeated["crossing_point"]),
                json.dumps(repeated).encode(),
                {
                    AUTHORIZATION_HEADER: f"Bearer {gate_token}",
                    MESSAGE_ID_HEADER: f"again-{repeated['event_id']}",
                },
                seconds=WAIT_SECONDS,
            )
            await until(
                lambda: len(heard.decisions) > len(events),
                seconds=WAIT_SECONDS,
                what="a decision for every event and for the repeated one",
            )

        asyncio.run(scenario())
        assert decision_rows(committing_engine) == {e["event_id"]: 1 for e in events}
        assert decide_audit_events(committing_engine) == len(events)


class TestDeadLetters:
    def test_an_undecidable_event_goes_to_the_dead_letters_with_its_reason(
        self,
        cluster: NatsCluster,
        gate_token: str,
        committing_engine: Engine,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        valid = event()
        no_direction = {k: v for k, v in event().items() if k != "direction"}
        wrong_token = format_token(999, secrets.token_urlsafe(32))
        subject = SUBJECTS.events(valid["crossing_point"])
        bearer = {AUTHORIZATION_HEADER: f"Bearer {gate_token}"}

        async def scenario() -> list[str]:
            connection, heard = await listen(cluster.urls)
            try:
                async with consuming(cluster.urls, committing_engine):
                    await stream_leader(connection, seconds=WAIT_SECONDS)
                    await publish_bad_then_valid(connection, heard)
                return sorted(reason_of(message) for message in heard.dead)
            finally:
                await connection.close()

        async def publish_bad_then_valid(connection: Client, heard: Heard) -> None:
            for payload, headers in (
                (b"{not json", {**bearer, MESSAGE_ID_HEADER: "a"}),
                (
                    json.dumps(no_direction).encode(),
                    {**bearer, MESSAGE_ID_HEADER: no_direction["event_id"]},
                ),
                (json.dumps(event()).encode(), {AUTHORIZATION_HEADER: f"Bearer {wrong_token}"}),
                # The consumer lives on: a valid event after them is decided.
                (json.dumps(valid).encode(), bearer),
            ):
                await publish(connection, subject, payload, headers, seconds=WAIT_SECONDS)
            await until(
                lambda: len(heard.dead) == 3 and valid["event_id"] in heard.decided(),
                seconds=WAIT_SECONDS,
                what="three dead letters and the valid event decided",
            )
            for message in heard.dead:
                seen = json.dumps(dict(message.headers or {})) + message.data.decode()
                assert gate_token not in seen
                assert wrong_token not in seen

        reasons = asyncio.run(scenario())
        assert "dead letter" in caplog.text
        assert gate_token not in caplog.text
        assert wrong_token not in caplog.text
        assert [reason.split(": ")[:2] for reason in reasons] == [
            ["Authorization", "auth.bearer"],
            ["body", "json.invalid"],
            ["direction", "missing"],
        ]
        assert decision_rows(committing_engine) == {valid["event_id"]: 1}

    def test_an_event_the_database_keeps_failing_goes_to_the_dead_letters_after_max_deliver(
        self, cluster: NatsCluster, tmp_path: Path
    ) -> None:
        # A database file in a directory that does not exist: every delivery fails to connect.
        engine = make_engine(f"sqlite:///{(tmp_path / 'absent' / 'db.sqlite3').as_posix()}")
        settings = ConsumerSettings(replicas=3, max_deliver=2, retry_delay_seconds=0.1)
        token = format_token(1, secrets.token_urlsafe(32))

        async def scenario() -> str:
            connection, heard = await listen(cluster.urls)
            try:
                async with consuming(cluster.urls, engine, settings):
                    await stream_leader(connection, seconds=WAIT_SECONDS)
                    await publish(
                        connection,
                        SUBJECTS.events("FBZ_CHANNEL_1"),
                        json.dumps(event()).encode(),
                        {AUTHORIZATION_HEADER: f"Bearer {token}"},
                        seconds=WAIT_SECONDS,
                    )
                    await until(
                        lambda: len(heard.dead) == 1, seconds=WAIT_SECONDS, what="a dead letter"
                    )
                return reason_of(heard.dead[0])
            finally:
                await connection.close()
                engine.dispose()

        reason = asyncio.run(scenario())
        assert reason.startswith("database: OperationalError:")
        assert reason.endswith("(after 2 deliveries)")


class TestFailures:
    def test_a_killed_consumer_and_a_killed_node_lose_no_event_and_decide_none_twice(
        self,
        cluster: NatsCluster,
        start_consumer: Callable[..., Consumer],
        gate_token: str,
        committing_engine: Engine,
        tmp_path: Path,
    ) -> None:
        events = [event() for _ in range(160)]

        async def scenario() -> GateReport:
            connection, heard = await listen(cluster.urls)
            try:
                first = start_consumer("--batch", "16")
                await stream_leader(connection, seconds=WAIT_SECONDS)
                gate = GateClient(
                    connection.jetstream(), SUBJECTS, gate_token, LocalQueue(tmp_path / "q.jsonl")
                )
                report = GateReport()

                async def load() -> None:
                    for start in range(0, len(events), 8):  # a steady flow, not one burst
                        await gate.send(events[start : start + 8], report, retry_seconds=30)
                        await asyncio.sleep(0.02)

                loading = asyncio.create_task(load())
                await until(
                    lambda: len(heard.decided()) >= 40, seconds=WAIT_SECONDS, what="40 decisions"
                )
                first.kill()
                leader = await stream_leader(connection, seconds=WAIT_SECONDS)
                cluster.kill(next(node for node in cluster.nodes if node.name == leader))
                start_consumer("--batch", "16")
                await stream_leader(connection, seconds=WAIT_SECONDS)
                await asyncio.wait_for(loading, WAIT_SECONDS)
                wanted = {e["event_id"] for e in events}
                await until(
                    lambda: set(decision_rows(committing_engine)) == wanted,
                    seconds=WAIT_SECONDS,
                    what="a stored decision for every event",
                )
                return report
            finally:
                await connection.close()

        report = asyncio.run(scenario())
        assert report.queued == 0
        assert decision_rows(committing_engine) == {e["event_id"]: 1 for e in events}
        assert decide_audit_events(committing_engine) == len(events)
