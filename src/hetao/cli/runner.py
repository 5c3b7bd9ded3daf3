"""What every command shares: exit codes, the one translation of errors, the unit of work.

Exit codes: 0 success; 2 bad input (invalid data, a rule of the regime, a conflict with what is
registered, an unknown id, a bad profile); 1 failure (database unreachable, unexpected error);
3 the audit log or a proof does not verify.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TypeVar, overload

import typer
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from hetao.audit.service import Actor, checkpoint_policy, enable_checkpoints
from hetao.config import Settings
from hetao.errors import ConfigurationError, HetaoError
from hetao.profiles import ZoneProfile, load_profile
from hetao.storage.engine import make_engine, session_factory, unit_of_work

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from hetao.audit.service import CheckpointPolicy

Result = TypeVar("Result")

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_TAMPERED = 3


def actor() -> Actor:
    """The operator at this terminal, as the audit log names them."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor("cli", user)


def fail(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def bad_input(detail: str) -> NoReturn:
    fail(f"error: {detail}", EXIT_BAD_INPUT)


def tampered(findings: Iterable[str]) -> NoReturn:
    """The audit's verdict: exit 3 with one line per piece of evidence that does not hold."""
    fail("\n".join(f"TAMPERED: {finding}" for finding in findings), EXIT_TAMPERED)


@overload
def day_option(option: str, value: str) -> dt.date: ...
@overload
def day_option(option: str, value: str | None) -> dt.date | None: ...


def day_option(option: str, value: str | None) -> dt.date | None:
    """The date an option gives (YYYY-MM-DD); another value is bad input."""
    try:
        return None if value is None else dt.date.fromisoformat(value)
    except ValueError:
        bad_input(f"{option} {value!r} is not a date (YYYY-MM-DD)")


def report(error: HetaoError) -> NoReturn:
    lines = [f"error: {error.detail}"]
    for problem in error.problems:
        where = (
            f"row {problem.row}, column {problem.field}"
            if problem.row is not None
            else problem.field
        )
        lines.append(f"  {where}: {problem.message} [{problem.rule}]")
    fail("\n".join(lines), EXIT_BAD_INPUT)


@contextmanager
def translated_errors() -> Iterator[None]:
    """The CLI's one translation of errors into messages and exit codes."""
    try:
        yield
    except HetaoError as error:
        report(error)
    except OperationalError as error:
        fail(f"failure: the database is unreachable or refused: {error.orig}", EXIT_FAILURE)


def settings() -> Settings:
    return Settings.from_env()


def zone_profile(configured: Settings) -> ZoneProfile:
    """The profile the settings name; a bad one is bad input."""
    try:
        return load_profile(configured.profile)
    except ConfigurationError as error:
        report(error)


@dataclass(frozen=True, slots=True)
class Platform:
    """The settings of this installation and the zone profile they name."""

    settings: Settings
    profile: ZoneProfile

    def checkpoint_policy(self) -> CheckpointPolicy:
        return checkpoint_policy(
            self.profile,
            signing_key=self.settings.audit_signing_key,
            store_dir=self.settings.resolve(self.profile.audit.checkpoint_store),
        )


def platform() -> Platform:
    """The configured platform, read from the environment; exits 2 on a bad profile."""
    configured = settings()
    return Platform(configured, zone_profile(configured))


@contextmanager
def database(url: str) -> Iterator[Engine]:
    """An engine on ``url`` for one command: errors translated, connections closed at the end."""
    engine = make_engine(url)
    try:
        with translated_errors():
            yield engine
    finally:
        engine.dispose()


class Unit(NamedTuple):
    """One unit of work: its session and the zone profile the services take."""

    session: Session
    profile: ZoneProfile


@contextmanager
def transaction(
    on: Platform | None = None, *, policy: CheckpointPolicy | None = None
) -> Iterator[Unit]:
    """One unit of work on the configured database: commits at the end of the block, rolls back
    on an error and exits with its code; the platform is read here unless given."""
    on = on or platform()
    with database(on.settings.database_url) as engine:
        factory = audited_sessions(on, engine, policy=policy)
        with unit_of_work(factory) as session:
            yield Unit(session, on.profile)


def audited_sessions(
    on: Platform, engine: Engine, *, policy: CheckpointPolicy | None = None
) -> sessionmaker[Session]:
    """Sessions on ``engine`` that sign and export audit checkpoints as the platform says."""
    factory = _sessions(engine)
    enable_checkpoints(factory, policy or on.checkpoint_policy())
    return factory


def daily(today: str | None, job: Callable[[Session, dt.date], Result]) -> Result:
    """A daily job in one unit of work, as of ``--today`` or else today at the zone."""
    from hetao.timeutil import zone_today

    as_of = day_option("--today", today or None)
    with transaction() as (session, profile):
        return job(session, as_of or zone_today(profile.zone.timezone))


def _sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine`` with every model loaded: a flush resolves each foreign key's table,
    so a command that imported only its own domain's models would fail on another's table."""
    import hetao.models  # noqa: F401 (registers every table on Base.metadata)

    return session_factory(engine)


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        typer.echo(value.model_dump_json(indent=2))
    else:
        typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def read_text(file: Path) -> str:
    """The text of a file the operator names (UTF-8, with or without BOM); unreadable exits 2."""
    try:
        return file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        bad_input(f"cannot read {file}: {error}")


def read_json(file: Path) -> Any:
    text = read_text(file)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        bad_input(f"{file} is not JSON: line {error.lineno} column {error.colno}: {error.msg}")
