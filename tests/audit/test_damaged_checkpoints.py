"""Exported checkpoint files damaged outside the database: each is named, nothing crashes.

The export directory lives outside the database, where whoever can write it may edit a file.
A file that does not read as a signed checkpoint is evidence of tampering: `hetao audit verify`
exits 3 naming it (and still checks the events), the other audit commands exit 3, and the API
answers 409 naming it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from audit.test_tampering import checkpointed_log, run
from auditlog import disable_guards
from hetao.audit.checkpoints import (
    PUBLIC_KEY_FILE,
    CheckpointStore,
    DamagedCheckpoints,
    DamagedFile,
    Signer,
)
from hetao.cli import EXIT_TAMPERED
from hetao.storage.engine import session_factory, unit_of_work
from web.support import add_events, sign_checkpoint

EVENTS = 8
CHECKPOINT = "checkpoint-000000000008.json"


Fields = dict[str, Any]


def in_file(change: Callable[[Fields], object]) -> Callable[[str], str]:
    """An edit of the file's object ("body" and "signature")."""

    def edit(original: str) -> str:
        document = json.loads(original)
        change(document)
        return json.dumps(document)

    return edit


def in_body(change: Callable[[Fields], object]) -> Callable[[str], str]:
    """An edit of the fields of the signed body."""

    def edit_body(document: Fields) -> None:
        body = json.loads(document["body"])
        change(body)
        document["body"] = json.dumps(body)

    return in_file(edit_body)


@dataclass(frozen=True)
class Damage:
    name: str
    #: The damaged file's text (or bytes) from the genuine one.
    content: Callable[[str], str | bytes]
    #: What the verifier must say is wrong with the file.
    problem: str


DAMAGES = [
    Damage("not JSON", lambda _: "a checkpoint, honestly", "it is not JSON (Expecting value"),
    Damage("truncated", lambda original: original[:40], "it is not JSON (Unterminated string"),
    Damage("empty", lambda _: "", "it is not JSON"),
    Damage(
        "not UTF-8",
        lambda original: b"\xff" + original.encode()[1:],
        "it is not UTF-8 text (invalid start byte at byte 0)",
    ),
    Damage("a list", lambda _: '["body", "signature"]', 'it is not an object of exactly "body"'),
    Damage(
        "an extra key",
        in_file(lambda document: document.update(note="mine")),
        'it is not an object of exactly "body" and "signature"',
    ),
    Damage(
        "a body that is no text",
        in_file(lambda document: document.update(body=json.loads(document["body"]))),
        'its "body" and "signature" are not both text',
    ),
    Damage(
        "a signature that is no base64",
        in_file(lambda document: document.update(signature="forged!")),
        "its signature is not base64",
    ),
    Damage(
        "a signature of the wrong length",
        in_file(lambda document: document.update(signature=base64.b64encode(bytes(10)).decode())),
        "its signature is 10 bytes, not an Ed25519 signature's 64",
    ),
    Damage(
        "a body that is not JSON",
        in_file(lambda document: document.update(body='{"tree_size": 8')),
        "its body is not JSON",
    ),
    Damage(
        "a body that is no object",
        in_file(lambda document: document.update(body="[8]")),
        "its body is not a JSON object",
    ),
    Damage(
        "a tree size as text",
        in_body(lambda body: body.update(tree_size="8")),
        'its body\'s tree_size is "8", not a positive 64-bit integer',
    ),
    Damage(
        "a tree size past 64 bits",
        in_body(lambda body: body.update(tree_size=2**64)),
        "its body's tree_size is 18446744073709551616, not a positive 64-bit integer",
    ),
    Damage(
        "a root hash that is no hash",
        in_body(lambda body: body.update(root_hash="00ff")),
        'its body\'s root_hash is "00ff", not a hash in hex',
    ),
    Damage(
        "an issue time that is no time",
        in_body(lambda body: body.update(issued_at="yesterday")),
        'its body\'s issued_at is "yesterday", not a UTC instant',
    ),
    Damage("a missing field", in_body(lambda body: body.pop("key_id")), "its body has no key_id"),
]


def genuine_export(directory: Path) -> Signer:
    """One genuine checkpoint of a log of EVENTS events, exported with its public key."""
    signer = Signer.load_or_create(directory.parent / "signing-key.pem")
    signed = signer.sign(
        log_id="hetao",
        tree_size=EVENTS,
        root_hash=bytes(32),
        chain_hash=bytes(32),
        issued_at="2026-02-10T00:00:07.000001Z",
    )
    CheckpointStore(directory).export(signed, signer.public_key)
    return signer


def damage(directory: Path, kind: Damage) -> Path:
    path = directory / CHECKPOINT
    content = kind.content(path.read_text(encoding="utf-8"))
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


