"""An officer cancels a loan recorded in error, or corrects its due date or serial, before its
instrument crosses (issue 20): each with a reason and an audit event; a retry changes nothing;
a loan that crossed is refused with the rule named, and nothing is half-written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.profiles import ZoneProfile
from loans.support import Lending, V, codes, cross, crossing, record


@pytest.fixture
def zone(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> Lending:
    return Lending(session_maker, actor, profile)


def tags_of(session_maker: sessionmaker[Session], loan_id: int) -> list[str]:
    with session_maker() as s:
        return list(
            s.scalars(
                select(AuditEvent.tag)
                .where(AuditEvent.subject_type == "loan", AuditEvent.subject_id == str(loan_id))
                .order_by(AuditEvent.id)
            )
        )


def problems(response: Any) -> list[tuple[str, str]]:
    return [(p["field"], p["rule"]) for p in response.json()["errors"]]


class TestCancel:
    def test_a_loan_recorded_in_error_is_cancelled_with_its_reason_and_audited(
        self, client: TestClient, zone: Lending, session_maker: sessionmaker[Session]
    ) -> None:
        loan = record(client, zone.loan_out())

        response = client.post(
            f"{V}/loans/{loan['id']}/cancel", json={"cancel_reason": "Recorded for the wrong lab"}
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["cancel_reason"]) == (
            "cancelled",
            "Recorded for the wrong lab",
        )
        assert body["cancelled_at"] is not None
        assert tags_of(session_maker, loan["id"]) == ["loans:loan:record", "loans:loan:cancel"]

    def test_cancelling_again_changes_nothing(
        self, client: TestClient, zone: Lending, session_maker: sessionmaker[Session]
    ) -> None:
        loan = record(client, zone.loan_out())
        first = client.post(f"{V}/loans/{loan['id']}/cancel", json={"cancel_reason": "In error"})

        again = client.post(f"{V}/loans/{loan['id']}/cancel", json={"cancel_reason": "In error"})

        assert again.status_code == 200, again.text
        assert again.json()["cancelled_at"] == first.json()["cancelled_at"]
        assert tags_of(session_maker, loan["id"]).count("loans:loan:cancel") == 1

    def test_a_loan_whose_instrument_crossed_may_not_be_cancelled(
        self, client: TestClient, zone: Lending, session_maker: sessionmaker[Session]
    ) -> None:
        loan = record(client, zone.loan_out())
        cross(client, crossing(loan["id"], "MS-001", direction="outbound"))

        response = client.post(f"{V}/loans/{loan['id']}/cancel", json={"cancel_reason": "Too late"})

        assert response.status_code == 409, response.text
        assert problems(response) == [("status", "loan.cancel_before_crossing")]
        assert "crossed" in response.json()["detail"]
        assert client.get(f"{V}/loans/{loan['id']}").json()["status"] == "away"
        assert "loans:loan:cancel" not in tags_of(session_maker, loan["id"])

    def test_a_cancellation_needs_its_reason(self, client: TestClient, zone: Lending) -> None:
        loan = record(client, zone.loan_out())

        response = client.post(f"{V}/loans/{loan['id']}/cancel", json={"cancel_reason": "  "})

        assert response.status_code == 422, response.text
        assert "cancel_reason" in response.text

    def test_a_cancelled_loan_frees_its_instrument_and_the_gate_refuses_it(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())
        client.post(f"{V}/loans/{loan['id']}/cancel", json={"cancel_reason": "In error"})

        decision = cross(client, crossing(loan["id"], "MS-001", direction="outbound"))
        again = record(client, zone.loan_out())

        assert decision["outcome"] == "refuse"
        assert codes(decision) == ["loan.not_open"]
        assert again["status"] == "recorded"

    def test_an_enterprise_user_may_not_cancel_its_own_loan(
        self, anonymous_client: TestClient, token_for: Any, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=zone.party_id))

        response = anonymous_client.post(
            f"{V}/loans/{loan['id']}/cancel", json={"cancel_reason": "Mine"}, headers=own
        )

        assert response.status_code == 403, response.text


class TestCorrect:
    def test_the_due_date_and_serial_are_corrected_with_the_change_audited(
        self, client: TestClient, zone: Lending, session_maker: sessionmaker[Session]
    ) -> None:
        loan = record(client, zone.loan_out())
        due = (zone.day + dt.timedelta(days=60)).isoformat()

        response = client.post(
            f"{V}/loans/{loan['id']}/correct",
            json={"due_on": due, "serial": "MS-002", "reason": "Typed from the wrong form"},
        )

        assert response.status_code == 200, response.text
        assert (response.json()["due_on"], response.json()["serial"]) == (due, "MS-002")
        with session_maker() as s:
            event = s.scalars(
                select(AuditEvent).where(AuditEvent.tag == "loans:loan:correct")
            ).one()
        assert event.data["changes"]["serial"] == {"from": "MS-001", "to": "MS-002"}
        assert event.data["reason"] == "Typed from the wrong form"

    def test_the_same_correction_again_changes_nothing(
        self, client: TestClient, zone: Lending, session_maker: sessionmaker[Session]
    ) -> None:
        loan = record(client, zone.loan_out())
        body = {"serial": "MS-002", "reason": "Serial misread"}
        client.post(f"{V}/loans/{loan['id']}/correct", json=body)

        again = client.post(f"{V}/loans/{loan['id']}/correct", json=body)

        assert again.status_code == 200, again.text
        assert tags_of(session_maker, loan["id"]).count("loans:loan:correct") == 1

    def test_the_corrected_due_date_stays_within_the_profiles_maximum(
        self, client: TestClient, zone: Lending, profile: ZoneProfile
    ) -> None:
        loan = record(client, zone.loan_out())
        late = (zone.day + dt.timedelta(days=profile.loans.max_days + 1)).isoformat()

        response = client.post(
            f"{V}/loans/{loan['id']}/correct", json={"due_on": late, "reason": "Longer run"}
        )

        assert response.status_code == 422, response.text
        assert problems(response) == [("due_on", "loan.due_within_maximum")]
        assert client.get(f"{V}/loans/{loan['id']}").json()["due_on"] == loan["due_on"]

    def test_a_serial_already_on_an_open_loan_is_refused_and_nothing_is_written(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out("MS-001"))
        record(client, zone.loan_out("MS-002"))
        due = (zone.day + dt.timedelta(days=45)).isoformat()

        response = client.post(
            f"{V}/loans/{loan['id']}/correct",
            json={"serial": "MS-002", "due_on": due, "reason": "Swap"},
        )

        assert response.status_code == 422, response.text
        assert problems(response) == [("serial", "loan.instrument_on_loan")]
        shown = client.get(f"{V}/loans/{loan['id']}").json()
        assert (shown["serial"], shown["due_on"]) == ("MS-001", loan["due_on"])

    def test_a_correction_names_what_it_corrects(self, client: TestClient, zone: Lending) -> None:
        loan = record(client, zone.loan_out())

        response = client.post(f"{V}/loans/{loan['id']}/correct", json={"reason": "Nothing"})

        assert response.status_code == 422, response.text
        assert "loan.correction_names_a_field" in response.text

    def test_a_loan_whose_instrument_crossed_may_not_be_corrected(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_in())
        cross(client, crossing(loan["id"], "HK-CRYO-7", direction="inbound"))

        response = client.post(
            f"{V}/loans/{loan['id']}/correct", json={"serial": "HK-CRYO-8", "reason": "Misread"}
        )

        assert response.status_code == 409, response.text
        assert problems(response) == [("status", "loan.correct_before_crossing")]

    def test_a_cancelled_loan_may_not_be_corrected(self, client: TestClient, zone: Lending) -> None:
        loan = record(client, zone.loan_out())
        client.post(f"{V}/loans/{loan['id']}/cancel", json={"cancel_reason": "In error"})

        response = client.post(
            f"{V}/loans/{loan['id']}/correct", json={"serial": "MS-002", "reason": "Misread"}
        )

        assert response.status_code == 409, response.text
        assert problems(response) == [("status", "loan.cancelled")]
