"""Every `hetao` command on a freshly migrated, empty database answers; none ends in a traceback.

Each command runs in an interpreter of its own (tests/cli/fresh_interpreter.py), as an operator
runs it: this process has every model loaded, which hid `users create` failing on the foreign key
`auth_users.party_id` -> `parties` on a database without the demo (issue 14).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import typer.core
import typer.main
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Engine

from hetao.cli import EXIT_BAD_INPUT, EXIT_TAMPERED, app
from hetao.engine.rules import shipped_rule_set_path

DRIVER = Path(__file__).with_name("fresh_interpreter.py")
#: An id no fresh database holds, for the commands that look one up.
UNKNOWN_ID = "999999"


@dataclass(frozen=True)
class Invocation:
    """The arguments after the command's name, its standard input, and the exit code expected."""

    arguments: tuple[str, ...] = ()
    stdin: str = ""
    exit_code: int = 0


def _write_inputs(directory: Path) -> dict[str, str]:
    """The files the commands read, each the smallest valid one of its kind."""
    files = {
        "persons.csv": "family_name,given_name,birth_date,residency,nationality,document_kind,"
        "document_number,document_issuing_country,affiliation_party,affiliation_role\n",
        "tax.json": json.dumps(
            {
                "profile": "hetao",
                "movement": "second_line_exit",
                "date": "2026-11-23",
                "declarant": {"beneficiary": True, "kind": "csa_enterprise"},
                "lines": [
                    {
                        "hs_code": "902730",
                        "quantity": "2",
                        "unit": "unit",
                        "customs_value": "12000.00",
                        "currency": "USD",
                        "origin": "US",
                        "status": "duty_free_research",
                    }
                ],
            }
        ),
        "event.json": json.dumps(
            {
                "event_id": "gate-7-000123",
                "crossing_point": "FBZ_CHANNEL_1",
                "direction": "inbound",
                "occurred_at": "2026-11-23T08:00:00+00:00",
                "subject": {
                    "type": "person",
                    "document": {"kind": "hk_identity_card", "number": "A1234563"},
                },
            }
        ),
        "transfer.json": json.dumps(
            {
                "cii_operator": False,
                "important_data": False,
                "personal_info_subjects": 60000,
                "sensitive_personal_info_subjects": 0,
                "year_to_date": {
                    "personal_info_subjects": 940000,
                    "sensitive_personal_info_subjects": 0,
                },
                "exporter_region": "Shenzhen",
                "recipient_region": "HK",
                "purpose": "research",
            }
        ),
        # JSON that is no proof: check-proof must say it does not verify, not crash.
        "proof.json": "{}",
        "key.pem": Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii"),
    }
    for name, content in files.items():
        (directory / name).write_text(content, encoding="utf-8")
    return {name: str(directory / name) for name in files}


def _invocations(files: dict[str, str], directory: Path) -> dict[str, Invocation]:
    """Each command's basic form with the exit code it owes an empty database.

    In the order they run: `demo load` comes last because it fills the database.
    """
    rules = str(shipped_rule_set_path())
    return {
        "db upgrade": Invocation(),
        "profile check": Invocation(("hetao",)),
        "profile list": Invocation(),
        "registry import": Invocation(("persons", files["persons.csv"]), exit_code=EXIT_BAD_INPUT),
        "registry show": Invocation(),
        "registry expire": Invocation(),
        "db purge-replays": Invocation(),
        "db backup": Invocation((str(directory / "backup"),)),
        # Into the database it came from: refused, a restore only goes into a new place.
        "db restore": Invocation((str(directory / "backup"),), exit_code=EXIT_BAD_INPUT),
        "users create": Invocation(
            ("first-admin", "--role", "administrator", "--password-stdin"),
            stdin="a long enough password 2026\n",
        ),
        "tokens issue": Invocation(
            ("Channel 1 gate 3", "--device", "gate-3", "--crossing-point", "FBZ_CHANNEL_1")
        ),
        "audit verify": Invocation(),
        "audit checkpoint": Invocation(),
        "audit prove": Invocation((UNKNOWN_ID,), exit_code=EXIT_BAD_INPUT),
        "audit check-proof": Invocation(
            (files["proof.json"], "--public-key", files["key.pem"]), exit_code=EXIT_TAMPERED
        ),
        "audit consistency": Invocation(("1", UNKNOWN_ID), exit_code=EXIT_BAD_INPUT),
        "tax assess": Invocation((files["tax.json"],)),
        "decide": Invocation((files["event.json"],)),
        "rules check": Invocation((rules,)),
        "rules add": Invocation((rules,)),
        "rules backtest": Invocation(("--rules", rules, "--since", "2026-11-01")),
        "credentials issue": Invocation((UNKNOWN_ID,), exit_code=EXIT_BAD_INPUT),
        "credentials revoke": Invocation(
            ("AAAAAAAAAAAAAAAAAAAAAA", "--reason", "badge lost"), exit_code=EXIT_BAD_INPUT
        ),
        "credentials public-key": Invocation(),
        "credentials rotate-key": Invocation(),
        "credentials revocations": Invocation(("--out", str(directory / "revocations.json"))),
        "credentials verify": Invocation(
            ("HZC1.AAAA.AAAA", "--public-key", files["key.pem"]), exit_code=EXIT_TAMPERED
        ),
        "funds report": Invocation(("GD-2026-0001",), exit_code=EXIT_BAD_INPUT),
        "funds by-source": Invocation(),
        "data route": Invocation((files["transfer.json"],)),
        "data expire": Invocation(),
        "webhooks deliver": Invocation(),
        "demo load": Invocation(("--seed", "7", "--if-empty")),
        "loans flag-overdue": Invocation(),
        "registry purge-faces": Invocation(),
        # No HETAO_GATE_TOKEN here: refused before it reaches for a NATS server.
        "gate simulate": Invocation(
            ("--point", "FBZ_CHANNEL_1", "--count", "1", "--queue", str(directory / "q.jsonl")),
            exit_code=EXIT_BAD_INPUT,
        ),
    }


