"""Request and response shapes of the inspection and override endpoints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from hetao.crossing.schemas import RowOutput, StrictInput
from hetao.engine.facts import Outcome
from hetao.errors import ValidationFailed
from hetao.inputs import Id, text_fault
from hetao.inspections.models import (
    AdjustmentStatus,
    InspectionResult,
    InspectionStatus,
    OverrideStatus,
)
from hetao.ledger.schemas import SignedQuantity

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
CrossingPointCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=40)]


class AdjustmentOut(RowOutput):
    id: int
    inspection_id: int
    lot_id: int
    quantity: Decimal
    reason: str
    status: AdjustmentStatus
    proposed_by: int
    decided_by: int | None
    decision_note: str | None
    movement_id: int | None
    created_at: dt.datetime
    decided_at: dt.datetime | None


class SeizureOut(RowOutput):
    id: int
    lot_id: int
    hold_id: int


class InspectionOut(RowOutput):
    id: int
    decision_id: int
    crossing_point: str
    line: str
    status: InspectionStatus
    assigned_to: int | None
    started_by: int | None
    completed_by: int | None
    result: InspectionResult | None
    findings: str | None
    opened_at: dt.datetime
    assigned_at: dt.datetime | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None


class InspectionResults(InspectionOut):
    adjustments: list[AdjustmentOut]
    seizures: list[SeizureOut]


class InspectedGoodsOut(BaseModel):
    carried_goods: bool = Field(
        description="False for a person, or a vehicle with no consignment: nothing to adjust"
    )
    lot_ids: list[int] = Field(description="The only lots its adjustments and seizures may name")


class InspectionDetail(InspectionResults):
    goods: InspectedGoodsOut = Field(description="The goods of the decision inspected")


class OverrideOut(RowOutput):
    id: int
    decision_id: int
    from_outcome: Outcome
    to_outcome: Outcome
    reason: str
    status: OverrideStatus
    proposed_by: int
    decided_by: int | None
    decision_note: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None


class DecisionOverrides(BaseModel):
    decision_id: int
    outcome: Outcome = Field(description="The decision as made; never changed")
    effective_outcome: Outcome = Field(description="The outcome in force after overrides")
    overrides: list[OverrideOut]


class AssignIn(StrictInput):
    officer_id: Id | None = Field(
        default=None, description="Omit to give it to the least-loaded officer of the line"
    )


class AdjustmentIn(StrictInput):
    lot_id: Id
    quantity: SignedQuantity = Field(description="Decimal string: + overage, - shortage")
    reason: Note


class SeizureIn(StrictInput):
    lot_id: Id
    quantity: SignedQuantity = Field(description="Decimal string, positive")


class ResultIn(StrictInput):
    result: InspectionResult
    findings: Note | None = None
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=100)
    seizures: list[SeizureIn] = Field(default_factory=list, max_length=100)
    held_until: AwareDatetime | None = Field(
        default=None, description="Until when seized goods stay held (default 90 days)"
    )


class NoteIn(StrictInput):
    note: Note | None = None


class ReasonIn(StrictInput):
    note: Note


class OverrideIn(StrictInput):
    to_outcome: Outcome
    reason: Note


TEXT_MAX = 4000


def clean_text(value: str | None, *, field: str, required: bool) -> str | None:
    """Stripped text of at most TEXT_MAX characters; None when empty and not required."""
    cleaned = value.strip() if isinstance(value, str) else None
    if not cleaned:
        if required:
            raise ValidationFailed.single(field, "text.required", "must not be empty")
        return None
    if len(cleaned) > TEXT_MAX:
        raise ValidationFailed.single(
            field, "text.max_length", f"must be at most {TEXT_MAX} characters"
        )
    fault = text_fault(cleaned)
    if fault is not None:
        raise ValidationFailed.single(field, *fault)
    return cleaned
