"""Properties over many generated requests: no negative tax, zero rates give zero, totals add up.

Hypothesis is not installed in this project, so requests come from a seeded generator: the same
cases every run, and a failure names its seed.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from hetao.profiles import ZoneProfile
from hetao.tax import Assessment, assess
from tax.support import RATES, TARIFF, hengqin, hetao, line, request

CASES = 400
CODES = ("870323", "902781", "90279000", "382219", "490199", "847130")
MOVEMENTS = (
    "first_line_entry",
    "first_line_exit",
    "second_line_exit",
    "second_line_entry",
    "in_zone_transfer",
    "research_consumption",
)
STATUSES = ("duty_free_research", "bonded", "duty_paid", "domestic")
CENT = Decimal("0.01")


def money(rng: random.Random) -> str:
    """An amount from 0.00 to 2,000,000.00 with every digit of the fen exercised."""
    return f"{rng.randrange(0, 200_000_000) / 100:.2f}"


def random_line(
    rng: random.Random, movement: str, *, zero_rates: bool, beneficiary: bool
) -> dict[str, Any]:
    status = rng.choice(STATUSES)
    if movement == "first_line_entry" and status == "domestic":
        status = "bonded"
    data = line(
        hs_code=rng.choice(CODES),
        quantity=rng.randrange(1, 50),
        customs_value=money(rng),
        currency=rng.choice(("CNY", "HKD", "USD", "JPY")),
        status=status,
    )
    if zero_rates:
        data.update(duty_rate="0", vat_rate="0", consumption_tax_rate="0")
    if movement == "research_consumption":
        data["consumed_in_research"] = rng.random() < 0.7
        data["release_on_application"] = data["consumed_in_research"] and rng.random() < 0.5
    if movement == "second_line_exit" and rng.random() < 0.5:
        inputs = rng.randrange(1, 1_000_000)
        data.update(
            imported_inputs_value=str(inputs),
            domestic_inputs_value=str(rng.randrange(0, 1_000_000)),
            sale_price=str(rng.randrange(0, 3_000_000)),
        )
    if movement == "first_line_entry" and status == "duty_free_research" and beneficiary:
        data["waived"] = rng.random() < 0.3
    return data


def random_case(seed: int) -> tuple[Assessment, ZoneProfile, bool]:
    rng = random.Random(seed)
    movement = rng.choice(MOVEMENTS)
    zero_rates = rng.random() < 0.2
    beneficiary = rng.random() < 0.7
    lines = [
        random_line(rng, movement, zero_rates=zero_rates, beneficiary=beneficiary)
        for _ in range(rng.randrange(1, 6))
    ]
    extra: dict[str, Any] = {}
    if movement == "in_zone_transfer":
        extra["transfer_reason"] = rng.choice(("ordinary", "bankruptcy", "deregistration"))
    profile = rng.choice((hetao(), hengqin()))
    req = request(movement, *lines, beneficiary=beneficiary, **extra)
    return assess(req, profile, tariff=TARIFF, rates=RATES), profile, zero_rates


@pytest.mark.parametrize("seed", range(CASES))
def test_taxes_are_never_negative_zero_rates_give_zero_and_totals_add_up(seed: int) -> None:
    result, profile, zero_rates = random_case(seed)
    for assessed in result.lines:
        amounts = (assessed.duty, assessed.consumption_tax, assessed.vat)
        assert all(amount >= 0 for amount in amounts), f"seed {seed}: negative tax"
        assert all(amount == amount.quantize(CENT) for amount in amounts), f"seed {seed}: not fen"
        assert assessed.total == sum(amounts)
        if zero_rates or not assessed.taxed:
            assert assessed.total == 0, f"seed {seed}: zero-rate or untaxed line bears tax"
    assert result.totals.duty == sum(a.duty for a in result.lines)
    assert result.totals.consumption_tax == sum(a.consumption_tax for a in result.lines)
    assert result.totals.vat == sum(a.vat for a in result.lines)
    assert result.totals.total == (
        result.totals.duty + result.totals.consumption_tax + result.totals.vat
    )
    # What de minimis waived is never above the threshold, per tax.
    threshold = profile.tax.de_minimis_cny
    waived = result.de_minimis
    assert max(waived.duty_waived, waived.consumption_tax_waived, waived.vat_waived) <= threshold
