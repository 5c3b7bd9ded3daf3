"""Bounds every input shares, whatever the domain: ids, decimals and text.

A value the database cannot hold must be refused as invalid input (422 naming the field and
the rule), not reach the driver and come back as a 500: an id beyond its column's integer
range, a decimal too large to round, a string with a byte PostgreSQL refuses (NUL).
"""

from __future__ import annotations

import re
from decimal import Decimal, getcontext
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

# --- ids --------------------------------------------------------------------------------------

#: The largest value of an INTEGER column: 32 bits on PostgreSQL (64 on SQLite, the smaller rules).
MAX_INTEGER = 2**31 - 1
#: Most keys are INTEGER columns.
MAX_ID = MAX_INTEGER
#: Keys of BIGINT columns: audit event sequence numbers, ledger movement ids.
MAX_BIG_ID = 2**63 - 1

ID_RULE = "id.range"


def _id_up_to(highest: int) -> AfterValidator:
    def check(value: int) -> int:
        if not 1 <= value <= highest:
            raise PydanticCustomError(
                ID_RULE, "must be an id from 1 to {highest}", {"highest": highest}
            )
        return value

    return AfterValidator(check)


Id = Annotated[
    int,
    _id_up_to(MAX_ID),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
]
"""The id of a row of an INTEGER-keyed table, in a path, a query or a body."""
BigId = Annotated[
    int,
    _id_up_to(MAX_BIG_ID),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_BIG_ID}),
]
"""The key of a BIGINT column, such as an audit event's sequence number."""


def id_in_range(value: int) -> bool:
    """True when ``value`` fits an INTEGER key (for ids that arrive outside a schema)."""
    return 1 <= value <= MAX_ID


# --- decimals ---------------------------------------------------------------------------------


class DecimalFault(StrEnum):
    """Why a decimal does not fit a column of fixed places."""

    NOT_FINITE = "not_finite"
    TOO_LARGE = "too_large"
    TOO_MANY_PLACES = "places"


def decimal_fault(value: Decimal, *, below: Decimal, places: int) -> DecimalFault | None:
    """What keeps ``value`` from a column of ``places`` decimals whose values stay below ``below``.

    The size is checked before rounding: quantize needs every digit of the result within the
    context's precision, so "1e30" rounded to thousandths raises InvalidOperation (and NaN
    cannot even be compared).
    """
    if not value.is_finite():
        return DecimalFault.NOT_FINITE
    if abs(value) >= below:
        return DecimalFault.TOO_LARGE
    if value != value.quantize(Decimal(1).scaleb(-places)):
        return DecimalFault.TOO_MANY_PLACES
    return None


def decimal_within(
    *, below: Decimal, places: int, size_rule: str, places_rule: str
) -> AfterValidator:
    """A pydantic check of a parsed Decimal: finite and below ``below`` first, then its places."""
    # Digits a value below the bound has at these places must fit the context, or the quantize
    # in decimal_fault would itself overflow.
    if below.adjusted() + places >= getcontext().prec:
        raise ValueError(f"{below} at {places} places does not fit the decimal context")

    def check(value: Decimal) -> Decimal:
        fault = decimal_fault(value, below=below, places=places)
        if fault is DecimalFault.NOT_FINITE:
            raise PydanticCustomError("decimal_format", "must be a finite decimal number")
        if fault is DecimalFault.TOO_LARGE:
            raise PydanticCustomError(
                size_rule, "must be less than {below} in size", {"below": f"{below:,f}"}
            )
        if fault is DecimalFault.TOO_MANY_PLACES:
            raise PydanticCustomError(
                places_rule, "has more than {places} decimal places", {"places": places}
            )
        return value

    return AfterValidator(check)


# --- text -------------------------------------------------------------------------------------

#: C0 controls but TAB, LF and CR, and DEL: PostgreSQL refuses NUL in text, and no field of the
#: platform means the others. (Pydantic refuses unpaired UTF-16 surrogates itself.)
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTER_RULE = "text.control_character"


def text_fault(value: str) -> tuple[str, str] | None:
    """The rule and message a text breaks by holding a control character, or None."""
    found = _CONTROL_CHARACTERS.search(value)
    if found is None:
        return None
    return (
        CONTROL_CHARACTER_RULE,
        f"has the control character U+{ord(found.group()):04X} at position {found.start()}",
    )


def _check_strings(value: Any) -> None:
    # Nested models check their own fields; this reaches the strings of lists, tuples and dicts.
    if isinstance(value, str):
        fault = text_fault(value)
        if fault is not None:
            raise PydanticCustomError(fault[0], fault[1])
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)


class InputModel(BaseModel):
    """Base of every request schema: no field may hold a control character (see text_fault)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _check_strings(value)
        return value
