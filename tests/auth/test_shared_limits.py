"""Limits that hold whichever worker serves the request (issue 19, item 4).

Each "worker" here is an application of its own, as ``hetao serve --workers N`` makes one per
process: the rate limit is shared through Redis (127.0.0.1:6379 on this machine and in CI), and
sign-in throttling through the database both read.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from conftest import IN_CI
from hetao.app import create_app
from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.auth.ratelimit import KEY_PREFIX, SharedRateLimiter
from hetao.config import Settings
from hetao.profiles import ZoneProfile
from hetao.storage.engine import session_factory, unit_of_work
from hetao.storage.types import utcnow

#: A database of Redis for these tests alone: each test starts it empty.
REDIS_URL = os.environ.get("HETAO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
#: A port where nothing listens: Redis is down.
NO_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis, or fail (in CI) or skip when it does not answer."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {error} (CI=true: it must run)")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {error}")
    client.flushdb()  # principals' ids start again in each test database
    yield REDIS_URL
    client.close()


def fresh_key() -> str:
    return f"test:{uuid.uuid4().hex}"


class TestSharedRateLimiter:
    def test_two_workers_take_from_one_bucket(self, redis_url: str) -> None:
        first = SharedRateLimiter(redis_url, rate_per_second=0.01, burst=5)
        second = SharedRateLimiter(redis_url, rate_per_second=0.01, burst=5)
        key = fresh_key()
        allowed = [(first if n % 2 else second).check(key) for n in range(5)]
        assert allowed == [None] * 5
        wait_first, wait_second = first.check(key), second.check(key)
        assert wait_first is not None
        assert wait_first > 0
        assert wait_second is not None
        assert wait_second > 0
        assert first.local.check(key) is None  # nothing was taken from the process's own buckets
        first.close()
        second.close()

    def test_the_bucket_refills_at_the_rate_and_expires_when_full(self, redis_url: str) -> None:
        limiter = SharedRateLimiter(redis_url, rate_per_second=1000.0, burst=2, zone="hetao")
        key = fresh_key()
        assert [limiter.check(key) for _ in range(2)] == [None, None]
        ttl = redis.Redis.from_url(redis_url).pttl(f"{KEY_PREFIX}hetao:{key}")
        assert 0 < ttl <= 1002  # gone once it would have refilled: no key is kept for ever
        limiter.close()

    def test_a_redis_that_does_not_answer_leaves_each_process_to_limit(self) -> None:
        limiter = SharedRateLimiter(NO_REDIS_URL, rate_per_second=0.01, burst=2)
        key = fresh_key()
        assert [limiter.check(key) for _ in range(2)] == [None, None]
        wait = limiter.check(key)
        assert wait is not None
        assert wait > 0
        limiter.close()


def settings_for(data_dir: Path, redis_url: str, **limits: float) -> Settings:
    return Settings(
        database_url="unused: the engine is given",
        profile="hetao",
        data_dir=data_dir,
        audit_signing_key=data_dir / "audit" / "signing-key.pem",
        redis_url=redis_url,
        rate_per_second=limits.get("rate", 0.01),
        rate_burst=int(limits.get("burst", 4)),
    )


Workers = Callable[[int], Callable[[int], TestClient]]


@pytest.fixture
def two_workers(
    committing_engine: Engine, profile: ZoneProfile, data_dir: Path, redis_url: str
) -> Iterator[Workers]:
    """Two applications on one database and one Redis, as two worker processes would be, with
    a burst of ``burst`` requests; ``workers(burst)(n)`` is the one serving request ``n``."""
    with ExitStack() as stack:

        def start(burst: int) -> Callable[[int], TestClient]:
            settings = settings_for(data_dir, redis_url, burst=burst)
            clients = [
                stack.enter_context(
                    TestClient(
                        create_app(settings=settings, engine=committing_engine, profile=profile)
                    )
                )
                for _ in range(2)
            ]
            return lambda n: clients[n % 2]

        yield start


class TestAcrossWorkers:
    def test_a_principal_s_rate_limit_holds_whichever_worker_serves_it(
        self,
        two_workers: Workers,
        committing_engine: Engine,
        profile: ZoneProfile,
    ) -> None:
        with unit_of_work(session_factory(committing_engine)) as session:
            _, raw = auth.issue_token(
                session,
                name=f"gate-{uuid.uuid4().hex[:8]}",
                roles=[Role.GATE_DEVICE],
                device_name="gate at channel 1",
                crossing_points=["FBZ_CHANNEL_1"],
                actor=Actor("test", "setup"),
                profile=profile,
                expires_at=utcnow() + dt.timedelta(days=1),
            )
        headers = {"Authorization": f"Bearer {raw}"}
        worker = two_workers(4)
        answers = [worker(n).get("/api/v1/profile", headers=headers) for n in range(5)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429]
        assert int(answers[-1].headers["retry-after"]) >= 1

    def test_sign_in_throttling_holds_whichever_worker_serves_the_attempt(
        self, two_workers: Workers
    ) -> None:
        username = f"nobody-{uuid.uuid4().hex[:8]}"
        body = {"username": username, "password": "wrong password"}
        worker = two_workers(100)  # the rate limit stays out of the way
        answers = [worker(n).post("/api/v1/auth/login", json=body).status_code for n in range(6)]
        assert answers == [401] * 5 + [429]
