"""`hetao serve`: the API, its docs page and the console."""

from __future__ import annotations

from typing import Annotated

import typer

from hetao.cli.runner import EXIT_FAILURE, settings, zone_profile


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

    zone_profile(settings())  # refuse a bad profile before binding the port
    try:
        status = serving.serve(host=host, port=port, workers=workers, access_log=access_log)
    except OSError as error:  # the port is taken, or the address is not this machine's
        typer.echo(f"hetao: cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(EXIT_FAILURE) from None
    raise typer.Exit(status)
