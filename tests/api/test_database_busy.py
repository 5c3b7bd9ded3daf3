"""A database refusing for load answers 503 + Retry-After, never 500: the client may retry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import QueuePool

from hetao.api.problems import is_database_busy
from hetao.app import create_app
from hetao.profiles import ZoneProfile


def locked_sqlite_error(tmp_path: Path) -> OperationalError:
    """A real "database is locked": one connection holds the write lock, another will not wait."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}", connect_args={"timeout": 0})
    with engine.connect() as holder:
        holder.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        holder.commit()
        holder.exec_driver_sql("BEGIN IMMEDIATE")
        with engine.connect() as other, pytest.raises(OperationalError) as caught:
            other.exec_driver_sql("INSERT INTO t VALUES (1)")
        holder.rollback()
    engine.dispose()
    return caught.value


def test_a_locked_sqlite_database_is_busy(tmp_path: Path) -> None:
    assert is_database_busy(locked_sqlite_error(tmp_path))


def test_a_postgres_lock_timeout_is_busy(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("lock_timeout is PostgreSQL's")
    with engine.connect() as holder, engine.connect() as other:
        holder.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS busy_probe (x int)")
        holder.exec_driver_sql("LOCK TABLE audit_head IN ACCESS EXCLUSIVE MODE")
        other.exec_driver_sql("SET lock_timeout = '10ms'")
        with pytest.raises(OperationalError) as caught:
            other.exec_driver_sql("SELECT * FROM audit_head")
        holder.rollback()
        other.rollback()
    assert is_database_busy(caught.value)


def test_a_broken_query_is_not_busy(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection, pytest.raises(OperationalError) as caught:
        connection.exec_driver_sql("SELECT * FROM no_such_table")
    engine.dispose()
    assert not is_database_busy(caught.value)


def exhausted_pool_error() -> PoolTimeout:
    """A real pool timeout: the pool's one connection is in use, and the wait is 10 ms."""
    engine = sa.create_engine("sqlite://", poolclass=QueuePool, pool_size=1, max_overflow=0,
                              pool_timeout=0.01)  # fmt: skip
    with engine.connect(), pytest.raises(PoolTimeout) as caught, engine.connect():
        pass
    engine.dispose()
    return caught.value


@pytest.fixture
def busy_client(engine: Engine, profile: ZoneProfile, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(engine=engine, profile=profile)
    error = locked_sqlite_error(tmp_path)

    def overloaded() -> None:
        raise error

    def pool_exhausted() -> None:
        raise exhausted_pool_error()

    app.add_api_route("/test/overloaded", overloaded)
    app.add_api_route("/test/pool-exhausted", pool_exhausted)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        yield client


def test_overload_answers_503_with_retry_after(busy_client: TestClient) -> None:
    response = busy_client.get("/test/overloaded")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["type"] == "urn:hetao:problem:database-busy"


def test_an_exhausted_connection_pool_answers_503_not_500(busy_client: TestClient) -> None:
    response = busy_client.get("/test/pool-exhausted")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["type"] == "urn:hetao:problem:database-busy"
