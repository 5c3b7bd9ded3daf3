"""Officers in Chromium: an inspection worked to a discrepancy that a second officer approves,
the lot's balance changing; a refusal overturned by two officers; on a tablet, a result typed
with the network down kept on the device and sent when it returns. Screenshots at each step."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import CHROMIUM_FLAGS
from declarations.support import admitted
from factories import make_party
from hetao.api.state import app_state
from hetao.auth import repository as auth_repository
from hetao.auth.principal import Role
from hetao.engine.facts import Outcome
from hetao.inspections import service
from hetao.ledger.models import Lot
from hetao.storage.engine import unit_of_work
from inspections.support import FIRST_POINT, GATE, decided, principal_of
from web.support import DESKTOP, SETUP, TABLET, LiveConsole, add_user
from web.test_console_browser import SCREENSHOTS
from web.test_funds_browser import shot, sign_in


@dataclass(frozen=True)
class Seeded:
    lot: int
    inspection: int
    refused: int


def seed(console: LiveConsole, *, started_by: str | None = None) -> Seeded:
    """Officers "olga" and "otto" of the first line; ten kits crossing, queued for inspection
    (started by ``started_by`` when named); and a refused crossing."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        add_user(session, "olga", Role.FIRST_LINE_OFFICER)
        add_user(session, "otto", Role.FIRST_LINE_OFFICER)
        lot: Lot = admitted(session, make_party(session, SETUP), state.profile, SETUP, bonded=True)
        decision = decided(session, carrying=[lot])
        inspection = service.open_inspection(
            session, decision.id, crossing_point=FIRST_POINT, actor=GATE
        )
        if started_by is not None:
            user = auth_repository.user_by_username(session, started_by)
            assert user is not None
            officer = principal_of(user)
            service.assign(session, inspection, by=officer, officer_id=officer.id)
            service.start(session, inspection, officer=officer)
        refused = decided(session, outcome=Outcome.REFUSE)
        return Seeded(lot.id, inspection.id, refused.id)


def officer_page(browser: Browser, base: str, username: str, path: str, **options: object) -> Page:
    context = browser.new_context(locale="en-GB", **options)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{base}{path}")
    sign_in(page, username)
    # Signed in and the page's scripts loaded: a test may then take the network away.
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state("load")
    return page


