"""The written-out checks and hashes a batch uses agree with the generic ones."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hetao.errors import ValidationFailed
from hetao.inputs import DecimalFault, decimal_fault
from hetao.ledger.service.checks import (
    MAX_QUANTITY,
    QUANTUM,
    check_quantity,
    hash_movement_request,
    hash_request,
)


@pytest.mark.parametrize(
    ("quantity", "ref", "reason"),
    [
        (Decimal("1.000"), None, None),
        (Decimal("-2.5"), "DEC-2026-1", 'stocktake: 3 "cartons" short\\'),
        (Decimal("999999999999999.999"), "参考", "损坏 — destroyed\n"),
        (Decimal("0.001"), "", "\u2028 \x00 \t"),
    ],
)
def test_the_written_out_movement_hash_is_hash_request(
    quantity: Decimal, ref: str | None, reason: str | None
) -> None:
    for operation in ("consume", "adjust", "destroy"):
        assert hash_movement_request(
            operation, lot=42, quantity=quantity, declaration_ref=ref, reason=reason
        ) == hash_request(operation, lot=42, quantity=quantity, declaration_ref=ref, reason=reason)


@pytest.mark.parametrize(
    "value",
    [
        "1",
        "-1",
        "0",
        "-0",
        "0.001",
        "0.0001",
        "1.5000",
        "1e3",
        "1E-3",
        "NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
        "999999999999999.999",
        "1e15",
        "-1e15",
        "1000000000000000.0001",
        "1e30",
    ],
)
@pytest.mark.parametrize("signed", [False, True])
def test_check_quantity_decides_as_decimal_fault(value: str, signed: bool) -> None:
    amount = Decimal(value)
    fault = decimal_fault(amount, below=MAX_QUANTITY, places=3)
    if fault is DecimalFault.NOT_FINITE or amount == 0 or (amount < 0 and not signed):
        expected: str | None = "quantity.not_zero" if signed else "quantity.positive"
    elif fault is DecimalFault.TOO_LARGE:
        expected = "quantity.max"
    elif fault is DecimalFault.TOO_MANY_PLACES:
        expected = "quantity.places"
    else:
        expected = None
    if expected is None:
        assert check_quantity(amount, signed=signed) == amount.quantize(QUANTUM)
        assert check_quantity(amount, signed=signed).as_tuple().exponent == -3
    else:
        with pytest.raises(ValidationFailed) as raised:
            check_quantity(amount, signed=signed)
        assert [p.rule for p in raised.value.problems] == [expected]
