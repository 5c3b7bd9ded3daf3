"""Proofs over rows edited behind the append-only guards: the damaged event is named, no crash.

`hetao audit prove` and `hetao audit consistency` read the rows a proof needs as the verifier
does: a row that does not decode (data that is not JSON, a time that does not parse, no hash) or
is missing makes them exit 3 naming the event, and the API answer 409 naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from audit.test_tampering import TAMPERINGS, Tampering, run, write_events
from auditlog import disable_guards
from hetao.audit.models import AuditEvent
from hetao.cli import EXIT_TAMPERED
from hetao.storage.engine import session_factory, unit_of_work
from web.support import add_events, sign_checkpoint

TAMPERING = {tampering.name: tampering for tampering in TAMPERINGS}
NOT_JSON = TAMPERING["data that is not JSON"]
NO_TIME = TAMPERING["a time that does not parse"]
NO_HASH = TAMPERING["no hash where one belongs"]
DELETED = TAMPERING["a deleted row"]


def tamper(session: Session, tampering: Tampering, target: int) -> None:
    """Apply ``tampering`` to event ``target`` in the session's transaction."""
    disable_guards(session)
    dialect = session.get_bind().dialect.name
    for statement in tampering.statements.get("any") or tampering.statements[dialect]:
        session.execute(text(statement), {"target": target})


@pytest.fixture
def signed_twice(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    """A committed log of 8 events with exported checkpoints of sizes 4 and 8."""
    monkeypatch.setenv(
        "HETAO_DATABASE_URL", committing_engine.url.render_as_string(hide_password=False)
    )
    monkeypatch.setenv("HETAO_PROFILE", "hetao")
    for _ in range(2):
        with unit_of_work(session_factory(committing_engine)) as session:
            write_events(session, 4)
        assert run("audit", "checkpoint")[0] == 0


@dataclass(frozen=True)
class Case:
    tampering: Tampering
    #: The event tampered with, and the command run after.
    target: int
    command: tuple[str, ...]
    #: What the command must print on stderr.
    verdict: str

    def __str__(self) -> str:
        return f"{self.tampering.name}, event {self.target}, {' '.join(self.command)}"


CASES = [
    Case(NOT_JSON, 4, ("prove", "4"), "TAMPERED: event 4: its data is not valid JSON ("),
    Case(NO_TIME, 4, ("prove", "4"), "TAMPERED: event 4: its occurred_at is not an instant ("),
    Case(NO_HASH, 4, ("prove", "4"), "TAMPERED: event 4: its leaf_hash is "),
    # The proof of event 6 (against checkpoint 8) needs event 4's leaf hash.
    Case(NO_HASH, 4, ("prove", "6"), "TAMPERED: event 4: its leaf_hash is "),
    Case(
        DELETED,
        4,
        ("prove", "4"),
        "TAMPERED: event 4 is missing, though exported checkpoint 4 covers it",
    ),
    Case(DELETED, 4, ("prove", "6"), "TAMPERED: event 4 is missing (found seq 5)"),
    Case(NO_HASH, 6, ("consistency", "4", "8"), "TAMPERED: event 6: its leaf_hash is "),
    Case(DELETED, 6, ("consistency", "4", "8"), "TAMPERED: event 6 is missing (found seq 7)"),
    Case(DELETED, 8, ("consistency", "4", "8"), "TAMPERED: event 8 is missing (the log ends at"),
]


class TestCommands:
    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_exit_3_naming_the_damaged_event(
        self, signed_twice: None, committing_engine: Engine, case: Case
    ) -> None:
        with unit_of_work(session_factory(committing_engine)) as session:
            tamper(session, case.tampering, case.target)
        code, out, err = run("audit", *case.command)
        assert code == EXIT_TAMPERED, (out, err)
        assert case.verdict in err
        assert "Traceback" not in err

    def test_a_proof_reads_only_the_hashes_of_the_other_events(
        self, signed_twice: None, committing_engine: Engine
    ) -> None:
        with unit_of_work(session_factory(committing_engine)) as session:
            tamper(session, NOT_JSON, 4)
        code, out, err = run("audit", "prove", "6")
        assert code == 0, err
        assert json.loads(out)["event"]["seq"] == 6


class TestTheApi:
    @pytest.mark.parametrize("tampering", [NOT_JSON, NO_TIME, NO_HASH], ids=lambda t: t.name)
    def test_a_proof_of_a_damaged_event_answers_409_naming_it(
        self, client: TestClient, session_maker: sessionmaker[Session], tampering: Tampering
    ) -> None:
        with session_maker() as session:
            add_events(session, 3)
            sign_checkpoint(session, client.app)  # type: ignore[arg-type]
            session.commit()
            last = session.scalar(select(func.max(AuditEvent.seq)))
            assert last is not None
            target = last - 1
            tamper(session, tampering, target)
            session.commit()
        for path in (f"/api/v1/audit/events/{target}/proof", f"/audit/events/{target}"):
            response = client.get(path)
            assert response.status_code == 409, (path, response.text)
        problem = client.get(f"/api/v1/audit/events/{target}/proof").json()
        assert problem["type"] == "urn:hetao:problem:audit-evidence-damaged"
        assert problem["detail"].startswith(f"event {target}: its "), problem
