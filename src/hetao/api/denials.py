"""Refused anonymous requests, counted in memory and audited as one summary per source.

An anonymous caller refused access (no or a bad credential, a locked-out sign-in) used to cost
one durable audit commit per request, all queued behind the database's write lock: noise from
the internet could flood the log and stall the gates. The evidence is kept instead as one audit
event ``auth:anonymous:deny`` per source address and reason every ``api.denial_summary_seconds``:
how many, the first and last time, and the paths asked for (docs/decisions/0009-hardened-edges.md).
A caller who is known (a valid token or session) is still audited at once, request by request.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from hetao.audit.service import Actor, record_event
from hetao.audit.tags import AuthTag
from hetao.storage.engine import unit_of_work
from hetao.storage.types import utcnow

log = logging.getLogger("hetao.api")

TAG = AuthTag.ANONYMOUS_DENY
#: Distinct sources tallied between two flushes; past it, new sources share one tally, so a
#: spray from many addresses cannot grow the process without bound.
MAX_SOURCES = 10_000
#: Distinct paths kept per tally; the rest are counted together.
MAX_PATHS = 20
OTHER = "(other)"


@dataclass(slots=True)
class Tally:
    """Refusals of one source for one reason since the last flush."""

    reason: str
    first_at: dt.datetime
    last_at: dt.datetime
    count: int = 0
    paths: Counter[str] = field(default_factory=Counter)

    def add(self, path: str, at: dt.datetime) -> None:
        self.count += 1
        self.last_at = max(self.last_at, at)
        self.first_at = min(self.first_at, at)
        if path in self.paths or len(self.paths) < MAX_PATHS:
            self.paths[path] += 1
        else:
            self.paths[OTHER] += 1


class RefusalSummaries:
    """Tallies of refused anonymous requests, flushed to the audit log by a thread of its own."""

    def __init__(self, factory: sessionmaker[Session], every_seconds: float) -> None:
        self._factory = factory
        self._every = every_seconds
        self._lock = threading.Lock()
        self._tallies: dict[tuple[str, str], Tally] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def count(self, source: str, code: str, reason: str, path: str) -> None:
        """Note one refusal; nothing is written until the next flush."""
        now = utcnow()
        with self._lock:
            key = (source, code)
            tally = self._tallies.get(key)
            if tally is None:
                if len(self._tallies) >= MAX_SOURCES:
                    key = (OTHER, code)
                    tally = self._tallies.get(key)
                if tally is None:
                    tally = self._tallies[key] = Tally(reason=reason, first_at=now, last_at=now)
            tally.add(path, now)

    def pending(self) -> int:
        """Refusals counted and not yet written."""
        with self._lock:
            return sum(tally.count for tally in self._tallies.values())

    def flush(self) -> int:
        """Write one audit event per source and reason counted; how many events were written.

        On failure the tallies are put back, to be written with the next flush.
        """
        with self._lock:
            taken, self._tallies = self._tallies, {}
        if not taken:
            return 0
        try:
            with unit_of_work(self._factory) as session:
                for (source, code), tally in sorted(taken.items()):
                    record_event(
                        session,
                        TAG,
                        subject_type="source",
                        subject_id=source[:64],
                        actor=Actor("anonymous", source),
                        data={
                            "code": code,
                            "reason": tally.reason,
                            "count": tally.count,
                            "first_at": tally.first_at.isoformat(),
                            "last_at": tally.last_at.isoformat(),
                            "paths": dict(tally.paths.most_common()),
                        },
                    )
        except Exception:
            self._put_back(taken)
            raise
        return len(taken)

    def _put_back(self, taken: dict[tuple[str, str], Tally]) -> None:
        with self._lock:
            for key, tally in taken.items():
                current = self._tallies.get(key)
                if current is None:
                    self._tallies[key] = tally
                    continue
                current.count += tally.count
                current.first_at = min(current.first_at, tally.first_at)
                current.last_at = max(current.last_at, tally.last_at)
                current.paths.update(tally.paths)

    def start(self) -> None:
        """Flush every ``every_seconds`` in a daemon thread until ``stop``."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="refusal-summaries", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the thread and write what is still counted."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._flush_logged()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:  # a busy or unreachable database: the tallies wait for the next turn
            log.exception("refused-access summaries not written; retrying at the next flush")
