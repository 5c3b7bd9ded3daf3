"""The operator's command line. Each command runs its services inside one unit of work.

Exit codes: 0 success; 2 bad input (invalid data, a rule of the regime, a conflict with what is
registered, an unknown id, a bad profile); 1 failure (database unreachable, unexpected error);
3 the audit log or a proof does not verify.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hetao import __version__
from hetao.audit.checkpoints import CheckpointStore, SignedCheckpoint, load_public_key
from hetao.audit.service import Actor, checkpoint_policy, enable_checkpoints
from hetao.auth.principal import Role
from hetao.config import Settings
from hetao.db import make_engine, session_factory, unit_of_work
from hetao.errors import ConfigurationError, HetaoError
from hetao.profiles import ZoneProfile, available_profiles, load_profile

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_TAMPERED = 3

app = typer.Typer(
    help="hetao: split-line management for a cross-boundary innovation zone.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo zone.", no_args_is_help=True)
registry_app = typer.Typer(help="The whitelist registry.", no_args_is_help=True)
profile_app = typer.Typer(help="Zone profiles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(registry_app, name="registry")
app.add_typer(profile_app, name="profile")
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
users_app = typer.Typer(help="Users of the console and portal.", no_args_is_help=True)
app.add_typer(users_app, name="users")
tokens_app = typer.Typer(help="API tokens for devices and integrations.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


def _actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor("cli", user)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _report(error: HetaoError) -> NoReturn:
    lines = [f"error: {error.detail}"]
    for p in error.problems:
        where = f"row {p.row}, column {p.field}" if p.row is not None else p.field
        lines.append(f"  {where}: {p.message} [{p.rule}]")
    _fail("\n".join(lines), EXIT_BAD_INPUT)


@contextmanager
def _translated_errors() -> Iterator[None]:
    """The CLI's one translation of errors into messages and exit codes."""
    try:
        yield
    except HetaoError as error:
        _report(error)
    except OperationalError as error:
        _fail(f"failure: the database is unreachable or refused: {error.orig}", EXIT_FAILURE)


def _settings() -> Settings:
    return Settings.from_env()


def _profile(settings: Settings) -> ZoneProfile:
    try:
        return load_profile(settings.profile)
    except ConfigurationError as error:
        _report(error)


def _factory(settings: Settings, profile: ZoneProfile, engine: Engine) -> sessionmaker[Session]:
    factory = session_factory(engine)
    enable_checkpoints(
        factory,
        checkpoint_policy(
            profile,
            signing_key=settings.audit_signing_key,
            store_dir=settings.resolve(profile.audit.checkpoint_store),
        ),
    )
    return factory


def _run(work: Callable[[Session, ZoneProfile], Any]) -> Any:
    """Run ``work`` in one unit of work against the configured database and profile."""
    settings = _settings()
    profile = _profile(settings)
    engine = make_engine(settings.database_url)
    try:
        with _translated_errors(), unit_of_work(_factory(settings, profile, engine)) as session:
            return work(session, profile)
    finally:
        engine.dispose()


def _print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        typer.echo(value.model_dump_json(indent=2))
    else:
        typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API, its docs page and the console (HETAO_DATABASE_URL, HETAO_PROFILE choose)."""
    import uvicorn

    settings = _settings()
    _profile(settings)  # refuse a bad profile before binding the port
    uvicorn.run(
        "hetao.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database to the latest schema.

    Uses HETAO_MIGRATION_DATABASE_URL when set (the schema owner on PostgreSQL, while the
    platform itself connects as the hetao_app role), else HETAO_DATABASE_URL, else the SQLite file.
    """
    from hetao import migrate

    settings = _settings()
    engine = make_engine(os.environ.get("HETAO_MIGRATION_DATABASE_URL") or settings.database_url)
    try:
        with _translated_errors():
            migrate.upgrade(engine, revision)
            typer.echo(f"database at revision {migrate.current_revision(engine)}")
    finally:
        engine.dispose()


@demo_app.command("load")
def demo_load(
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed and date give the same zone.")
    ] = 2026,
    as_of: Annotated[
        str | None, typer.Option(help="Reference date (YYYY-MM-DD); defaults to today at the zone.")
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when parties already exist.")
    ] = False,
) -> None:
    """Load the demo zone: institutions, researchers, vehicles and their whitelist cases."""
    from hetao import demo

    day = None
    if as_of is not None:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            _fail(f"error: --as-of {as_of!r} is not a date (YYYY-MM-DD)", EXIT_BAD_INPUT)

    def work(session: Session, profile: ZoneProfile) -> Any:
        if if_empty and not demo.is_empty(session):
            return None
        return demo.load(session, profile=profile, seed=seed, as_of=day, actor=_actor())

    summary = _run(work)
    if summary is None:
        typer.echo("demo zone not loaded: the registry already has parties (--if-empty)")
    else:
        _print_json(summary)


