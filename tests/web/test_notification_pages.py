"""The enterprise's notification pages: its feed, its webhooks, a secret shown once, the log."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer, make_party
from hetao.auth.principal import Role
from hetao.notifications import delivery, service
from hetao.notifications.models import (
    Delivery,
    DeliveryStatus,
    SubjectKind,
    Webhook,
    WebhookStatus,
)
from hetao.notifications.views import event_key, latest_panel
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party, WhitelistApplication
from hetao.storage.types import utcnow
from hetao.web.i18n import LANGUAGES, MESSAGES
from hetao.web.rendering import ENV
from notifications.support import submitted_application
from web.support import SETUP

SECRET = re.compile(r"whsec_[A-Za-z0-9_-]{20,}")


def party_of(session_maker: sessionmaker[Session]) -> int:
    with session_maker() as s:
        party_id = make_party(s, SETUP).id
        s.commit()
    return party_id


def app_of(client: TestClient) -> FastAPI:
    app = client.app
    assert isinstance(app, FastAPI)
    return app


@pytest.fixture
def party_id(session_maker: sessionmaker[Session]) -> int:
    return party_of(session_maker)


@pytest.fixture
def signed_in(party_id: int, user: Callable[..., str], sign_in: Callable[[str], str]) -> str:
    """An enterprise user of ``party_id`` signed in; its CSRF token."""
    return sign_in(user(Role.ENTERPRISE_USER, party_id=party_id))


def register(console: TestClient, csrf: str, url: str, **headers: str) -> str:
    """Register through the form; the secret the answering page shows."""
    response = console.post(
        "/portal/webhooks", data={"url": url, "csrf_token": csrf}, headers=headers
    )
    assert response.status_code == 201, response.text
    found = SECRET.search(response.text)
    assert found is not None
    return found.group(0)


def webhook_ids(session_maker: sessionmaker[Session], party_id: int) -> list[int]:
    with session_maker() as s:
        return [w.id for w in service.webhooks_of(s, party_id)]


def status_changes(
    session_maker: sessionmaker[Session], profile: ZoneProfile, *party_ids: int
) -> list[WhitelistApplication]:
    """One submitted application per party, gathered into the feed."""
    with session_maker() as s:
        made = [
            submitted_application(s, SETUP, profile, s.get_one(Party, party_id))
            for party_id in party_ids
        ]
        service.gather(s)
        s.commit()
    return made


def registered_webhook(
    console: TestClient, csrf: str, session_maker: sessionmaker[Session], party_id: int
) -> int:
    """The id of the one webhook registered through the form."""
    register(console, csrf, "https://hooks.example.com/in")
    (webhook_id,) = webhook_ids(session_maker, party_id)
    return webhook_id


class TestFeed:
    def test_shows_the_partys_status_changes_with_links(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        party_id: int,
        signed_in: str,
    ) -> None:
        other = party_of(session_maker)
        application, foreign = status_changes(session_maker, profile, party_id, other)
        page = console.get("/portal/notifications")
        assert page.status_code == 200
        assert f"Application #{application.id} was submitted for review." in page.text
        assert f'href="/portal/applications/{application.id}"' in page.text
        assert f"/portal/applications/{foreign.id}" not in page.text

    def test_speaks_the_users_language(
        self, console: TestClient, session_maker: sessionmaker[Session], profile: ZoneProfile,
        party_id: int, signed_in: str,
    ) -> None:  # fmt: skip
        (application,) = status_changes(session_maker, profile, party_id)
        console.post("/language", data={"lang": "zh-Hant", "csrf_token": signed_in})
        page = console.get("/portal/notifications")
        assert f"申請 #{application.id} 已提交審核。" in page.text

    def test_the_home_panel_gets_the_latest_five_as_sentences_with_links(
        self, session_maker: sessionmaker[Session], profile: ZoneProfile, party_id: int
    ) -> None:
        made = status_changes(session_maker, profile, *[party_id] * 7)
        with session_maker() as s:
            panel = latest_panel(s, party_id)
        assert len(panel) == 5
        assert panel[0].path == f"/portal/applications/{made[-1].id}"
        assert panel[0].sentence == f"Application #{made[-1].id} was submitted for review."
        # The partial the portal's home includes.
        html = ENV.get_template("notifications/panel.html").render(
            values={"notifications": panel}, url=lambda path: path
        )
        assert html.count("<li>") == 5
        assert f'href="/portal/applications/{made[-1].id}"' in html
        assert 'href="/portal/notifications"' in html

    def test_the_portal_home_shows_the_panel(
        self,
        console: TestClient,
        signed_in: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        party_id: int,
    ) -> None:
        (application,) = status_changes(session_maker, profile, party_id)
        home = console.get("/portal")
        assert home.status_code == 200
        assert 'id="notifications-panel-title"' in home.text
        assert f'href="/portal/applications/{application.id}"' in home.text

    def test_is_empty_before_anything_happened(self, console: TestClient, signed_in: str) -> None:
        page = console.get("/portal/notifications")
        assert "No status changes yet." in page.text

    def test_staff_are_refused(self, console: TestClient, token_for: Callable[..., str]) -> None:
        response = console.get(
            "/portal/notifications", headers=bearer(token_for(Role.ZONE_REVIEWER))
        )
        assert response.status_code == 403

    def test_the_menu_offers_it_to_enterprise_users_only(
        self,
        console: TestClient,
        signed_in: str,
        user: Callable[..., str],
        sign_in: Callable[[str], str],
    ) -> None:
        assert 'href="/portal/notifications"' in console.get("/home").text
        console.post("/logout", data={"csrf_token": signed_in})
        sign_in(user(Role.ZONE_REVIEWER))
        assert 'href="/portal/notifications"' not in console.get("/home").text


class TestRegistering:
    def test_the_secret_is_shown_once_and_stored_only_sealed(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        party_id: int,
        signed_in: str,
    ) -> None:
        # A retrying client's key does not make the page's answer, secret and all, kept.
        secret = register(
            console,
            signed_in,
            "https://hooks.example.com/hetao",
            **{"Idempotency-Key": "page-retry-1"},
        )
        listing = console.get("/portal/webhooks")
        assert "https://hooks.example.com/hetao" in listing.text
        assert secret not in listing.text
        assert SECRET.search(listing.text) is None
        with session_maker() as s:
            (webhook,) = service.webhooks_of(s, party_id)
            assert delivery.box_of(app_of(console)).open(webhook.sealed_secret) == secret
            dumped = repr(s.execute(text("SELECT * FROM notification_webhooks")).all())
            assert secret not in dumped
            assert s.execute(text("SELECT body FROM idempotency_records")).all() == []

    def test_a_refused_address_is_shown_beside_the_field_and_nothing_is_kept(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        party_id: int,
        signed_in: str,
    ) -> None:
        response = console.post(
            "/portal/webhooks", data={"url": "http://intranet.example/x", "csrf_token": signed_in}
        )
        assert response.status_code == 422
        assert "Plain http is allowed only to 127.0.0.1; use https." in response.text
        assert 'value="http://intranet.example/x"' in response.text
        assert 'aria-invalid="true"' in response.text
        assert webhook_ids(session_maker, party_id) == []

    def test_an_empty_form_is_refused(self, console: TestClient, signed_in: str) -> None:
        response = console.post("/portal/webhooks", data={"csrf_token": signed_in})
        assert response.status_code == 422
        assert 'id="error-summary"' in response.text

    def test_a_post_without_the_csrf_token_is_refused(
        self, console: TestClient, session_maker: sessionmaker[Session], party_id: int,
        signed_in: str,
    ) -> None:  # fmt: skip
        response = console.post("/portal/webhooks", data={"url": "https://h.example.com/"})
        assert response.status_code == 403
        assert webhook_ids(session_maker, party_id) == []


class TestKeepingWebhooks:
    def test_rotate_shows_a_new_secret_and_disable_stops_it(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        party_id: int,
        signed_in: str,
    ) -> None:
        first = register(console, signed_in, "https://hooks.example.com/in")
        (webhook_id,) = webhook_ids(session_maker, party_id)
        rotated = console.post(
            f"/portal/webhooks/{webhook_id}/rotate-secret", data={"csrf_token": signed_in}
        )
        assert rotated.status_code == 200
        second = SECRET.search(rotated.text)
        assert second is not None
        assert second.group(0) != first
        disabled = console.post(
            f"/portal/webhooks/{webhook_id}/disable",
            data={"csrf_token": signed_in},
            follow_redirects=False,
        )
        assert disabled.status_code == 303
        assert disabled.headers["location"] == "/portal/webhooks"
        listing = console.get("/portal/webhooks")
        assert "Disabled" in listing.text
        assert f"/portal/webhooks/{webhook_id}/disable" not in listing.text
        with session_maker() as s:
            assert s.get_one(Webhook, webhook_id).status is WebhookStatus.DISABLED

    def test_another_partys_webhook_does_not_exist(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        party_id: int,
        signed_in: str,
    ) -> None:
        other = party_of(session_maker)
        with session_maker() as s:
            webhook, _ = service.register(
                s,
                other,
                "https://other.example.com/",
                box=delivery.box_of(app_of(console)),
                actor=SETUP,
            )
            s.commit()
        assert console.get(f"/portal/webhooks/{webhook.id}/deliveries").status_code == 404
        for verb in ("disable", "rotate-secret"):
            refused = console.post(
                f"/portal/webhooks/{webhook.id}/{verb}", data={"csrf_token": signed_in}
            )
            assert refused.status_code == 404
            assert "whsec_" not in refused.text
        with session_maker() as s:
            assert s.get_one(Webhook, webhook.id).status is WebhookStatus.ACTIVE


class TestDeliveryLog:
    def test_lists_each_delivery_with_its_attempts(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        party_id: int,
        signed_in: str,
    ) -> None:
        webhook_id = registered_webhook(console, signed_in, session_maker, party_id)
        (application,) = status_changes(session_maker, profile, party_id)
        with session_maker() as s:
            (outgoing,) = service.due(s, now=utcnow())
            failed = delivery.Outcome(status_code=None, error="timeout", duration_ms=5000)
            service.record_attempt(s, outgoing, failed, now=utcnow(), actor=SETUP)
            (again,) = service.due(s, now=utcnow() + delivery.MAX_BACKOFF)
            ok = delivery.Outcome(status_code=204, error=None, duration_ms=12)
            service.record_attempt(s, again, ok, now=utcnow(), actor=SETUP)
            public_id = s.scalars(select(Delivery.public_id)).one()
            s.commit()
        page = console.get(f"/portal/webhooks/{webhook_id}/deliveries")
        assert page.status_code == 200
        assert public_id in page.text
        assert f"Application #{application.id} was submitted for review." in page.text
        assert "no answer: timeout" in page.text
        assert "answered 204" in page.text
        assert "Delivered" in page.text
        assert "12 ms" in page.text

    def test_is_empty_for_a_new_webhook(
        self, console: TestClient, session_maker: sessionmaker[Session], party_id: int,
        signed_in: str,
    ) -> None:  # fmt: skip
        webhook_id = registered_webhook(console, signed_in, session_maker, party_id)
        page = console.get(f"/portal/webhooks/{webhook_id}/deliveries")
        assert "Nothing delivered yet." in page.text


class TestCatalogue:
    @pytest.mark.parametrize(
        ("prefix", "members"),
        [
            ("notifications.kind", list(SubjectKind)),
            ("notifications.webhook_status", list(WebhookStatus)),
            ("notifications.delivery_status", list(DeliveryStatus)),
        ],
    )
    def test_every_state_and_kind_has_a_name_in_every_language(
        self, prefix: str, members: list[object]
    ) -> None:
        for lang in LANGUAGES:
            missing = [m for m in members if f"{prefix}.{m}" not in MESSAGES[lang]]
            assert missing == [], lang

    def test_every_status_change_followed_has_a_sentence_in_every_language(self) -> None:
        for lang in LANGUAGES:
            missing = [tag for tag in service.NOTIFYING if event_key(tag) not in MESSAGES[lang]]
            assert missing == [], lang
            assert all("{reference}" in MESSAGES[lang][event_key(tag)] for tag in service.NOTIFYING)

    def test_every_url_problem_has_a_text(self) -> None:
        for rule in ("url_scheme", "url_credentials", "url_plain_http", "url_address"):
            assert all(f"problem.webhook.{rule}" in MESSAGES[lang] for lang in LANGUAGES)
