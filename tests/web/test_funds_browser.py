"""An enterprise declares a fund transfer with JavaScript off; a reviewer checks it in
Simplified Chinese, sees the reasons it was held in words and approves it; the enterprise
follows it to approved. Screenshots at 1366x768 and at tablet size (768x1024)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from datatransfer.support import exporter
from factories import make_application, make_person
from funds.support import Consortium
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.registry import service as registry
from hetao.storage.engine import unit_of_work
from web.support import DESKTOP, PASSWORD, SETUP, TABLET, LiveConsole, add_user
from web.test_console_browser import SCREENSHOTS


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


def seed_exporter(console: LiveConsole) -> None:
    """User "dora" of a party whitelisted for data, with a whitelisted researcher; "rita"."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        party = exporter(session, SETUP, state.profile)
        person = make_person(session, SETUP, party.id)
        application = make_application(
            session, SETUP, state.profile, subject_kind="individual", person_id=person.id,
            party_id=party.id, flows=["people"], lines=["first"], exemptions=[],
        )  # fmt: skip
        registry.submit(session, application, actor=SETUP)
        registry.approve(session, application, profile=state.profile, actor=SETUP)
        add_user(session, "dora", Role.ENTERPRISE_USER, party_id=party.id)
        add_user(session, "rita", Role.ZONE_REVIEWER)


class TestDataTransferJourney:
    def test_an_exporter_applies_the_zone_approves_and_a_credential_is_issued(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        seed_exporter(live_console)
        base = live_console.url
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            dora = browser.new_context(viewport=DESKTOP, locale="zh-HK").new_page()
            dora.goto(f"{base}/portal/data-applications/new")
            sign_in(dora, "dora")
            dora.locator("#field-exporter_region").fill("Shenzhen")
            dora.locator("#field-recipient_name").fill("University of Hong Kong")
            dora.locator("#field-recipient_region").fill("HK")
            dora.locator("#field-data_categories").fill("genomic_sequences, clinical_records")
            dora.locator("#field-personal_info_subjects").fill("150000")
            dora.locator("#field-sensitive_personal_info_subjects").fill("0")
            dora.locator("#field-purpose").select_option("research")
            dora.get_by_role("button", name="建立申請").click()
            expect(dora.locator("h1 .badge")).to_have_text("草稿")
            dora.locator("form[action$='/self-assess'] button").click()
            expect(dora.locator("h1 .badge")).to_have_text("已自評估")
            route = dora.locator("main h2 + p strong").first.inner_text()
            shot(dora, "data-self-assessed-zh-hant.png")
            dora.locator("#field-reference").fill("GBA-SZ-2026-0042")
            dora.locator("form[action$='/file'] button").click()
            expect(dora.locator("h1 .badge")).to_have_text("已備案")
            application_path = urlsplit(dora.url).path

            rita = browser.new_context(viewport=DESKTOP, locale="en-GB").new_page()
            rita.goto(f"{base}/review/data-applications?status=filed")
            sign_in(rita, "rita")
            rita.get_by_role("link", name=re.compile(r"^No\. ")).first.click()
            rita.get_by_label("Reference").fill("CAC-GBA-OK-7")
            rita.get_by_role("button", name="Record the approval").click()
            rita.get_by_role("button", name="Put in force").click()
            expect(rita.locator("h1 .badge")).to_have_text("In force")
            shot(rita, "data-review-in-force.png")

            dora.goto(f"{base}{application_path}")
            expect(dora.locator("h1 .badge")).to_have_text("生效中")
            dora.goto(f"{base}/portal/credentials")
            dora.locator("#field-person_id").select_option(index=1)
            dora.locator("main form button[type=submit]").click()
            token = dora.locator("pre.token").inner_text()
            shot(dora, "credential-issued-zh-hant.png")
            dora.goto(f"{base}/portal/credentials")
            dora.set_viewport_size(TABLET)
            shot(dora, "credentials-tablet-zh-hant.png")
            browser.close()
        assert route == "粵港澳大灣區標準合同"
        assert token.startswith("HZC1.")
