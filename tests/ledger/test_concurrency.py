"""Concurrent requests on real commits: the database, not Python, keeps balances whole.

Each worker runs its own session and transaction on its own connection and really commits, as
32 API workers would. HETAO_LONG=1 repeats every trial many more times.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from factories import make_party
from hetao.audit.service import Actor
from hetao.audit.verify import verify_database
from hetao.ledger import repository as repo
from hetao.ledger import service
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import Lot, Movement, MovementKind
from hetao.ledger.service import MovementOrder
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from hetao.storage.engine import make_engine, session_factory, unit_of_work
from hetao.storage.types import utcnow
from ledger.support import counts, goods, product

WORKERS = 32
TRIALS = 40 if os.environ.get("HETAO_LONG") == "1" else 3
ACTOR = Actor("test", "concurrency")


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
        except InsufficientBalance:
            outcomes[i] = "refused"
        except Exception as error:  # any other error is reported as the outcome, not hidden
            outcomes[i] = repr(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def admitted(factory: sessionmaker[Session], profile: ZoneProfile, party: Party, units: int) -> int:
    """A committed lot of ``units`` (none: one unit admitted, then used up)."""
    with unit_of_work(factory) as session:
        lot = service.admit(
            session,
            party,
            profile=profile,
            actor=ACTOR,
            idempotency_key=f"lot-{os.urandom(6).hex()}",
            **goods(quantity=Decimal(max(units, 1))),
        )
        if units == 0:
            service.consume(
                session, lot, quantity=Decimal(1), idempotency_key=f"empty-{lot.id}", actor=ACTOR
            )
        return lot.id


def waits_for_a_lock(factory: sessionmaker[Session]) -> bool:
    """Whether some PostgreSQL session comes to wait for a lock within ten seconds."""
    waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted")
    with factory() as session:
        for _ in range(500):
            if session.scalar(waiting):
                return True
            session.rollback()  # a new snapshot of pg_locks next time
            threading.Event().wait(0.02)
    return False


def second_while_first_holds(
    factory: sessionmaker[Session],
    first: Callable[[], None],
    second: Callable[[], None],
    *,
    holding: threading.Event,
    release: threading.Event,
    what: str,
) -> None:
    """Run ``first`` until it sets ``holding``, then ``second`` beside it; on PostgreSQL check
    that ``second`` comes to wait for a lock; then set ``release`` and join both."""
    holder = threading.Thread(target=first)
    holder.start()
    waiter = threading.Thread(target=second)
    try:
        assert holding.wait(timeout=30)
        waiter.start()
        if factory.kw["bind"].dialect.name == "postgresql":
            assert waits_for_a_lock(factory), f"the second {what} never waited for the first"
    finally:
        release.set()
        holder.join(timeout=30)
        if waiter.ident is not None:  # started
            waiter.join(timeout=30)


@pytest.fixture
def party(factory: sessionmaker[Session]) -> Party:
    with unit_of_work(factory) as session:
        return make_party(session, ACTOR)


class TestConcurrentWithdrawals:
    @pytest.mark.parametrize("units", [0, 1, 7, 31, 32])
    def test_of_32_concurrent_withdrawals_of_one_unit_exactly_k_succeed(
        self,
        factory: sessionmaker[Session],
        profile: ZoneProfile,
        party: Party,
        units: int,
    ) -> None:
        for trial in range(TRIALS):
            lot_id = admitted(factory, profile, party, units)

            def withdraw(i: int, lot_id: int = lot_id, trial: int = trial) -> str:
                with unit_of_work(factory) as session:
                    service.consume(
                        session,
                        session.get_one(Lot, lot_id),
                        quantity=Decimal(1),
                        idempotency_key=f"w-{trial}-{i}",
                        actor=ACTOR,
                    )
                return "withdrew"

            outcomes = run_together(withdraw)
            assert sorted(outcomes) == ["refused"] * (WORKERS - units) + ["withdrew"] * units, (
                f"trial {trial}: {outcomes}"
            )
            with factory() as session:
                assert repo.balance(session, lot_id) == 0
                assert repo.balance_from_movements(session, lot_id) == 0
                withdrawals = select(func.count()).where(
                    Movement.lot_id == lot_id, Movement.idempotency_key.startswith("w-")
                )
                assert session.scalar(withdrawals) == units

    def test_holds_and_withdrawals_racing_never_overdraw_the_lot(
        self, factory: sessionmaker[Session], profile: ZoneProfile, party: Party
    ) -> None:
        for trial in range(TRIALS):
            lot_id = admitted(factory, profile, party, 20)

            def hold_or_withdraw(i: int, lot_id: int = lot_id, trial: int = trial) -> str:
                with unit_of_work(factory) as session:
                    lot = session.get_one(Lot, lot_id)
                    if i % 2:
                        service.hold(
                            session,
                            lot,
                            quantity=Decimal(1),
                            expires_at=utcnow().replace(year=2099),
                            idempotency_key=f"h-{trial}-{i}",
                            actor=ACTOR,
                        )
                        return "held"
                    service.consume(
                        session,
                        lot,
                        quantity=Decimal(1),
                        idempotency_key=f"c-{trial}-{i}",
                        actor=ACTOR,
                    )
                return "withdrew"

            outcomes = run_together(hold_or_withdraw)
            assert set(outcomes) <= {"held", "withdrew", "refused"}, outcomes
            assert outcomes.count("refused") == WORKERS - 20
            with factory() as session:
                balance, reserved = repo.current_amounts(session, lot_id)
                assert balance == 20 - outcomes.count("withdrew")
                assert reserved == outcomes.count("held") == balance
                assert balance == repo.balance_from_movements(session, lot_id)


class TestConcurrentRetries:
    def test_32_simultaneous_retries_with_one_key_write_one_movement(
        self, factory: sessionmaker[Session], profile: ZoneProfile, party: Party
    ) -> None:
        for trial in range(TRIALS):
            lot_id = admitted(factory, profile, party, 10)

            def retry(_: int, lot_id: int = lot_id, trial: int = trial) -> str:
                with unit_of_work(factory) as session:
                    moved = service.consume(
                        session,
                        session.get_one(Lot, lot_id),
                        quantity=Decimal(3),
                        idempotency_key=f"same-{trial}",
                        actor=ACTOR,
                    )
                    return str(moved.id)

            outcomes = run_together(retry)
            assert len(set(outcomes)) == 1, outcomes
            assert outcomes[0].isdigit(), outcomes
            with factory() as session:
                assert repo.balance(session, lot_id) == 7


class TestNoDeadlocks:
    def test_transformations_naming_shared_lots_in_either_order_all_complete(
        self, factory: sessionmaker[Session], profile: ZoneProfile, party: Party
    ) -> None:
        for trial in range(TRIALS):
            first = admitted(factory, profile, party, 100)
            second = admitted(factory, profile, party, 100)

            def transform(
                i: int, trial: int = trial, first: int = first, second: int = second
            ) -> str:
                pair = (first, second) if i % 2 else (second, first)
                with unit_of_work(factory) as session:
                    service.transform(
                        session,
                        [(session.get_one(Lot, lot_id), Decimal(1)) for lot_id in pair],
                        idempotency_key=f"t-{trial}-{i}",
                        profile=profile,
                        actor=ACTOR,
                        **product(),
                    )
                return "made"

            assert run_together(transform) == ["made"] * WORKERS
            with factory() as session:
                assert repo.balance(session, first) == repo.balance(session, second) == 68

    def test_reversals_of_transfers_racing_with_new_transfers_all_complete(
        self, factory: sessionmaker[Session], profile: ZoneProfile, party: Party
    ) -> None:
        with unit_of_work(factory) as session:
            other = make_party(session, ACTOR)
        lot_id = admitted(factory, profile, party, 100)
        with unit_of_work(factory) as session:
            lot = session.get_one(Lot, lot_id)
            pairs = [
                service.transfer(
                    session,
                    lot,
                    to_party=other,
                    quantity=Decimal(1),
                    idempotency_key=f"p-{i}",
                    profile=profile,
                    actor=ACTOR,
                ).outgoing.id
                for i in range(WORKERS // 2)
            ]

        def reverse_or_transfer(i: int) -> str:
            with unit_of_work(factory) as session:
                if i % 2:
                    service.reverse(
                        session,
                        session.get_one(Movement, pairs[i // 2]),
                        reason="undo",
                        idempotency_key=f"r-{i}",
                        actor=ACTOR,
                    )
                    return "reversed"
                service.transfer(
                    session,
                    session.get_one(Lot, lot_id),
                    to_party=other,
                    quantity=Decimal(1),
                    idempotency_key=f"q-{i}",
                    profile=profile,
                    actor=ACTOR,
                )
            return "transferred"

        outcomes = run_together(reverse_or_transfer)
        assert sorted(outcomes) == ["reversed"] * 16 + ["transferred"] * 16, outcomes
        with factory() as session:
            reversals = select(func.count()).where(Movement.kind == MovementKind.REVERSAL)
            assert session.scalar(reversals) == WORKERS
            assert repo.balance(session, lot_id) == 100 - 16


class TestConcurrentBatches:
    def test_a_batch_with_one_item_beyond_the_balance_leaves_nothing_committed(
        self, factory: sessionmaker[Session], profile: ZoneProfile, party: Party
    ) -> None:
        plenty, scarce = (
            admitted(factory, profile, party, 100),
            admitted(factory, profile, party, 5),
        )
        with factory() as session:
            before = counts(session)
        with pytest.raises(InsufficientBalance), unit_of_work(factory) as session:
            lots = repo.lots_by_id(session, {plenty, scarce})
            orders = [
                MovementOrder(lots[plenty], MovementKind.CONSUME, Decimal(10), "all-1"),
                MovementOrder(lots[scarce], MovementKind.CONSUME, Decimal(6), "all-2"),
            ]
            service.post_movements(session, orders, actor=ACTOR)
        with factory() as session:
            assert counts(session) == before
            assert repo.current_amounts(session, plenty) == (Decimal(100), Decimal(0))
            assert repo.current_amounts(session, scarce) == (Decimal(5), Decimal(0))

    def test_concurrent_batches_on_one_lot_never_take_it_below_zero(
        self, factory: sessionmaker[Session], profile: ZoneProfile, party: Party
    ) -> None:
        for trial in range(TRIALS):
            lot_id = admitted(factory, profile, party, 100)

            def post_batch(i: int, lot_id: int = lot_id, trial: int = trial) -> str:
                with unit_of_work(factory) as session:
                    lot = session.get_one(Lot, lot_id)
                    orders = [
                        MovementOrder(lot, MovementKind.CONSUME, Decimal(1), f"b-{trial}-{i}-{n}")
                        for n in range(5)
                    ]
                    service.post_movements(session, orders, actor=ACTOR)
                return "posted"

            outcomes = run_together(post_batch)
            assert sorted(outcomes) == ["posted"] * 20 + ["refused"] * (WORKERS - 20), outcomes
            with factory() as session:
                assert repo.current_amounts(session, lot_id) == (Decimal(0), Decimal(0))
                assert repo.balance_from_movements(session, lot_id) == 0
                assert verify_database(session, [], None).ok

    def test_concurrent_retries_of_one_batch_write_it_once(
        self, factory: sessionmaker[Session], profile: ZoneProfile, party: Party
    ) -> None:
        for trial in range(TRIALS):
            lot_id = admitted(factory, profile, party, 20)

            def retry(_: int, lot_id: int = lot_id, trial: int = trial) -> str:
                with unit_of_work(factory) as session:
                    lot = session.get_one(Lot, lot_id)
                    orders = [
                        MovementOrder(lot, MovementKind.CONSUME, Decimal(1), f"same-{trial}-{n}")
                        for n in range(5)
                    ]
                    return str(service.post_movements(session, orders, actor=ACTOR))

            outcomes = run_together(retry)
            assert len(set(outcomes)) == 1, outcomes
            assert outcomes[0].startswith("["), outcomes
            with factory() as session:
                assert repo.balance(session, lot_id) == Decimal(15)

    def test_a_batch_waits_for_a_concurrent_writer_of_its_key_and_writes_it_if_that_one_rolls_back(
        self, factory: sessionmaker[Session], profile: ZoneProfile, party: Party
    ) -> None:
        """The insert is the key's lock: the second batch waits on the first's uncommitted row,
        and once that transaction rolls back, writes its own movement under the key."""
        lot_id = admitted(factory, profile, party, 10)
        inserted, give_up = threading.Event(), threading.Event()
        outcome: dict[str, str] = {}
        posted: list[int] = []

        def first() -> None:
            try:
                with unit_of_work(factory) as session:
                    lot = session.get_one(Lot, lot_id)
                    order = MovementOrder(lot, MovementKind.CONSUME, Decimal(1), "contended")
                    service.post_movements(session, [order], actor=ACTOR)
                    inserted.set()
                    give_up.wait(timeout=30)
                    raise RuntimeError("the first writer rolls back")
            except RuntimeError as error:
                outcome["first"] = str(error)

        def second() -> None:
            with unit_of_work(factory) as session:
                lot = session.get_one(Lot, lot_id)
                order = MovementOrder(lot, MovementKind.CONSUME, Decimal(2), "contended")
                posted.extend(service.post_movements(session, [order], actor=ACTOR))

        second_while_first_holds(
            factory, first, second, holding=inserted, release=give_up, what="batch"
        )
        assert outcome["first"] == "the first writer rolls back"
        with factory() as session:
            [movement_id] = posted
            movement = session.get_one(Movement, movement_id)
            assert (movement.idempotency_key, movement.quantity) == ("contended", Decimal(-2))
            assert repo.balance(session, lot_id) == Decimal(8)
