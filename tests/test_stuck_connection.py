"""A PostgreSQL connection left in pipeline mode is a lost connection: discarded, answered 503.

The failover drill met it: the primary died during a batch's executemany (a psycopg pipeline),
the connection was left "busy" in pipeline mode, its ROLLBACK failed, and the request got a
500 while the connection went back to the pool. Here the driver's connection is put in that
state directly (``enter_pipeline_mode``, as an interrupted executemany leaves it).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from conftest import scratch_postgres_database
from hetao.api.problems import is_database_unavailable
from hetao.storage.engine import make_engine, session_factory, unit_of_work


class PipelineWorkFailed(Exception):
    """What interrupted the work, as the lost server interrupted the drill's executemany."""


def test_a_connection_stuck_in_pipeline_mode_is_discarded_and_answered_as_unavailable() -> None:
    with scratch_postgres_database() as url:
        engine = make_engine(url)
        try:
            sessions = session_factory(engine)
            with pytest.raises(OperationalError) as raised, unit_of_work(sessions) as session:
                stuck_pid = session.scalar(text("SELECT pg_backend_pid()"))
                raw = session.connection().connection.dbapi_connection
                assert raw is not None
                raw.pgconn.enter_pipeline_mode()
                raise PipelineWorkFailed
            assert raised.value.connection_invalidated
            assert is_database_unavailable(raised.value)  # 503 with Retry-After, not 500
            # The pool gave the stuck connection up: the next unit of work has a new one.
            with unit_of_work(sessions) as session:
                assert session.scalar(text("SELECT pg_backend_pid()")) != stuck_pid
        finally:
            engine.dispose()
