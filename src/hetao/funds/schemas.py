"""Input and output shapes of projects, budgets, fund transfers and their reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from hetao.funds import rules as _rules  # noqa: F401  (registers the codes stored reasons read)
from hetao.funds.models import (
    BudgetCategory,
    FundingSource,
    FundTransfer,
    ProjectStatus,
    TransferPurpose,
    TransferStatus,
)
from hetao.inputs import Id, InputModel, decimal_within
from hetao.reasons import ReasonRecordOut, stored_reasons
from hetao.tax.schemas import CurrencyCode
from hetao.tax.schemas import Money as _Decimal

#: The largest amount either database stores exactly (18 digits, 2 decimals).
MAX_AMOUNT = Decimal("1e15")


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError("money.positive", "must be more than 0")
    return value


Money = Annotated[
    _Decimal,
    decimal_within(below=MAX_AMOUNT, places=2, size_rule="money.max", places_rule="money.places"),
]
"""A non-negative amount with at most 2 decimals, written as a decimal string."""
PositiveMoney = Annotated[Money, AfterValidator(_positive)]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    ),
]
"""A project code, contract or bank reference: letters, digits and . _ / - ."""
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Account = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class _In(InputModel):
    model_config = ConfigDict(extra="forbid")


class BudgetLineIn(_In):
    """The budget of one year and category, in CNY."""

    year: Year
    category: BudgetCategory
    amount: Money


class ProjectCreate(_In):
    """A new research project; its lead and partners are registered parties."""

    code: Code
    title: Title
    lead_party_id: Id
    partner_party_ids: Annotated[list[Id], Field(max_length=100)] = Field(default_factory=list)
    funding_source: FundingSource
    starts_on: dt.date
    ends_on: dt.date
    budget: Annotated[list[BudgetLineIn], Field(min_length=1, max_length=1000)]


class TransferCreate(_In):
    """A cross-border payment to declare; amounts are decimal strings."""

    project_id: Id
    payer_party_id: Id
    payee_party_id: Id
    payee_rmb_account: Account | None = None
    amount: PositiveMoney
    currency: CurrencyCode
    transfer_date: dt.date | None = Field(
        default=None, description="The day of payment at the zone (default: today)"
    )
    budget_year: Year
    budget_category: BudgetCategory
    purpose: TransferPurpose
    contract_reference: Code


class NoteIn(_In):
    """A reviewer's note (required to decline, hold, or approve a held transfer)."""

    note: Note | None = None


class RemittanceIn(_In):
    bank_reference: Code
    remitted_on: dt.date


class ReportIn(_In):
    report_reference: Code | None = None


# --- outputs ---------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class BudgetLineOut(_Out):
    year: int
    category: BudgetCategory
    amount: Decimal
    consumed: Decimal
    remaining: Decimal


class ProjectOut(_Out):
    id: int
    code: str
    title: str
    lead_party_id: int
    partner_party_ids: list[int]
    funding_source: FundingSource
    starts_on: dt.date
    ends_on: dt.date
    status: ProjectStatus
    status_note: str | None
    budget_lines: list[BudgetLineOut]
    created_at: dt.datetime


class TaxFilingOut(BaseModel):
    """R40 for this payment."""

    required: bool | None = Field(description="Null until checked; fixed at approval")
    covered_by: int | None = Field(description="The earlier payment whose filing covers this one")
    provisional: bool = Field(
        description="The profile marks the threshold provisional (REGIME (d)10: grants covered?)"
    )


class RatesOut(BaseModel):
    """The monthly rates the amounts were converted at."""

    table: str
    month: str
    sample: bool
    cny_per_unit: Decimal
    usd_cny_per_unit: Decimal


class TransferOut(_Out):
    id: int
    project_id: int
    payer_party_id: int
    payee_party_id: int
    payee_rmb_account: str | None
    amount: Decimal
    currency: str
    amount_cny: Decimal
    amount_usd: Decimal
    rates: RatesOut
    transfer_date: dt.date
    budget_year: int
    budget_category: BudgetCategory
    purpose: TransferPurpose
    contract_reference: str
    status: TransferStatus
    reasons: list[ReasonRecordOut]
    tax_filing: TaxFilingOut
    note: str | None
    bank_reference: str | None
    remitted_on: dt.date | None
    report_reference: str | None
    declared_by: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class StatusTotalOut(BaseModel):
    status: TransferStatus
    count: int
    amount_cny: Decimal


class YearTotalOut(BaseModel):
    year: int
    budget: Decimal
    consumed: Decimal
    remaining: Decimal


class ProjectReportOut(BaseModel):
    """Budget, consumed and remaining by year and category; transfers by status (CNY)."""

    project: ProjectOut
    lines: list[BudgetLineOut]
    years: list[YearTotalOut]
    budget: Decimal
    consumed: Decimal
    remaining: Decimal
    transfers: list[StatusTotalOut]


class SourceTotalOut(BaseModel):
    funding_source: FundingSource
    projects: int
    budget: Decimal
    consumed: Decimal
    remaining: Decimal
    transfers: list[StatusTotalOut]


class FundsBySourceOut(BaseModel):
    """Totals per funding source (CNY); ``year`` restricts budget lines and transfers to it."""

    year: int | None
    sources: list[SourceTotalOut]


def transfer_out(transfer: FundTransfer) -> TransferOut:
    """A stored transfer with its rates and R40 flag grouped."""
    return TransferOut.model_validate(
        {
            **{name: getattr(transfer, name) for name in _TRANSFER_FIELDS},
            "reasons": [ReasonRecordOut.of(r) for r in stored_reasons(transfer.reasons)],
            "rates": RatesOut(
                table=transfer.rate_table,
                month=transfer.rate_month,
                sample=transfer.rates_are_sample,
                cny_per_unit=transfer.rate_cny_per_unit,
                usd_cny_per_unit=transfer.usd_rate_cny_per_unit,
            ),
            "tax_filing": TaxFilingOut(
                required=transfer.tax_filing_required,
                covered_by=transfer.tax_filing_covered_by_id,
                provisional=transfer.tax_filing_provisional,
            ),
        }
    )


_TRANSFER_FIELDS = tuple(
    name for name in TransferOut.model_fields if name not in {"reasons", "rates", "tax_filing"}
)
