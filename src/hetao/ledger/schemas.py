"""Input and output shapes of lots, movements and ledger reports, and the value types they share."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from hetao.inputs import Id, InputModel, decimal_within
from hetao.ledger.models import CustomsStatus, MovementKind


def decimal_text(value: object) -> Decimal:
    # A JSON number with a fraction is a binary float: refused, as in hetao.tax.
    if isinstance(value, bool | float):
        raise PydanticCustomError(
            "decimal_string_required", 'write decimals as strings, e.g. "2.5" or "1234.50"'
        )
    if isinstance(value, int | Decimal):
        parsed = Decimal(value)
    elif isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise PydanticCustomError("decimal_format", "is not a decimal number") from None
    else:
        raise PydanticCustomError("decimal_format", "is not a decimal number")
    if not parsed.is_finite():
        raise PydanticCustomError("decimal_format", "must be a finite decimal number")
    return parsed


#: Quantities and amounts stay below 10^15, as the ledger's columns (18 digits) hold them.
MAX_MAGNITUDE = Decimal("1e15")
QUANTITY_SIZE = decimal_within(
    below=MAX_MAGNITUDE, places=3, size_rule="quantity.max", places_rule="quantity.places"
)
MONEY_SIZE = decimal_within(
    below=MAX_MAGNITUDE, places=2, size_rule="money.max", places_rule="money.places"
)


def _not_zero(value: Decimal) -> Decimal:
    if value == 0:
        raise PydanticCustomError("quantity.not_zero", "must not be 0")
    return value


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError("money.not_negative", "must not be negative")
    return value


SignedQuantity = Annotated[
    Decimal,
    BeforeValidator(decimal_text),
    QUANTITY_SIZE,
    AfterValidator(_not_zero),
]
"""A quantity in thousandths at most; its sign is checked per declaration kind."""
Money = Annotated[Decimal, BeforeValidator(decimal_text), MONEY_SIZE, AfterValidator(_not_negative)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
GoodsKind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class StrictInput(InputModel):
    """Input that refuses unknown fields and strips whitespace."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FromAttributes(BaseModel):
    """Output read from a model object's attributes."""

    model_config = ConfigDict(from_attributes=True)


# --- lots -------------------------------------------------------------------------------------


class LotOut(FromAttributes):
    id: int
    party_id: int
    hs_code: str
    description: str
    unit: str
    origin: str
    goods_kind: str
    customs_status: CustomsStatus
    customs_value: Decimal
    currency: str
    admission_ref: str
    admitted_on: dt.date
    supervision_ends_on: dt.date | None
    initial_quantity: Decimal
    source_lot_id: int | None
    balance: Decimal
    reserved: Decimal
    available: Decimal


class MovementOut(FromAttributes):
    id: int
    lot_id: int
    kind: MovementKind
    quantity: Decimal
    correlation_key: str
    reverses_id: int | None
    declaration_ref: str | None
    reason: str | None
    actor: str
    created_at: dt.datetime


class MovementPage(BaseModel):
    items: list[MovementOut]
    next_cursor: str | None


class LotDetail(BaseModel):
    """A lot with its balance and a page of its movements, oldest first."""

    lot: LotOut
    movements: MovementPage


# --- reports ----------------------------------------------------------------------------------


class StatementLineOut(FromAttributes):
    lot_id: int
    hs_code: str
    description: str
    unit: str
    customs_status: CustomsStatus
    admission_ref: str
    opening: Decimal
    receipts: Decimal
    removals: Decimal
    adjustments: Decimal
    closing: Decimal
    balance_at_end: Decimal
    balanced: bool


class StatementOut(FromAttributes):
    party_id: int
    period_from: dt.date
    period_to: dt.date
    lots: list[StatementLineOut]
    balanced: bool


class CountIn(StrictInput):
    lot_id: Id
    counted: Annotated[Decimal, BeforeValidator(decimal_text), QUANTITY_SIZE] = Field(ge=0)


class StocktakeIn(StrictInput):
    """Counted quantities per lot; ``counted_on`` dates the valuation of the duty at stake."""

    counted_on: dt.date | None = Field(None, description="Defaults to today at the zone")
    counts: list[CountIn] = Field(min_length=1, max_length=5000)


class DiscrepancyOut(FromAttributes):
    lot_id: int
    hs_code: str
    unit: str
    customs_status: CustomsStatus
    ledger: Decimal
    counted: Decimal
    difference: Decimal
    ratio: Decimal | None
    duty_at_stake_cny: Decimal
    finding: str
    flagged: bool


class ReconciliationOut(FromAttributes):
    party_id: int
    counted_on: dt.date
    ratio_threshold: Decimal
    duty_threshold_cny: Decimal
    lots: list[DiscrepancyOut]
    flagged: int


class SupervisionEndingOut(FromAttributes):
    lot_id: int
    party_id: int
    hs_code: str
    description: str
    goods_kind: str
    balance: Decimal
    supervision_ends_on: dt.date
    days_left: int
