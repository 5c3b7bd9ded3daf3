"""Tables of inspections: the queue, results, proposed ledger adjustments, seizures, overrides.

A decision is never changed: an officer's override is a row of its own, and the effective
outcome is the decision's outcome unless a confirmed override says otherwise. The two-person
rules (an adjustment approved, a REFUSE overturned, by a second officer) are enforced by the
service and, as a last line, by CHECK constraints.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hetao.engine.facts import Outcome
from hetao.ledger.models import QUANTITY
from hetao.storage.types import Base, UTCDateTime, enum_type, utcnow


class InspectionStatus(StrEnum):
    """Where an inspection stands in its crossing point's queue."""

    QUEUED = "queued"
    """Waiting for an officer."""
    ASSIGNED = "assigned"
    """Given to an officer of the line, not started yet."""
    IN_PROGRESS = "in_progress"
    """The officer is inspecting."""
    COMPLETED = "completed"
    """A result is recorded."""
    CANCELLED = "cancelled"
    """Withdrawn: a confirmed override no longer sends the crossing to inspection."""


class InspectionResult(StrEnum):
    """What the inspection found."""

    CONFORMS = "conforms"
    """The subject matches what was declared."""
    DISCREPANCY = "discrepancy"
    """Quantities differ: ledger adjustments are proposed for a second officer to approve."""
    SEIZURE = "seizure"
    """Goods are seized: ledger holds keep them from leaving their lots."""


class AdjustmentStatus(StrEnum):
    """A proposed ledger adjustment awaiting its second officer."""

    PROPOSED = "proposed"
    """Waiting for a second officer."""
    APPROVED = "approved"
    """Approved by a second officer and applied to the ledger."""
    REJECTED = "rejected"
    """Turned down by a second officer; the ledger is unchanged."""


class OverrideStatus(StrEnum):
    """An officer's override of a decision."""

    PROPOSED = "proposed"
    """Overturning a REFUSE: waits for a second, different officer."""
    CONFIRMED = "confirmed"
    """In force: the decision's effective outcome is the override's."""
    REJECTED = "rejected"
    """Turned down by a second officer; the decision stands."""


class Inspection(Base):
    """The inspection of one decided crossing, in the queue of its crossing point."""

    __tablename__ = "crossing_inspections"
    __table_args__ = (
        CheckConstraint(
            "(status IN ('queued', 'cancelled')) OR assigned_to IS NOT NULL",
            name="assigned_when_taken",
        ),
        CheckConstraint(
            "(status = 'completed' AND result IS NOT NULL AND completed_by IS NOT NULL)"
            " OR (status <> 'completed' AND result IS NULL)",
            name="result_iff_completed",
        ),
        CheckConstraint("line IN ('first', 'second')", name="line_known"),
        Index(
            "ix_crossing_inspections_crossing_point_status_opened_at",
            "crossing_point",
            "status",
            "opened_at",
        ),
        Index("ix_crossing_inspections_assigned_to_status", "assigned_to", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("crossing_decisions.id"), unique=True)
    crossing_point: Mapped[str] = mapped_column(String(40))
    #: The line of the crossing point: only its officers take the inspection.
    line: Mapped[str] = mapped_column(String(10))
    status: Mapped[InspectionStatus] = mapped_column(
        enum_type(InspectionStatus, name="inspection_status"), default=InspectionStatus.QUEUED
    )
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    started_by: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    result: Mapped[InspectionResult | None] = mapped_column(
        enum_type(InspectionResult, name="inspection_result")
    )
    findings: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The client's key of the result recorded: the same result sent again (a tablet's replay
    #: after the network returned) is answered as recorded, never recorded twice.
    result_key: Mapped[str | None] = mapped_column(String(64))

    adjustments: Mapped[list[AdjustmentProposal]] = relationship(
        back_populates="inspection", order_by="AdjustmentProposal.id"
    )
    seizures: Mapped[list[Seizure]] = relationship(order_by="Seizure.id")


class AdjustmentProposal(Base):
    """A ledger adjustment an inspection found necessary; applied once a second officer approves."""

    __tablename__ = "crossing_adjustments"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        # The two-person rule, kept by the database too: the approver is never the proposer.
        CheckConstraint(
            "decided_by IS NULL OR decided_by <> proposed_by", name="second_officer_decides"
        ),
        CheckConstraint(
            "(status = 'proposed' AND decided_by IS NULL)"
            " OR (status <> 'proposed' AND decided_by IS NOT NULL)",
            name="decided_when_not_proposed",
        ),
        CheckConstraint(
            "(status = 'approved' AND movement_id IS NOT NULL)"
            " OR (status <> 'approved' AND movement_id IS NULL)",
            name="approved_has_its_movement",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("crossing_inspections.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("ledger_lots.id"), index=True)
    #: Signed, as the ledger's ``adjust``: positive for an overage, negative for a shortage.
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[AdjustmentStatus] = mapped_column(
        enum_type(AdjustmentStatus, name="adjustment_status"), default=AdjustmentStatus.PROPOSED
    )
    proposed_by: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: The ledger's ADJUST movement, once approved.
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_movements.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    inspection: Mapped[Inspection] = relationship(back_populates="adjustments")


class Seizure(Base):
    """Goods seized at an inspection, kept by a ledger hold on their lot."""

    __tablename__ = "crossing_seizures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("crossing_inspections.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("ledger_lots.id"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("ledger_holds.id"), unique=True)


class InspectionPhoto(Base):
    """A photo taken at the goods and attached to an inspection's result; its SHA-256 is in the
    result's audit event, so the stored bytes can be proved to be those the officer sent."""

    __tablename__ = "crossing_inspection_photos"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("crossing_inspections.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Override(Base):
    """An officer's override of a decision, with the reason; the decision itself stays."""

    __tablename__ = "crossing_overrides"
    __table_args__ = (
        CheckConstraint("from_outcome <> to_outcome", name="changes_the_outcome"),
        CheckConstraint(
            "decided_by IS NULL OR decided_by <> proposed_by", name="second_officer_decides"
        ),
        # Overturning a REFUSE is confirmed by a second officer, never by the proposer alone.
        CheckConstraint(
            "status <> 'confirmed' OR from_outcome <> 'refuse' OR decided_by IS NOT NULL",
            name="refuse_overturned_by_two",
        ),
        CheckConstraint(
            "status <> 'rejected' OR decided_by IS NOT NULL", name="rejected_by_a_second_officer"
        ),
        Index("ix_crossing_overrides_decision_id_status", "decision_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("crossing_decisions.id"))
    from_outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, name="override_from_outcome"))
    to_outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, name="override_to_outcome"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[OverrideStatus] = mapped_column(
        enum_type(OverrideStatus, name="override_status")
    )
    proposed_by: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    #: The second officer who confirmed or rejected it (None: confirmed by its proposer alone).
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


def record_second_decision(
    proposal: AdjustmentProposal | Override, *, by: int, at: dt.datetime, note: str | None
) -> None:
    """Stamp the second officer's decision: who, when, their note (CHECKs read them together)."""
    proposal.decided_by = by
    proposal.decided_at = at
    proposal.decision_note = note
