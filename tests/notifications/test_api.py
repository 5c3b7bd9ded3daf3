"""The webhook API: the secret in the first answer only, the own party's webhooks only."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer, make_party
from hetao.auth.principal import Role
from hetao.notifications import service
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from notifications.support import submitted_application
from web.support import SETUP


def enterprise(
    session_maker: sessionmaker[Session], token_for: Callable[..., str]
) -> tuple[int, dict[str, str]]:
    with session_maker() as s:
        party_id = make_party(s, SETUP).id
        s.commit()
    return party_id, bearer(token_for(Role.ENTERPRISE_USER, party_id=party_id))


class TestWebhookApi:
    def test_the_secret_is_in_the_first_answer_only(
        self,
        anonymous_client: TestClient,
        session_maker: sessionmaker[Session],
        token_for: Callable[..., str],
    ) -> None:
        _, headers = enterprise(session_maker, token_for)
        headers = {**headers, "Idempotency-Key": "hook-1"}
        body = {"url": "https://hooks.example.com/in"}
        first = anonymous_client.post("/api/v1/webhooks", json=body, headers=headers)
        assert first.status_code == 201, first.text
        secret = first.json()["secret"]
        assert secret.startswith("whsec_")
        replay = anonymous_client.post("/api/v1/webhooks", json=body, headers=headers)
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json()["secret"] is None
        assert replay.json()["webhook"] == first.json()["webhook"]
        with session_maker() as s:
            stored = repr(s.execute(text("SELECT body FROM idempotency_records")).all())
            assert secret not in stored

    def test_another_partys_webhook_answers_404(
        self,
        anonymous_client: TestClient,
        session_maker: sessionmaker[Session],
        token_for: Callable[..., str],
    ) -> None:
        _, mine = enterprise(session_maker, token_for)
        _, theirs = enterprise(session_maker, token_for)
        made = anonymous_client.post(
            "/api/v1/webhooks", json={"url": "https://a.example.com/"}, headers=theirs
        ).json()["webhook"]
        for method, path in (
            ("GET", ""),
            ("GET", "/deliveries"),
            ("POST", "/disable"),
            ("POST", "/rotate-secret"),
        ):
            response = anonymous_client.request(
                method, f"/api/v1/webhooks/{made['id']}{path}", headers=mine
            )
            assert response.status_code == 404, (method, path)
        assert anonymous_client.get("/api/v1/webhooks", headers=mine).json() == []

    def test_a_private_address_is_a_422_naming_the_field(
        self,
        anonymous_client: TestClient,
        session_maker: sessionmaker[Session],
        token_for: Callable[..., str],
    ) -> None:
        _, headers = enterprise(session_maker, token_for)
        response = anonymous_client.post(
            "/api/v1/webhooks", json={"url": "https://10.0.0.8/in"}, headers=headers
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["url"]

    def test_the_feed_is_the_partys_own(
        self,
        anonymous_client: TestClient,
        session_maker: sessionmaker[Session],
        token_for: Callable[..., str],
        profile: ZoneProfile,
    ) -> None:
        party_id, headers = enterprise(session_maker, token_for)
        with session_maker() as s:
            application = submitted_application(s, SETUP, profile, s.get_one(Party, party_id))
            submitted_application(s, SETUP, profile, make_party(s, SETUP))
            service.gather(s)
            s.commit()
        feed = anonymous_client.get("/api/v1/notifications", headers=headers).json()
        assert [(n["event"], n["subject_id"], n["path"]) for n in feed] == [
            (
                "registry:application:submit",
                application.id,
                f"/portal/applications/{application.id}",
            )
        ]
