"""Concurrent retries with one Idempotency-Key apply the change exactly once (real commits)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from factories import bearer, make_user_token, party_payload
from hetao.api.state import app_state
from hetao.app import create_app
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from hetao.storage.engine import unit_of_work

RETRIES = 6


class TestIdempotencyUnderConcurrency:
    def test_simultaneous_retries_create_one_party_and_all_get_the_same_answer(
        self, committing_engine: Engine, profile: ZoneProfile, cheap_hashing: None
    ) -> None:
        app = create_app(engine=committing_engine, profile=profile)
        with unit_of_work(app_state(app).session_factory) as session:
            headers = {
                **bearer(make_user_token(session, Role.ADMINISTRATOR)),
                "Idempotency-Key": "burst-1",
            }
        body = party_payload()
        start = threading.Barrier(RETRIES)
        answers: list[Any] = [None] * RETRIES

        def send(i: int) -> None:
            with TestClient(app) as client:
                start.wait()
                response = client.post("/api/v1/parties", json=body, headers=headers)
                answers[i] = (response.status_code, response.json())

        threads = [threading.Thread(target=send, args=(i,)) for i in range(RETRIES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert {status for status, _ in answers} == {201}, answers
        assert len({body["id"] for _, body in answers}) == 1
        with committing_engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Party)) == 1
