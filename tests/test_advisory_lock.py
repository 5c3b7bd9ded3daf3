"""hetao.storage.locks: a named lock held until the transaction ends."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from hetao.storage.locks import advisory_lock


def test_a_transaction_may_take_its_own_lock_again(session: Session) -> None:
    advisory_lock(session, "ledger", 7, "key-1")
    advisory_lock(session, "ledger", 7, "key-1")  # PostgreSQL's transaction locks nest
    if session.get_bind().dialect.name == "postgresql":
        held = session.scalar(
            text(
                "SELECT count(*) FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"
            )
        )
        assert held == 1
