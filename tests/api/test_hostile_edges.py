"""The API's edge under hostile input, over a real server: bounded bodies read only after the
caller is known, a connection kept after a 500, refused anonymous requests summarised."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer, make_user_token
from hetao.api import denials
from hetao.api.state import app_state
from hetao.app import create_app
from hetao.audit.models import AuditEvent
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from hetao.storage.engine import session_factory, unit_of_work
from web.support import serve

MIB = 1024 * 1024


@contextmanager
def live(engine: Engine, profile: ZoneProfile, app: FastAPI | None = None) -> Iterator[str]:
    with serve(app or create_app(engine=engine, profile=profile)) as url:
        yield url


def raw_request(url: str, head: str, body: bytes = b"") -> tuple[int, dict[str, Any]]:
    """Send ``head`` (and ``body``) on a fresh socket; the status and problem document."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as connection:
        connection.sendall(head.encode("latin-1") + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer or not _complete(answer):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    header, _, payload = answer.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    return status, json.loads(payload) if payload.startswith(b"{") else {}


def _complete(answer: bytes) -> bool:
    header, _, payload = answer.partition(b"\r\n\r\n")
    for line in header.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(payload) >= int(value)
    return True


def post_head(path: str, *, length: int | None, token: str | None = None) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return "\r\n".join(lines) + "\r\n"


def admin_token(engine: Engine) -> str:
    with unit_of_work(session_factory(engine)) as session:
        return make_user_token(session, Role.ADMINISTRATOR)


def parties(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(Party)) or 0)


