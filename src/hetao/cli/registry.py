"""`hetao registry ...`: the whitelist registry."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from hetao.cli.runner import actor, bad_input, daily, print_json, read_text, transaction
from hetao.storage import lookup

app = typer.Typer(help="The whitelist registry.", no_args_is_help=True)


class ImportKind(StrEnum):
    """What a CSV file holds."""

    persons = "persons"
    vehicles = "vehicles"


@app.command("import")
def registry_import(
    kind: Annotated[ImportKind, typer.Argument(help="persons or vehicles")],
    file: Annotated[
        Path, typer.Argument(help="CSV file (UTF-8), columns in docs/registry-import.md")
    ],
) -> None:
    """Import persons or vehicles from CSV: all rows or none; each bad row named with its column."""
    from hetao.registry import bulk

    text = read_text(file)
    with transaction() as (session, profile):
        if kind is ImportKind.persons:
            result = bulk.import_persons(session, text, actor=actor())
        else:
            result = bulk.import_vehicles(session, text, profile=profile, actor=actor())
    typer.echo(f"imported {result.imported} {kind.value}")


class ShowKind(StrEnum):
    """Kinds of registry object `registry show` can print."""

    party = "party"
    person = "person"
    vehicle = "vehicle"
    application = "application"
    entry = "entry"


@app.command("show")
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
        bad_input(f"give the id of the {kind.value} to show")

    with transaction() as (session, profile):
        if kind is None:
            shown: Any = {"zone": profile.zone.code, **repo.summary(session)}
        else:
            model, out = shapes[kind]
            assert object_id is not None  # noqa: S101 (checked above)
            shown = out.model_validate(lookup.get(session, model, object_id))
    print_json(shown)


@app.command("purge-faces")
def registry_purge_faces() -> None:
    """Delete every face template past the profile's retention period (run daily)."""
    from hetao.biometrics import service
    from hetao.storage.types import utcnow

    with transaction() as (session, _):
        purged = service.purge_expired(session, actor=actor(), now=utcnow())
    typer.echo(f"purged {len(purged)} face templates")


@app.command("expire")
def registry_expire(
    today: Annotated[str | None, typer.Option(help="Date to expire as of (YYYY-MM-DD).")] = None,
) -> None:
    """Expire every whitelist entry whose validity window has closed (run daily)."""
    from hetao.registry import service

    expired = daily(
        today, lambda session, day: service.expire_due(session, today=day, actor=actor())
    )
    typer.echo(f"expired {len(expired)} entries")
