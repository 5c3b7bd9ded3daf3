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


class LoanDetailOut(LoanOut):
    """A loan with its tax assessment, once it became a taxable event."""

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
