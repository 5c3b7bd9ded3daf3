"""The audit log pages: who may see them, the list, one event and its inclusion proof."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from factories import bearer, make_party
from hetao.audit.models import AuditEvent
from hetao.auth.principal import Role
from hetao.auth.ratelimit import RateLimiter
from hetao.cli import app as cli
from hetao.web import audit as web_audit
from web.support import SETUP, add_events, is_page, sign_checkpoint

SEQ_LINK = re.compile(r'<a href="/audit/events/(\d+)">')


def newest_seq(session_maker: sessionmaker[Session]) -> int:
    with session_maker() as s:
        return int(s.scalar(select(func.max(AuditEvent.seq))) or 0)


def app_of(client: TestClient) -> FastAPI:
    app = client.app
    assert isinstance(app, FastAPI)
    return app


class TestWhoMaySeeTheLog:
    def test_anonymous_visitors_are_sent_to_sign_in_and_back(self, console: TestClient) -> None:
        response = console.get("/audit/events/7?x=1", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Faudit%2Fevents%2F7%3Fx%3D1"

    def test_an_officer_gets_the_403_page(
        self, console: TestClient, token_for: Callable[..., str]
    ) -> None:
        response = console.get("/audit/events", headers=bearer(token_for(Role.FIRST_LINE_OFFICER)))
        assert response.status_code == 403
        assert is_page(response)
        assert "Access denied" in response.text
        assert "Traceback" not in response.text

    def test_an_enterprise_user_gets_the_403_page(
        self,
        console: TestClient,
        token_for: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        with session_maker() as s:
            party_id = make_party(s, SETUP).id
            s.commit()
        token = token_for(Role.ENTERPRISE_USER, party_id=party_id)
        response = console.get("/audit/events/1", headers=bearer(token))
        assert response.status_code == 403
        assert is_page(response)

    def test_a_signed_in_officer_is_refused_too_and_may_still_sign_out(
        self, console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]
    ) -> None:
        sign_in(user(Role.SECOND_LINE_OFFICER))
        response = console.get("/audit/events")
        assert response.status_code == 403
        assert 'action="/logout"' in response.text
        assert "second-line officer" in response.text

    def test_an_administrator_may_read_the_log(
        self, console: TestClient, token_for: Callable[..., str]
    ) -> None:
        response = console.get("/audit/events", headers=bearer(token_for(Role.ADMINISTRATOR)))
        assert response.status_code == 200

    def test_the_json_api_still_answers_with_problems(self, console: TestClient) -> None:
        response = console.get("/api/v1/audit/events")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


class TestEventList:
    def test_shows_the_newest_events_first_with_their_columns(
        self,
        console: TestClient,
        user: Callable[..., str],
        sign_in: Callable[[str], str],
        session_maker: sessionmaker[Session],
    ) -> None:
        with session_maker() as s:
            add_events(s, 3, tag="registry:entry:revoke")
            s.commit()
        sign_in(user(Role.AUDITOR))
        response = console.get("/audit/events")
        assert response.status_code == 200
        html = response.text
        seqs = [int(s) for s in SEQ_LINK.findall(html)]
        assert seqs == sorted(seqs, reverse=True)
        assert seqs[0] == newest_seq(session_maker)
        for header in ("Seq", "Time (UTC)", "Tag", "Subject", "Actor"):
            assert f"{header}</th>" in html
        assert "<code>registry:entry:revoke</code>" in html
        assert "entry 3" in html
        assert "test:setup" in html
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", html)

    def test_pages_to_older_events_with_a_cursor(
        self,
        console: TestClient,
        user: Callable[..., str],
        sign_in: Callable[[str], str],
        session_maker: sessionmaker[Session],
    ) -> None:
        with session_maker() as s:
            add_events(s, 7)
            s.commit()
        sign_in(user(Role.AUDITOR))
        total = newest_seq(session_maker)
        seen: list[int] = []
        response = console.get("/audit/events", params={"limit": 3})
        while True:
            seen += [int(s) for s in SEQ_LINK.findall(response.text)]
            older = re.search(r'href="(/audit/events\?[^"]+)" rel="next"', response.text)
            if older is None:
                break
            response = console.get(older.group(1).replace("&amp;", "&"))
            assert "Newest events" in response.text
        assert seen == list(range(total, 0, -1))

    def test_filters_by_tag(
        self,
        console: TestClient,
        user: Callable[..., str],
        sign_in: Callable[[str], str],
        session_maker: sessionmaker[Session],
    ) -> None:
        with session_maker() as s:
            add_events(s, 2, tag="registry:entry:revoke")
            add_events(s, 4, tag="registry:entry:suspend")
            s.commit()
        sign_in(user(Role.AUDITOR))
        response = console.get("/audit/events", params={"tag": "registry:entry:revoke"})
        assert len(SEQ_LINK.findall(response.text)) == 2
        assert "<code>registry:entry:suspend</code>" not in response.text
        assert 'value="registry:entry:revoke"' in response.text

    def test_a_cursor_the_server_did_not_issue_is_a_422_page(
        self, console: TestClient, token_for: Callable[..., str]
    ) -> None:
        response = console.get(
            "/audit/events",
            params={"cursor": "not-ours"},
            headers=bearer(token_for(Role.AUDITOR)),
        )
        assert response.status_code == 422
        assert is_page(response)
        assert "cursor" in response.text

    def test_a_bad_page_size_is_a_422_page_naming_the_field(
        self, console: TestClient, token_for: Callable[..., str]
    ) -> None:
        response = console.get(
            "/audit/events", params={"limit": 0}, headers=bearer(token_for(Role.AUDITOR))
        )
        assert response.status_code == 422
        assert is_page(response)
        assert "<code>limit</code>" in response.text


class TestEventPage:
    def test_shows_the_event_and_a_proof_that_checks_ok(
        self,
        console: TestClient,
        user: Callable[..., str],
        sign_in: Callable[[str], str],
        session_maker: sessionmaker[Session],
    ) -> None:
        sign_in(user(Role.AUDITOR))
        with session_maker() as s:
            add_events(s, 5)
            signed = sign_checkpoint(s, app_of(console))
            s.commit()
        seq = newest_seq(session_maker) - 2
        with session_maker() as s:
            event = s.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).one()
            leaf, chain = bytes(event.leaf_hash).hex(), bytes(event.chain_hash).hex()
        response = console.get(f"/audit/events/{seq}")
        assert response.status_code == 200
        html = response.text
        assert f"Audit event {seq}</h1>" in html
        assert leaf in html
        assert chain in html
        assert "&#34;名称&#34;: &#34;河套&#34;" in html  # data as JSON, escaped, not mangled
        assert "The proof holds." in html
        checks = re.findall(r'<span class="mark">(ok|FAIL)</span>', html)
        assert checks
        assert set(checks) == {"ok"}
        fields = signed.fields
        assert f"<dd>{fields['tree_size']}</dd>" in html
        assert fields["root_hash"] in html
        assert fields["key_id"] in html
        assert re.search(r'<ol class="path">\s*<li><code class="hash">[0-9a-f]{64}</code>', html)
        assert "hetao audit check-proof proof.json --public-key public-key.pem" in html
        assert f'href="/audit/events/{seq}/proof.json"' in html

    def test_the_downloaded_proof_passes_the_offline_cli_check(
        self,
        console: TestClient,
        token_for: Callable[..., str],
        session_maker: sessionmaker[Session],
        tmp_path: Path,
    ) -> None:
        with session_maker() as s:
            add_events(s, 4)
            sign_checkpoint(s, app_of(console))
            s.commit()
        seq = newest_seq(session_maker) - 1
        response = console.get(
            f"/audit/events/{seq}/proof.json", headers=bearer(token_for(Role.AUDITOR))
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert 'filename="proof.json"' in response.headers["content-disposition"]
        assert json.loads(response.text)["event"]["seq"] == seq
        (tmp_path / "proof.json").write_bytes(response.content)
        public_key = app_of(console).state.checkpoint_dir / "public-key.pem"
        (tmp_path / "public-key.pem").write_bytes(public_key.read_bytes())
        result = CliRunner().invoke(
            cli,
            [
                "audit",
                "check-proof",
                str(tmp_path / "proof.json"),
                "--public-key",
                str(tmp_path / "public-key.pem"),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "FAIL" not in result.output

    def test_says_plainly_when_no_checkpoint_covers_the_event_yet(
        self,
        console: TestClient,
        user: Callable[..., str],
        sign_in: Callable[[str], str],
        session_maker: sessionmaker[Session],
    ) -> None:
        sign_in(user(Role.AUDITOR))
        seq = newest_seq(session_maker)
        response = console.get(f"/audit/events/{seq}")
        assert response.status_code == 200
        assert "No signed checkpoint covers this event yet" in response.text
        assert "check-proof" not in response.text

    def test_the_proof_document_of_an_uncovered_event_is_a_404_page(
        self,
        console: TestClient,
        token_for: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        token = token_for(Role.AUDITOR)
        response = console.get(
            f"/audit/events/{newest_seq(session_maker)}/proof.json", headers=bearer(token)
        )
        assert response.status_code == 404
        assert is_page(response)

    def test_an_unknown_event_is_a_404_page(
        self, console: TestClient, token_for: Callable[..., str]
    ) -> None:
        response = console.get("/audit/events/999999", headers=bearer(token_for(Role.AUDITOR)))
        assert response.status_code == 404
        assert is_page(response)
        assert "audit event 999999 does not exist" in response.text

    def test_a_sequence_number_out_of_range_is_a_422_page(
        self, console: TestClient, token_for: Callable[..., str]
    ) -> None:
        token = token_for(Role.AUDITOR)
        for seq in ("0", "abc", str(2**70)):
            response = console.get(f"/audit/events/{seq}", headers=bearer(token))
            assert response.status_code == 422, seq
            assert is_page(response)


class TestErrorPages:
    def test_an_unexpected_failure_is_a_500_page_with_a_reference_and_no_trace(
        self, console: TestClient, token_for: Callable[..., str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("secret internal detail")

        monkeypatch.setattr(web_audit, "latest_events", broken)
        response = console.get(
            "/audit/events",
            headers={**bearer(token_for(Role.AUDITOR)), "X-Request-ID": "trace-me-42"},
        )
        assert response.status_code == 500
        assert is_page(response)
        assert "Internal error" in response.text
        assert "trace-me-42" in response.text
        assert response.headers["x-request-id"] == "trace-me-42"
        assert "secret internal detail" not in response.text
        assert "Traceback" not in response.text

    def test_too_many_requests_is_a_429_page_with_retry_after(
        self, console: TestClient, token_for: Callable[..., str]
    ) -> None:
        app_of(console).state.rate_limiter = RateLimiter(0.01, 1)
        headers = bearer(token_for(Role.AUDITOR))
        assert console.get("/audit/events", headers=headers).status_code == 200
        response = console.get("/audit/events", headers=headers)
        assert response.status_code == 429
        assert is_page(response)
        assert int(response.headers["retry-after"]) >= 1
