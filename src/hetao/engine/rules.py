"""Risk rules as data: decision tables in JSON, validated on load, precompiled for speed.

A rule set is ``{"version", "activates_at", "description", "zone"?, "tables": [...]}``; a table
is ``{"name", "description", "hit_policy": "first" | "collect_max", "inputs": [columns],
"rows": [{"when": {column: condition}, "outcome", "score", "reason": {...}}]}``. Conditions:
``"-"`` any value, an exact value, a list (any of), a range ``"[a..b)"`` / ``"(a..]"`` for
numeric columns, and for ``hs_code`` a code whose digits the line's code must start with.
Tables over goods columns are evaluated once per goods line; the others once per party.
See docs/decisions/0003-decision-tables.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hetao.engine.facts import (
    OUTCOME_SEVERITY,
    ConsignmentFacts,
    CrossingFacts,
    Outcome,
    PartyFacts,
    PersonFacts,
    VehicleFacts,
)
from hetao.errors import FieldProblem, ValidationFailed
from hetao.profiles import ZoneProfile, load_profile
from hetao.reference.countries import check_country
from hetao.reference.hs import check_hs_code, lookup
from hetao.registry.identifiers import InvalidIdentifier, check_hk_br, check_uscc

SHIPPED_RULE_SET = "hetao-2026.11.json"
LANGUAGES = ("en", "zh-Hant", "zh-Hans")

# Registry CreditLevel values (Decree 282, R26); the engine may not import the registry.
CREDIT_LEVELS = ("advanced_certified", "certified", "regular", "dishonest", "seriously_dishonest")


class HitPolicy(StrEnum):
    """How many rows of a table may fire for one input."""

    FIRST = "first"
    """The first matching row, top to bottom."""
    COLLECT_MAX = "collect_max"
    """Every matching row; the table counts with its highest score and most severe outcome."""


class ColumnType(StrEnum):
    """How a column's conditions are written and compared."""

    TEXT = "text"
    """Exact value or list of values."""
    NUMBER = "number"
    """Exact value, list, or range; decimals as strings."""
    INTEGER = "integer"
    """Exact value, list, or range of whole numbers."""
    PREFIX = "prefix"
    """HS code digits the line's code must start with (or a list of such)."""
    BOOLEAN = "boolean"
    """true or false."""


@dataclass(frozen=True, slots=True)
class Column:
    """One input column of the closed list."""

    name: str
    type: ColumnType
    goods: bool
    """Whether the value comes from a goods line (the table then runs per line)."""
    description: str
    minimum: int | None = None
    maximum: int | None = None


COLUMNS: dict[str, Column] = {
    c.name: c
    for c in (
        Column("hs_chapter", ColumnType.TEXT, True, "HS 2022 chapter (2 digits)"),
        Column("hs_heading", ColumnType.TEXT, True, "HS 2022 heading (4 digits)"),
        Column("hs_code", ColumnType.PREFIX, True, "HS code prefix (2-10 digits)"),
        Column("origin", ColumnType.TEXT, True, "country of origin, ISO 3166-1 alpha-2"),
        Column("value_cny", ColumnType.NUMBER, True, "value of the goods line in CNY"),
        Column("goods_kind", ColumnType.TEXT, True, "goods kind (profile waiver_goods_kinds)"),
        Column("bonded", ColumnType.BOOLEAN, True, "whether the goods line is bonded"),
        Column("party_credit_level", ColumnType.TEXT, False, "customs credit level of the party"),
        Column(
            "party_code",
            ColumnType.TEXT,
            False,
            "the party's unified social credit code or HK business registration number "
            "(one policy per enterprise)",
        ),
        Column(
            "party_inspections_last_365d",
            ColumnType.INTEGER,
            False,
            "inspections of the party's crossings in the last 365 days",
            minimum=0,
        ),
        Column(
            "party_discrepancies_last_365d",
            ColumnType.INTEGER,
            False,
            "inspections with a discrepancy in the last 365 days",
            minimum=0,
        ),
        Column("hour", ColumnType.INTEGER, False, "hour of day at the zone", 0, 23),
        Column("weekday", ColumnType.INTEGER, False, "ISO weekday at the zone, 1 = Monday", 1, 7),
        Column("crossing_point", ColumnType.TEXT, False, "crossing point code of the profile"),
        Column("line", ColumnType.TEXT, False, "first or second line"),
        Column("direction", ColumnType.TEXT, False, "inbound or outbound"),
        Column("subject_type", ColumnType.TEXT, False, "person, vehicle or consignment"),
    )
}

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_RANGE = re.compile(r"^\s*([\[(])\s*([^.\s\])]*)\s*\.\.\s*([^\s\])]*)\s*([\])])\s*$")

