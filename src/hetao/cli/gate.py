"""`hetao gate-consumer` and `hetao gate simulate`: gate events over NATS JetStream.

The consumer decides what gates publish (hetao.crossing.jetstream); the simulated gate is the
reference client, with the local queue a gate keeps while the network is down.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from hetao.cli.runner import (
    audited_sessions,
    bad_input,
    database,
    platform,
    print_json,
    read_text,
)

app = typer.Typer(help="Gates over NATS JetStream.", no_args_is_help=True)

#: The gate's device token: from the environment only, so it is in no shell history or `ps`.
GATE_TOKEN_VARIABLE = "HETAO_GATE_TOKEN"  # noqa: S105 (the name of a variable)

Servers = Annotated[
    list[str],
    typer.Option(
        "--server",
        envvar="HETAO_NATS_URL",
        help="A NATS server URL; repeat it for each node of the cluster.",
    ),
]
Prefix = Annotated[str, typer.Option(help="Subject prefix: <prefix>.events.<point> and so on.")]
DEFAULT_SERVERS = ["nats://127.0.0.1:4222"]


def consumer_command(
    server: Servers = DEFAULT_SERVERS,
    prefix: Prefix = "hetao.gates",
    replicas: Annotated[int, typer.Option(help="Copies of the stream: 3 on a 3-node cluster.")] = 1,
    batch: Annotated[int, typer.Option(help="Events fetched and committed together.")] = 64,
    max_ack_pending: Annotated[
        int, typer.Option(help="Events delivered and not yet acked (backpressure).")
    ] = 512,
    max_deliver: Annotated[
        int, typer.Option(help="Deliveries of a failing event before its dead letter.")
    ] = 5,
    ack_wait: Annotated[float, typer.Option(help="Seconds before an unacked event returns.")] = 30,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Decide gate events from JetStream until stopped (SIGTERM or Ctrl-C).

    A durable pull consumer: run several for more throughput or for a standby; each event is
    decided once, its decision published on <prefix>.decisions.<point>, then acked.
    """
    import asyncio
    import logging.config
    import signal

    from hetao import logs
    from hetao.biometrics.provision import builtin_face_check
    from hetao.biometrics.sealed import zone_template_box
    from hetao.crossing import intake
    from hetao.crossing.jetstream import ConsumerSettings, Decider, Subjects, consume

    logging.config.dictConfig(logs.logging_config(log_level))
    settings = ConsumerSettings(
        subjects=Subjects(prefix),
        replicas=replicas,
        batch=batch,
        max_ack_pending=max_ack_pending,
        max_deliver=max_deliver,
        ack_wait_seconds=ack_wait,
    )
    configured = platform()
    seed_key = intake.load_seed_key(configured.settings.resolve(intake.SEED_KEY_FILE))
    # The server's template key: a probe is compared here as `hetao serve` compares it.
    templates = zone_template_box(configured.settings)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for stopping in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stopping, stop.set)
        with database(configured.settings.database_url) as engine:
            decider = Decider(
                audited_sessions(configured, engine),
                profile=configured.profile,
                seed_key=seed_key,
                subjects=settings.subjects,
                faces=builtin_face_check(templates, configured.profile.faces),
            )
            await consume(server, decider, settings, stop)

    asyncio.run(run())


@app.command("simulate")
def simulate(
    point: Annotated[str, typer.Option(help="The crossing point the gate stands at.")],
    server: Servers = DEFAULT_SERVERS,
    prefix: Prefix = "hetao.gates",
    count: Annotated[int, typer.Option(help="Synthetic events to send (a traveller each).")] = 0,
    events: Annotated[
        Path | None, typer.Option(help="Events to send instead: JSON Lines, one payload each.")
    ] = None,
    queue: Annotated[
        Path, typer.Option(help="The gate's local queue (JSON Lines), kept between runs.")
    ] = Path("gate-queue.jsonl"),
    retry_seconds: Annotated[
        float, typer.Option(help="How long to keep trying to hand queued events to NATS.")
    ] = 5.0,
    decision_seconds: Annotated[
        float, typer.Option(help="How long to wait for the decisions.")
    ] = 10.0,
) -> None:
    """Send events as a gate: queued locally while NATS is unreachable, replayed oldest first.

    The token is read from HETAO_GATE_TOKEN. Prints what was published, what is still queued,
    and the decisions heard (event id: outcome).
    """
    import asyncio

    from hetao.crossing.jetstream import LocalQueue, Subjects, simulate_gate

    token = os.environ.get(GATE_TOKEN_VARIABLE, "").strip()
    if not token:
        bad_input(f"set {GATE_TOKEN_VARIABLE} to the gate's device token")
    documents = (
        [json.loads(line) for line in read_text(events).splitlines() if line.strip()]
        if events is not None
        else [synthetic_event(point) for _ in range(count)]
    )
    report = asyncio.run(
        simulate_gate(
            server,
            documents,
            token=token,
            queue=LocalQueue(queue),
            subjects=Subjects(prefix),
            retry_seconds=retry_seconds,
            decision_seconds=decision_seconds,
        )
    )
    print_json(report.as_json())


def synthetic_event(point: str) -> dict[str, Any]:
    """A traveller on foot with a passport the registry does not know (decided all the same)."""
    return {
        "event_id": f"sim-{uuid.uuid4().hex}",
        "crossing_point": point,
        "direction": "inbound",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "subject": {
            "type": "person",
            "document": {
                "kind": "passport",
                "number": f"S{uuid.uuid4().int % 10**7:07d}",
                "issuing_country": "GB",
            },
        },
    }
