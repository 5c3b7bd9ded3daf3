"""The operator's command line: one module per domain, each command one unit of work.

Commands import their services inside the function body so `hetao --help` stays fast.
Exit codes are in :mod:`hetao.cli.runner`.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hetao import __version__
from hetao.cli import (
    audit,
    auth,
    credentials,
    crossing,
    data,
    db,
    demo,
    funds,
    gate,
    loans,
    profile,
    registry,
    serve,
    tax,
    webhooks,
)
from hetao.cli.runner import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_TAMPERED

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILURE", "EXIT_TAMPERED", "app", "main"]

app = typer.Typer(
    help="hetao: split-line management for a cross-boundary innovation zone.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)


# `--help` lists commands, then groups, each in the order added here.
app.command()(serve.serve)
app.command("decide")(crossing.decide_command)
app.command("gate-consumer")(gate.consumer_command)
for name, group in (
    ("db", db.app),
    ("demo", demo.app),
    ("registry", registry.app),
    ("profile", profile.app),
    ("audit", audit.app),
    ("users", auth.users_app),
    ("tokens", auth.tokens_app),
    ("tax", tax.app),
    ("rules", crossing.rules_app),
    ("credentials", credentials.app),
    ("funds", funds.app),
    ("loans", loans.app),
    ("data", data.app),
    ("webhooks", webhooks.app),
    ("gate", gate.app),
):
    app.add_typer(group, name=name)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
