"""A 3-node JetStream cluster on loopback ports, a committing database, a gate and consumers.

Every process a test starts (NATS nodes, `hetao gate-consumer`) is stopped when it ends, also
on failure. nats-server missing: the tests skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Engine

from conftest import IN_CI
from crossing.jetstream.support import GATE_POINT, Consumer
from factories import make_gate_token
from hetao.natscluster import NatsCluster, nats_server_binary, running_cluster
from hetao.profiles import load_profile
from hetao.storage.engine import session_factory, unit_of_work


@pytest.fixture(scope="session")
def nats_server() -> str:
    binary = nats_server_binary()
    if binary is None:
        reason = "nats-server is not installed (apt-get install nats-server)"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true: the JetStream tests must run")
        pytest.skip(reason)
    return binary


@pytest.fixture
def cluster(nats_server: str, tmp_path: Path) -> Iterator[NatsCluster]:
    """Three nodes with JetStream, routed to one another, with a meta leader."""
    with running_cluster(tmp_path / "nats", size=3, binary=nats_server) as nodes:
        yield nodes


@pytest.fixture
def gate_token(committing_engine: Engine) -> str:
    """A gate device token for the test point, committed."""
    with unit_of_work(session_factory(committing_engine)) as session:
        return make_gate_token(session, load_profile("hetao"), point=GATE_POINT)


@pytest.fixture
def consumer_env(committing_engine: Engine) -> dict[str, str]:
    """The environment of a `hetao gate-consumer` on the test's database."""
    return {
        **os.environ,
        "HETAO_DATABASE_URL": committing_engine.url.render_as_string(hide_password=False),
        "HETAO_PROFILE": "hetao",
    }


@pytest.fixture
def start_consumer(
    cluster: NatsCluster, consumer_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., Consumer]]:
    """Start `hetao gate-consumer` processes on the cluster; each is stopped at the end."""
    with ExitStack() as stack:

        def start(*options: str) -> Consumer:
            consumer = Consumer.start(cluster.urls, consumer_env, tmp_path, *options)
            stack.callback(consumer.stop)
            return consumer

        yield start


@pytest.fixture
def hetao_env(consumer_env: dict[str, str], gate_token: str) -> dict[str, str]:
    """A gate's environment: its token, as `hetao gate simulate` reads it."""
    return {**consumer_env, "HETAO_GATE_TOKEN": gate_token}
