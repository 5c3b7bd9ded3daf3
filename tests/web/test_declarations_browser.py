"""An enterprise lodges a declaration in a real browser, with and without JavaScript.

The journey of issue 17: a wrong HS code is refused beside its field and corrected; an officer
clears the declaration (through the service here: the officer pages come later); the enterprise
then finds the goods in its e-ledger and the taxes on the declaration, also in 简体中文.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from declarations.support import DECLARED_ON, clear
from factories import make_party
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.declarations.models import Declaration
from hetao.storage.engine import unit_of_work
from web.support import DESKTOP, PASSWORD, SETUP, LiveConsole, add_user

SCREENSHOTS = Path(os.environ.get("HETAO_SCREENSHOTS", "var/screenshots"))


def seed(console: LiveConsole, username: str) -> int:
    """A party and its enterprise user; returns the party's id."""
    with unit_of_work(app_state(console.app).session_factory) as session:
        party = make_party(session, SETUP)
        add_user(session, username, Role.ENTERPRISE_USER, party_id=party.id)
        return party.id


def clear_by_officer(console: LiveConsole, declaration_id: int) -> None:
    """What the first-line officer does: clear it (posting the lot, assessing the taxes)."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        declaration = session.get(Declaration, declaration_id)
        assert declaration is not None
        clear(session, declaration, state.profile, SETUP)


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fill_entry(page: Page, *, reference: str, hs_code: str, status: str = "bonded") -> None:
    """The declaration and its first goods line: ten reagent kits from Hong Kong."""
    page.get_by_label("Your reference").fill(reference)
    page.get_by_label("Kind of declaration").select_option("first_line_entry")
    page.get_by_label("Crossing point").select_option("HUANGGANG")
    page.get_by_label("Date of the movement").fill(DECLARED_ON.isoformat())
    line = page.locator("details.line-row").first
    line.get_by_label("HS code").fill(hs_code)
    line.get_by_label("Description").fill("Diagnostic reagent kit")
    line.get_by_label("Quantity").fill("10")
    line.get_by_label("Unit", exact=True).fill("kit")
    line.get_by_label("Customs value").fill("12000.00")
    line.get_by_label("Currency").fill("HKD")
    line.get_by_label("Country of origin").fill("HK")
    line.get_by_label("Kind of goods").select_option("reagents")
    line.get_by_label("Customs status").select_option(status)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


class TestLodgingInABrowser:
    def test_a_wrong_hs_code_is_corrected_then_the_cleared_goods_show_in_the_ledger(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        url = live_console.url
        seed(live_console, "erin")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport=DESKTOP)
            sign_in(page, url, "erin")
            page.get_by_role("link", name="Declarations").first.click()
            page.get_by_role("link", name="Lodge a declaration").click()
            expect(page.get_by_role("heading", name="Lodge a declaration")).to_be_visible()
            # Duty paid on entry: the officer's clearance assesses duty and VAT.
            fill_entry(page, reference="ERIN-2026-001", hs_code="9999.99", status="duty_paid")
            shot(page, "declaration-new.png")
            page.get_by_role("button", name="Lodge the declaration").click()

            # Refused: the error beside the HS field, what was typed kept.
            error = page.locator("#error-lines-1-hs_code")
            expect(error).to_contain_text("not in HS 2022")
            expect(page.locator("#field-lines-1-hs_code")).to_have_value("9999.99")
            expect(page.locator("#field-lines-1-description")).to_have_value(
                "Diagnostic reagent kit"
            )
            expect(page.get_by_role("alert")).to_be_visible()
            shot(page, "declaration-refused.png")

            # Corrected: the suggestions list fills as a code is typed (console.js).
            field = page.locator("#field-lines-1-hs_code")
            field.fill("")
            field.press_sequentially("3822", delay=30)
            expect(page.locator("#hs-suggestions option").first).to_have_attribute("value", "3822")
            field.fill("3822.19")
            page.get_by_role("button", name="Lodge the declaration").click()
            expect(page.get_by_role("heading", name="Declaration ERIN-2026-001")).to_be_visible()
            expect(page.get_by_role("status")).to_contain_text("Submitted")
            declaration_id = int(re.sub(r".*/", "", page.url))
            shot(page, "declaration-submitted.png")

            clear_by_officer(live_console, declaration_id)

            # The enterprise finds the goods in its e-ledger, and the taxes on the declaration.
            page.get_by_role("link", name="E-ledger").first.click()
            expect(page.get_by_role("heading", name="E-ledger: lots")).to_be_visible()
            expect(page.locator("table.lots tbody tr")).to_have_count(1)
            shot(page, "ledger-lots.png")
            page.locator("table.lots tbody tr a").first.click()
            expect(page.locator("table.movements")).to_contain_text("Admitted")
            shot(page, "ledger-lot.png")
            page.get_by_role("link", name="ERIN-2026-001").click()
            page.get_by_role("link", name="ERIN-2026-001").click()
            expect(page.get_by_role("status")).to_contain_text("Cleared")
            taxes = page.locator("table.taxes")
            expect(taxes).to_contain_text("¥")
            total = page.locator("table.taxes tfoot strong").inner_text()
            shot(page, "declaration-cleared.png")

            # The same page in Simplified Chinese.
            page.get_by_role("button", name="简体中文").click()
            expect(page.get_by_role("heading", name="核定税款")).to_be_visible()
            expect(page.get_by_role("status")).to_contain_text("已放行")
            shot(page, "declaration-cleared-zh-Hans.png")
            page.get_by_role("link", name="电子账册").first.click()
            page.get_by_role("link", name="账册报表").click()
            shot(page, "ledger-statement-form-zh-Hans.png")
            browser.close()
        assert total not in ("CN¥0.00", "¥0.00"), total

    def test_without_javascript_the_hs_look_up_lodging_and_a_stocktake_work(
        self, live_console: LiveConsole, chromium_path: str, tmp_path: Path
    ) -> None:
        url = live_console.url
        seed(live_console, "jordan")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
            page = context.new_page()
            sign_in(page, url, "jordan")

            page.get_by_role("link", name="HS codes").first.click()
            page.get_by_label("Code or words").fill("diagnostic reagents")
            page.get_by_role("button", name="Search").click()
            expect(page.locator("table.hs")).to_contain_text("382219")
            shot(page, "hs-search-nojs.png")

            page.goto(f"{url}/portal/declarations/new")
            fill_entry(page, reference="JO-1", hs_code="3822.19")
            # A second line: its row opens without a script (<details>).
            second = page.locator("details.line-row").nth(1)
            second.locator("summary").click()
            for name, value in {
                "hs_code": "9027.50",
                "description": "Spectrometer",
                "quantity": "1",
                "unit": "unit",
                "currency": "HKD",
                "origin": "DE",
            }.items():
                second.locator(f"#field-lines-2-{name}").fill(value)
            second.locator("#field-lines-2-goods_kind").select_option("instruments")
            page.get_by_role("button", name="Lodge the declaration").click()
            # The second line lacks its value: refused beside it, the first line kept.
            expect(page.locator("#error-lines-2-customs_value")).to_be_visible()
            expect(page.locator("#field-lines-1-hs_code")).to_have_value("3822.19")
            shot(page, "declaration-refused-nojs.png")
            page.set_viewport_size({"width": 768, "height": 1024})  # a tablet
            shot(page, "declaration-refused-tablet-nojs.png")
            page.set_viewport_size(DESKTOP)
            page.locator("#field-lines-2-customs_value").fill("50000")
            page.get_by_role("button", name="Lodge the declaration").click()
            expect(page.get_by_role("heading", name="Declaration JO-1")).to_be_visible()
            expect(page.locator("table.lines tbody tr")).to_have_count(2)
            declaration_id = int(re.sub(r".*/", "", page.url))
            shot(page, "declaration-two-lines-nojs.png")

            clear_by_officer(live_console, declaration_id)
            page.goto(f"{url}/portal/ledger")
            lot_ids = page.locator("table.lots tbody th a").all_inner_texts()
            assert len(lot_ids) == 2
            count = tmp_path / "count.csv"
            count.write_text(f"lot_id,counted\n{lot_ids[0]},8\n{lot_ids[1]},1\n")
            page.get_by_role("link", name="Stocktake").click()
            page.get_by_label("Stocktake file (CSV)").set_input_files(str(count))
            page.get_by_role("button", name="Reconcile").click()
            expect(page.locator("table.reconciliation")).to_contain_text("Shortage")
            shot(page, "ledger-reconciliation-nojs.png")
            context.close()
            browser.close()

    def test_R12_a_line_the_legal_inspection_catalogue_lists_says_so_before_the_gate(  # noqa: N802
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        url = live_console.url
        seed(live_console, "morgan")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport=DESKTOP)
            sign_in(page, url, "morgan")
            page.goto(f"{url}/portal/declarations/new")
            # Absolute ethanol: the shipped sample catalogue lists 2207.10, nobody ticks a box.
            fill_entry(page, reference="MORGAN-1", hs_code="2207.10")
            line = page.locator("details.line-row").first
            line.get_by_label("Description").fill("Ethanol, absolute, laboratory grade")
            line.get_by_label("Unit", exact=True).fill("l")
            line.get_by_label("Kind of goods").select_option("consumables")
            page.get_by_role("button", name="Lodge the declaration").click()
            expect(page.get_by_role("heading", name="Declaration MORGAN-1")).to_be_visible()
            badge = page.locator("#inspected-1")
            expect(badge).to_have_text(
                "Legally inspected on entry: catalogue row LI-CHEM-ETHANOL (SAMPLE-2026.1) (R12)"
            )
            shot(page, "declaration-legally-inspected.png")
            page.get_by_role("button", name="繁體中文").click()
            row = "LI-CHEM-ETHANOL (SAMPLE-2026.1)"
            expect(badge).to_have_text(f"入境法定檢驗：目錄條目 {row}（R12）")
            shot(page, "declaration-legally-inspected-zh-Hant.png")
            browser.close()
