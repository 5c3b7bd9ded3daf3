"""The live console's feed: committed decisions fanned out to every open event stream.

Decisions are stored by a group committer, in batches, by whichever worker process received
the crossing. So each process polls the table itself: one task per process reads decisions
with an id above the last one it saw (a row it can read is committed) and hands each to the
queues of the streams subscribed to its crossing point. The task starts with the first
subscriber and ends with the last one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from hetao.api.state import app_state
from hetao.crossing import repository
from hetao.crossing.repository import ConsoleRow
from hetao.engine.facts import Outcome, SubjectType

log = logging.getLogger("hetao.crossing.live")

#: How often a process looks for new decisions: a decision reaches the screens within this
#: (plus the read) of its commit.
POLL_SECONDS = 0.05
#: A stream's queue: a console this far behind is dropped, and reconnects from its last event.
QUEUE_SIZE = 1000
#: How long an id skipped by a poll may still appear: on PostgreSQL two processes' batches
#: may commit out of id order; an id rolled back never appears and is forgotten after this.
GAP_SECONDS = 5.0
#: Skipped ids remembered at most between two rows (a wider jump is a sequence's, not a race).
MAX_GAPS = 256
#: Rendered fragments kept (a few per decision) before the cache starts afresh.
RENDERED_KEPT = 2048
#: Decisions one poll reads at most (the next poll reads on from there).
POLL_LIMIT = 500

Result = TypeVar("Result")


@dataclass(eq=False, slots=True)
class Subscription:
    """One open stream: the points and filters it shows, and the decisions waiting for it."""

    points: frozenset[str]
    outcome: Outcome | None = None
    subject_type: SubjectType | None = None
    #: None marks the end: the stream fell too far behind and must reconnect.
    queue: asyncio.Queue[ConsoleRow | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )

    def shows(self, row: ConsoleRow) -> bool:
        """Whether the stream's screen lists ``row``."""
        return (
            row.crossing_point in self.points
            and (self.outcome is None or row.outcome is self.outcome)
            and (self.subject_type is None or row.subject_type is self.subject_type)
        )


class Feed:
    """A process's poller of new decisions and the streams it feeds."""

    def __init__(self, sessions: sessionmaker[Session], *, reads_inline: bool) -> None:
        self._sessions = sessions
        self._reads_inline = reads_inline
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._last_seen: int | None = None
        #: Ids skipped by a poll, and when they were first missed.
        self._gaps: dict[int, float] = {}
        #: Fragments already rendered, by decision, view, language and root path: fifty
        #: consoles in one language cost one rendering of each decision.
        self._rendered: dict[tuple[int, str, str, str], str] = {}

    @property
    def running(self) -> bool:
        """Whether the poller task is alive (tests check that it ends with its streams)."""
        return self._task is not None and not self._task.done()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @property
    def awaited(self) -> list[int]:
        """Ids skipped by a poll that the next polls still look for."""
        return sorted(self._gaps)

    async def read(self, query: Callable[[Session], Result]) -> Result:
        """Run ``query`` in a session of its own: inline on SQLite, in a thread otherwise."""

        def run() -> Result:
            with self._sessions() as session:
                try:
                    return query(session)
                finally:
                    session.rollback()

        return run() if self._reads_inline else await run_in_threadpool(run)

    def rendered(self, key: tuple[int, str, str, str], render: Callable[[], str]) -> str:
        """The fragment of ``key``, rendered once."""
        html = self._rendered.get(key)
        if html is None:
            if len(self._rendered) >= RENDERED_KEPT:
                self._rendered.clear()
            html = self._rendered[key] = render()
        return html

    def subscribe(
        self,
        points: Collection[str],
        *,
        outcome: Outcome | None = None,
        subject_type: SubjectType | None = None,
    ) -> Subscription:
        """A new stream's subscription; the poller starts if it was not running."""
        subscription = Subscription(frozenset(points), outcome, subject_type)
        self._subscribers.add(subscription)
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(
                self._poll(), name="hetao-console-feed"
            )
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """A closed stream's goodbye: the poller ends after its last subscriber."""
        self._subscribers.discard(subscription)

    async def stop(self) -> None:
        """End the poller now and every stream with it (the application is stopping)."""
        for subscription in list(self._subscribers):
            self._end(subscription)
        self._subscribers.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _poll(self) -> None:
        # A poller started afresh begins at the newest decision: streams asking for older
        # ones read them themselves (Last-Event-ID).
        self._last_seen = await self.read(repository.last_decision_id)
        self._gaps.clear()
        while self._subscribers:
            try:
                rows = await self.read(self._new_rows)
            except OperationalError as error:  # a busy or restarting database: poll again
                log.warning("console feed: decisions not read (%s)", error.orig)
                rows = []
            self.deliver(rows)
            await asyncio.sleep(POLL_SECONDS)

    def _new_rows(self, session: Session) -> list[ConsoleRow]:
        return repository.decisions_after(
            session, self._last_seen or 0, also=list(self._gaps), limit=POLL_LIMIT
        )

    def deliver(self, rows: list[ConsoleRow]) -> None:
        """Hand the rows a poll read to the streams that show them; remember skipped ids."""
        now = time.monotonic()
        self._gaps = {gap: since for gap, since in self._gaps.items() if now - since < GAP_SECONDS}
        last = self._last_seen or 0
        for row in rows:
            self._gaps.pop(row.decision_id, None)
            if row.decision_id > last:
                skipped = range(max(last + 1, row.decision_id - MAX_GAPS), row.decision_id)
                self._gaps.update(dict.fromkeys(skipped, now))
                last = row.decision_id
            for subscription in list(self._subscribers):
                if subscription.shows(row):
                    self._offer(subscription, row)
        self._last_seen = last

    def _offer(self, subscription: Subscription, row: ConsoleRow) -> None:
        try:
            subscription.queue.put_nowait(row)
        except asyncio.QueueFull:
            log.warning("console feed: a stream fell %d decisions behind; ended", QUEUE_SIZE)
            self._end(subscription)

    def _end(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)
        while not subscription.queue.empty():  # room for the end mark
            subscription.queue.get_nowait()
        subscription.queue.put_nowait(None)


_FEEDS: WeakKeyDictionary[ASGIApp, Feed] = WeakKeyDictionary()


def feed_of(app: ASGIApp) -> Feed:
    """The feed of ``app`` in this process, made on first use."""
    feed = _FEEDS.get(app)
    if feed is None:
        state = app_state(app)
        feed = Feed(state.read_session_factory, reads_inline=state.reads_inline)
        _FEEDS[app] = feed
    return feed


async def stop_feed(app: ASGIApp) -> None:
    """End ``app``'s poller and streams, if it has any (for the application's lifespan)."""
    feed = _FEEDS.get(app)
    if feed is not None:
        await feed.stop()
