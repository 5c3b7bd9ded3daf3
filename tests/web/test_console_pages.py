"""The officer's console: crossings by name newest first, filters, a crossing's page, the kiosk,
and who may see them. The live stream itself is tested against a served app at the end."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crossing.events.support import (
    ACTOR,
    UNKNOWN_DOCUMENT,
    person_event,
    record,
    whitelisted_person,
)
from factories import bearer, make_gate_token, make_party, make_user_token
from hetao.api.state import app_state
from hetao.app import create_app
from hetao.auth.principal import Role
from hetao.crossing import live, repository
from hetao.crossing.live import Feed, Subscription, feed_of
from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.crossing.views import console as console_views
from hetao.engine.facts import Outcome, SubjectType
from hetao.inspections.models import Inspection
from hetao.profiles import ZoneProfile
from hetao.storage.engine import unit_of_work
from hetao.storage.types import utcnow
from inspections.support import inspection_for
from web.support import SETUP, LiveConsole, is_page, serve

POINT = "FBZ_CHANNEL_1"


def traveller(
    session: Session, profile: ZoneProfile, family: str, given: str, zh: str, year: int
) -> dict[str, Any]:
    """A whitelisted researcher's document (a birth year of their own: a document of their own)."""
    _, _, document = whitelisted_person(
        session,
        ACTOR,
        profile,
        family_name=family,
        given_name=given,
        name_zh=zh,
        birth=dt.date(year, 3, 14),
    )
    return document


def crossing(session: Session, profile: ZoneProfile, document: dict[str, Any]) -> CrossingEvent:
    event, _ = record(session, profile, person_event(document, point=POINT))
    return event


@pytest.fixture
def crossings(session_maker: sessionmaker[Session], profile: ZoneProfile) -> list[int]:
    """Three crossings at Channel No. 1, in this order: Lin Wei (released), an unknown
    document (refused), Ho Ka Yan (released); their event ids."""
    with session_maker() as session:
        first = crossing(session, profile, traveller(session, profile, "Lin", "Wei", "林偉", 1981))
        unknown = crossing(session, profile, UNKNOWN_DOCUMENT)
        last = crossing(
            session, profile, traveller(session, profile, "Ho", "Ka Yan", "何家欣", 1985)
        )
        session.commit()
        return [first.id, unknown.id, last.id]


@pytest.fixture
def officer(user: Callable[..., str], sign_in: Callable[[str], str]) -> str:
    """A first-line officer, signed in."""
    name = user(Role.FIRST_LINE_OFFICER)
    sign_in(name)
    return name


