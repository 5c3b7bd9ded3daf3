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
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hetao import __version__
from hetao.audit.checkpoints import (
    CheckpointStore,
    DamagedCheckpoints,
    DamagedEvidence,
    SignedCheckpoint,
    load_public_key,
)
from hetao.audit.service import Actor, checkpoint_policy, enable_checkpoints
from hetao.auth.principal import Role
from hetao.config import Settings
from hetao.errors import ConfigurationError, HetaoError
from hetao.profiles import ZoneProfile, available_profiles, load_profile
from hetao.storage.engine import make_engine, session_factory, unit_of_work

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


def _sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine`` with every model loaded: a flush resolves each foreign key's table,
    so a command that imported only its own domain's models would fail on another's table."""
    import hetao.models  # noqa: F401 (registers every table on Base.metadata)

    return session_factory(engine)


def _factory(settings: Settings, profile: ZoneProfile, engine: Engine) -> sessionmaker[Session]:
    factory = _sessions(engine)
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
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes, each with its own socket; one per core serves the most.",
        ),
    ] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (one line each; costs under load).")
    ] = True,
) -> None:
    """Serve the API, its docs page and the console (HETAO_DATABASE_URL, HETAO_PROFILE choose)."""
    from hetao import serving

    settings = _settings()
    _profile(settings)  # refuse a bad profile before binding the port
    try:
        status = serving.serve(host=host, port=port, workers=workers, access_log=access_log)
    except OSError as error:  # the port is taken, or the address is not this machine's
        typer.echo(f"hetao: cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(EXIT_FAILURE) from None
    raise typer.Exit(status)


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


@db_app.command("purge-replays")
def db_purge_replays() -> None:
    """Delete Idempotency-Key replay records older than the profile's api.replay_retention_hours.

    Each server process also purges them at start and every ten minutes; this is for a platform
    that is not serving, or a cron job.
    """
    from hetao.api import idempotency

    def work(session: Session, profile: ZoneProfile) -> int:
        retention = dt.timedelta(hours=profile.api.replay_retention_hours)
        return idempotency.purge(session, retention=retention)

    typer.echo(f"purged {_run(work)} replay records")


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
    return store.public_key() if path is None else _trusted_key(path)


def _trusted_key(path: Path) -> Ed25519PublicKey:
    """The key the operator names: one that does not read is bad input, not tampering."""
    try:
        return load_public_key(path.read_bytes())
    except (OSError, ValueError, UnsupportedAlgorithm) as error:
        _fail(f"error: cannot read the public key {path}: {error}", EXIT_BAD_INPUT)


@contextmanager
def _tampering_exits() -> Iterator[None]:
    """Damaged audit evidence is an audit command's verdict, not bad input: exit 3 naming it."""
    try:
        yield
    except DamagedCheckpoints as error:
        _fail("\n".join(f"TAMPERED: {file}" for file in error.damaged), EXIT_TAMPERED)
    except DamagedEvidence as error:
        _fail(f"TAMPERED: {error.detail}", EXIT_TAMPERED)


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

    Exits 0 when the log holds; 3 naming the first bad event, and each exported file that
    does not read, when it does not.
    """
    from hetao.audit.verify import verify_database

    def work(session: Session, profile: ZoneProfile) -> Any:
        exported = _checkpoint_store(profile, checkpoints).read()
        key = exported.public_key if public_key is None else _trusted_key(public_key)
        return verify_database(session, exported.checkpoints, key, damaged=exported.damaged)

    report = _run(work)
    for note in report.notes:
        typer.echo(f"note: {note}")
    verdict = f"{report.events} events chain and match {report.checkpoints} signed checkpoints"
    if report.ok:
        typer.echo(f"ok: {verdict}")
        return
    tampered = [f"TAMPERED: {file}" for file in report.damaged]
    if report.problem is None:
        typer.echo(f"the events hold: {verdict} (damaged files left out)")
    else:
        bad = f"first bad event: {report.first_bad_seq}; " if report.first_bad_seq else ""
        tampered.append(f"TAMPERED: {bad}{report.problem}")
    _fail("\n".join(tampered), EXIT_TAMPERED)


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
        with _tampering_exits():
            proof = prove_inclusion(session, seq=seq, checkpoints=store.load())
        return inclusion_document(proof)

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
    from hetao.audit.service import checkpoint_now

    settings = _settings()
    profile = _profile(settings)
    engine = make_engine(settings.database_url)
    policy = checkpoint_policy(
        profile,
        signing_key=settings.audit_signing_key,
        store_dir=settings.resolve(profile.audit.checkpoint_store),
    )
    factory = _sessions(engine)
    enable_checkpoints(factory, policy)
    try:
        with _translated_errors(), unit_of_work(factory) as session:
            signed = checkpoint_now(session, policy)
        # Re-export every committed checkpoint: heals an export that failed after a commit.
        with _translated_errors(), unit_of_work(factory) as session:
            from hetao.audit.repository import checkpoints_in_order

            for row in checkpoints_in_order(session):
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
        with _tampering_exits():
            signed = {c.tree_size: c for c in store.load()}
            key = _public_key(store, public_key)
            if old_size not in signed or new_size not in signed:
                _fail(
                    f"error: no exported checkpoint of size {old_size} and {new_size}",
                    EXIT_BAD_INPUT,
                )
            proof = consistency_between(session, old_size=old_size, new_size=new_size)
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
    from hetao.storage.types import utcnow

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
    exclusions: Annotated[
        Path | None,
        typer.Option(
            help="What R4 and R19 exclude from exemption, CSV (default: the SAMPLE table)."
        ),
    ] = None,
) -> None:
    """Assess the import taxes of a JSON request and print the assessment as JSON; no database."""
    from hetao import tax
    from hetao.reference.exemption_exclusions import load_exemption_exclusions
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
            document.request,
            profile,
            tariff=load_tariff(tariff),
            rates=load_rates(rates),
            exclusions=load_exemption_exclusions(exclusions),
        )
    _print_json(assessment)


# --- crossings and decisions (issue 5): `hetao decide`, `hetao rules ...` ------------------

rules_app = typer.Typer(help="Risk rule sets of crossing decisions.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"error: cannot read {file}: {error}", EXIT_BAD_INPUT)
    except json.JSONDecodeError as error:
        _fail(
            f"error: {file} is not JSON: line {error.lineno} column {error.colno}: {error.msg}",
            EXIT_BAD_INPUT,
        )


@app.command("decide")
def decide_command(
    file: Annotated[Path, typer.Argument(help="An event payload, or a stored decision's facts.")],
    rules: Annotated[
        Path | None, typer.Option(help="Rule set file (default: the one in force).")
    ] = None,
    seed: Annotated[
        str | None, typer.Option(help="Seed of the draw, hex (a stored decision's `seed`).")
    ] = None,
) -> None:
    """Decide one crossing and print the decision as JSON; writes nothing.

    FILE is either an event payload as a gate posts it (its facts are read from the current
    database) or a stored decision's facts, the `inputs` of GET /crossings/{id}, recognised by
    their `line` key (decided from the file alone). The rules are --rules, else the rule set in
    force at the event's time (the shipped one if none is stored). The draw uses --seed, else the
    seed a recording by the device "cli" would get.
    """
    from hetao.credentials.service import verify_presented
    from hetao.crossing import service as crossing
    from hetao.engine.decision import decision_to_json
    from hetao.engine.facts import facts_from_json
    from hetao.engine.rules import load_rule_set, shipped_rule_set

    document = _read_json(file)
    try:
        seed_bytes = bytes.fromhex(seed) if seed is not None else None
    except ValueError:
        _fail("error: --seed must be hexadecimal, e.g. a stored decision's seed", EXIT_BAD_INPUT)
    settings = _settings()
    profile = _profile(settings)
    with _translated_errors():
        candidate = load_rule_set(rules, profile=profile) if rules is not None else None
        is_facts = isinstance(document, dict) and "line" in document
        if is_facts:
            facts = facts_from_json(document)
            event_id = facts.event_id
        else:
            payload = crossing.parse_event(document)
            event_id = payload.event_id
    if seed_bytes is None:
        key = crossing.load_seed_key(settings.resolve(crossing.SEED_KEY_FILE))
        seed_bytes = crossing.seed_for(key, device_key="cli", event_id=event_id)
    draw_seed: bytes = seed_bytes

    def work(session: Session, profile: ZoneProfile) -> dict[str, Any]:
        if is_facts:
            rule_set = candidate or crossing.rule_set_in_force(
                session, at=facts.occurred_at, profile=profile
            )
            decision = crossing.decide_facts(
                document,
                rule_set=rule_set or shipped_rule_set(),
                profile=profile,
                seed=draw_seed,
            )
        else:
            decision = crossing.decide_payload(
                session,
                payload,
                profile=profile,
                seed=draw_seed,
                rules=candidate,
                credentials=lambda s, token, at: verify_presented(s, token, at=at),
            )
        return decision_to_json(decision)

    _print_json(_run(work))


@rules_app.command("check")
def rules_check(file: Annotated[Path, typer.Argument(help="Rule set (JSON).")]) -> None:
    """Validate a rule set; exit 2 naming the table, row and column of each problem."""
    from hetao.engine.rules import load_rule_set

    profile = _profile(_settings())
    with _translated_errors():
        rule_set = load_rule_set(file, profile=profile)
    _print_json(
        {
            "version": rule_set.version,
            "activates_at": rule_set.activates_at.isoformat(),
            "sha256": rule_set.content_hash,
            "tables": len(rule_set.tables),
            "rows": sum(len(table.rows) for table in rule_set.tables),
        }
    )


@rules_app.command("add")
def rules_add(file: Annotated[Path, typer.Argument(help="Rule set (JSON).")]) -> None:
    """Store a rule set; it decides crossings from its activation time (same file again: no-op)."""
    from hetao.crossing import service as crossing

    document = _read_json(file)
    actor = _actor()

    def work(session: Session, profile: ZoneProfile) -> dict[str, Any]:
        row, created = crossing.add_rule_set(session, document, profile=profile, actor=actor)
        return {
            "version": row.version,
            "activates_at": row.activates_at.isoformat(),
            "sha256": row.sha256,
            "created": created,
        }

    _print_json(_run(work))


@rules_app.command("backtest")
def rules_backtest(
    rules: Annotated[Path, typer.Option(help="Candidate rule set (JSON).")],
    since: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="First day, at the zone.")
    ],
) -> None:
    """Replay recorded crossings since DATE with the candidate rules; print what changes.

    Per lane and per rule: decisions before and after, how many change, and the hit rate
    against recorded inspection results (null where nothing flagged was inspected).
    """
    from zoneinfo import ZoneInfo

    from hetao.crossing.backtest import backtest
    from hetao.engine.rules import load_rule_set

    profile = _profile(_settings())
    with _translated_errors():
        candidate = load_rule_set(rules, profile=profile)
    start = since.replace(tzinfo=ZoneInfo(profile.zone.timezone)).astimezone(dt.UTC)
    _print_json(
        _run(lambda session, p: backtest(session, candidate, since=start, profile=p).to_json())
    )


# --- inspections and overrides (issue 5): `hetao inspections ...` -----------------------

# --- zone credentials (issue 5): `hetao credentials ...` ---------------------------------
# `verify` needs no database (a gate's view); it exits 0 for "valid" and EXIT_TAMPERED (3) for
# any refusal, printing the verdict as JSON either way.

credentials_app = typer.Typer(help="Zone credentials (QR tokens) for gates.", no_args_is_help=True)
app.add_typer(credentials_app, name="credentials")


def _credential_key() -> Any:
    from hetao.credentials.tokens import SigningKey, signing_key_path

    return SigningKey.load_or_create(signing_key_path(_settings().data_dir))


@credentials_app.command("issue")
def credentials_issue(
    person_id: Annotated[int, typer.Argument(help="Registry id of the whitelisted person.")],
    crossing_point: Annotated[
        list[str] | None, typer.Option(help="Restrict to these crossing point code(s).")
    ] = None,
    days: Annotated[
        int | None, typer.Option(help="Days of validity (default 365; never past the entry).")
    ] = None,
) -> None:
    """Issue a credential and print its token (the QR payload) once, then its record."""
    from hetao.credentials import service as credential_service
    from hetao.storage.types import utcnow

    key = _credential_key()

    def work(session: Session, profile: ZoneProfile) -> Any:
        issued = credential_service.issue(
            session,
            person_id,
            key=key,
            profile=profile,
            actor=_actor(),
            now=utcnow(),
            crossing_points=crossing_point or (),
            valid_days=days,
        )
        return issued.token, dict(issued.credential.claims)

    token, claims = _run(work)
    typer.echo(token)
    _print_json(claims)


@credentials_app.command("revoke")
def credentials_revoke(
    credential_id: Annotated[str, typer.Argument(help="The credential id (22 characters).")],
    reason: Annotated[str, typer.Option(help="Why it is revoked (kept in the audit log).")],
) -> None:
    """Revoke a credential: online checks refuse it at once, offline gates with the next list."""
    from hetao.credentials import service as credential_service
    from hetao.storage.types import utcnow

    def work(session: Session, _profile: ZoneProfile) -> None:
        credential = credential_service.get_credential(session, credential_id, for_update=True)
        credential_service.revoke(session, credential, reason=reason, actor=_actor(), now=utcnow())

    _run(work)
    typer.echo(f"credential {credential_id} revoked")


@credentials_app.command("public-key")
def credentials_public_key() -> None:
    """Print the current signing key's public half (PEM) for gates; no database."""
    typer.echo(_credential_key().public_pem, nl=False)


