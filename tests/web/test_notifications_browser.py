"""An enterprise user registers a webhook, sees its secret once, and sees a delivery in the log.

With JavaScript off: every step is a plain form or a link. The server's own background sender
delivers to a receiver on a loopback port, which checks the signature with the secret the page
showed.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from factories import make_party
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.registry.models import Party
from hetao.storage.engine import unit_of_work
from notifications.support import receiver, submitted_application
from web.support import DESKTOP, PASSWORD, SETUP, TABLET, LiveConsole, add_user

SCREENSHOTS = Path(os.environ.get("HETAO_SCREENSHOTS", "var/screenshots"))


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"notifications-{name}.png"), full_page=True)


class TestNotificationsInABrowser:
    def test_register_a_webhook_see_its_secret_once_and_a_delivery_in_the_log(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        state = app_state(live_console.app)
        with unit_of_work(state.session_factory) as session:
            party = make_party(session, SETUP)
            add_user(session, "lab-admin", Role.ENTERPRISE_USER, party_id=party.id)
            party_id = party.id
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with receiver() as hook, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
            page = context.new_page()
            page.goto(f"{live_console.url}/login")
            page.get_by_label("Username").fill("lab-admin")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()

            page.get_by_role("link", name="Notifications").first.click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
            expect(page.get_by_text("No status changes yet.")).to_be_visible()
            page.get_by_role("link", name=re.compile("webhooks")).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")

            # A plain-http address elsewhere is refused beside the field, what was typed kept.
            page.get_by_label("Address (URL)").fill("http://intranet.example/hook")
            page.get_by_role("button", name="Register").click()
            expect(page.get_by_text("Plain http is allowed only to 127.0.0.1")).to_have_count(2)
            shoot(page, "refused")

            page.get_by_label("Address (URL)").fill(hook.url)
            page.get_by_role("button", name="Register").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Webhook secret")
            hook.secret = page.locator("#webhook-secret").inner_text().strip()
            assert hook.secret.startswith("whsec_")
            shoot(page, "secret")

            page.get_by_role("link", name="Back to webhooks").click()
            assert hook.secret not in page.content()
            shoot(page, "webhooks")

            # A status change of the party's own: the server's sender delivers it.
            with unit_of_work(state.session_factory) as session:
                submitted_application(
                    session, SETUP, state.profile, session.get_one(Party, party_id)
                )
            page.get_by_role("link", name="Delivery log").click()
            deadline = time.monotonic() + 40
            while "Delivered" not in page.content() and time.monotonic() < deadline:
                time.sleep(1)
                page.reload()
            expect(page.get_by_text("Delivered")).to_be_visible()
            expect(page.get_by_text("answered 204")).to_be_visible()
            shoot(page, "deliveries")
            page.set_viewport_size(TABLET)
            shoot(page, "deliveries-tablet")
            page.set_viewport_size(DESKTOP)

            page.get_by_role("link", name="Notifications").first.click()
            expect(page.get_by_text(re.compile(r"Application #\d+ was submitted"))).to_be_visible()
            shoot(page, "feed")
            page.get_by_role("button", name="繁體中文").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("通知")
            expect(page.get_by_text(re.compile(r"申請 #\d+ 已提交審核。"))).to_be_visible()
            shoot(page, "feed-zh-hant")
            page.get_by_role("button", name="English").click()

            page.goto(f"{live_console.url}/portal/webhooks")
            page.get_by_role("button", name="Disable").click()
            expect(page.get_by_text("Disabled")).to_be_visible()
            shoot(page, "disabled")
            browser.close()
        assert [r.signed for r in hook.received] == [True]
        assert hook.received[0].document["event"] == "registry:application:submit"
