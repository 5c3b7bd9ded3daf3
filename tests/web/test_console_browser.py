"""An auditor signs in with a real browser, opens an event and sees its proof check out."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Request, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from web.support import PASSWORD, LiveConsole, seed_live

SCREENSHOTS = Path(os.environ.get("HETAO_SCREENSHOTS", "var/screenshots"))


class TestConsoleInABrowser:
    def test_an_auditor_signs_in_and_sees_an_event_proof_check_out(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        seed_live(live_console, auditor="audrey", events=12)
        outside: list[str] = []
        scripts: list[str] = []

        def watch(request: Request) -> None:
            if urlsplit(request.url).hostname != "127.0.0.1":
                outside.append(request.url)
            if request.resource_type == "script":
                scripts.append(request.url)

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", watch)
            page.goto(f"{live_console.url}/audit/events/5")
            # Sent to sign in, with the way back kept in the form.
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            page.get_by_label("Username").fill("audrey")
            page.screenshot(path=str(SCREENSHOTS / "login.png"), full_page=True)
            page.get_by_label("Password").fill("not the password")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("alert")).to_contain_text("not correct")
            page.screenshot(path=str(SCREENSHOTS / "login-refused.png"), full_page=True)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()

            expect(page.get_by_role("heading", name="Audit event 5", exact=True)).to_be_visible()
            assert urlsplit(page.url).path == "/audit/events/5"
            expect(page.get_by_role("status").first).to_have_text("The proof holds.")
            # Chromium keeps a Secure cookie from http://127.0.0.1 (loopback is a secure context).
            cookies = {c["name"]: c for c in page.context.cookies()}
            marks = page.locator("ul.checks .mark").all_inner_texts()
            path = page.locator("ol.path li").count()
            page.screenshot(path=str(SCREENSHOTS / "audit-event.png"), full_page=True)

            # The list, then sign out with the header's form.
            page.get_by_role("link", name="Audit log").click()
            expect(page.get_by_role("table")).to_be_visible()
            rows = page.locator("table.events tbody tr").count()
            page.screenshot(path=str(SCREENSHOTS / "audit-events.png"), full_page=True)
            missing = page.goto(f"{live_console.url}/audit/events/999")
            expect(page.get_by_role("heading", name="Not found")).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "error.png"), full_page=True)
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            page.goto(f"{live_console.url}/audit/events")
            signed_out = urlsplit(page.url).path
            browser.close()
        session = cookies["hetao_session"]
        assert (session.get("secure"), session.get("httpOnly"), session.get("sameSite")) == (
            True,
            True,
            "Lax",
        )
        assert missing is not None
        assert missing.status == 404
        assert marks
        assert set(marks) == {"ok"}
        assert path >= 3  # 12 events and more: the path climbs a tree of at least 16 leaves
        assert rows >= 12
        assert signed_out == "/login"
        assert outside == []
        # Only the console's own file, which adds conveniences: nothing from anywhere else.
        assert {urlsplit(script).path for script in scripts} == {"/static/console/console.js"}
