"""A database that does not answer (a failover, a restart) is a 503 to retry, never a 500."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from hetao.app import create_app
from hetao.config import Settings
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine

#: Nothing listens on port 1: every connection is refused at once.
GONE = "postgresql://postgres@127.0.0.1:1/hetao?connect_timeout=1"


def test_a_lost_database_answers_503_with_retry_after_and_readyz_says_why(
    tmp_path: Path, profile: ZoneProfile
) -> None:
    settings = Settings(database_url=GONE, profile="hetao", data_dir=tmp_path)
    app = create_app(settings=settings, engine=make_engine(GONE), profile=profile)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post(
            "/api/v1/auth/login", json={"username": "someone", "password": "a password 2026"}
        )
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["type"] == "urn:hetao:problem:database-unavailable"
        assert "127.0.0.1" not in answer.text  # the driver's message stays in the log
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == {"ok": False, "error": "OperationalError"}
