"""Recording a loan (issue 20): the instrument is the lending party's, the borrower a registered
Hong Kong institution, the due date within the profile's maximum; bad input names its field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.ledger.models import Lot
from hetao.loans.models import Loan
from hetao.profiles import ZoneProfile
from loans.support import Lending, V, record


@pytest.fixture
def zone(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> Lending:
    return Lending(session_maker, actor, profile)


def problems(response: object) -> list[tuple[str, str]]:
    body = response.json()  # type: ignore[attr-defined]
    return [(p["field"], p["rule"]) for p in body["errors"]]


class TestRecording:
    def test_a_loan_out_takes_the_instrument_from_its_lot_and_is_recorded(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())

        assert loan["status"] == "recorded"
        assert (loan["hs_code"], loan["unit"], loan["customs_value"]) == (
            "902781",
            "set",
            "1200000.00",
        )
        assert client.get(f"{V}/loans/{loan['id']}").json()["serial"] == "MS-001"

    def test_the_borrower_must_be_a_hong_kong_institution_of_the_registry(
        self, client: TestClient, zone: Lending
    ) -> None:
        response = client.post(f"{V}/loans", json=zone.loan_out(hk_party_id=zone.party_id))

        assert response.status_code == 422, response.text
        assert ("hk_party_id", "loan.hk_institution") in problems(response)

    def test_the_lot_must_belong_to_the_lending_party(
        self, client: TestClient, zone: Lending, session_maker: sessionmaker[Session]
    ) -> None:
        response = client.post(f"{V}/loans", json=zone.loan_out(lot_id=987654))

        assert response.status_code == 422, response.text
        assert ("lot_id", "loan.lot_of_lender") in problems(response)
        with session_maker() as s:
            assert s.scalar(select(func.count()).select_from(Loan)) == 0

    def test_the_due_date_may_not_pass_the_profiles_maximum(
        self, client: TestClient, zone: Lending, profile: ZoneProfile
    ) -> None:
        response = client.post(f"{V}/loans", json=zone.loan_out(days=profile.loans.max_days + 5))

        assert response.status_code == 422, response.text
        assert ("due_on", "loan.due_within_maximum") in problems(response)

    def test_one_instrument_is_not_on_two_open_loans(
        self, client: TestClient, zone: Lending
    ) -> None:
        record(client, zone.loan_out("MS-001"))

        response = client.post(f"{V}/loans", json=zone.loan_out("MS-001"))

        assert response.status_code == 422, response.text
        assert ("serial", "loan.instrument_on_loan") in problems(response)

    def test_a_lot_lends_no_more_instruments_than_it_holds(
        self, client: TestClient, zone: Lending
    ) -> None:
        record(client, zone.loan_out("MS-001"))
        record(client, zone.loan_out("MS-002"))

        response = client.post(f"{V}/loans", json=zone.loan_out("MS-003"))

        assert response.status_code == 422, response.text
        assert ("lot_id", "loan.instrument_in_zone") in problems(response)

    def test_a_loan_in_must_describe_its_instrument(
        self, client: TestClient, zone: Lending
    ) -> None:
        body = zone.loan_in()
        del body["hs_code"]

        response = client.post(f"{V}/loans", json=body)

        assert response.status_code == 422, response.text
        assert "loan.in_describes_instrument" in response.text

    def test_an_hs_code_outside_the_reference_table_is_refused(
        self, client: TestClient, zone: Lending
    ) -> None:
        response = client.post(f"{V}/loans", json={**zone.loan_in(), "hs_code": "9999.99"})

        assert response.status_code == 422, response.text
        assert "hs_code" in response.text

    def test_a_retried_recording_with_its_key_answers_with_the_first_loan(
        self, client: TestClient, zone: Lending, session_maker: sessionmaker[Session]
    ) -> None:
        headers = {"Idempotency-Key": "loan-retry-1"}
        first = client.post(f"{V}/loans", json=zone.loan_out(), headers=headers)
        again = client.post(f"{V}/loans", json=zone.loan_out(), headers=headers)

        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        with session_maker() as s:
            assert s.scalar(select(func.count()).select_from(Loan)) == 1

    def test_recording_writes_its_audit_event(
        self, client: TestClient, zone: Lending, session_maker: sessionmaker[Session]
    ) -> None:
        loan = record(client, zone.loan_out())

        with session_maker() as s:
            tags = s.scalars(
                select(AuditEvent.tag).where(AuditEvent.subject_id == str(loan["id"]))
            ).all()
        assert "loans:loan:record" in tags


class TestEnterprise:
    def test_an_enterprise_records_for_its_own_party_and_sees_only_its_loans(
        self,
        anonymous_client: TestClient,
        token_for: object,
        zone: Lending,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        other = Lending(session_maker, actor, profile)
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=zone.party_id))  # type: ignore[operator]
        theirs = bearer(token_for(Role.ENTERPRISE_USER, party_id=other.party_id))  # type: ignore[operator]
        body = zone.loan_out()
        del body["zone_party_id"]

        created = anonymous_client.post(f"{V}/loans", json=body, headers=own)
        listed = anonymous_client.get(f"{V}/loans", headers=theirs)
        hidden = anonymous_client.get(f"{V}/loans/{created.json()['id']}", headers=theirs)

        assert created.status_code == 201, created.text
        assert created.json()["zone_party_id"] == zone.party_id
        assert listed.json()["items"] == []
        assert hidden.status_code == 404


class TestSupervision:
    def test_the_lot_keeps_its_balance_and_supervision_while_the_instrument_is_away(
        self, client: TestClient, zone: Lending, session_maker: sessionmaker[Session]
    ) -> None:
        from loans.support import cross, crossing

        with session_maker() as s:
            before = s.get(Lot, zone.lot_id)
            assert before is not None
            balance, ends = before.balance, before.supervision_ends_on
        loan = record(client, zone.loan_out())

        decision = cross(client, crossing(loan["id"], "MS-001", direction="outbound"))

        assert decision["outcome"] in ("release", "inspect")
        with session_maker() as s:
            lot = s.get(Lot, zone.lot_id)
            assert lot is not None
            assert (lot.balance, lot.supervision_ends_on) == (balance, ends)
            assert ends is not None
