"""The daily job (issue 20): a loan past its due date is flagged overdue; past the grace period
an unreturned instrument becomes a taxable event, assessed by ``hetao.tax`` with the rule named.
Run twice on one day, it changes nothing the second time."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hetao.audit.service import Actor
from hetao.cli import app
from hetao.loans import service
from hetao.loans.models import Loan, LoanStatus
from hetao.profiles import ZoneProfile
from loans.support import Lending, V, cross, crossing, record


@pytest.fixture
def zone(session_maker: sessionmaker[Session], actor: Actor, profile: ZoneProfile) -> Lending:
    return Lending(session_maker, actor, profile)


def away(client: TestClient, zone: Lending, body: dict[str, object], direction: str) -> int:
    """A loan whose instrument has crossed the first time."""
    loan = record(client, body)
    cross(client, crossing(loan["id"], str(body["serial"]), direction=direction))
    loan_id: int = loan["id"]
    return loan_id


def flag(
    session_maker: sessionmaker[Session], day: dt.date, profile: ZoneProfile, actor: Actor
) -> tuple[list[int], list[int]]:
    with session_maker() as s:
        result = service.flag_overdue(s, day=day, profile=profile, actor=actor)
        s.commit()
    return result.overdue, result.taxable


class TestFlagOverdue:
    def test_a_loan_past_its_due_date_is_flagged_overdue_once_a_day(
        self,
        client: TestClient,
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        loan_id = away(client, zone, zone.loan_out(), "outbound")
        zone.set_due(loan_id, zone.day - dt.timedelta(days=2))

        first = flag(session_maker, zone.day, profile, actor)
        second = flag(session_maker, zone.day, profile, actor)

        assert first == ([loan_id], [])
        assert second == ([], [])
        loan = client.get(f"{V}/loans/{loan_id}").json()
        assert (loan["status"], loan["overdue_on"]) == ("overdue", zone.day.isoformat())

    def test_a_loan_not_yet_due_or_returned_is_not_flagged(
        self,
        client: TestClient,
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        away(client, zone, zone.loan_out("MS-001"), "outbound")
        returned = away(client, zone, zone.loan_out("MS-002"), "outbound")
        cross(client, crossing(returned, "MS-002", direction="inbound"))
        zone.set_due(returned, zone.day - dt.timedelta(days=2))

        assert flag(session_maker, zone.day, profile, actor) == ([], [])

    def test_R5_an_instrument_lent_out_and_unreturned_past_the_grace_period_is_taxed(  # noqa: N802
        self,
        client: TestClient,
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        loan_id = away(client, zone, zone.loan_out(), "outbound")
        due = zone.day - dt.timedelta(days=profile.loans.grace_days + 1)
        zone.set_due(loan_id, due)

        assert flag(session_maker, zone.day, profile, actor) == ([], [loan_id])
        assert flag(session_maker, zone.day, profile, actor) == ([], [])

        with session_maker() as s:
            loan = s.get(Loan, loan_id)
            assert loan is not None
            assert loan.assessment is not None
            assert loan.status is LoanStatus.TAXABLE
            assert loan.tax_total is not None
            assert loan.tax_total > Decimal(0)
            assert loan.taxable_reason is not None
            assert loan.taxable_reason["code"] == "loan.unreturned_out"
            assert loan.taxable_reason["rule"] == "R5"
            assert "first_line_entry_duty_paid_taxed" in loan.taxable_reason["text"]["en"]
            assert loan.assessment["lines"][0]["rule"] == "first_line_entry_duty_paid_taxed"
            assert Decimal(loan.assessment["totals"]["total"]) == loan.tax_total

    def test_R32_a_hong_kong_instrument_not_re_exported_past_the_grace_period_is_taxed(  # noqa: N802
        self,
        client: TestClient,
        zone: Lending,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        actor: Actor,
    ) -> None:
        loan_id = away(client, zone, zone.loan_in(), "inbound")
        zone.set_due(loan_id, zone.day - dt.timedelta(days=profile.loans.grace_days + 3))

        assert flag(session_maker, zone.day, profile, actor) == ([], [loan_id])
        loan = client.get(f"{V}/loans/{loan_id}").json()
        assert loan["status"] == "taxable"
        assert loan["taxable_reason"]["code"] == "loan.not_reexported_in"
        assert set(loan["taxable_reason"]["text"]) == {"en", "zh-Hant", "zh-Hans"}


class TestCommand:
    def test_flag_overdue_runs_as_a_daily_command_and_prints_what_it_flagged(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HETAO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
        monkeypatch.setenv("HETAO_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("HETAO_PROFILE", "hetao")
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

        result = runner.invoke(app, ["loans", "flag-overdue", "--today", "2026-12-01"])

        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == {"day": "2026-12-01", "overdue": [], "taxable": []}
