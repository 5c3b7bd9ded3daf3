"""`hetao demo load`: the demo zone."""

from __future__ import annotations

from typing import Annotated

import typer

from hetao.cli.runner import actor, day_option, platform, print_json, transaction

app = typer.Typer(help="The demo zone.", no_args_is_help=True)


@app.command("load")
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
    from hetao.biometrics.sealed import zone_template_box

    day = day_option("--as-of", as_of)
    # The server's template key: the demo's enrolments open as the desk's do.
    configured = platform()
    templates = zone_template_box(configured.settings)

    with transaction(configured) as (session, profile):
        summary = None
        if not if_empty or demo.is_empty(session):
            summary = demo.load(
                session,
                profile=profile,
                seed=seed,
                as_of=day,
                actor=actor(),
                templates=templates,
            )
    if summary is None:
        typer.echo("demo zone not loaded: the registry already has parties (--if-empty)")
    else:
        print_json(summary)
