"""Inspections and overrides over HTTP: happy paths, second officers, and who is turned away."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import bearer, make_party
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.engine.facts import Outcome
from hetao.inspections import repository as inspection_repository
from hetao.inspections import service
from hetao.ledger.models import Lot
from inspections.support import FIRST_POINT, GATE, SECOND_POINT, decided

V = "/api/v1"
PROBLEM = "application/problem+json"
Tokens = Callable[..., str]


def queued(
    session: Session,
    point: str = FIRST_POINT,
    outcome: Outcome = Outcome.INSPECT,
    carrying: Sequence[Lot] = (),
) -> int:
    """A decision at ``point`` on the goods behind ``carrying``, its inspection queued when it
    is INSPECT; committed."""
    decision = decided(session, outcome=outcome, crossing_point=point, carrying=carrying)
    if outcome is Outcome.INSPECT:
        service.open_inspection(session, decision.id, crossing_point=point, actor=GATE)
    session.commit()
    return decision.id


def inspection_id(session: Session, decision_id: int) -> int:
    found = inspection_repository.inspection_of(session, decision_id)
    assert found is not None
    return found.id


def post(client: TestClient, url: str, who: dict[str, str], body: Any = None) -> Any:
    return client.post(url, json=body, headers=who)


class TestInspectionsOverHttp:
    def test_an_officer_takes_an_inspection_from_the_queue_to_a_result(
        self, anonymous_client: TestClient, session: Session, token_for: Tokens
    ) -> None:
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        decision_id = queued(session)
        number = inspection_id(session, decision_id)

        listed = anonymous_client.get(
            f"{V}/inspections",
            params={"crossing_point": FIRST_POINT, "status": "queued"},
            headers=officer,
        )
        assert listed.status_code == 200, listed.text
        assert number in [item["id"] for item in listed.json()["items"]]

        assigned = post(anonymous_client, f"{V}/inspections/{number}/assign", officer, {})
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["status"] == "assigned"
        assert assigned.json()["assigned_to"] is not None

        started = post(anonymous_client, f"{V}/inspections/{number}/start", officer)
        assert started.json()["status"] == "in_progress", started.text

        done = post(
            anonymous_client,
            f"{V}/inspections/{number}/result",
            officer,
            {"result": "conforms", "findings": "Seals intact."},
        )
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["result"]) == ("completed", "conforms")

        shown = anonymous_client.get(f"{V}/inspections/{number}", headers=officer)
        assert shown.json()["completed_by"] == done.json()["started_by"]

    def test_a_discrepancy_is_applied_when_a_second_officer_approves(
        self, anonymous_client: TestClient, session: Session, token_for: Tokens, lot: Lot
    ) -> None:
        session.commit()
        first = bearer(token_for(Role.FIRST_LINE_OFFICER))
        second = bearer(token_for(Role.FIRST_LINE_OFFICER))
        number = inspection_id(session, queued(session, carrying=[lot]))
        post(anonymous_client, f"{V}/inspections/{number}/assign", first, {})
        post(anonymous_client, f"{V}/inspections/{number}/start", first)
        done = post(
            anonymous_client,
            f"{V}/inspections/{number}/result",
            first,
            {
                "result": "discrepancy",
                "findings": "One kit short.",
                "adjustments": [{"lot_id": lot.id, "quantity": "-1", "reason": "Short by one"}],
            },
        )
        assert done.status_code == 200, done.text
        (proposal,) = done.json()["adjustments"]
        assert proposal["status"] == "proposed"

        own = post(anonymous_client, f"{V}/adjustments/{proposal['id']}/approve", first)
        assert own.status_code == 422, own.text
        assert own.headers["content-type"] == PROBLEM
        assert own.json()["errors"][0]["rule"] == "adjustment.second_officer"

        approved = post(
            anonymous_client, f"{V}/adjustments/{proposal['id']}/approve", second, {"note": "ok"}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"
        assert approved.json()["movement_id"] is not None
        session.refresh(lot)
        assert lot.balance == Decimal("9.000")

    def test_a_float_quantity_is_refused(
        self, anonymous_client: TestClient, session: Session, token_for: Tokens, lot: Lot
    ) -> None:
        session.commit()
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        number = inspection_id(session, queued(session, carrying=[lot]))
        post(anonymous_client, f"{V}/inspections/{number}/assign", officer, {})
        post(anonymous_client, f"{V}/inspections/{number}/start", officer)
        refused = post(
            anonymous_client,
            f"{V}/inspections/{number}/result",
            officer,
            {
                "result": "discrepancy",
                "findings": "short",
                "adjustments": [{"lot_id": lot.id, "quantity": -0.5, "reason": "short"}],
            },
        )
        assert refused.status_code == 422, refused.text

    def test_a_second_line_officer_may_not_start_a_first_line_inspection(
        self, anonymous_client: TestClient, session: Session, token_for: Tokens
    ) -> None:
        first = bearer(token_for(Role.FIRST_LINE_OFFICER))
        other_line = bearer(token_for(Role.SECOND_LINE_OFFICER))
        number = inspection_id(session, queued(session))
        post(anonymous_client, f"{V}/inspections/{number}/assign", first, {})
        refused = post(anonymous_client, f"{V}/inspections/{number}/start", other_line)
        assert refused.status_code == 403, refused.text


class TestOverridesOverHttp:
    def test_overturning_a_refusal_takes_a_second_officer(
        self, anonymous_client: TestClient, session: Session, token_for: Tokens
    ) -> None:
        first = bearer(token_for(Role.SECOND_LINE_OFFICER))
        second = bearer(token_for(Role.SECOND_LINE_OFFICER))
        decision_id = queued(session, SECOND_POINT, Outcome.REFUSE)

        proposed = post(
            anonymous_client,
            f"{V}/decisions/{decision_id}/overrides",
            first,
            {"to_outcome": "release", "reason": "Entry reinstated this morning."},
        )
        assert proposed.status_code == 201, proposed.text
        assert proposed.json()["status"] == "proposed"
        override = proposed.json()["id"]

        own = post(anonymous_client, f"{V}/overrides/{override}/confirm", first)
        assert own.status_code == 422
        assert own.json()["errors"][0]["rule"] == "override.second_officer"

        confirmed = post(anonymous_client, f"{V}/overrides/{override}/confirm", second)
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["status"] == "confirmed"

        shown = anonymous_client.get(f"{V}/decisions/{decision_id}/overrides", headers=first)
        assert shown.status_code == 200, shown.text
        body = shown.json()
        assert (body["outcome"], body["effective_outcome"]) == ("refuse", "release")
        assert [o["id"] for o in body["overrides"]] == [override]

    def test_one_officer_releases_an_inspect_decision(
        self, anonymous_client: TestClient, session: Session, token_for: Tokens
    ) -> None:
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        decision_id = queued(session)
        released = post(
            anonymous_client,
            f"{V}/decisions/{decision_id}/overrides",
            officer,
            {"to_outcome": "release", "reason": "Verified at the counter."},
        )
        assert released.status_code == 201, released.text
        assert released.json()["status"] == "confirmed"
        shown = anonymous_client.get(
            f"{V}/inspections/{inspection_id(session, decision_id)}", headers=officer
        )
        assert shown.json()["status"] == "cancelled"

    def test_a_rejection_needs_a_note(
        self, anonymous_client: TestClient, session: Session, token_for: Tokens
    ) -> None:
        first = bearer(token_for(Role.FIRST_LINE_OFFICER))
        second = bearer(token_for(Role.FIRST_LINE_OFFICER))
        decision_id = queued(session, outcome=Outcome.REFUSE)
        override = post(
            anonymous_client,
            f"{V}/decisions/{decision_id}/overrides",
            first,
            {"to_outcome": "inspect", "reason": "Let someone look."},
        ).json()["id"]
        refused = post(anonymous_client, f"{V}/overrides/{override}/reject", second, {})
        assert refused.status_code == 422
        rejected = post(
            anonymous_client, f"{V}/overrides/{override}/reject", second, {"note": "No."}
        )
        assert rejected.json()["status"] == "rejected", rejected.text


class TestWhoIsTurnedAway:
    @pytest.mark.parametrize("role", [Role.ENTERPRISE_USER, Role.ZONE_REVIEWER])
    def test_enterprise_users_and_reviewers_get_403(
        self, anonymous_client: TestClient, session: Session, token_for: Tokens, role: Role
    ) -> None:
        party = (
            make_party(session, Actor("test", "setup")) if role is Role.ENTERPRISE_USER else None
        )
        decision_id = queued(session)
        number = inspection_id(session, decision_id)
        who = bearer(token_for(role, party_id=party.id if party else None))
        assert anonymous_client.get(f"{V}/inspections", headers=who).status_code == 403
        assert anonymous_client.get(f"{V}/inspections/{number}", headers=who).status_code == 403
        overriding = post(
            anonymous_client,
            f"{V}/decisions/{decision_id}/overrides",
            who,
            {"to_outcome": "release", "reason": "mine"},
        )
        assert overriding.status_code == 403
        assert overriding.headers["content-type"] == PROBLEM

    def test_an_auditor_reads_and_changes_nothing(
        self, anonymous_client: TestClient, session: Session, token_for: Tokens
    ) -> None:
        auditor = bearer(token_for(Role.AUDITOR))
        decision_id = queued(session)
        number = inspection_id(session, decision_id)
        assert anonymous_client.get(f"{V}/inspections/{number}", headers=auditor).status_code == 200
        overrides = anonymous_client.get(f"{V}/decisions/{decision_id}/overrides", headers=auditor)
        assert overrides.status_code == 200
        assert (
            post(anonymous_client, f"{V}/inspections/{number}/assign", auditor, {}).status_code
            == 403
        )

    def test_an_unknown_inspection_is_404(
        self, anonymous_client: TestClient, token_for: Tokens
    ) -> None:
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        assert anonymous_client.get(f"{V}/inspections/999999", headers=officer).status_code == 404
