"""A researcher's face in Chromium: enrolment refused without consent, the gate sending them to
the officer; enrolled with consent at the desk, then released at the gate on a face match.
Screenshots at each step; the photos are made from scikit-image's bundled faces at test time."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect, sync_playwright

from biometrics import real_faces
from conftest import CHROMIUM_FLAGS
from crossing.events.support import (
    CHANNEL1_GATE,
    SEED_KEY,
    person_event,
    record,
    unselected_event_id,
    whitelisted_person,
)
from hetao.api.state import app_state
from hetao.auth.principal import Role
from hetao.biometrics import provision
from hetao.storage.engine import unit_of_work
from web.support import DESKTOP, SETUP, LiveConsole, add_user
from web.test_console_browser import SCREENSHOTS
from web.test_funds_browser import shot, sign_in


def seed(console: LiveConsole) -> tuple[int, dict[str, Any]]:
    """Reviewer "rita", first-line officer "olga", and a whitelisted researcher."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        add_user(session, "rita", Role.ZONE_REVIEWER)
        add_user(session, "olga", Role.FIRST_LINE_OFFICER)
        person, _, document = whitelisted_person(session, SETUP, state.profile)
        return person.id, document


def at_the_gate(console: LiveConsole, document: dict[str, Any], *, released: bool) -> int:
    """The researcher at Channel No. 1, the gate sending a probe of their face; the crossing.

    If ``released``, the event id is one the random draw does not select for inspection."""
    state = app_state(console.app)
    probe = base64.b64encode(real_faces.astronaut_at_the_gate()[0]).decode()
    faces = provision.face_check(console.app, state.profile.faces)
    event = unselected_event_id(state.profile, SEED_KEY, CHANNEL1_GATE.key) if released else None
    body = person_event(document, event=event)
    body["subject"]["face"] = {"liveness": True, "probe_image": probe, "device": "cam-1"}
    with unit_of_work(state.session_factory) as session:
        crossing, _ = record(session, state.profile, body, faces=faces)
        outcome = crossing.decision.outcome.value
    assert not released or outcome == "release", outcome
    return crossing.id


def signed_in(browser: Browser, base: str, username: str, path: str) -> Page:
    page = browser.new_context(locale="en-GB", viewport=DESKTOP).new_page()
    page.goto(f"{base}{path}")
    sign_in(page, username)
    page.wait_for_url(lambda url: "/login" not in url)
    return page


class TestFaceJourney:
    def test_sent_to_the_officer_without_consent_then_released_on_a_face_match(
        self, live_console: LiveConsole, chromium_path: str, tmp_path: Path
    ) -> None:
        person_id, document = seed(live_console)
        photo = tmp_path / "face.png"
        photo.write_bytes(real_faces.astronaut())
        base = live_console.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
            rita = signed_in(browser, base, "rita", f"/review/persons/{person_id}/face")
            expect(rita.locator("#enrolment-status")).to_have_text("Not enrolled")
            rita.locator("#field-image").set_input_files(str(photo))
            rita.locator("#field-purpose").fill("Daily work at the joint laboratory")
            rita.locator("#enrol").click()  # the consent box left empty
            expect(rita.locator("#error-consent")).to_contain_text("consent")
            expect(rita.locator("#enrolment-status")).to_have_text("Not enrolled")
            shot(rita, "face-enrolment-refused-without-consent.png")

            without = at_the_gate(live_console, document, released=False)
            olga = signed_in(browser, base, "olga", f"/port/crossings/{without}")
            expect(olga.locator("h1 .badge")).to_have_text("Inspect")
            expect(olga.locator("ul.reasons")).to_contain_text("No face enrolment with consent")
            expect(olga.locator("#face")).to_contain_text("hetao's built-in verifier")
            shot(olga, "face-crossing-sent-to-officer-without-consent.png")

            rita.locator("#field-image").set_input_files(str(photo))
            rita.locator("#field-purpose").fill("Daily work at the joint laboratory")
            rita.locator("#consent").check()
            rita.locator("#enrol").click()
            expect(rita.locator("#done")).to_have_text("The face is enrolled.")
            expect(rita.locator("#enrolment-status")).to_have_text("Enrolled: consent in force")
            expect(rita.locator("#enrolment-expires time")).to_have_attribute(
                "datetime", re.compile(".")
            )
            shot(rita, "face-enrolled-with-consent.png")

            matched = at_the_gate(live_console, document, released=True)
            olga.goto(f"{base}/port/crossings/{matched}")
            expect(olga.locator("h1 .badge")).to_have_text("Release")
            expect(olga.locator("ul.reasons")).to_contain_text("Face matched the enrolled template")
            expect(olga.locator("#face")).to_contain_text("dlib")
            shot(olga, "face-crossing-released-on-a-match.png")

            rita.locator("#withdraw").click()
            expect(rita.locator("#enrolment-status")).to_have_text(
                "Consent withdrawn: template deleted"
            )
            # The template is gone: the page says when, not a deletion date still to come.
            expect(rita.locator("#enrolment-ended time")).to_have_attribute(
                "datetime", re.compile(".")
            )
            expect(rita.locator("#enrolment-expires")).to_have_count(0)
            shot(rita, "face-consent-withdrawn.png")
            browser.close()
