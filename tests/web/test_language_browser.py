"""In a real browser: the language switch keeps the page, and the user's choice survives
signing out, a new browser, and signing back in."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.storage.engine import unit_of_work
from web.support import PASSWORD, LiveConsole, add_user

SCREENSHOTS = Path(os.environ.get("HETAO_SCREENSHOTS", "var/screenshots"))


class TestLanguageInABrowser:
    def test_the_switch_keeps_the_page_and_the_choice_follows_the_user(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        with unit_of_work(app_state(live_console.app).session_factory) as session:
            add_user(session, "lin-reviewer", Role.ZONE_REVIEWER)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            # A browser that asks for English: the sign-in page is in English.
            first = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 768})
            page = first.new_page()
            page.goto(f"{live_console.url}/login")
            page.get_by_label("Username").fill("lin-reviewer")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
            before = urlsplit(page.url).path
            page.get_by_role("button", name="繁體中文").click()
            # The same page, now in Traditional Chinese.
            expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
            assert urlsplit(page.url).path == before
            expect(page.get_by_role("button", name="登出")).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "language-switched-zh-hant.png"), full_page=True)
            page.get_by_role("button", name="登出").click()
            expect(page.get_by_role("heading", name="登入")).to_be_visible()
            first.close()

            # A new browser that asks for Simplified Chinese: sign-in speaks it, until the
            # user is known; then the user's own choice comes back.
            second = browser.new_context(locale="zh-CN", viewport={"width": 768, "height": 1024})
            page = second.new_page()
            page.goto(f"{live_console.url}/login")
            expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
            page.get_by_label("用户名").fill("lin-reviewer")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
            expect(page.get_by_role("button", name="登出")).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "language-kept-tablet.png"), full_page=True)
            second.close()
            browser.close()
