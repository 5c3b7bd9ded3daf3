"""`hetao funds report` and `hetao funds by-source` on a committed SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from funds.support import Consortium, transfer_in
from hetao.audit.service import Actor
from hetao.cli import EXIT_BAD_INPUT, app
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine, session_factory, unit_of_work


@pytest.fixture
def project_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: ZoneProfile) -> str:
    """A migrated database with one project and one approved transfer of 10,000.00 CNY."""
    db = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("HETAO_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("HETAO_PROFILE", "hetao")
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(f"sqlite:///{db}")
    try:
        with unit_of_work(session_factory(engine)) as session:
            zone = Consortium(session, Actor("test", "cli"), profile)
            transfer_in(zone, "check", "approve")
            return zone.project.code
    finally:
        engine.dispose()


def test_report_prints_the_projects_budget_as_exact_decimal_strings(project_code: str) -> None:
    result = CliRunner().invoke(app, ["funds", "report", project_code])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["consumed"], report["remaining"]) == ("10000.00", "1490000.00")


def test_report_of_an_unknown_project_exits_2_naming_it(project_code: str) -> None:
    result = CliRunner().invoke(app, ["funds", "report", "NO-SUCH-CODE"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "NO-SUCH-CODE" in result.stderr


def test_by_source_totals_the_guangdong_budget(project_code: str) -> None:
    result = CliRunner().invoke(app, ["funds", "by-source", "--year", "2026"])
    assert result.exit_code == 0, result.output
    sources = {s["funding_source"]: s for s in json.loads(result.stdout)["sources"]}
    assert (sources["guangdong"]["budget"], sources["guangdong"]["consumed"]) == (
        "1500000.00",
        "10000.00",
    )
    assert sources["central"]["projects"] == 0
