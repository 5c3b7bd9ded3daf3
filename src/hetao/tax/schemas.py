"""What an assessment takes and gives: plain values, every amount a Decimal, never a float.

The request validates itself the same way for a Python caller (the ledger) and for a JSON
document (the CLI, the API): money and rates are ``Decimal`` or decimal strings, never binary
floats, and every problem names its key (``lines[0].customs_value``) and its rule.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hetao.errors import FieldProblem, ValidationFailed
from hetao.inputs import InputModel, decimal_within
from hetao.profiles import dotted_key
from hetao.reasons import ReasonRecordOut
from hetao.reference.countries import check_country
from hetao.reference.currencies import check_currency
from hetao.reference.hs import check_hs_code
from hetao.reference.tariff import MAX_DUTY_RATE
from hetao.tax.rules import Rule

# --- vocabularies -----------------------------------------------------------------------------


class Movement(StrEnum):
    """What happens to the goods of a request."""

    FIRST_LINE_ENTRY = "first_line_entry"
    """Hong Kong -> zone."""
    FIRST_LINE_EXIT = "first_line_exit"
    """Zone -> Hong Kong."""
    SECOND_LINE_EXIT = "second_line_exit"
    """Zone -> rest of the mainland."""
    SECOND_LINE_ENTRY = "second_line_entry"
    """Rest of the mainland -> zone."""
    IN_ZONE_TRANSFER = "in_zone_transfer"
    """From one party to another inside the zone; the declarant is the receiving party."""
    RESEARCH_CONSUMPTION = "research_consumption"
    """Used up in research, or turned into an R&D product, inside the zone (R5, R7)."""


class CustomsStatus(StrEnum):
    """Customs status of goods on the e-ledger."""

    DUTY_FREE_RESEARCH = "duty_free_research"
    """Research goods imported free of the three taxes (R4) or Hengqin self-use goods (R19)."""
    BONDED = "bonded"
    """Foreign goods whose import taxes are suspended while they stay in the zone."""
    DUTY_PAID = "duty_paid"
    """Import taxes paid."""
    DOMESTIC = "domestic"
    """Goods of the mainland customs territory."""


class TransferReason(StrEnum):
    """Why goods change hands inside the zone (R8)."""

    ORDINARY = "ordinary"
    """A sale, loan or gift: the default."""
    BANKRUPTCY = "bankruptcy"
    """The transferring enterprise is bankrupt."""
    DEREGISTRATION = "deregistration"
    """The transferring institution is deregistered."""


class RateSource(StrEnum):
    """Where a line's exchange rate came from."""

    CNY = "cny"
    """The value is in CNY already: rate 1."""
    TABLE = "table"
    """The monthly customs rate table."""
    OVERRIDE = "override"
    """The request's ``exchange_rates``."""


# --- value types ------------------------------------------------------------------------------

_FLOAT_MESSAGE = (
    'write money and rates as decimal strings, e.g. "1234.50": a JSON number is read as a '
    "binary float, which loses cents"
)


def _decimal(value: object) -> Decimal:
    # bool and int are refused too: money must be typed the one way that cannot lose a fen.
    if isinstance(value, Decimal):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise PydanticCustomError(
                "decimal_format", "{value!r} is not a decimal number", {"value": value}
            ) from None
    else:
        raise PydanticCustomError("decimal_string_required", _FLOAT_MESSAGE)
    if not parsed.is_finite():
        raise PydanticCustomError("decimal_format", "must be a finite decimal number")
    return parsed


def _quantity(value: object) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        raise PydanticCustomError(
            "decimal_string_required",
            'write a fractional quantity as a decimal string, e.g. "2.5": a JSON number with '
            "a fraction is a binary float",
        )
    return _decimal(value)


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError("must_not_be_negative", "must not be negative")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError("must_be_positive", "must be greater than 0")
    return value


def _fraction(value: Decimal) -> Decimal:
    # The consumption-tax formula divides by (1 - rate), so a rate of 1 or more has no meaning.
    if not Decimal(0) <= value < Decimal(1):
        raise PydanticCustomError("rate_range", "must be a fraction in [0, 1), e.g. 0.13 for 13 %")
    return value