@credentials_app.command("rotate-key")
def credentials_rotate_key() -> None:
    """Start signing with a new key; the old one is set aside and still verifies what it signed."""
    from hetao.credentials import service as credential_service
    from hetao.credentials.tokens import rotate_signing_key, signing_key_path
    from hetao.storage.types import utcnow

    retired, key = rotate_signing_key(signing_key_path(_settings().data_dir))
    _run(
        lambda session, _profile: credential_service.register_key(
            session, key, now=utcnow(), actor=_actor()
        )
    )
    typer.echo(f"signing with key {key.key_id}; retired {retired or 'none'}")


@credentials_app.command("revocations")
def credentials_revocations(
    out: Annotated[Path, typer.Option(help="File to write the signed list to (JSON).")],
) -> None:
    """Sign the revocation list as of now and write it for offline gates."""
    from hetao.credentials import service as credential_service
    from hetao.storage.types import utcnow

    key = _credential_key()
    signed = _run(
        lambda session, profile: credential_service.revocation_list(
            session, key=key, profile=profile, now=utcnow()
        )
    )
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(signed.to_json() + "\n", encoding="utf-8")
    temporary.replace(out)
    typer.echo(f"wrote {out} (sha256 {credential_service.list_digest(signed)})")


@credentials_app.command("verify")
def credentials_verify(
    token: Annotated[str, typer.Argument(help="The presented token (QR payload).")],
    public_key: Annotated[
        list[Path], typer.Option(help="PEM public key(s) of the zone; repeat after a rotation.")
    ],
    revocations: Annotated[
        Path | None, typer.Option(help="Signed revocation list; without one: status unknown.")
    ] = None,
    max_age_hours: Annotated[
        float | None, typer.Option(help="Oldest revocation list trusted (default 24).")
    ] = None,
    zone: Annotated[str | None, typer.Option(help="Refuse credentials of another zone.")] = None,
) -> None:
    """Verify a credential OFFLINE, as a gate does: keys and revocation list only, no database."""
    from hetao.credentials import tokens as credentials
    from hetao.storage.types import utcnow

    try:
        ring = credentials.keyring(path.read_bytes() for path in public_key)
        listed = (
            None
            if revocations is None
            else credentials.SignedRevocationList.from_json(revocations.read_text("utf-8"))
        )
    except (OSError, ValueError) as error:
        _fail(f"error: {error}", EXIT_BAD_INPUT)
    max_age = (
        credentials.MAX_REVOCATION_LIST_AGE
        if max_age_hours is None
        else dt.timedelta(hours=max_age_hours)
    )
    verdict = credentials.verify_offline(
        token, keys=ring, at=utcnow(), revocations=listed, zone=zone, max_age=max_age
    )
    _print_json(verdict.to_json())
    if not verdict.valid:
        raise typer.Exit(EXIT_TAMPERED)


