"""What anonymous noise costs a server: refused requests, and one huge anonymous body.

Serves the platform with uvicorn in a process of its own over a fresh SQLite database (durable
commits, as in production) and measures, each beside a floor taken in the same run:

* 300 anonymous requests refused with 401: wall time, and audit rows written while they ran
  (floor: 300 anonymous GET /api/v1/health, which write nothing);
* the worker's peak resident memory after one anonymous POST of ``--megabytes`` MB sent whole
  (floor: its peak after an anonymous POST of 1 kB).

``--source DIR`` serves another checkout's ``src`` (an older commit, to compare):

    .venv/bin/python bench/hostile_edges.py [--source /tmp/old/src] [--megabytes 95]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
REFUSED = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def server(source: Path, data_dir: Path) -> Iterator[tuple[int, int]]:
    """A one-process uvicorn serving ``source``; yields its port and pid."""
    env = os.environ | {
        "PYTHONPATH": str(source),
        "HETAO_DATA_DIR": str(data_dir),
        "HETAO_COOKIES_SECURE": "false",
        "HETAO_RATE_BURST": "100000",
        "HETAO_RATE_PER_SECOND": "100000",
    }
    subprocess.run(
        [sys.executable, "-c", "from hetao.cli import main; main()", "db", "upgrade"],
        env=env,
        check=True,
        timeout=300,
    )
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [
            sys.executable,
            "-m",
            "uvicorn",
            "hetao.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def request(port: int, head: str, body: bytes = b"") -> int:
    """One request on its own connection; the status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as connection:
        connection.sendall(head.encode("latin-1") + b"\r\n")
        view = memoryview(body)
        for start in range(0, len(body), 1 << 20):
            try:
                connection.sendall(view[start : start + (1 << 20)])
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed without reading it all
        answer = connection.recv(65536)
    return int(answer.split(b" ", 2)[1])


def get_head(path: str) -> str:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"


def post_head(path: str, length: int) -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
    )


def peak_resident_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM): a body freed after it was parsed
    still counts."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def audit_rows(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return int(connection.execute("SELECT count(*) FROM audit_events").fetchone()[0])


def timed(port: int, head: str, expected: int) -> float:
    started = time.perf_counter()
    for _ in range(REFUSED):
        status = request(port, head)
        assert status == expected, status  # noqa: S101 (a bench that measured errors lies)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=HERE / "src")
    parser.add_argument("--megabytes", type=int, default=95)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        with server(arguments.source.resolve(), data_dir) as (port, pid):
            database = data_dir / "hetao.sqlite3"
            floor_seconds = timed(port, get_head("/api/v1/health"), 200)
            rows_before = audit_rows(database)
            refused_seconds = timed(port, get_head("/api/v1/parties"), 401)
            rows_written = audit_rows(database) - rows_before
            small = b"{" + b" " * 1022 + b"}"
            request(port, post_head("/api/v1/parties", len(small)), small)
            floor_mb = peak_resident_mb(pid)
            huge = b"[" + b"0," * (arguments.megabytes * 500_000) + b"0]"
            status = request(port, post_head("/api/v1/parties", len(huge)), huge)
            time.sleep(0.5)
            after_mb = peak_resident_mb(pid)
        # The server has stopped: what it kept of the refusals is in the log now.
        with contextlib.closing(sqlite3.connect(database)) as connection:
            summaries = connection.execute(
                "SELECT data FROM audit_events WHERE tag = 'auth:anonymous:deny'"
            ).fetchall()
    print(f"source: {arguments.source}")
    print(
        f"{REFUSED} anonymous 401s: {refused_seconds:.2f} s, {rows_written} audit rows written; "
        f"floor ({REFUSED} GET /health): {floor_seconds:.2f} s; "
        f"ratio {refused_seconds / floor_seconds:.2f}"
    )
    print(f"audit summaries of refused anonymous requests at shutdown: {summaries}")
    print(
        f"anonymous POST of {len(huge) / 1e6:.0f} MB: answered {status}; worker "
        f"peak {after_mb:.0f} MB after it, floor (after a 1 kB POST) {floor_mb:.0f} MB; "
        f"ratio {after_mb / floor_mb:.2f}"
    )


if __name__ == "__main__":
    main()
