"""No secret at rest: what an Idempotency-Key keeps holds no token, password or CSRF token.

Every secret the API hands out is issued here under an Idempotency-Key; then every column of
every table is read back and none of them may hold any of those secrets, whole or in part.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from credentials.support import whitelisted
from factories import bearer
from hetao.api import idempotency
from hetao.api.models import IdempotencyRecord
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile
from hetao.storage.types import Base, utcnow

API = "/api/v1"
PASSWORD = "correct horse battery staple 42"


def every_stored_text(session: Session) -> list[str]:
    """Each value of each column of each table, as text (bytes read as Latin-1, losslessly)."""
    values: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            for value in row:
                if isinstance(value, bytes | bytearray | memoryview):
                    values.append(bytes(value).decode("latin-1"))
                elif value is not None:
                    values.append(str(value))
    return values


def researcher(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> int:
    with session_maker() as session:
        person, _ = whitelisted(session, actor, profile)
        session.commit()
        return person.id


def device_token(name: str) -> dict[str, Any]:
    """What POST /tokens takes for a gate device's token."""
    return {
        "name": name,
        "roles": ["gate_device"],
        "device_name": name,
        "crossing_points": ["FBZ_CHANNEL_1"],
        "expires_at": (utcnow() + dt.timedelta(days=30)).isoformat(),
    }


def post(client: TestClient, path: str, body: Any, key: str, **headers: str) -> Any:
    return client.post(f"{API}{path}", json=body, headers={"Idempotency-Key": key, **headers})


