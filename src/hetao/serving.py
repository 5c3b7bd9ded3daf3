"""Serving the app from several processes, each with a listening socket of its own.

A worker's Python runs one thread at a time, so a machine's cores need a process each. With
uvicorn's own ``--workers`` all processes accept from one shared socket, and whichever wakes
first takes every connection waiting in the backlog: gates keep their connections open, so
one process ends up with nearly all of them while the others idle (docs/performance.md).
Here each process binds its own socket to the same address
with SO_REUSEPORT, and the kernel spreads new connections across them.

The parent only supervises: it restarts a worker that dies, and on SIGINT or SIGTERM asks
every worker to finish its requests (and its queued decisions) and waits for them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import logging.config
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from hetao import logs, metrics

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("hetao.serving")

#: The application, as uvicorn imports it in each worker.
APP = "hetao.serving:served_app"
#: How long a worker that was asked to stop may take before it is killed.
STOP_SECONDS = 60.0
#: A worker that dies sooner than this after starting is not restarted: it would only die again.
MIN_LIFETIME_SECONDS = 5.0


def listening_socket(host: str, port: int, *, shared: bool) -> socket.socket:
    """A socket bound to ``host:port``; ``shared``: other workers may bind it too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


#: Linux's prctl option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def stop_with_parent(parent: int) -> None:
    """Ask Linux for SIGTERM when the supervisor dies, even by SIGKILL, so that no orphaned
    worker keeps serving (and holding the port) with nobody to stop it. Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def served_app() -> FastAPI:
    """The application of a server process, its startup heap frozen.

    What exists at startup (profile, routes, models, compiled tables) lives as long as the
    process: kept out of the collector's full passes, which would stall requests walking it.
    Only here, where one application owns the process: frozen objects are never collected, so
    freezing in every application's start kept each test's application for good.
    """
    from hetao.app import create_app

    application = create_app()
    gc.collect()
    gc.freeze()
    return application


def serve_one(
    host: str, port: int, access_log: bool, log_level: str, shared: bool, parent: int | None = None
) -> None:
    """One worker: its own socket, uvicorn serving the app on it until told to stop."""
    import uvicorn

    if parent is not None:
        stop_with_parent(parent)

    config = uvicorn.Config(
        APP,
        factory=True,
        access_log=access_log,
        log_level=log_level,
        log_config=logs.logging_config(log_level),
        host=host,
        port=port,
    )
    uvicorn.Server(config).run(sockets=[listening_socket(host, port, shared=shared)])


def serve(
    *, host: str, port: int, workers: int, access_log: bool = True, log_level: str = "info"
) -> int:
    """Run ``workers`` worker processes until a signal; the exit status of the whole."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if workers == 1:
        serve_one(host, port, access_log, log_level, shared=False)
        return 0
    # Not shared: a port another server holds (even a hetao of its own) is refused here, rather
    # than silently split with it.
    listening_socket(host, port, shared=False).close()
    logging.config.dictConfig(logs.logging_config(log_level))
    metrics_directory = _metrics_directory()
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> tuple[BaseProcess, float]:
        process = context.Process(
            target=serve_one,
            args=(host, port, access_log, log_level, True, os.getpid()),
            name="hetao-worker",
        )
        process.start()
        return process, time.monotonic()

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        log.info("%s: stopping %d workers", signal.Signals(signum).name, workers)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    running = [start() for _ in range(workers)]
    failed = False
    try:
        while not stopping and not failed:
            time.sleep(0.2)
            for n, (process, started) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started < MIN_LIFETIME_SECONDS:
                    log.error("worker %s exited at start (%s)", process.pid, process.exitcode)
                    failed = True
                    break
                log.warning(
                    "worker %s exited (%s); starting another", process.pid, process.exitcode
                )
                if process.pid is not None:
                    metrics.forget_worker(process.pid)
                running[n] = start()
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes in-flight requests, then ends
        deadline = time.monotonic() + STOP_SECONDS
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("worker %s did not stop in %.0f s; killing it", process.pid, STOP_SECONDS)
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if metrics_directory is not None:
            shutil.rmtree(metrics_directory, ignore_errors=True)
    return 1 if failed else 0


def _metrics_directory() -> str | None:
    """Give the workers a shared directory for their metrics (prometheus-client's multi-process
    mode), made here and removed at the end; an operator's own directory is emptied instead,
    so counts of an earlier run are not added to this one. None: the operator's, kept."""
    chosen = os.environ.get(metrics.MULTIPROCESS_DIRECTORY)
    if chosen:
        for stale in Path(chosen).glob("*.db"):
            stale.unlink()
        return None
    made = tempfile.mkdtemp(prefix="hetao-metrics-")
    # Inherited by the spawned workers, which read it when they import prometheus-client.
    os.environ[metrics.MULTIPROCESS_DIRECTORY] = made
    return made
