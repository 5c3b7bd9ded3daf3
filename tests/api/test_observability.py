"""What operators watch: /healthz, /readyz, /metrics, request ids, JSON log lines (issue 19).

The metrics are process-wide counters, so each test reads a value before and after and checks
the difference its own requests made.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crossing.events.support import UNKNOWN_DOCUMENT, person_event
from crossing.events.test_api import gate  # noqa: F401 - the gate token fixture
from factories import bearer
from hetao import logs, metrics, migrate
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import CurrentPrincipal
from hetao.app import create_app
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine
from test_serving import HETAO, free_port, listening_sockets, wait_for_health

V = "/api/v1"
SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when it is not there yet)."""
    wanted = {f'{key}="{value}"' for key, value in labels.items()}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and match["name"] == name:
            present = set((match["labels"] or "").split(",")) - {""}
            if wanted <= present:
                return float(match["value"])
    return 0.0


def scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


class TestProbes:
    def test_healthz_answers_alive_without_touching_anything(
        self, anonymous_client: TestClient
    ) -> None:
        response = anonymous_client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "alive"}

    def test_readyz_checks_the_database_its_migrations_and_the_keys(
        self, anonymous_client: TestClient
    ) -> None:
        response = anonymous_client.get("/readyz")
        assert response.status_code == 200, response.text
        checks = response.json()["checks"]
        assert checks["database"] == {"ok": True}
        assert checks["migrations"]["ok"]
        assert checks["migrations"]["current"] == checks["migrations"]["head"]
        assert checks["signing_keys"] == {"ok": True}

    def test_readyz_is_503_when_a_signing_key_cannot_be_read(
        self, anonymous_client: TestClient, data_dir: Path
    ) -> None:
        app = anonymous_client.app
        assert isinstance(app, FastAPI)
        key_file = app.state.key_files[0]
        key_file.rename(key_file.with_suffix(".moved"))
        response = anonymous_client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        body = response.json()
        assert body["status"] == "not ready"
        assert body["checks"]["signing_keys"] == {"ok": False, "unreadable": [key_file.name]}

    def test_readyz_is_503_while_the_schema_is_behind_the_migrations(
        self, tmp_path: Path, profile: ZoneProfile
    ) -> None:
        engine = make_engine(f"sqlite:///{tmp_path / 'behind.sqlite3'}")
        migrate.upgrade(engine, "0017")
        with TestClient(create_app(engine=engine, profile=profile)) as client:
            response = client.get("/readyz")
        engine.dispose()
        assert response.status_code == 503
        migrations = response.json()["checks"]["migrations"]
        assert migrations["ok"] is False
        assert migrations["current"] == "0017"


def routes_for_the_test(app: FastAPI) -> None:
    """A route that logs for its caller, and one that fails, through the API's own route."""
    router = APIRouter(route_class=UnitOfWorkRoute)

    @router.get("/test/log")
    def log_for_me(principal: CurrentPrincipal) -> dict[str, str]:
        logging.getLogger("hetao.test").warning("served %s", principal.name)
        return {"ok": "yes"}

    @router.get("/test/fail")
    def fail() -> None:
        raise RuntimeError("a bug")

    app.include_router(router)


@pytest.fixture
def test_routes(anonymous_client: TestClient) -> TestClient:
    app = anonymous_client.app
    assert isinstance(app, FastAPI)
    routes_for_the_test(app)
    return anonymous_client


