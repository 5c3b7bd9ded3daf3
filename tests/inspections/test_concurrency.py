"""Two officers deciding the same thing at once: one wins, the ledger moves once."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from declarations.support import admitted
from factories import make_party
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth.principal import Principal
from hetao.errors import TransitionForbidden
from hetao.inspections import results as inspection_results
from hetao.inspections import service
from hetao.inspections.models import AdjustmentStatus, InspectionResult
from hetao.ledger.models import Lot, Movement, MovementKind
from hetao.profiles import ZoneProfile
from inspections.support import FIRST_POINT, GATE, decided, officer

SETUP = Actor("test", "setup")


def test_two_officers_approving_one_adjustment_at_once_move_the_ledger_once(
    committing_engine: Engine, profile: ZoneProfile
) -> None:
    factory = sessionmaker(bind=committing_engine, expire_on_commit=False)
    with factory() as session:
        lot = admitted(session, make_party(session, SETUP), profile, SETUP, bonded=True)
        inspector = officer(session)
        decision = decided(session, carrying=[lot])
        inspection = service.open_inspection(
            session, decision.id, crossing_point=FIRST_POINT, actor=GATE
        )
        service.assign(session, inspection, by=inspector, officer_id=inspector.id)
        service.start(session, inspection, officer=inspector)
        inspection_results.record_result(
            session,
            inspection,
            officer=inspector,
            result=InspectionResult.DISCREPANCY,
            findings="Three short.",
            adjustments=[
                inspection_results.ProposedAdjustment(lot.id, Decimal(-3), "short by three")
            ],
        )
        proposal_id = inspection.adjustments[0].id
        approvers = [officer(session), officer(session)]
        session.commit()

    barrier = threading.Barrier(len(approvers))
    outcomes: list[str] = []

    def approve(who: Principal) -> None:
        # Meet before opening a transaction: SQLite's BEGIN IMMEDIATE would queue the second.
        barrier.wait(timeout=30)
        with factory() as session:
            proposal = service.get_adjustment(session, proposal_id)
            try:
                inspection_results.approve_adjustment(session, proposal, officer=who)
                session.commit()
                outcomes.append("approved")
            except TransitionForbidden:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=approve, args=(who,)) for who in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["approved", "refused"]
    with factory() as session:
        stored = service.get_adjustment(session, proposal_id)
        assert stored.status is AdjustmentStatus.APPROVED
        adjusted = session.get(Lot, lot.id)
        assert adjusted is not None
        assert adjusted.balance == Decimal("7.000")
        kinds = session.scalars(select(Movement.kind).where(Movement.lot_id == lot.id)).all()
        assert sorted(kinds) == sorted([MovementKind.ADMIT, MovementKind.ADJUST])
        approvals = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.tag == "crossing:adjustment:approve")
        )
        assert approvals == 1
