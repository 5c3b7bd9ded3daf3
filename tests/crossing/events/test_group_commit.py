"""Gates post at once over HTTP: every decision and its audit event are durably committed.

The API gathers and decides in read-only sessions and hands the writes to the application's
group committer; these tests post concurrently against a real database (both of them) and
check that nothing is lost, nothing is doubled, the audit chain holds, and the selection
counters add up.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crossing.events.support import UNKNOWN_DOCUMENT, person_event
from hetao.app import create_app
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.audit.verify import verify_database
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.crossing.models import CrossingDecision, CrossingEvent, SelectionCounter
from hetao.profiles import load_profile
from hetao.storage.engine import session_factory, unit_of_work
from hetao.storage.groupcommit import GroupCommitter
from hetao.storage.types import utcnow

POINTS = ["FBZ_CHANNEL_1", "HUANGGANG", "FUTIAN"]


def gate_token(engine: Engine) -> str:
    profile = load_profile("hetao")
    with unit_of_work(session_factory(engine)) as session:
        _, raw = auth.issue_token(
            session,
            name="gates",
            roles=[Role.GATE_DEVICE],
            device_name="gate-fleet",
            crossing_points=POINTS,
            expires_at=utcnow() + dt.timedelta(hours=1),
            actor=Actor("test", "setup"),
            profile=profile,
        )
    return raw


def post_all(client: TestClient, token: str, bodies: list[dict[str, Any]]) -> list[int]:
    """Post every body from its own thread, all released at once; the statuses in order."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def post(n: int) -> None:
        barrier.wait()
        response = client.post(
            "/api/v1/crossings", json=bodies[n], headers={"Authorization": f"Bearer {token}"}
        )
        statuses[n] = response.status_code

    threads = [threading.Thread(target=post, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_posts_are_all_stored_once_with_an_intact_audit_chain(
    committing_engine: Engine,
) -> None:
    token = gate_token(committing_engine)
    distinct = [
        person_event(UNKNOWN_DOCUMENT, point=POINTS[n % 3], event=f"fleet-{n:03d}")
        for n in range(24)
    ]
    retried = person_event(UNKNOWN_DOCUMENT, point="HUANGGANG", event="fleet-retried")
    app = create_app(engine=committing_engine, profile=load_profile("hetao"))
    with TestClient(app) as client:
        statuses = post_all(client, token, distinct + [retried] * 4)

    assert statuses[:24] == [201] * 24
    assert sorted(statuses[24:]) == [200, 200, 200, 201]  # the retries get the first decision
    factory = session_factory(committing_engine)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(CrossingEvent)) == 25
        assert session.scalar(select(func.count()).select_from(CrossingDecision)) == 25
        decided = select(func.count()).where(AuditEvent.tag == "crossing:event:decide")
        assert session.scalar(decided) == 25
        assert verify_database(session, [], None).ok
        per_point = Counter(session.scalars(select(CrossingEvent.crossing_point)).all())
        counted = {c.crossing_point: c.crossings for c in session.scalars(select(SelectionCounter))}
        assert counted == dict(per_point)


def test_a_reused_event_id_with_other_content_is_409_among_concurrent_posts(
    committing_engine: Engine,
) -> None:
    token = gate_token(committing_engine)
    one = person_event(UNKNOWN_DOCUMENT, point="HUANGGANG", event="same-id")
    other = {**one, "direction": "outbound"}
    app = create_app(engine=committing_engine, profile=load_profile("hetao"))
    with TestClient(app) as client:
        statuses = post_all(client, token, [one, other])

    assert sorted(statuses) == [201, 409]
    with session_factory(committing_engine)() as session:
        assert session.scalar(select(func.count()).select_from(CrossingEvent)) == 1


def test_a_full_committer_queue_sheds_the_post_with_503_and_nothing_is_stored(
    committing_engine: Engine,
) -> None:
    token = gate_token(committing_engine)
    app = create_app(engine=committing_engine, profile=load_profile("hetao"))
    entered, release = threading.Event(), threading.Event()

    def held(session: Session, batch: Sequence[Any]) -> list[Any]:
        entered.set()
        release.wait(10)
        return [RuntimeError("not stored")] * len(batch)

    # The app's own recorder, made small and held busy: one batch writing, one item waiting.
    app.state.crossing_recorder = GroupCommitter(
        session_factory(committing_engine), held, name="held", max_queued=1
    )
    app.state.crossing_recorder.submit(object())
    assert entered.wait(10)
    app.state.crossing_recorder.submit(object())
    with TestClient(app, raise_server_exceptions=False) as client:
        try:
            response = client.post(
                "/api/v1/crossings",
                json=person_event(UNKNOWN_DOCUMENT, point="HUANGGANG", event="shed-1"),
                headers={"Authorization": f"Bearer {token}"},
            )
        finally:
            release.set()  # before the app's shutdown waits for the committer
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "retry with the same event_id" in response.json()["detail"]
    with committing_engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(CrossingEvent)) == 0