class TestInspectionJourneys:
    def test_a_discrepancy_approved_by_a_second_officer_changes_the_balance(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        seeded = seed(live_console)
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            olga = officer_page(
                browser, base, "olga", f"/port/inspections?point={FIRST_POINT}", viewport=DESKTOP
            )
            card = olga.locator(f"#inspection-{seeded.inspection}")
            expect(card.locator(f'[data-lot-balance="{seeded.lot}"]')).to_contain_text("10")
            shot(olga, "inspection-queue.png")
            card.get_by_role("button", name="Assign to me").click()
            card = olga.locator(f"#inspection-{seeded.inspection}")
            expect(card.locator(".badge")).to_have_text("Assigned")
            card.get_by_role("button", name="Start").click()
            expect(olga.locator("h1 .badge")).to_have_text("In progress")
            olga.get_by_label("Discrepancy").check()
            olga.get_by_label("Findings").fill("Two kits short of the declaration.")
            olga.locator("#adj_lot_id_0").select_option(str(seeded.lot))
            olga.locator("#adj_quantity_0").fill("-2")
            olga.locator("#adj_reason_0").fill("Two kits short")
            shot(olga, "inspection-discrepancy-typed.png")
            olga.get_by_role("button", name="Record the result").click()
            expect(olga.locator("h1 .badge")).to_have_text("Completed")
            expect(olga.locator("p.two-person")).to_contain_text("second, different officer")
            shot(olga, "inspection-discrepancy-proposed.png")

            otto = officer_page(
                browser, base, "otto", f"/port/inspections/{seeded.inspection}", viewport=DESKTOP
            )
            otto.get_by_label("Note").fill("Recounted with the carrier.")
            otto.get_by_role("button", name="Approve").click()
            expect(otto.locator("ul.adjustments .badge")).to_have_text("Approved")
            expect(otto.locator(f'[data-lot-balance="{seeded.lot}"]')).to_contain_text("8")
            shot(otto, "inspection-adjustment-approved.png")
            ledger = otto.context.new_page()
            ledger.goto(f"{base}/portal/ledger/lots/{seeded.lot}")
            expect(ledger.locator("main")).to_contain_text("8")
            shot(ledger, "inspection-lot-ledger.png")
            browser.close()

    def test_a_refusal_is_overturned_with_a_second_officer(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        seeded = seed(live_console)
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            path = f"/port/decisions/{seeded.refused}/override"
            olga = officer_page(browser, base, "olga", path, viewport=DESKTOP)
            expect(olga.locator("#outcome-in-force")).to_have_text("Refuse")
            olga.get_by_label("New outcome").select_option("release")
            olga.get_by_label("Reason").fill("Permit shown at the counter; the gate had no record.")
            shot(olga, "override-proposed-typed.png")
            olga.get_by_role("button", name="Propose the override").click()
            expect(olga.locator("ol.overrides .badge.wait")).to_have_text(
                "Waiting for a second officer"
            )
            expect(olga.locator("#outcome-in-force")).to_have_text("Refuse")
            shot(olga, "override-waiting.png")

            otto = officer_page(browser, base, "otto", "/port/overrides", viewport=DESKTOP)
            expect(otto.get_by_role("heading", name="Waiting for me")).to_be_visible()
            otto.get_by_role("button", name="Confirm").click()
            expect(otto.locator("p.empty").first).to_be_visible()
            shot(otto, "override-confirmed-list.png")
            otto.goto(f"{base}{path}")
            expect(otto.locator("#outcome-in-force")).to_have_text("Release")
            shot(otto, "override-in-force.png")
            browser.close()

    def test_on_a_tablet_a_result_typed_offline_is_sent_when_the_network_returns(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        seeded = seed(live_console, started_by="olga")
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            olga = officer_page(
                browser,
                base,
                "olga",
                f"/port/inspections/{seeded.inspection}",
                viewport=TABLET,
                has_touch=True,
            )
            expect(olga.locator("h1 .badge")).to_have_text("In progress")
            shot(olga, "inspection-tablet.png")
            olga.context.set_offline(True)
            olga.get_by_label("Conforms").check()
            olga.get_by_label("Findings").fill("Seals intact, as declared.")
            olga.get_by_role("button", name="Record the result").click()
            status = olga.locator("#offline-status")
            expect(status).to_contain_text("Queued on this device")
            shot(olga, "inspection-tablet-queued-offline.png")
            olga.context.set_offline(False)
            expect(status).to_contain_text("Sent", timeout=10_000)
            shot(olga, "inspection-tablet-sent.png")
            olga.reload()
            expect(olga.locator("h1 .badge")).to_have_text("Completed")
            shot(olga, "inspection-tablet-completed.png")
            browser.close()

    def test_on_a_tablet_a_refused_offline_result_comes_back_into_the_form(
        self, live_console: LiveConsole, chromium_path: str
    ) -> None:
        seeded = seed(live_console, started_by="olga")
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            olga = officer_page(
                browser, base, "olga", f"/port/inspections/{seeded.inspection}", viewport=TABLET
            )
            olga.context.set_offline(True)
            # A discrepancy needs its findings and an adjustment: the server will refuse it.
            olga.get_by_label("Discrepancy").check()
            olga.locator("#adj_quantity_0").fill("-1")
            olga.get_by_role("button", name="Record the result").click()
            status = olga.locator("#offline-status")
            expect(status).to_contain_text("Queued on this device")
            olga.context.set_offline(False)
            expect(status).to_contain_text("refused", timeout=10_000)
            expect(olga.get_by_label("Discrepancy")).to_be_checked()
            expect(olga.locator("#adj_quantity_0")).to_have_value("-1")
            expect(olga.locator("#result-form .error-summary")).to_contain_text("Row 1, Lot")
            shot(olga, "inspection-tablet-refused-restored.png")
            olga.get_by_label("Findings").fill("One kit short.")
            olga.locator("#adj_lot_id_0").select_option(str(seeded.lot))
            olga.locator("#adj_reason_0").fill("One kit short")
            olga.get_by_role("button", name="Record the result").click()
            expect(olga.locator("h1 .badge")).to_have_text("Completed")
            browser.close()
