"""Fixtures for the console pages: users with known passwords, signed-in clients, a live server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hetao import migrate
from hetao.app import create_app
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine
from web.support import PASSWORD, LiveConsole, add_user, csrf_of, serve


@pytest.fixture
def console(anonymous_client: TestClient) -> TestClient:
    """The app over HTTPS, as deployed: the Secure session cookie is then kept and sent back."""
    anonymous_client.base_url = anonymous_client.base_url.copy_with(scheme="https")
    return anonymous_client


@pytest.fixture
def user(session_maker: sessionmaker[Session], cheap_hashing: None) -> Callable[..., str]:
    """Create a user of a role with ``PASSWORD``; returns the username."""
    serial = iter(range(1, 1000))

    def make(role: Role, *, party_id: int | None = None) -> str:
        username = f"{role.value.replace('_', '-')}-{next(serial)}"
        with session_maker() as s:
            add_user(s, username, role, party_id=party_id)
            s.commit()
        return username

    return make


@pytest.fixture
def sign_in(console: TestClient) -> Callable[[str], str]:
    """Sign in through the form; returns the CSRF token of the new session."""

    def sign(username: str) -> str:
        response = console.post(
            "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        page = console.get("/home")  # every person's role has a home with the sign-out form
        return csrf_of(page.text) if page.status_code == 200 else ""

    return sign


@pytest.fixture
def live_console(
    tmp_path: Path, profile: ZoneProfile, cheap_hashing: None
) -> Iterator[LiveConsole]:
    """Like ``live_server``, with the app at hand to put users and events in its database."""
    engine = make_engine(f"sqlite:///{(tmp_path / 'console.sqlite3').as_posix()}")
    migrate.upgrade(engine)
    app = create_app(engine=engine, profile=profile)
    try:
        with serve(app) as url:
            yield LiveConsole(url=url, app=app)
    finally:
        engine.dispose()
