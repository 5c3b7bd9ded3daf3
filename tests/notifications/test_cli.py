"""`hetao webhooks deliver` on a migrated SQLite database: gathers, sends once, reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories import make_party
from hetao.audit.service import Actor
from hetao.cli import app
from hetao.config import Settings
from hetao.notifications import service
from hetao.notifications.delivery import SECRET_KEY_FILE, SecretBox
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine, session_factory, unit_of_work
from notifications.support import receiver, submitted_application

SETUP = Actor("test", "cli")


def test_deliver_gathers_and_sends_each_due_delivery_once(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, profile: ZoneProfile
) -> None:
    db = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("HETAO_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("HETAO_PROFILE", "hetao")
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    box = SecretBox.load_or_create(Settings.from_env().resolve(SECRET_KEY_FILE))
    engine = make_engine(f"sqlite:///{db}")
    with receiver() as hook:
        try:
            with unit_of_work(session_factory(engine)) as session:
                party = make_party(session, SETUP)
                _, hook.secret = service.register(session, party.id, hook.url, box=box, actor=SETUP)
                submitted_application(session, SETUP, profile, party)
        finally:
            engine.dispose()
        result = CliRunner().invoke(app, ["webhooks", "deliver"])
        again = CliRunner().invoke(app, ["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    assert "1 notifications gathered, 1 deliveries queued" in result.stdout
    assert "1 attempts: delivered" in result.stdout
    assert "0 notifications gathered" in again.stdout
    assert [r.signed for r in hook.received] == [True]
    assert data_dir.exists()
