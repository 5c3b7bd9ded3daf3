"""Countries and territories by ISO 3166-1 alpha-2 code, from pycountry."""

from __future__ import annotations

import functools

import pycountry

from hetao.reference.iso_codes import check_iso_code


@functools.cache
def _names() -> dict[str, str]:
    return {country.alpha_2: country.name for country in pycountry.countries}


def check_country(value: str, *, field: str = "country") -> str:
    """Return ``value`` upper-cased if it is an ISO 3166-1 alpha-2 code (HK and MO included)."""
    return check_iso_code(
        value,
        _names(),
        field=field,
        rule="iso3166.alpha2",
        what="an ISO 3166-1 alpha-2 country code",
    )


def country_name(code: str) -> str:
    """The English short name of a valid country code."""
    return _names()[check_country(code)]


@functools.cache
def _alpha2_by_alpha3() -> dict[str, str]:
    return {country.alpha_3: country.alpha_2 for country in pycountry.countries}


# ICAO 9303 Part 3: Germany is "D" (padded "D<<"), not ISO's DEU.
_MRZ_SPECIAL = {"D": "DE"}


def alpha2_of_mrz_state(code: str) -> str | None:
    """The ISO alpha-2 code of an MRZ state code (ISO alpha-3, or ICAO's own), or None."""
    state = code.replace("<", "")
    return _MRZ_SPECIAL.get(state) or _alpha2_by_alpha3().get(state)
