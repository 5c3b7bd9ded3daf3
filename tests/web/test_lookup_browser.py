"""An officer looks up a researcher by Chinese name, then the researcher's party, and opens a
lot's journey from the party's goods; the owning enterprise opens the same journey from its
lot in the portal. Screenshots at 1366x768 and at tablet size (768x1024)."""

from __future__ import annotations

from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.storage.engine import unit_of_work
from lookup.support import story
from web.support import DESKTOP, PASSWORD, SETUP, TABLET, LiveConsole, add_user
from web.test_console_browser import SCREENSHOTS


def seed(console: LiveConsole) -> tuple[int, str]:
    """The story of tests/lookup/support.py, officer "olga" and the buyer's user "bea";
    returns the buyer's lot and the reference of its exit declaration."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        told = story(session, SETUP, state.profile)
        add_user(session, "olga", Role.FIRST_LINE_OFFICER)
        add_user(session, "bea", Role.ENTERPRISE_USER, party_id=told.buyer.id)
        return told.lot.id, told.exit.reference


def sign_in(page: Page, username: str) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stacked button[type=submit]").click()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def overflows(page: Page) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


class TestLookupJourney:
    def test_an_officer_looks_up_a_person_then_a_party_and_follows_a_lot(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        lot, reference = seed(live_console)
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            officer = browser.new_context(viewport=DESKTOP, locale="zh-HK").new_page()
            officer.goto(f"{base}/port/lookup")
            sign_in(officer, "olga")
            expect(officer.get_by_role("heading", name="查詢", exact=True)).to_be_visible()
            # Typed in Simplified characters; the registry holds 陳小明 in Traditional.
            officer.get_by_label("查詢內容").fill("陈小明")
            officer.get_by_label("查找類別").select_option("person")
            officer.get_by_role("button", name="查詢", exact=True).click()
            shot(officer, "lookup-search-zh-hant.png")
            officer.get_by_role("link", name="Chan Siu Ming").click()
            expect(officer.get_by_role("heading", name="陳小明")).to_be_visible()
            shot(officer, "lookup-person-zh-hant.png")

            officer.get_by_role("link", name="落馬洲生物檢測有限公司").click()
            expect(officer.get_by_role("heading", name="落馬洲生物檢測有限公司")).to_be_visible()
            expect(officer.locator("table.lots")).to_contain_text(f"批次 {lot}")
            shot(officer, "lookup-party-zh-hant.png")

            officer.locator("table.lots").get_by_role("link", name="流轉記錄").first.click()
            expect(officer.get_by_role("heading", name=f"批次 {lot} 的流轉記錄")).to_be_visible()
            officer_steps = officer.locator("ol.journey li.step").count()
            expect(officer.locator("ol.journey")).to_contain_text(reference)
            expect(officer.locator("ol.journey")).to_contain_text("前海試劑有限公司")
            shot(officer, "lookup-journey-officer-desktop.png")
            officer.set_viewport_size(TABLET)
            shot(officer, "lookup-journey-officer-tablet.png")
            officer_tablet_overflow = overflows(officer)

            # The enterprise, in English and with JavaScript off, from its own lot's page.
            owner = browser.new_context(
                java_script_enabled=False, viewport=DESKTOP, locale="en-GB"
            ).new_page()
            owner.goto(f"{base}/portal/ledger/lots/{lot}")
            sign_in(owner, "bea")
            owner.get_by_role("link", name="The journey of these goods, from entry to exit").click()
            expect(owner.get_by_role("heading", name=f"The journey of lot {lot}")).to_be_visible()
            owner_steps = owner.locator("ol.journey li.step").count()
            owner_text = owner.locator("ol.journey").inner_text()
            shot(owner, "lookup-journey-enterprise-desktop.png")
            owner.set_viewport_size(TABLET)
            shot(owner, "lookup-journey-enterprise-tablet.png")
            owner_tablet_overflow = overflows(owner)
            browser.close()
        # The seller's entry and transfer taxes are the seller's: the buyer sees its own only.
        assert owner_steps == officer_steps - 2
        assert reference in owner_text
        assert "One kit short" not in owner_text
        assert not officer_tablet_overflow
        assert not owner_tablet_overflow
