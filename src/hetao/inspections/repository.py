"""Every query on inspections, their adjustments and seizures, and overrides of decisions."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, func, select
from sqlalchemy.orm import Session, selectinload

from hetao.auth.models import User
from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.inspections.models import (
    AdjustmentProposal,
    AdjustmentStatus,
    Inspection,
    InspectionPhoto,
    InspectionStatus,
    Override,
    OverrideStatus,
)
from hetao.ledger.models import Lot
from hetao.registry.models import Party, Person, Vehicle
from hetao.storage.driver import DriverInsert
from hetao.storage.pagination import PageOf, paginate


def inspection_of(session: Session, decision_id: int) -> Inspection | None:
    """The inspection of a decision, if one was opened."""
    return session.scalars(select(Inspection).where(Inspection.decision_id == decision_id)).first()


def overrides_of(session: Session, decision_id: int) -> list[Override]:
    """Every override of a decision, oldest first."""
    return list(
        session.scalars(
            select(Override).where(Override.decision_id == decision_id).order_by(Override.id)
        )
    )


def last_confirmed_override(session: Session, decision_id: int) -> Override | None:
    """The override of a decision confirmed last, if any."""
    return session.scalars(
        select(Override)
        .where(Override.decision_id == decision_id, Override.status == OverrideStatus.CONFIRMED)
        # At most one override is pending at a time, so confirmations come in id order.
        .order_by(Override.id.desc())
        .limit(1)
    ).first()


def pending_override_id(session: Session, decision_id: int) -> int | None:
    """The override of a decision awaiting its second officer, if any."""
    return session.scalars(
        select(Override.id).where(
            Override.decision_id == decision_id, Override.status == OverrideStatus.PROPOSED
        )
    ).first()


def _queued_at(crossing_point: str) -> Select[Inspection]:
    return (
        select(Inspection)
        .where(
            Inspection.crossing_point == crossing_point,
            Inspection.status == InspectionStatus.QUEUED,
        )
        .order_by(Inspection.opened_at, Inspection.id)
    )


def queued(session: Session, crossing_point: str, *, limit: int) -> list[Inspection]:
    """The queued inspections of a crossing point, oldest first."""
    return list(session.scalars(_queued_at(crossing_point).limit(limit)))


def oldest_queued_for_update(session: Session, crossing_point: str) -> Inspection | None:
    """The oldest queued inspection of a point, locked; one another assigner holds is skipped."""
    # Two supervisors assigning at once take different inspections (PostgreSQL).
    stmt = _queued_at(crossing_point).limit(1).with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def page_inspections(
    session: Session,
    *,
    crossing_point: str | None,
    status: InspectionStatus | None,
    assigned_to: int | None = None,
    cursor: str | None,
    limit: int,
) -> PageOf[Inspection]:
    """Inspections in opening order (ids grow with time), filtered."""
    stmt = select(Inspection)
    if crossing_point is not None:
        stmt = stmt.where(Inspection.crossing_point == crossing_point)
    if status is not None:
        stmt = stmt.where(Inspection.status == status)
    if assigned_to is not None:
        stmt = stmt.where(Inspection.assigned_to == assigned_to)
    return paginate(session, stmt, id_column=Inspection.id, cursor=cursor, limit=limit)


def open_counts(
    session: Session, user_ids: Collection[int], statuses: Collection[InspectionStatus]
) -> dict[int, int]:
    """Inspections in ``statuses`` per user they are assigned to, among ``user_ids``."""
    counted = session.execute(
        select(Inspection.assigned_to, func.count())
        .where(Inspection.status.in_(list(statuses)), Inspection.assigned_to.in_(list(user_ids)))
        .group_by(Inspection.assigned_to)
    )
    return {user_id: int(count) for user_id, count in counted if user_id is not None}


_INSERT_INSPECTIONS = DriverInsert(
    cast(Table, Inspection.__table__),
    ["decision_id", "crossing_point", "line", "status", "opened_at"],
)


def insert_inspections(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert inspections in one statement; their ids, in order."""
    return _INSERT_INSPECTIONS.ids(session.connection(), rows)


