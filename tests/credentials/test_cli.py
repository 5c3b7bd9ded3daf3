"""`hetao credentials ...`: issue and sign lists with the database, verify OFFLINE without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credentials.support import whitelisted
from hetao.audit.service import Actor
from hetao.cli import EXIT_BAD_INPUT, EXIT_TAMPERED, app
from hetao.config import Settings
from hetao.profiles import load_profile
from hetao.storage.engine import make_engine, session_factory, unit_of_work

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/none"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated SQLite database of its own (the CLI commits for real)."""
    monkeypatch.setenv("HETAO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("HETAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HETAO_PROFILE", "hetao")
    monkeypatch.delenv("HETAO_CREDENTIAL_SIGNING_KEY", raising=False)
    code, out, err = run("db", "upgrade")
    assert code == 0, out + err
    return tmp_path


def whitelisted_person_id() -> int:
    engine = make_engine(Settings.from_env().database_url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            person, _ = whitelisted(session, Actor("test", "setup"), load_profile("hetao"))
            return person.id
    finally:
        engine.dispose()


def issue(person_id: int) -> tuple[str, dict[str, object]]:
    code, out, err = run("credentials", "issue", str(person_id))
    assert code == 0, out + err
    token, _, claims = out.partition("\n")
    return token, json.loads(claims)


class TestCredentialsCli:
    def test_a_gate_verifies_offline_with_the_key_and_a_fresh_list_and_no_database(
        self, env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        token, claims = issue(whitelisted_person_id())
        key = env / "zone.pem"
        code, pem, _ = run("credentials", "public-key")
        assert code == 0
        key.write_text(pem)
        listed = env / "revocations.json"
        assert run("credentials", "revocations", "--out", str(listed))[0] == 0

        monkeypatch.setenv("HETAO_DATABASE_URL", UNREACHABLE)
        code, out, err = run(
            "credentials", "verify", token, "--public-key", str(key), "--revocations", str(listed)
        )
        assert code == 0, out + err
        verdict = json.loads(out)
        assert verdict["status"] == "valid"
        assert verdict["claims"]["credential_id"] == claims["credential_id"]

    def test_a_revoked_credential_is_refused_offline_once_the_next_list_is_out(
        self, env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        token, claims = issue(whitelisted_person_id())
        key = env / "zone.pem"
        key.write_text(run("credentials", "public-key")[1])
        code, out, err = run(
            "credentials", "revoke", str(claims["credential_id"]), "--reason", "badge lost"
        )
        assert code == 0, out + err
        listed = env / "revocations.json"
        assert run("credentials", "revocations", "--out", str(listed))[0] == 0

        monkeypatch.setenv("HETAO_DATABASE_URL", UNREACHABLE)
        code, out, _ = run(
            "credentials", "verify", token, "--public-key", str(key), "--revocations", str(listed)
        )
        assert code == EXIT_TAMPERED
        assert json.loads(out)["status"] == "revoked"

    def test_offline_without_a_list_or_with_a_stale_one_the_status_is_unknown(
        self, env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        token, _ = issue(whitelisted_person_id())
        key = env / "zone.pem"
        key.write_text(run("credentials", "public-key")[1])
        listed = env / "revocations.json"
        assert run("credentials", "revocations", "--out", str(listed))[0] == 0

        monkeypatch.setenv("HETAO_DATABASE_URL", UNREACHABLE)
        code, out, _ = run("credentials", "verify", token, "--public-key", str(key))
        assert (code, json.loads(out)["status"]) == (EXIT_TAMPERED, "revocation_unknown")
        code, out, _ = run(
            "credentials",
            "verify",
            token,
            "--public-key",
            str(key),
            "--revocations",
            str(listed),
            "--max-age-hours",
            "0",
        )
        assert (code, json.loads(out)["status"]) == (EXIT_TAMPERED, "revocation_unknown")

    def test_after_a_key_rotation_both_keys_verify_their_own_tokens(
        self, env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        person_id = whitelisted_person_id()
        old_token, _ = issue(person_id)
        old_key = env / "old.pem"
        old_key.write_text(run("credentials", "public-key")[1])
        code, out, err = run("credentials", "rotate-key")
        assert code == 0, out + err
        new_key = env / "new.pem"
        new_key.write_text(run("credentials", "public-key")[1])
        assert old_key.read_text() != new_key.read_text()
        second_person = whitelisted_person_id()
        new_token, _ = issue(second_person)
        listed = env / "revocations.json"
        assert run("credentials", "revocations", "--out", str(listed))[0] == 0

        monkeypatch.setenv("HETAO_DATABASE_URL", UNREACHABLE)
        keys = ["--public-key", str(old_key), "--public-key", str(new_key)]
        for token in (old_token, new_token):
            code, out, _ = run("credentials", "verify", token, *keys, "--revocations", str(listed))
            assert (code, json.loads(out)["status"]) == (0, "valid")
        code, out, _ = run("credentials", "verify", new_token, "--public-key", str(old_key))
        assert json.loads(out)["status"] == "unknown_key"

    def test_an_unreadable_key_file_is_bad_input(self, tmp_path: Path) -> None:
        code, _, err = run("credentials", "verify", "HZC1.x.y", "--public-key", str(tmp_path))
        assert code == EXIT_BAD_INPUT
        assert "error" in err

    def test_issuing_for_an_unknown_person_exits_2(self, env: Path) -> None:
        code, _, err = run("credentials", "issue", "999999")
        assert code == EXIT_BAD_INPUT
        assert "person 999999 does not exist" in err