class ImportKind(StrEnum):
    """What a CSV file holds."""

    persons = "persons"
    vehicles = "vehicles"


@registry_app.command("import")
def registry_import(
    kind: Annotated[ImportKind, typer.Argument(help="persons or vehicles")],
    file: Annotated[
        Path, typer.Argument(help="CSV file (UTF-8), columns in docs/registry-import.md")
    ],
) -> None:
    """Import persons or vehicles from CSV: all rows or none; each bad row named with its column."""
    from hetao.registry import bulk

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"error: cannot read {file}: {error}", EXIT_BAD_INPUT)

    def work(session: Session, profile: ZoneProfile) -> Any:
        if kind is ImportKind.persons:
            return bulk.import_persons(session, text, actor=_actor())
        return bulk.import_vehicles(session, text, profile=profile, actor=_actor())

    result = _run(work)
    typer.echo(f"imported {result.imported} {kind.value}")


class ShowKind(StrEnum):
    """Kinds of registry object `registry show` can print."""

    party = "party"
    person = "person"
    vehicle = "vehicle"
    application = "application"
    entry = "entry"


@registry_app.command("show")
def registry_show(
    kind: Annotated[
        ShowKind | None, typer.Argument(help="Object kind; omit for a summary.")
    ] = None,
    object_id: Annotated[int | None, typer.Argument(help="Object id.")] = None,
) -> None:
    """Print a summary of the registry, or one object as JSON."""
    from hetao.registry import repository as repo
    from hetao.registry import schemas
    from hetao.registry.models import (
        Party,
        Person,
        Vehicle,
        WhitelistApplication,
        WhitelistEntry,
    )

    shapes: dict[ShowKind, tuple[type[Any], type[BaseModel]]] = {
        ShowKind.party: (Party, schemas.PartyOut),
        ShowKind.person: (Person, schemas.PersonOut),
        ShowKind.vehicle: (Vehicle, schemas.VehicleOut),
        ShowKind.application: (WhitelistApplication, schemas.ApplicationOut),
        ShowKind.entry: (WhitelistEntry, schemas.EntryOut),
    }
    if kind is not None and object_id is None:
        _fail(f"error: give the id of the {kind.value} to show", EXIT_BAD_INPUT)

    def work(session: Session, profile: ZoneProfile) -> Any:
        if kind is None:
            return {"zone": profile.zone.code, **repo.summary(session)}
        model, out = shapes[kind]
        assert object_id is not None  # noqa: S101 (checked above)
        return out.model_validate(repo.get(session, model, object_id))

    _print_json(_run(work))


@registry_app.command("expire")
def registry_expire(
    today: Annotated[str | None, typer.Option(help="Date to expire as of (YYYY-MM-DD).")] = None,
) -> None:
    """Expire every whitelist entry whose validity window has closed (run daily)."""
    from hetao.registry import service
    from hetao.timeutil import zone_today

    def work(session: Session, profile: ZoneProfile) -> Any:
        day = dt.date.fromisoformat(today) if today else zone_today(profile.zone.timezone)
        return service.expire_due(session, today=day, actor=_actor())

    expired = _run(work)
    typer.echo(f"expired {len(expired)} entries")


@profile_app.command("check")
def profile_check(
    name_or_path: Annotated[str, typer.Argument(help="A built-in profile name or a TOML file.")],
) -> None:
    """Validate a zone profile; print its zone code or every problem with file, key and rule."""
    with _translated_errors():
        profile = load_profile(name_or_path)
    typer.echo(f"ok: {name_or_path} describes zone {profile.zone.code}")


@profile_app.command("list")
def profile_list() -> None:
    """List the built-in zone profiles."""
    for name in available_profiles():
        typer.echo(name)


def _checkpoint_store(profile: ZoneProfile, directory: Path | None) -> CheckpointStore:
    return CheckpointStore(directory or _settings().resolve(profile.audit.checkpoint_store))


def _public_key(store: CheckpointStore, path: Path | None) -> Ed25519PublicKey | None:
    if path is None:
        return store.public_key()
    try:
        return load_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        _fail(f"error: cannot read the public key {path}: {error}", EXIT_BAD_INPUT)


