"""Input and output shapes of loans (API, pages, CLI)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from hetao.inputs import Id, InputModel
from hetao.loans import rules as _rules  # noqa: F401  (registers the codes loans give)
from hetao.loans.models import LoanDirection, LoanStatus
from hetao.tax.schemas import CountryCode, CurrencyCode, HsCode
from hetao.tax.schemas import Money as _Decimal

Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Purpose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
Why = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class LoanCreate(InputModel):
    """A loan to record. Out: the lot names the instrument. In: the instrument is described."""

    model_config = ConfigDict(extra="forbid")

    direction: LoanDirection
    #: The zone party; an enterprise user's own party is taken when it is left out.
    zone_party_id: Id | None = None
    #: The Hong Kong institution borrowing (out) or lending (in), from the registry.
    hk_party_id: Id
    serial: Serial
    purpose: Purpose
    due_on: dt.date
    lot_id: Id | None = None
    hs_code: HsCode | None = None
    description: Text | None = None
    unit: Unit | None = None
    origin: CountryCode | None = None
    customs_value: _Decimal | None = None
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _instrument_named_once(self) -> LoanCreate:
        described = (self.hs_code, self.description, self.origin, self.customs_value)
        if self.direction is LoanDirection.OUT and self.lot_id is None:
            raise PydanticCustomError(
                "loan.out_names_lot", "a loan out names the lot the instrument is on (lot_id)"
            )
        if self.direction is LoanDirection.IN and (
            self.lot_id is not None or any(value is None for value in described)
        ):
            raise PydanticCustomError(
                "loan.in_describes_instrument",
                "a loan in describes the instrument (hs_code, description, origin,"
                " customs_value) and names no lot",
            )
        return self


class LoanCancel(InputModel):
    """Why an officer cancels a loan recorded in error, before its instrument crosses."""

    model_config = ConfigDict(extra="forbid")

    cancel_reason: Why


class LoanCorrect(InputModel):
    """A correction of a loan not yet crossed: its due date, its serial, or both, and why."""

    model_config = ConfigDict(extra="forbid")

    due_on: dt.date | None = None
    serial: Serial | None = None
    reason: Why

    @model_validator(mode="after")
    def _corrects_something(self) -> LoanCorrect:
        if self.due_on is None and self.serial is None:
            raise PydanticCustomError(
                "loan.correction_names_a_field", "a correction gives a new due_on or serial"
            )
        return self


class LoanPayment(InputModel):
    """The payment of a taxable loan's assessment, as its receipt shows it."""

    model_config = ConfigDict(extra="forbid")

    payment_reference: Reference
    #: The amount on the receipt: checked equal to the assessment's total, never taken from here.
    amount: _Decimal


class LoanOut(BaseModel):
    """A loan as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    direction: LoanDirection
    status: LoanStatus
    zone_party_id: int
    hk_party_id: int
    lot_id: int | None
    serial: str
    hs_code: str
    description: str
    unit: str
    origin: str
    customs_value: Decimal
    currency: str
    purpose: str
    recorded_on: dt.date
    due_on: dt.date
    crossed_at: dt.datetime | None
    returned_at: dt.datetime | None
    overdue_on: dt.date | None
    taxable_on: dt.date | None
    taxable_reason: dict[str, Any] | None
    tax_total: Decimal | None
    paid_reference: str | None
    paid_total: Decimal | None
    paid_at: dt.datetime | None
    cancel_reason: str | None
    cancelled_at: dt.datetime | None


class TaxRowOut(BaseModel):
    """One tax of a taxable loan: its base, rate and amount, and the tax rule it fell under."""

    tax: str
    base: Decimal
    rate: Decimal | None
    amount: Decimal
    rule: str
    #: The tax rule's reason, with its text in three languages.
    reason: dict[str, Any] | None


class LoanCrossingOut(BaseModel):
    """A crossing that moved the loan on: its instrument across first, or back."""

    #: The crossing event; None for a crossing made before loans kept it.
    id: int | None
    #: "first" (out of the zone for a loan out, into it for a loan in) or "back".
    leg: str
    direction: str
    occurred_at: dt.datetime


class LoanDetailOut(LoanOut):
    """A loan with its crossings, its days overdue and, once taxable, its assessment."""

    days_overdue: int
    crossings: list[LoanCrossingOut]
    taxes: list[TaxRowOut]
    assessment: dict[str, Any] | None


class OutsideRowOut(BaseModel):
    """One instrument outside its home side: a loan away, with its party and due date."""

    model_config = ConfigDict(from_attributes=True)

    loan_id: int
    direction: LoanDirection
    status: LoanStatus
    zone_party_id: int
    zone_party: str
    hk_party_id: int
    hk_party: str
    serial: str
    description: str
    due_on: dt.date
    days_overdue: int


class FlagResult(BaseModel):
    """What one run of the daily job changed."""

    day: dt.date
    overdue: list[int]
    taxable: list[int]
