"""Reading a rule set document: every problem found at once, named by table, row and column."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import string
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from hetao.engine.facts import (
    OUTCOME_SEVERITY,
    Outcome,
)
from hetao.engine.tables import (
    COLUMNS,
    CREDIT_LEVELS,
    LANGUAGES,
    ColumnType,
    Condition,
    HitPolicy,
    ReasonText,
    Row,
    RuleSet,
    Table,
    compile_table,
    in_range,
    member,
    starts_with,
)
from hetao.errors import FieldProblem, ValidationFailed
from hetao.profiles import ZoneProfile, load_profile
from hetao.reference.countries import check_country
from hetao.reference.hs import check_hs_code, lookup
from hetao.registry.identifiers import InvalidIdentifier, check_hk_br, check_uscc

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_RANGE = re.compile(r"^\s*([\[(])\s*([^.\s\])]*)\s*\.\.\s*([^\s\])]*)\s*([\])])\s*$")
# Table columns naming an HS level: the level's name and its number of digits.
_HS_LEVELS = {"hs_chapter": ("chapter", 2), "hs_heading": ("heading", 4)}


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

    def _unknown_keys(self, at: str, raw: Mapping[str, Any], known: set[str], what: str) -> None:
        """Name every key of ``raw`` that a ``what`` does not have."""
        for key in raw:
            if key not in known:
                field = f"{at}.{key}" if at else str(key)
                self.problems.add(field, "unknown_key", f"not a {what} key; use {sorted(known)}")

    def parse(self, document: Any) -> RuleSet | None:
        p = self.problems
        if not isinstance(document, Mapping):
            p.add("rules", "object_required", "a rule set is a JSON object")
            return None
        known = {"version", "activates_at", "description", "zone", "tables"}
        self._unknown_keys("", document, known, "rule set")
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
        self._unknown_keys(at, raw, known, "table")
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
        self._unknown_keys(at, raw, known, "row")
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
            return Condition(column, source, "exact", (source,), test=member(frozenset({source})))
        if spec.type is ColumnType.PREFIX:
            items = source if isinstance(source, list) else [source]
            prefixes = [self._prefix(at, item) for item in items]
            if not items:
                self.problems.add(at, "set_empty", "a list needs at least one value")
                return None
            if any(x is None for x in prefixes):
                return None
            clean = tuple(x for x in prefixes if x is not None)
            return Condition(column, source, "prefix", clean, test=starts_with(clean))
        if isinstance(source, list):
            if not source:
                self.problems.add(at, "set_empty", "a list needs at least one value")
                return None
            values = [self._exact(at, column, item) for item in source]
            if any(v is None for v in values):
                return None
            clean_values = tuple(values)
            return Condition(column, source, "set", clean_values, test=member(frozenset(values)))
        if (
            isinstance(source, str)
            and spec.type in (ColumnType.NUMBER, ColumnType.INTEGER)
            and ".." in source
        ):
            return self._range(at, column, source)
        value = self._exact(at, column, source)
        if value is None:
            return None
        return Condition(column, source, "exact", (value,), test=member(frozenset({value})))

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
        if column in _HS_LEVELS:
            level, digits = _HS_LEVELS[column]
            entry = lookup(item)
            if len(item) != digits or entry is None or entry.level != digits:
                p.add(at, f"hs2022.unknown_{level}", f"{level} {item!r} is not in HS 2022")
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
            test=in_range(low, low_closed, high, high_closed),
        )
