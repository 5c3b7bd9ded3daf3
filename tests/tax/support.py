"""Shared fixtures of the tax tests: a small test tariff and rate table, request builders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hetao.profiles import ZoneProfile, load_profile
from hetao.reference.rates import RateTable, import_rates
from hetao.reference.tariff import Tariff, import_tariff
from hetao.tax import Assessment, AssessmentRequest, assess, parse_request

# Rates fixed here, not read from the shipped sample, so each worked example shows its inputs.
TARIFF_CSV = """\
# SAMPLE RATES - not the Customs Tariff of the PRC (test table)
version,code,valid_from,duty_rate,specific_duty_cny,specific_duty_unit,consumption_tax_rate,vat_rate,kind,description
TEST-1,870323,2026-01-01,0.15,,,0.09,0.13,sample,car 1500-3000 cc
TEST-1,9027,2026-01-01,0.05,,,,0.13,sample,analysis instruments
TEST-1,902781,2026-01-01,0.03,,,,0.13,sample,mass spectrometers
TEST-1,382219,2026-01-01,0.065,,,,0.13,sample,laboratory reagents
TEST-1,490199,2026-01-01,0,,,,0.09,sample,printed books
TEST-1,370244,2026-01-01,0.02,14.00,m2,,0.13,sample,photographic film
TEST-1,847130,2026-01-01,0,,,,0,sample,zero-rate line
"""

RATES_CSV = """\
# SAMPLE RATES - not the PBoC benchmark rates (test table)
version,month,currency,units,cny,kind
TEST-1,2026-03,HKD,1,0.9098,sample
TEST-1,2026-03,USD,1,7.0912,sample
TEST-1,2026-03,JPY,100,4.6931,sample
TEST-1,2026-04,HKD,1,0.9112,sample
TEST-1,2026-04,USD,1,7.1044,sample
"""

TARIFF: Tariff = import_tariff(TARIFF_CSV, source="test")
RATES: RateTable = import_rates(RATES_CSV, source="test")
MARCH = dt.date(2026, 3, 15)


def hetao() -> ZoneProfile:
    """The default Shenzhen Park profile."""
    return load_profile("hetao")


def hengqin() -> ZoneProfile:
    """The Hengqin-style profile (value-added rule on)."""
    return load_profile("hengqin")


def hainan() -> ZoneProfile:
    """The Hainan-style profile (R23 negative list, R24 inputs with credit, R25 on)."""
    return load_profile("hainan")


def line(**overrides: Any) -> dict[str, Any]:
    """A goods line as a JSON document would carry it; defaults: CNY reagents, exempt status."""
    base: dict[str, Any] = {
        "hs_code": "3822.19",
        "quantity": 10,
        "unit": "kg",
        "customs_value": "20000.00",
        "currency": "CNY",
        "origin": "HK",
        "status": "duty_free_research",
    }
    base.update(overrides)
    return base


def request(
    movement: str,
    *lines: dict[str, Any],
    beneficiary: bool = True,
    date: str = MARCH.isoformat(),
    **extra: Any,
) -> AssessmentRequest:
    """A validated request of ``lines`` (one default line when none are given)."""
    document: dict[str, Any] = {
        "movement": movement,
        "date": date,
        "declarant": {"beneficiary": beneficiary, "kind": "csa_enterprise"},
        "lines": list(lines) or [line()],
        **extra,
    }
    return parse_request(document)


def run(
    movement: str,
    *lines: dict[str, Any],
    profile: ZoneProfile | None = None,
    **kwargs: Any,
) -> Assessment:
    """Assess with the test tariff and rates under ``profile`` (hetao by default)."""
    return assess(
        request(movement, *lines, **kwargs),
        profile or hetao(),
        tariff=TARIFF,
        rates=RATES,
    )
