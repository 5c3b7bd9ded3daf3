"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from hetao import migrate
from hetao.models import metadata


class TestMigrations:
    def test_models_and_migrations_agree(self, engine: Engine) -> None:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
        assert diff == [], f"models and migrations disagree; write a migration: {diff}"

    def test_database_is_at_the_single_head(self, engine: Engine) -> None:
        script = ScriptDirectory.from_config(migrate.alembic_config())
        assert len(script.get_heads()) == 1, "migrations have branched; merge them"
        assert migrate.current_revision(engine) == script.get_current_head()

    def test_every_table_of_the_models_exists(self, engine: Engine) -> None:
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())

    def test_migration_files_are_named_by_timestamp(self) -> None:
        names = sorted(p.name for p in (migrate.MIGRATIONS / "versions").glob("*.py"))
        assert names, "no migrations"
        for name in names:
            stamp = name.split("_", 2)
            assert stamp[0].isdigit(), name
            assert len(stamp[0]) == 8, name
            assert stamp[1].isdigit(), name
            assert len(stamp[1]) == 4, name
