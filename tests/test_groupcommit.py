"""The group committer: batches really commit together, and a bad item fails alone.

Run on both databases with real commits (``committing_engine``), against a scratch table.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hetao.errors import Conflict
from hetao.storage.engine import session_factory
from hetao.storage.groupcommit import CommitterClosed, CommitterFull, GroupCommitter

METADATA = MetaData()
NOTES = Table(
    "groupcommit_notes",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("body", String(20), unique=True, nullable=False),
)


@pytest.fixture
def engine(committing_engine: Engine) -> Engine:
    METADATA.create_all(committing_engine)
    return committing_engine


def write_notes(session: Session, bodies: Sequence[str]) -> list[int | Exception]:
    """One row per body; a body starting with '!' is refused before anything is written."""
    results: list[int | Exception] = []
    for body in bodies:
        if body.startswith("!"):
            results.append(Conflict(f"{body} refused"))
            continue
        new_id = session.execute(insert(NOTES).values(body=body).returning(NOTES.c.id)).scalar_one()
        results.append(new_id)
    return results


def stored(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.scalars(select(NOTES.c.body)))


class FirstBatchHeld:
    """A writer of notes that holds the batch of the one note ``body`` until released: the
    committer is busy writing it while the test queues more."""

    def __init__(self, body: str = "first") -> None:
        self.body = body
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, session: Session, bodies: Sequence[str]) -> list[int | Exception]:
        if bodies == [self.body]:
            self.entered.set()
            self.release.wait(10)
        return write_notes(session, bodies)


def test_items_queued_while_a_batch_commits_go_in_one_batch(engine: Engine) -> None:
    writer = FirstBatchHeld()
    committer = GroupCommitter(session_factory(engine), writer, name="test")
    first = committer.submit("first")
    assert writer.entered.wait(10)
    queued = [committer.submit(f"note-{n}") for n in range(40)]
    writer.release.set()

    assert isinstance(first.result(10), int)
    assert len({f.result(10) for f in queued}) == 40
    assert committer.batches == 2  # the first alone, then the 40 that waited for it
    assert committer.items == 41
    assert len(stored(engine)) == 41


def test_items_queued_while_the_committer_waits_for_the_write_lock_join_its_batch(
    engine: Engine,
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's BEGIN takes no lock; only SQLite's committer waits to begin")
    committer = GroupCommitter(session_factory(engine), write_notes, name="test")
    with engine.connect() as other_writer:
        other_writer.begin()  # BEGIN IMMEDIATE: holds the one write lock (as another process)
        first = committer.submit("first")
        time.sleep(0.3)  # the committer takes "first", then waits for the lock
        queued = [committer.submit(f"note-{n}") for n in range(5)]
        other_writer.rollback()

    assert isinstance(first.result(10), int)
    assert len({f.result(10) for f in queued}) == 5
    assert committer.batches == 1  # not "first" alone after the wait, then the 5 after another
    assert len(stored(engine)) == 6


def test_an_item_refused_by_the_writer_fails_alone(engine: Engine) -> None:
    committer = GroupCommitter(session_factory(engine), write_notes, name="test")
    futures = [committer.submit(body) for body in ("a", "!b", "c")]

    assert isinstance(futures[0].result(10), int)
    with pytest.raises(Conflict, match="!b refused"):
        futures[1].result(10)
    assert isinstance(futures[2].result(10), int)
    assert stored(engine) == ["a", "c"]


def test_a_batch_that_fails_is_rolled_back_and_written_again_item_by_item(
    engine: Engine,
) -> None:
    writer = FirstBatchHeld("hold")
    committer = GroupCommitter(session_factory(engine), writer, name="test")
    committer.submit("hold")
    assert writer.entered.wait(10)
    # Queued together: the duplicate's unique violation fails the whole batch at the database.
    futures = [committer.submit(body) for body in ("x", "dup", "dup", "y")]
    writer.release.set()

    assert isinstance(futures[0].result(10), int)
    assert isinstance(futures[1].result(10), int)
    with pytest.raises(IntegrityError):
        futures[2].result(10)
    assert isinstance(futures[3].result(10), int)
    assert stored(engine) == ["dup", "hold", "x", "y"]


def test_close_writes_what_is_queued_then_refuses_more(engine: Engine) -> None:
    committer = GroupCommitter(session_factory(engine), write_notes, name="test")
    futures = [committer.submit(f"n{n}") for n in range(10)]
    committer.close()

    assert all(f.done() for f in futures)
    assert len(stored(engine)) == 10
    with pytest.raises(CommitterClosed):
        committer.submit("late")


def test_close_wakes_an_idle_thread_instead_of_waiting_out_its_idle_time(engine: Engine) -> None:
    committer = GroupCommitter(session_factory(engine), write_notes, name="test", idle_seconds=60)
    committer.submit("only").result(10)
    committer.close(timeout=10)
    # Had close not woken it, the thread would still sleep out its 60 idle seconds.
    assert not committer.running


def test_the_thread_ends_when_idle_and_starts_again_on_the_next_item(engine: Engine) -> None:
    committer = GroupCommitter(session_factory(engine), write_notes, name="test", idle_seconds=0.05)
    committer.submit("one").result(10)
    deadline = time.monotonic() + 5
    while committer.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not committer.running

    committer.submit("two").result(10)
    assert stored(engine) == ["one", "two"]
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(NOTES)) == 2


def test_a_writer_that_miscounts_fails_its_batch_not_silently(engine: Engine) -> None:
    def miscount(session: Session, bodies: Sequence[str]) -> list[int | Exception]:
        return []

    committer = GroupCommitter(session_factory(engine), miscount, name="test")
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        committer.submit("lost?").result(10)
    assert stored(engine) == []


def test_a_full_queue_refuses_at_once_and_accepts_again_once_drained(engine: Engine) -> None:
    writer = FirstBatchHeld()
    committer = GroupCommitter(session_factory(engine), writer, name="t", max_queued=3)
    first = committer.submit("first")
    assert writer.entered.wait(10)  # taken off the queue: the batch being written does not count
    waiting = [committer.submit(f"note-{n}") for n in range(3)]
    with pytest.raises(CommitterFull):
        committer.submit("one too many")
    writer.release.set()
    assert first.result(10)
    assert all(f.result(10) for f in waiting)
    assert committer.submit("after").result(10)
    committer.close()
    assert stored(engine) == ["after", "first", "note-0", "note-1", "note-2"]
