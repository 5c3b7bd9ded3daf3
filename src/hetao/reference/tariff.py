"""The tariff table: duty, consumption-tax and VAT rates by HS code prefix, versioned and dated.

Rates are reference data imported from CSV (REGIME (e), (d)2), never code. A row names a heading
(4 digits), subheading (6) or national line (8 or 10); a declared code takes the rates of the
most specific row that it extends and that is in force on the day (the latest ``valid_from`` not
after it). Rates are fractions written as decimal strings: ``0.08`` is 8 %.

CSV files may start with ``#`` comment lines (the shipped sample says it is not the Customs Tariff
of the PRC there); problems name the line of the file, the column and the rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import TypeVar

from hetao.errors import FieldProblem, ValidationFailed
from hetao.reference.hs import check_hs_code

RecordT = TypeVar("RecordT")
ChoiceT = TypeVar("ChoiceT", bound=StrEnum)

SAMPLE_TARIFF = "tariff_sample.csv"
TARIFF_COLUMNS = (
    "version",
    "code",
    "valid_from",
    "duty_rate",
    "specific_duty_cny",
    "specific_duty_unit",
    "consumption_tax_rate",
    "vat_rate",
    "kind",
    "description",
)
_OPTIONAL = frozenset({"specific_duty_cny", "specific_duty_unit", "consumption_tax_rate"})
_CODE_LENGTHS = (10, 8, 6, 4)
#: The highest ad valorem duty accepted; it catches "13" written for 13 % (0.13).
MAX_DUTY_RATE = Decimal(3)
_UNIT = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


def code_and_headings(digits: str) -> list[str]:
    """A checked code and each line, subheading and heading it extends, the most specific first:
    the keys a table's rows (4, 6, 8 or 10 digits) may be found under."""
    return [digits[:length] for length in _CODE_LENGTHS if len(digits) >= length]


def in_force(valid_from: dt.date, valid_to: dt.date | None, on: dt.date) -> bool:
    """Whether a row valid from ``valid_from`` to ``valid_to`` (its last day; None: open)
    applies on ``on``."""
    return valid_from <= on and (valid_to is None or on <= valid_to)


class RateKind(StrEnum):
    """Whether a table holds official rates or illustrative ones."""

    SAMPLE = "sample"
    """Illustrative rates for demonstrations and tests: never assess real goods with them."""
    OFFICIAL = "official"
    """Rates copied from the published tariff or PBoC rates by an administrator."""


@dataclass(frozen=True, slots=True)
class TariffRate:
    """The rates of one code from one date; ``row`` is its line in the source file."""

    code: str
    valid_from: dt.date
    duty_rate: Decimal
    specific_duty_cny: Decimal | None
    specific_duty_unit: str | None
    consumption_tax_rate: Decimal
    vat_rate: Decimal
    description: str
    row: int = 0


class Tariff:
    """A versioned tariff table; look rates up with :meth:`rate_for`."""

    def __init__(
        self, *, version: str, kind: RateKind, rates: Iterable[TariffRate], source: str = ""
    ) -> None:
        self.version = version
        self.kind = kind
        self.source = source
        index: dict[str, list[TariffRate]] = {}
        for rate in rates:
            index.setdefault(rate.code, []).append(rate)
        # Newest first, so the first row in force on a day is the one that applies.
        self._index = {
            code: sorted(rows, key=lambda r: r.valid_from, reverse=True)
            for code, rows in index.items()
        }

    @property
    def is_sample(self) -> bool:
        """Whether these are illustrative rates, not the Customs Tariff."""
        return self.kind is RateKind.SAMPLE

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._index.values())

    def __iter__(self) -> Iterator[TariffRate]:
        for rows in self._index.values():
            yield from rows

    def rate_for(self, code: str, *, on: dt.date, field: str = "hs_code") -> TariffRate:
        """The rates of the most specific row ``code`` extends, in force on ``on``."""
        digits = check_hs_code(code, field=field)
        for prefix in code_and_headings(digits):
            for rate in self._index.get(prefix, ()):
                if rate.valid_from <= on:
                    return rate
        raise ValidationFailed.single(
            field,
            "tariff.no_rate",
            f"tariff {self.version} has no rate for {digits} or a heading it extends "
            f"on {on.isoformat()}; give duty_rate, vat_rate and consumption_tax_rate instead",
        )