def _duty_rate(value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= MAX_DUTY_RATE:
        raise PydanticCustomError(
            "rate_range",
            "must be a fraction in [0, {high}], e.g. 0.08 for 8 %",
            {"high": str(MAX_DUTY_RATE)},
        )
    return value


def _reference(check: Callable[[str], str]) -> Callable[[str], str]:
    """Wrap a reference check so its ValidationFailed becomes a located pydantic error."""

    def validate(value: str) -> str:
        try:
            result = check(value)
        except ValidationFailed as error:
            problem = error.problems[0]
            raise PydanticCustomError(problem.rule, problem.message) from None
        return result

    return validate


_UNIT = re.compile(r"^[a-z][a-z0-9_]{0,15}$")


def _unit(value: str) -> str:
    unit = value.strip().lower()
    if not _UNIT.fullmatch(unit):
        raise PydanticCustomError("unit_format", "must be a unit such as kg, l, m2, unit, set")
    return unit


def _iso_date(value: object) -> object:
    # Pydantic would read a number as a Unix timestamp; a date must be written as one.
    if isinstance(value, dt.datetime):
        raise PydanticCustomError("iso_date", "must be a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("iso_date", "must be an ISO date such as 2026-03-15")


#: Bounds that keep every product and quotient of an assessment within the decimal context
#: (28 digits), so rounding a tax to the fen cannot overflow: a value times a rate, a value
#: over a rate, quantities for specific duties.
MAX_MONEY = Decimal("1e16")
MAX_QUANTITY = Decimal("1e15")
MAX_EXCHANGE_RATE = Decimal("1e6")
INPUT_PLACES = 6

Money = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    decimal_within(
        below=MAX_MONEY, places=INPUT_PLACES, size_rule="money.max", places_rule="money.places"
    ),
    AfterValidator(_not_negative),
]
"""A non-negative amount: Decimal or decimal string."""
Quantity = Annotated[
    Decimal,
    BeforeValidator(_quantity),
    decimal_within(
        below=MAX_QUANTITY,
        places=INPUT_PLACES,
        size_rule="quantity.max",
        places_rule="quantity.places",
    ),
    AfterValidator(_positive),
]
"""A positive quantity: integer, Decimal or decimal string."""
TaxRate = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_fraction)]
"""A VAT or consumption-tax rate in [0, 1)."""
DutyRate = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_duty_rate)]
"""An ad valorem duty rate in [0, MAX_DUTY_RATE]."""
ExchangeRate = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    decimal_within(
        below=MAX_EXCHANGE_RATE,
        places=INPUT_PLACES,
        size_rule="rate.max",
        places_rule="rate.places",
    ),
    AfterValidator(_positive),
]
"""CNY per one unit of a currency."""
HsCode = Annotated[str, AfterValidator(_reference(check_hs_code))]
CurrencyCode = Annotated[str, AfterValidator(_reference(check_currency))]
CountryCode = Annotated[str, AfterValidator(_reference(check_country))]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Unit = Annotated[str, AfterValidator(_unit)]
"""A unit of quantity such as kg, l, m2, unit, set (lower case)."""
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


MAX_LINES = 10_000


def _line_count(lines: tuple[LineInput, ...]) -> tuple[LineInput, ...]:
    # Checked after the items, so a bad line is not also reported as "too few lines".
    if not 1 <= len(lines) <= MAX_LINES:
        raise PydanticCustomError("line_count", "give 1 to {high} lines", {"high": MAX_LINES})
    return lines


