"""Input and output shapes of declarations, lots and ledger reports (API and services)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

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
from hetao.declarations.models import CentralisedPeriodStatus, DeclarationStatus
from hetao.declarations.kinds import DeclarationKind
from hetao.ledger.models import CustomsStatus, MovementKind
from hetao.reasons import Reason
from hetao.registry.schemas import ApprovalNumber
from hetao.tax.schemas import CountryCode, CurrencyCode, HsCode, TransferReason, Unit

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


def _reference(value: str) -> str:
    # Derived ledger keys embed the reference: visible ASCII, no '#' (the ledger's leg mark).
    if not _REFERENCE.fullmatch(value):
        raise PydanticCustomError(
            "declaration.reference_format",
            "must be 1-64 letters, digits or . _ / - starting with a letter or digit",
        )
    return value


def _decimal(value: object) -> Decimal:
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
_QUANTITY_SIZE = decimal_within(
    below=MAX_MAGNITUDE, places=3, size_rule="quantity.max", places_rule="quantity.places"
)
_MONEY_SIZE = decimal_within(
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


Reference = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_reference)]
SignedQuantity = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    _QUANTITY_SIZE,
    AfterValidator(_not_zero),
]
"""A quantity in thousandths at most; its sign is checked per declaration kind."""
Money = Annotated[Decimal, BeforeValidator(_decimal), _MONEY_SIZE, AfterValidator(_not_negative)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
GoodsKind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]

MAX_LINES = 500


class _In(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- declarations: input ----------------------------------------------------------------------


class LineIn(_In):
    """One goods line; ``lot_id`` names the lot it draws from (not for entries)."""

    hs_code: HsCode
    description: Text
    quantity: SignedQuantity = Field(description="Decimal string; negative only for shortages")
    unit: Unit
    customs_value: Money
    currency: CurrencyCode
    origin: CountryCode
    goods_kind: GoodsKind | None = Field(
        None, description="One of the profile's goods kinds; required for entries"
    )
    lot_id: Id | None = None
    research_own_use: bool = False
    bonded: bool = False
    special_article: bool = False
    hgr_material: bool = False
    legally_inspected: bool = False
    supervised_equipment: bool = False
    release_on_application: bool = False
    special_article_approval: ApprovalNumber | None = Field(
        None, description="R11: number of a registered special-article quarantine approval"
    )
    hgr_approval: ApprovalNumber | None = Field(
        None, description="R41: number of a registered human-genetic-resources approval"
    )


class ProductIn(_In):
    """The R&D product a transformation makes."""

    hs_code: HsCode
    description: Text
    quantity: SignedQuantity
    unit: Unit
    customs_value: Money
    currency: CurrencyCode
    origin: CountryCode
    goods_kind: GoodsKind


class DeclarationCreate(_In):
    """A declaration as lodged; the same (party, reference) and content returns the first one."""

    party_id: Id
    reference: Reference
    kind: DeclarationKind
    crossing_point: str | None = Field(None, max_length=40)
    hand_carried: bool = False
    declared_on: dt.date | None = Field(None, description="Defaults to today at the zone")
    to_party_id: Id | None = None
    transfer_reason: TransferReason | None = None
    reason: Note | None = None
    product: ProductIn | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class Refusal(_In):
    """An officer's reason for refusing a declaration."""

    reason: Note


# --- declarations: output ---------------------------------------------------------------------


class DeclarationLineOut(_Out):
    line_no: int
    hs_code: str
    description: str
    quantity: Decimal
    unit: str
    customs_value: Decimal
    currency: str
    origin: str
    goods_kind: str
    customs_status: CustomsStatus
    lot_id: int | None
    result_lot_id: int | None
    research_own_use: bool
    bonded: bool
    special_article: bool
    hgr_material: bool
    legally_inspected: bool
    supervised_equipment: bool
    release_on_application: bool
    special_article_approval: str | None
    hgr_approval: str | None


_TAX_RULES = ("duty_rule", "consumption_tax_rule", "vat_rule")


