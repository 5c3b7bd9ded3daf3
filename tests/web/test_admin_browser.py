"""An administrator uploads a rule set that has an error, sees the table, row and column, fixes
it and back-tests it: in a real browser, with and without JavaScript."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.crossing import intake
from hetao.crossing import service as crossing_service
from hetao.crossing.schemas import CrossingIn
from hetao.engine.rules import shipped_rule_set_path
from hetao.storage.engine import unit_of_work
from hetao.storage.types import utcnow
from web.support import DESKTOP, PASSWORD, SETUP, LiveConsole, add_user

SCREENSHOTS = Path(os.environ.get("HETAO_SCREENSHOTS", "var/screenshots"))


def seed(console: LiveConsole, username: str, crossings: int = 3) -> None:
    """An administrator, and a few crossings recorded today for the back-test to replay."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        add_user(session, username, Role.ADMINISTRATOR)
        for n in range(crossings):
            crossing = {
                "event_id": f"journey-{username}-{n}",
                "crossing_point": "FBZ_CHANNEL_1",
                "direction": "inbound",
                "occurred_at": utcnow().isoformat(),
                "subject": {
                    "type": "person",
                    "document": {"kind": "hk_identity_card", "number": "A1234563"},
                },
            }
            crossing_service.record_crossing(
                session,
                CrossingIn.model_validate(crossing),
                device=intake.Device("user:0", "journey"),
                profile=state.profile,
                seed_key=bytes(32),
                actor=SETUP,
            )


def rule_files(folder: Path, version: str) -> tuple[Path, Path]:
    """The shipped rules as a new version: one file with a mistake in row 2, one without."""
    document: dict[str, Any] = json.loads(shipped_rule_set_path().read_text(encoding="utf-8"))
    document["version"] = version
    fixed = folder / f"{version}.json"
    fixed.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    document["tables"][0]["rows"][1]["outcome"] = "wave_through"
    broken = folder / f"{version}-broken.json"
    broken.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return broken, fixed


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stacked button[type=submit]").click()


def journey(
    browser: Browser,
    console: LiveConsole,
    tmp_path: Path,
    *,
    name: str,
    javascript: bool,
    locale: str = "en-GB",
) -> dict[str, Any]:
    """Upload the broken file, read where it is wrong, upload the fixed one, back-test it."""
    username = f"admin-{name}"
    seed(console, username)
    broken, fixed = rule_files(tmp_path, f"journey-{name}")
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=javascript, locale=locale)
    page = context.new_page()
    sign_in(page, console.url, username)
    seen: dict[str, Any] = {"landing": urlsplit(page.url).path}
    page.screenshot(path=str(SCREENSHOTS / f"admin-{name}-home.png"), full_page=True)
    page.locator('header nav a[href="/admin/rule-sets"]').click()
    page.locator("#field-file").set_input_files(str(broken))
    page.locator('form[action="/admin/rule-sets/check"] button[type=submit]').click()
    problems = page.locator("table.rule-problems tbody tr")
    expect(problems.first).to_be_visible()
    seen["problem"] = problems.first.locator("td").all_inner_texts()
    page.screenshot(path=str(SCREENSHOTS / f"admin-{name}-problems.png"), full_page=True)
    # The corrected file goes in from the same page.
    page.locator("#field-file").set_input_files(str(fixed))
    page.locator('form[action="/admin/rule-sets/check"] button[type=submit]').click()
    expect(page.locator("p.verdict.ok")).to_be_visible()
    page.locator("#field-since").fill(utcnow().date().isoformat())
    page.locator('form[action="/admin/rule-sets/backtest"] button[type=submit]').click()
    expect(page.locator("#report-title")).to_be_visible()
    seen["report"] = page.locator("#report-title + p").inner_text()
    page.screenshot(path=str(SCREENSHOTS / f"admin-{name}-backtest.png"), full_page=True)
    context.close()
    return seen


