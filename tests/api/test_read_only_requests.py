"""Reads never take the write lock, and a caller's last use is still recorded.

GET and HEAD (and routes whose writes go through a group committer, such as posting a
crossing) read in read-only sessions: on SQLite those begin DEFERRED, so a page or a list
answers while a writer holds the one write lock, instead of queueing behind it.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from hetao.api.lastuse import LastUseWrites, take_last_use
from hetao.app import create_app
from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.models import ApiToken
from hetao.auth.principal import Role
from hetao.profiles import load_profile
from hetao.storage.engine import session_factory, unit_of_work
from hetao.storage.types import utcnow


def device_token(engine: Engine, *, used_now: bool = False) -> tuple[int, str]:
    with unit_of_work(session_factory(engine)) as session:
        token, raw = auth.issue_token(
            session,
            name="reader",
            roles=[Role.GATE_DEVICE],
            device_name="gate-r",
            crossing_points=["HUANGGANG"],
            expires_at=utcnow() + dt.timedelta(hours=1),
            actor=Actor("test", "setup"),
            profile=load_profile("hetao"),
        )
        if used_now:  # no last-use write is due: the request only reads
            token.last_used_at = utcnow()
        return token.id, raw


def test_a_get_answers_while_another_connection_holds_the_sqlite_write_lock(
    committing_engine: Engine,
) -> None:
    if committing_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL readers never wait for writers; SQLite's would, if IMMEDIATE")
    _, raw = device_token(committing_engine, used_now=True)
    app = create_app(engine=committing_engine, profile=load_profile("hetao"))
    # A writer that never lets go while the request runs; a reader that took the write lock
    # would wait for it (busy_timeout), then answer 503. The holder itself waits its turn: the
    # app's start may be writing (it failed once under the full suite, "database is locked").
    holder = sa.create_engine(committing_engine.url, connect_args={"timeout": 10})
    with holder.connect() as connection, TestClient(app) as client:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        response = client.get("/api/v1/profile", headers={"Authorization": f"Bearer {raw}"})
        connection.rollback()
    holder.dispose()
    assert response.status_code == 200, response.text


def test_a_read_still_records_the_tokens_last_use_after_answering(
    committing_engine: Engine,
) -> None:
    token_id, raw = device_token(committing_engine)
    app = create_app(engine=committing_engine, profile=load_profile("hetao"))
    with TestClient(app) as client:
        response = client.get("/api/v1/profile", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200, response.text
    with session_factory(committing_engine)() as session:
        last_used = session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))
    assert last_used is not None


def test_a_last_use_due_in_many_reads_at_once_is_handed_to_one_write(
    committing_engine: Engine,
) -> None:
    """Every read before the first write sees the token's last use as due; one write will do."""
    _, raw = device_token(committing_engine)
    readers = session_factory(committing_engine, read_only=True)
    sessions = [readers() for _ in range(3)]
    for session in sessions:  # all read the token before any write could land
        assert auth.authenticate_token(session, raw=raw) is not None
        assert session.dirty
    writes = LastUseWrites()
    taken = [len(take_last_use(session, writes)) for session in sessions]
    for session in sessions:
        session.close()
    assert taken == [1, 0, 0]
