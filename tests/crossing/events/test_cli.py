"""`hetao decide` and `hetao rules check | add | backtest`: output and exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from crossing.events.support import UNKNOWN_DOCUMENT, person_event
from crossing.events.test_service import rule_set
from hetao.audit.service import Actor
from hetao.cli import EXIT_BAD_INPUT, app
from hetao.config import Settings
from hetao.crossing import intake, service
from hetao.crossing.models import CrossingEvent
from hetao.crossing.schemas import CrossingIn
from hetao.profiles import load_profile
from hetao.storage.engine import make_engine, session_factory, unit_of_work
from hetao.storage.types import utcnow


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated SQLite database of its own (the CLI commits for real)."""
    monkeypatch.setenv("HETAO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("HETAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HETAO_PROFILE", "hetao")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp: Path, name: str, document: Any) -> str:
    path = tmp / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def crossings() -> int:
    engine = make_engine(Settings.from_env().database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(CrossingEvent)) or 0)
    finally:
        engine.dispose()


def recorded(body: dict[str, Any]) -> dict[str, Any]:
    """Record an event through the service in the CLI's database; its stored decision."""
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            event, _ = service.record_crossing(
                session,
                CrossingIn.model_validate(body),
                device=intake.Device("device:1", "gate-1", frozenset({"HUANGGANG"})),
                profile=load_profile("hetao"),
                seed_key=intake.load_seed_key(settings.resolve(intake.SEED_KEY_FILE)),
                actor=Actor("device", "gate-1"),
            )
            return {
                "inputs": event.decision.inputs,
                "seed": event.decision.seed,
                "document": event.decision.document,
            }
    finally:
        engine.dispose()


class TestDecide:
    def test_an_event_payload_is_decided_against_the_database_and_nothing_is_written(
        self, env: Path
    ) -> None:
        code, out, err = run("decide", write(env, "event.json", person_event(UNKNOWN_DOCUMENT)))

        assert code == 0, err
        decision = json.loads(out)
        assert decision["outcome"] == "refuse"
        assert {"en", "zh-Hant", "zh-Hans"} == set(decision["reasons"][0]["text"])
        assert crossings() == 0

    def test_stored_facts_with_the_stored_seed_give_the_stored_decision(self, env: Path) -> None:
        stored = recorded(person_event(UNKNOWN_DOCUMENT, point="HUANGGANG"))

        code, out, err = run(
            "decide", write(env, "facts.json", stored["inputs"]), "--seed", stored["seed"]
        )

        assert code == 0, err
        again = json.loads(out)
        again.pop("inputs")
        assert again == stored["document"]

    def test_a_bad_event_exits_2_naming_the_key(self, env: Path) -> None:
        body = person_event(UNKNOWN_DOCUMENT)
        body["subject"]["document"]["kind"] = "library_card"
        code, _, err = run("decide", write(env, "bad.json", body))
        assert code == EXIT_BAD_INPUT
        assert "subject.person.document.kind" in err

    def test_bad_facts_exit_2_naming_the_key(self, env: Path) -> None:
        stored = recorded(person_event(UNKNOWN_DOCUMENT, point="HUANGGANG"))
        facts = stored["inputs"]
        facts["occurred_at"] = "yesterday"
        code, _, err = run("decide", write(env, "facts.json", facts))
        assert code == EXIT_BAD_INPUT
        assert "occurred_at" in err

    def test_a_file_that_is_not_json_exits_2(self, env: Path) -> None:
        path = env / "broken.json"
        path.write_text("{", encoding="utf-8")
        code, _, err = run("decide", str(path))
        assert code == EXIT_BAD_INPUT
        assert "not JSON" in err


class TestRules:
    def test_check_prints_the_summary_of_a_valid_rule_set(self, env: Path) -> None:
        code, out, err = run("rules", "check", write(env, "r.json", rule_set("cli-1", utcnow())))
        assert code == 0, err
        assert json.loads(out)["version"] == "cli-1"
        assert json.loads(out)["rows"] == 1

    def test_check_exits_2_naming_table_row_and_column(self, env: Path) -> None:
        bad = rule_set("cli-bad", utcnow(), point="NOWHERE")
        code, _, err = run("rules", "check", write(env, "bad.json", bad))
        assert code == EXIT_BAD_INPUT
        assert "rows[0]" in err or "row" in err
        assert "crossing_point" in err

    def test_add_stores_once_and_the_same_file_again_changes_nothing(self, env: Path) -> None:
        path = write(env, "r.json", rule_set("cli-2", utcnow()))
        first = run("rules", "add", path)
        again = run("rules", "add", path)
        assert (first[0], again[0]) == (0, 0), first[2]
        assert (json.loads(first[1])["created"], json.loads(again[1])["created"]) == (True, False)

    def test_backtest_reports_replayed_crossings_and_unknown_hit_rates(self, env: Path) -> None:
        recorded(person_event(UNKNOWN_DOCUMENT, point="HUANGGANG"))
        candidate = write(env, "c.json", rule_set("cli-candidate", utcnow() - dt.timedelta(days=1)))
        since = (utcnow() - dt.timedelta(days=2)).date().isoformat()

        code, out, err = run("rules", "backtest", "--rules", candidate, "--since", since)

        assert code == 0, err
        report = json.loads(out)
        assert report["replayed"] == 1
        assert report["changed"] == 1
        assert report["hit_rate"]["candidate_rules"]["hit_rate"] is None

    def test_backtest_with_a_bad_date_exits_2(self, env: Path) -> None:
        candidate = write(env, "c.json", rule_set("cli-c2", utcnow()))
        code, _, _ = run("rules", "backtest", "--rules", candidate, "--since", "last week")
        assert code == EXIT_BAD_INPUT
