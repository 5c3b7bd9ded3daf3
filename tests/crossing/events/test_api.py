"""The crossings API: gates scoped to their points, decisions with reasons, replay, rule sets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crossing.events.support import UNKNOWN_DOCUMENT, person_event, whitelisted_person
from crossing.events.test_service import rule_set
from factories import bearer
from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow

V = "/api/v1"
GateToken = Callable[..., dict[str, str]]


@pytest.fixture
def gate(session_maker: sessionmaker[Session], profile: ZoneProfile) -> GateToken:
    """Headers of a gate device token scoped to the given crossing points."""

    def make(*points: str) -> dict[str, str]:
        with session_maker() as s:
            _, raw = auth.issue_token(
                s,
                name="gate",
                roles=[Role.GATE_DEVICE],
                device_name=f"gate-{'-'.join(points)}",
                crossing_points=list(points),
                expires_at=utcnow() + dt.timedelta(days=1),
                actor=Actor("test", "setup"),
                profile=profile,
            )
            s.commit()
        return bearer(raw)

    return make


@pytest.fixture
def document(
    session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile
) -> dict[str, Any]:
    """The identity document of a whitelisted researcher."""
    with session_maker() as s:
        _, _, ref = whitelisted_person(s, actor, profile)
        s.commit()
    return ref


class TestPosting:
    def test_R15_an_unknown_document_at_a_whitelist_only_point_is_a_201_refusal_with_reasons(  # noqa: N802 - named after the rule
        self, anonymous_client: TestClient, gate: GateToken
    ) -> None:
        response = anonymous_client.post(
            f"{V}/crossings", json=person_event(UNKNOWN_DOCUMENT), headers=gate("FBZ_CHANNEL_1")
        )

        assert response.status_code == 201, response.text
        assert response.headers["content-type"] == "application/json"
        decision = response.json()["decision"]
        assert decision["outcome"] == "refuse"
        assert decision["reasons"]
        for reason in decision["reasons"]:
            assert set(reason["text"]) == {"en", "zh-Hant", "zh-Hans"}
            assert reason["code"]
        assert decision["rule_set_version"]

    def test_a_gate_token_for_huanggang_may_not_post_at_channel_1(
        self, anonymous_client: TestClient, gate: GateToken, document: dict[str, Any]
    ) -> None:
        response = anonymous_client.post(
            f"{V}/crossings", json=person_event(document), headers=gate("HUANGGANG")
        )
        assert response.status_code == 403, response.text
        assert "HUANGGANG" in response.json()["detail"]

    def test_a_gate_token_posts_at_each_of_its_points(
        self, anonymous_client: TestClient, gate: GateToken, document: dict[str, Any]
    ) -> None:
        headers = gate("HUANGGANG", "FUTIAN")
        for point in ("HUANGGANG", "FUTIAN"):
            response = anonymous_client.post(
                f"{V}/crossings", json=person_event(document, point=point), headers=headers
            )
            assert response.status_code == 201, response.text

    def test_a_second_line_officer_may_not_post_at_a_first_line_point(
        self,
        anonymous_client: TestClient,
        token_for: Callable[..., str],
        document: dict[str, Any],
    ) -> None:
        headers = bearer(token_for(Role.SECOND_LINE_OFFICER))
        refused = anonymous_client.post(
            f"{V}/crossings", json=person_event(document, point="HUANGGANG"), headers=headers
        )
        allowed = anonymous_client.post(
            f"{V}/crossings", json=person_event(document, point="SL_PASSENGER"), headers=headers
        )
        assert (refused.status_code, allowed.status_code) == (403, 201), refused.text

    def test_a_retry_returns_the_first_decision_with_200_and_other_content_is_409(
        self, anonymous_client: TestClient, gate: GateToken, document: dict[str, Any]
    ) -> None:
        headers = gate("FBZ_CHANNEL_1")
        body = person_event(document)
        first = anonymous_client.post(f"{V}/crossings", json=body, headers=headers)
        again = anonymous_client.post(f"{V}/crossings", json=body, headers=headers)
        other = anonymous_client.post(
            f"{V}/crossings", json={**body, "direction": "outbound"}, headers=headers
        )

        assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
        assert again.json() == first.json()
        assert other.json()["errors"][0]["field"] == "event_id"

    def test_an_event_from_the_future_is_a_422_naming_occurred_at(
        self, anonymous_client: TestClient, gate: GateToken
    ) -> None:
        body = person_event(UNKNOWN_DOCUMENT, occurred_at=utcnow() + dt.timedelta(hours=1))
        response = anonymous_client.post(f"{V}/crossings", json=body, headers=gate("FBZ_CHANNEL_1"))
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "occurred_at",
            "rule": "crossing.clock_skew",
            "message": response.json()["errors"][0]["message"],
        }

    def test_a_person_named_twice_is_a_422(
        self, anonymous_client: TestClient, gate: GateToken
    ) -> None:
        body = person_event(UNKNOWN_DOCUMENT)
        body["subject"]["credential"] = "HZC1.x.y"
        response = anonymous_client.post(f"{V}/crossings", json=body, headers=gate("FBZ_CHANNEL_1"))
        assert response.status_code == 422


class TestReading:
    def test_lists_filter_by_point_and_outcome_and_page_with_the_cursor(
        self, client: TestClient, document: dict[str, Any]
    ) -> None:
        for point in ("HUANGGANG", "HUANGGANG", "HUANGGANG", "FUTIAN"):
            assert (
                client.post(f"{V}/crossings", json=person_event(document, point=point)).status_code
                == 201
            )
        client.post(f"{V}/crossings", json=person_event(UNKNOWN_DOCUMENT))

        seen: list[int] = []
        cursor = ""
        while True:
            page = client.get(
                f"{V}/crossings",
                params={"crossing_point": "HUANGGANG", "limit": 2, "cursor": cursor},
            ).json()
            seen += [item["id"] for item in page["items"]]
            assert all(item["crossing_point"] == "HUANGGANG" for item in page["items"])
            if page["next_cursor"] is None:
                break
            cursor = page["next_cursor"]
        assert len(seen) == 3 == len(set(seen))
        refused = client.get(f"{V}/crossings", params={"outcome": "refuse"}).json()["items"]
        assert [item["crossing_point"] for item in refused] == ["FBZ_CHANNEL_1"]
        later = client.get(
            f"{V}/crossings", params={"since": (utcnow() + dt.timedelta(minutes=1)).isoformat()}
        ).json()
        assert later["items"] == []

    def test_shows_a_crossing_with_its_decision_reasons_and_inputs(
        self, client: TestClient
    ) -> None:
        posted = client.post(f"{V}/crossings", json=person_event(UNKNOWN_DOCUMENT)).json()

        shown = client.get(f"{V}/crossings/{posted['id']}").json()

        assert shown["decision"] == posted["decision"]
        assert shown["payload"]["subject"]["document"]["number"] == UNKNOWN_DOCUMENT["number"]
        assert shown["inputs"]["subject"]["person_id"] is None
        assert client.get(f"{V}/crossings/999999").status_code == 404

    def test_replay_recomputes_the_stored_decision_and_reports_a_match(
        self, client: TestClient, document: dict[str, Any]
    ) -> None:
        posted = client.post(f"{V}/crossings", json=person_event(document, point="HUANGGANG"))

        replay = client.post(f"{V}/crossings/{posted.json()['id']}/replay").json()

        assert replay["matches"] is True
        assert replay["differences"] == []
        assert replay["replayed"]["draw"] == posted.json()["decision"]["draw"]


class TestRuleSets:
    def test_an_administrator_adds_a_rule_set_once_and_staff_read_it(
        self, client: TestClient, anonymous_client: TestClient, token_for: Callable[..., str]
    ) -> None:
        document = rule_set("api-1", utcnow() - dt.timedelta(minutes=1))
        first = client.post(f"{V}/rule-sets", json=document)
        again = client.post(f"{V}/rule-sets", json=document)
        assert (first.status_code, again.status_code) == (201, 200), first.text
        assert first.json()["sha256"] == again.json()["sha256"]

        auditor = bearer(token_for(Role.AUDITOR))
        listed = anonymous_client.get(f"{V}/rule-sets", headers=auditor).json()["items"]
        assert [r["version"] for r in listed] == ["api-1"]
        shown = anonymous_client.get(f"{V}/rule-sets/api-1", headers=auditor).json()
        assert shown["content"]["tables"][0]["name"] == "point_watch"

    def test_a_rule_set_that_fails_validation_is_a_422_naming_table_row_and_column(
        self, client: TestClient
    ) -> None:
        response = client.post(
            f"{V}/rule-sets", json=rule_set("api-bad", utcnow(), point="NOWHERE")
        )
        assert response.status_code == 422
        field = response.json()["errors"][0]["field"]
        assert "rows[0]" in field or "row" in field
        assert "crossing_point" in field

    def test_the_rule_set_in_force_decides_new_crossings(
        self, client: TestClient, document: dict[str, Any]
    ) -> None:
        client.post(
            f"{V}/rule-sets",
            json=rule_set("api-watch", utcnow() - dt.timedelta(minutes=1), outcome="inspect"),
        )
        decision = client.post(
            f"{V}/crossings", json=person_event(document, point="HUANGGANG")
        ).json()["decision"]
        assert (decision["outcome"], decision["rule_set_version"]) == ("inspect", "api-watch")
        assert "risk.point_watch" in [r["code"] for r in decision["reasons"]]
