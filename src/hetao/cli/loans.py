"""`hetao loans ...`: instruments lent across the first line."""

from __future__ import annotations

from typing import Annotated

import typer

from hetao.cli.runner import actor, daily, print_json

app = typer.Typer(help="Instruments lent across the first line.", no_args_is_help=True)


@app.command("flag-overdue")
def loans_flag_overdue(
    today: Annotated[str | None, typer.Option(help="Day to flag as of (YYYY-MM-DD).")] = None,
) -> None:
    """Flag loans past their due date, and tax those past the grace period (run daily)."""
    from hetao.cli.runner import platform
    from hetao.loans import service

    profile = platform().profile
    result = daily(
        today,
        lambda session, day: service.flag_overdue(session, day=day, profile=profile, actor=actor()),
    )
    print_json(result)