# --- CSV --------------------------------------------------------------------------------------


def read_table(
    text: str, columns: Sequence[str], *, optional: frozenset[str] = frozenset()
) -> tuple[list[tuple[int, dict[str, str]]], list[FieldProblem]]:
    """Rows of a CSV with ``#`` comments as (line number, values), and the problems found."""
    problems: list[FieldProblem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        # One record per physical line: line numbers then match what an editor shows.
        values = [value.strip() for value in next(csv.reader([line]))]
        if header is None:
            header = values
            problems += _header_problems(header, columns, optional, number)
            if problems:
                return [], problems
            continue
        if len(values) != len(header):
            problems.append(
                FieldProblem(
                    "(row)",
                    "csv.field_count",
                    f"has {len(values)} fields, the header has {len(header)}",
                    number,
                )
            )
            continue
        rows.append((number, dict(zip(header, values, strict=True))))
    if header is None:
        problems.append(FieldProblem("(header)", "csv.header_missing", "the file has no header", 1))
    return rows, problems


def _header_problems(
    header: list[str], columns: Sequence[str], optional: frozenset[str], number: int
) -> list[FieldProblem]:
    problems = [
        FieldProblem(name, "csv.unknown_column", "is not a column of this table", number)
        for name in header
        if name not in columns
    ]
    problems += [
        FieldProblem(name, "csv.missing_column", "required column is missing", number)
        for name in columns
        if name not in header and name not in optional
    ]
    problems += [
        FieldProblem(name, "csv.duplicate_column", "appears twice in the header", number)
        for index, name in enumerate(header)
        if name in header[:index]
    ]
    return problems


class RowReader:
    """Reads typed values from one CSV row, collecting a problem per bad cell."""

    def __init__(self, number: int, row: dict[str, str], problems: list[FieldProblem]) -> None:
        self.number, self.row, self.problems = number, row, problems

    def fail(self, column: str, rule: str, message: str) -> None:
        """Record a problem with ``column`` of this row."""
        self.problems.append(FieldProblem(column, rule, message, self.number))

    def text(self, column: str, *, required: bool = True) -> str:
        """The cell as text; an empty required cell is a problem."""
        value = self.row.get(column, "")
        if required and not value:
            self.fail(column, "required", "must not be empty")
        return value

    def decimal(
        self,
        column: str,
        *,
        low: Decimal,
        high: Decimal | None,
        high_open: bool,
        rule: str,
        required: bool = True,
    ) -> Decimal | None:
        """The cell as a Decimal in [low, high) or [low, high]; None when empty or bad."""
        value = self.row.get(column, "")
        if not value:
            if required:
                self.fail(column, "required", "must not be empty")
            return None
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            self.fail(column, "decimal_format", f"{value!r} is not a decimal number")
            return None
        above = high is not None and (parsed >= high if high_open else parsed > high)
        if not parsed.is_finite() or parsed < low or above:
            bracket = ")" if high_open else "]"
            self.fail(column, rule, f"{value} is not in [{low}, {high}{bracket}")
            return None
        return parsed

    def date(self, column: str) -> dt.date | None:
        """The cell as an ISO date."""
        value = self.text(column)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(column, "iso_date", f"{value!r} is not a date (YYYY-MM-DD)")
            return None

    def optional_date(self, column: str) -> dt.date | None:
        """The cell as an ISO date, or None when empty."""
        return self.date(column) if self.row.get(column, "") else None

    def name(self, column: str) -> str | None:
        """The cell as a short name (a table or row id): letters, digits, ``.``, ``_``, ``-``."""
        value = self.text(column)
        if value and not _NAME.fullmatch(value):
            self.fail(column, "name_format", f"{value!r}: letters, digits, . _ - only (up to 60)")
            return None
        return value or None

    def choice(self, column: str, vocabulary: type[ChoiceT]) -> ChoiceT | None:
        """The cell as a member of ``vocabulary``, by value."""
        value = self.text(column)
        try:
            return vocabulary(value)
        except ValueError:
            if value:
                allowed = ", ".join(member.value for member in vocabulary)
                self.fail(column, f"{column}_unknown", f"{value!r} is not one of: {allowed}")
            return None

    def heading_or_finer(self, column: str, *, rule: str) -> str:
        """The cell as a real HS code of 4 digits or more, digits only; "" when bad or empty."""
        code = self.text(column)
        if not code:
            return ""
        try:
            digits = check_hs_code(code, field=column)
        except ValidationFailed as error:
            for problem in error.problems:
                self.fail(column, problem.rule, problem.message)
            return ""
        if len(digits) < 4:
            self.fail(column, f"{rule}.code_level", "give a heading, subheading or national line")
            return ""
        return digits

    def validity(self, *, rule: str) -> tuple[dt.date | None, dt.date | None]:
        """The ``valid_from`` and optional ``valid_to`` cells; a ``valid_to`` before
        ``valid_from`` is a problem of ``valid_to`` (``<rule>.valid_to_before_valid_from``)."""
        valid_from = self.date("valid_from")
        valid_to = self.optional_date("valid_to")
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            self.fail(
                "valid_to",
                f"{rule}.valid_to_before_valid_from",
                f"{valid_to} is before valid_from {valid_from}",
            )
        return valid_from, valid_to

    def kind(self) -> RateKind | None:
        """The ``kind`` cell: sample or official."""
        value = self.text("kind")
        try:
            return RateKind(value)
        except ValueError:
            if value:
                self.fail("kind", "rate_kind", f"{value!r} is not one of: sample, official")
            return None

    def version(self) -> str | None:
        """The ``version`` cell: a short label such as SAMPLE-2026.1."""
        value = self.text("version")
        if value and not _VERSION.fullmatch(value):
            self.fail("version", "version_format", f"{value!r}: letters, digits, . _ - only")
            return None
        return value or None


def one_per_file(
    values: list[tuple[int, str | None]], column: str, problems: list[FieldProblem]
) -> str | None:
    """The single value ``column`` takes in every row; a row that differs is a problem."""
    first = next((value for _, value in values if value), None)
    for number, value in values:
        if value and value != first:
            problems.append(
                FieldProblem(
                    column,
                    f"{column}.mixed",
                    f"{value!r} differs from {first!r}: one per file",
                    number,
                )
            )
    return first


def read_records(
    text: str,
    columns: Sequence[str],
    *,
    parse: Callable[[RowReader], RecordT | None],
    key_of: Callable[[RecordT], Hashable],
    duplicate: Callable[[RecordT, int], tuple[str, str]],
    rule: str,
    what: str,
    source: str,
    optional: frozenset[str] = frozenset(),
) -> tuple[list[RecordT], str, RateKind]:
    """Parse every row of a versioned rate CSV: the records, the file's version and kind.

    ``duplicate`` names the column and message when a key repeats (given the earlier line);
    every problem of every row is gathered into one ValidationFailed naming row, column, rule.
    """
    rows, problems = read_table(text, columns, optional=optional)
    records: list[RecordT] = []
    versions: list[tuple[int, str | None]] = []
    kinds: list[tuple[int, str | None]] = []
    seen: dict[Hashable, int] = {}
    for number, row in rows:
        read = RowReader(number, row, problems)
        versions.append((number, read.version()))
        kind = read.kind()
        kinds.append((number, kind.value if kind else None))
        record = parse(read)
        if record is None:
            continue
        key = key_of(record)
        if key in seen:
            column, message = duplicate(record, seen[key])
            read.fail(column, f"{rule}.duplicate", message)
            continue
        seen[key] = number
        records.append(record)
    version = one_per_file(versions, "version", problems)
    kind_value = one_per_file(kinds, "kind", problems)
    if not rows and not problems:
        problems.append(FieldProblem("(rows)", f"{rule}.empty", "the table has no rates", 1))
    if problems or version is None or kind_value is None:
        raise refused(source, what, problems)
    return records, version, RateKind(kind_value)


def import_tariff(text: str, *, source: str = "<text>") -> Tariff:
    """Validate every row of a tariff CSV; raise one ValidationFailed naming row, column, rule."""
    rates, version, kind = read_records(
        text,
        TARIFF_COLUMNS,
        optional=_OPTIONAL,
        parse=_tariff_row,
        key_of=lambda rate: (rate.code, rate.valid_from),
        duplicate=lambda rate, line: (
            "code",
            f"{rate.code} from {rate.valid_from} is also on line {line}",
        ),
        rule="tariff",
        what="tariff",
        source=source,
    )
    return Tariff(version=version, kind=kind, rates=rates, source=source)


def _tariff_row(read: RowReader) -> TariffRate | None:
    before = len(read.problems)
    code = read.text("code")
    digits = ""
    if code:
        try:
            digits = check_hs_code(code, field="code")
        except ValidationFailed as error:
            for problem in error.problems:
                read.fail("code", problem.rule, problem.message)
        else:
            if len(digits) < 4:
                read.fail(
                    "code", "tariff.code_level", "give a heading, subheading or national line"
                )
    valid_from = read.date("valid_from")
    duty = read.decimal(
        "duty_rate", low=Decimal(0), high=MAX_DUTY_RATE, high_open=False, rule="rate_range"
    )
    specific = read.decimal(
        "specific_duty_cny",
        low=Decimal(0),
        high=None,
        high_open=False,
        rule="must_not_be_negative",
        required=False,
    )
    unit = read.row.get("specific_duty_unit", "")
    if bool(read.row.get("specific_duty_cny")) != bool(unit):
        read.fail(
            "specific_duty_unit",
            "tariff.specific_duty_needs_unit",
            "give both the specific duty and its unit, or neither",
        )
    elif unit and not _UNIT.fullmatch(unit):
        read.fail("specific_duty_unit", "unit_format", f"{unit!r}: lower-case, e.g. kg, l, m2")
    consumption = read.decimal(
        "consumption_tax_rate",
        low=Decimal(0),
        high=Decimal(1),
        high_open=True,
        rule="rate_range",
        required=False,
    )
    vat = read.decimal(
        "vat_rate", low=Decimal(0), high=Decimal(1), high_open=True, rule="rate_range"
    )
    description = read.text("description")
    if len(read.problems) > before or valid_from is None or duty is None or vat is None:
        return None
    return TariffRate(
        code=digits,
        valid_from=valid_from,
        duty_rate=duty,
        specific_duty_cny=specific,
        specific_duty_unit=unit or None,
        consumption_tax_rate=consumption if consumption is not None else Decimal(0),
        vat_rate=vat,
        description=description,
        row=read.number,
    )


def refused(source: str, what: str, problems: list[FieldProblem]) -> ValidationFailed:
    """One error listing every problem of an imported table."""
    noun = "problem" if len(problems) == 1 else "problems"
    return ValidationFailed(f"{source}: {what} refused, {len(problems)} {noun}", problems=problems)


def read_csv_file(path: Path, *, rule: str) -> str:
    """The text of a reference CSV file (a BOM is dropped); unreadable, a ValidationFailed."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed.single(rule, "file_unreadable", f"{path}: {error}") from None


def packaged_text(name: str) -> str:
    """The text of a file shipped in ``hetao/reference/data``."""
    return files("hetao.reference").joinpath("data", name).read_text(encoding="utf-8")


def load_tariff(path: Path | None = None) -> Tariff:
    """The tariff in ``path``, or the shipped sample table when no path is given."""
    if path is None:
        return _sample_tariff()
    return import_tariff(read_csv_file(path, rule="tariff"), source=str(path))


@functools.cache
def _sample_tariff() -> Tariff:
    return import_tariff(packaged_text(SAMPLE_TARIFF), source=SAMPLE_TARIFF)
