"""Input and output shapes of declarations, centralised periods and the taxes report."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import CentralisedPeriodStatus, Declaration, DeclarationStatus
from hetao.inputs import Id
from hetao.ledger.models import CustomsStatus
from hetao.ledger.schemas import (
    FromAttributes,
    GoodsKind,
    Money,
    Note,
    SignedQuantity,
    StrictInput,
    Text,
)
from hetao.reasons import Reason
from hetao.reference.legal_inspection import Listing
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


Reference = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_reference)]

MAX_LINES = 500


# --- declarations: input ----------------------------------------------------------------------


class LineIn(StrictInput):
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


class ProductIn(StrictInput):
    """The R&D product a transformation makes."""

    hs_code: HsCode
    description: Text
    quantity: SignedQuantity
    unit: Unit
    customs_value: Money
    currency: CurrencyCode
    origin: CountryCode
    goods_kind: GoodsKind


class DeclarationCreate(StrictInput):
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


class Refusal(StrictInput):
    """An officer's reason for refusing a declaration."""

    reason: Note


# --- declarations: output ---------------------------------------------------------------------


class DeclarationLineOut(FromAttributes):
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
    legally_inspected: bool = Field(
        description="As declared: the declarant may add goods to legal inspection, not remove them"
    )
    supervised_equipment: bool
    release_on_application: bool
    special_article_approval: str | None
    hgr_approval: str | None
    inspection_listing: str | None = Field(
        None,
        description="R12: the legal-inspection catalogue row listing the goods of a first-line"
        " entry on the declared day, 'row id (version)'; the gate reads the catalogue again on"
        " the day they cross",
    )


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


class DeclarationOut(FromAttributes):
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

    @classmethod
    def listed(cls, declaration: Declaration, listings: Mapping[int, Listing]) -> DeclarationOut:
        """The declaration, each line with the catalogue row that lists it (``listings``, by
        line number: ``declarations.service.inspection_listings``)."""
        out = cls.model_validate(declaration)
        for line in out.lines:
            found = listings.get(line.line_no)
            line.inspection_listing = None if found is None else found.label
        return out


# --- R10: centralised declaration periods --------------------------------------------------


class CentralisedPeriodCreate(StrictInput):
    """Open a centralised declaration period for a party (R10); it runs the profile's months."""

    party_id: Id
    crossing_point: str = Field(max_length=40, description="A first-line goods point")
    starts_on: dt.date | None = Field(None, description="Defaults to today at the zone")


class CentralisedLineIn(StrictInput):
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


class CentralisedLineOut(FromAttributes):
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


class CentralisedPeriodOut(FromAttributes):
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


# --- reports ----------------------------------------------------------------------------------


class TaxRowOut(FromAttributes):
    party_id: int
    declarations: int
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal


class TaxesOut(FromAttributes):
    period_from: dt.date
    period_to: dt.date
    rows: list[TaxRowOut]
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal
