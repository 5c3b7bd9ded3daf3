"""Rows edited behind the append-only guards: the verifier names the event, never crashes.

Whoever owns the database can drop the guards and write values the platform never writes (text
that is not JSON, a time that does not parse, NULL, a number where text belongs). Each such row
is evidence of tampering: `hetao audit verify` exits 3 naming the event.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from auditlog import disable_guards
from hetao.audit.models import AuditEvent
from hetao.audit.service import SYSTEM, record_event
from hetao.audit.verify import verify_database
from hetao.cli import EXIT_TAMPERED, app
from hetao.storage.engine import session_factory, unit_of_work

EVENTS = 8
TARGET = 4  # the event each named tampering alters


def write_events(session: Session, count: int) -> None:
    for number in range(count):
        record_event(
            session,
            "registry:entry:suspend",
            subject_type="entry",
            subject_id=1000 + number,
            actor=SYSTEM,
            data={"note": f"inquiry {number}", "items": [1, "two", None, True]},
        )


def checkpointed_log(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """EVENTS committed events and a checkpoint of them signed and exported by the CLI, whose
    environment now points at ``engine``."""
    monkeypatch.setenv("HETAO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("HETAO_PROFILE", "hetao")
    with unit_of_work(session_factory(engine)) as session:
        write_events(session, EVENTS)
    assert run("audit", "checkpoint")[0] == 0


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@dataclass(frozen=True)
class Tampering:
    name: str
    #: Statements per dialect, run after the guards are down.
    statements: dict[str, list[str]]
    #: What `hetao audit verify` must print on stderr.
    verdict: str


# A copy of an event under a sequence number that is none.
COPIED = (
    "seq, occurred_at, tag, subject_type, subject_id, actor, request_id, data, leaf_hash, "
    "chain_hash"
)
COPIED_REST = COPIED.removeprefix("seq, ") + " FROM audit_events WHERE seq = :target"
# A JSON text cut short, as an edit of a few bytes leaves it.
BROKEN_JSON_EDIT = 'UPDATE audit_events SET data = \'{"note": "inq\' WHERE seq = :target'
TAMPERINGS = [
    Tampering(
        "data that is not JSON",
        {
            "sqlite": [BROKEN_JSON_EDIT],
            # A json column refuses such text: the owner changes its type first.
            "postgresql": [
                "ALTER TABLE audit_events ALTER COLUMN data TYPE text",
                BROKEN_JSON_EDIT,
            ],
        },
        f"first bad event: {TARGET}; event {TARGET}: its data is not valid JSON",
    ),
    Tampering(
        "a time that does not parse",
        {
            "sqlite": ["UPDATE audit_events SET occurred_at = 'last Tuesday' WHERE seq = :target"],
            # Valid for PostgreSQL, yet no Python datetime: the driver refuses to load it.
            "postgresql": ["UPDATE audit_events SET occurred_at = 'infinity' WHERE seq = :target"],
        },
        f"first bad event: {TARGET}; event {TARGET}: its occurred_at is not an instant",
    ),
    Tampering(
        "a deleted row",
        {"any": ["DELETE FROM audit_events WHERE seq = :target"]},
        f"first bad event: {TARGET}; event {TARGET} is missing (found seq {TARGET + 1})",
    ),
    Tampering(
        "two swapped rows",
        {
            "any": [
                "UPDATE audit_events SET seq = -1 WHERE seq = :target",
                "UPDATE audit_events SET seq = :target WHERE seq = :other",
                "UPDATE audit_events SET seq = :other WHERE seq = -1",
            ]
        },
        f"first bad event: {TARGET}; event {TARGET}: content does not match its leaf hash",
    ),
    Tampering(
        "edited text",
        {"any": ["UPDATE audit_events SET actor = 'user:nobody' WHERE seq = :target"]},
        f"first bad event: {TARGET}; event {TARGET}: content does not match its leaf hash",
    ),
    Tampering(
        "a sequence number that is not one",
        {
            "sqlite": ["UPDATE audit_events SET seq = 'four' WHERE seq = :target"],
            "postgresql": [
                "ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL",
                "UPDATE audit_events SET seq = NULL WHERE seq = :target",
            ],
        },
        f"first bad event: {TARGET}; event {TARGET} is missing (found seq {TARGET + 1})",
    ),
    Tampering(
        "a row added outside the sequence",
        {
            "sqlite": [f"INSERT INTO audit_events ({COPIED}) SELECT 'extra', {COPIED_REST}"],
            "postgresql": [
                "ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL",
                f"INSERT INTO audit_events ({COPIED}) SELECT NULL, {COPIED_REST}",
            ],
        },
        "TAMPERED: a row outside the sequence: its seq is ",
    ),
    Tampering(
        "no hash where one belongs",
        {
            "sqlite": ["UPDATE audit_events SET leaf_hash = 'rewritten' WHERE seq = :target"],
            # A bytea column holds bytes only (and text in all rows once its type is changed).
            "postgresql": [
                "ALTER TABLE audit_events ALTER COLUMN leaf_hash DROP NOT NULL",
                "UPDATE audit_events SET leaf_hash = NULL WHERE seq = :target",
            ],
        },
        f"first bad event: {TARGET}; event {TARGET}: its leaf_hash is ",
    ),
    Tampering(
        "an unreadable head",
        {
            "sqlite": ["UPDATE audit_head SET size = 'eight'"],
            "postgresql": [
                "ALTER TABLE audit_head ALTER COLUMN size TYPE text",
                "UPDATE audit_head SET size = 'eight'",
            ],
        },
        "TAMPERED: the audit head is unreadable: its size is 'eight', not an integer",
    ),
]


class TestVerifyCommand:
    @pytest.mark.parametrize("tampering", TAMPERINGS, ids=lambda tampering: tampering.name)
    def test_exits_3_naming_the_tampered_event(
        self, committing_engine: Engine, monkeypatch: pytest.MonkeyPatch, tampering: Tampering
    ) -> None:
        checkpointed_log(committing_engine, monkeypatch)
        code, out, err = run("audit", "verify")
        assert (code, out.strip()) == (
            0,
            f"ok: {EVENTS} events chain and match 1 signed checkpoints",
        )

        dialect = committing_engine.dialect.name
        statements = tampering.statements.get("any") or tampering.statements[dialect]
        with unit_of_work(session_factory(committing_engine)) as session:
            disable_guards(session)
            for statement in statements:
                session.execute(text(statement), {"target": TARGET, "other": TARGET + 2})

        code, out, err = run("audit", "verify")
        assert code == EXIT_TAMPERED, (out, err)
        assert tampering.verdict in err


# The values an intruder may write in each column. PostgreSQL keeps each column's type, so the
# values are written as that type; SQLite stores anything anywhere, so it gets every value.
TYPED_VALUES: dict[str, list[Any]] = {
    "seq": [None, 0, -3, 2**40],
    "occurred_at": [
        None,
        "infinity",
        "-infinity",
        "10000-01-01 00:00:00+00",
        "0044-03-15 00:00:00+00 BC",
        "2026-02-10 00:00:00+00",
    ],
    "tag": [None, "", "registry:entry:approve", "\u2028"],
    "subject_type": [None, "", "party"],
    "subject_id": [None, "", "4242"],
    "actor": [None, "", "user:nobody"],
    "request_id": ["", "forged-request"],
    "data": [
        None,
        "null",
        "[]",
        '"a string"',
        '{"note": 1e999}',
        '{"note": 1.5}',
        '{"note": "inquiry 3", "items": [1, "two", null, false]}',
        "[" * 3000 + "]" * 3000,
    ],
    "leaf_hash": [None, b"", bytes(32), b"\xff" * 33],
    "chain_hash": [None, b"", bytes(32), b"\xff" * 31],
}
SQLITE_ONLY_VALUES: list[Any] = [
    70,
    2.5,
    "not a time",
    "0001-01-01 00:00:00+01:00",  # parses, but is before year 1 in UTC
    "{broken",
    "NaN",
    b"\x00\x01",
]
POSTGRES_TYPES = {"occurred_at": "timestamptz", "data": "json"}
EDITS = 240


class TestRandomEdits:
    def test_every_edit_of_any_column_is_reported_and_none_crashes_the_verifier(
        self, session: Session
    ) -> None:
        """As in issue 14: random edits of random rows, each checked, then rolled back."""
        write_events(session, EVENTS)
        session.flush()
        first = session.scalar(select(func.min(AuditEvent.seq)))
        assert first is not None
        disable_guards(session)
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            for column in TYPED_VALUES:
                session.execute(
                    text(f"ALTER TABLE audit_events ALTER COLUMN {column} DROP NOT NULL")
                )
        rng = random.Random(14)
        applied = 0
        for _ in range(EDITS):
            column = rng.choice(sorted(TYPED_VALUES))
            values = TYPED_VALUES[column] + (SQLITE_ONLY_VALUES if dialect == "sqlite" else [])
            value = rng.choice(values)
            target = first + rng.randrange(EVENTS)
            cast = POSTGRES_TYPES.get(column) if dialect == "postgresql" else None
            assigned = f"CAST(:value AS {cast})" if cast else ":value"
            edit = session.begin_nested()
            try:
                session.execute(
                    # The column is one of TYPED_VALUES' keys, never outside input.
                    text(f"UPDATE audit_events SET {column} = {assigned} WHERE seq = :target"),  # noqa: S608
                    {"value": value, "target": target},
                )
            except IntegrityError:  # a NOT NULL or unique constraint the intruder left standing
                edit.rollback()
                continue
            report = verify_database(session, [], None)
            edit.rollback()
            applied += 1
            case = (column, value, target, report)
            assert not report.ok, case
            assert report.first_bad_seq is not None, case
            if column == "seq":
                # The row left its place: the first place it no longer fills is named.
                assert first <= report.first_bad_seq <= target, case
            else:
                assert report.first_bad_seq == target, case
        assert applied >= EDITS // 2