def _with_reasons(assessment: dict[str, Any] | None) -> dict[str, Any] | None:
    """An assessment stored before its lines carried ``reasons`` (``hetao.tax``) is served with
    them: the line's rule, then each other rule of its taxes, read as stored bare codes (a code
    whose texts need values the old record did not keep reads with the code as its text)."""
    if assessment is None or all("reasons" in line for line in assessment.get("lines", ())):
        return assessment
    lines = []
    for line in assessment["lines"]:
        codes = dict.fromkeys([line["rule"], *(line[key] for key in _TAX_RULES)])
        lines.append({**line, "reasons": [Reason.from_stored(code).as_json() for code in codes]})
    return {**assessment, "lines": lines}


class DeclarationOut(_Out):
    id: int
    party_id: int
    reference: str
    kind: DeclarationKind
    status: DeclarationStatus
    crossing_point: str | None
    hand_carried: bool
    declared_on: dt.date
    to_party_id: int | None
    transfer_reason: str | None
    reason: str | None
    product: dict[str, Any] | None
    product_lot_id: int | None
    duty: Decimal | None
    consumption_tax: Decimal | None
    vat: Decimal | None
    tax_total: Decimal | None
    assessment: Annotated[dict[str, Any] | None, AfterValidator(_with_reasons)]
    refusal_reason: str | None
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    cleared_at: dt.datetime | None
    refused_at: dt.datetime | None
    lines: list[DeclarationLineOut]


# --- R10: centralised declaration periods --------------------------------------------------


class CentralisedPeriodCreate(_In):
    """Open a centralised declaration period for a party (R10); it runs the profile's months."""

    party_id: Id
    crossing_point: str = Field(max_length=40, description="A first-line goods point")
    starts_on: dt.date | None = Field(None, description="Defaults to today at the zone")


class CentralisedLineIn(_In):
    """Goods crossing under an open period; goods under inspection and quarantine (legally
    inspected) and special articles are refused (R10), so their flags are read, not stored."""

    crossed_on: dt.date | None = Field(None, description="Defaults to today at the zone")
    hs_code: HsCode
    description: Text
    quantity: SignedQuantity = Field(description="Decimal string, more than 0")
    unit: Unit
    customs_value: Money
    currency: CurrencyCode
    origin: CountryCode
    goods_kind: GoodsKind = Field(description="One of the profile's goods kinds")
    research_own_use: bool = False
    bonded: bool = False
    special_article: bool = False
    hgr_material: bool = False
    legally_inspected: bool = False
    supervised_equipment: bool = False


class CentralisedLineOut(_Out):
    line_no: int
    crossed_on: dt.date
    hs_code: str
    description: str
    quantity: Decimal
    unit: str
    customs_value: Decimal
    currency: str
    origin: str
    goods_kind: str
    research_own_use: bool
    bonded: bool
    hgr_material: bool
    supervised_equipment: bool


class CentralisedPeriodOut(_Out):
    id: int
    party_id: int
    crossing_point: str
    starts_on: dt.date
    ends_on: dt.date
    status: CentralisedPeriodStatus
    declaration_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    lines: list[CentralisedLineOut]


# --- lots -------------------------------------------------------------------------------------


class LotOut(_Out):
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


class MovementOut(_Out):
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


class StatementLineOut(_Out):
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


class StatementOut(_Out):
    party_id: int
    period_from: dt.date
    period_to: dt.date
    lots: list[StatementLineOut]
    balanced: bool


class CountIn(_In):
    lot_id: Id
    counted: Annotated[Decimal, BeforeValidator(_decimal), _QUANTITY_SIZE] = Field(ge=0)


class StocktakeIn(_In):
    """Counted quantities per lot; ``counted_on`` dates the valuation of the duty at stake."""

    counted_on: dt.date | None = Field(None, description="Defaults to today at the zone")
    counts: list[CountIn] = Field(min_length=1, max_length=5000)


class DiscrepancyOut(_Out):
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


class ReconciliationOut(_Out):
    party_id: int
    counted_on: dt.date
    ratio_threshold: Decimal
    duty_threshold_cny: Decimal
    lots: list[DiscrepancyOut]
    flagged: int


class SupervisionEndingOut(_Out):
    lot_id: int
    party_id: int
    hs_code: str
    description: str
    goods_kind: str
    balance: Decimal
    supervision_ends_on: dt.date
    days_left: int


class TaxRowOut(_Out):
    party_id: int
    declarations: int
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal


class TaxesOut(_Out):
    period_from: dt.date
    period_to: dt.date
    rows: list[TaxRowOut]
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal
