"""`hetao profile ...`: zone profiles; no database."""

from __future__ import annotations

from typing import Annotated

import typer

from hetao.cli.runner import translated_errors
from hetao.profiles import available_profiles, load_profile

app = typer.Typer(help="Zone profiles.", no_args_is_help=True)


@app.command("check")
def profile_check(
    name_or_path: Annotated[str, typer.Argument(help="A built-in profile name or a TOML file.")],
) -> None:
    """Validate a zone profile; print its zone code or every problem with file, key and rule."""
    with translated_errors():
        profile = load_profile(name_or_path)
    typer.echo(f"ok: {name_or_path} describes zone {profile.zone.code}")


@app.command("list")
def profile_list() -> None:
    """List the built-in zone profiles."""
    for name in available_profiles():
        typer.echo(name)