class TestBoundedBodies:
    def test_an_anonymous_post_is_refused_before_its_body_is_sent(
        self, committing_engine: Engine, profile: ZoneProfile
    ) -> None:
        # 95 MB announced and not one byte sent: only an answer before the body can come back.
        with live(committing_engine, profile) as url:
            status, problem = raw_request(url, post_head("/api/v1/parties", length=95_000_000))
        assert status == 401
        assert problem["type"] == "urn:hetao:problem:not-authenticated"

    def test_a_declared_body_over_the_limit_is_413_before_it_is_read(
        self, committing_engine: Engine, profile: ZoneProfile, cheap_hashing: None
    ) -> None:
        token = admin_token(committing_engine)
        with live(committing_engine, profile) as url:
            status, problem = raw_request(
                url, post_head("/api/v1/parties", length=2 * MIB, token=token)
            )
        assert status == 413
        assert problem["errors"] == [
            {"field": "body", "rule": "body.max_bytes", "message": "must be at most 1048576 bytes"}
        ]
        assert parties(committing_engine) == 0

    def test_a_chunked_body_is_cut_off_at_the_limit(
        self, committing_engine: Engine, profile: ZoneProfile, cheap_hashing: None
    ) -> None:
        token = admin_token(committing_engine)
        chunk = b" " * (256 * 1024)
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(6)) + b"0\r\n\r\n"
        with live(committing_engine, profile) as url:
            status, problem = raw_request(
                url, post_head("/api/v1/parties", length=None, token=token), chunks
            )
        assert status == 413
        assert problem["errors"][0]["rule"] == "body.max_bytes"
        assert parties(committing_engine) == 0

    def test_a_bulk_import_takes_the_larger_limit(
        self, client: TestClient, profile: ZoneProfile
    ) -> None:
        assert profile.api.max_bulk_body_bytes > 2 * MIB > profile.api.max_body_bytes
        csv_text = "family_name,given_name\n" + "Chan,Tai Man\n" * (2 * MIB // 13)
        response = client.post(
            "/api/v1/imports/persons",
            content=csv_text.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert response.status_code == 422  # read and validated, not refused for its size
        oversized = client.post(
            "/api/v1/parties", content=b" " * (2 * MIB), headers={"Content-Type": "text/csv"}
        )
        assert oversized.status_code == 413

    def test_a_malformed_content_length_is_a_named_4xx(
        self, committing_engine: Engine, profile: ZoneProfile, cheap_hashing: None
    ) -> None:
        token = admin_token(committing_engine)
        with live(committing_engine, profile) as url:
            status, _ = raw_request(url, post_head("/api/v1/parties", length=-5, token=token))
        assert 400 <= status < 500


class TestAfterAServerError:
    def test_the_connection_stays_open_after_a_500(
        self, committing_engine: Engine, profile: ZoneProfile
    ) -> None:
        app = create_app(engine=committing_engine, profile=profile)

        @app.get("/api/v1/test-only/fails")
        def fails() -> None:
            raise RuntimeError("a fault the server did not foresee")

        with live(committing_engine, profile, app) as url:
            address = urlsplit(url)
            connection = http.client.HTTPConnection(address.hostname or "", address.port)
            connection.request("GET", "/api/v1/test-only/fails")
            failed = connection.getresponse()
            problem = json.loads(failed.read())
            socket_before = connection.sock
            connection.request("GET", "/api/v1/health")
            health = connection.getresponse()
            health.read()
            socket_after = connection.sock
            connection.close()
        assert failed.status == 500
        assert failed.getheader("Content-Type") == "application/problem+json"
        assert problem["type"] == "urn:hetao:problem:internal-error"
        assert "a fault" not in json.dumps(problem)  # never the internal message
        assert health.status == 200
        assert socket_before is not None
        assert socket_after is socket_before  # the same connection, not a reconnect


class TestAnonymousNoise:
    def count_events(self, session_maker: sessionmaker[Session], tag: str) -> list[AuditEvent]:
        with session_maker() as session:
            return list(session.scalars(select(AuditEvent).where(AuditEvent.tag == tag)))

    def test_refused_anonymous_requests_are_one_summary_per_source(
        self,
        anonymous_client: TestClient,
        session_maker: sessionmaker[Session],
    ) -> None:
        def all_events() -> int:
            with session_maker() as session:
                return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)

        before = all_events()
        for index in range(300):
            path = "/api/v1/parties" if index % 3 else "/api/v1/persons"
            assert anonymous_client.get(path).status_code == 401
        assert anonymous_client.post("/api/v1/parties", json={}).status_code == 401
        for _ in range(5):
            forged = anonymous_client.get("/api/v1/parties", headers=bearer("hetao_1_forged"))
            assert forged.status_code == 401
        assert all_events() == before  # nothing written per request
        refusals = app_state(anonymous_client.app).refusals
        assert refusals.pending() == 306
        assert refusals.flush() == 1  # one source (the test client), one reason
        [summary] = self.count_events(session_maker, denials.TAG)
        assert summary.actor == "anonymous:testclient"
        assert summary.data["code"] == "not-authenticated"
        assert summary.data["count"] == 306
        assert summary.data["paths"] == {
            "GET /api/v1/parties": 205,
            "GET /api/v1/persons": 100,
            "POST /api/v1/parties": 1,
        }
        assert summary.data["first_at"] <= summary.data["last_at"]
        assert refusals.pending() == 0
        assert refusals.flush() == 0

    def test_summaries_are_bounded_in_sources_and_paths(
        self, session_maker: sessionmaker[Session]
    ) -> None:
        refusals = denials.RefusalSummaries(session_maker, every_seconds=3600)
        for index in range(denials.MAX_SOURCES + 50):
            refusals.count(f"10.0.{index // 256}.{index % 256}", "not-authenticated", "x", "/")
        for index in range(denials.MAX_PATHS + 7):
            refusals.count("203.0.113.9", "not-authenticated", "x", f"GET /p/{index}")
        assert refusals.pending() == denials.MAX_SOURCES + 50 + denials.MAX_PATHS + 7
        tallies = refusals._tallies
        assert len(tallies) == denials.MAX_SOURCES + 1  # the overflow shares one tally
        assert tallies[(denials.OTHER, "not-authenticated")].count == 50 + denials.MAX_PATHS + 7

    def test_stopping_writes_what_is_still_counted(
        self, session_maker: sessionmaker[Session]
    ) -> None:
        refusals = denials.RefusalSummaries(session_maker, every_seconds=3600)
        refusals.start()
        refusals.count("198.51.100.7", "not-authenticated", "no credentials", "GET /api/v1/x")
        refusals.stop()
        [summary] = self.count_events(session_maker, denials.TAG)
        assert summary.data["count"] == 1
