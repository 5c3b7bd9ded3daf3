"""The backup drill (issue 19, item 5): back up while events are appended, restore to a new
place, and `hetao audit verify` the restored log against the checkpoints exported with it.

The commands run as an operator runs them, each in a process of its own; the load is a thread
of this process appending audit events (each commit acknowledged only once it returns) and
signing a checkpoint every few events, as the platform's sessions do.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from conftest import scratch_postgres_database
from hetao import migrate
from hetao.audit.checkpoints import CheckpointStore, Signer
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor, CheckpointPolicy, enable_checkpoints, record_event
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine, session_factory, unit_of_work
from test_serving import HETAO

#: Small, so that the drill exports several checkpoints while it runs.
CHECKPOINT_EVERY_EVENTS = 20
#: Events appended before the backup starts, and at least as many while it runs.
EVENTS_BEFORE = 120
DRILL = Actor("test", "drill")


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def hetao(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own entry point
        [str(HETAO), *arguments], env=env, capture_output=True, text=True, check=False
    )


def environment(url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HETAO_DATABASE_URL": url,
        "HETAO_DATA_DIR": str(data_dir),
        "HETAO_PROFILE": "hetao",
    }


class Load:
    """A thread appending audit events, one committed transaction each, until stopped."""

    def __init__(self, engine: Engine, data_dir: Path, profile: ZoneProfile) -> None:
        self.factory = session_factory(engine)
        enable_checkpoints(
            self.factory,
            CheckpointPolicy(
                log_id=profile.zone.code,
                every_events=CHECKPOINT_EVERY_EVENTS,
                every_seconds=3600,
                signer=Signer.load_or_create(data_dir / "audit" / "signing-key.pem"),
                store=CheckpointStore(data_dir / profile.audit.checkpoint_store),
            ),
        )
        self.acknowledged = 0
        self.error: BaseException | None = None
        self.reached = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="drill-load")

    def run(self) -> None:
        try:
            self.append_until_stopped()
        except BaseException as error:  # the test sees it, rather than a hung wait
            self.error = error
            self.reached.set()

    def append_until_stopped(self) -> None:
        while not self.stopping.is_set():
            with unit_of_work(self.factory) as session:
                record_event(
                    session,
                    "test:drill:append",
                    subject_type="drill",
                    subject_id=self.acknowledged + 1,
                    actor=DRILL,
                    data={"n": self.acknowledged + 1},
                )
            self.acknowledged += 1
            if self.acknowledged >= EVENTS_BEFORE:
                self.reached.set()

    def __enter__(self) -> Load:
        self.thread.start()
        assert self.reached.wait(120), "the load did not start"
        assert self.error is None, self.error
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join(60)
        assert self.error is None, self.error


@pytest.fixture(params=["sqlite", "postgresql"])
def two_places(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The live database (migrated) and a new place to restore into (empty)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            live = f"sqlite:///{tmp_path / 'live.sqlite3'}"
            new = f"sqlite:///{tmp_path / 'restored' / 'hetao.sqlite3'}"
        else:
            live = stack.enter_context(scratch_postgres_database())
            new = stack.enter_context(scratch_postgres_database())
        engine = make_engine(live)
        migrate.upgrade(engine)
        engine.dispose()
        yield live, new


def test_a_backup_under_load_restores_to_a_new_place_and_verifies(
    two_places: tuple[str, str], tmp_path: Path, profile: ZoneProfile
) -> None:
    live_url, new_url = two_places
    live_dir, new_dir, backup_dir = tmp_path / "live", tmp_path / "new", tmp_path / "backup"
    engine = make_engine(live_url)
    with Load(engine, live_dir, profile) as load:
        before = load.acknowledged
        made = hetao("db", "backup", str(backup_dir), env=environment(live_url, live_dir))
        during = load.acknowledged - before
    assert made.returncode == 0, made.stderr
    assert during > 0  # events were committed while the backup ran
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["checkpoints"] >= before // CHECKPOINT_EVERY_EVENTS - 1
    assert manifest["revision"] == migrate.head_revision()

    restored = hetao("db", "restore", str(backup_dir), env=environment(new_url, new_dir))
    assert restored.returncode == 0, restored.stderr
    verified = hetao("audit", "verify", env=environment(new_url, new_dir))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"match {manifest['checkpoints']} signed checkpoints" in verified.stdout

    # The restored log is the live one up to the backup's moment: nothing acknowledged before
    # the backup began is missing, and what it holds is the live log's prefix, event by event.
    copy = make_engine(new_url)
    with copy.connect() as restored_db, engine.connect() as live_db:
        count = restored_db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        leaves = select(AuditEvent.seq, AuditEvent.leaf_hash).order_by(AuditEvent.seq)
        restored_leaves = restored_db.execute(leaves).all()
        live_leaves = live_db.execute(leaves.limit(count)).all()
    assert before <= count <= before + during + 1
    assert restored_leaves == live_leaves
    copy.dispose()
    engine.dispose()

    again = hetao("db", "restore", str(backup_dir), env=environment(new_url, new_dir))
    assert again.returncode == 2
    assert "restore into a new" in again.stderr


def test_a_backup_that_changed_is_refused(tmp_path: Path) -> None:
    live_url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    engine = make_engine(live_url)
    migrate.upgrade(engine)
    engine.dispose()
    backup_dir = tmp_path / "backup"
    made = hetao("db", "backup", str(backup_dir), env=environment(live_url, tmp_path / "live"))
    assert made.returncode == 0, made.stderr
    database = backup_dir / "database.sqlite3"
    database.write_bytes(database.read_bytes()[:-1] + b"\x01")
    new_url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    refused = hetao("db", "restore", str(backup_dir), env=environment(new_url, tmp_path / "new"))
    assert refused.returncode == 2
    assert "differs from the SHA-256 in its manifest" in refused.stderr
    assert not (tmp_path / "new.sqlite3").exists()

    not_empty = hetao("db", "backup", str(backup_dir), env=environment(live_url, tmp_path / "x"))
    assert not_empty.returncode == 2
    assert "not empty" in not_empty.stderr
