"""Currencies by ISO 4217 alphabetic code, from pycountry."""

from __future__ import annotations

import functools

import pycountry

from hetao.errors import ValidationFailed


@functools.cache
def _names() -> dict[str, str]:
    return {currency.alpha_3: currency.name for currency in pycountry.currencies}


def check_currency(value: str, *, field: str = "currency") -> str:
    """Return ``value`` upper-cased if it is an ISO 4217 currency code."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in _names():
        raise ValidationFailed.single(
            field, "iso4217.code", f"{value!r} is not an ISO 4217 currency code"
        )
    return code


def currency_name(code: str) -> str:
    """The English name of a valid currency code."""
    return _names()[check_currency(code)]