class TestConsole:
    def test_an_officer_sees_crossings_by_name_newest_first(
        self, console: TestClient, officer: str, crossings: list[int]
    ) -> None:
        page = console.get("/port", params={"point": POINT})
        assert page.status_code == 200, page.text
        text = page.text
        assert text.index("Ka Yan Ho") < text.index("Not in the registry") < text.index("Wei Lin")
        assert f'href="/port/crossings/{crossings[0]}"' in text
        assert "person_id" not in text
        assert 'data-stream="/port/stream?point=FBZ_CHANNEL_1' in text

    def test_names_lanes_and_reasons_are_in_the_officers_language(
        self, console: TestClient, officer: str, crossings: list[int]
    ) -> None:
        page = console.get("/port", params={"point": POINT}, headers={"Accept-Language": "zh-CN"})
        assert page.status_code == 200
        assert "何家欣" in page.text
        assert "不在登记册内" in page.text
        assert "拒绝通行" in page.text
        english = console.get("/port", params={"point": POINT}).text
        reasons_en = english.split('<ul class="reasons">')[1].split("</ul>")[0]
        reasons_zh = page.text.split('<ul class="reasons">')[1].split("</ul>")[0]
        assert reasons_en != reasons_zh

    def test_filters_by_outcome_and_subject(
        self, console: TestClient, officer: str, crossings: list[int]
    ) -> None:
        refused = console.get("/port", params={"point": POINT, "outcome": "refuse"}).text
        assert "Not in the registry" in refused
        assert "Wei Lin" not in refused
        released = console.get(
            "/port", params={"point": POINT, "outcome": "release", "subject": "person"}
        ).text
        assert "Wei Lin" in released
        assert "Not in the registry" not in released
        vehicles = console.get("/port", params={"point": POINT, "subject": "vehicle"}).text
        assert "No crossings match." in vehicles
        # The form's "any" option sends an empty value: no filter.
        anything = console.get("/port", params={"point": POINT, "outcome": "", "subject": ""})
        assert "Wei Lin" in anything.text

    def test_an_officer_lands_on_the_first_point_of_their_line(
        self, console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]
    ) -> None:
        sign_in(user(Role.FIRST_LINE_OFFICER))
        assert '<option value="HUANGGANG" selected>' in console.get("/port").text
        console.cookies.clear()
        sign_in(user(Role.SECOND_LINE_OFFICER))
        second = console.get("/port").text
        assert '<option value="SL_GOODS" selected>' in second
        assert 'value="HUANGGANG"' not in second

    def test_older_crossings_are_on_the_next_page(
        self,
        console: TestClient,
        officer: str,
        crossings: list[int],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(console_views, "PAGE_SIZE", 2)
        first = console.get("/port", params={"point": POINT}).text
        assert "Wei Lin" not in first
        assert 'rel="next"' in first
        older = first.split('class="pager"')[1].split('href="')[1].split('"')[0]
        second = console.get(older.replace("&amp;", "&")).text
        assert "Wei Lin" in second
        assert "Ka Yan Ho" not in second
        # An older page is a record, not a live view.
        assert "data-stream" not in second

    def test_an_officer_sees_only_the_points_of_their_line(
        self, console: TestClient, officer: str
    ) -> None:
        other_line = console.get("/port", params={"point": "SL_GOODS"})
        assert other_line.status_code == 403
        assert is_page(other_line)
        assert "second line" in other_line.text

    def test_an_administrator_sees_every_point(
        self, console: TestClient, user: Callable[..., str], sign_in: Callable[[str], str]
    ) -> None:
        sign_in(user(Role.ADMINISTRATOR))
        page = console.get("/port", params={"point": "SL_GOODS"})
        assert page.status_code == 200
        assert 'value="HUANGGANG"' in page.text

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"outcome": "maybe"}, "outcome"),
            ({"subject": "cat"}, "subject"),
            ({"point": "NOWHERE"}, "point"),
            ({"before": "yesterday"}, "before"),
            ({"before": "0"}, "before"),
        ],
    )
    def test_a_bad_filter_is_a_page_naming_the_field(
        self, console: TestClient, officer: str, query: dict[str, str], field: str
    ) -> None:
        page = console.get("/port", params=query)
        assert page.status_code == 422
        assert is_page(page)
        assert field in page.text


class TestAccess:
    @pytest.mark.parametrize(
        "path", ["/port", "/port/crossings/1", f"/port/kiosk/{POINT}", "/port/stream"]
    )
    @pytest.mark.parametrize("role", [Role.ENTERPRISE_USER, Role.ZONE_REVIEWER, Role.AUDITOR])
    def test_others_than_officers_are_refused(
        self,
        console: TestClient,
        user: Callable[..., str],
        sign_in: Callable[[str], str],
        session_maker: sessionmaker[Session],
        role: Role,
        path: str,
    ) -> None:
        party_id = None
        if role is Role.ENTERPRISE_USER:
            with session_maker() as session:
                party_id = make_party(session, SETUP).id
                session.commit()
        sign_in(user(role, party_id=party_id))
        # HEAD: the stream's status without opening it (a GET would stream, were it allowed).
        response = console.request("HEAD" if path == "/port/stream" else "GET", path)
        assert response.status_code == 403

    def test_an_officer_of_the_other_line_may_not_open_a_crossing(
        self,
        console: TestClient,
        user: Callable[..., str],
        sign_in: Callable[[str], str],
        crossings: list[int],
    ) -> None:
        sign_in(user(Role.SECOND_LINE_OFFICER))
        assert console.get(f"/port/crossings/{crossings[0]}").status_code == 403
        assert console.get(f"/port/kiosk/{POINT}").status_code == 403


