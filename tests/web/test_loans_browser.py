"""An enterprise records a loan of an instrument to the Hong Kong Park with JavaScript off; the
gate lets it out and back; another instrument stays out past its due date and the daily job
flags it. The officer sees the loans, the overdue one and the instruments outside, in
Traditional Chinese. Screenshots at 1366x768."""

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
from web.support import DESKTOP, PASSWORD, SETUP, LiveConsole, add_user
from web.test_console_browser import SCREENSHOTS


def sign_in(page: Page, username: str) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stacked button[type=submit]").click()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def seed(console: LiveConsole) -> tuple[Lending, str]:
    """Enterprise user "eddie" of a lender with two spectrometers, officer "olga", a Hong Kong
    lab, and an earlier loan of the second instrument already out and now overdue; returns the
    zone and an administrator's token for the gate's crossings."""
    state = app_state(console.app)
    zone = Lending(state.session_factory, SETUP, state.profile)
    with unit_of_work(state.session_factory) as session:
        add_user(session, "eddie", Role.ENTERPRISE_USER, party_id=zone.party_id)
        add_user(session, "olga", Role.FIRST_LINE_OFFICER)
        token = make_user_token(session, Role.ADMINISTRATOR)
        overdue = loans.record(
            session,
            LoanCreate.model_validate(zone.loan_out("MS-002", days=10)),
            zone_party_id=zone.party_id,
            profile=state.profile,
            today=zone.day,
            actor=SETUP,
        )
        loan_id = overdue.id
    gate = httpx.Client(base_url=console.url, headers=bearer(token))
    gate.post("/api/v1/crossings", json=crossing(loan_id, "MS-002", direction="outbound"))
    zone.set_due(
        loan_id, zone.day - dt.timedelta(days=3), recorded_on=zone.day - dt.timedelta(days=40)
    )
    with unit_of_work(state.session_factory) as session:
        loans.flag_overdue(session, day=zone.day, profile=state.profile, actor=SETUP)
    return zone, token


class TestLoanJourney:
    def test_lent_to_the_hong_kong_park_returned_and_another_overdue(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        zone, token = seed(live_console)
        base = live_console.url
        due = (zone.day + dt.timedelta(days=30)).isoformat()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        gate = httpx.Client(base_url=base, headers=bearer(token))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            plain = browser.new_context(
                java_script_enabled=False, viewport=DESKTOP, locale="en-GB"
            ).new_page()
            plain.goto(f"{base}/portal/loans/new")
            sign_in(plain, "eddie")
            expect(plain.get_by_role("heading", name="Record a loan")).to_be_visible()
            plain.get_by_label("Direction").select_option("out")
            plain.get_by_label("Hong Kong institution").select_option(label="HKSTP Materials Lab")
            plain.get_by_label("Serial number").fill("MS-001")
            plain.get_by_label("Purpose").fill("Joint proteomics run at the Hong Kong Park")
            plain.get_by_label("Due back on").fill("2099-01-01")
            plain.get_by_label("Lot").select_option(index=1)
            plain.get_by_role("button", name="Record the loan").click()
            expect(plain.locator("#error-due_on")).to_be_visible()
            shot(plain, "loans-record-refused.png")
            plain.get_by_label("Due back on").fill(due)
            plain.get_by_role("button", name="Record the loan").click()
            expect(plain.get_by_role("heading", name="Instruments on loan")).to_be_visible()
            expect(plain.locator("tbody tr")).to_have_count(2)
            shot(plain, "loans-portal-recorded.png")
            loan_id = int(plain.locator("tbody tr").nth(1).locator("td").first.inner_text())

            out = gate.post(
                "/api/v1/crossings", json=crossing(loan_id, "MS-001", direction="outbound")
            )
            plain.goto(f"{base}/portal/loans")
            away = plain.locator("tbody tr").nth(1).locator(".badge").inner_text()
            shot(plain, "loans-portal-away.png")
            back = gate.post(
                "/api/v1/crossings", json=crossing(loan_id, "MS-001", direction="inbound")
            )
            plain.goto(f"{base}/portal/loans")
            returned = plain.locator("tbody tr").nth(1).locator(".badge").inner_text()
            shot(plain, "loans-portal-returned.png")

            officer = browser.new_context(viewport=DESKTOP, locale="zh-TW").new_page()
            officer.goto(f"{base}/port/loans")
            sign_in(officer, "olga")
            expect(officer.get_by_role("heading", name="儀器借用")).to_be_visible()
            shot(officer, "loans-port-all-zh-hant.png")
            officer.get_by_role("link", name="逾期借用").click()
            overdue_rows = officer.locator("tbody tr").count()
            shot(officer, "loans-port-overdue-zh-hant.png")
            officer.get_by_role("link", name="在外儀器").click()
            outside = officer.locator("tbody tr").all_inner_texts()
            shot(officer, "loans-port-outside-zh-hant.png")
            browser.close()
        assert out.json()["decision"]["outcome"] != "refuse"
        assert back.json()["decision"]["outcome"] != "refuse"
        assert (away, returned) == ("Away", "Returned")
        assert overdue_rows == 1
        assert len(outside) == 1
        assert "MS-002" in outside[0]
        assert "已逾期" in outside[0]