class TestRuleSetJourney:
    def test_an_administrator_fixes_a_rule_set_and_back_tests_it(
        self, live_console: LiveConsole, chromium_path: str, tmp_path: Path
    ) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            seen = journey(browser, live_console, tmp_path, name="en", javascript=True)
            browser.close()
        assert seen["landing"] == "/admin"
        table, row, column, text, rule = seen["problem"]
        assert (table, row, column, rule) == (
            "controlled-materials",
            "2",
            "outcome",
            "unknown_outcome",
        )
        assert text == "Use release, inspect or refuse."
        assert seen["report"] == "3 crossings decided again; 0 would change."

    def test_the_same_journey_in_traditional_chinese_without_javascript(
        self, live_console: LiveConsole, chromium_path: str, tmp_path: Path
    ) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            seen = journey(
                browser,
                live_console,
                tmp_path,
                name="zh-hant-nojs",
                javascript=False,
                locale="zh-TW",
            )
            browser.close()
        assert seen["problem"][1:4] == ["2", "outcome", "請使用 release、inspect 或 refuse。"]
        assert seen["report"].startswith("重新判定 3 宗通關")


class TestTheOtherPages:
    def test_users_tokens_reference_data_and_the_profile_fit_a_laptop_screen(
        self, live_console: LiveConsole, chromium_path: str, tmp_path: Path
    ) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        wide: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            seed(live_console, "admin-tour", crossings=0)
            page = browser.new_context(viewport=DESKTOP).new_page()
            sign_in(page, live_console.url, "admin-tour")
            for path, name in (
                ("/admin/users", "users"),
                ("/admin/users/1", "user"),
                ("/admin/tokens/new", "token-new"),
                ("/admin/profile", "profile"),
                ("/admin/reference", "reference"),
            ):
                page.goto(f"{live_console.url}{path}")
                if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                    wide.append(path)
                page.screenshot(path=str(SCREENSHOTS / f"admin-{name}.png"), full_page=True)
            # User 1 is the administrator signed in: their own page offers no way to remove
            # their own administration, only the note that another administrator must.
            page.goto(f"{live_console.url}/admin/users/1")
            expect(page.locator("#own-access")).to_contain_text("another administrator")
            expect(page.locator("#own-role")).to_be_visible()
            expect(page.get_by_role("button", name="Deactivate user")).to_have_count(0)
            page.goto(f"{live_console.url}/admin/profile")
            for section in ("crossing_points", "tax"):
                page.locator(f'section[aria-labelledby="section-{section}"]').screenshot(
                    path=str(SCREENSHOTS / f"admin-profile-{section}.png")
                )
            page.goto(f"{live_console.url}/admin/tokens/new")
            page.locator("#field-name").fill("lane 1")
            page.locator("#field-device_name").fill("gate-1")
            page.locator('input[name="roles"][value="gate_device"]').check()
            page.locator('input[name="crossing_points"]').first.check()
            page.locator("#field-expires_at").fill("2027-06-30")
            page.locator('form[action="/admin/tokens"] button[type=submit]').click()
            secret = page.locator("#token-secret").inner_text()
            page.screenshot(path=str(SCREENSHOTS / "admin-token-issued.png"), full_page=True)
            page.goto(f"{live_console.url}/admin/tokens")
            listed = page.content()
            page.screenshot(path=str(SCREENSHOTS / "admin-tokens.png"), full_page=True)
            browser.close()
        assert wide == []
        assert secret
        assert secret not in listed

    def test_the_pages_fit_a_tablet(
        self, live_console: LiveConsole, chromium_path: str, tmp_path: Path
    ) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        wide: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            seed(live_console, "admin-tablet", crossings=0)
            page = browser.new_context(viewport={"width": 768, "height": 1024}).new_page()
            sign_in(page, live_console.url, "admin-tablet")
            for path in ADMIN_PAGES:
                page.goto(f"{live_console.url}{path}")
                if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                    wide.append(path)
            page.screenshot(path=str(SCREENSHOTS / "admin-tablet-reference.png"), full_page=True)
            browser.close()
        assert wide == []


ADMIN_PAGES = (
    "/admin",
    "/admin/users",
    "/admin/users/new",
    "/admin/tokens",
    "/admin/tokens/new",
    "/admin/profile",
    "/admin/rule-sets",
    "/admin/reference",
)
