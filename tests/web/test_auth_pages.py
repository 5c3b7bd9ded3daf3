"""Signing in and out of the console with forms and the session cookie."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hetao.api.security import SESSION_COOKIE
from hetao.auth.models import LoginAttempt
from hetao.auth.principal import Role
from hetao.auth.service import LOGIN_MAX_FAILURES_PER_USERNAME
from hetao.web.auth import DEFAULT_NEXT, safe_next
from web.support import PASSWORD, csrf_of, is_page


class TestSignInForm:
    def test_renders_a_labelled_form_with_the_next_page(self, console: TestClient) -> None:
        response = console.get("/login", params={"next": "/audit/events/3"})
        assert response.status_code == 200
        assert is_page(response)
        html = response.text
        assert '<html lang="en">' in html
        assert '<label for="username">Username</label>' in html
        assert 'type="password"' in html
        assert 'name="next" value="/audit/events/3"' in html
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    def test_someone_signed_in_goes_straight_on(
        self, console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]
    ) -> None:
        sign_in(user(Role.AUDITOR))
        response = console.get("/login", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == DEFAULT_NEXT


class TestSignIn:
    def test_sets_an_http_only_lax_secure_cookie_and_goes_to_next(
        self, console: TestClient, user: Callable[..., str]
    ) -> None:
        username = user(Role.AUDITOR)
        response = console.post(
            "/login",
            data={"username": username, "password": PASSWORD, "next": "/audit/events?tag=x"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/audit/events?tag=x"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        attributes = {part.strip().lower() for part in cookie.split(";")}
        assert {"httponly", "samesite=lax", "secure", "path=/"} <= attributes
        assert console.get("/audit/events").status_code == 200

    def test_a_wrong_password_shows_the_form_again_with_401(
        self, console: TestClient, user: Callable[..., str]
    ) -> None:
        username = user(Role.AUDITOR)
        response = console.post("/login", data={"username": username, "password": "not it at all"})
        assert response.status_code == 401
        assert is_page(response)
        assert "The username or password is not correct" in response.text
        assert f'value="{username}"' in response.text
        assert 'role="alert"' in response.text
        assert SESSION_COOKIE not in response.cookies

    def test_an_empty_form_asks_for_both_fields_without_counting_an_attempt(
        self, console: TestClient, session_maker: sessionmaker[Session]
    ) -> None:
        response = console.post("/login", data={"username": "", "password": ""})
        assert response.status_code == 422
        assert "Enter your username and your password." in response.text
        with session_maker() as s:
            assert s.scalars(select(LoginAttempt)).first() is None

    def test_five_failures_lock_the_username_even_for_the_right_password(
        self,
        console: TestClient,
        user: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        username = user(Role.AUDITOR)
        for _ in range(LOGIN_MAX_FAILURES_PER_USERNAME):
            wrong = console.post("/login", data={"username": username, "password": "wrong guess!"})
            assert wrong.status_code == 401
        locked = console.post("/login", data={"username": username, "password": PASSWORD})
        assert locked.status_code == 429
        assert is_page(locked)
        assert int(locked.headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in locked.text
        assert SESSION_COOKIE not in locked.cookies
        with session_maker() as s:
            # Committed by the requests themselves, not left in a rolled-back transaction.
            failures = s.scalars(
                select(LoginAttempt).where(
                    LoginAttempt.username == username, LoginAttempt.succeeded.is_(False)
                )
            ).all()
        assert len(failures) == LOGIN_MAX_FAILURES_PER_USERNAME

    def test_goes_to_the_default_page_rather_than_another_site(
        self, console: TestClient, user: Callable[..., str]
    ) -> None:
        response = console.post(
            "/login",
            data={"username": user(Role.AUDITOR), "password": PASSWORD, "next": "//evil.example"},
            follow_redirects=False,
        )
        assert response.headers["location"] == DEFAULT_NEXT

    def test_refuses_a_form_posted_from_another_site(
        self, console: TestClient, user: Callable[..., str]
    ) -> None:
        response = console.post(
            "/login",
            data={"username": user(Role.AUDITOR), "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert is_page(response)
        assert SESSION_COOKIE not in response.cookies

    def test_accepts_a_form_posted_from_this_site(
        self, console: TestClient, user: Callable[..., str]
    ) -> None:
        response = console.post(
            "/login",
            data={"username": user(Role.AUDITOR), "password": PASSWORD},
            headers={"Origin": "https://testserver"},
            follow_redirects=False,
        )
        assert response.status_code == 303


class TestSignOut:
    def test_without_the_csrf_field_is_refused_with_the_403_page(
        self, console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]
    ) -> None:
        sign_in(user(Role.AUDITOR))
        response = console.post("/logout", data={}, follow_redirects=False)
        assert response.status_code == 403
        assert is_page(response)
        assert "Access denied" in response.text
        assert console.get("/audit/events").status_code == 200  # still signed in

    def test_with_a_wrong_csrf_field_is_refused(
        self, console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]
    ) -> None:
        sign_in(user(Role.AUDITOR))
        response = console.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
        assert response.status_code == 403

    def test_with_the_csrf_field_ends_the_session(
        self, console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]
    ) -> None:
        token = sign_in(user(Role.AUDITOR))
        response = console.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
        assert SESSION_COOKIE not in console.cookies
        after = console.get("/audit/events", follow_redirects=False)
        assert after.status_code == 303
        assert after.headers["location"].startswith("/login")

    def test_the_ended_session_cookie_no_longer_works(
        self, console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]
    ) -> None:
        token = sign_in(user(Role.AUDITOR))
        secret = console.cookies[SESSION_COOKIE]
        console.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        console.cookies.set(SESSION_COOKIE, secret)
        replay = console.get("/audit/events", follow_redirects=False)
        assert replay.status_code == 303

    def test_the_sign_out_button_is_a_post_form_with_the_token(
        self, console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]
    ) -> None:
        token = sign_in(user(Role.AUDITOR))
        page = console.get("/audit/events").text
        assert '<form method="post" action="/logout">' in page
        assert csrf_of(page) == token


class TestSafeNext:
    @pytest.mark.parametrize(
        "target",
        [
            "/audit/events",
            "/audit/events/12",
            "/audit/events?tag=auth:session:login&cursor=eyJ9",
        ],
    )
    def test_keeps_paths_on_this_site(self, target: str) -> None:
        assert safe_next(target) == target

    @pytest.mark.parametrize(
        "target",
        [
            None,
            "",
            "audit/events",
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/a\r\nSet-Cookie: x=1",
            "/" + "a" * 3000,
        ],
    )
    def test_replaces_anything_else_with_the_default(self, target: str | None) -> None:
        assert safe_next(target) == DEFAULT_NEXT
