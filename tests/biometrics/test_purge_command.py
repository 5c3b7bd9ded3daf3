"""`hetao registry purge-faces`: the daily job deletes templates past their retention period."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from biometrics.support import enrolled_researcher
from hetao.biometrics.models import EnrolmentStatus, FaceEnrolment
from hetao.cli import app
from hetao.config import Settings
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


def test_purges_a_template_past_retention_and_keeps_a_fresh_one(env: Path) -> None:
    import hetao.models  # noqa: F401 (every table, for the flush)

    engine = make_engine(Settings.from_env().database_url)
    factory = session_factory(engine)
    profile = load_profile("hetao")
    with unit_of_work(factory) as session:
        _, old, _ = enrolled_researcher(session, profile, now=utcnow() - dt.timedelta(days=400))
        _, fresh, _ = enrolled_researcher(session, profile)
        old_id, fresh_id = old.id, fresh.id
    result = CliRunner().invoke(app, ["registry", "purge-faces"])
    assert result.exit_code == 0, result.output
    assert "purged 1 face templates" in result.stdout
    with unit_of_work(factory) as session:
        purged = session.get_one(FaceEnrolment, old_id)
        kept = session.get_one(FaceEnrolment, fresh_id)
        assert (purged.status, purged.template_sealed) == (EnrolmentStatus.EXPIRED, None)
        assert kept.template_sealed is not None
    engine.dispose()
