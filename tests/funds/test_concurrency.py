"""Concurrent approvals on real commits: the budget is never overspent, on either database.

Each worker runs its own session and transaction on its own connection and really commits, as
32 API workers would. HETAO_LONG=1 repeats every trial many more times.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from funds.support import Consortium
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.funds import rules, service
from hetao.funds.models import BudgetLine, FundTransfer, TransferStatus
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine, session_factory, unit_of_work

WORKERS = 32
TRIALS = 20 if os.environ.get("HETAO_LONG") == "1" else 1
ACTOR = Actor("test", "concurrency")
AMOUNT = Decimal("1250.00")


@pytest.fixture
def factory(committing_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on a pool with a connection per worker, so all of them really run at once."""
    url = committing_engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=WORKERS, max_overflow=0)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def run_together(work: Callable[[int], str]) -> list[str]:
    """Start ``WORKERS`` threads at one barrier; each returns what happened to it."""
    start = threading.Barrier(WORKERS)
    outcomes = ["did not finish"] * WORKERS

    def worker(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = work(i)
        except Exception as error:  # any error is reported as the outcome, not hidden
            outcomes[i] = repr(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes


def checked_transfers(
    factory: sessionmaker[Session], profile: ZoneProfile, allows: int
) -> tuple[int, list[int]]:
    """A budget line that holds exactly ``allows`` transfers, and 32 checked transfers on it."""
    with unit_of_work(factory) as session:
        zone = Consortium(
            session, ACTOR, profile, budget=[(2026, "personnel", str(AMOUNT * allows))]
        )
        transfers = [zone.declare(amount=str(AMOUNT)) for _ in range(WORKERS)]
        for transfer in transfers:
            service.check(session, transfer, profile=profile, actor=ACTOR)
        assert {t.status for t in transfers} == {TransferStatus.CHECKED} or allows == 0
        return transfers[0].budget_line_id, [t.id for t in transfers]


@pytest.mark.parametrize("allows", [0, 7, 31])
def test_32_concurrent_approvals_against_a_budget_for_k_approve_exactly_k(
    factory: sessionmaker[Session], profile: ZoneProfile, allows: int
) -> None:
    for _ in range(TRIALS):
        line_id, ids = checked_transfers(factory, profile, allows)
        if allows == 0:
            # Checked against an empty line, every transfer is held at the check already.
            with unit_of_work(factory) as session:
                for transfer_id in ids:
                    transfer = session.get(FundTransfer, transfer_id)
                    assert transfer is not None
                    assert transfer.reason_codes == [rules.OVER_BUDGET]
            continue

        def approve(i: int, ids: list[int] = ids) -> str:
            with unit_of_work(factory) as session:
                transfer = session.get(FundTransfer, ids[i])
                assert transfer is not None
                service.approve(session, transfer, profile=profile, actor=ACTOR)
                return transfer.status.value

        outcomes = run_together(approve)

        assert sorted(set(outcomes)) == ["approved", "held"], outcomes
        assert outcomes.count("approved") == allows
        with unit_of_work(factory) as session:
            line = session.get(BudgetLine, line_id)
            assert line is not None
            assert line.consumed == AMOUNT * allows == line.amount
            held = session.scalars(
                select(FundTransfer).where(
                    FundTransfer.id.in_(ids), FundTransfer.status == TransferStatus.HELD
                )
            ).all()
            assert len(held) == WORKERS - allows
            assert all(t.reason_codes == [rules.OVER_BUDGET] for t in held)
            approvals = session.scalars(
                select(AuditEvent.subject_id).where(
                    AuditEvent.tag == "funds:transfer:approve",
                    AuditEvent.subject_id.in_([str(i) for i in ids]),
                )
            ).all()
            assert sorted(map(int, approvals)) == sorted(
                t_id for t_id, o in zip(ids, outcomes, strict=True) if o == "approved"
            )
