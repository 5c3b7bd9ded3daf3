"""The legal-inspection catalogue: the goods inspected on entry by law, as versioned, dated rows.

REGIME R12 gives legally inspected industrial goods entering from Hong Kong a tier of conformity
assessment, and R10 leaves goods under inspection and quarantine out of centralised
declaration. Which goods are legally inspected is the catalogue's to say (the *Catalogue of
Import and Export Commodities Subject to Inspection*, by HS code), on the day the goods cross:
reference data loaded from CSV like the tariff, never a flag of the declarant. A declarant may
still declare other goods inspected (other laws require it of some); no one declares goods out.

A row names its id, an HS heading (4 digits), subheading (6) or national line (8 or 10), the
days it is in force (``valid_to`` included; empty: open), its description and source. Goods
whose code extends a row's are in the catalogue; the most specific row in force names them.

CSV files may start with ``#`` comment lines (the shipped sample says it is a sample there);
problems name the line of the file, the column and the rule.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hetao.reference.hs import check_hs_code
from hetao.reference.tariff import (
    RateKind,
    RowReader,
    code_and_headings,
    in_force,
    packaged_text,
    read_csv_file,
    read_records,
)

SAMPLE_CATALOGUE = "legal-inspection-SAMPLE.csv"
CATALOGUE_COLUMNS = (
    "version",
    "kind",
    "row_id",
    "code",
    "valid_from",
    "valid_to",
    "description",
    "source",
)
_OPTIONAL = frozenset({"valid_to"})
_RULE = "legal_inspection"


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    """One row of the catalogue; ``row`` is its line in the source file."""

    row_id: str
    code: str
    valid_from: dt.date
    valid_to: dt.date | None
    description: str
    source: str
    row: int = 0

    def in_force(self, on: dt.date) -> bool:
        """Whether the row applies on ``on`` (``valid_to`` is the last day it applies)."""
        return in_force(self.valid_from, self.valid_to, on)


@dataclass(frozen=True, slots=True)
class Listing:
    """Why goods are legally inspected: the catalogue's version and the row that names them."""

    version: str
    row_id: str
    code: str
    description: str

    @property
    def label(self) -> str:
        """``row id (version)``, as decisions and pages name it."""
        return f"{self.row_id} ({self.version})"


class LegalInspectionCatalogue:
    """A versioned catalogue of the goods inspected on entry; ask it with :meth:`listing`."""

    def __init__(
        self, *, version: str, kind: RateKind, rows: Iterable[CatalogueRow], source: str = ""
    ) -> None:
        self.version = version
        self.kind = kind
        self.source = source
        self._rows = tuple(rows)
        self._by_code: dict[str, list[CatalogueRow]] = {}
        for row in self._rows:
            self._by_code.setdefault(row.code, []).append(row)

    @property
    def is_sample(self) -> bool:
        """Whether these are illustrative rows, not the published catalogue."""
        return self.kind is RateKind.SAMPLE

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[CatalogueRow]:
        return iter(self._rows)

    def listing(self, code: str, *, on: dt.date, field: str = "hs_code") -> Listing | None:
        """The row that lists ``code`` for inspection on ``on``, the most specific in force (the
        file's first on a tie); None when the catalogue does not list it that day."""
        digits = check_hs_code(code, field=field)
        for prefix in code_and_headings(digits):
            for row in self._by_code.get(prefix, ()):
                if row.in_force(on):
                    return Listing(self.version, row.row_id, row.code, row.description)
        return None


def import_legal_inspection(text: str, *, source: str = "<text>") -> LegalInspectionCatalogue:
    """Validate every row of a catalogue CSV; one ValidationFailed names row, column, rule."""
    rows, version, kind = read_records(
        text,
        CATALOGUE_COLUMNS,
        optional=_OPTIONAL,
        parse=_catalogue_row,
        key_of=lambda row: row.row_id,
        duplicate=lambda row, line: ("row_id", f"{row.row_id} is also on line {line}"),
        rule=_RULE,
        what="legal-inspection catalogue",
        source=source,
    )
    return LegalInspectionCatalogue(version=version, kind=kind, rows=rows, source=source)


def _catalogue_row(read: RowReader) -> CatalogueRow | None:
    before = len(read.problems)
    row_id = read.name("row_id")
    code = read.heading_or_finer("code", rule=_RULE)
    valid_from, valid_to = read.validity(rule=_RULE)
    description = read.text("description")
    row_source = read.text("source")
    if len(read.problems) > before or row_id is None or valid_from is None:
        return None
    return CatalogueRow(
        row_id=row_id,
        code=code,
        valid_from=valid_from,
        valid_to=valid_to,
        description=description,
        source=row_source,
        row=read.number,
    )


def load_legal_inspection(path: Path | None = None) -> LegalInspectionCatalogue:
    """The catalogue in ``path``, or the shipped SAMPLE catalogue when no path is given."""
    if path is None:
        return _sample_catalogue()
    return import_legal_inspection(read_csv_file(path, rule=_RULE), source=str(path))


@functools.cache
def _sample_catalogue() -> LegalInspectionCatalogue:
    return import_legal_inspection(packaged_text(SAMPLE_CATALOGUE), source=SAMPLE_CATALOGUE)
