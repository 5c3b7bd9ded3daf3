"""Alembic environment: runs on the connection hetao.migrate hands it (SQLite or PostgreSQL)."""

from __future__ import annotations

from alembic import context

from hetao.models import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `hetao db upgrade` (hetao.migrate), not alembic")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
