"""``hetao serve --workers N``: N processes, each on a listening socket of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HETAO = Path(sys.executable).parent / "hetao"
WAIT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening_sockets(port: int) -> int:
    """How many sockets listen on ``port`` (IPv4), read from the kernel's own table."""
    state_listen = "0A"
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        count += local_port == port and fields[3] == state_listen
    return count


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "HETAO_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "HETAO_DATA_DIR": str(tmp_path / "data"),
        "HETAO_PROFILE": "hetao",
    }
    subprocess.run([HETAO, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
    return env


def wait_for_health(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health") as answer:
                assert answer.status == 200
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the server did not answer /health")


def two_workers(env: dict[str, str]) -> tuple[int, subprocess.Popen[bytes]]:
    """``hetao serve --workers 2`` on a free port, answering /health."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own entry point
        [HETAO, "serve", "--port", str(port), "--workers", "2", "--no-access-log"],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_health(port, process)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return port, process


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_each_worker_listens_on_its_own_socket_and_all_stop_on_sigterm(
    server_env: dict[str, str],
) -> None:
    port, process = two_workers(server_env)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while listening_sockets(port) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the second worker may still be starting
        # One shared socket would let one process take every waiting connection.
        assert listening_sockets(port) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT_SECONDS) == 0
        assert listening_sockets(port) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_workers_stop_when_the_supervisor_is_killed(server_env: dict[str, str]) -> None:
    port, process = two_workers(server_env)
    process.kill()  # SIGKILL: the supervisor cannot pass anything on
    process.wait()
    deadline = time.monotonic() + WAIT_SECONDS
    while listening_sockets(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert listening_sockets(port) == 0  # no orphaned worker keeps the port


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_refused_not_shared(server_env: dict[str, str], workers: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(  # noqa: S603 - our own entry point
            [HETAO, "serve", "--port", str(port), "--workers", workers],
            env=server_env,
            capture_output=True,
            text=True,
            check=False,
            timeout=WAIT_SECONDS,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
