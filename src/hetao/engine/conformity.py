"""R12: legally inspected goods entering from Hong Kong get the conformity-assessment tier of the
crossing's risk lane: a document check releases, sampling and full inspection inspect.

A line is legally inspected when the legal-inspection catalogue in force lists its code (the
gate names the row) or when its declarant declared it so; the catalogue's row is a reason of its
own, so an officer sees why the tier applies.
"""

from __future__ import annotations

from hetao.engine.facts import ConsignmentFacts, GoodsLine, Outcome, VehicleFacts
from hetao.engine.reasons import Param, Reason, reason
from hetao.profiles.schema import ConformityTier


def tier_reason(tier: ConformityTier) -> tuple[str, Outcome]:
    """The R12 reason code of a conformity tier, and its outcome."""
    outcome = Outcome.RELEASE if tier is ConformityTier.DOCUMENT_CHECK else Outcome.INSPECT
    return f"R12.{tier.value}", outcome


def _inspected_lines(subject: ConsignmentFacts | VehicleFacts) -> list[tuple[str, GoodsLine]]:
    """(subject, line) of every legally inspected goods line crossing."""
    if isinstance(subject, ConsignmentFacts):
        consignments = [("", subject)]
    else:
        consignments = [(f"consignment[{i}].", c) for i, c in enumerate(subject.consignments, 1)]
    return [
        (f"{prefix}line[{line.line_no}]", line)
        for prefix, consignment in consignments
        for line in consignment.lines
        if line.legally_inspected
    ]


def conformity_reasons(
    subject: ConsignmentFacts | VehicleFacts, *, code: str, outcome: Outcome, lane: Param
) -> list[Reason]:
    """The R12 reasons of a crossing whose lane gives tier ``code``: per legally inspected line,
    the catalogue row listing it (when one does) and the tier."""
    reasons = []
    for where, line in _inspected_lines(subject):
        line_no = str(line.line_no)
        if line.inspection_listing is not None:
            reasons.append(
                reason(
                    "R12.catalogued",
                    outcome,
                    where,
                    line_no=line_no,
                    hs_code=line.hs_code,
                    listing=line.inspection_listing,
                )
            )
        reasons.append(reason(code, outcome, where, line_no=line_no, lane=lane))
    return reasons
