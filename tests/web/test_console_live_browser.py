"""An officer has the console open; a gate posts a crossing with its device token; the row
appears on top within 2 seconds, without reloading. Then the gate screen (kiosk) follows the
next decision live, and with JavaScript off the console still lists and refreshes.
Screenshots at 1366x768 and at tablet size (768x1024)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx2
from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from crossing.events.support import (
    ACTOR,
    UNKNOWN_DOCUMENT,
    person_event,
    unselected_event_id,
    whitelisted_person,
)
from factories import bearer, make_gate_token
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.auth.tokens import parse_token
from hetao.storage.engine import unit_of_work
from web.support import DESKTOP, PASSWORD, TABLET, LiveConsole, add_user
from web.test_console_browser import SCREENSHOTS

POINT = "FBZ_CHANNEL_1"
#: The issue's deadline for a posted crossing to show on an open console.
APPEARS_WITHIN_MS = 2000


def seed(console: LiveConsole) -> tuple[dict[str, str], dict[str, Any], str]:
    """Officer "olga" (first line), a gate token at Channel No. 1, and a whitelisted
    researcher, Mei Ling Wong; returns the gate's headers, her document, and an event id the
    server's random draw does not select, so her crossing is released."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        add_user(session, "olga", Role.FIRST_LINE_OFFICER)
        raw = make_gate_token(session, state.profile, point=POINT, device="gate-channel-1")
        _, _, document = whitelisted_person(
            session,
            ACTOR,
            state.profile,
            family_name="Wong",
            given_name="Mei Ling",
            name_zh="黃美玲",
            birth=dt.date(1987, 8, 9),
        )
    parsed = parse_token(raw)
    assert parsed is not None
    released = unselected_event_id(state.profile, state.crossing_seed_key, f"device:{parsed[0]}")
    return bearer(raw), document, released


def post(base: str, gate: dict[str, str], body: dict[str, Any]) -> None:
    response = httpx2.post(f"{base}/api/v1/crossings", json=body, headers=gate, timeout=10)
    assert response.status_code == 201, response.text


def sign_in(page: Page) -> None:
    page.locator("#username").fill("olga")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stacked button[type=submit]").click()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


class TestLiveConsole:
    def test_a_crossing_posted_by_a_gate_appears_on_the_open_console_without_reloading(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        gate, document, released = seed(live_console)
        base = live_console.url
        post(base, gate, person_event(UNKNOWN_DOCUMENT, point=POINT))  # one already listed
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            page = browser.new_context(viewport=DESKTOP, locale="en-GB").new_page()
            page.goto(f"{base}/port?point={POINT}")
            sign_in(page)
            expect(
                page.get_by_role("heading", name="Crossings · Channel No. 1, Futian Bonded Zone")
            ).to_be_visible()
            rows = page.locator("table.crossings tbody tr")
            expect(rows).to_have_count(1)
            expect(page.locator("#live-state")).to_have_text(
                "Live: new crossings appear at the top."
            )
            # A mark on this document: a reload would make a new one, without it.
            page.evaluate("document.body.dataset.loadedOnce = 'yes'")

            post(base, gate, person_event(document, point=POINT, event=released))
            expect(rows.first).to_contain_text("Mei Ling Wong", timeout=APPEARS_WITHIN_MS)
            expect(rows).to_have_count(2)
            expect(rows.first).to_contain_text("Release")
            expect(rows.nth(1)).to_contain_text("Not in the registry")
            still_loaded = page.evaluate("document.body.dataset.loadedOnce")
            fresh = rows.first.get_attribute("class")
            shot(page, "port-console-live.png")
            page.set_viewport_size(TABLET)
            shot(page, "port-console-live-tablet.png")
            tablet_overflow = page.evaluate(
                "document.documentElement.scrollWidth > document.documentElement.clientWidth"
            )

            # The crossing's own page, from its row.
            page.set_viewport_size(DESKTOP)
            rows.first.get_by_role("link", name="Mei Ling Wong").click()
            expect(page.get_by_role("status").first).to_contain_text("Reproduced")
            shot(page, "port-crossing.png")

            # The gate screen follows the next decision, in three languages, without names.
            page.goto(f"{base}/port/kiosk/{POINT}")
            expect(page.locator(".kiosk-panel .kiosk-outcome").first).to_have_text("Release")
            post(base, gate, person_event(UNKNOWN_DOCUMENT, point=POINT))
            outcomes = page.locator(".kiosk-panel .kiosk-outcome")
            expect(outcomes.first).to_have_text("Refuse", timeout=APPEARS_WITHIN_MS)
            kiosk_texts = outcomes.all_inner_texts()
            kiosk_page = page.locator("main").inner_text()
            shot(page, "port-kiosk.png")
            page.set_viewport_size(TABLET)
            shot(page, "port-kiosk-tablet.png")

            # JavaScript off: the same list, and a refresh link instead of the stream.
            plain_context = browser.new_context(
                java_script_enabled=False, viewport=DESKTOP, locale="zh-CN"
            )
            plain = plain_context.new_page()
            plain.goto(f"{base}/port?point={POINT}")
            sign_in(plain)
            expect(plain.locator("table.crossings tbody tr")).to_have_count(3)
            expect(plain.locator("table.crossings tbody tr").nth(1)).to_contain_text("黃美玲")
            plain.get_by_role("link", name="刷新").click()
            expect(plain.locator("table.crossings tbody tr")).to_have_count(3)
            shot(plain, "port-console-no-script-zh-hans.png")
            browser.close()
        assert still_loaded == "yes"
        assert fresh is not None
        assert "fresh" in fresh
        assert not tablet_overflow
        assert kiosk_texts == ["Refuse", "拒絕通行", "拒绝通行"]
        assert "Mei Ling" not in kiosk_page
