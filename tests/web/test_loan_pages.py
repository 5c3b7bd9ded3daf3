"""Loan pages: an enterprise records and follows its own loans through plain forms; officers
see every loan, the overdue ones and the instruments outside, as a page and as CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.loans.models import Loan, LoanDirection, LoanStatus
from hetao.profiles import ZoneProfile
from loans.support import Lending, cross, crossing, record
from web.portal import post, unnamed

V = "/api/v1"


@pytest.fixture
def zone(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> Lending:
    return Lending(session_maker, actor, profile)


def loan_form(zone: Lending, **changes: str) -> dict[str, object]:
    """The loan form as a person fills it in (no zone party: the page fixes it)."""
    body = zone.loan_out()
    del body["zone_party_id"]
    return {**body, **changes}


def count(session_maker: sessionmaker[Session]) -> int:
    with session_maker() as s:
        return s.scalar(select(func.count()).select_from(Loan)) or 0


class TestPortal:
    def test_every_state_and_direction_is_named_in_three_languages(self) -> None:
        labelled = {"loans.state": LoanStatus, "loans.direction": LoanDirection}
        assert unnamed({p: [m.value for m in enum] for p, enum in labelled.items()}) == []

    def test_the_enterprise_records_a_loan_and_sees_it_in_its_list(
        self, console: TestClient, token_for: Callable[..., str], zone: Lending
    ) -> None:
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=zone.party_id))

        form = console.get("/portal/loans/new", headers=own)
        recorded = post(console, "/portal/loans", data=loan_form(zone), headers=own)
        listed = console.get("/portal/loans", headers=own)

        assert form.status_code == 200
        assert "HKSTP Materials Lab" in form.text
        assert recorded.status_code == 303
        assert "MS-001" in listed.text
        assert "Recorded" in listed.text

    def test_a_due_date_past_the_maximum_is_refused_naming_the_field_and_nothing_is_kept(
        self,
        console: TestClient,
        token_for: Callable[..., str],
        zone: Lending,
        session_maker: sessionmaker[Session],
    ) -> None:
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=zone.party_id))
        late = (zone.day + dt.timedelta(days=400)).isoformat()

        refused = post(console, "/portal/loans", data=loan_form(zone, due_on=late), headers=own)

        assert refused.status_code == 422
        assert 'id="error-due_on"' in refused.text
        assert count(session_maker) == 0


class TestPort:
    def test_officers_see_the_overdue_loans_and_the_instruments_outside_as_csv(
        self,
        console: TestClient,
        client: TestClient,
        token_for: Callable[..., str],
        zone: Lending,
    ) -> None:
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        loan = record(client, zone.loan_out())
        cross(client, crossing(loan["id"], "MS-001", direction="outbound"))

        overdue = console.get("/port/loans?status=overdue", headers=officer)
        outside = console.get("/port/loans/outside", headers=officer)
        sheet = console.get("/port/loans/outside.csv", headers=officer)

        assert overdue.status_code == outside.status_code == sheet.status_code == 200
        assert "MS-001" not in overdue.text
        assert "MS-001" in outside.text
        header, row = sheet.text.splitlines()[:2]
        assert header.startswith("loan_id,direction,status,zone_party_id")
        assert f"{loan['id']},out,away" in row


def taxable_loan(
    client: TestClient,
    zone: Lending,
    session_maker: sessionmaker[Session],
    profile: ZoneProfile,
    actor: Actor,
) -> dict[str, object]:
    """A loan out whose instrument stayed in Hong Kong past the grace period, flagged taxable."""
    from hetao.loans import service

    loan = record(client, zone.loan_out())
    cross(client, crossing(loan["id"], "MS-001", direction="outbound"))
    zone.set_due(loan["id"], zone.day - dt.timedelta(days=profile.loans.grace_days + 1))
    with session_maker() as s:
        service.flag_overdue(s, day=zone.day, profile=profile, actor=actor)
        s.commit()
    shown: dict[str, object] = client.get(f"{V}/loans/{loan['id']}").json()
    return shown


class TestOneLoan:
    def test_every_tax_leg_crossing_and_state_help_is_named_in_three_languages(self) -> None:
        labelled = {
            "loans.tax": ["duty", "consumption_tax", "vat"],
            "loans.leg": ["first", "back"],
            "loans.crossing": ["outbound", "inbound"],
            "loans.state_help": [m.value for m in LoanStatus],
        }
        assert unnamed(labelled) == []

    def test_R5_the_portal_shows_its_own_taxable_loan_with_the_assessment_in_chinese(  # noqa: N802
        self,
        console: TestClient,
        client: TestClient,
        token_for: Callable[..., str],
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        loan = taxable_loan(client, zone, session_maker, profile, actor)
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=zone.party_id))

        page = console.get(
            f"/portal/loans/{loan['id']}", headers={**own, "Accept-Language": "zh-TW"}
        )

        assert page.status_code == 200, page.text
        assert "應稅事件評稅" in page.text
        assert "進口增值稅" in page.text
        assert "R5" in page.text
        assert "first_line_entry_duty_paid_taxed" in page.text
        assert "/port/crossings/" not in page.text
        assert 'action="/port/loans' not in page.text

    def test_another_partys_loan_page_answers_as_not_found(
        self,
        console: TestClient,
        client: TestClient,
        token_for: Callable[..., str],
        zone: Lending,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        other = Lending(session_maker, actor, profile)
        loan = record(client, zone.loan_out())
        theirs = bearer(token_for(Role.ENTERPRISE_USER, party_id=other.party_id))

        assert console.get(f"/portal/loans/{loan['id']}", headers=theirs).status_code == 404

    def test_the_officer_sees_the_crossings_linked_and_records_the_payment(
        self,
        console: TestClient,
        client: TestClient,
        token_for: Callable[..., str],
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        loan = taxable_loan(client, zone, session_maker, profile, actor)
        officer = bearer(token_for(Role.SECOND_LINE_OFFICER))
        url = f"/port/loans/{loan['id']}"

        page = console.get(url, headers=officer)
        wrong = post(
            console,
            f"{url}/payment",
            data={"payment_reference": "RCPT-9", "amount": "1.00"},
            headers=officer,
        )
        paid = post(
            console,
            f"{url}/payment",
            data={"payment_reference": "RCPT-9", "amount": str(loan["tax_total"])},
            headers=officer,
        )
        after = console.get(url, headers=officer)

        assert page.status_code == 200
        assert f"/port/crossings/{loan['crossings'][0]['id']}" in page.text  # type: ignore[index]
        assert wrong.status_code == 422
        assert 'id="error-amount"' in wrong.text
        assert paid.status_code == 303
        assert "RCPT-9" in after.text
        assert 'action="/port/loans/' not in after.text

    def test_the_officer_cancels_a_loan_recorded_in_error_and_not_one_that_crossed(
        self,
        console: TestClient,
        client: TestClient,
        token_for: Callable[..., str],
        zone: Lending,
    ) -> None:
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        wrong = record(client, zone.loan_out("MS-001"))
        crossed = record(client, zone.loan_out("MS-002"))
        cross(client, crossing(crossed["id"], "MS-002", direction="outbound"))

        cancelled = post(
            console,
            f"/port/loans/{wrong['id']}/cancel",
            data={"cancel_reason": "Recorded for the wrong lab"},
            headers=officer,
        )
        refused = post(
            console,
            f"/port/loans/{crossed['id']}/cancel",
            data={"cancel_reason": "Too late"},
            headers=officer,
        )
        page = console.get(f"/port/loans/{wrong['id']}", headers=officer)

        assert cancelled.status_code == 303
        assert "Recorded for the wrong lab" in page.text
        assert "Cancelled" in page.text
        assert refused.status_code == 422
        assert "may not be cancelled" in refused.text
        assert client.get(f"{V}/loans/{crossed['id']}").json()["status"] == "away"

    def test_a_correction_past_the_maximum_is_shown_beside_its_field(
        self,
        console: TestClient,
        client: TestClient,
        token_for: Callable[..., str],
        zone: Lending,
        profile: ZoneProfile,
    ) -> None:
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        loan = record(client, zone.loan_out())
        late = (zone.day + dt.timedelta(days=profile.loans.max_days + 1)).isoformat()

        refused = post(
            console,
            f"/port/loans/{loan['id']}/correct",
            data={"due_on": late, "serial": "", "reason": "Longer run"},
            headers=officer,
        )

        assert refused.status_code == 422
        assert 'id="error-due_on"' in refused.text
        assert client.get(f"{V}/loans/{loan['id']}").json()["due_on"] == loan["due_on"]