Predicate = Callable[[Any], bool]
Context = dict[str, Any]
Contexts = Sequence[tuple[str, Context]]
"""(subject, context) pairs: "line[2]" and its goods line's values, "party" and the party's."""
Fired = tuple[str, Context, "Row"]
"""A row that fired, with the subject and the context it fired on."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition: its source text, its JSON form, and how to test a value."""

    column: str
    source: Any
    kind: str
    """"exact", "set", "range" or "prefix"."""
    values: tuple[Any, ...] = ()
    low: Decimal | None = None
    low_closed: bool = True
    high: Decimal | None = None
    high_closed: bool = False
    test: Predicate = field(default=bool, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ReasonText:
    """The reason a row gives, authored with the table."""

    code: str
    text: dict[str, str]
    fields: tuple[str, ...] = ()
    """The columns the texts name, so only those are formatted when the row fires."""

    def render(self, ctx: Mapping[str, Any]) -> dict[str, str]:
        """The texts with the context's values filled in (an absent value reads "-").

        A text without placeholders is returned as authored, shared: never mutate it.
        """
        if not self.fields:
            return self.text
        values = {k: "-" if ctx[k] is None else str(ctx[k]) for k in self.fields}
        return {lang: text.format_map(values) for lang, text in self.text.items()}


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a decision table (``number`` is 1-based as authors count)."""

    number: int
    conditions: tuple[Condition, ...]
    outcome: Outcome
    score: int
    reason: ReasonText
    checks: tuple[tuple[str, Predicate], ...] = field(default=(), compare=False, repr=False)
    rule: str = ""
    """``risk:<table>:<row>``, the id a decision's reason carries."""
    severity: int = 0
    """``OUTCOME_SEVERITY[outcome]``, looked up once."""


@dataclass(frozen=True, slots=True)
class Table:
    """A decision table."""

    name: str
    description: str
    hit_policy: HitPolicy
    inputs: tuple[str, ...]
    rows: tuple[Row, ...]
    per_goods_line: bool
    compiled: Callable[[Context], Sequence[Row]] = field(
        default=lambda _: (), compare=False, repr=False
    )
    """The table as one generated Python function (see ``compile_table``): the hot path."""

    def rule_id(self, row: Row) -> str:
        """The stable id of a row: ``risk:<table>:<row>``."""
        return row.rule

    def evaluate(self, ctx: Context) -> list[Row]:
        """The rows that fire for ``ctx`` under the table's hit policy."""
        fired: list[Row] = []
        first = self.hit_policy is HitPolicy.FIRST
        for row in self.rows:
            for column, test in row.checks:
                if not test(ctx[column]):
                    break
            else:
                fired.append(row)
                if first:
                    break
        return fired


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A versioned set of decision tables with the moment it takes effect."""

    version: str
    activates_at: dt.datetime
    description: str
    tables: tuple[Table, ...]
    content_hash: str
    """SHA-256 of the canonical JSON of the source: what a stored decision refers to."""
    source: dict[str, Any] = field(compare=False, repr=False)
    """The validated JSON document, for storage and back-testing."""
    zone: str | None = None
    fire: Callable[[Contexts, Contexts], list[Fired]] = field(init=False, compare=False, repr=False)
    """Every table in one generated function (see ``compile_rule_set``): what ``decide`` calls."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fire", compile_rule_set(self.tables))  # frozen: derived once

    @property
    def row_count(self) -> int:
        """How many rows the tables hold together."""
        return sum(len(t.rows) for t in self.tables)


@dataclass(slots=True)
class Hit:
    """A row that fired, with the context it fired on."""

    table: Table
    row: Row
    ctx: Context
    subject: str

    @property
    def rule_id(self) -> str:
        """``risk:<table>:<row>``."""
        return self.table.rule_id(self.row)

    def texts(self) -> dict[str, str]:
        """The row's reason texts with column values filled in (an absent value reads "-")."""
        return dict(self.row.reason.render(self.ctx))


# --- loading and validation -----------------------------------------------------------------


