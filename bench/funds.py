"""Fund-transfer approvals under contention: approvals per second, all against one budget line.

``--workers`` threads (each its own connection, session and commit) approve ``--transfers``
checked transfers against one budget line that holds exactly half of them; the run checks
that exactly half were approved and the line's consumed total is exact, then prints the rate.
Each approval locks its transfer, re-runs the checks, consumes the line with one conditional
UPDATE and appends its audit event: the line and the audit head are the two contended rows.

    .venv/bin/python bench/funds.py [--transfers 640] [--workers 32] [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hetao import migrate
from hetao.audit.service import Actor
from hetao.funds import service
from hetao.funds.models import BudgetLine, FundTransfer, TransferStatus
from hetao.funds.schemas import ProjectCreate, TransferCreate
from hetao.profiles import load_profile
from hetao.reference.rates import load_rates
from hetao.registry import identifiers
from hetao.registry import parties as registry_parties
from hetao.registry import service as registry
from hetao.registry.schemas import ApplicationCreate, PartyCreate
from hetao.storage.engine import make_engine, session_factory, unit_of_work

ACTOR = Actor("bench", "funds")
DAY = dt.date(2026, 11, 23)
AMOUNT = Decimal("1000.00")
_serial = itertools.count(1)


def _uscc() -> str:
    first17 = f"91440300{next(_serial):09d}"
    return first17 + identifiers.uscc_check_character(first17)


def setup(factory: sessionmaker[Session], transfers: int) -> tuple[int, list[int]]:
    """A Guangdong project whose personnel line holds half of ``transfers`` checked transfers."""
    profile = load_profile("hetao")
    with unit_of_work(factory) as session:
        lead = registry_parties.create_party(
            session,
            PartyCreate.model_validate(
                {
                    "kind": "csa_enterprise",
                    "name_en": "Bench Lead Ltd.",
                    "uscc": _uscc(),
                    "registered_in_csa": True,
                }
            ),
            actor=ACTOR,
        )
        partner = registry_parties.create_party(
            session,
            PartyCreate.model_validate(
                {"kind": "hk_institution", "name_en": "Bench HK Lab", "hk_br": "79999999"}
            ),
            actor=ACTOR,
        )
        application = registry.create_application(
            session,
            ApplicationCreate.model_validate(
                {
                    "subject_kind": "institution",
                    "party_id": partner.id,
                    "flows": ["funds"],
                    "lines": ["first"],
                }
            ),
            profile=profile,
            actor=ACTOR,
        )
        registry.submit(session, application, actor=ACTOR)
        registry.approve(session, application, profile=profile, actor=ACTOR, today=DAY)
        project = service.create_project(
            session,
            ProjectCreate.model_validate(
                {
                    "code": "BENCH-1",
                    "title": "Bench",
                    "lead_party_id": lead.id,
                    "partner_party_ids": [partner.id],
                    "funding_source": "guangdong",
                    "starts_on": "2026-01-01",
                    "ends_on": "2026-12-31",
                    "budget": [
                        {
                            "year": 2026,
                            "category": "personnel",
                            "amount": str(AMOUNT * (transfers // 2)),
                        }
                    ],
                }
            ),
            actor=ACTOR,
        )
        ids = []
        rates = load_rates(None)
        for i in range(transfers):
            body = {
                "project_id": project.id,
                "payer_party_id": lead.id,
                "payee_party_id": partner.id,
                "payee_rmb_account": "RMB-1",
                "amount": str(AMOUNT),
                "currency": "CNY",
                "transfer_date": DAY.isoformat(),
                "budget_year": 2026,
                "budget_category": "personnel",
                "purpose": "research_grant",
                "contract_reference": f"C-{i}",
            }
            transfer = service.declare(
                session,
                TransferCreate.model_validate(body),
                profile=profile,
                rates=rates,
                actor=ACTOR,
                today=DAY,
            )
            service.check(session, transfer, profile=profile, actor=ACTOR)
            ids.append(transfer.id)
        return project.budget_lines[0].id, ids


def run(url: str, *, transfers: int, workers: int) -> None:
    engine = make_engine(url, **({} if url.startswith("sqlite") else {"pool_size": workers}))
    migrate.upgrade(engine)
    factory = session_factory(engine)
    profile = load_profile("hetao")
    line_id, ids = setup(factory, transfers)
    queue = iter(ids)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                transfer_id = next(queue, None)
            if transfer_id is None:
                return
            with unit_of_work(factory) as session:
                transfer = session.get(FundTransfer, transfer_id)
                assert transfer is not None  # noqa: S101
                service.approve(session, transfer, profile=profile, actor=ACTOR)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with unit_of_work(factory) as session:
        approved = session.scalar(
            select(func.count()).where(FundTransfer.status == TransferStatus.APPROVED)
        )
        line = session.get(BudgetLine, line_id)
        assert line is not None  # noqa: S101
        exact = approved == transfers // 2 and line.consumed == line.amount
    engine.dispose()
    print(
        f"{engine.dialect.name:<11} {transfers} approvals, {workers} workers: "
        f"{transfers / elapsed:,.0f} per second; approved {approved} of {transfers}, "
        f"consumed {line.consumed} of {line.amount} ({'exact' if exact else 'WRONG'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--transfers", type=int, default=640)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database to use as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(
            f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            transfers=args.transfers,
            workers=args.workers,
        )
    if args.postgres:
        run(args.postgres, transfers=args.transfers, workers=args.workers)


if __name__ == "__main__":
    main()
