"""Reference table files for upload tests: the packaged samples under a version of their own."""

from __future__ import annotations

from importlib.resources import files

from hetao.reference.exemption_exclusions import SAMPLE_EXCLUSIONS
from hetao.reference.legal_inspection import SAMPLE_CATALOGUE
from hetao.reference.rates import SAMPLE_RATES
from hetao.reference.tariff import SAMPLE_TARIFF
from hetao.reference_versions.models import TableKind

PACKAGED_FILES = {
    TableKind.TARIFF: SAMPLE_TARIFF,
    TableKind.RATES: SAMPLE_RATES,
    TableKind.EXCLUSIONS: SAMPLE_EXCLUSIONS,
    TableKind.INSPECTION: SAMPLE_CATALOGUE,
}


def packaged_text(kind: TableKind) -> str:
    return files("hetao.reference").joinpath("data", PACKAGED_FILES[kind]).read_text("utf-8")


def as_version(kind: TableKind, version: str) -> str:
    """The packaged table renamed ``version``."""
    return packaged_text(kind).replace("SAMPLE-2026.1,", f"{version},")