# --- research funds (issue 6): `hetao funds ...` -------------------------------------------

funds_app = typer.Typer(help="Research projects, budgets and fund transfers.", no_args_is_help=True)
app.add_typer(funds_app, name="funds")


@funds_app.command("report")
def funds_report(
    code: Annotated[str, typer.Argument(help="The project's code, e.g. GD-2026-0001")],
) -> None:
    """A project's budget, consumed and remaining by year and category, and its transfers (JSON)."""
    from hetao.errors import NotFound
    from hetao.funds import reports
    from hetao.funds import repository as funds_repo

    def work(session: Session, _profile: ZoneProfile) -> Any:
        project = funds_repo.project_by_code(session, code)
        if project is None:
            raise NotFound(f"project {code} does not exist")
        return reports.project_report(session, project)

    _print_json(_run(work))


@funds_app.command("by-source")
def funds_by_source(
    year: Annotated[int | None, typer.Option(help="Budget year only (default: all).")] = None,
) -> None:
    """Budgets, consumption and transfers per funding source, in CNY (JSON)."""
    from hetao.funds import reports

    _print_json(_run(lambda session, _profile: reports.funds_by_source(session, year=year)))


# --- data transfers (issue 6): `hetao data ...` --------------------------------------------

data_app = typer.Typer(help="Cross-border data transfers (R33-R37).", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("route")
def data_route(
    file: Annotated[Path, typer.Argument(help="The transfer's facts (JSON).")],
) -> None:
    """Print the route of a data transfer (R33-R37) as JSON; no database is touched."""
    from hetao.datatransfer.routing import route
    from hetao.datatransfer.schemas import RoutingOut, parse_route_request
    from hetao.tax.schemas import loads

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"error: cannot read {file}: {error}", EXIT_BAD_INPUT)
    with _translated_errors():
        request = parse_route_request(loads(text))
        routing = route(request.facts(), _profile(_settings()).data)
    _print_json(RoutingOut.of(routing))


@data_app.command("expire")
def data_expire(
    today: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD).")] = None,
) -> None:
    """Open the R36 renewal windows that have come and expire ended approvals (run daily)."""
    from hetao.datatransfer import service
    from hetao.timeutil import zone_today

    try:
        as_of = dt.date.fromisoformat(today) if today else None
    except ValueError:
        _fail(f"error: --today {today!r} is not a date (YYYY-MM-DD)", EXIT_BAD_INPUT)

    def work(session: Session, profile: ZoneProfile) -> Any:
        day = as_of or zone_today(profile.zone.timezone)
        return [
            (a.id, a.status.value) for a in service.expire_due(session, today=day, actor=_actor())
        ]

    changed = _run(work)
    for application_id, status in changed:
        typer.echo(f"application {application_id}: {status}")
    typer.echo(f"{len(changed)} applications changed")


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