class TestNoSecretAtRest:
    def test_no_table_holds_any_secret_issued_under_an_idempotency_key(
        self,
        anonymous_client: TestClient,
        token_for: Callable[..., str],
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        admin = bearer(token_for(Role.ADMINISTRATOR))
        expires = (utcnow() + dt.timedelta(days=30)).isoformat()

        user = post(
            anonymous_client,
            "/users",
            {
                "username": "li.secret",
                "display_name": "Li",
                "password": PASSWORD,
                "role": "zone_reviewer",
            },
            "user-1",
            **admin,
        )
        assert user.status_code == 201, user.text
        issued = post(
            anonymous_client,
            "/tokens",
            {
                "name": "integration",
                "roles": ["zone_reviewer"],
                "user_id": user.json()["id"],
                "expires_at": expires,
            },
            "token-1",
            **admin,
        )
        assert issued.status_code == 201, issued.text
        bearer_token = issued.json()["token"]
        credential = post(
            anonymous_client,
            "/credentials",
            {"person_id": researcher(session_maker, actor, profile)},
            "credential-1",
            **admin,
        )
        assert credential.status_code == 201, credential.text
        credential_token = credential.json()["token"]
        login = post(
            anonymous_client,
            "/auth/login",
            {"username": "li.secret", "password": PASSWORD},
            "login-1",
        )
        assert login.status_code == 200, login.text
        csrf_token = login.json()["csrf_token"]
        cookie_secret = login.cookies["hetao_session"]

        secrets = {
            "password": PASSWORD,
            "bearer token": bearer_token,
            "bearer secret": bearer_token.split("_", 2)[2],
            "credential token": credential_token,
            "credential signature": credential_token.rsplit(".", 1)[1],
            "csrf token": csrf_token,
            "session secret": cookie_secret,
        }
        assert all(secrets.values())
        with session_maker() as session:
            stored = every_stored_text(session)
            assert session.scalar(select(IdempotencyRecord.id).limit(1)) is not None
        found = {name for name, secret in secrets.items() if any(secret in v for v in stored)}
        assert found == set()

    def test_a_replay_answers_without_the_secret_and_says_so(
        self, client: TestClient, profile: ZoneProfile
    ) -> None:
        body = device_token("gate 7")
        first = post(client, "/tokens", body, "token-replay")
        again = post(client, "/tokens", body, "token-replay")
        assert first.status_code == again.status_code == 201
        assert first.json()["token"].startswith("hetao_")
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.headers[idempotency.WITHHELD_HEADER] == "token"
        assert again.json() == first.json() | {"token": None}
        assert "Idempotent-Withheld" not in first.headers

    def test_sign_in_is_never_replayed(
        self,
        client: TestClient,
        anonymous_client: TestClient,
        session_maker: sessionmaker[Session],
    ) -> None:
        created = client.post(
            f"{API}/users",
            json={
                "username": "wong.signin",
                "display_name": "Wong",
                "password": PASSWORD,
                "role": "auditor",
            },
        )
        assert created.status_code == 201, created.text
        anonymous_client.headers.pop("Authorization", None)
        credentials = {"username": "wong.signin", "password": PASSWORD}
        first = post(anonymous_client, "/auth/login", credentials, "login-again")
        anonymous_client.cookies.clear()  # as another browser, or one whose cookie was lost
        second = post(anonymous_client, "/auth/login", credentials, "login-again")
        assert first.status_code == second.status_code == 200
        assert "Idempotent-Replayed" not in second.headers
        assert first.json()["csrf_token"] != second.json()["csrf_token"]  # a new session
        with session_maker() as session:
            keys = session.scalars(select(IdempotencyRecord.key)).all()
        assert "login-again" not in keys

    def test_the_fingerprint_is_keyed_with_the_servers_secret(
        self, client: TestClient, session_maker: sessionmaker[Session], data_dir: Path
    ) -> None:
        body = json.dumps(device_token("fp")).encode()
        response = client.post(
            f"{API}/tokens",
            content=body,
            headers={"Idempotency-Key": "fp", "Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text
        with session_maker() as session:
            stored = session.scalars(
                select(IdempotencyRecord.fingerprint).where(IdempotencyRecord.key == "fp")
            ).one()
        key = idempotency.fingerprint_key(data_dir / idempotency.FINGERPRINT_KEY_FILE)
        assert len(key) == 32
        assert stored == idempotency.fingerprint(key, "POST", f"{API}/tokens", "", body)
        unkeyed = hashlib.sha256()
        for part in (b"POST", f"{API}/tokens".encode(), b""):
            unkeyed.update(len(part).to_bytes(4, "big") + part)
        unkeyed.update(body)
        assert stored != unkeyed.hexdigest()
        assert stored != idempotency.fingerprint(b"\0" * 32, "POST", f"{API}/tokens", "", body)


class TestRetention:
    def age(self, session_maker: sessionmaker[Session], key: str, hours: float) -> None:
        with session_maker() as session:
            session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.key == key)
                .values(created_at=utcnow() - dt.timedelta(hours=hours))
            )
            session.commit()

    def test_a_key_past_the_retention_is_answered_afresh(
        self, client: TestClient, session_maker: sessionmaker[Session], profile: ZoneProfile
    ) -> None:
        assert profile.api.replay_retention_hours == 24
        body = device_token("a")
        first = post(client, "/tokens", body, "old-key")
        self.age(session_maker, "old-key", 23.9)
        assert post(client, "/tokens", body, "old-key").json()["id"] == first.json()["id"]
        self.age(session_maker, "old-key", 24.1)
        fresh = post(client, "/tokens", body, "old-key")
        assert fresh.status_code == 201
        assert "Idempotent-Replayed" not in fresh.headers
        assert fresh.json()["id"] != first.json()["id"]

    @pytest.mark.parametrize("hours", [25, 24 * 30])
    def test_purge_deletes_only_records_past_the_retention(
        self,
        client: TestClient,
        session_maker: sessionmaker[Session],
        hours: int,
    ) -> None:
        body = device_token("b")
        post(client, "/tokens", body, "stale")
        post(client, "/tokens", body | {"name": "c"}, "recent")
        self.age(session_maker, "stale", hours)
        with session_maker() as session:
            purged = idempotency.purge(session, retention=dt.timedelta(hours=24))
            session.commit()
            left = set(session.scalars(select(IdempotencyRecord.key)))
        assert purged == 1
        assert "stale" not in left
        assert "recent" in left
