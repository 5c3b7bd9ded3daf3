"""`hetao db backup` and `hetao db restore`: a directory that holds a database and its proof.

A backup directory holds the database (``database.sqlite3`` or ``database.pgdump``), the audit
checkpoints exported until then (``checkpoints/``) and ``manifest.json`` with the SHA-256 of the
database file. The checkpoints are copied before the database is read: a checkpoint is exported
after the events it signs commit, so every checkpoint in the backup is covered by its database,
and ``hetao audit verify`` on the restored copy checks it against them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import inspect

from hetao import migrate
from hetao.cli.runner import bad_input, database, fail, platform
from hetao.storage import backup

MANIFEST = "manifest.json"
CHECKPOINTS = "checkpoints"
DATABASE_FILE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
#: The manifest's own format, so that a later hetao can read an older backup.
MANIFEST_FORMAT = 1

DirectoryArgument = Annotated[
    Path, typer.Argument(help="The backup directory (new, or empty).", file_okay=False)
]


def _owner_url() -> str:
    """The schema owner's URL on PostgreSQL (reads every table, restores every object)."""
    return os.environ.get("HETAO_MIGRATION_DATABASE_URL") or platform().settings.database_url


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as readable:
        for block in iter(lambda: readable.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def db_backup(directory: DirectoryArgument) -> None:
    """Back up the database while the platform serves, with the audit checkpoints exported so
    far (SQLite: its online backup API; PostgreSQL: pg_dump). Restore with `hetao db restore`."""
    on = platform()
    url = _owner_url()
    try:
        kind = backup.kind_of(url)
        if directory.exists() and any(directory.iterdir()):
            bad_input(f"{directory} is not empty: a backup goes into a new directory")
        directory.mkdir(parents=True, exist_ok=True)
        store = on.settings.resolve(on.profile.audit.checkpoint_store)
        copied = directory / CHECKPOINTS
        if store.is_dir():
            shutil.copytree(store, copied, ignore=shutil.ignore_patterns("*.tmp"))
        else:
            copied.mkdir()
        target = directory / DATABASE_FILE[kind]
        if kind == "sqlite":
            backup.backup_sqlite(backup.sqlite_path(url), target)
        else:
            backup.backup_postgresql(url, target)
        with database(url) as engine:
            revision = migrate.current_revision(engine)
    except backup.BackupError as error:
        fail(f"failure: {error}", 1)
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "database": kind,
        "file": target.name,
        "sha256": _sha256(target),
        "bytes": target.stat().st_size,
        "revision": revision,
        "zone": on.profile.zone.code,
        "checkpoints": len(list(copied.glob("checkpoint-*.json"))),
        "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    typer.echo(
        f"backed up the {kind} database at revision {revision} ({manifest['bytes']} bytes) and"
        f" {manifest['checkpoints']} checkpoints into {directory}"
    )


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        bad_input(f"{directory / MANIFEST} does not read as a backup manifest: {error}")
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        bad_input(f"{directory / MANIFEST}: format {MANIFEST_FORMAT} expected")
    if manifest.get("file") not in DATABASE_FILE.values():
        bad_input(f"{directory / MANIFEST}: file must be one of {sorted(DATABASE_FILE.values())}")
    return manifest


def db_restore(
    directory: Annotated[Path, typer.Argument(help="A directory `hetao db backup` made.")],
) -> None:
    """Restore a backup into the configured database, which must be new (HETAO_DATABASE_URL:
    an absent SQLite file or an empty PostgreSQL database), and its checkpoints into the
    profile's checkpoint store. Then `hetao audit verify` checks the restored log."""
    on = platform()
    url = _owner_url()
    manifest = _read_manifest(directory)
    source = directory / manifest["file"]
    if not source.is_file() or _sha256(source) != manifest["sha256"]:
        bad_input(f"{source} is missing or differs from the SHA-256 in its manifest")
    store = on.settings.resolve(on.profile.audit.checkpoint_store)
    if store.is_dir() and any(store.glob("checkpoint-*.json")):
        bad_input(f"{store} already holds checkpoints: restore into a new place")
    try:
        kind = backup.kind_of(url)
        if backup.file_kind(source) != kind:
            bad_input(f"{source} is a {backup.file_kind(source)} backup; the target is {kind}")
        if kind == "sqlite":
            backup.restore_sqlite(source, backup.sqlite_path(url))
        else:
            with database(url) as engine:
                if inspect(engine).get_table_names():
                    bad_input("the target database is not empty: restore into a new database")
            backup.restore_postgresql(source, url)
    except backup.TargetNotEmpty as error:
        bad_input(str(error))
    except backup.BackupError as error:
        fail(f"failure: {error}", 1)
    shutil.copytree(directory / CHECKPOINTS, store, dirs_exist_ok=True)
    with database(url) as engine:
        revision = migrate.current_revision(engine)
    typer.echo(
        f"restored the {kind} database at revision {revision} and {manifest['checkpoints']}"
        " checkpoints; check it with `hetao audit verify`"
    )