@pytest.fixture
def json_lines() -> Iterator[list[str]]:
    """The JSON lines the ``hetao`` loggers write while the test runs."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("hetao")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


class TestRequestIds:
    def test_a_callers_plain_request_id_is_kept_and_answered_once(
        self, anonymous_client: TestClient
    ) -> None:
        response = anonymous_client.get(f"{V}/health", headers={"X-Request-ID": "gate-7.42"})
        assert response.headers.get_list("x-request-id") == ["gate-7.42"]

    def test_a_hostile_request_id_is_replaced_by_a_new_one(
        self, anonymous_client: TestClient
    ) -> None:
        hostile = 'x"}<script>' + "a" * 100
        response = anonymous_client.get(f"{V}/health", headers={"X-Request-ID": hostile})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])

    def test_a_log_line_carries_the_request_id_the_principal_and_the_route(
        self,
        test_routes: TestClient,
        token_for: Callable[..., str],
        json_lines: list[str],
    ) -> None:
        headers = {"X-Request-ID": "req-1", **bearer(token_for(Role.AUDITOR))}
        assert test_routes.get("/test/log", headers=headers).status_code == 200
        (line,) = [json.loads(text) for text in json_lines if "served" in text]
        assert line["request_id"] == "req-1"
        assert re.fullmatch(r"user:auditor-\d+", line["principal"])
        assert line["route"] == "/test/log"
        assert line["level"] == "warning"
        assert line["logger"] == "hetao.test"
        assert line["time"].endswith("+00:00")


class TestMetrics:
    def test_a_500_is_counted_by_its_status(self, test_routes: TestClient) -> None:
        before = sample(scrape(test_routes), "hetao_http_server_errors_total", status="500")
        assert test_routes.get("/test/fail").status_code == 500
        after = sample(scrape(test_routes), "hetao_http_server_errors_total", status="500")
        assert after == before + 1

    def test_a_decision_is_timed_by_outcome_and_line_and_its_audit_event_counted(
        self,
        anonymous_client: TestClient,
        gate: Callable[..., dict[str, str]],  # noqa: F811
    ) -> None:
        labels = {"outcome": "refuse", "line": "first"}
        text = scrape(anonymous_client)
        decisions = sample(text, "hetao_decision_seconds_count", **labels)
        events = sample(text, "hetao_audit_events_total")
        batches = sample(text, "hetao_group_commit_batch_size_count", committer="crossing-recorder")
        response = anonymous_client.post(
            f"{V}/crossings", json=person_event(UNKNOWN_DOCUMENT), headers=gate("FBZ_CHANNEL_1")
        )
        assert response.status_code == 201, response.text
        assert response.json()["line"] == "first"
        text = scrape(anonymous_client)
        assert sample(text, "hetao_decision_seconds_count", **labels) == decisions + 1
        assert sample(text, "hetao_audit_events_total") > events
        after = sample(text, "hetao_group_commit_batch_size_count", committer="crossing-recorder")
        assert after == batches + 1

    def test_counts_wait_for_the_commit_and_a_rollback_counts_nothing(
        self, session_maker: sessionmaker[Session]
    ) -> None:
        before = metrics.LEDGER_MOVEMENTS._value.get()
        with session_maker() as session:
            metrics.count_on_commit(session, metrics.LEDGER_MOVEMENTS, 3)
            assert metrics.LEDGER_MOVEMENTS._value.get() == before
            session.rollback()
        with session_maker() as session:
            metrics.count_on_commit(session, metrics.LEDGER_MOVEMENTS, 2)
            session.commit()
        assert metrics.LEDGER_MOVEMENTS._value.get() == before + 2


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="SO_REUSEPORT workers, Linux")
def test_metrics_add_up_every_workers_answers(tmp_path: Path) -> None:
    """Two workers, each counting the 503s it answers; /metrics (from either) shows them all."""
    env = {
        **os.environ,
        "HETAO_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "HETAO_DATA_DIR": str(tmp_path / "data"),
        "HETAO_PROFILE": "hetao",
    }
    env.pop(metrics.MULTIPROCESS_DIRECTORY, None)
    subprocess.run([HETAO, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own entry point
        [HETAO, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_health(port, process)
        # Both workers made their apps (a starting one would make the key afresh) once both
        # listen; then the key goes, and neither is ready.
        deadline = time.monotonic() + 60
        while listening_sockets(port) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        (tmp_path / "data" / "audit" / "signing-key.pem").unlink()
        answered = 0
        for _ in range(20):  # a connection each: the kernel spreads them over both workers
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz")
            except urllib.error.HTTPError as error:
                answered += error.code == 503
        assert answered == 20
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
            text = response.read().decode()
        assert sample(text, "hetao_http_server_errors_total", status="503") == 20
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert access, stderr.decode()[-2000:]
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in access)
    assert {line["path"] for line in access} >= {"/readyz", "/metrics"}
    assert process.returncode == 0
