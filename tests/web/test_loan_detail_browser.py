"""A loan's own page in a browser (issue 20): an instrument lent to the Hong Kong Park stays out
past the grace period, and its page shows the assessment tax by tax with the loan rule (R5) and
the tax rule named, in Traditional and Simplified Chinese; an officer cancels a loan recorded
in error with JavaScript off; and a Hong Kong instrument lent into the zone (R32) is recorded in
the portal, crosses in, and is seen on its page. Screenshots at 1366x768."""

from __future__ import annotations

import datetime as dt

import httpx
from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from factories import bearer, make_user_token
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.loans import service as loans
from hetao.loans.schemas import LoanCreate
from hetao.storage.engine import unit_of_work
from loans.support import Lending, crossing
from web.support import DESKTOP, SETUP, LiveConsole, add_user
from web.test_console_browser import SCREENSHOTS
from web.test_loans_browser import shot, sign_in


def seed(console: LiveConsole) -> tuple[Lending, str, int, int]:
    """Enterprise user "eddie", officer "olga"; a loan out whose instrument crossed and stayed
    in Hong Kong past the grace period (flagged taxable), and a loan recorded in error."""
    state = app_state(console.app)
    zone = Lending(state.session_factory, SETUP, state.profile)
    with unit_of_work(state.session_factory) as session:
        add_user(session, "eddie", Role.ENTERPRISE_USER, party_id=zone.party_id)
        add_user(session, "olga", Role.FIRST_LINE_OFFICER)
        token = make_user_token(session, Role.ADMINISTRATOR)
        ids = [
            loans.record(
                session,
                LoanCreate.model_validate(zone.loan_out(serial, days=10)),
                zone_party_id=zone.party_id,
                profile=state.profile,
                today=zone.day,
                actor=SETUP,
            ).id
            for serial in ("MS-002", "MS-009")
        ]
    gate = httpx.Client(base_url=console.url, headers=bearer(token))
    gate.post("/api/v1/crossings", json=crossing(ids[0], "MS-002", direction="outbound"))
    grace = state.profile.loans.grace_days
    zone.set_due(
        ids[0],
        zone.day - dt.timedelta(days=grace + 5),
        recorded_on=zone.day - dt.timedelta(days=grace + 40),
    )
    with unit_of_work(state.session_factory) as session:
        loans.flag_overdue(session, day=zone.day, profile=state.profile, actor=SETUP)
    return zone, token, ids[0], ids[1]


def record_loan_in(page: Page, base: str, due: str) -> None:
    """The enterprise records a Hong Kong spectrophotometer lent into the zone (JavaScript off)."""
    page.goto(f"{base}/portal/loans/new")
    page.get_by_label("Direction").select_option("in")
    page.get_by_label("Hong Kong institution").select_option(label="HKSTP Materials Lab")
    page.get_by_label("Serial number").fill("HK-CRYO-7")
    page.get_by_label("Purpose").fill("Shared cryo-electron microscopy sessions")
    page.get_by_label("Due back on").fill(due)
    page.get_by_label("HS code").fill("9027.30")
    page.get_by_label("Description").fill("Spectrophotometer")
    page.get_by_label("Country of origin").fill("JP")
    page.get_by_label("Customs value").fill("800000.00")
    page.get_by_role("button", name="Record the loan").click()


class TestLoanPage:
    def test_R5_the_taxable_loans_assessment_a_cancellation_and_R32_a_loan_in(  # noqa: N802
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        zone, token, taxable, in_error = seed(live_console)
        base = live_console.url
        gate = httpx.Client(base_url=base, headers=bearer(token))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)

            officer = browser.new_context(viewport=DESKTOP, locale="zh-TW").new_page()
            officer.goto(f"{base}/port/loans")
            sign_in(officer, "olga")
            officer.get_by_role("link", name=f"開啟借用 {taxable}").click()
            expect(officer.get_by_role("heading", name="應稅事件評稅")).to_be_visible()
            taxes = officer.locator("table.taxes tbody tr").all_inner_texts()
            note = officer.locator("p.notice").inner_text()
            crossing_link = officer.get_by_role("link", name="通關").first.get_attribute("href")
            shot(officer, "loans-taxable-port-zh-hant.png")

            plain = browser.new_context(
                java_script_enabled=False, viewport=DESKTOP, locale="en-GB"
            ).new_page()
            plain.goto(f"{base}/port/loans/{in_error}")
            sign_in(plain, "olga")
            plain.get_by_label("Why it is cancelled").fill("Recorded for the wrong instrument")
            plain.get_by_role("button", name="Cancel the loan").click()
            expect(plain.locator("h1 .badge")).to_have_text("Cancelled")
            cancelled_page = plain.locator("main").inner_text()
            shot(plain, "loans-cancelled-port.png")

            portal = browser.new_context(
                java_script_enabled=False, viewport=DESKTOP, locale="zh-CN"
            ).new_page()
            portal.goto(f"{base}/portal/loans/{taxable}")
            sign_in(portal, "eddie")
            expect(portal.get_by_role("heading", name="应税事件评税")).to_be_visible()
            portal_text = portal.locator("main").inner_text()
            shot(portal, "loans-taxable-portal-zh-hans.png")

            inward = browser.new_context(
                java_script_enabled=False, viewport=DESKTOP, locale="en-GB"
            ).new_page()
            inward.goto(f"{base}/portal/loans/new")
            sign_in(inward, "eddie")
            record_loan_in(inward, base, (zone.day + dt.timedelta(days=30)).isoformat())
            expect(inward.get_by_role("heading", name="Instruments on loan")).to_be_visible()
            loan_in = int(inward.locator("tbody tr").last.locator("td").first.inner_text())
            entered = gate.post(
                "/api/v1/crossings", json=crossing(loan_in, "HK-CRYO-7", direction="inbound")
            )
            inward.goto(f"{base}/portal/loans/{loan_in}")
            inward_text = inward.locator("main").inner_text()
            shot(inward, "loans-in-portal-away.png")
            browser.close()

        assert len(taxes) == 3
        assert "進口增值稅" in taxes[2]
        assert all("first_line_entry_duty_paid_taxed" in row for row in taxes)
        assert all("R5" in row for row in taxes)
        assert note.startswith("R5")
        assert crossing_link is not None
        assert crossing_link.startswith("/port/crossings/")
        assert "Recorded for the wrong instrument" in cancelled_page
        assert "R5" in portal_text
        assert "进口增值税" in portal_text
        assert "/port/crossings/" not in portal_text
        assert entered.json()["decision"]["outcome"] != "refuse"
        assert "Lent in from Hong Kong" in inward_text
        assert "Crossed · into the zone" in inward_text
        assert "Away" in inward_text
