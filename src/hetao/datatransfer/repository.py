"""Every query of data transfers.

Concurrency: a verb locks the application row first (``get_application(for_update=True)``),
then the exporter's party row (``lock_exporter``) when it reads the exporter's year-to-date
counts, then the audit head. Two self-assessments or two batches of one exporter therefore
queue instead of both reading the same total; on SQLite BEGIN IMMEDIATE serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hetao.datatransfer.models import (
    LIVE_STATUSES,
    ApplicationStatus,
    BatchStatus,
    ChannelBatch,
    DataTransferApplication,
)
from hetao.datatransfer.routing import UNCOUNTED_GROUNDS
from hetao.errors import NotFound
from hetao.profiles import Flow
from hetao.registry import repository as registry_repo
from hetao.registry.models import Party, WhitelistEntry
from hetao.storage import lookup
from hetao.storage.pagination import PageOf, paginate

#: Applications whose persons count towards the exporter's year (R33 "since 1 January"): every
#: routed one but drafts and rejected ones.
NOT_COUNTED_STATUSES = frozenset({ApplicationStatus.DRAFT, ApplicationStatus.REJECTED})


def get_application(
    session: Session, application_id: int, *, for_update: bool = False
) -> DataTransferApplication:
    """One application by id (locked until commit when ``for_update``), or NotFound."""
    application = session.get(
        DataTransferApplication,
        application_id,
        with_for_update=for_update,
        populate_existing=for_update,
    )
    if application is None:
        raise NotFound(f"data transfer application {application_id} does not exist")
    return application


def lock_exporter(session: Session, party_id: int) -> Party:
    """Lock the exporter's party row: its year-to-date totals are read and grown under it."""
    return lookup.get(session, Party, party_id, for_update=True)


def planned_year_to_date(
    session: Session, *, exporter_party_id: int, year: int, excluding_id: int
) -> tuple[int, int]:
    """Persons (PI, sensitive PI) of the exporter's other counted applications of ``year``."""
    stmt = select(
        func.coalesce(func.sum(DataTransferApplication.personal_info_subjects), 0),
        func.coalesce(func.sum(DataTransferApplication.sensitive_personal_info_subjects), 0),
    ).where(
        DataTransferApplication.exporter_party_id == exporter_party_id,
        DataTransferApplication.assessed_year == year,
        DataTransferApplication.id != excluding_id,
        DataTransferApplication.status.not_in(NOT_COUNTED_STATUSES),
        or_(
            DataTransferApplication.ground.is_(None),
            DataTransferApplication.ground.not_in(UNCOUNTED_GROUNDS),
        ),
    )
    pi, sensitive = session.execute(stmt).one()
    return int(pi), int(sensitive)


def _recorded_totals(session: Session, *clauses: object) -> tuple[int, int]:
    stmt = select(
        func.coalesce(func.sum(ChannelBatch.personal_info_subjects), 0),
        func.coalesce(func.sum(ChannelBatch.sensitive_personal_info_subjects), 0),
    ).where(ChannelBatch.status == BatchStatus.RECORDED, *clauses)  # type: ignore[arg-type]
    pi, sensitive = session.execute(stmt).one()
    return int(pi), int(sensitive)


def recorded_for_application(session: Session, application_id: int) -> tuple[int, int]:
    """Persons (PI, sensitive PI) of the batches recorded under one approval."""
    return _recorded_totals(session, ChannelBatch.application_id == application_id)


def recorded_for_exporter(
    session: Session, *, exporter_party_id: int, first_day: dt.date, last_day: dt.date
) -> tuple[int, int]:
    """Persons (PI, sensitive PI) the exporter's recorded batches sent between two zone dates."""
    return _recorded_totals(
        session,
        ChannelBatch.exporter_party_id == exporter_party_id,
        ChannelBatch.recorded_on >= first_day,
        ChannelBatch.recorded_on <= last_day,
    )


def batch_by_client_id(
    session: Session, *, application_id: int, batch_id: str
) -> ChannelBatch | None:
    stmt = select(ChannelBatch).where(
        ChannelBatch.application_id == application_id, ChannelBatch.batch_id == batch_id
    )
    return session.scalars(stmt).first()


def get_batch(session: Session, batch_pk: int) -> ChannelBatch:
    return lookup.get(session, ChannelBatch, batch_pk)


def data_entry_in_force(session: Session, *, party_id: int, on: dt.date) -> WhitelistEntry | None:
    """The party's active whitelist entry that covers the data flow on ``on``, if any."""
    return registry_repo.institution_entry_in_force(
        session, party_id=party_id, on=on, flow=Flow.DATA
    )


def renewals_due(session: Session, *, today: dt.date) -> list[DataTransferApplication]:
    """Applications in force whose R36 renewal window has opened by ``today``."""
    stmt = select(DataTransferApplication).where(
        DataTransferApplication.status.in_([ApplicationStatus.ACTIVE, ApplicationStatus.EXTENDED]),
        DataTransferApplication.renewal_window_opens_on <= today,
    )
    return list(session.scalars(stmt.order_by(DataTransferApplication.id).with_for_update()))


def expiries_due(session: Session, *, today: dt.date) -> list[DataTransferApplication]:
    """Applications in force whose last valid day is before ``today``."""
    stmt = select(DataTransferApplication).where(
        DataTransferApplication.status.in_(LIVE_STATUSES),
        DataTransferApplication.valid_until < today,
    )
    return list(session.scalars(stmt.order_by(DataTransferApplication.id).with_for_update()))


def page_applications(
    session: Session,
    *,
    exporter_party_id: int | None,
    status: ApplicationStatus | None,
    cursor: str | None,
    limit: int,
) -> PageOf[DataTransferApplication]:
    stmt = select(DataTransferApplication)
    if exporter_party_id is not None:
        stmt = stmt.where(DataTransferApplication.exporter_party_id == exporter_party_id)
    if status is not None:
        stmt = stmt.where(DataTransferApplication.status == status)
    return paginate(session, stmt, id_column=DataTransferApplication.id, cursor=cursor, limit=limit)


def page_batches(
    session: Session, *, application_id: int, cursor: str | None, limit: int
) -> PageOf[ChannelBatch]:
    stmt = select(ChannelBatch).where(ChannelBatch.application_id == application_id)
    return paginate(session, stmt, id_column=ChannelBatch.id, cursor=cursor, limit=limit)
