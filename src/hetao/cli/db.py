"""`hetao db ...`: the database schema and its housekeeping."""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated

import typer

from hetao.cli.backups import db_backup, db_restore
from hetao.cli.runner import database, settings, transaction

app = typer.Typer(help="Database schema, backups and housekeeping.", no_args_is_help=True)
app.command("backup")(db_backup)
app.command("restore")(db_restore)


@app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database to the latest schema.

    Uses HETAO_MIGRATION_DATABASE_URL when set (the schema owner on PostgreSQL, while the
    platform itself connects as the hetao_app role), else HETAO_DATABASE_URL, else the SQLite file.
    """
    from hetao import migrate

    configured = settings()
    with database(
        os.environ.get("HETAO_MIGRATION_DATABASE_URL") or configured.database_url
    ) as engine:
        migrate.upgrade(engine, revision)
        typer.echo(f"database at revision {migrate.current_revision(engine)}")


@app.command("purge-replays")
def db_purge_replays() -> None:
    """Delete Idempotency-Key replay records older than the profile's api.replay_retention_hours.

    Each server process also purges them at start and every ten minutes; this is for a platform
    that is not serving, or a cron job.
    """
    from hetao.api import idempotency

    with transaction() as (session, profile):
        retention = dt.timedelta(hours=profile.api.replay_retention_hours)
        purged = idempotency.purge(session, retention=retention)
    typer.echo(f"purged {purged} replay records")