class TestCrossingPage:
    def test_shows_facts_decision_reasons_replay_and_trail(
        self, console: TestClient, officer: str, crossings: list[int]
    ) -> None:
        page = console.get(f"/port/crossings/{crossings[1]}")
        assert page.status_code == 200, page.text
        text = page.text
        assert "Crossing No." in text
        assert "Refuse" in text
        assert "Not in the registry" in text
        assert "Reproduced" in text
        assert "Decided at the gate" in text
        assert "gate-1" in text
        decision = text.split("/port/decisions/")[1].split("/override")[0]
        assert decision.isdigit()

    def test_an_inspected_crossing_links_its_inspection_and_shows_its_trail(
        self, console: TestClient, officer: str, session_maker: sessionmaker[Session]
    ) -> None:
        with session_maker() as session:
            inspection_id = inspection_for(session, Role.FIRST_LINE_OFFICER, "assigned")
            inspection = session.get(Inspection, inspection_id)
            assert inspection is not None
            decision = session.get(CrossingDecision, inspection.decision_id)
            assert decision is not None
            crossing_id = decision.event_id
            session.commit()
        page = console.get(f"/port/crossings/{crossing_id}")
        assert page.status_code == 200, page.text
        assert f'href="/port/inspections/{inspection_id}"' in page.text
        assert "Inspection opened" in page.text
        assert "Inspection assigned" in page.text
        # Its rule set "test-1" was never stored: the page says so instead of failing.
        assert "Could not be replayed" in page.text

    def test_a_missing_crossing_is_a_404_page(self, console: TestClient, officer: str) -> None:
        missing = console.get("/port/crossings/999999")
        assert missing.status_code == 404
        assert is_page(missing)
        assert console.get("/port/crossings/nine").status_code == 422


class TestKiosk:
    def test_shows_the_last_decision_in_three_languages_without_names(
        self, console: TestClient, officer: str, crossings: list[int]
    ) -> None:
        page = console.get(f"/port/kiosk/{POINT}")
        assert page.status_code == 200, page.text
        text = page.text
        for word in ("Release", "放行", "Please proceed.", "請通行。", "请通行。"):
            assert word in text
        for name in ("Ka Yan", "何家欣", "Lin"):
            assert name not in text
        assert 'http-equiv="refresh"' in text.split("<noscript>")[1].split("</noscript>")[0]
        assert 'data-stream="/port/stream?point=FBZ_CHANNEL_1&amp;view=kiosk' in text

    def test_a_point_without_crossings_waits(self, console: TestClient, officer: str) -> None:
        page = console.get("/port/kiosk/HUANGGANG")
        assert "Waiting for the next crossing" in page.text
        assert "等待下一宗通關" in page.text


# --- the event stream, against a served app --------------------------------------------------


