"""A read's last-use bookkeeping (tokens, web sessions), written after the answer, at most once
a minute per row and process."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import ColumnElement, inspect, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapper, Session, sessionmaker

from hetao.auth.service import LAST_USE_RESOLUTION
from hetao.storage.engine import unit_of_work

log = logging.getLogger("hetao.api")

#: Per changed row: its mapper, the primary key condition, and the new values.
RowChanges = list[tuple[Mapper[Any], list[ColumnElement[bool]], dict[str, Any]]]


class LastUseWrites:
    """When this application (one database, one process) last handed each row's last use to
    a write.

    Every request that read a token or web session before its last use was written sees that
    use as due: hundreds a second, on a busy gate, each a write queued behind the committer.
    A row's last use is kept to a minute's resolution anyway, so one write per row per minute
    per process is enough.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handed: dict[tuple[object, ...], float] = {}

    def first_in_a_while(self, key: tuple[object, ...]) -> bool:
        """True, and noted, unless ``key`` was handed to a write within the resolution."""
        now = time.monotonic()
        window = LAST_USE_RESOLUTION.total_seconds()
        with self._lock:
            if now - self._handed.get(key, -window) < window:
                return False
            if len(self._handed) > 10_000:  # forget rows not seen for a minute
                self._handed = {
                    row: handed_at
                    for row, handed_at in self._handed.items()
                    if now - handed_at < window
                }
            self._handed[key] = now
            return True


def take_last_use(read_session: Session, writes: LastUseWrites) -> RowChanges:
    """What resolving the caller changed (a token's or web session's last use, due once a
    minute), taken out of a read-only session, which must not write it."""
    changes: RowChanges = []
    for changed in read_session.dirty:
        state = inspect(changed)
        if not writes.first_in_a_while((state.mapper.class_, *(state.identity or ()))):
            continue
        values = {attr.key: attr.history.added[0] for attr in state.attrs if attr.history.added}
        keys = zip(state.mapper.primary_key, state.identity or (), strict=True)
        changes.append((state.mapper, [column == value for column, value in keys], values))
    read_session.rollback()  # and let go of the connection: the next query starts afresh
    return changes


def save_last_use(factory: sessionmaker[Session], changes: RowChanges) -> None:
    """Write a read's last-use bookkeeping after its answer; a busy database only delays it."""
    try:
        with unit_of_work(factory) as session:
            for mapper, where, values in changes:
                session.execute(update(mapper).where(*where).values(values))
    except OperationalError as error:
        log.warning("last use not recorded (%s); the next request records it", error.orig)
