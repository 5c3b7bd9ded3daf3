"""Dates and times are bounded to what the domain allows, each by a named rule.

A crossing's time against the time it is received (the profile's `gates` skews), a
declaration's date against today at the zone, a birth date between 1900 and today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from crossing.events.support import UNKNOWN_DOCUMENT, counts, person_event, record
from declarations.support import body as declaration_body
from factories import bearer, make_party
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.crossing import service as crossings
from hetao.declarations import service as declarations
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.schemas import DeclarationCreate
from hetao.errors import ValidationFailed
from hetao.profiles import ZoneProfile
from hetao.profiles.schema import GatesSection
from hetao.registry.identifiers import boundary_today
from hetao.storage.types import utcnow
from hetao.timeutil import zone_today

API = "/api/v1"


def _rules(error: ValidationFailed) -> list[tuple[str, str]]:
    return [(problem.field, problem.rule) for problem in error.problems]


# --- crossings --------------------------------------------------------------------------------


class TestCrossingTimes:
    def test_both_built_in_profiles_bound_the_skews_and_mark_them_provisional(
        self, profile: ZoneProfile
    ) -> None:
        assert profile.gates.max_past_skew == dt.timedelta(days=7)
        assert profile.gates.max_future_skew == dt.timedelta(minutes=5)
        assert profile.is_provisional("gates.max_past_skew_hours")

    @pytest.mark.parametrize(
        "occurred_at",
        [
            dt.datetime(1, 1, 1, tzinfo=dt.UTC),  # the fuzzer's year 1
            utcnow() - dt.timedelta(days=7, minutes=1),
        ],
    )
    def test_a_crossing_dated_before_the_past_skew_is_refused_and_stores_nothing(
        self, session: Session, profile: ZoneProfile, occurred_at: dt.datetime
    ) -> None:
        stored = counts(session)
        body = person_event(UNKNOWN_DOCUMENT, occurred_at=occurred_at)
        with pytest.raises(ValidationFailed) as refused:
            record(session, profile, body)
        assert _rules(refused.value) == [("occurred_at", "crossing.clock_skew_past")]
        assert counts(session) == stored

    def test_the_skews_are_the_profiles_settings(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        strict = profile.model_copy(
            update={"gates": GatesSection(max_past_skew_hours=1, max_future_skew_seconds=10)}
        )
        now = utcnow()
        late = person_event(UNKNOWN_DOCUMENT, occurred_at=now - dt.timedelta(hours=2))
        early = person_event(UNKNOWN_DOCUMENT, occurred_at=now + dt.timedelta(seconds=30))

        with pytest.raises(ValidationFailed) as too_late:
            record(session, strict, late, now=now)
        with pytest.raises(ValidationFailed) as too_early:
            record(session, strict, early, now=now)
        _, created = record(session, profile, late, now=now)  # within the default week

        assert _rules(too_late.value) == [("occurred_at", "crossing.clock_skew_past")]
        assert _rules(too_early.value) == [("occurred_at", "crossing.clock_skew")]
        assert created

    def test_an_event_queued_offline_is_decided_and_its_decision_replays_later(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        # Received 6 days late: accepted. Replayed a month on: the replay checks no clock.
        occurred = utcnow() - dt.timedelta(days=40)
        body = person_event(UNKNOWN_DOCUMENT, occurred_at=occurred)
        event, created = record(session, profile, body, now=occurred + dt.timedelta(days=6))

        again = crossings.replay(session, event.decision, profile=profile)

        assert created
        assert event.clock_skew_ms == -6 * 86_400_000
        assert again.matches

    def test_the_api_refuses_a_crossing_from_year_1(
        self, anonymous_client: TestClient, session: Session, token_for: Callable[..., str]
    ) -> None:
        headers = bearer(token_for(Role.FIRST_LINE_OFFICER))
        stored = counts(session)
        body = person_event(UNKNOWN_DOCUMENT, occurred_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC))
        response = anonymous_client.post(f"{API}/crossings", json=body, headers=headers)

        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("occurred_at", "crossing.clock_skew_past")
        ]
        assert counts(session) == stored


# --- declarations -----------------------------------------------------------------------------


def _declaration(party_id: int, declared_on: dt.date) -> DeclarationCreate:
    document = declaration_body(
        party_id,
        DeclarationKind.FIRST_LINE_ENTRY,
        reference=f"PLAUSIBLE-{declared_on:%Y%m%d}",
        declared_on=declared_on.isoformat(),
    )
    return DeclarationCreate.model_validate(document)


class TestDeclarationDates:
    @pytest.mark.parametrize(
        "ahead", [dt.timedelta(days=declarations.DECLARED_ON_MAX_DAYS_AHEAD + 1), None]
    )
    def test_a_declaration_dated_too_far_ahead_is_refused(
        self, session: Session, profile: ZoneProfile, actor: Actor, ahead: dt.timedelta | None
    ) -> None:
        party = make_party(session, actor)
        day = zone_today(profile.zone.timezone) + ahead if ahead else dt.date(9999, 12, 31)
        with pytest.raises(ValidationFailed) as refused:
            declarations.submit(
                session, party, _declaration(party.id, day), profile=profile, actor=actor
            )
        assert _rules(refused.value) == [("declared_on", "date.too_far_ahead")]

    def test_a_declaration_dated_at_the_end_of_the_window_is_lodged(
        self, session: Session, profile: ZoneProfile, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        day = zone_today(profile.zone.timezone) + dt.timedelta(
            days=declarations.DECLARED_ON_MAX_DAYS_AHEAD
        )
        declaration, created = declarations.submit(
            session, party, _declaration(party.id, day), profile=profile, actor=actor
        )
        assert created
        assert declaration.declared_on == day


# --- birth dates ------------------------------------------------------------------------------


def _person(birth_date: dt.date) -> dict[str, Any]:
    # A passport without MRZ carries no birth date of its own to disagree with.
    return {
        "family_name": "Chen",
        "given_name": "Jiayi",
        "birth_date": birth_date.isoformat(),
        "residency": "mainland",
        "nationality": "CN",
        "documents": [{"kind": "passport", "number": "E12345678", "issuing_country": "CN"}],
    }


class TestBirthDates:
    @pytest.mark.parametrize(
        ("birth_date", "rule"),
        [
            (dt.date(1899, 12, 31), "person.birth_date_floor"),
            (dt.date(1, 1, 1), "person.birth_date_floor"),
            (boundary_today() + dt.timedelta(days=1), "person.birth_date_future"),
            (dt.date(9999, 12, 31), "person.birth_date_future"),
        ],
    )
    def test_an_implausible_birth_date_is_a_422(
        self, client: TestClient, birth_date: dt.date, rule: str
    ) -> None:
        response = client.post(f"{API}/persons", json=_person(birth_date))
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("birth_date", rule)
        ]

    @pytest.mark.parametrize("birth_date", [dt.date(1900, 1, 1), boundary_today()])
    def test_the_bounds_themselves_are_plausible(
        self, client: TestClient, birth_date: dt.date
    ) -> None:
        response = client.post(f"{API}/persons", json=_person(birth_date))
        assert response.status_code == 201, response.text
