"""A dashboard reader switches to Simplified Chinese and reads the charts; each table's numbers
equal what the API answers to the same signed-in session. Screenshots at 1366x768 and tablet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from dashboards.support import crossing, lot
from factories import make_entry, make_party
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.dashboards.service import CHARTS
from hetao.engine.facts import Outcome
from hetao.ledger.models import CustomsStatus
from hetao.storage.engine import unit_of_work
from hetao.storage.types import utcnow
from hetao.web.i18n import format_number, language
from web.support import DESKTOP, PASSWORD, SETUP, TABLET, LiveConsole, add_user
from web.test_console_browser import SCREENSHOTS


def seed(console: LiveConsole) -> None:
    """Crossings of the last hours, lots in stock, whitelist entries and reader "dana"."""
    state = app_state(console.app)
    now = utcnow()
    with unit_of_work(state.session_factory) as session:
        for minutes, outcome, point in [
            (5, Outcome.RELEASE, "FBZ_CHANNEL_1"),
            (7, Outcome.RELEASE, "FBZ_CHANNEL_1"),
            (9, Outcome.INSPECT, "FBZ_CHANNEL_1"),
            (11, Outcome.REFUSE, "SL_GOODS"),
            (70, Outcome.RELEASE, "SL_GOODS"),
            (60 * 24 * 3, Outcome.INSPECT, "SL_GOODS"),
        ]:
            crossing(session, now - dt.timedelta(minutes=minutes), outcome, point=point)
        for industry in ("biomedicine", "next_gen_it", "biomedicine"):
            party = make_party(session, SETUP, industry=industry)
            make_entry(session, SETUP, state.profile, party.id)
        holder = make_party(session, SETUP).id
        lot(session, holder, "90121000", CustomsStatus.BONDED, "3")
        lot(session, holder, "30021200", CustomsStatus.DUTY_FREE_RESEARCH, "1")
        add_user(session, "dana", Role.SECOND_LINE_OFFICER)


def sign_in(page: Page, username: str) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stacked button[type=submit]").click()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def table_of(page: Page, key: str) -> list[list[str]]:
    """A chart's table as text: the header row, then one row per category."""
    rows = page.locator(f"#table-{key} tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("th, td").all_inner_texts()]
        for i in range(rows.count())
    ]


def table_from_api(body: dict[str, Any]) -> list[list[str]]:
    """The table the API's figures make, numbers written as a Simplified Chinese page does."""
    with language("zh-Hans"):
        series = body["series"]
        header = [body["axis_label"], *(s["label"] for s in series)]
        rows = [
            [
                category["label"],
                *(format_number(Decimal(str(s["values"][i]))) for s in body["series"]),
            ]
            for i, category in enumerate(body["categories"])
        ]
    return [header, *rows]


class TestDashboardInABrowser:
    def test_renders_in_simplified_chinese_with_the_api_numbers(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        seed(live_console)
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        mismatches: dict[str, tuple[list[list[str]], list[list[str]]]] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            page = browser.new_context(viewport=DESKTOP, locale="en-GB").new_page()
            page.goto(f"{base}/dashboards")
            sign_in(page, "dana")
            expect(page.get_by_role("heading", name="Dashboards", exact=True)).to_be_visible()
            page.get_by_role("button", name="简体中文").click()
            expect(page.get_by_role("heading", name="仪表板", exact=True)).to_be_visible()
            expect(page.locator("#crossings-today h2")).to_have_text("今日每小时通关")
            shot(page, "dashboards-zh-hans.png")
            page.screenshot(path=str(SCREENSHOTS / "dashboards-zh-hans-top.png"))
            for key in ("crossings-30-days", "crossings-by-point", "whitelist", "taxes-by-month"):
                page.locator(f"#{key}").screenshot(
                    path=str(SCREENSHOTS / f"dashboards-{key}-zh-hans.png")
                )
            for key in CHARTS:
                body = page.evaluate(
                    "async (path) => (await fetch(path)).json()", f"/api/v1/dashboards/{key}"
                )
                axis = page.locator(f"#table-{key} thead th").first.inner_text().strip()
                body["axis_label"] = axis
                shown, answered = table_of(page, key), table_from_api(body)
                if shown != answered:
                    mismatches[key] = (shown, answered)
            today = table_of(page, "crossings-today")
            stock = table_of(page, "stock")
            stock_bars = page.locator("#stock svg rect title").all_inner_texts()
            page.locator("#stock").scroll_into_view_if_needed()
            page.locator("#stock").screenshot(
                path=str(SCREENSHOTS / "dashboards-stock-zh-hans.png")
            )
            page.set_viewport_size(TABLET)
            shot(page, "dashboards-tablet-zh-hans.png")
            page.locator("#crossings-today").screenshot(
                path=str(SCREENSHOTS / "dashboards-crossings-tablet-zh-hans.png")
            )
            overflow = page.evaluate(
                "document.documentElement.scrollWidth > document.documentElement.clientWidth"
            )
            browser.close()
        assert not mismatches, mismatches
        assert today[0] == ["小时", "放行", "查验", "拒绝"]
        assert len(today) == 25  # the header and 24 hours
        assert len(stock_bars) == 2  # one lot in each section: a bar each, with its tooltip
        assert any(row[0].startswith("XVIII") for row in stock[1:])
        assert not overflow
