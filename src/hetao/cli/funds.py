"""`hetao funds ...`: research projects, budgets and fund transfers."""

from __future__ import annotations

from typing import Annotated

import typer

from hetao.cli.runner import print_json, transaction

app = typer.Typer(help="Research projects, budgets and fund transfers.", no_args_is_help=True)


@app.command("report")
def funds_report(
    code: Annotated[str, typer.Argument(help="The project's code, e.g. GD-2026-0001")],
) -> None:
    """A project's budget, consumed and remaining by year and category, and its transfers (JSON)."""
    from hetao.errors import NotFound
    from hetao.funds import reports
    from hetao.funds import repository as funds_repo

    with transaction() as (session, _profile):
        project = funds_repo.project_by_code(session, code)
        if project is None:
            raise NotFound(f"project {code} does not exist")
        report = reports.project_report(session, project)
    print_json(report)


@app.command("by-source")
def funds_by_source(
    year: Annotated[int | None, typer.Option(help="Budget year only (default: all).")] = None,
) -> None:
    """Budgets, consumption and transfers per funding source, in CNY (JSON)."""
    from hetao.funds import reports

    with transaction() as (session, _profile):
        report = reports.funds_by_source(session, year=year)
    print_json(report)
