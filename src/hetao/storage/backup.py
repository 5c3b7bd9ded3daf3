"""Backups of the database while the platform serves, and their restore to a new place.

- SQLite: the online backup API copies the database into a new file in one step, inside one
  read transaction: a consistent snapshot, while writers go on (in WAL mode a reader blocks no
  writer). Copied in several steps, every write by another connection would restart it.
- PostgreSQL: ``pg_dump --format=custom`` takes one consistent snapshot (a REPEATABLE READ
  transaction) without stopping writers; ``pg_restore --single-transaction`` restores it into an
  empty database, all or nothing. Physical backups and point-in-time recovery
  (``pg_basebackup`` with WAL archiving) are the operator's, documented in the README.

A password in a PostgreSQL URL is handed to the tools in ``PGPASSWORD``, never on their command
line, where every user of the machine could read it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

#: How each kind of backup file begins: the format is read from the file, not from its name.
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be made, with the reason in words."""


class TargetNotEmpty(BackupError):
    """A restore would overwrite a database: it only goes into a new place."""


def kind_of(url: str) -> str:
    """``sqlite`` or ``postgresql``, from a database URL."""
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"no backup for {backend} databases: sqlite and postgresql only")
    return backend


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL (an in-memory database has none to back up)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has no file to back up")
    return Path(database)


def file_kind(path: Path) -> str:
    """``sqlite`` or ``postgresql``: what kind of backup ``path`` holds."""
    with path.open("rb") as backup:
        head = backup.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump archive")


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy the live database ``source`` into the new file ``target``, then check the copy."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
        _check_sqlite(copy, target)
    live.close()
    copy.close()


def restore_sqlite(backup: Path, target: Path) -> None:
    """Make ``target`` (which must not hold a database yet) a copy of ``backup``."""
    if target.exists() and target.stat().st_size > 0:
        raise TargetNotEmpty(f"{target} already holds a database: restore into a new place")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(backup) as source, sqlite3.connect(target) as restored:
        _check_sqlite(source, backup)
        source.backup(restored)
        restored.execute("PRAGMA journal_mode=WAL")
    source.close()
    restored.close()


def _check_sqlite(connection: sqlite3.Connection, path: Path) -> None:
    verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {verdict}")


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL tools, and their environment with the password."""
    parsed: URL = make_url(url)
    options = []
    if parsed.host:
        options += ["--host", parsed.host]
    if parsed.port:
        options += ["--port", str(parsed.port)]
    if parsed.username:
        options += ["--username", parsed.username]
    environment = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if parsed.password is not None:
        environment["PGPASSWORD"] = str(parsed.password)
    if not parsed.database:
        raise BackupError("the PostgreSQL URL names no database")
    return [*options, "--dbname", parsed.database], environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    return found


def _run(command: list[str], environment: dict[str, str]) -> None:
    finished = subprocess.run(  # noqa: S603 - the PostgreSQL tools, arguments as a list
        command, env=environment, capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {finished.stderr.strip()[-2000:]}")


def backup_postgresql(url: str, target: Path) -> None:
    """``pg_dump`` of the database of ``url`` into ``target`` (custom format, compressed)."""
    options, environment = _libpq(url)
    _run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *options],
        environment,
    )


def restore_postgresql(backup: Path, url: str) -> None:
    """Restore the ``pg_dump`` archive ``backup`` into the empty database of ``url``."""
    options, environment = _libpq(url)
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            *options,
            str(backup),
        ],
        environment,
    )
