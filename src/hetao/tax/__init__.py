"""Import taxes: a pure assessment over plain values and the zone profile (REGIME (e))."""

from hetao.tax.compute import assess, consistency_problems
from hetao.tax.rules import CHARGING_RULES, Rule
from hetao.tax.schemas import (
    AssessedInput,
    AssessedLine,
    Assessment,
    AssessmentDocument,
    AssessmentRequest,
    CustomsStatus,
    Declarant,
    DeMinimis,
    InputLine,
    LineInput,
    Movement,
    RateSource,
    TaxesPaid,
    Totals,
    TransferReason,
    loads,
    parse_request,
    read_document,
)

__all__ = [
    "CHARGING_RULES",
    "AssessedInput",
    "AssessedLine",
    "Assessment",
    "AssessmentDocument",
    "AssessmentRequest",
    "CustomsStatus",
    "DeMinimis",
    "Declarant",
    "InputLine",
    "LineInput",
    "Movement",
    "RateSource",
    "Rule",
    "TaxesPaid",
    "Totals",
    "TransferReason",
    "assess",
    "consistency_problems",
    "loads",
    "parse_request",
    "read_document",
]
