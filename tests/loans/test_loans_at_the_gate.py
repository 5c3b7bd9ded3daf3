"""The gate checks an instrument's crossings out and back against its loan (issue 20): the way
out needs a recorded loan not yet due, the way back a loan whose instrument is away, and the
serial read at the gate must be the loan's. Temporary admission runs the other way round."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hetao.audit.service import Actor
from hetao.profiles import ZoneProfile
from loans.support import Lending, V, codes, cross, crossing, record


@pytest.fixture
def zone(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> Lending:
    return Lending(session_maker, actor, profile)


def status(client: TestClient, loan_id: int) -> str:
    value: str = client.get(f"{V}/loans/{loan_id}").json()["status"]
    return value


class TestLoanOut:
    def test_an_instrument_lent_out_and_returned_closes_its_loan(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())

        out = cross(client, crossing(loan["id"], "MS-001", direction="outbound"))
        away = status(client, loan["id"])
        back = cross(client, crossing(loan["id"], "MS-001", direction="inbound"))

        assert codes(out) == codes(back) == []
        assert out["outcome"] != "refuse"
        assert back["outcome"] != "refuse"
        assert (away, status(client, loan["id"])) == ("away", "returned")

    def test_an_instrument_leaving_without_a_recorded_loan_is_refused(
        self, client: TestClient, zone: Lending
    ) -> None:
        decision = cross(client, crossing(987654, "MS-001", direction="outbound"))

        assert decision["outcome"] == "refuse"
        assert codes(decision) == ["loan.unknown"]

    def test_an_instrument_may_not_leave_twice_on_one_loan(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())
        cross(client, crossing(loan["id"], "MS-001", direction="outbound"))

        again = cross(client, crossing(loan["id"], "MS-001", direction="outbound"))

        assert again["outcome"] == "refuse"
        assert codes(again) == ["loan.not_open"]
        [reason] = [r for r in again["reasons"] if r["code"] == "loan.not_open"]
        assert (
            reason["text"]["en"]
            == f"Loan {loan['id']} is away: the instrument has already crossed on it"
        )

    def test_an_instrument_not_away_may_not_come_back_on_the_loan(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())

        back = cross(client, crossing(loan["id"], "MS-001", direction="inbound"))

        assert back["outcome"] == "refuse"
        assert codes(back) == ["loan.not_away"]
        assert status(client, loan["id"]) == "recorded"

    def test_another_serial_coming_back_is_sent_to_an_officer(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())
        cross(client, crossing(loan["id"], "MS-001", direction="outbound"))

        back = cross(client, crossing(loan["id"], "MS-999", direction="inbound"))

        assert back["outcome"] == "inspect"
        assert codes(back) == ["loan.serial_mismatch"]
        [reason] = [r for r in back["reasons"] if r["code"] == "loan.serial_mismatch"]
        assert set(reason["text"]) == {"en", "zh-Hant", "zh-Hans"}

    def test_an_instrument_past_its_due_date_may_not_leave(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())
        zone.set_due(loan["id"], zone.crossing_day - dt.timedelta(days=1))

        decision = cross(client, crossing(loan["id"], "MS-001", direction="outbound"))

        assert decision["outcome"] == "refuse"
        assert codes(decision) == ["loan.past_due"]

    def test_an_instrument_back_after_its_due_date_is_sent_to_an_officer(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())
        cross(client, crossing(loan["id"], "MS-001", direction="outbound"))
        zone.set_due(loan["id"], zone.day - dt.timedelta(days=3))

        back = cross(client, crossing(loan["id"], "MS-001", direction="inbound"))

        assert back["outcome"] == "inspect"
        assert codes(back) == ["loan.returned_late"]
        assert status(client, loan["id"]) == "returned"

    def test_a_loan_crosses_the_first_line_only(self, client: TestClient, zone: Lending) -> None:
        loan = record(client, zone.loan_out())

        decision = cross(
            client, crossing(loan["id"], "MS-001", direction="outbound", point="SL_GOODS")
        )

        assert decision["outcome"] == "refuse"
        assert "loan.first_line_only" in codes(decision)
        assert status(client, loan["id"]) == "recorded"

    def test_a_crossing_naming_a_loan_and_a_declaration_is_bad_input(
        self, client: TestClient, zone: Lending
    ) -> None:
        body = crossing(1, "MS-001", direction="outbound")
        body["subject"]["declaration_id"] = 1

        response = client.post(f"{V}/crossings", json=body)

        assert response.status_code == 422, response.text
        assert "crossing.loan_named_alone" in response.text


class TestLoanIn:
    def test_a_hong_kong_instrument_admitted_temporarily_comes_in_then_goes_back(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_in())

        came_in = cross(client, crossing(loan["id"], "HK-CRYO-7", direction="inbound"))
        inside = status(client, loan["id"])
        went_back = cross(client, crossing(loan["id"], "HK-CRYO-7", direction="outbound"))

        assert codes(came_in) == codes(went_back) == []
        assert (inside, status(client, loan["id"])) == ("away", "returned")

    def test_a_hong_kong_instrument_may_not_leave_before_it_came_in(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_in())

        decision = cross(client, crossing(loan["id"], "HK-CRYO-7", direction="outbound"))

        assert decision["outcome"] == "refuse"
        assert codes(decision) == ["loan.not_away"]
