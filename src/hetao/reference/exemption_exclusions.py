"""What is excluded from exemption, and the scope of the exempt list: versioned, dated HS rows.

REGIME R4 excludes from the research-goods exemption prohibited goods, goods that law expressly
excludes and the *Catalogue of Major Technical Equipment and Products Not Exempt from Import Tax*;
R19 excludes aircraft, cars, ships and yachts from Hengqin's self-use exemption; (d)2 keeps the
exempt list itself as a versioned, dated table; R23's taxed-goods catalogue (Hainan-style zero
tariff) is a negative list: every import is exempt unless the catalogue names it. All of it is
reference data loaded from CSV like the tariff, never code and never a flag of the declarant.

A row names its table and row id, the rule whose exemption it limits (R4, R19 or R23), its
effect, an HS heading (4 digits), subheading (6) or national line (8 or 10), the days it is in
force (``valid_to`` included; empty: open) and its description and source:

- ``excluded``: goods whose code extends the row's are not exempt under its rule;
- ``exempt_list``: a row of the rule's exempt list; once a rule has such rows in force on a day,
  goods on none of them are not exempt either (the R4 list was not retrieved, so the shipped
  sample has none and every code is in scope).

CSV files may start with ``#`` comment lines (the shipped sample says it is a sample there);
problems name the line of the file, the column and the rule.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
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

SAMPLE_EXCLUSIONS = "exemption-exclusions-SAMPLE.csv"
EXCLUSION_COLUMNS = (
    "version",
    "kind",
    "table",
    "row_id",
    "rule",
    "effect",
    "code",
    "valid_from",
    "valid_to",
    "description",
    "source",
)
_OPTIONAL = frozenset({"valid_to"})


class ExemptionRule(StrEnum):
    """The exemption a row limits, named as in REGIME."""

    R4 = "R4"
    """Hetao: research goods of a beneficiary entering through the first line."""
    R19 = "R19"
    """Hengqin: self-use machinery and equipment of a listed entity."""
    R23 = "R23"
    """Hainan-style: zero-tariff imports of a beneficiary, outside the taxed-goods catalogue."""


class Effect(StrEnum):
    """What a row does to the exemption of the goods it covers."""

    EXCLUDED = "excluded"
    """The goods are not exempt under the row's rule."""
    EXEMPT_LIST = "exempt_list"
    """The goods are on the rule's exempt list; goods on no row of a list in force are not."""


@dataclass(frozen=True, slots=True)
class ExclusionRow:
    """One row of an exclusion or exempt-list table; ``row`` is its line in the source file."""

    table: str
    row_id: str
    rule: ExemptionRule
    effect: Effect
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
class Exclusion:
    """Why goods are not exempt under a rule on a day: a row, or absence from the exempt list."""

    rule: ExemptionRule
    table: str
    #: None when the goods are on no row of the rule's exempt list.
    row_id: str | None
    code: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    description: str
    source: str


