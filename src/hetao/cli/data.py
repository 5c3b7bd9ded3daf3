"""`hetao data ...`: cross-border data transfers (R33-R37)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hetao.cli.runner import (
    actor,
    daily,
    print_json,
    read_text,
    settings,
    translated_errors,
    zone_profile,
)

app = typer.Typer(help="Cross-border data transfers (R33-R37).", no_args_is_help=True)


@app.command("route")
def data_route(
    file: Annotated[Path, typer.Argument(help="The transfer's facts (JSON).")],
) -> None:
    """Print the route of a data transfer (R33-R37) as JSON; no database is touched."""
    from hetao.datatransfer.routing import route
    from hetao.datatransfer.schemas import RoutingOut, parse_route_request
    from hetao.tax.schemas import loads

    text = read_text(file)
    with translated_errors():
        request = parse_route_request(loads(text))
        routing = route(request.facts(), zone_profile(settings()).data)
    print_json(RoutingOut.of(routing))


@app.command("expire")
def data_expire(
    today: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD).")] = None,
) -> None:
    """Open the R36 renewal windows that have come and expire ended approvals (run daily)."""
    from hetao.datatransfer import service

    changed = daily(
        today,
        lambda session, day: [
            (application.id, application.status.value)
            for application in service.expire_due(session, today=day, actor=actor())
        ],
    )
    for application_id, status in changed:
        typer.echo(f"application {application_id}: {status}")
    typer.echo(f"{len(changed)} applications changed")
