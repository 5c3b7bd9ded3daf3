"""The operator CLI: true help, one unit of work per command, exit codes 0 / 1 / 2."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from factories import party_payload, resident_id
from hetao.cli import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_TAMPERED, app
from hetao.registry import parties as registry_parties
from hetao.storage.engine import make_engine


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated SQLite database of its own (the CLI commits for real)."""
    db = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("HETAO_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("HETAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HETAO_PROFILE", "hetao")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def register_party(tmp: Path) -> str:
    """Register a party through the API's service layer via the CLI's own database."""
    from hetao.audit.service import Actor
    from hetao.config import Settings
    from hetao.registry.schemas import PartyCreate
    from hetao.storage.engine import make_engine, session_factory, unit_of_work

    engine = make_engine(Settings.from_env().database_url)
    payload = party_payload()
    with unit_of_work(session_factory(engine)) as session:
        registry_parties.create_party(session, PartyCreate(**payload), actor=Actor("test", "setup"))
    engine.dispose()
    return str(payload["uscc"])


HEADER = (
    "family_name,given_name,birth_date,residency,nationality,document_kind,document_number,"
    "document_issuing_country,affiliation_party,affiliation_role"
)


class TestCli:
    def test_db_upgrade_reports_the_revision(self, env: Path) -> None:
        code, out, _ = run("db", "upgrade")
        assert code == 0
        assert out.startswith("database at revision ")

    def test_import_with_a_bad_row_exits_2_naming_row_and_column_and_writes_nothing(
        self, env: Path
    ) -> None:
        uscc = register_party(env)
        good = resident_id(dt.date(1990, 1, 2))
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        rows = [
            f"Li,Wei,1990-01-02,mainland,CN,mainland_resident_id,{good},CN,{uscc},researcher",
            f"Li,Na,1990-01-02,mainland,CN,mainland_resident_id,{bad},CN,{uscc},researcher",
        ]
        csv_file = env / "persons.csv"
        csv_file.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        code, _, err = run("registry", "import", "persons", str(csv_file))
        assert code == EXIT_BAD_INPUT
        assert "row 3, column document_number" in err
        assert "GB11643-1999.check_digit" in err
        code, out, _ = run("registry", "show")
        assert json.loads(out)["persons"]["total"] == 0

    def test_import_of_a_good_file_exits_0_and_the_summary_counts_it(self, env: Path) -> None:
        uscc = register_party(env)
        number = resident_id(dt.date(1990, 1, 2))
        row = f"Li,Wei,1990-01-02,mainland,CN,mainland_resident_id,{number},CN,{uscc},researcher"
        csv_file = env / "persons.csv"
        csv_file.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
        code, out, _ = run("registry", "import", "persons", str(csv_file))
        assert (code, out.strip()) == (0, "imported 1 persons")
        code, out, _ = run("registry", "show", "person", "1")
        assert code == 0
        assert json.loads(out)["documents"][0]["number"] == number

    def test_showing_an_unknown_object_exits_2(self, env: Path) -> None:
        code, _, err = run("registry", "show", "party", "77")
        assert code == EXIT_BAD_INPUT
        assert "party 77 does not exist" in err

    def test_a_missing_file_exits_2(self, env: Path) -> None:
        code, _, err = run("registry", "import", "vehicles", str(env / "nope.csv"))
        assert code == EXIT_BAD_INPUT
        assert "cannot read" in err

    @pytest.mark.parametrize(
        ("command", "option"),
        [
            (("registry", "expire"), "--today"),
            (("data", "expire"), "--today"),
            (("demo", "load"), "--as-of"),
            (("rules", "backtest", "--rules", "unread.json"), "--since"),
        ],
    )
    def test_a_malformed_day_exits_2_naming_the_option_and_format(
        self, env: Path, command: tuple[str, ...], option: str
    ) -> None:
        code, _, err = run(*command, option, "bad-date")
        assert code == EXIT_BAD_INPUT
        assert f"error: {option} 'bad-date' is not a date (YYYY-MM-DD)" in err

    def test_an_unreachable_database_exits_1(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HETAO_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
        code, _, err = run("registry", "show")
        assert code == EXIT_FAILURE
        assert "database is unreachable" in err

    def test_every_command_has_help(self) -> None:
        for args in (
            [],
            ["serve"],
            ["db", "upgrade"],
            ["demo", "load"],
            ["registry", "import"],
            ["registry", "show"],
            ["registry", "expire"],
            ["profile", "check"],
        ):
            result = CliRunner().invoke(app, [*args, "--help"])
            assert result.exit_code == 0, args
            assert "Usage" in result.stdout


class TestProfileAtStart:
    def test_a_bad_profile_is_refused_at_start_naming_file_key_and_rule(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from hetao.profiles import builtin_path

        bad = tmp_path / "bad.toml"
        text = builtin_path("hetao").read_text(encoding="utf-8")
        bad.write_text(text.replace("waiver_lockout_months = 36", "waiver_lockout_months = -1"))
        monkeypatch.setenv("HETAO_PROFILE", str(bad))
        code, _, err = run("serve", "--port", "1")
        assert code == EXIT_BAD_INPUT
        assert str(bad) in err
        assert "whitelist.waiver_lockout_months" in err

    def test_create_app_refuses_a_profile_with_an_unknown_key(self, tmp_path: Path) -> None:
        from hetao.app import create_app
        from hetao.config import Settings
        from hetao.errors import ConfigurationError
        from hetao.profiles import builtin_path

        bad = tmp_path / "typo.toml"
        text = builtin_path("hetao").read_text(encoding="utf-8")
        bad.write_text(text.replace("[whitelist]\n", "[whitelist]\nwaiver_lockout_month = 36\n"))
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}", profile=str(bad))
        with pytest.raises(ConfigurationError) as caught:
            create_app(settings=settings)
        assert any(
            p.field == "whitelist.waiver_lockout_month" and p.rule == "extra_forbidden"
            for p in caught.value.problems
        )

    @pytest.mark.parametrize("name", ["hetao", "hengqin", "hainan"])
    def test_profile_check_accepts_the_shipped_profiles(self, name: str) -> None:
        code, out, _ = run("profile", "check", name)
        assert code == 0
        assert out == f"ok: {name} describes zone {name}\n"

    def test_profile_list_names_the_three_shipped_profiles(self) -> None:
        code, out, _ = run("profile", "list")
        assert (code, out.split()) == (0, ["hainan", "hengqin", "hetao"])


class TestPlatformDatabase:
    def test_hetao_database_url_selects_the_database_the_cli_migrates_and_fills(
        self, committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        url = committing_engine.url.render_as_string(hide_password=False)
        monkeypatch.setenv("HETAO_DATABASE_URL", url)
        monkeypatch.setenv("HETAO_PROFILE", "hetao")
        assert run("db", "upgrade")[0] == 0
        code, out, err = run("demo", "load", "--seed", "11", "--as-of", "2026-11-23")
        assert code == 0, err
        assert json.loads(out)["zone"] == "hetao"
        code, out, _ = run("demo", "load", "--seed", "11", "--if-empty")
        assert (code, out.strip()) == (
            0,
            "demo zone not loaded: the registry already has parties (--if-empty)",
        )
        summary = json.loads(run("registry", "show")[1])
        assert sum(summary["parties_by_kind"].values()) == 40
        assert summary["entries_by_subject"]["individual"] >= 1500


class TestAuditCommands:
    def test_verify_passes_on_a_clean_log_then_names_the_first_altered_event(
        self, env: Path
    ) -> None:
        register_party(env)
        run("registry", "expire")
        assert run("audit", "checkpoint")[0] == 0
        code, out, _ = run("audit", "verify")
        assert code == 0, out
        assert out.startswith("ok: ")
        from hetao.config import Settings

        engine = make_engine(Settings.from_env().database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("UPDATE audit_events SET actor = 'user:nobody' WHERE seq = 1"))
        engine.dispose()
        code, _, err = run("audit", "verify")
        assert code == EXIT_TAMPERED
        assert "first bad event: 1" in err

    def test_a_proof_printed_by_prove_checks_without_the_database(
        self, env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        register_party(env)
        assert run("audit", "checkpoint")[0] == 0
        code, out, err = run("audit", "prove", "1")
        assert code == 0, err
        proof = env / "proof.json"
        proof.write_text(out, encoding="utf-8")
        key = env / "data" / "audit" / "checkpoints" / "public-key.pem"
        monkeypatch.setenv("HETAO_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
        code, out, _ = run("audit", "check-proof", str(proof), "--public-key", str(key))
        assert code == 0, out
        assert "FAIL" not in out
        document = json.loads(proof.read_text(encoding="utf-8"))
        document["audit_path"] = [*document["audit_path"], "00" * 32]  # an extended path
        proof.write_text(json.dumps(document), encoding="utf-8")
        code, out, _ = run("audit", "check-proof", str(proof), "--public-key", str(key))
        assert code == EXIT_TAMPERED


class TestUsersAndTokens:
    def test_creates_an_administrator_then_a_gate_token_that_authenticates(
        self, env: Path, cheap_hashing: None
    ) -> None:
        result = CliRunner().invoke(
            app,
            ["users", "create", "admin-wang", "--role", "administrator", "--password-stdin"],
            input="a long enough password\n",
        )
        assert result.exit_code == 0, result.stderr
        assert "administrator" in result.stdout
        code, out, err = run(
            "tokens", "issue", "Channel 1 gate 3", "--device", "gate-3",
            "--crossing-point", "FBZ_CHANNEL_1", "--days", "30",
        )  # fmt: skip
        assert code == 0, err
        raw = out.strip().splitlines()[-1]
        from hetao.auth import service as auth
        from hetao.config import Settings
        from hetao.storage.engine import session_factory

        engine = make_engine(Settings.from_env().database_url)
        with session_factory(engine)() as session:
            principal = auth.authenticate_token(session, raw=raw)
        engine.dispose()
        assert principal is not None
        assert principal.crossing_points == frozenset({"FBZ_CHANNEL_1"})

    def test_a_gate_token_for_an_unknown_crossing_point_exits_2(self, env: Path) -> None:
        code, _, err = run(
            "tokens", "issue", "gate", "--device", "g", "--crossing-point", "NOWHERE"
        )
        assert code == EXIT_BAD_INPUT
        assert "NOWHERE" in err


class TestMigrationUrl:
    def test_db_upgrade_uses_the_migration_url_when_given(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        owner_db, app_db = tmp_path / "owner.sqlite3", tmp_path / "app.sqlite3"
        monkeypatch.setenv("HETAO_DATABASE_URL", f"sqlite:///{app_db}")
        monkeypatch.setenv("HETAO_MIGRATION_DATABASE_URL", f"sqlite:///{owner_db}")
        assert run("db", "upgrade")[0] == 0
        assert owner_db.exists()
        assert not app_db.exists()