class TestReadingTheExportDirectory:
    @pytest.mark.parametrize("kind", DAMAGES, ids=lambda kind: kind.name)
    def test_a_damaged_file_is_named_with_what_is_wrong(self, tmp_path: Path, kind: Damage) -> None:
        directory = tmp_path / "checkpoints"
        signer = genuine_export(directory)
        path = damage(directory, kind)
        store = CheckpointStore(directory)

        exported = store.read()
        assert exported.checkpoints == []
        assert exported.public_key == signer.public_key
        [damaged] = exported.damaged
        assert damaged.path == path
        assert damaged.problem.startswith(kind.problem), damaged.problem
        with pytest.raises(DamagedCheckpoints) as refused:
            store.load()
        assert f"{CHECKPOINT}: {kind.problem}" in refused.value.detail
        assert str(directory) not in refused.value.detail  # the API names files, not paths

    def test_a_copy_under_another_checkpoints_name_is_named(self, tmp_path: Path) -> None:
        directory = tmp_path / "checkpoints"
        genuine_export(directory)
        copy = directory / "checkpoint-000000000020.json"
        copy.write_bytes((directory / CHECKPOINT).read_bytes())

        exported = CheckpointStore(directory).read()
        assert [c.tree_size for c in exported.checkpoints] == [EVENTS]
        assert exported.damaged == [DamagedFile(copy, "its body is checkpoint 8's")]

    def test_a_damaged_public_key_is_named(self, tmp_path: Path) -> None:
        directory = tmp_path / "checkpoints"
        genuine_export(directory)
        key_file = directory / PUBLIC_KEY_FILE
        key_file.write_text("-----BEGIN PUBLIC KEY-----\nforged\n-----END PUBLIC KEY-----\n")
        store = CheckpointStore(directory)

        exported = store.read()
        assert [c.tree_size for c in exported.checkpoints] == [EVENTS]
        assert exported.public_key is None
        [damaged] = exported.damaged
        assert damaged.path == key_file
        assert damaged.problem.startswith("it is not an Ed25519 public key in PEM ("), damaged
        with pytest.raises(DamagedCheckpoints, match=PUBLIC_KEY_FILE):
            store.public_key()


@pytest.fixture
def exported(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Path:
    """A committed log of EVENTS events, checkpointed by the CLI; the export directory."""
    checkpointed_log(committing_engine, monkeypatch)
    directory = data_dir / "audit" / "checkpoints"
    assert (directory / CHECKPOINT).is_file()
    return directory


DAMAGE = {kind.name: kind for kind in DAMAGES}
# One damage of each kind of mistake: not JSON at all, cut short, the wrong shape, wrong types.
ON_BOTH_DATABASES = [
    DAMAGE[name]
    for name in (
        "not JSON",
        "truncated",
        "a list",
        "a signature that is no base64",
        "a tree size as text",
    )
]


class TestAuditCommands:
    @pytest.mark.parametrize("kind", ON_BOTH_DATABASES, ids=lambda kind: kind.name)
    def test_verify_exits_3_naming_the_file_and_still_checks_the_events(
        self, exported: Path, kind: Damage
    ) -> None:
        path = damage(exported, kind)
        code, out, err = run("audit", "verify")
        assert code == EXIT_TAMPERED, (out, err)
        assert f"TAMPERED: {path}: {kind.problem}" in err
        assert "Traceback" not in err
        assert f"the events hold: {EVENTS} events chain and match 0 signed checkpoints" in out

    def test_verify_names_both_a_damaged_file_and_a_tampered_event(
        self, exported: Path, committing_engine: Engine
    ) -> None:
        path = damage(exported, DAMAGE["not JSON"])
        with unit_of_work(session_factory(committing_engine)) as session:
            disable_guards(session)
            session.execute(text("UPDATE audit_events SET actor = 'user:nobody' WHERE seq = 3"))
        code, out, err = run("audit", "verify")
        assert code == EXIT_TAMPERED, (out, err)
        assert f"TAMPERED: {path}: it is not JSON" in err
        assert "TAMPERED: first bad event: 3; event 3: content does not match its leaf hash" in err

    def test_verify_names_a_damaged_public_key(self, exported: Path) -> None:
        key_file = exported / PUBLIC_KEY_FILE
        key_file.write_text("not a key")
        code, out, err = run("audit", "verify")
        assert code == EXIT_TAMPERED, (out, err)
        assert f"TAMPERED: {key_file}: it is not an Ed25519 public key in PEM" in err

    def test_prove_and_consistency_exit_3_naming_the_file(self, exported: Path) -> None:
        path = damage(exported, DAMAGE["truncated"])
        for command in (["prove", "3"], ["consistency", "4", "8"]):
            code, out, err = run("audit", *command)
            assert (code, out) == (EXIT_TAMPERED, ""), (command, err)
            assert f"TAMPERED: {path}: it is not JSON" in err, command


class TestTheApi:
    @pytest.fixture
    def damaged_export(self, client: TestClient, session_maker: sessionmaker[Session]) -> int:
        """Three events and a checkpoint whose exported file is then cut short; the last seq."""
        with session_maker() as session:
            add_events(session, 3)
            signed = sign_checkpoint(session, client.app)  # type: ignore[arg-type]
            session.commit()
        directory: Path = client.app.state.checkpoint_dir  # type: ignore[attr-defined]
        path = directory / f"checkpoint-{signed.tree_size:012d}.json"
        path.write_text(path.read_text()[:40])
        return signed.tree_size

    def test_the_checkpoint_list_and_a_proof_answer_409_naming_the_file(
        self, client: TestClient, damaged_export: int
    ) -> None:
        name = f"checkpoint-{damaged_export:012d}.json"
        for path in ("/api/v1/audit/checkpoints", f"/api/v1/audit/events/{damaged_export}/proof"):
            response = client.get(path)
            assert response.status_code == 409, (path, response.text)
            problem = response.json()
            assert problem["type"] == "urn:hetao:problem:audit-evidence-damaged"
            assert f"{name}: it is not JSON" in problem["detail"]

    def test_the_event_page_answers_409_naming_the_file(
        self, client: TestClient, damaged_export: int
    ) -> None:
        response = client.get(f"/audit/events/{damaged_export}")
        assert response.status_code == 409
        assert f"checkpoint-{damaged_export:012d}.json: it is not JSON" in response.text
