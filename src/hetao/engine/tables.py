"""The shape of a rule set: columns, conditions, rows, decision tables, and their compilation.

Each table is compiled at load into one generated Python function, and a rule set into one that
fires every table: the gate's hot path calls only those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from hetao.engine.facts import (
    Outcome,
)

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


# --- compiled predicates (built once at load: the hot path calls only these) ------------


def member(values: frozenset[Any]) -> Predicate:
    return values.__contains__


def starts_with(prefixes: tuple[str, ...]) -> Predicate:
    def test(value: Any) -> bool:
        return value is not None and bool(value.startswith(prefixes))

    return test


def in_range(
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
            # int values, which is exact and cheaper than int against Decimal.
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
