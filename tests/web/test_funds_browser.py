"""An enterprise declares a fund transfer with JavaScript off; a reviewer checks it in
Simplified Chinese, sees the reasons it was held in words and approves it; the enterprise
follows it to approved. Screenshots at 1366x768 and at tablet size (768x1024)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from funds.support import Consortium
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.storage.engine import unit_of_work
from web.support import PASSWORD, SETUP, LiveConsole, add_user
from web.test_console_browser import SCREENSHOTS

DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}


def seed(console: LiveConsole) -> str:
    """A project led by the enterprise of user "eddie", a Hong Kong partner, and reviewer
    "rita"; returns the project's code."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        zone = Consortium(session, SETUP, state.profile)
        add_user(session, "eddie", Role.ENTERPRISE_USER, party_id=zone.lead.id)
        add_user(session, "rita", Role.ZONE_REVIEWER)
        return zone.project.code


def sign_in(page: Page, username: str) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stacked button[type=submit]").click()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


class TestFundTransferJourney:
    def test_declared_held_with_reasons_in_simplified_chinese_then_approved(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        code = seed(live_console)
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            # The enterprise, with JavaScript disabled: every step is a plain form.
            plain = browser.new_context(
                java_script_enabled=False, viewport=DESKTOP, locale="en-GB"
            ).new_page()
            plain.goto(f"{base}/portal/fund-transfers/new")
            sign_in(plain, "eddie")
            expect(plain.get_by_role("heading", name="Declare a fund transfer")).to_be_visible()
            plain.get_by_label("Project").select_option(label=f"{code} · Joint photonics research")
            plain.get_by_label("Payee", exact=True).select_option(index=1)
            plain.get_by_label("Amount").fill("12,5")
            plain.get_by_label("Currency").fill("HKD")
            plain.get_by_label("Budget year").fill("2026")
            plain.get_by_label("Budget category").select_option("personnel")
            plain.get_by_label("Purpose").select_option("research_grant")
            plain.get_by_label("Contract reference").fill("HKU-2026-17")
            plain.get_by_role("button", name="Declare").click()
            expect(plain.locator("#error-amount")).to_be_visible()
            expect(plain.get_by_label("Contract reference")).to_have_value("HKU-2026-17")
            shot(plain, "funds-declare-refused.png")
            plain.get_by_label("Amount").fill("12500.00")
            plain.get_by_role("button", name="Declare").click()
            expect(plain.locator("h1 .badge")).to_have_text("Declared")
            transfer_path = urlsplit(plain.url).path
            shot(plain, "funds-declared.png")

            # The reviewer, in Simplified Chinese, with JavaScript.
            review = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
            review.goto(f"{base}/review/fund-transfers?status=declared")
            sign_in(review, "rita")
            expect(review.get_by_role("heading", name="资金跨境拨付")).to_be_visible()
            shot(review, "funds-review-queue.png")
            number = transfer_path.rsplit("/", 1)[1]
            review.get_by_role("link", name=f"第 {number} 号").click()
            review.get_by_role("button", name="执行核查").click()
            expect(review.locator("h1 .badge")).to_have_text("已暂缓")
            reasons = review.locator("ul.reasons li").all_inner_texts()
            shot(review, "funds-review-held-zh-hans.png")
            review.get_by_label("说明").fill("人民币账户已由合作方书面确认，准予拨付。")
            review.get_by_role("button", name="批准", exact=True).click()
            expect(review.locator("h1 .badge")).to_have_text("已批准")
            consumed = review.locator("table.budget tfoot td").nth(1).inner_text()
            shot(review, "funds-review-approved-zh-hans.png")
            review.set_viewport_size(TABLET)
            shot(review, "funds-review-approved-tablet.png")
            tablet_overflow = review.evaluate(
                "document.documentElement.scrollWidth > document.documentElement.clientWidth"
            )

            # The enterprise follows it to approved.
            plain.goto(f"{base}{transfer_path}")
            expect(plain.locator("h1 .badge")).to_have_text("Approved")
            expect(plain.get_by_role("heading", name="Record the remittance")).to_be_visible()
            shot(plain, "funds-portal-approved.png")
            browser.close()
        assert reasons
        assert all(re.search(r"[\u4e00-\u9fff]", reason) for reason in reasons)
        assert "R39" in " ".join(reasons)
        assert consumed != "¥0.00"
        assert not tablet_overflow
