"""Registry journeys in a real browser: a reviewer approves in Traditional Chinese, and an
enterprise user creates and submits an application with JavaScript disabled."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from factories import make_application, make_party
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.registry import service
from hetao.storage.engine import unit_of_work
from web.support import DESKTOP, PASSWORD, SETUP, TABLET, LiveConsole, add_user

SCREENSHOTS = Path(os.environ.get("HETAO_SCREENSHOTS", "var/screenshots"))


def seed(console: LiveConsole) -> tuple[int, int]:
    """A reviewer ``rita``, an enterprise user ``erin`` of a party, and a submitted application
    of another party; the application's id and erin's party id."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        add_user(session, "rita", Role.ZONE_REVIEWER)
        own = make_party(session, SETUP, name_en="Qianhai Optics Lab Ltd", name_zh="前海光學實驗室")
        add_user(session, "erin", Role.ENTERPRISE_USER, party_id=own.id)
        application = make_application(session, SETUP, state.profile)
        service.submit(session, application, actor=SETUP)
        return application.id, own.id


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


class TestRegistryInABrowser:
    def test_a_reviewer_approves_an_application_in_traditional_chinese(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        application_id, _ = seed(live_console)
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport=DESKTOP)
            sign_in(page, base, "rita")
            expect(page.get_by_role("heading", name="Applications to review")).to_be_visible()
            shot(page, "registry-queue-en.png")
            # The header's language switch, then the queue in Traditional Chinese.
            page.get_by_role("button", name="繁體中文").click()
            expect(page.get_by_role("heading", name="待審申請")).to_be_visible()
            assert urlsplit(page.url).path == "/review"
            shot(page, "registry-queue-zh-hant.png")
            page.get_by_role("navigation", name="主選單").get_by_role(
                "link", name="待審申請"
            ).click()
            page.get_by_role("link", name=str(application_id), exact=True).click()
            expect(page.get_by_role("heading", name=f"申請 {application_id}")).to_be_visible()
            expect(page.locator("#application-status")).to_have_text("已提交")
            shot(page, "registry-application-zh-hant.png")
            page.set_viewport_size(TABLET)
            shot(page, "registry-application-zh-hant-tablet.png")
            page.set_viewport_size(DESKTOP)
            page.get_by_label("理由").fill("符合合作區科研機構條件")
            shot(page, "registry-application-reason-zh-hant.png")
            page.get_by_role("button", name="批准").click()
            expect(page.get_by_role("status").first).to_contain_text("申請已批准")
            expect(page.locator("#application-status")).to_have_text("已批准")
            trail = page.locator("table.trail tbody").inner_text()
            details = page.locator("dl.fields").first.inner_text()
            shot(page, "registry-approved-zh-hant.png")
            browser.close()
        assert "批准" in trail
        assert "符合合作區科研機構條件" in details  # the reviewer's note

    def test_an_enterprise_user_applies_without_javascript(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        seed(live_console)
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
            page = context.new_page()
            sign_in(page, base, "erin")
            expect(page.get_by_role("heading", name="Qianhai Optics Lab Ltd")).to_be_visible()
            shot(page, "registry-portal.png")
            page.get_by_role("link", name="Whitelist applications").first.click()
            page.get_by_role("link", name="New application").click()
            expect(page.get_by_role("heading", name="New application")).to_be_visible()
            # No line chosen: the server refuses, beside the field and in the summary.
            page.locator('input[name="flows"][value="goods"]').check()
            page.get_by_label("Justification").fill("Optics research in the Hetao zone")
            page.get_by_role("button", name="Save the draft").click()
            expect(page.get_by_role("alert")).to_be_visible()
            expect(page.locator("#error-lines")).to_be_visible()
            expect(page.get_by_label("Justification")).to_have_value(
                "Optics research in the Hetao zone"
            )
            expect(page.locator('input[name="flows"][value="goods"]')).to_be_checked()
            shot(page, "registry-application-refused.png")
            page.locator('input[name="lines"][value="first"]').check()
            page.get_by_role("button", name="Save the draft").click()
            expect(page.get_by_role("status")).to_contain_text("saved as a draft")
            expect(page.locator("#application-status")).to_have_text("Draft")
            shot(page, "registry-application-draft.png")
            page.get_by_role("button", name="Submit", exact=True).click()
            expect(page.locator("#application-status")).to_have_text("Submitted")
            shot(page, "registry-application-submitted.png")
            browser.close()