class _Model(InputModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the request ------------------------------------------------------------------------------


class Declarant(_Model):
    """Who declares; for an in-zone transfer, the party receiving the goods (R8)."""

    beneficiary: StrictBool
    kind: Slug


class TaxesPaid(_Model):
    """Import taxes already paid on an imported input, in CNY (R24 credits them)."""

    duty: Money = Decimal(0)
    consumption_tax: Money = Decimal(0)
    import_vat: Money = Decimal(0)

    @property
    def any(self) -> bool:
        """Whether any tax was paid."""
        return bool(self.duty or self.consumption_tax or self.import_vat)


class InputLine(_Model):
    """An imported input of goods leaving through the second line (R24): the share of an input
    lot the goods carry, valued as it entered, with the taxes paid on that share."""

    hs_code: HsCode
    quantity: Quantity
    unit: Unit
    customs_value: Money
    currency: CurrencyCode
    status: CustomsStatus
    taxes_paid: TaxesPaid = TaxesPaid()

    @model_validator(mode="after")
    def _imported(self) -> InputLine:
        if self.status is CustomsStatus.DOMESTIC:
            raise PydanticCustomError(
                "R24.input_not_imported",
                "domestic goods are not an imported input: leave them out",
                {"at": ("status",)},
            )
        return self


class LineInput(_Model):
    """One goods line as declared; optional rates override the tariff table."""

    hs_code: HsCode
    quantity: Quantity
    unit: Unit
    customs_value: Money
    currency: CurrencyCode
    origin: CountryCode
    status: CustomsStatus
    duty_rate: DutyRate | None = None
    vat_rate: TaxRate | None = None
    consumption_tax_rate: TaxRate | None = None
    #: The value-added test (R25), all three in the line's currency, or none of them.
    imported_inputs_value: Money | None = None
    domestic_inputs_value: Money | None = None
    sale_price: Money | None = None
    #: Research consumption only: used up without forming an R&D product (R5).
    consumed_in_research: StrictBool = False
    #: Research consumption only: the beneficiary applied for release without repaying (R5).
    release_on_application: StrictBool = False
    #: First-line entry only: the beneficiary elected to pay instead of the exemption (R6).
    waived: StrictBool = False
    #: Second-line exit under a profile that taxes imported inputs (R24): the imported inputs
    #: the goods were made from, each taxed at its own HS code and value. None given: the goods
    #: leave as they entered and are their own imported input.
    inputs: Annotated[tuple[InputLine, ...], Field(max_length=1000)] = ()

    @model_validator(mode="after")
    def _value_added_complete(self) -> LineInput:
        given = self.value_added_keys_given
        if given and len(given) < len(_VALUE_ADDED_KEYS):
            missing = next(key for key in _VALUE_ADDED_KEYS if key not in given)
            raise PydanticCustomError(
                "R25.inputs_incomplete",
                "the value-added test needs sale_price, imported_inputs_value and "
                "domestic_inputs_value together",
                {"at": (missing,)},
            )
        return self

    @property
    def value_added_keys_given(self) -> tuple[str, ...]:
        """Which of the value-added keys the line carries."""
        return tuple(key for key in _VALUE_ADDED_KEYS if getattr(self, key) is not None)


_VALUE_ADDED_KEYS = ("sale_price", "imported_inputs_value", "domestic_inputs_value")


class AssessmentRequest(_Model):
    """A declaration to assess: the movement, its date, who declares and the goods lines."""

    movement: Movement
    date: IsoDate
    declarant: Declarant
    transfer_reason: TransferReason | None = None
    #: CNY per unit, overriding the monthly table for this request.
    exchange_rates: dict[CurrencyCode, ExchangeRate] = Field(default_factory=dict)
    lines: Annotated[tuple[LineInput, ...], AfterValidator(_line_count)]


# --- the assessment ---------------------------------------------------------------------------


class ExclusionApplied(_Model):
    """The exemption-exclusions row that took a line out of its exemption (R4, R19, R23, (d)2)."""

    #: The exemption the row limits: R4, R19 or R23.
    rule: str
    table: str
    #: None when the goods are on no row of the rule's exempt list.
    row_id: str | None
    code: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    description: str
    source: str


class AssessedInput(_Model):
    """One imported input of a line taxed on its inputs (R24): its valuation, rates and the
    taxes due on it before the taxes paid on it are credited."""

    hs_code: str
    quantity: Decimal
    unit: str
    customs_value: Decimal
    currency: str
    status: CustomsStatus
    exchange_rate: Decimal
    exchange_rate_source: RateSource
    exchange_rate_month: str | None
    dutiable_value_cny: Decimal
    tariff_code: str | None
    tariff_valid_from: dt.date | None
    duty_rate: Decimal | None
    specific_duty_cny: Decimal | None
    specific_duty_unit: str | None
    consumption_tax_rate: Decimal | None
    vat_rate: Decimal | None
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    taxes_paid: TaxesPaid


class AssessedLine(_Model):
    """One line's valuation, rates, taxes due and the rule behind each."""

    index: int
    hs_code: str
    status: CustomsStatus
    #: The status the goods hold afterwards; None when they left the zone or were used up.
    status_after: CustomsStatus | None
    rule: Rule
    taxed: bool
    #: Why the line is not exempt although claimed so; None when no row excludes it.
    exclusion: ExclusionApplied | None
    currency: str
    customs_value: Decimal
    exchange_rate: Decimal
    exchange_rate_source: RateSource
    #: The month of the table row used (``YYYY-MM``), when the table was used.
    exchange_rate_month: str | None
    #: The value the taxes are computed on: the line's own, or its inputs' sum (R24).
    dutiable_value_cny: Decimal
    #: The tariff row the rates came from (None when not taxed or every rate was overridden).
    tariff_code: str | None
    tariff_valid_from: dt.date | None
    duty_rate: Decimal | None
    specific_duty_cny: Decimal | None
    specific_duty_unit: str | None
    consumption_tax_rate: Decimal | None
    vat_rate: Decimal | None
    #: Which of duty_rate, vat_rate, consumption_tax_rate the request overrode.
    overridden_rates: tuple[str, ...]
    #: (sale - inputs) / inputs, cut (not rounded) to 4 places, when the profile's rule applies.
    value_added_ratio: Decimal | None
    duty: Decimal
    duty_rule: Rule
    consumption_tax: Decimal
    consumption_tax_rule: Rule
    vat: Decimal
    vat_rule: Rule
    total: Decimal
    #: R24: the imported inputs the line was taxed on (empty: taxed on its own value).
    inputs: tuple[AssessedInput, ...] = ()
    #: R24: taxes already paid on the inputs, credited against ``duty``, ``consumption_tax`` and
    #: ``vat`` (which are due after the credit).
    duty_credited: Decimal = Decimal(0)
    consumption_tax_credited: Decimal = Decimal(0)
    vat_credited: Decimal = Decimal(0)
    #: Why, in the shape every domain gives (``hetao.reasons``): the line's ``rule`` first, then
    #: each other rule one of its taxes fell under (``*_rule``), with texts in three languages.
    reasons: tuple[ReasonRecordOut, ...]


class DeMinimis(_Model):
    """The declaration-level threshold and what it waived, per tax."""

    threshold_cny: Decimal
    duty_waived: Decimal
    consumption_tax_waived: Decimal
    vat_waived: Decimal


class Totals(_Model):
    """Taxes due on the declaration: the sums of the lines."""

    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal


class Assessment(_Model):
    """An assessment with everything needed to recompute and explain it later."""

    profile: str
    profile_effective_from: dt.date
    #: Tax parameters of the profile that are placeholders for unpublished rules.
    provisional: tuple[str, ...]
    tariff_version: str
    tariff_sample: bool
    exchange_rate_table_version: str
    exchange_rate_table_sample: bool
    exemption_exclusions_version: str
    exemption_exclusions_sample: bool
    request: AssessmentRequest
    lines: tuple[AssessedLine, ...]
    de_minimis: DeMinimis
    totals: Totals


# --- reading documents ------------------------------------------------------------------------

_MESSAGES = {
    # Pydantic's wording names Python concepts; say what they mean in a document.
    "extra_forbidden": "unknown key: it is not part of an assessment request",
    "missing": "required key is missing",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "model_type": "must be an object",
    "dict_type": "must be an object",
    "tuple_type": "must be a list",
}


def problems_of(
    error: ValidationError, *, prefix: tuple[str | int, ...] = ()
) -> list[FieldProblem]:
    """Each pydantic error as a FieldProblem naming the dotted key and the rule."""
    problems = []
    for item in error.errors():
        context = item.get("ctx") or {}
        at = context.get("at", ())
        rule = item["type"]
        message = _MESSAGES.get(rule, item["msg"])
        problems.append(FieldProblem(dotted_key((*prefix, *item["loc"], *at)), rule, message))
    return problems


def parse_request(document: object) -> AssessmentRequest:
    """Validate a JSON-like request; ValidationFailed names every bad key and its rule."""
    if not isinstance(document, Mapping):
        raise ValidationFailed.single("(root)", "object_required", "must be a JSON object")
    try:
        return AssessmentRequest.model_validate(dict(document))
    except ValidationError as error:
        raise _refused(problems_of(error)) from None


@dataclass(frozen=True, slots=True)
class AssessmentDocument:
    """A request as the CLI reads it: the request and the profile it names (if any)."""

    profile: str | None
    request: AssessmentRequest


def read_document(document: object) -> AssessmentDocument:
    """Split a CLI document into its ``profile`` key and the request."""
    if not isinstance(document, Mapping):
        raise ValidationFailed.single("(root)", "object_required", "must be a JSON object")
    rest = dict(document)
    profile = rest.pop("profile", None)
    if profile is not None and (not isinstance(profile, str) or not profile.strip()):
        raise ValidationFailed.single(
            "profile", "string_type", "must be a profile name such as hetao, or a TOML path"
        )
    return AssessmentDocument(profile=profile, request=parse_request(rest))


def loads(text: str) -> object:
    """Parse JSON text, refusing a key given twice (the second would silently win)."""

    def unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in pairs:
            if key in out:
                raise ValidationFailed.single(
                    key, "duplicate_key", "is given twice in one object; give it once"
                )
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as error:
        raise ValidationFailed.single("(json)", "json_syntax", str(error)) from None


def _refused(problems: list[FieldProblem]) -> ValidationFailed:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return ValidationFailed(
        f"assessment request refused: {first.field}: {first.message} [{first.rule}]{more}",
        problems=problems,
    )