class _Problems:
    """Collects every problem of a rule set, so an author sees them all at once."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, at: str, rule: str, message: str) -> None:
        self.items.append(FieldProblem(at, rule, message))


def canonical_json(data: Any) -> str:
    """The canonical text a content hash is taken over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def load_rule_set(data: Mapping[str, Any] | Path, *, profile: ZoneProfile | None = None) -> RuleSet:
    """Validate and compile a rule set; ``ValidationFailed`` names table, row and column.

    Crossing points and goods kinds are checked against ``profile`` (``hetao`` if None).
    """
    if isinstance(data, Path):
        try:
            document = json.loads(data.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationFailed.single("rules", "file_unreadable", str(exc)) from None
        except json.JSONDecodeError as exc:
            raise ValidationFailed.single(
                "rules", "json_malformed", f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
    else:
        document = data
    profile = profile if profile is not None else load_profile("hetao")
    problems = _Problems()
    rule_set = _RuleSetParser(profile, problems).parse(document)
    if problems.items or rule_set is None:
        first = problems.items[0]
        more = f" (and {len(problems.items) - 1} more)" if len(problems.items) > 1 else ""
        raise ValidationFailed(
            f"rule set refused: {first.field}: {first.rule}: {first.message}{more}",
            problems=problems.items,
        )
    return rule_set


class _RuleSetParser:
    def __init__(self, profile: ZoneProfile, problems: _Problems) -> None:
        self.profile = profile
        self.problems = problems
        self.vocabularies: dict[str, frozenset[str]] = {
            "party_credit_level": frozenset(CREDIT_LEVELS),
            "crossing_point": frozenset(p.code for p in profile.crossing_points),
            "line": frozenset({"first", "second"}),
            "direction": frozenset({"inbound", "outbound"}),
            "subject_type": frozenset({"person", "vehicle", "consignment"}),
            "goods_kind": frozenset(profile.whitelist.waiver_goods_kinds),
        }

    def parse(self, document: Any) -> RuleSet | None:
        p = self.problems
        if not isinstance(document, Mapping):
            p.add("rules", "object_required", "a rule set is a JSON object")
            return None
        known = {"version", "activates_at", "description", "zone", "tables"}
        for key in document:
            if key not in known:
                p.add(str(key), "unknown_key", f"not a rule set key; use {sorted(known)}")
        version = document.get("version")
        if not isinstance(version, str) or not _VERSION.fullmatch(version):
            p.add("version", "version_malformed", "letters, digits, '.', '_' or '-', 1-40 long")
        activates_at = self._datetime(document.get("activates_at"))
        description = document.get("description")
        if not isinstance(description, str) or not description.strip():
            p.add("description", "required", "say what the rule set is for and where it came from")
        zone = document.get("zone")
        if zone is not None and zone != self.profile.zone.code:
            p.add("zone", "zone_mismatch", f"{zone!r} is not this profile's zone")
        raw_tables = document.get("tables")
        tables: list[Table] = []
        if not isinstance(raw_tables, list) or not raw_tables:
            p.add("tables", "tables_required", "a non-empty list of decision tables")
        else:
            names: set[str] = set()
            for index, raw in enumerate(raw_tables):
                table = self._table(index, raw, names)
                if table is not None:
                    tables.append(table)
        if p.items or not isinstance(version, str) or not isinstance(description, str):
            return None
        if activates_at is None:
            return None
        source = json.loads(json.dumps(document))
        return RuleSet(
            version=version,
            activates_at=activates_at,
            description=description,
            tables=tuple(tables),
            content_hash=hashlib.sha256(canonical_json(source).encode()).hexdigest(),
            source=source,
            zone=zone if isinstance(zone, str) else None,
        )

    def _datetime(self, value: Any) -> dt.datetime | None:
        if not isinstance(value, str):
            self.problems.add("activates_at", "required", "an ISO date-time with its UTC offset")
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            self.problems.add("activates_at", "datetime_format", f"{value!r} is not ISO 8601")
            return None
        if parsed.utcoffset() is None:
            self.problems.add("activates_at", "timezone_required", "must carry a UTC offset")
            return None
        return parsed.astimezone(dt.UTC)

    def _table(self, index: int, raw: Any, names: set[str]) -> Table | None:
        p = self.problems
        name = raw.get("name") if isinstance(raw, Mapping) else None
        at = (
            f"tables[{name}]"
            if isinstance(name, str) and _NAME.fullmatch(name)
            else f"tables[{index + 1}]"
        )
        if not isinstance(raw, Mapping):
            p.add(at, "object_required", "a table is a JSON object")
            return None
        before = len(p.items)
        known = {"name", "description", "hit_policy", "inputs", "rows"}
        for key in raw:
            if key not in known:
                p.add(f"{at}.{key}", "unknown_key", f"not a table key; use {sorted(known)}")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            p.add(f"{at}.name", "name_malformed", "lower-case letters, digits, '-' or '_'")
        elif name in names:
            p.add(f"{at}.name", "must_be_unique", f"table {name} is defined twice")
        else:
            names.add(name)
        description = raw.get("description", "")
        if not isinstance(description, str):
            p.add(f"{at}.description", "a_string_required", "must be a string")
            description = ""
        try:
            hit_policy = HitPolicy(str(raw.get("hit_policy")))
        except ValueError:
            p.add(f"{at}.hit_policy", "unknown_hit_policy", "use first or collect_max")
            hit_policy = HitPolicy.FIRST
        inputs = raw.get("inputs")
        columns: list[str] = []
        if not isinstance(inputs, list) or not inputs:
            p.add(f"{at}.inputs", "inputs_required", "a non-empty list of input columns")
        else:
            for i, column in enumerate(inputs):
                if column not in COLUMNS:
                    p.add(
                        f"{at}.inputs[{i + 1}]",
                        "unknown_column",
                        f"{column!r} is not one of {', '.join(COLUMNS)}",
                    )
                elif column in columns:
                    p.add(f"{at}.inputs[{i + 1}]", "must_be_unique", f"{column} is listed twice")
                else:
                    columns.append(column)
        raw_rows = raw.get("rows")
        rows: list[Row] = []
        if not isinstance(raw_rows, list) or not raw_rows:
            p.add(f"{at}.rows", "rows_required", "a non-empty list of rows")
        else:
            for number, raw_row in enumerate(raw_rows, start=1):
                row = self._row(f"{at}.rows[{number}]", number, raw_row, columns, str(name))
                if row is not None:
                    rows.append(row)
        if len(p.items) > before or not isinstance(name, str):
            return None
        return Table(
            name=name,
            description=description,
            hit_policy=hit_policy,
            inputs=tuple(columns),
            rows=tuple(rows),
            per_goods_line=any(COLUMNS[c].goods for c in columns),
            compiled=compile_table(name, hit_policy, tuple(columns), tuple(rows)),
        )

    def _row(
        self, at: str, number: int, raw: Any, columns: Sequence[str], table: str
    ) -> Row | None:
        p = self.problems
        if not isinstance(raw, Mapping):
            p.add(at, "object_required", "a row is a JSON object")
            return None
        before = len(p.items)
        known = {"when", "outcome", "score", "reason", "note"}
        for key in raw:
            if key not in known:
                p.add(f"{at}.{key}", "unknown_key", f"not a row key; use {sorted(known)}")
        when = raw.get("when", {})
        conditions: list[Condition] = []
        if not isinstance(when, Mapping):
            p.add(f"{at}.when", "object_required", "conditions by column name")
            when = {}
        for column, source in when.items():
            if column not in columns:
                p.add(f"{at}.{column}", "column_not_an_input", "list it in the table's inputs")
                continue
            condition = self._condition(f"{at}.{column}", column, source)
            if condition is not None and condition.kind != "any":
                conditions.append(condition)
        try:
            outcome = Outcome(str(raw.get("outcome")))
        except ValueError:
            p.add(f"{at}.outcome", "unknown_outcome", "use release, inspect or refuse")
            outcome = Outcome.RELEASE
        score = raw.get("score")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
            p.add(f"{at}.score", "score_out_of_range", "a whole number from 0 to 100")
            score = 0
        reason = self._reason(f"{at}.reason", raw.get("reason"), columns)
        if len(p.items) > before or reason is None:
            return None
        return Row(
            number=number,
            conditions=tuple(conditions),
            outcome=outcome,
            score=score,
            reason=reason,
            checks=tuple((c.column, c.test) for c in conditions),
            rule=f"risk:{table}:{number}",
            severity=OUTCOME_SEVERITY[outcome],
        )

    def _reason(self, at: str, raw: Any, columns: Sequence[str]) -> ReasonText | None:
        p = self.problems
        if not isinstance(raw, Mapping):
            p.add(at, "reason_required", 'give {"code", "en", "zh-Hant", "zh-Hans"}')
            return None
        code = raw.get("code")
        ok = True
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            p.add(f"{at}.code", "code_malformed", "dotted lower-case, e.g. risk.high_value")
            ok = False
        texts: dict[str, str] = {}
        named: set[str] = set()
        for lang in LANGUAGES:
            text = raw.get(lang)
            if not isinstance(text, str) or not text.strip():
                p.add(f"{at}.{lang}", "text_required", f"the reason in {lang}")
                ok = False
                continue
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
            except ValueError as exc:
                p.add(f"{at}.{lang}", "placeholder_malformed", str(exc))
                ok = False
                continue
            # A table run per goods line sees every column; the others only crossing columns.
            per_line = any(COLUMNS[c].goods for c in columns)
            named.update(fields)
            for name in fields:
                if name not in COLUMNS or (COLUMNS[name].goods and not per_line):
                    p.add(
                        f"{at}.{lang}",
                        "unknown_placeholder",
                        f"{{{name}}} is not a column this table sees",
                    )
                    ok = False
            texts[lang] = text
        for key in raw:
            if key not in ("code", *LANGUAGES):
                p.add(f"{at}.{key}", "unknown_key", "a reason has code, en, zh-Hant, zh-Hans")
                ok = False
        if not ok or not isinstance(code, str):
            return None
        return ReasonText(code=code, text=texts, fields=tuple(sorted(named)))

    # --- conditions ---------------------------------------------------------------------

    def _condition(self, at: str, column: str, source: Any) -> Condition | None:
        spec = COLUMNS[column]
        if source == "-":
            return Condition(column, source, "any")
        if spec.type is ColumnType.BOOLEAN:
            if not isinstance(source, bool):
                self.problems.add(at, "boolean_required", 'true, false or "-"')
                return None
            return Condition(column, source, "exact", (source,), test=_member(frozenset({source})))
        if spec.type is ColumnType.PREFIX:
            items = source if isinstance(source, list) else [source]
            prefixes = [self._prefix(at, item) for item in items]
            if not items:
                self.problems.add(at, "set_empty", "a list needs at least one value")
                return None
            if any(x is None for x in prefixes):
                return None
            clean = tuple(x for x in prefixes if x is not None)
            return Condition(column, source, "prefix", clean, test=_starts_with(clean))
        if isinstance(source, list):
            if not source:
                self.problems.add(at, "set_empty", "a list needs at least one value")
                return None
            values = [self._exact(at, column, item) for item in source]
            if any(v is None for v in values):
                return None
            clean_values = tuple(values)
            return Condition(column, source, "set", clean_values, test=_member(frozenset(values)))
        if (
            isinstance(source, str)
            and spec.type in (ColumnType.NUMBER, ColumnType.INTEGER)
            and ".." in source
        ):
            return self._range(at, column, source)
        value = self._exact(at, column, source)
        if value is None:
            return None
        return Condition(column, source, "exact", (value,), test=_member(frozenset({value})))

    def _prefix(self, at: str, item: Any) -> str | None:
        if not isinstance(item, str):
            self.problems.add(at, "hs_code_required", "HS code digits as a string")
            return None
        try:
            return check_hs_code(item, field=at)
        except ValidationFailed as exc:
            self.problems.items.extend(exc.problems)
            return None

    def _exact(self, at: str, column: str, item: Any) -> Any:
        spec = COLUMNS[column]
        p = self.problems
        if spec.type is ColumnType.INTEGER:
            if isinstance(item, bool) or not isinstance(item, int):
                p.add(at, "integer_required", f"{item!r} is not a whole number")
                return None
            if (spec.minimum is not None and item < spec.minimum) or (
                spec.maximum is not None and item > spec.maximum
            ):
                p.add(at, "out_of_range", f"{item} is outside {spec.minimum}..{spec.maximum}")
                return None
            return item
        if spec.type is ColumnType.NUMBER:
            return self._decimal(at, item)
        if not isinstance(item, str):
            p.add(at, "a_string_required", f"{item!r} is not a string")
            return None
        if column == "hs_chapter":
            entry = lookup(item)
            if len(item) != 2 or entry is None or entry.level != 2:
                p.add(at, "hs2022.unknown_chapter", f"chapter {item!r} is not in HS 2022")
                return None
            return item
        if column == "hs_heading":
            entry = lookup(item)
            if len(item) != 4 or entry is None or entry.level != 4:
                p.add(at, "hs2022.unknown_heading", f"heading {item!r} is not in HS 2022")
                return None
            return item
        if column == "origin":
            try:
                return check_country(item, field=at)
            except ValidationFailed as exc:
                p.items.extend(exc.problems)
                return None
        if column == "party_code":
            return self._party_code(at, item)
        vocabulary = self.vocabularies[column]
        if item not in vocabulary:
            rule = {
                "crossing_point": "unknown_crossing_point",
                "goods_kind": "unknown_goods_kind",
            }.get(column, "unknown_value")
            p.add(at, rule, f"{item!r} is not one of {', '.join(sorted(vocabulary))}")
            return None
        return item

    def _party_code(self, at: str, item: str) -> str | None:
        """A USCC (GB 32100-2015, 18 characters) or a HK business registration number, as
        the registry stores it: a code that names no possible party would never match."""
        check = check_uscc if len(item.strip()) == 18 else check_hk_br
        try:
            code = check(item)
        except InvalidIdentifier as exc:
            self.problems.add(at, exc.rule, exc.message)
            return None
        if code != item:
            self.problems.add(at, "party_code_not_normalised", f"write it as {code!r}")
            return None
        return code

    def _decimal(self, at: str, item: Any) -> Decimal | None:
        # Floats are binary approximations; amounts are written as strings or whole numbers.
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            self.problems.add(at, "decimal_string_required", 'write amounts as "12000.50"')
            return None
        try:
            value = Decimal(str(item).strip())
        except InvalidOperation:
            self.problems.add(at, "decimal_format", f"{item!r} is not a decimal number")
            return None
        if not value.is_finite():
            self.problems.add(at, "decimal_format", f"{item!r} is not finite")
            return None
        return value

    def _range(self, at: str, column: str, source: str) -> Condition | None:
        match = _RANGE.fullmatch(source)
        if match is None:
            self.problems.add(at, "range_malformed", 'write "[a..b)", "[a..)" or "(..b]"')
            return None
        opening, low_text, high_text, closing = match.groups()
        bounds: list[Decimal | None] = []
        for text in (low_text, high_text):
            if text == "":
                bounds.append(None)
                continue
            try:
                bound = Decimal(text)
            except InvalidOperation:
                self.problems.add(at, "range_malformed", f"{text!r} is not a number")
                return None
            if not bound.is_finite():
                self.problems.add(at, "range_malformed", f"{text!r} is not finite")
                return None
            if COLUMNS[column].type is ColumnType.INTEGER and bound != bound.to_integral_value():
                self.problems.add(at, "range_malformed", f"{text} is not a whole number")
                return None
            bounds.append(bound)
        low, high = bounds
        if low is None and high is None:
            self.problems.add(at, "range_unbounded", 'a range with no bounds is "-"')
            return None
        low_closed, high_closed = opening == "[", closing == "]"
        if (
            low is not None
            and high is not None
            and (low > high or (low == high and not (low_closed and high_closed)))
        ):
            self.problems.add(at, "range_empty", f"{source} contains no value")
            return None
        return Condition(
            column,
            source,
            "range",
            low=low,
            low_closed=low_closed,
            high=high,
            high_closed=high_closed,
            test=_in_range(low, low_closed, high, high_closed),
        )


# --- compiled predicates (built once at load: the hot path calls only these) ------------


def _member(values: frozenset[Any]) -> Predicate:
    return values.__contains__


def _starts_with(prefixes: tuple[str, ...]) -> Predicate:
    def test(value: Any) -> bool:
        return value is not None and bool(value.startswith(prefixes))

    return test


def _in_range(
    low: Decimal | None, low_closed: bool, high: Decimal | None, high_closed: bool
) -> Predicate:
    def test(value: Any) -> bool:
        if value is None:
            return False
        if low is not None and (value < low if low_closed else value <= low):
            return False
        return not (high is not None and (value > high if high_closed else value >= high))

    return test


def _row_test(row: Row, variable: dict[str, str], namespace: dict[str, Any], key: str) -> str:
    """The Python expression true when ``row`` matches; its values go into ``namespace``
    under names starting with ``key``, the columns are read from ``variable``'s names."""
    tests: list[str] = []
    for j, condition in enumerate(row.conditions):
        v, k = variable[condition.column], f"{key}_{j}"
        if condition.kind == "exact":
            namespace[k] = condition.values[0]
            tests.append(f"{v} == {k}")
        elif condition.kind == "set":
            namespace[k] = frozenset(condition.values)
            tests.append(f"{v} in {k}")
        elif condition.kind == "prefix":
            namespace[k] = condition.values
            tests.append(f"({v} is not None and {v}.startswith({k}))")
        else:
            # Bounds of whole-number columns are whole (validated): compared as int with the
            # int values, which is exact and several times cheaper than int against Decimal.
            bound = int if COLUMNS[condition.column].type is ColumnType.INTEGER else Decimal
            parts = [f"{v} is not None"]
            if condition.low is not None:
                namespace[f"{k}_lo"] = bound(condition.low)
                parts.append(f"{v} {'>=' if condition.low_closed else '>'} {k}_lo")
            if condition.high is not None:
                namespace[f"{k}_hi"] = bound(condition.high)
                parts.append(f"{v} {'<=' if condition.high_closed else '<'} {k}_hi")
            tests.append("(" + " and ".join(parts) + ")")
    return " and ".join(tests) or "True"


def compile_table(
    name: str, hit_policy: HitPolicy, inputs: tuple[str, ...], rows: tuple[Row, ...]
) -> Callable[[Context], Sequence[Row]]:
    """Generate one Python function testing the rows top to bottom with inline comparisons.

    Only column names (from the closed list) and indexes reach the source text; every value
    an author wrote is bound through the function's namespace, never pasted into code.
    ``Table.evaluate`` is the plain interpreter of the same rows; tests hold them equal.
    """
    namespace: dict[str, Any] = {"rows": rows}
    variable = {column: f"c{i}" for i, column in enumerate(inputs)}
    source = ["def evaluate(ctx):"]
    source += [f"    {variable[c]} = ctx[{c!r}]" for c in inputs]
    collect = hit_policy is HitPolicy.COLLECT_MAX
    if collect:
        source.append("    out = []")
    for r, row in enumerate(rows):
        test = _row_test(row, variable, namespace, f"k{r}")
        hit = f"out.append(rows[{r}])" if collect else f"return (rows[{r}],)"
        source.append(f"    if {test}:")
        source.append(f"        {hit}")
    source.append("    return out" if collect else "    return ()")
    exec(compile("\n".join(source), f"<decision table {name}>", "exec"), namespace)  # noqa: S102
    function: Callable[[Context], Sequence[Row]] = namespace["evaluate"]
    return function


def compile_rule_set(tables: Sequence[Table]) -> Callable[[Contexts, Contexts], list[Fired]]:
    """All tables as one generated function ``fire(goods, crossing)``.

    The rows fired, table by table in order and within a table input by input, as ``evaluate``
    finds them: one call per decision instead of one per table and input. Built by the same
    rules as ``compile_table`` (only column names and indexes reach the source text).
    """
    namespace: dict[str, Any] = {}
    source = ["def fire(goods, crossing):", "    fired = []", "    hit = fired.append"]
    for t, table in enumerate(tables):
        if not table.rows:
            continue
        namespace[f"rows{t}"] = table.rows
        source.append(f"    for where, ctx in {'goods' if table.per_goods_line else 'crossing'}:")
        source += [f"        c{i} = ctx[{c!r}]" for i, c in enumerate(table.inputs)]
        variable = {column: f"c{i}" for i, column in enumerate(table.inputs)}
        first = table.hit_policy is HitPolicy.FIRST
        for r, row in enumerate(table.rows):
            test = _row_test(row, variable, namespace, f"t{t}_{r}")
            # Under "first" the rows form one if/elif chain: the first match ends the table.
            keyword = "elif" if first and r else "if"
            source.append(f"        {keyword} {test}:")
            source.append(f"            hit((where, ctx, rows{t}[{r}]))")
    source.append("    return fired")
    exec(compile("\n".join(source), "<rule set>", "exec"), namespace)  # noqa: S102
    function: Callable[[Contexts, Contexts], list[Fired]] = namespace["fire"]
    return function


# --- shipped rule sets ----------------------------------------------------------------------


def shipped_rule_set_path(name: str = SHIPPED_RULE_SET) -> Path:
    """Where a shipped rule set lives."""
    return Path(str(files("hetao.engine").joinpath("rulesets", name)))


@functools.cache
def shipped_rule_set() -> RuleSet:
    """The default rule set shipped in ``engine/rulesets/`` (validated against ``hetao``)."""
    return load_rule_set(shipped_rule_set_path())


def rule_set_to_json(rule_set: RuleSet) -> dict[str, Any]:
    """The rule set's source document (what ``load_rule_set`` reads back)."""
    copy: dict[str, Any] = json.loads(json.dumps(rule_set.source))
    return copy


# --- evaluation -----------------------------------------------------------------------------


def _party_values(party: PartyFacts | None) -> Context:
    if party is None:
        return _NO_PARTY
    return {
        "party_code": party.code,
        "party_credit_level": party.credit_level,
        "party_inspections_last_365d": party.inspections_last_365d,
        "party_discrepancies_last_365d": party.discrepancies_last_365d,
    }


_NO_PARTY: Context = {
    "party_code": None,
    "party_credit_level": None,
    "party_inspections_last_365d": None,
    "party_discrepancies_last_365d": None,
}


@dataclass(frozen=True, slots=True)
class RiskInputs:
    """The contexts the tables run over: one per party (or the crossing), one per goods line."""

    crossing: tuple[tuple[str, Context], ...]
    goods: tuple[tuple[str, Context], ...]


_SUBJECT_TYPES: dict[type, str] = {
    PersonFacts: "person",
    VehicleFacts: "vehicle",
    ConsignmentFacts: "consignment",
}


@functools.lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def risk_inputs(
    facts: CrossingFacts, timezone: str, *, local: dt.datetime | None = None
) -> RiskInputs:
    """Build the tables' contexts from the facts; ``timezone`` is the zone's.

    ``local`` is the crossing time at the zone when the caller already has it.
    """
    if local is None:
        local = facts.occurred_at.astimezone(_zone(timezone))
    goods, crossing = risk_contexts(facts, local)
    return RiskInputs(crossing=crossing, goods=goods)


def risk_contexts(
    facts: CrossingFacts, local: dt.datetime
) -> tuple[tuple[tuple[str, Context], ...], tuple[tuple[str, Context], ...]]:
    """``risk_inputs`` as (goods, crossing), the arguments of ``RuleSet.fire``; ``local`` is
    the crossing time at the zone."""
    subject = facts.subject
    if type(subject) is PersonFacts:
        # The commonest crossing: one context, no party, no goods, built in one go.
        person: Context = {
            "hour": local.hour,
            "weekday": local.isoweekday(),
            "crossing_point": facts.crossing_point,
            "line": facts.line,
            "direction": facts.direction,
            "subject_type": "person",
            "party_code": None,
            "party_credit_level": None,
            "party_inspections_last_365d": None,
            "party_discrepancies_last_365d": None,
        }
        return (), (("", person),)
    base: Context = {
        "hour": local.hour,
        "weekday": local.isoweekday(),
        "crossing_point": facts.crossing_point,
        "line": facts.line,
        "direction": facts.direction,
        "subject_type": _SUBJECT_TYPES[type(subject)],
    }
    consignments: list[tuple[str, ConsignmentFacts]] = []
    parties: list[tuple[str, PartyFacts | None]] = []
    if isinstance(subject, ConsignmentFacts):
        consignments.append(("", subject))
        parties.append(("party", subject.party))
    elif isinstance(subject, VehicleFacts):
        parties.append(("owner", subject.owner))
        for index, c in enumerate(subject.consignments):
            consignments.append((f"consignment[{index + 1}].", c))
            if c.party is not None and all(
                p is None or p.party_id != c.party.party_id for _, p in parties
            ):
                parties.append((f"consignment[{index + 1}].party", c.party))
    else:  # a person: the crossing's own context, no party
        parties.append(("", None))
    crossing: list[tuple[str, Context]] = []
    for label, party in parties:
        crossing.append((label, {**base, **_party_values(party)}))
    goods: list[tuple[str, Context]] = []
    for prefix, c in consignments:
        party_ctx = {**base, **_party_values(c.party)}
        for line in c.lines:
            digits = line.hs_code.replace(".", "").replace(" ", "")
            # The party's values and the line's in one dict (this runs for every goods line).
            line_ctx = {
                **party_ctx,
                "hs_chapter": digits[:2],
                "hs_heading": digits[:4],
                "hs_code": digits,
                "origin": line.origin,
                "value_cny": line.value_cny,
                "goods_kind": line.goods_kind,
                "bonded": line.bonded,
            }
            goods.append((f"{prefix}line[{line.line_no}]", line_ctx))
    return tuple(goods), tuple(crossing)


def evaluate(rule_set: RuleSet, inputs: RiskInputs) -> list[Hit]:
    """Every row that fires, table by table, in table and input order."""
    hits: list[Hit] = []
    for table in rule_set.tables:
        evaluate_table = table.compiled
        for subject, ctx in inputs.goods if table.per_goods_line else inputs.crossing:
            for row in evaluate_table(ctx):
                hits.append(Hit(table, row, ctx, subject))
    return hits


def evaluate_interpreted(rule_set: RuleSet, inputs: RiskInputs) -> list[Hit]:
    """``evaluate`` through ``Table.evaluate``: the reference the compiled tables must match."""
    hits: list[Hit] = []
    for table in rule_set.tables:
        for subject, ctx in inputs.goods if table.per_goods_line else inputs.crossing:
            for row in table.evaluate(ctx):
                hits.append(Hit(table, row, ctx, subject))
    return hits


def summarise(hits: Sequence[Hit]) -> tuple[Outcome, int]:
    """The most severe outcome and the highest score among ``hits``."""
    outcome, score = Outcome.RELEASE, 0
    for hit in hits:
        if OUTCOME_SEVERITY[hit.row.outcome] > OUTCOME_SEVERITY[outcome]:
            outcome = hit.row.outcome
        score = max(score, hit.row.score)
    return outcome, score


__all__ = [
    "COLUMNS",
    "CREDIT_LEVELS",
    "Column",
    "ColumnType",
    "Condition",
    "Hit",
    "HitPolicy",
    "ReasonText",
    "RiskInputs",
    "Row",
    "RuleSet",
    "Table",
    "canonical_json",
    "compile_rule_set",
    "compile_table",
    "evaluate",
    "evaluate_interpreted",
    "load_rule_set",
    "risk_contexts",
    "risk_inputs",
    "rule_set_to_json",
    "shipped_rule_set",
    "shipped_rule_set_path",
    "summarise",
]
