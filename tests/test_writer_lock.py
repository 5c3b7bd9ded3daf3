"""SQLite's writer queue: a committer waits for the lock in the kernel, other threads poll.

SQLite only: the queue is a flock beside the database file
(hetao.storage.writer.WriterQueueConnection).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from hetao.api.problems import is_database_busy
from hetao.storage import writer
from hetao.storage.engine import make_engine
from hetao.storage.writer import writer_lock_waits_in_kernel


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    yield engine
    engine.dispose()


@pytest.fixture
def sleepers(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """The threads that slept (here: polled for the writer lock, hetao.storage.writer)."""
    seen: set[int] = set()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        seen.add(threading.get_ident())
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return seen


def in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed to the test
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)  # a writer stuck forever fails its test
    thread.start()
    return thread, errors


def write_note(engine: Engine, body: str, *, in_kernel: bool) -> Callable[[], None]:
    def write() -> None:
        if in_kernel:
            with writer_lock_waits_in_kernel(), engine.begin() as connection:
                connection.execute(text("INSERT INTO notes VALUES (:b)"), {"b": body})
        else:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO notes VALUES (:b)"), {"b": body})

    return write


def notes(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.scalars(text("SELECT body FROM notes")))


@pytest.mark.parametrize("in_kernel", [True, False])
def test_a_committer_waits_in_the_kernel_where_other_threads_poll(
    engine: Engine, sleepers: set[int], in_kernel: bool
) -> None:
    with engine.connect() as holder:
        holder.begin()  # BEGIN IMMEDIATE: the writer lock, as another process would hold it
        waiter, errors = in_thread(write_note(engine, "waited", in_kernel=in_kernel))
        waiter.join(0.3)  # long enough for a poller to have slept; the writer must still wait
        assert waiter.is_alive()
        holder.rollback()
    waiter.join(10)
    assert not waiter.is_alive()
    assert errors == []
    assert notes(engine) == ["waited"]
    assert (waiter.ident in sleepers) is not in_kernel


def test_a_committer_that_holds_the_lock_polls_for_another_and_fails_as_sqlite_would(
    engine: Engine, sleepers: set[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "BUSY_TIMEOUT_MS", 200)

    def nested() -> None:
        with writer_lock_waits_in_kernel(), engine.begin() as first:
            first.execute(text("INSERT INTO notes VALUES ('first')"))
            with engine.begin() as second:  # a second writer lock: blocking would hang here
                second.execute(text("INSERT INTO notes VALUES ('second')"))

    thread, errors = in_thread(nested)
    thread.join(30)
    assert not thread.is_alive()
    assert len(errors) == 1
    assert isinstance(errors[0], OperationalError)
    assert is_database_busy(errors[0])  # answered 503 with Retry-After, not 500
    assert thread.ident in sleepers
    assert notes(engine) == []


def test_a_thread_polls_again_once_its_block_has_ended(engine: Engine, sleepers: set[int]) -> None:
    def after_the_block() -> None:
        with writer_lock_waits_in_kernel():
            pass
        write_note(engine, "after", in_kernel=False)()

    with engine.connect() as holder:
        holder.begin()
        thread, errors = in_thread(after_the_block)
        thread.join(0.3)
        holder.rollback()
    thread.join(10)
    assert errors == []
    assert thread.ident in sleepers
