"""The server's own WAL checkpoints: the log is copied back outside commits, on SQLite only."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, text

from hetao.storage.engine import WAL_AUTOCHECKPOINT_PAGES, make_engine
from hetao.storage.walcheckpoint import WalCheckpointer


def wal_pages(engine: Engine) -> int:
    """Frames in the log not yet copied back, as a checkpoint that copies nothing reports."""
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        _, frames, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(frames - copied)


def test_committed_pages_are_copied_back_by_the_thread_not_by_commits(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'wal.sqlite3').as_posix()}")
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        # Commits leave checkpoints to the server: the automatic one is only a safety net.
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == WAL_AUTOCHECKPOINT_PAGES
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    checkpointer = WalCheckpointer(engine, interval_seconds=0.01)
    assert checkpointer.applies
    checkpointer.start()
    try:
        for n in range(50):
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": "x" * n})
        deadline = time.monotonic() + 10
        while checkpointer.frames_copied == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        checkpointer.stop()
    assert checkpointer.checkpoints > 0
    assert checkpointer.frames_copied > 0
    assert wal_pages(engine) == 0  # its last checkpoint, at stop, copied everything
    engine.dispose()


def test_there_is_nothing_to_checkpoint_in_memory_or_on_postgresql(engine: Engine) -> None:
    assert not WalCheckpointer(make_engine("sqlite://")).applies
    if engine.dialect.name == "postgresql":
        assert not WalCheckpointer(engine).applies
