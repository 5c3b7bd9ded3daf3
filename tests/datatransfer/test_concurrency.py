"""Concurrent channel batches on real commits: the approved volume is never exceeded.

Each worker runs its own session and transaction on its own connection and really commits, as
32 channel integrations posting at once would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from datatransfer.support import TODAY, active, batch, exporter
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.datatransfer import channel
from hetao.datatransfer import repository as repo
from hetao.datatransfer.models import BatchStatus, ChannelBatch
from hetao.datatransfer.schemas import BatchIn
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine, session_factory, unit_of_work

WORKERS = 32
ACTOR = Actor("test", "concurrency")


@pytest.fixture
def factory(committing_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on a pool with a connection per worker, so all of them really run at once."""
    url = committing_engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=WORKERS, max_overflow=0)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def run_together(work: Callable[[int], str]) -> list[str]:
    """Start ``WORKERS`` threads at one barrier; each returns what happened to it."""
    start = threading.Barrier(WORKERS)
    outcomes = ["did not finish"] * WORKERS

    def worker(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = work(i)
        except Exception as error:  # reported as the outcome, not hidden
            outcomes[i] = repr(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def approval(factory: sessionmaker[Session], profile: ZoneProfile) -> int:
    """A committed active approval for 150,000 people's PI."""
    with unit_of_work(factory) as session:
        application = active(session, ACTOR, profile, exporter(session, ACTOR, profile))
        return application.id


def post(
    factory: sessionmaker[Session], profile: ZoneProfile, application_id: int, sent: BatchIn
) -> str:
    """One request's unit of work, as the API runs it: lock the application, record, commit."""
    with unit_of_work(factory) as session:
        application = repo.get_application(session, application_id, for_update=True)
        row, created = channel.record_batch(
            session, application, sent, profile=profile, actor=ACTOR, today=TODAY
        )
        return f"{row.status}{'' if created else ' (replayed)'}"


class TestConcurrentBatches:
    def test_32_concurrent_batches_against_a_volume_for_15_record_exactly_15(
        self, factory: sessionmaker[Session], profile: ZoneProfile
    ) -> None:
        application_id = approval(factory, profile)
        batches = [batch(personal_info_subjects=10_000) for _ in range(WORKERS)]
        outcomes = run_together(lambda i: post(factory, profile, application_id, batches[i]))
        assert sorted(outcomes) == ["recorded"] * 15 + ["refused"] * 17
        with factory() as session:
            sent = repo.recorded_for_application(session, application_id)
            assert sent == (150_000, 0)
            refusals = session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.tag == "data:batch:refuse")
            )
            assert refusals == 17

    def test_32_concurrent_retries_of_one_batch_store_it_once(
        self, factory: sessionmaker[Session], profile: ZoneProfile
    ) -> None:
        application_id = approval(factory, profile)
        sent = batch(personal_info_subjects=100_000)
        outcomes = run_together(lambda _: post(factory, profile, application_id, sent))
        assert sorted(outcomes) == ["recorded"] + ["recorded (replayed)"] * (WORKERS - 1)
        with factory() as session:
            rows = session.scalars(
                select(ChannelBatch).where(ChannelBatch.application_id == application_id)
            ).all()
            assert [(r.batch_id, r.status) for r in rows] == [(sent.batch_id, BatchStatus.RECORDED)]
