"""Each role lands on its home with its own menu; the language switch keeps the page and the
user's choice follows them across signing out, another browser, and back in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from factories import make_party
from hetao.audit.models import AuditEvent
from hetao.auth.principal import Role
from hetao.web.i18n import LANGUAGE_COOKIE
from hetao.web.navigation import HOME
from web.support import PASSWORD, SETUP, csrf_of

PEOPLE = [role for role in Role if role is not Role.GATE_DEVICE]


def sign_in(client: TestClient, username: str) -> None:
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


class TestHome:
    @pytest.mark.parametrize("role", PEOPLE, ids=str)
    def test_each_role_lands_on_its_home_after_signing_in(
        self,
        console: TestClient,
        user: Callable[..., str],
        session_maker: sessionmaker[Session],
        role: Role,
    ) -> None:
        party_id = None
        if role is Role.ENTERPRISE_USER:
            with session_maker() as session:
                party_id = make_party(session, SETUP).id
                session.commit()
        sign_in(console, user(role, party_id=party_id))
        landing = console.get("/", follow_redirects=False)
        assert landing.status_code == 303
        assert landing.headers["location"] == HOME[role]
        page = console.get(HOME[role])
        assert page.status_code == 200, page.text
        assert 'aria-label="Main"' in page.text

    def test_the_audit_menu_is_only_shown_to_those_who_may_read_it(
        self, console: TestClient, user: Callable[..., str]
    ) -> None:
        sign_in(console, user(Role.ZONE_REVIEWER))
        assert "/audit/events" not in console.get("/home").text
        console.cookies.clear()
        sign_in(console, user(Role.AUDITOR))
        assert 'href="/audit/events"' in console.get("/home").text

    def test_nobody_signed_in_is_sent_to_sign_in(self, console: TestClient) -> None:
        assert console.get("/", follow_redirects=False).headers["location"] == "/login"
        home = console.get("/home", follow_redirects=False)
        assert home.status_code == 303
        assert home.headers["location"] == "/login?next=%2Fhome"


class TestLanguage:
    def test_accept_language_decides_until_a_choice_is_made(self, console: TestClient) -> None:
        page = console.get("/login", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
        assert '<html lang="zh-Hant">' in page.text
        assert "<h1>登入</h1>" in page.text
        page = console.get("/login", headers={"Accept-Language": "zh-CN"})
        assert '<html lang="zh-Hans">' in page.text
        assert "<h1>登录</h1>" in page.text

    def test_the_switch_keeps_the_page_and_is_remembered_in_the_browser(
        self, console: TestClient
    ) -> None:
        switched = console.post(
            "/language",
            data={"lang": "zh-Hans", "next": "/login?next=%2Fhome"},
            follow_redirects=False,
        )
        assert switched.status_code == 303
        assert switched.headers["location"] == "/login?next=%2Fhome"
        assert console.cookies.get(LANGUAGE_COOKIE) == "zh-Hans"
        page = console.get("/login", headers={"Accept-Language": "en"})
        assert '<html lang="zh-Hans">' in page.text

    def test_a_foreign_page_or_language_changes_nothing(self, console: TestClient) -> None:
        off_site = console.post(
            "/language",
            data={"lang": "fr", "next": "https://evil.example/"},
            follow_redirects=False,
        )
        assert off_site.headers["location"] == "/"
        assert LANGUAGE_COOKIE not in console.cookies

    def test_a_users_choice_is_kept_with_the_user_and_audited(
        self,
        console: TestClient,
        user: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        username = user(Role.ZONE_REVIEWER)
        sign_in(console, username)
        token = csrf_of(console.get("/home").text)
        console.post(
            "/language",
            data={"lang": "zh-Hant", "next": "/home", "csrf_token": token},
            follow_redirects=False,
        )
        assert '<html lang="zh-Hant">' in console.get("/home").text
        # Sign out, forget this browser entirely, sign in again: the choice comes back.
        console.post("/logout", data={"csrf_token": csrf_of(console.get("/home").text)})
        console.cookies.clear()
        assert '<html lang="en">' in console.get("/login").text
        sign_in(console, username)
        home = console.get("/home")
        assert '<html lang="zh-Hant">' in home.text
        assert "登出" in home.text
        with session_maker() as session:
            tags = [event.tag for event in session.query(AuditEvent).all()]
        assert tags.count("auth:user:language") == 1

    def test_a_signed_in_switch_without_its_csrf_token_is_refused(
        self, console: TestClient, user: Callable[..., str]
    ) -> None:
        sign_in(console, user(Role.ZONE_REVIEWER))
        refused = console.post("/language", data={"lang": "zh-Hant", "next": "/home"})
        assert refused.status_code == 403
