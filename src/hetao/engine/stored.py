"""A typed reader of stored JSON (a decision's facts), naming the dotted key of anything wrong.

Stored facts are replayed years later: a value of the wrong type is refused with its path, never
taken for another (a bool is not an integer here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from hetao.errors import ValidationFailed

ValueT = TypeVar("ValueT")


class Reader:
    """Reads one JSON object, naming the dotted key of anything wrong."""

    __slots__ = ("data", "path")

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ValidationFailed.single(path or "facts", "object_required", "must be an object")
        self.data: Mapping[str, Any] = data
        self.path = path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def _raw(self, name: str, *, required: bool) -> Any:
        if name not in self.data:
            if required:
                raise ValidationFailed.single(self.key(name), "required", "is missing")
            return None
        return self.data[name]

    def _typed(self, name: str, kind: type[ValueT], label: str, *, required: bool) -> ValueT | None:
        value = self._raw(name, required=required)
        if value is None:
            if required:
                raise ValidationFailed.single(self.key(name), "required", "must not be null")
            return None
        # bool is an int subclass; refuse it where a number is meant.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValidationFailed.single(self.key(name), f"{label}_required", f"must be {label}")
        return value

    def string(self, name: str) -> str:
        value = self._typed(name, str, "a_string", required=True)
        return "" if value is None else value  # required: None was refused above

    def opt_string(self, name: str) -> str | None:
        return self._typed(name, str, "a_string", required=False)

    def integer(self, name: str, default: int | None = None) -> int:
        value = self._typed(name, int, "an_integer", required=default is None)
        return default if value is None else value  # type: ignore[return-value]

    def opt_integer(self, name: str) -> int | None:
        return self._typed(name, int, "an_integer", required=False)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._typed(name, bool, "a_boolean", required=False)
        return default if value is None else value

    def opt_boolean(self, name: str) -> bool | None:
        return self._typed(name, bool, "a_boolean", required=False)

    def opt_float(self, name: str) -> float | None:
        return self._typed(name, float, "a_number", required=False)

    def decimal(self, name: str) -> Decimal:
        text = self.string(name)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValidationFailed.single(
                self.key(name), "decimal_format", f"{text!r} is not a decimal number"
            ) from None
        if not value.is_finite():
            raise ValidationFailed.single(self.key(name), "decimal_format", "must be finite")
        return value

    def opt_decimal(self, name: str) -> Decimal | None:
        return None if self.opt_string(name) is None else self.decimal(name)

    def opt_date(self, name: str) -> dt.date | None:
        text = self.opt_string(name)
        if text is None:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationFailed.single(
                self.key(name), "date_format", f"{text!r} is not an ISO date"
            ) from None

    def utc_datetime(self, name: str) -> dt.datetime:
        text = self.string(name)
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationFailed.single(
                self.key(name), "datetime_format", f"{text!r} is not an ISO date-time"
            ) from None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationFailed.single(
                self.key(name), "timezone_required", "must carry a UTC offset"
            )
        return value.astimezone(dt.UTC)

    def strings(self, name: str) -> tuple[str, ...]:
        value = self._raw(name, required=False)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationFailed.single(
                self.key(name), "string_list_required", "must be a list of strings"
            )
        return tuple(value)

    def child(self, name: str, *, required: bool = True) -> Reader | None:
        value = self._raw(name, required=required)
        if value is None:
            if required:
                raise ValidationFailed.single(self.key(name), "required", "must not be null")
            return None
        return Reader(value, self.key(name))

    def items(self, name: str, parse: Callable[[Reader], ValueT]) -> tuple[ValueT, ...]:
        value = self._raw(name, required=False)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ValidationFailed.single(self.key(name), "list_required", "must be a list")
        return tuple(parse(Reader(item, f"{self.key(name)}[{i}]")) for i, item in enumerate(value))
