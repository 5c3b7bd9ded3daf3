"""Prometheus metrics: named here once, counted where the work happens, read at ``/metrics``.

Under ``hetao serve --workers N`` each worker writes its values to files in the directory that
``PROMETHEUS_MULTIPROC_DIR`` names (prometheus-client's multi-process mode; the supervisor sets
it) and ``/metrics`` adds up every worker's; with one process the values live in memory.
Counts of committed work (ledger movements, audit events) are taken when their transaction
commits, so a rolled-back attempt is never counted.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.orm import Session

#: The environment variable prometheus-client reads for its multi-process directory.
MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
#: A gate waits on the decision: most answer within tens of milliseconds, 503 comes at seconds.
DECISION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Group-commit batches hold 1 to ``max_batch`` (256) items.
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

DECISION_SECONDS = Histogram(
    "hetao_decision_seconds",
    "Time from a crossing's arrival to its durably committed decision, by outcome and line.",
    ["outcome", "line"],
    buckets=DECISION_BUCKETS,
)
GROUP_COMMIT_BATCH = Histogram(
    "hetao_group_commit_batch_size",
    "Items written in one group-commit transaction, by committer.",
    ["committer"],
    buckets=BATCH_BUCKETS,
)
GROUP_COMMIT_QUEUE = Gauge(
    "hetao_group_commit_queue_depth",
    "Items waiting for the group committer when it started its latest batch.",
    ["committer"],
    multiprocess_mode="livesum",
)
LEDGER_MOVEMENTS = Counter(
    "hetao_ledger_movements", "Ledger movements committed (rate: movements per second)."
)
AUDIT_EVENTS = Counter("hetao_audit_events", "Audit events appended to the log and committed.")
SERVER_ERRORS = Counter(
    "hetao_http_server_errors",
    "Answers with a 5xx status, by status (503: overloaded or not ready, retry later).",
    ["status"],
)

#: Where a session keeps the counts its open transaction will add once it commits.
_PENDING = "hetao.metrics.pending"


def count_on_commit(session: Session, counter: Counter, amount: int = 1) -> None:
    """Add ``amount`` to ``counter`` when ``session``'s transaction commits (never on rollback)."""
    pending: dict[Counter, int] = session.info.setdefault(_PENDING, {})
    pending[counter] = pending.get(counter, 0) + amount


@event.listens_for(Session, "after_commit")
def _apply_pending(session: Session) -> None:
    pending: dict[Counter, int] = session.info.pop(_PENDING, {})
    for counter, amount in pending.items():
        counter.inc(amount)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def exposition() -> tuple[bytes, str]:
    """Every metric in Prometheus' text format, with its content type: all workers' values when
    running with several, this process's otherwise."""
    registry: Any = REGISTRY
    if os.environ.get(MULTIPROCESS_DIRECTORY):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def forget_worker(pid: int) -> None:
    """Drop a dead worker's live gauges (its counters and histograms keep counting in the sum)."""
    if os.environ.get(MULTIPROCESS_DIRECTORY):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
