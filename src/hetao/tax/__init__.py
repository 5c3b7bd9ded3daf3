"""Import taxes: a pure assessment over plain values and the zone profile (REGIME (e))."""

from hetao.tax.compute import assess, consistency_problems
from hetao.tax.rules import CHARGING_RULES, Rule
from hetao.tax.schemas import (
    AssessedLine,
    Assessment,
    AssessmentDocument,
    AssessmentRequest,
    CustomsStatus,
    Declarant,
    DeMinimis,
    LineInput,
    Movement,
    RateSource,
    Totals,
    TransferReason,
    loads,
    parse_request,
    read_document,
)

__all__ = [
    "CHARGING_RULES",
    "AssessedLine",
    "Assessment",
    "AssessmentDocument",
    "AssessmentRequest",
    "CustomsStatus",
    "DeMinimis",
    "Declarant",
    "LineInput",
    "Movement",
    "RateSource",
    "Rule",
    "Totals",
    "TransferReason",
    "assess",
    "consistency_problems",
    "loads",
    "parse_request",
    "read_document",
]
