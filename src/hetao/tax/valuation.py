"""Valuation and rates of goods being assessed: a line, or an imported input of one (R24).

Pure like ``hetao.tax.compute``, which decides and sums; this module values goods in CNY at the
request's exchange rate, looks up their tariff row and records what each input had paid.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from decimal import Decimal

from hetao.errors import ValidationFailed
from hetao.profiles import TaxKind, ZoneProfile
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff, TariffRate
from hetao.tax.rules import Rule
from hetao.tax.schemas import AssessedInput, AssessmentRequest, InputLine, RateSource

ZERO = Decimal(0)
#: Wide enough that no intermediate product or quotient is rounded before the final fen.
PRECISION = 60


@dataclass(slots=True)
class Priced:
    """A line (or an input of one, R24) valued in CNY, with the rates that apply if it is taxed."""

    quantity: Decimal
    exchange_rate: Decimal
    source: RateSource
    month: str | None
    dutiable: Decimal
    tariff_row: TariffRate | None = None
    duty_rate: Decimal | None = None
    specific_duty: Decimal | None = None
    specific_unit: str | None = None
    consumption_tax_rate: Decimal | None = None
    vat_rate: Decimal | None = None
    overridden: tuple[str, ...] = ()
    amounts: dict[TaxKind, Decimal] = field(default_factory=dict)
    rules: dict[TaxKind, Rule] = field(default_factory=dict)
    #: R24: the imported inputs the line is taxed on, each priced like a line.
    inputs: list[Priced] = field(default_factory=list)
    #: R24: what was paid on an input, and what of it is credited (summed on its line), by tax.
    paid: dict[TaxKind, Decimal] = field(default_factory=dict)
    credited: dict[TaxKind, Decimal] = field(default_factory=dict)

    @property
    def basis(self) -> Decimal:
        """The dutiable value the taxes are computed on: the inputs' when there are any."""
        if self.inputs:
            return sum((item.dutiable for item in self.inputs), ZERO)
        return self.dutiable


def valued(
    at: str,
    currency: str,
    customs_value: Decimal,
    quantity: Decimal,
    request: AssessmentRequest,
    profile: ZoneProfile,
    rates: RateTable,
) -> Priced:
    """Goods valued in CNY at the request's rate for ``currency`` (override, table or 1)."""
    if currency == "CNY":
        rate, source, month = Decimal(1), RateSource.CNY, None
    elif currency in request.exchange_rates:
        rate, source, month = request.exchange_rates[currency], RateSource.OVERRIDE, None
    else:
        found = rates.rate(currency, on=request.date, field=f"{at}.currency")
        rate, source, month = found.cny_per_unit, RateSource.TABLE, found.month
    with decimal.localcontext() as context:
        context.prec = PRECISION
        dutiable = profile.tax.round_money(customs_value * rate)
    return Priced(
        quantity=quantity, exchange_rate=rate, source=source, month=month, dutiable=dutiable
    )


def rated(at: str, priced: Priced, row: TariffRate, unit: str) -> None:
    """The duty of ``row`` (ad valorem and specific per unit) for goods declared in ``unit``."""
    priced.duty_rate = row.duty_rate
    priced.specific_duty, priced.specific_unit = row.specific_duty_cny, row.specific_duty_unit
    if row.specific_duty_unit is not None and row.specific_duty_unit != unit:
        raise ValidationFailed.single(
            f"{at}.unit",
            "tariff.specific_duty_unit",
            f"the specific duty of {row.code} is per {row.specific_duty_unit}; "
            f"declare the quantity in {row.specific_duty_unit}",
        )


def priced_input(
    at: str,
    item: InputLine,
    request: AssessmentRequest,
    profile: ZoneProfile,
    tariff: Tariff,
    rates: RateTable,
) -> Priced:
    """An imported input (R24) valued and rated like a line of its own."""
    priced = valued(at, item.currency, item.customs_value, item.quantity, request, profile, rates)
    row = tariff.rate_for(item.hs_code, on=request.date, field=f"{at}.hs_code")
    rated(at, priced, row, item.unit)
    priced.tariff_row = row
    priced.consumption_tax_rate = row.consumption_tax_rate
    priced.vat_rate = row.vat_rate
    paid = item.taxes_paid
    priced.paid = {
        TaxKind.DUTY: paid.duty,
        TaxKind.CONSUMPTION_TAX: paid.consumption_tax,
        TaxKind.IMPORT_VAT: paid.import_vat,
    }
    return priced


def pick(override: Decimal | None, row: TariffRate | None, name: str) -> Decimal:
    if override is not None:
        return override
    assert row is not None  # noqa: S101 (a row is looked up whenever a rate is not overridden)
    value: Decimal = getattr(row, name)
    return value


def assessed_input(item: Priced, given: InputLine) -> AssessedInput:
    row = item.tariff_row
    return AssessedInput(
        hs_code=given.hs_code,
        quantity=given.quantity,
        unit=given.unit,
        customs_value=given.customs_value,
        currency=given.currency,
        status=given.status,
        exchange_rate=item.exchange_rate,
        exchange_rate_source=item.source,
        exchange_rate_month=item.month,
        dutiable_value_cny=item.dutiable,
        tariff_code=row.code if row else None,
        tariff_valid_from=row.valid_from if row else None,
        duty_rate=item.duty_rate,
        specific_duty_cny=item.specific_duty,
        specific_duty_unit=item.specific_unit,
        consumption_tax_rate=item.consumption_tax_rate,
        vat_rate=item.vat_rate,
        duty=item.amounts[TaxKind.DUTY],
        consumption_tax=item.amounts[TaxKind.CONSUMPTION_TAX],
        vat=item.amounts[TaxKind.IMPORT_VAT],
        taxes_paid=given.taxes_paid,
    )
