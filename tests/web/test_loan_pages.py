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