CheckpointsOption = Annotated[
    Path | None,
    typer.Option(help="Directory of exported checkpoints (default: the profile's store)."),
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option(help="PEM public key to trust (default: the one exported with the checkpoints)."),
]


@audit_app.command("verify")
def audit_verify(checkpoints: CheckpointsOption = None, public_key: PublicKeyOption = None) -> None:
    """Check every event against the hash chain, the Merkle tree and the signed checkpoints.

    Exits 0 when the log holds; 3 naming the first bad event when it does not.
    """
    from hetao.audit.verify import verify_database

    def work(session: Session, profile: ZoneProfile) -> Any:
        store = _checkpoint_store(profile, checkpoints)
        return verify_database(session, store.load(), _public_key(store, public_key))

    report = _run(work)
    for note in report.notes:
        typer.echo(f"note: {note}")
    if not report.ok:
        bad = f"first bad event: {report.first_bad_seq}; " if report.first_bad_seq else ""
        _fail(f"TAMPERED: {bad}{report.problem}", EXIT_TAMPERED)
    typer.echo(
        f"ok: {report.events} events chain and match {report.checkpoints} signed checkpoints"
    )


@audit_app.command("prove")
def audit_prove(
    seq: Annotated[int, typer.Argument(help="Sequence number of the event.")],
    checkpoints: CheckpointsOption = None,
) -> None:
    """Print an inclusion proof of one event against the first exported checkpoint covering it."""
    from hetao.audit.proofs import inclusion_document
    from hetao.audit.verify import prove_inclusion

    def work(session: Session, profile: ZoneProfile) -> Any:
        store = _checkpoint_store(profile, checkpoints)
        return inclusion_document(prove_inclusion(session, seq=seq, checkpoints=store.load()))

    _print_json(_run(work))


