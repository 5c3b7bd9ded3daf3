"""Value types of a zone profile: quoted decimals, bounded counts, codes, localized names."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError


def problem(rule: str, message: str, *at: str | int) -> PydanticCustomError:
    """An error whose ``at`` path (relative to the validated object) the loader appends."""
    return PydanticCustomError(rule, message, {"at": at} if at else None)


def _decimal_string(value: Any) -> Decimal:
    # TOML floats are binary: 0.13 parses to 0.13000000000000000444..., so money must be quoted.
    if not isinstance(value, str):
        raise problem(
            "decimal_string_required",
            'write money amounts and rates as quoted decimal strings, e.g. "0.13"; '
            "a TOML number is a binary float that loses cents",
        )
    try:
        parsed = Decimal(value.strip())
    except InvalidOperation:
        raise problem("decimal_format", f"{value!r} is not a decimal number") from None
    if not parsed.is_finite():
        raise problem("decimal_format", f"{value!r} is not a finite decimal number")
    return parsed


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise problem("must_not_be_negative", f"{value} is negative")
    return value


def _unit_interval(value: Decimal) -> Decimal:
    if not Decimal(0) <= value < Decimal(1):
        raise problem("must_be_between_0_and_1", f"{value} is not in [0, 1)")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise problem("must_be_positive", f"{value} is not greater than 0")
    return value


def _iana_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem("iana_timezone", f"{value!r} is not an IANA time zone") from None
    return value


def _iso4217(value: str) -> str:
    code = value.upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise problem("iso4217.code", f"{value!r} is not an ISO 4217 currency code")
    return code


def unique(items: tuple[Any, ...]) -> tuple[Any, ...]:
    seen: set[Any] = set()
    for index, item in enumerate(items):
        if item in seen:
            raise problem("must_be_unique", f"{item!s} is listed twice", index)
        seen.add(item)
    return items


Money = Annotated[Decimal, BeforeValidator(_decimal_string), AfterValidator(_not_negative)]
"""A non-negative amount, written as a quoted decimal string."""
Rate = Annotated[Decimal, BeforeValidator(_decimal_string), AfterValidator(_unit_interval)]
"""A ratio in [0, 1), written as a quoted decimal string."""
Quantum = Annotated[Decimal, BeforeValidator(_decimal_string), AfterValidator(_positive)]
"""A rounding step such as 0.01, written as a quoted decimal string."""
Positive = Annotated[int, Field(strict=True, gt=0)]
"""A whole number greater than zero."""
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
"""A lower-case identifier; 40 characters fit the registry's columns."""
UpperSlug = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=40)]
"""An upper-case identifier such as a crossing point code."""
TimeZoneName = Annotated[str, AfterValidator(_iana_timezone)]
CurrencyCode = Annotated[str, AfterValidator(_iso4217)]


class Section(BaseModel):
    """A table of the profile: unknown keys are refused, and nothing changes once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(Section):
    """A name in the platform's three languages."""

    en: Text
    zh_hant: Text
    zh_hans: Text


MISSING_KEY = object()  # what resolve_key returns for a key the profile does not have


def resolve_key(root: BaseModel, key: str) -> object:
    """The value at dotted ``key``; list items are addressed by their ``code``."""
    current: object = root
    for part in key.split("."):
        if isinstance(current, BaseModel) and part in type(current).model_fields:
            current = getattr(current, part)
        elif isinstance(current, tuple):
            current = next((i for i in current if getattr(i, "code", None) == part), MISSING_KEY)
        else:
            return MISSING_KEY
        if current is MISSING_KEY:
            return MISSING_KEY
    return current