#: Commands not run here, each with the reason.
NOT_RUN = {
    # Blocks serving until stopped: tests/test_serving.py runs it in a process of its own.
    "serve",
    # Consumes until stopped: tests/crossing/jetstream runs it on a cluster of its own.
    "gate-consumer",
}


def _commands(command: object, path: tuple[str, ...] = ()) -> list[str]:
    """Every leaf command under ``command`` (from typer.main.get_command), as typed."""
    if isinstance(command, typer.core.TyperGroup):
        return [
            name
            for sub_name, sub in command.commands.items()
            for name in _commands(sub, (*path, sub_name))
        ]
    return [" ".join(path)]


def test_every_command_is_run_here(tmp_path: Path) -> None:
    """A new command fails this until it is given its basic form above."""
    files = _write_inputs(tmp_path)
    listed = set(_invocations(files, tmp_path)) | NOT_RUN
    assert set(_commands(typer.main.get_command(app))) == listed


def _run(command: str, invocation: Invocation, environment: dict[str, str]) -> dict[str, object]:
    completed = subprocess.run(  # noqa: S603 (this interpreter, the test's own driver)
        [sys.executable, str(DRIVER), *command.split(), *invocation.arguments],
        input=invocation.stdin,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if completed.returncode != 0:  # the driver itself failed, e.g. importing hetao.cli
        return {"exit_code": None, "output": completed.stdout, "traceback": completed.stderr}
    outcome: dict[str, object] = json.loads(completed.stdout)
    return outcome


def test_no_command_crashes_on_a_fresh_database(committing_engine: Engine, tmp_path: Path) -> None:
    # Only this test's settings: none of the developer's shell's HETAO_ variables.
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("HETAO_")},
        "HETAO_DATABASE_URL": committing_engine.url.render_as_string(hide_password=False),
        "HETAO_DATA_DIR": str(tmp_path / "data"),
        "HETAO_PROFILE": "hetao",
    }
    files = _write_inputs(tmp_path)
    wrong = []
    for command, invocation in _invocations(files, tmp_path).items():
        outcome = _run(command, invocation, environment)
        if outcome["traceback"] is not None or outcome["exit_code"] != invocation.exit_code:
            wrong.append(
                f"hetao {command} {' '.join(invocation.arguments)}: exit {outcome['exit_code']},"
                f" expected {invocation.exit_code}\n{outcome['output']}{outcome['traceback'] or ''}"
            )
    assert not wrong, "\n\n".join(wrong)


# Run in a fresh interpreter: hetao.models first, then every other module of the package
# (the migrations' env.py runs only under Alembic); prints the tables the second step added.
TABLES_BEYOND_HETAO_MODELS = """
import importlib, json, pkgutil, sys
import hetao, hetao.models
from hetao.storage.types import Base
registered = set(Base.metadata.tables)
for module in pkgutil.walk_packages(hetao.__path__, "hetao."):
    if not module.name.startswith("hetao.migrations"):
        importlib.import_module(module.name)
json.dump(sorted(set(Base.metadata.tables) - registered), sys.stdout)
"""


def test_hetao_models_registers_every_table() -> None:
    """The CLI's sessions load hetao.models for every table: a model it misses breaks them."""
    completed = subprocess.run(  # noqa: S603 (this interpreter, a fixed program)
        [sys.executable, "-c", TABLES_BEYOND_HETAO_MODELS],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(completed.stdout) == []
