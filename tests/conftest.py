"""Fixtures: every database test runs on real SQLite and real PostgreSQL, rolled back per test.

PostgreSQL: HETAO_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) names
a server where the tests may create a scratch database. In CI (CI=true) an unreachable server
fails the run; elsewhere the PostgreSQL half of the suite is skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer, make_user_token
from hetao import migrate
from hetao.app import create_app, rebind
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile, load_profile
from hetao.storage.engine import make_engine
from web.support import serve

POSTGRES_ADMIN_URL = os.environ.get(
    "HETAO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]


def _postgres_unreachable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {error}".strip()


@contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, drop it; fail or skip if no server."""
    reason = _postgres_unreachable()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(f"{reason}; set HETAO_TEST_POSTGRES_URL or start PostgreSQL to run them")
    name = f"hetao_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_scratch_url() -> Iterator[str]:
    """A fresh PostgreSQL database shared by the run's rolled-back tests."""
    with scratch_postgres_database() as url:
        yield url


def make_test_engine(backend: str, tmp_dir: Path, request: pytest.FixtureRequest) -> Engine:
    """An engine on an empty database of the given backend."""
    if backend == "sqlite":
        url = f"sqlite:///{(tmp_dir / 'hetao-test.sqlite3').as_posix()}"
        # TestClient runs the app in other threads; the connection is still used one at a time.
        return make_engine(url, connect_args={"check_same_thread": False})
    scratch: str = request.getfixturevalue("postgres_scratch_url")
    return make_engine(scratch)


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database per backend, shared by the whole run."""
    backend: str = request.param
    engine = make_test_engine(backend, tmp_path_factory.mktemp(backend), request)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def session_maker(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints inside the test's outer transaction."""
    return sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def session(session_maker: sessionmaker[Session]) -> Iterator[Session]:
    with session_maker() as s:
        yield s


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own data directory: signing key and exported checkpoints stay out of the tree."""
    directory = tmp_path / "data"
    monkeypatch.setenv("HETAO_DATA_DIR", str(directory))
    monkeypatch.delenv("HETAO_AUDIT_SIGNING_KEY", raising=False)
    return directory


@pytest.fixture(scope="session")
def profile() -> ZoneProfile:
    return load_profile("hetao")


@pytest.fixture
def actor() -> Actor:
    return Actor("user", "test-reviewer")


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at minimal cost: tests create many users; tests/auth checks the real cost."""
    from argon2 import PasswordHasher, Type

    from hetao.auth import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "_HASHER", cheap)


@pytest.fixture
def token_for(session_maker: sessionmaker[Session], cheap_hashing: None) -> Callable[..., str]:
    """Make a user of a role (bound to a party for enterprise users) and return its token."""

    def make(role: Role, *, party_id: int | None = None) -> str:
        with session_maker() as s:
            raw = make_user_token(s, role, party_id=party_id)
            s.commit()
        return raw

    return make


_SHARED_APPS: dict[str, tuple[FastAPI, tuple[int, ...]]] = {}


def _shape(app: FastAPI) -> tuple[int, ...]:
    """What a test may add to an application: routes, middleware, overrides, handlers."""
    return (
        len(app.router.routes),
        len(app.user_middleware),
        len(app.dependency_overrides),
        len(app.exception_handlers),
    )


def _shared_app(
    *,
    engine: Engine,
    profile: ZoneProfile,
    sessions: sessionmaker[Session],
    background_work: bool,
) -> FastAPI:
    """One application for the run's tests, rebound to each test's state as create_app binds.

    FastAPI builds a route's dependencies at the first request that walks past it, per
    application: a new application per test spent up to a second on that, thousands of times.
    One a test changed (a route of its own, say) is not lent again.
    """
    shared = _SHARED_APPS.get("app")
    if shared is not None and _shape(shared[0]) == shared[1]:
        app = shared[0]
        rebind(
            app, engine=engine, profile=profile, sessions=sessions, background_work=background_work
        )
        return app
    app = create_app(
        engine=engine, profile=profile, sessions=sessions, background_work=background_work
    )
    _SHARED_APPS["app"] = (app, _shape(app))
    return app


@pytest.fixture
def anonymous_client(
    engine: Engine, session_maker: sessionmaker[Session], profile: ZoneProfile
) -> Iterator[TestClient]:
    """The API over the test's rolled-back transaction, with no credentials."""
    # Reads and writes both see the test's transaction (its reads are not DEFERRED, no matter);
    # its sessions sign and export checkpoints as the app's own would. The test's one connection
    # cannot be shared with timers writing from other threads: the tests flush refusal
    # summaries and purge replays themselves.
    app = _shared_app(engine=engine, profile=profile, sessions=session_maker, background_work=False)
    # https, as in production: the session cookie is Secure.
    with TestClient(
        app, base_url="https://testserver", raise_server_exceptions=False
    ) as test_client:
        yield test_client


@pytest.fixture
def client(anonymous_client: TestClient, token_for: Callable[..., str]) -> TestClient:
    """The API as an administrator (the role that may call every registry endpoint)."""
    anonymous_client.headers.update(bearer(token_for(Role.ADMINISTRATOR)))
    return anonymous_client


@pytest.fixture(params=BACKENDS)
def committing_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of its own, for tests whose transactions must really commit."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{(tmp_path / 'commit.sqlite3').as_posix()}"
        else:
            url = stack.enter_context(scratch_postgres_database())
        engine = make_engine(url)
        stack.callback(engine.dispose)
        migrate.upgrade(engine)
        yield engine


CHROMIUM = os.environ.get("HETAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium (./check installs it); missing is a failure in CI, a skip elsewhere."""
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set HETAO_CHROMIUM)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def live_server(tmp_path: Path, profile: ZoneProfile) -> Iterator[str]:
    """The real app served by uvicorn on a free loopback port, over its own SQLite file."""
    engine = make_engine(f"sqlite:///{(tmp_path / 'live.sqlite3').as_posix()}")
    migrate.upgrade(engine)
    try:
        with serve(create_app(engine=engine, profile=profile)) as url:
            yield url
    finally:
        engine.dispose()