class ExemptionExclusions:
    """A versioned table of exclusions and exempt lists; ask it with :meth:`exclusion_for`."""

    def __init__(
        self, *, version: str, kind: RateKind, rows: Iterable[ExclusionRow], source: str = ""
    ) -> None:
        self.version = version
        self.kind = kind
        self.source = source
        self._rows = tuple(rows)
        self._excluded: dict[tuple[ExemptionRule, str], list[ExclusionRow]] = {}
        self._listed: dict[tuple[ExemptionRule, str], list[ExclusionRow]] = {}
        self._lists: dict[ExemptionRule, list[ExclusionRow]] = {}
        for row in self._rows:
            index = self._excluded if row.effect is Effect.EXCLUDED else self._listed
            index.setdefault((row.rule, row.code), []).append(row)
            if row.effect is Effect.EXEMPT_LIST:
                self._lists.setdefault(row.rule, []).append(row)

    @property
    def is_sample(self) -> bool:
        """Whether these are illustrative rows, not the published lists."""
        return self.kind is RateKind.SAMPLE

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[ExclusionRow]:
        return iter(self._rows)

    def rows_in_force(self, table: str, *, on: dt.date) -> list[ExclusionRow]:
        """The rows of ``table`` (their ``table`` column) that apply on ``on``."""
        return [row for row in self._rows if row.table == table and row.in_force(on)]

    def exclusion_for(
        self, code: str, *, rule: ExemptionRule, on: dt.date, field: str = "hs_code"
    ) -> Exclusion | None:
        """Why ``code`` is not exempt under ``rule`` on ``on``; None when nothing excludes it.

        The most specific excluded row in force wins (the file's first on a tie); then, when the
        rule has an exempt list in force, a code on none of its rows is outside the exempt list.
        """
        digits = check_hs_code(code, field=field)
        prefixes = code_and_headings(digits)
        for prefix in prefixes:
            for row in self._excluded.get((rule, prefix), ()):
                if row.in_force(on):
                    return Exclusion(
                        rule=row.rule,
                        table=row.table,
                        row_id=row.row_id,
                        code=row.code,
                        valid_from=row.valid_from,
                        valid_to=row.valid_to,
                        description=row.description,
                        source=row.source,
                    )
        in_force = [row for row in self._lists.get(rule, ()) if row.in_force(on)]
        if not in_force:
            return None
        listed = any(
            row.in_force(on) for prefix in prefixes for row in self._listed.get((rule, prefix), ())
        )
        if listed:
            return None
        return Exclusion(
            rule=rule,
            table=", ".join(sorted({row.table for row in in_force})),
            row_id=None,
            code=None,
            valid_from=None,
            valid_to=None,
            description=f"{digits} is on no row of the {rule} exempt list in force on {on}",
            source=in_force[0].source,
        )


# --- CSV --------------------------------------------------------------------------------------


def import_exemption_exclusions(text: str, *, source: str = "<text>") -> ExemptionExclusions:
    """Validate every row of an exclusions CSV; one ValidationFailed names row, column, rule."""
    rows, version, kind = read_records(
        text,
        EXCLUSION_COLUMNS,
        optional=_OPTIONAL,
        parse=_exclusion_row,
        key_of=lambda row: (row.table, row.row_id),
        duplicate=lambda row, line: (
            "row_id",
            f"{row.row_id} of table {row.table} is also on line {line}",
        ),
        rule="exemption_exclusions",
        what="exemption exclusions",
        source=source,
    )
    return ExemptionExclusions(version=version, kind=kind, rows=rows, source=source)


def _exclusion_row(read: RowReader) -> ExclusionRow | None:
    before = len(read.problems)
    table = read.name("table")
    row_id = read.name("row_id")
    rule = read.choice("rule", ExemptionRule)
    effect = read.choice("effect", Effect)
    digits = read.heading_or_finer("code", rule="exemption_exclusions")
    valid_from, valid_to = read.validity(rule="exemption_exclusions")
    description = read.text("description")
    row_source = read.text("source")
    if (
        len(read.problems) > before
        or table is None
        or row_id is None
        or rule is None
        or effect is None
        or valid_from is None
    ):
        return None
    return ExclusionRow(
        table=table,
        row_id=row_id,
        rule=rule,
        effect=effect,
        code=digits,
        valid_from=valid_from,
        valid_to=valid_to,
        description=description,
        source=row_source,
        row=read.number,
    )


def load_exemption_exclusions(path: Path | None = None) -> ExemptionExclusions:
    """The table in ``path``, or the shipped SAMPLE table when no path is given."""
    if path is None:
        return _sample_exclusions()
    return import_exemption_exclusions(
        read_csv_file(path, rule="exemption_exclusions"), source=str(path)
    )


@functools.cache
def _sample_exclusions() -> ExemptionExclusions:
    return import_exemption_exclusions(packaged_text(SAMPLE_EXCLUSIONS), source=SAMPLE_EXCLUSIONS)
