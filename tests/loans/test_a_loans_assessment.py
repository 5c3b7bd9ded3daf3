"""A loan's detail (issue 20): its crossings out and back, days overdue and, once taxable, its
assessment tax by tax with the rule named; and the payment of that assessment, which an officer
records with its receipt: the amount must be the assessment's, a second receipt is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.loans import service
from hetao.profiles import ZoneProfile
from loans.support import Lending, V, cross, crossing, record


@pytest.fixture
def zone(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> Lending:
    return Lending(session_maker, actor, profile)


def taxable(
    client: TestClient,
    zone: Lending,
    session_maker: sessionmaker[Session],
    profile: ZoneProfile,
    actor: Actor,
    body: dict[str, Any],
    direction: str,
) -> dict[str, Any]:
    """A loan whose instrument crossed and stayed away past the grace period, flagged."""
    loan = record(client, body)
    cross(client, crossing(loan["id"], str(body["serial"]), direction=direction))
    zone.set_due(loan["id"], zone.day - dt.timedelta(days=profile.loans.grace_days + 2))
    with session_maker() as s:
        service.flag_overdue(s, day=zone.day, profile=profile, actor=actor)
        s.commit()
    shown: dict[str, Any] = client.get(f"{V}/loans/{loan['id']}").json()
    return shown


class TestDetail:
    def test_a_loan_shows_the_crossings_that_took_it_out_and_back(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())
        cross(client, crossing(loan["id"], "MS-001", direction="outbound"))
        cross(client, crossing(loan["id"], "MS-001", direction="inbound"))

        shown = client.get(f"{V}/loans/{loan['id']}").json()

        legs = [(c["leg"], c["direction"]) for c in shown["crossings"]]
        assert legs == [("first", "outbound"), ("back", "inbound")]
        assert all(c["id"] for c in shown["crossings"])
        assert shown["crossings"][0]["id"] != shown["crossings"][1]["id"]
        assert (shown["status"], shown["days_overdue"], shown["taxes"]) == ("returned", 0, [])

    def test_R5_a_taxable_loan_out_shows_each_tax_with_base_rate_amount_and_rule(  # noqa: N802
        self,
        client: TestClient,
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        shown = taxable(client, zone, session_maker, profile, actor, zone.loan_out(), "outbound")

        taxes = {row["tax"]: row for row in shown["taxes"]}
        assert set(taxes) == {"duty", "consumption_tax", "vat"}
        assert shown["days_overdue"] == profile.loans.grace_days + 2
        assert shown["taxable_reason"]["rule"] == "R5"
        total = sum(Decimal(row["amount"]) for row in shown["taxes"])
        assert total == Decimal(shown["tax_total"]) > 0
        vat = taxes["vat"]
        assert Decimal(vat["amount"]) == (Decimal(vat["base"]) * Decimal(vat["rate"])).quantize(
            Decimal("0.01")
        )
        assert Decimal(taxes["duty"]["base"]) == Decimal(
            shown["assessment"]["lines"][0]["dutiable_value_cny"]
        )
        assert vat["reason"]["code"] == vat["rule"]
        assert set(vat["reason"]["text"]) == {"en", "zh-Hant", "zh-Hans"}

    def test_R32_a_taxable_loan_in_shows_its_assessment_under_its_rule(  # noqa: N802
        self,
        client: TestClient,
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        shown = taxable(client, zone, session_maker, profile, actor, zone.loan_in(), "inbound")

        assert shown["taxable_reason"]["rule"] == "R32"
        assert [c["direction"] for c in shown["crossings"]] == ["inbound"]
        assert len(shown["taxes"]) == 3


class TestPayment:
    def test_R5_the_payment_of_a_taxable_loan_is_recorded_at_the_assessments_amount(  # noqa: N802
        self,
        client: TestClient,
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        shown = taxable(client, zone, session_maker, profile, actor, zone.loan_out(), "outbound")
        body = {"payment_reference": "RCPT-2026-0001", "amount": shown["tax_total"]}

        paid = client.post(f"{V}/loans/{shown['id']}/payment", json=body)
        again = client.post(f"{V}/loans/{shown['id']}/payment", json=body)

        assert paid.status_code == again.status_code == 200, paid.text
        assert (paid.json()["paid_reference"], paid.json()["paid_total"]) == (
            "RCPT-2026-0001",
            shown["tax_total"],
        )
        assert again.json()["paid_at"] == paid.json()["paid_at"]
        with session_maker() as s:
            events = s.scalars(
                select(AuditEvent).where(AuditEvent.tag == "loans:loan:record_payment")
            ).all()
        assert [e.data["amount"] for e in events] == [shown["tax_total"]]

    def test_R5_an_amount_other_than_the_assessments_is_refused(  # noqa: N802
        self,
        client: TestClient,
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        shown = taxable(client, zone, session_maker, profile, actor, zone.loan_out(), "outbound")
        short = str(Decimal(shown["tax_total"]) - Decimal("0.01"))

        response = client.post(
            f"{V}/loans/{shown['id']}/payment",
            json={"payment_reference": "RCPT-1", "amount": short},
        )

        assert response.status_code == 422, response.text
        assert [(p["field"], p["rule"]) for p in response.json()["errors"]] == [
            ("amount", "loan.payment_equals_assessment")
        ]
        assert client.get(f"{V}/loans/{shown['id']}").json()["paid_reference"] is None

    def test_R32_a_second_receipt_for_a_paid_assessment_is_refused(  # noqa: N802
        self,
        client: TestClient,
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        shown = taxable(client, zone, session_maker, profile, actor, zone.loan_in(), "inbound")
        url = f"{V}/loans/{shown['id']}/payment"
        client.post(url, json={"payment_reference": "RCPT-A", "amount": shown["tax_total"]})

        response = client.post(
            url, json={"payment_reference": "RCPT-B", "amount": shown["tax_total"]}
        )

        assert response.status_code == 409, response.text
        assert response.json()["errors"][0]["rule"] == "loan.paid_once"

    def test_a_loan_without_an_assessment_has_nothing_to_pay(
        self, client: TestClient, zone: Lending
    ) -> None:
        loan = record(client, zone.loan_out())

        response = client.post(
            f"{V}/loans/{loan['id']}/payment",
            json={"payment_reference": "RCPT-0", "amount": "1.00"},
        )

        assert response.status_code == 409, response.text
        assert response.json()["errors"][0]["rule"] == "loan.assessed"
