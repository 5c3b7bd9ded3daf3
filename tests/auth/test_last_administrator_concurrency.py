"""Two administrators deactivating each other at once: one wins, the other is refused, and the
zone keeps an active administrator. On PostgreSQL the second waits for the first's lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from hetao.audit.service import Actor
from hetao.auth import service
from hetao.auth.models import User
from hetao.auth.principal import Role
from hetao.errors import Conflict
from hetao.storage.engine import make_engine, session_factory, unit_of_work
from ledger.test_concurrency import second_while_first_holds

SETUP = Actor("test", "setup")


@pytest.fixture
def factory(committing_engine: Engine) -> Iterator[sessionmaker[Session]]:
    url = committing_engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=3, max_overflow=0)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def user_id(factory: sessionmaker[Session], username: str) -> int:
    with factory() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


@pytest.mark.usefixtures("cheap_hashing")
def test_two_administrators_deactivating_each_other_leave_one(
    factory: sessionmaker[Session],
) -> None:
    with unit_of_work(factory) as session:
        for username in ("ada", "grace"):
            service.create_user(
                session,
                username=username,
                display_name=username.title(),
                password="correct horse battery",
                role=Role.ADMINISTRATOR,
                party_id=None,
                actor=SETUP,
            )
    ada, grace = user_id(factory, "ada"), user_id(factory, "grace")
    deactivated, commit = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def ada_deactivates_grace() -> None:
        with unit_of_work(factory) as session:
            service.deactivate_user(
                session, session.get_one(User, grace), actor=Actor("user", "ada")
            )
            deactivated.set()
            commit.wait(timeout=30)
        outcome["ada"] = "deactivated grace"

    def grace_deactivates_ada() -> None:
        try:
            with unit_of_work(factory) as session:
                target = session.get_one(User, ada)
                service.deactivate_user(session, target, actor=Actor("user", "grace"))
            outcome["grace"] = "deactivated ada"
        except Conflict as refusal:
            outcome["grace"] = refusal.problems[0].rule

    second_while_first_holds(
        factory,
        ada_deactivates_grace,
        grace_deactivates_ada,
        holding=deactivated,
        release=commit,
        what="deactivation",
    )
    assert outcome == {"ada": "deactivated grace", "grace": "user.last_administrator"}
    with factory() as session:
        assert session.get_one(User, ada).active
        assert not session.get_one(User, grace).active