def lock(session: Session, obj: Any) -> None:
    """Re-read ``obj``'s row under a lock held until commit: two officers never both decide it."""
    session.refresh(obj, with_for_update=True)


# --- what the pages show ---------------------------------------------------------------------

#: The inspections a crossing point's officers are working or have yet to take.
WORKED = (InspectionStatus.QUEUED, InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS)


def open_at(session: Session, crossing_point: str, *, limit: int) -> list[Inspection]:
    """Queued, assigned and in-progress inspections of a point, oldest first, with decisions."""
    return list(
        session.scalars(
            select(Inspection)
            .where(Inspection.crossing_point == crossing_point, Inspection.status.in_(WORKED))
            .order_by(Inspection.opened_at, Inspection.id)
            .limit(limit)
        )
    )


def decisions_by_id(session: Session, ids: Collection[int]) -> dict[int, CrossingDecision]:
    """Decisions with their crossing events, by id."""
    if not ids:
        return {}
    found = session.scalars(
        select(CrossingDecision)
        .where(CrossingDecision.id.in_(list(ids)))
        .options(selectinload(CrossingDecision.event))
    )
    return {decision.id: decision for decision in found}


def lots_by_id(session: Session, ids: Collection[int]) -> dict[int, Lot]:
    """Lots by id (their balances as stored now)."""
    if not ids:
        return {}
    return {lot.id: lot for lot in session.scalars(select(Lot).where(Lot.id.in_(list(ids))))}


def user_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    """Users' display names by id."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def people(session: Session, ids: Collection[int]) -> dict[int, Person]:
    """Persons by id."""
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(list(ids))))}


def vehicles(session: Session, ids: Collection[int]) -> dict[int, Vehicle]:
    """Vehicles by id."""
    if not ids:
        return {}
    return {v.id: v for v in session.scalars(select(Vehicle).where(Vehicle.id.in_(list(ids))))}


def parties(session: Session, ids: Collection[int]) -> dict[int, Party]:
    """Parties by id."""
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Party).where(Party.id.in_(list(ids))))}


def photos_of(session: Session, inspection_id: int) -> list[InspectionPhoto]:
    """An inspection's photos, oldest first, without their bytes (loaded only when served)."""
    return list(
        session.scalars(
            select(InspectionPhoto)
            .where(InspectionPhoto.inspection_id == inspection_id)
            .order_by(InspectionPhoto.id)
        )
    )


def photo_bytes(session: Session, inspection_id: int, photo_id: int) -> tuple[str, bytes] | None:
    """A photo's content type and bytes, if it belongs to the inspection."""
    row = session.execute(
        select(InspectionPhoto.content_type, InspectionPhoto.data).where(
            InspectionPhoto.id == photo_id, InspectionPhoto.inspection_id == inspection_id
        )
    ).first()
    return None if row is None else (row.content_type, row.data)


def proposed_overrides(
    session: Session, *, lines: Collection[str], limit: int
) -> list[tuple[Override, CrossingEvent]]:
    """Overrides awaiting a second officer on ``lines``, oldest first, with their crossings."""
    rows = session.execute(
        select(Override, CrossingEvent)
        .join(CrossingDecision, CrossingDecision.id == Override.decision_id)
        .join(CrossingEvent, CrossingEvent.id == CrossingDecision.event_id)
        .where(Override.status == OverrideStatus.PROPOSED, CrossingEvent.line.in_(list(lines)))
        .order_by(Override.id)
        .limit(limit)
    )
    return [(override, event) for override, event in rows]


def proposed_adjustments(
    session: Session, *, lines: Collection[str], limit: int
) -> list[AdjustmentProposal]:
    """Adjustments awaiting a second officer on ``lines``, oldest first."""
    return list(
        session.scalars(
            select(AdjustmentProposal)
            .join(Inspection, Inspection.id == AdjustmentProposal.inspection_id)
            .where(
                AdjustmentProposal.status == AdjustmentStatus.PROPOSED,
                Inspection.line.in_(list(lines)),
            )
            .order_by(AdjustmentProposal.id)
            .limit(limit)
        )
    )
