"""What the demo zone holds beyond its registry, counted per state for the load's summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from hetao.biometrics import repository as faces_repo
from hetao.datatransfer import repository as data_repo
from hetao.declarations import repository as declarations_repo
from hetao.demo.builder import ZoneCounts, count
from hetao.demo.scene import Scene
from hetao.funds import repository as funds_repo
from hetao.inspections import repository as inspections_repo
from hetao.ledger import repository as ledger_repo
from hetao.storage.pagination import MAX_LIMIT, PageOf

Row = TypeVar("Row")


def every(page: Callable[..., PageOf[Row]], session: Session, **filters: Any) -> list[Row]:
    """Every row a repository's ``page_*`` function holds under ``filters``, page after page."""

    def rows() -> Iterator[Row]:
        cursor: str | None = None
        while True:
            found = page(session, cursor=cursor, limit=MAX_LIMIT, **filters)
            yield from found.items
            if found.next_cursor is None:
                return
            cursor = found.next_cursor

    return list(rows())


def zone_counts(scene: Scene) -> ZoneCounts:
    """Count what the steps after the registry made, read back through the repositories."""
    session = scene.session
    lots = every(ledger_repo.page_lots, session, party_id=None, status=None)
    declarations = every(
        declarations_repo.page_declarations, session, party_id=None, status=None, kind=None
    )
    inspections = every(
        inspections_repo.page_inspections, session, crossing_point=None, status=None
    )
    transfers = every(
        funds_repo.page_transfers,
        session,
        visible_to=None,
        party_id=None,
        project_id=None,
        status=None,
    )
    projects = every(
        funds_repo.page_projects, session, member=None, status=None, funding_source=None
    )
    applications = every(data_repo.page_applications, session, exporter_party_id=None, status=None)
    batches = [
        batch
        for application in applications
        for batch in every(data_repo.page_batches, session, application_id=application.id)
    ]
    seized = [
        ledger_repo.get_hold(session, seizure.hold_id)
        for inspection in inspections
        for seizure in inspection.seizures
    ]
    return ZoneCounts(
        lots_by_status=count(lot.customs_status for lot in lots),
        holds_by_status=count(hold.status for hold in [*scene.holds, *seized]),
        declarations_by_status=count(d.status for d in declarations),
        declarations_by_kind=count(d.kind for d in declarations),
        inspections_by_status=count(i.status for i in inspections),
        inspection_results=count(i.result for i in inspections if i.result is not None),
        adjustments_by_status=count(a.status for i in inspections for a in i.adjustments),
        overrides_by_status=count(o.status for o in scene.overrides),
        projects_by_status=count(p.status for p in projects),
        transfers_by_status=count(t.status for t in transfers),
        data_applications_by_status=count(a.status for a in applications),
        channel_batches_by_status=count(b.status for b in batches),
        face_enrolments_by_status=count(
            row.status
            for row in faces_repo.enrolments_of(
                session, [person.id for person in scene.registry.persons]
            ).values()
        ),
    )
