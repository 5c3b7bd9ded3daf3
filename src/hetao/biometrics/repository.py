"""Every query on face enrolments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from hetao.biometrics.models import EnrolmentStatus, FaceEnrolment


def enrolment_of(
    session: Session, person_id: int, *, for_update: bool = False
) -> FaceEnrolment | None:
    """The person's enrolment row, whatever its status."""
    stmt = select(FaceEnrolment).where(FaceEnrolment.person_id == person_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def enrolments_of(session: Session, person_ids: list[int]) -> dict[int, FaceEnrolment]:
    """The enrolment rows of several people, by person id."""
    if not person_ids:
        return {}
    rows = session.scalars(select(FaceEnrolment).where(FaceEnrolment.person_id.in_(person_ids)))
    return {row.person_id: row for row in rows}


def expired_enrolments(session: Session, *, now: dt.datetime) -> list[FaceEnrolment]:
    """Enrolments still holding a template past their retention period, locked."""
    stmt = (
        select(FaceEnrolment)
        .where(
            FaceEnrolment.status == EnrolmentStatus.ENROLLED,
            FaceEnrolment.expires_at <= now,
        )
        .order_by(FaceEnrolment.id)
        .with_for_update()
    )
    return list(session.scalars(stmt))
