"""Currencies by ISO 4217 alphabetic code, from pycountry."""

from __future__ import annotations

import functools

import pycountry

from hetao.reference.iso_codes import check_iso_code


@functools.cache
def _names() -> dict[str, str]:
    return {currency.alpha_3: currency.name for currency in pycountry.currencies}


def check_currency(value: str, *, field: str = "currency") -> str:
    """Return ``value`` upper-cased if it is an ISO 4217 currency code."""
    return check_iso_code(
        value, _names(), field=field, rule="iso4217.code", what="an ISO 4217 currency code"
    )


def currency_name(code: str) -> str:
    """The English name of a valid currency code."""
    return _names()[check_currency(code)]
