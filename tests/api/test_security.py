"""Authentication at the API edge: tokens, session cookies with CSRF, rate limits, denials."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer, party_payload
from hetao.api.denials import TAG
from hetao.api.state import app_state
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.auth.ratelimit import RateLimiter

PASSWORD = "a long enough password 1"


@pytest.fixture
def reviewer(session_maker: sessionmaker[Session], cheap_hashing: None) -> str:
    with session_maker() as session:
        auth.create_user(
            session,
            username="reviewer-li",
            display_name="Li",
            password=PASSWORD,
            role=Role.ZONE_REVIEWER,
            party_id=None,
            actor=Actor("test", "setup"),
        )
        session.commit()
    return "reviewer-li"


def denials(session_maker: sessionmaker[Session]) -> list[AuditEvent]:
    with session_maker() as session:
        stmt = select(AuditEvent).where(AuditEvent.tag == "auth:access:deny")
        return list(session.scalars(stmt))


class TestTokens:
    def test_no_credentials_is_401_with_a_bearer_challenge(
        self, anonymous_client: TestClient
    ) -> None:
        response = anonymous_client.get("/api/v1/parties")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    def test_an_unknown_token_is_401_and_audited(
        self, anonymous_client: TestClient, session_maker: sessionmaker[Session]
    ) -> None:
        response = anonymous_client.get("/api/v1/parties", headers=bearer("hetao_1_forged"))
        assert response.status_code == 401
        assert denials(session_maker) == []  # anonymous refusals are summarised, not one by one
        app_state(anonymous_client.app).refusals.flush()
        with session_maker() as session:
            [event] = session.scalars(select(AuditEvent).where(AuditEvent.tag == TAG))
        assert event.actor.startswith("anonymous:")
        assert event.data["paths"] == {"GET /api/v1/parties": 1}

    def test_a_role_the_endpoint_does_not_admit_is_403_and_audited(
        self,
        anonymous_client: TestClient,
        token_for: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        headers = bearer(token_for(Role.AUDITOR))
        response = anonymous_client.post("/api/v1/parties", json=party_payload(), headers=headers)
        assert response.status_code == 403
        [event] = denials(session_maker)
        assert event.data["code"] == "permission-denied"
        assert event.actor.startswith("user:auditor")

    def test_idempotency_keys_belong_to_their_principal(
        self, anonymous_client: TestClient, token_for: Callable[..., str]
    ) -> None:
        body = party_payload()
        first = bearer(token_for(Role.ADMINISTRATOR)) | {"Idempotency-Key": "same"}
        second = bearer(token_for(Role.ZONE_REVIEWER)) | {"Idempotency-Key": "same"}
        assert anonymous_client.post("/api/v1/parties", json=body, headers=first).status_code == 201
        # Another principal's identical key is a different request: it runs, and clashes.
        again = anonymous_client.post("/api/v1/parties", json=body, headers=second)
        assert again.status_code == 409
        assert "Idempotent-Replayed" not in again.headers


class TestSessions:
    def test_login_sets_an_httponly_samesite_cookie_and_returns_the_csrf_token(
        self, anonymous_client: TestClient, reviewer: str
    ) -> None:
        response = anonymous_client.post(
            "/api/v1/auth/login", json={"username": reviewer, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert response.json()["csrf_token"]
        assert anonymous_client.get("/api/v1/auth/me").json()["roles"] == ["zone_reviewer"]

    def test_a_write_with_the_session_cookie_needs_the_csrf_header(
        self, anonymous_client: TestClient, reviewer: str
    ) -> None:
        csrf = anonymous_client.post(
            "/api/v1/auth/login", json={"username": reviewer, "password": PASSWORD}
        ).json()["csrf_token"]
        refused = anonymous_client.post("/api/v1/parties", json=party_payload())
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["detail"]
        accepted = anonymous_client.post(
            "/api/v1/parties", json=party_payload(), headers={"X-CSRF-Token": csrf}
        )
        assert accepted.status_code == 201, accepted.text

    def test_a_wrong_password_is_401_and_repeated_failures_are_throttled(
        self, anonymous_client: TestClient, reviewer: str
    ) -> None:
        wrong = {"username": reviewer, "password": "not the password at all"}
        statuses = [
            anonymous_client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(6)
        ]
        assert statuses[:5] == [401] * 5
        assert statuses[5] == 429
        right = anonymous_client.post(
            "/api/v1/auth/login", json={"username": reviewer, "password": PASSWORD}
        )
        assert right.status_code == 429
        assert int(right.headers["Retry-After"]) > 0

    def test_logout_ends_the_session(self, anonymous_client: TestClient, reviewer: str) -> None:
        csrf = anonymous_client.post(
            "/api/v1/auth/login", json={"username": reviewer, "password": PASSWORD}
        ).json()["csrf_token"]
        assert anonymous_client.post(
            "/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}
        ).json() == {"ended": True}
        assert anonymous_client.get("/api/v1/auth/me").status_code == 401


class TestRateLimit:
    def test_a_principal_over_its_budget_gets_429_with_retry_after(
        self, anonymous_client: TestClient, token_for: Callable[..., str]
    ) -> None:
        app = anonymous_client.app
        app_state(app).rate_limiter = RateLimiter(rate_per_second=0.5, burst=3)
        headers = bearer(token_for(Role.AUDITOR))
        statuses = [
            anonymous_client.get("/api/v1/auth/me", headers=headers).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        limited = anonymous_client.get("/api/v1/auth/me", headers=headers)
        assert int(limited.headers["Retry-After"]) >= 1
        # Another principal has its own budget.
        other = bearer(token_for(Role.AUDITOR))
        assert anonymous_client.get("/api/v1/auth/me", headers=other).status_code == 200


class TestThrottlingIsAudited:
    def test_a_sign_in_refused_by_throttling_writes_a_denial(
        self,
        anonymous_client: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
    ) -> None:
        wrong = {"username": reviewer, "password": "not the password at all"}
        for _ in range(6):
            anonymous_client.post("/api/v1/auth/login", json=wrong)
        app_state(anonymous_client.app).refusals.flush()
        with session_maker() as session:
            [event] = session.scalars(select(AuditEvent).where(AuditEvent.tag == TAG))
        assert event.data["code"] == "too-many-attempts"
        assert event.data["count"] == 1
