"""The interactive API docs page works in a real browser with no network beyond the platform."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Request, sync_playwright

from conftest import CHROMIUM_FLAGS

SCREENSHOTS = Path(os.environ.get("HETAO_SCREENSHOTS", "var/screenshots"))


class TestApiDocsPage:
    def test_renders_every_operation_using_only_the_platforms_own_assets(
        self, live_server: str, chromium_path: str
    ) -> None:
        outside: list[str] = []

        def watch(request: Request) -> None:
            if urlsplit(request.url).hostname not in ("127.0.0.1", None) and not (
                request.url.startswith(("data:", "blob:"))
            ):
                outside.append(request.url)

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.on("request", watch)
            page.goto(f"{live_server}/api/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            operations = page.locator(".opblock").count()
            title = page.locator(".info .title").inner_text()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
            browser.close()
        assert outside == [], f"the docs page reached outside the platform: {outside}"
        assert "hetao" in title
        assert operations >= 25
