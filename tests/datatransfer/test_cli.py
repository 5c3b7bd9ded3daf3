"""`hetao data route FILE.json` prints the route as JSON; bad input exits 2 naming the key."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from datatransfer.support import active, exporter
from hetao.audit.service import Actor
from hetao.cli import EXIT_BAD_INPUT, app
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine, session_factory, unit_of_work

FACTS: dict[str, Any] = {
    "cii_operator": False,
    "important_data": False,
    "personal_info_subjects": 60_000,
    "sensitive_personal_info_subjects": 0,
    "year_to_date": {"personal_info_subjects": 940_000, "sensitive_personal_info_subjects": 0},
    "exporter_region": "Shenzhen",
    "recipient_region": "HK",
    "purpose": "research",
}


def run(tmp_path: Path, content: dict[str, Any] | str) -> tuple[int, str, str]:
    path = tmp_path / "transfer.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    result = CliRunner().invoke(app, ["data", "route", str(path)])
    return result.exit_code, result.stdout, result.stderr


class TestDataRoute:
    def test_r33_a_good_file_prints_the_route_as_json(self, tmp_path: Path) -> None:
        code, out, err = run(tmp_path, FACTS)
        assert code == 0, err
        result = json.loads(out)
        assert (result["route"], result["rule"], result["alternatives"]) == (
            "security_assessment",
            "R33",
            [],
        )
        assert result["cumulative"]["personal_info_subjects"] == 1_000_000
        assert result["reasons"][0]["code"] == "R33.personal_info_volume"
        assert set(result["reasons"][0]) == {"code", "rule", "params", "text"}
        assert set(result["reasons"][0]["text"]) == {"en", "zh-Hant", "zh-Hans"}

    def test_r35_academic_data_without_personal_information_names_its_ground(
        self, tmp_path: Path
    ) -> None:
        code, out, _ = run(
            tmp_path,
            {**FACTS, "personal_info_subjects": 0, "year_to_date": {
                "personal_info_subjects": 0, "sensitive_personal_info_subjects": 0},
             "purpose": "academic_cooperation"},
        )  # fmt: skip
        assert code == 0
        result = json.loads(out)
        assert (result["route"], result["rule"], result["ground"]) == (
            "exempt",
            "R35",
            "no_personal_information",
        )

    @pytest.mark.parametrize(
        ("change", "key"),
        [
            ({"cii_operator": None}, "cii_operator"),
            ({"important_data": "yes"}, "important_data"),
            ({"personal_info_subjects": -1}, "personal_info_subjects"),
            ({"sensitive_personal_info_subjects": 1.5}, "sensitive_personal_info_subjects"),
            ({"personal_info_subjects": "100"}, "personal_info_subjects"),
            ({"year_to_date": {"personal_info_subjects": 1}},
             "year_to_date.sensitive_personal_info_subjects"),
            ({"exporter_region": "Atlantis"}, "exporter_region"),
            ({"exporter_region": "Hong Kong"}, "exporter_region"),
            ({"recipient_region": "XX"}, "recipient_region"),
            ({"recipient_region": "CN"}, "recipient_region"),
            ({"purpose": "fun"}, "purpose"),
            ({"colour": "blue"}, "colour"),
        ],
    )  # fmt: skip
    def test_bad_input_exits_2_naming_the_key(
        self, tmp_path: Path, change: dict[str, Any], key: str
    ) -> None:
        code, out, err = run(tmp_path, {**FACTS, **change})
        assert code == EXIT_BAD_INPUT
        assert out == ""
        assert f"  {key}: " in err, err

    def test_a_missing_key_exits_2_naming_it(self, tmp_path: Path) -> None:
        facts = {k: v for k, v in FACTS.items() if k != "purpose"}
        code, _, err = run(tmp_path, facts)
        assert code == EXIT_BAD_INPUT
        assert "purpose: required key is missing" in err

    def test_bad_json_exits_2(self, tmp_path: Path) -> None:
        code, _, err = run(tmp_path, '{"cii_operator": false,')
        assert code == EXIT_BAD_INPUT
        assert "(json)" in err

    def test_a_json_array_exits_2(self, tmp_path: Path) -> None:
        code, _, err = run(tmp_path, "[1, 2]")
        assert code == EXIT_BAD_INPUT
        assert "(root)" in err

    def test_an_unreadable_file_exits_2(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(app, ["data", "route", str(tmp_path / "missing.json")])
        assert result.exit_code == EXIT_BAD_INPUT
        assert "cannot read" in result.stderr

    def test_the_daily_job_refuses_a_bad_date(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(app, ["data", "expire", "--today", "2026-13-01"])
        assert result.exit_code == EXIT_BAD_INPUT
        assert "--today" in result.stderr


class TestDataExpire:
    def test_r36_the_daily_job_opens_the_renewal_window_then_expires(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: ZoneProfile
    ) -> None:
        url = f"sqlite:///{(tmp_path / 'cli.sqlite3').as_posix()}"
        monkeypatch.setenv("HETAO_DATABASE_URL", url)
        monkeypatch.setenv("HETAO_PROFILE", "hetao")
        assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
        engine = make_engine(url)
        try:
            with unit_of_work(session_factory(engine)) as session:
                actor = Actor("test", "cli")
                party = exporter(session, actor, profile)
                application = active(
                    session, actor, profile, party, valid_from=dt.date(2023, 12, 1)
                )
                application_id = application.id
        finally:
            engine.dispose()

        def expire(day: str) -> str:
            result = CliRunner().invoke(app, ["data", "expire", "--today", day])
            assert result.exit_code == 0, result.stderr
            return result.stdout

        assert expire("2026-09-01").splitlines() == ["0 applications changed"]
        assert f"application {application_id}: expiring" in expire("2026-09-02")
        assert f"application {application_id}: expired" in expire("2026-12-01")