def gate_and_officer(console: LiveConsole) -> tuple[dict[str, str], dict[str, str]]:
    """Headers of a gate token at Channel No. 1 and of a first-line officer's token."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        raw = make_gate_token(session, state.profile, point=POINT, device="gate-live")
        officer = make_user_token(session, Role.FIRST_LINE_OFFICER)
    return bearer(raw), bearer(officer)


@contextmanager
def events(base: str, headers: dict[str, str], **params: str) -> Iterator[Iterator[str]]:
    """The stream's lines, as they come."""
    with (
        httpx2.Client(base_url=base, timeout=10) as client,
        client.stream("GET", "/port/stream", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield response.iter_lines()


def until(lines: Iterator[str], predicate: Callable[[str], bool]) -> list[str]:
    """Lines read until one satisfies ``predicate`` (included)."""
    seen: list[str] = []
    for line in lines:
        seen.append(line)
        if predicate(line):
            return seen
    raise AssertionError(f"the stream ended before the line: {seen}")


@pytest.fixture
def served(
    committing_engine: Engine, profile: ZoneProfile, cheap_hashing: None
) -> Iterator[LiveConsole]:
    """The app served by uvicorn over a committing SQLite or PostgreSQL database: on
    PostgreSQL the poller reads in a worker thread, on SQLite in the event loop's."""
    app = create_app(engine=committing_engine, profile=profile)
    with serve(app) as url:
        yield LiveConsole(url=url, app=app)


class TestStream:
    def test_a_committed_decision_is_pushed_and_a_reconnection_resumes_after_it(
        self, served: LiveConsole
    ) -> None:
        gate, officer = gate_and_officer(served)
        base = served.url
        body = person_event(UNKNOWN_DOCUMENT, point=POINT)
        with events(base, officer, point=POINT) as lines:
            assert until(lines, lambda line: line.startswith("retry:"))
            posted = httpx2.post(f"{base}/api/v1/crossings", json=body, headers=gate, timeout=10)
            assert posted.status_code == 201, posted.text
            seen = until(lines, lambda line: line.startswith("data: </tr>"))
        assert "event: crossing" in seen
        first_id = next(line for line in seen if line.startswith("id: ")).removeprefix("id: ")
        assert any("Not in the registry" in line for line in seen)
        # Another decision while no stream is open; a reconnection sends just that one.
        again = person_event(UNKNOWN_DOCUMENT, point=POINT)
        posted = httpx2.post(f"{base}/api/v1/crossings", json=again, headers=gate, timeout=10)
        assert posted.status_code == 201
        resumed_headers = {**officer, "Last-Event-ID": first_id}
        with events(base, resumed_headers, point=POINT) as lines:
            seen = until(lines, lambda line: line.startswith("id: "))
        assert seen[-1] != f"id: {first_id}"
        assert int(seen[-1].removeprefix("id: ")) > int(first_id)

    def test_the_poller_ends_with_the_last_stream(self, served: LiveConsole) -> None:
        _, officer = gate_and_officer(served)
        feed = feed_of(served.app)
        with events(served.url, officer, point=POINT) as lines:
            until(lines, lambda line: line.startswith("retry:"))
            assert feed.running
            assert feed.subscribers == 1
        deadline = time.monotonic() + 5
        while (feed.running or feed.subscribers) and time.monotonic() < deadline:
            time.sleep(0.05)  # the server notices the closed connection on its own
        assert feed.subscribers == 0
        assert not feed.running

    def test_the_kiosk_stream_pushes_a_panel_without_names(self, live_console: LiveConsole) -> None:
        gate, officer = gate_and_officer(live_console)
        base = live_console.url
        with events(base, officer, point=POINT, view="kiosk", after="0") as lines:
            until(lines, lambda line: line.startswith("retry:"))
            body = person_event(UNKNOWN_DOCUMENT, point=POINT)
            httpx2.post(f"{base}/api/v1/crossings", json=body, headers=gate, timeout=10)
            seen = until(lines, lambda line: line == "data: </div>")
        text = "\n".join(seen)
        assert 'class="kiosk-panel fail"' in text
        assert "Refuse" in text
        assert "拒絕通行" in text
        assert "拒绝通行" in text
        assert "Not in the registry" not in text


class TestStreamLifetime:
    def test_a_quiet_stream_sends_heartbeats_and_ends_for_the_browser_to_reconnect(
        self, live_console: LiveConsole, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Shortened in this process (the server runs in a thread of it): 15 s and 50 s.
        monkeypatch.setattr(console_views, "HEARTBEAT_SECONDS", 0.1)
        monkeypatch.setattr(console_views, "STREAM_SECONDS", 0.5)
        _, officer = gate_and_officer(live_console)
        with events(live_console.url, officer, point=POINT) as lines:
            seen = list(lines)  # ends: the server closed the stream
        assert seen[0] == "retry: 1000"
        assert ": keep-alive" in seen


def row(decision_id: int, point: str = POINT) -> repository.ConsoleRow:
    """A decided crossing as the poller reads it (only what the fan-out looks at matters)."""
    at = utcnow()
    return repository.ConsoleRow(
        decision_id, decision_id, point, "inbound", SubjectType.PERSON, Outcome.RELEASE, "green",
        [], at, at, None, None, None, None, None, None,
    )  # fmt: skip


class TestFeed:
    # The poller task is stopped before it runs: these feed rows by hand, with no database.

    def test_a_decision_committed_out_of_id_order_is_still_delivered(self) -> None:
        async def scenario() -> tuple[list[int], list[int]]:
            feed = Feed(sessionmaker(), reads_inline=True)
            subscription = feed.subscribe([POINT])
            feed.deliver([row(1), row(3)])  # 2 not yet visible: another worker's batch
            awaited = feed.awaited
            feed.deliver([row(2)])
            queued = [subscription.queue.get_nowait() for _ in range(3)]
            await feed.stop()
            return [item.decision_id for item in queued if item], awaited

        delivered, awaited = asyncio.run(scenario())
        assert awaited == [2]
        assert delivered == [1, 3, 2]

    def test_a_stream_too_far_behind_is_ended_not_left_to_grow(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(live, "QUEUE_SIZE", 2)

        async def scenario() -> tuple[list[repository.ConsoleRow | None], int]:
            feed = Feed(sessionmaker(), reads_inline=True)
            subscription = feed.subscribe([POINT])
            feed.deliver([row(1), row(2), row(3)])
            queued = []
            while not subscription.queue.empty():
                queued.append(subscription.queue.get_nowait())
            subscribers = feed.subscribers
            await feed.stop()
            return queued, subscribers

        queued, subscribers = asyncio.run(scenario())
        assert queued == [None]  # the end mark: the browser reconnects from its last event
        assert subscribers == 0

    def test_other_points_and_filters_are_not_sent(self) -> None:
        shown = Subscription(frozenset({POINT}), outcome=Outcome.REFUSE)
        assert not shown.shows(row(1))
        assert not shown.shows(row(2, point="HUANGGANG"))
        assert Subscription(frozenset({POINT})).shows(row(3))
