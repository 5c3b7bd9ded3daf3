"""A NATS JetStream cluster on loopback ports, for tests, benches and trying things out.

Each node is Debian's ``nats-server`` with ``-js`` and its own store directory, routed to the
others. ``running_cluster`` starts them, waits until JetStream has a meta leader, and stops
every process it started however the block ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

NATS_SERVER = os.environ.get("HETAO_NATS_SERVER", "nats-server")


def nats_server_binary() -> str | None:
    """The nats-server executable, or None when it is not installed."""
    return shutil.which(NATS_SERVER) or (
        "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
    )


def free_ports(count: int) -> list[int]:
    """Ports the kernel hands out now, all held open together so they differ."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


@dataclass(slots=True)
class NatsNode:
    """One server: client, route and monitoring ports, and its JetStream store."""

    name: str
    client_port: int
    route_port: int
    monitor_port: int
    store: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"


@dataclass(slots=True)
class NatsCluster:
    """Nodes routed to one another; start, kill and restart them one at a time."""

    directory: Path
    binary: str
    nodes: list[NatsNode] = field(default_factory=list)

    @classmethod
    def plan(cls, directory: Path, *, size: int, binary: str) -> NatsCluster:
        ports = free_ports(3 * size)
        nodes = [
            NatsNode(
                f"n{n + 1}",
                client_port=ports[3 * n],
                route_port=ports[3 * n + 1],
                monitor_port=ports[3 * n + 2],
                store=directory / f"n{n + 1}",
            )
            for n in range(size)
        ]
        return cls(directory, binary, nodes)

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def start(self, node: NatsNode) -> None:
        """Start ``node`` (again), its log beside its store."""
        routes = ",".join(
            f"nats://127.0.0.1:{other.route_port}" for other in self.nodes if other is not node
        )
        command = [
            self.binary, "-js", "-sd", str(node.store), "-a", "127.0.0.1",
            "-p", str(node.client_port), "-m", str(node.monitor_port),
            "--server_name", node.name, "--cluster_name", "hetao",
            "--cluster", f"nats://127.0.0.1:{node.route_port}", "--routes", routes,
        ]  # fmt: skip
        node.store.mkdir(parents=True, exist_ok=True)
        with (self.directory / f"{node.name}.log").open("ab") as log:
            # Our own argv, no shell.
            node.process = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603

    def kill(self, node: NatsNode) -> None:
        """SIGKILL: the node dies as a machine losing power would, mid-write."""
        if node.process is not None and node.process.poll() is None:
            node.process.send_signal(signal.SIGKILL)
            node.process.wait(timeout=10)
        node.process = None

    def stop(self) -> None:
        """Terminate every node started; kill one that does not stop within 10 s."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.kill(node)
            node.process = None

    def meta_leader(self, node: NatsNode) -> str | None:
        """The JetStream meta leader ``node`` knows of, from its monitoring port."""
        url = f"http://127.0.0.1:{node.monitor_port}/jsz"
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                leader = json.load(answer).get("meta_cluster", {}).get("leader")
        except (OSError, ValueError):
            return None
        return str(leader) if leader else None

    def wait_ready(self, *, seconds: float) -> None:
        """Until every running node knows the same meta leader; RuntimeError after ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            running = [n for n in self.nodes if n.process is not None]
            for node in running:
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(f"{node.name} exited; see {self.directory}/{node.name}.log")
            leaders = {self.meta_leader(node) for node in running}
            if len(leaders) == 1 and None not in leaders:
                return
            time.sleep(0.2)
        raise RuntimeError(f"JetStream had no meta leader within {seconds} s; see {self.directory}")


@contextlib.contextmanager
def running_cluster(
    directory: Path, *, size: int = 3, binary: str | None = None, ready_seconds: float = 30.0
) -> Iterator[NatsCluster]:
    """A cluster of ``size`` nodes in ``directory``, ready, and stopped at the end."""
    executable = binary or nats_server_binary()
    if executable is None:
        raise FileNotFoundError("nats-server is not installed (apt-get install nats-server)")
    cluster = NatsCluster.plan(directory, size=size, binary=executable)
    try:
        for node in cluster.nodes:
            cluster.start(node)
        cluster.wait_ready(seconds=ready_seconds)
        yield cluster
    finally:
        cluster.stop()