@audit_app.command("check-proof")
def audit_check_proof(
    file: Annotated[Path, typer.Argument(help="Proof document printed by `hetao audit prove`.")],
    public_key: Annotated[Path, typer.Option(help="PEM public key of the platform.")],
) -> None:
    """Verify an inclusion proof without the database: only the proof and the public key."""
    from hetao.audit.proofs import check_inclusion_document

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        key = load_public_key(public_key.read_bytes())
    except (OSError, ValueError) as error:
        _fail(f"error: {error}", EXIT_BAD_INPUT)
    verdict = check_inclusion_document(document, key)
    for label, ok in verdict.checks:
        typer.echo(f"{'ok  ' if ok else 'FAIL'} {label}")
    if not verdict.ok:
        raise typer.Exit(EXIT_TAMPERED)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign and export a checkpoint of the log now (run it from cron to bound the unsigned tail)."""
    from hetao.audit.models import AuditCheckpoint
    from hetao.audit.service import checkpoint_now

    settings = _settings()
    profile = _profile(settings)
    engine = make_engine(settings.database_url)
    policy = checkpoint_policy(
        profile,
        signing_key=settings.audit_signing_key,
        store_dir=settings.resolve(profile.audit.checkpoint_store),
    )
    factory = session_factory(engine)
    enable_checkpoints(factory, policy)
    try:
        with _translated_errors(), unit_of_work(factory) as session:
            signed = checkpoint_now(session, policy)
        # Re-export every committed checkpoint: heals an export that failed after a commit.
        with _translated_errors(), unit_of_work(factory) as session:
            from sqlalchemy import select

            from hetao.audit.models import AuditCheckpoint

            for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)):
                policy.store.export(
                    SignedCheckpoint(body=row.body, signature=row.signature),
                    policy.signer.public_key,
                )
    finally:
        engine.dispose()
    if signed is None:
        typer.echo("no new events since the last checkpoint")
    else:
        typer.echo(f"signed checkpoint {signed.tree_size} into {policy.store.directory}")


@audit_app.command("consistency")
def audit_consistency(
    old_size: Annotated[int, typer.Argument(help="Tree size of the older checkpoint.")],
    new_size: Annotated[int, typer.Argument(help="Tree size of the newer checkpoint.")],
    checkpoints: CheckpointsOption = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Prove that checkpoint NEW extends checkpoint OLD, and check the proof."""
    from hetao.audit.proofs import check_consistency
    from hetao.audit.verify import consistency_between

    def work(session: Session, profile: ZoneProfile) -> Any:
        store = _checkpoint_store(profile, checkpoints)
        signed = {c.tree_size: c for c in store.load()}
        if old_size not in signed or new_size not in signed:
            _fail(
                f"error: no exported checkpoint of size {old_size} and {new_size}", EXIT_BAD_INPUT
            )
        proof = consistency_between(session, old_size=old_size, new_size=new_size)
        key = _public_key(store, public_key)
        if key is None:
            _fail("error: no public key to check the checkpoints with", EXIT_BAD_INPUT)
        verdict = check_consistency(signed[old_size], signed[new_size], proof, key)
        return proof, verdict

    proof, verdict = _run(work)
    _print_json({"old_size": old_size, "new_size": new_size, "proof": [h.hex() for h in proof]})
    for label, ok in verdict.checks:
        typer.echo(f"{'ok  ' if ok else 'FAIL'} {label}")
    if not verdict.ok:
        raise typer.Exit(EXIT_TAMPERED)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name (lower case).")],
    role: Annotated[Role, typer.Option(help="The user's one role.")],
    party: Annotated[int | None, typer.Option(help="Party id: enterprise users only.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in pages.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user (the first administrator, for instance); asks for the password."""
    from hetao.auth import service as auth

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    def work(session: Session, _profile: ZoneProfile) -> Any:
        return auth.create_user(
            session,
            username=username,
            display_name=display_name or username,
            password=password,
            role=role,
            party_id=party,
            actor=_actor(),
        )

    user = _run(work)
    typer.echo(f"created user {user.id} {user.username} ({user.role})")


@tokens_app.command("issue")
def tokens_issue(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'Channel 1 gate 3'.")],
    device: Annotated[str | None, typer.Option(help="Device name (gate devices).")] = None,
    user: Annotated[int | None, typer.Option(help="User id (a person's integration).")] = None,
    role: Annotated[list[Role] | None, typer.Option(help="Role(s) the token carries.")] = None,
    crossing_point: Annotated[
        list[str] | None, typer.Option(help="Crossing point code(s) a gate stands at.")
    ] = None,
    days: Annotated[int, typer.Option(help="Days until it expires (at most 365).")] = 90,
) -> None:
    """Issue an API token and print it once; only its hash is stored."""
    import datetime as dt

    from hetao.auth import service as auth
    from hetao.db import utcnow

    roles = role or ([Role.GATE_DEVICE] if device else [])

    def work(session: Session, profile: ZoneProfile) -> Any:
        return auth.issue_token(
            session,
            name=name,
            roles=roles,
            user_id=user,
            device_name=device,
            crossing_points=crossing_point,
            expires_at=utcnow() + dt.timedelta(days=days),
            actor=_actor(),
            profile=profile,
        )

    token, raw = _run(work)
    typer.echo(
        f"token {token.id} expires {token.expires_at:%Y-%m-%d}; keep it now, it is not shown again:"
    )
    typer.echo(raw)


tax_app = typer.Typer(help="Import taxes: duty, consumption tax, import VAT.", no_args_is_help=True)
app.add_typer(tax_app, name="tax")


@tax_app.command("assess")
def tax_assess(
    file: Annotated[Path, typer.Argument(help="Assessment request (JSON; money as strings).")],
    tariff: Annotated[
        Path | None, typer.Option(help="Tariff CSV (default: the shipped SAMPLE rates).")
    ] = None,
    rates: Annotated[
        Path | None, typer.Option(help="Monthly exchange-rate CSV (default: the SAMPLE table).")
    ] = None,
) -> None:
    """Assess the import taxes of a JSON request and print the assessment as JSON; no database."""
    from hetao import tax
    from hetao.reference.rates import load_rates
    from hetao.reference.tariff import load_tariff

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"error: cannot read {file}: {error}", EXIT_BAD_INPUT)
    with _translated_errors():
        document = tax.read_document(tax.loads(text))
        profile = load_profile(document.profile) if document.profile else _profile(_settings())
        assessment = tax.assess(
            document.request, profile, tariff=load_tariff(tariff), rates=load_rates(rates)
        )
    _print_json(assessment)


# --- crossings and decisions (issue 5): `hetao decide`, `hetao rules ...` ------------------

# --- inspections and overrides (issue 5): `hetao inspections ...` -----------------------

# --- zone credentials (issue 5): `hetao credentials ...` ---------------------------------

# --- research funds (issue 6): `hetao funds ...` -------------------------------------------

# --- data transfers (issue 6): `hetao data ...` --------------------------------------------


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
