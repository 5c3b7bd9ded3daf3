"""SQLite's one writer, queued on an OS file lock so the kernel hands the lock over at once."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: How long a SQLite writer waits for the write lock before "database is locked" (then 503).
BUSY_TIMEOUT_MS = 10_000


class _WriterLocks:
    """Which threads wait for the writer lock in the kernel, and how many each holds.

    A thread in ``writer_lock_waits_in_kernel`` (a group committer) waits in a blocking
    flock, so the kernel wakes it the moment another process commits; unless it already holds
    a writer lock, in which case it polls like any other thread (blocking would deadlock it).
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._blocking: set[int] = set()
        self._held: dict[int, int] = {}

    def mark_blocking(self, thread: int, *, blocking: bool) -> None:
        with self._mutex:
            if blocking:
                self._blocking.add(thread)
            else:  # a thread id is reused once its thread has ended
                self._blocking.discard(thread)

    def may_block(self, thread: int) -> bool:
        with self._mutex:
            return thread in self._blocking and not self._held.get(thread)

    def taken(self, thread: int) -> None:
        with self._mutex:
            self._held[thread] = self._held.get(thread, 0) + 1

    def released(self, thread: int) -> None:
        with self._mutex:
            left = self._held.get(thread, 0) - 1
            if left > 0:
                self._held[thread] = left
            else:
                self._held.pop(thread, None)


_WRITER_LOCKS = _WriterLocks()


@contextmanager
def writer_lock_waits_in_kernel() -> Iterator[None]:
    """While the block runs, the calling thread waits for SQLite's writer lock in the kernel
    instead of polling.

    For a thread whose write transactions never overlap (a group committer). Polling every
    half millisecond, a committer woke thousands of times a second, each time taking the GIL
    from its process's request thread, and found the lock free only after its next wakeup
    and its next turn at the GIL: the lock, which all workers share, sat idle meanwhile
    (docs/performance.md). The wait has no time limit: what holds the lock is another hetao
    transaction, which ends; the requests behind a waiting committer answer 503 after their
    own limit.
    """
    thread = threading.get_ident()
    _WRITER_LOCKS.mark_blocking(thread, blocking=True)
    try:
        yield
    finally:
        _WRITER_LOCKS.mark_blocking(thread, blocking=False)


class WriterQueueConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions also hold an OS file lock until they end.

    SQLite's own busy handler polls a held write lock with sleeps of 1, 2, 5, 10 ... 100 ms, so
    a writer that arrives just after another may sleep long after the lock is free. Writers of
    every process on this database first queue on ``flock`` of ``<database>-writer.lock``, which
    the kernel hands over the moment it is released, and only then begin IMMEDIATE.
    """

    writer_lock_fd: int | None = None
    #: The thread that took the lock, while it is held (its count goes down on release,
    #: whichever thread releases).
    writer_lock_taker: int | None = None

    def take_writer_lock(self) -> None:
        """Wait for the lock: in the kernel on a thread in ``writer_lock_waits_in_kernel``;
        elsewhere polling every half millisecond, at most as long as busy_timeout.

        Not a blocking flock by default: a thread that already holds a write transaction and
        opens a second one would then wait forever; this way it fails as SQLite's own lock
        would.
        """
        if self.writer_lock_fd is None or self.writer_lock_taker is not None:
            return
        thread = threading.get_ident()
        if _WRITER_LOCKS.may_block(thread):
            fcntl.flock(self.writer_lock_fd, fcntl.LOCK_EX)  # the GIL is free while it waits
        else:
            self._poll_writer_lock(self.writer_lock_fd)
        self.writer_lock_taker = thread
        _WRITER_LOCKS.taken(thread)

    @staticmethod
    def _poll_writer_lock(descriptor: int) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(0.0005)
            else:
                return

    def release_writer_lock(self) -> None:
        if self.writer_lock_taker is not None and self.writer_lock_fd is not None:
            fcntl.flock(self.writer_lock_fd, fcntl.LOCK_UN)
            _WRITER_LOCKS.released(self.writer_lock_taker)
            self.writer_lock_taker = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_writer_lock()  # after COMMIT: the next writer finds SQLite's lock free

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writer_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writer_lock()
            if self.writer_lock_fd is not None:
                os.close(self.writer_lock_fd)
                self.writer_lock_fd = None
