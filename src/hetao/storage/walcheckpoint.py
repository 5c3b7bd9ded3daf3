"""SQLite: copy committed pages from the write-ahead log into the database file in the background.

By default SQLite checkpoints inside the commit that leaves the log longer than 1,000 pages: that
writer copies every changed page back and syncs the database file, and meanwhile no other
commit can finish: the gates' latency shows it (docs/performance.md). A server instead
checkpoints from a thread of its own every quarter second, in PASSIVE mode, which never waits
for readers or writers, so commits stay short. The automatic checkpoint remains as a safety
net, at a threshold the background one keeps the log below
(hetao.storage.engine.WAL_AUTOCHECKPOINT_PAGES).
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy import Engine

from hetao.storage.engine import sqlite_file

log = logging.getLogger("hetao.storage.walcheckpoint")


class WalCheckpointer:
    """One thread, on its own connection, checkpointing a SQLite database file periodically."""

    def __init__(self, engine: Engine, *, interval_seconds: float = 0.25) -> None:
        self._path = sqlite_file(engine.url)
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Checkpoints run and log frames they copied, for the bench and the logs.
        self.checkpoints = 0
        self.frames_copied = 0

    @property
    def applies(self) -> bool:
        """Whether there is a SQLite file to checkpoint (not PostgreSQL, not :memory:)."""
        return self._path is not None

    def start(self) -> None:
        if self._path is None or self._thread is not None:
            return
        path = self._path
        self._thread = threading.Thread(
            target=self._run, args=(path,), name="wal-checkpointer", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread after a last checkpoint."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        """One PASSIVE checkpoint: copies what it can, waits for no one."""
        try:
            busy, _, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.OperationalError as error:  # another process is checkpointing
            log.debug("checkpoint skipped: %s", error)
            return
        if not busy:
            self.checkpoints += 1
            self.frames_copied += max(copied, 0)

    def _run(self, path: str) -> None:
        # Its own connection, outside the pool: never a request's, never in a transaction.
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(self._interval):
                self.checkpoint(connection)
            self.checkpoint(connection)
        except Exception:
            log.exception("WAL checkpointer stopped; SQLite's own checkpoints take over")
        finally:
            connection.close()
