"""`hetao tax assess`: import taxes of a request file; no database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hetao.cli.runner import print_json, read_text, settings, translated_errors, zone_profile
from hetao.profiles import load_profile

app = typer.Typer(help="Import taxes: duty, consumption tax, import VAT.", no_args_is_help=True)


@app.command("assess")
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

    text = read_text(file)
    with translated_errors():
        document = tax.read_document(tax.loads(text))
        profile = load_profile(document.profile) if document.profile else zone_profile(settings())
        assessment = tax.assess(
            document.request,
            profile,
            tariff=load_tariff(tariff),
            rates=load_rates(rates),
            exclusions=load_exemption_exclusions(exclusions),
        )
    print_json(assessment)
