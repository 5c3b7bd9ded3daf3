"""Group commit: many small writes from many requests in one transaction and one fsync.

A durable commit costs a disk flush and, on SQLite, the one write lock; a gate posts hundreds
of crossings a second. So request threads do their reading and
deciding on their own, then hand the write to one committer thread per process, which takes
whatever has queued while the previous batch committed and writes it in one unit of work.
Each caller waits for its own item's result or error.

If a batch fails as a whole (a constraint, a lost connection), nothing of it is kept, and its
items are written again one by one, so one bad item fails alone and no good one is lost.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from hetao import metrics
from hetao.storage.engine import unit_of_work
from hetao.storage.writer import writer_lock_waits_in_kernel

log = logging.getLogger("hetao.storage.groupcommit")

Item = TypeVar("Item")
Result = TypeVar("Result")

#: Writes one batch in the session; per item, its result or the error that item alone raised
#: (checked before anything of that item was written). Anything raised fails the whole batch.
BatchWriter = Callable[[Session, Sequence[Item]], list[Result | Exception]]


class CommitterClosed(RuntimeError):
    """The committer was closed: the application is shutting down."""


class CommitterFull(RuntimeError):
    """As many items as the committer may hold are already waiting: the caller should shed
    the request (and its client retry later) rather than wait behind all of them."""


@dataclass(slots=True)
class _Pending(Generic[Item, Result]):
    item: Item
    future: Future[Result] = field(default_factory=Future)


class GroupCommitter(Generic[Item, Result]):
    """One thread that writes queued items in batches; ``submit`` returns a Future per item.

    The thread starts on the first item and ends after ``idle_seconds`` with nothing queued, so
    an application that stops posting (or a test's app) leaves no thread or connection behind.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        write: BatchWriter[Item, Result],
        *,
        name: str,
        max_batch: int = 256,
        max_queued: int | None = None,
        idle_seconds: float = 5.0,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if max_queued is not None and max_queued < 1:
            raise ValueError("max_queued must be at least 1")
        self._factory = factory
        self._write = write
        self._name = name
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._idle_seconds = idle_seconds
        #: Items to write; None only wakes the thread to see that the committer was closed.
        self._queue: queue.SimpleQueue[_Pending[Item, Result] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: Batches committed and items in them, for the bench and the logs.
        self.batches = 0
        self.items = 0

    @property
    def running(self) -> bool:
        """Whether the committer thread is alive (it ends when idle)."""
        with self._lock:
            return self._thread is not None

    def submit(self, item: Item) -> Future[Result]:
        """Queue ``item``; its Future gets the writer's result, or its exception.

        Raises CommitterFull when ``max_queued`` items are already waiting.
        """
        pending: _Pending[Item, Result] = _Pending(item)
        with self._lock:
            if self._closed:
                raise CommitterClosed(f"{self._name} is closed")
            if self._max_queued is not None and self._queue.qsize() >= self._max_queued:
                raise CommitterFull(f"{self._name} has {self._max_queued} items waiting")
            self._queue.put(pending)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        return pending.future

    def close(self, timeout: float = 30.0) -> None:
        """Refuse new items and wait for the queued ones to be written."""
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(None)  # an idle thread would otherwise sleep out idle_seconds
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        with writer_lock_waits_in_kernel():  # this thread's transactions never overlap
            self._serve()

    def _serve(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:  # submit queues under this lock: nothing can slip in now
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [] if first is None else [first]
            self._take_queued(batch)
            if batch:
                self._commit(batch)
            if self._closed and self._queue.empty():
                with self._lock:
                    self._thread = None
                return

    def _take_queued(self, batch: list[_Pending[Item, Result]]) -> None:
        """Add to ``batch`` what is queued now, up to ``max_batch`` items."""
        while len(batch) < self._max_batch:
            try:
                queued = self._queue.get_nowait()
            except queue.Empty:
                return
            if queued is not None:
                batch.append(queued)

    def _commit(self, batch: list[_Pending[Item, Result]], *, top_up: bool = True) -> None:
        metrics.GROUP_COMMIT_QUEUE.labels(self._name).set(self._queue.qsize())
        try:
            results = self._write_batch(batch, top_up=top_up)
        except Exception as error:
            if len(batch) == 1:
                batch[0].future.set_exception(error)
                return
            log.warning(
                "%s: a batch of %d failed (%s); writing one by one", self._name, len(batch), error
            )
            for pending in batch:
                self._commit([pending], top_up=False)
            return
        self.batches += 1
        self.items += len(batch)
        metrics.GROUP_COMMIT_BATCH.labels(self._name).observe(len(batch))
        for pending, result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                pending.future.set_exception(result)
            else:
                pending.future.set_result(result)

    def _write_batch(
        self, batch: list[_Pending[Item, Result]], *, top_up: bool
    ) -> list[Result | Exception]:
        with unit_of_work(self._factory) as session:
            session.connection()  # begin: on SQLite, this waits for the write lock
            if top_up:
                # What queued while this thread waited for the lock goes in now, not one lock
                # wait later (another process's committer may hold it for milliseconds).
                self._take_queued(batch)
            results = self._write(session, [p.item for p in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{self._name}: {len(results)} results for {len(batch)} items")
        return results
