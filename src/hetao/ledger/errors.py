"""Errors of the ledger domain, in the platform's one hierarchy (no transport codes)."""

from __future__ import annotations

from decimal import Decimal

from hetao.errors import FieldProblem, RuleViolation


class InsufficientBalance(RuleViolation):
    """A withdrawal or hold asked for more than the lot's available (unreserved) balance."""

    code = "insufficient-balance"
    title = "Not enough goods in the lot"

    def __init__(self, *, lot_id: int, asked: Decimal, available: Decimal) -> None:
        super().__init__(
            f"lot {lot_id} has {available} available; {asked} was asked for",
            problems=[
                FieldProblem(
                    "quantity",
                    "ledger.available_balance",
                    f"{asked} is more than the {available} available in lot {lot_id}",
                )
            ],
        )
        self.lot_id, self.asked, self.available = lot_id, asked, available
