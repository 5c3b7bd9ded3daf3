"""The ledger under random sequences of every verb, with its invariants checked after each step.

Each sequence runs in its own transaction on a database holding only three parties, rolled back
at the end, so sequences share nothing. A Python model predicts every outcome: a withdrawal
succeeds exactly when the model has enough available, and balances follow the model.

HETAO_LONG=1 runs many more and longer sequences.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from factories import make_party
from hetao.audit.service import Actor
from hetao.errors import Conflict, RuleViolation, TransitionForbidden
from hetao.ledger import repository as repo
from hetao.ledger import service
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import (
    CustomsStatus,
    Hold,
    HoldStatus,
    Lot,
    LotParent,
    Movement,
    MovementKind,
)
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from hetao.storage.engine import session_factory, unit_of_work
from ledger.support import counts, goods, product

LONG = os.environ.get("HETAO_LONG") == "1"
#: Sequences per backend (max_examples; Hypothesis runs more machines than that). Every statement
#: is a round trip to the PostgreSQL server, so a sequence costs about twice what it costs on
#: SQLite: PostgreSQL runs fewer in the normal suite, SQLite the 2,000 the issue asks for.
EXAMPLES = {
    "sqlite": 20_000 if LONG else 2_000,
    "postgresql": 5_000 if LONG else 400,
}
#: Steps after the opening two lots and hold; short keeps 2,000 sequences near 30 s on SQLite.
STEPS = 20 if LONG else 5

ACTOR = Actor("test", "stateful")
START = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
ZERO = Decimal(0)
QUANTUM = Decimal("0.001")

quantities = st.one_of(
    st.integers(min_value=1, max_value=12).map(Decimal),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal(12), places=3),
)
#: Hold lifetimes and clock ticks share a grid, so a hold often expires exactly "now".
five_minutes = st.integers(min_value=1, max_value=12).map(lambda n: 5 * n)
REMOVALS: dict[str, Callable[..., Movement]] = {
    "consume": service.consume,
    "release_second_line": service.release_second_line,
    "export_first_line": service.export_first_line,
}


@dataclass(frozen=True)
class Request:
    """A call that succeeded: replaying it must return ``answer`` and write nothing."""

    replay: Callable[[], object]
    answer: tuple[int, ...]
    altered: Callable[[], object]


def ids(result: object) -> tuple[int, ...]:
    """The ids of what a service returned, to compare a replay with the first answer."""
    if isinstance(result, service.Transfer):
        return (result.outgoing.id, result.incoming.id, result.lot.id)
    if isinstance(result, service.Transformation):
        return (*(m.id for m in result.inputs), result.output.id, result.product.id)
    if isinstance(result, tuple):
        return tuple(m.id for m in result)
    assert isinstance(result, Lot | Movement | Hold)
    return (result.id,)


class LedgerMachine(RuleBasedStateMachine):
    """Random sequences of ledger verbs against a model of what each lot must hold."""

    lots = Bundle("lots")

    def __init__(self, engine: Engine, parties: list[Party], profile: ZoneProfile) -> None:
        super().__init__()
        self.connection = engine.connect()
        self.transaction = self.connection.begin()
        self.session = Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        self.profile = profile
        # Loaded once and detached: the services read only their id and kind.
        self.parties = parties
        self.now = START
        self.serial = 0
        # The model: what each lot must hold and reserve, and who owns it.
        self.balance: dict[int, Decimal] = {}
        self.reserved: dict[int, Decimal] = {}
        self.owner: dict[int, int] = {}
        self.pending: dict[int, tuple[int, Decimal, dt.datetime]] = {}
        self.reversed: set[int] = set()
        self.made: list[Request] = []
        self.hold_ids: list[int] = []
        self.traced: set[int] = set()

    def teardown(self) -> None:
        self.session.close()
        self.transaction.rollback()
        self.connection.close()

    # --- helpers ---------------------------------------------------------------------------

    def key(self) -> str:
        self.serial += 1
        return f"k{self.serial}"

    def available(self, lot_id: int) -> Decimal:
        return self.balance[lot_id] - self.reserved[lot_id]

    @contextmanager
    def step(self) -> Iterator[None]:
        """One request: a savepoint stands for the caller's unit of work and its rollback."""
        with self.session.begin_nested():
            yield

    def refused(self, call: Callable[[], object], error: type[Exception]) -> None:
        """The call raises ``error`` and leaves nothing behind."""
        before = counts(self.session)
        try:
            with self.step():
                call()
        except error:
            pass
        else:
            raise AssertionError(f"expected {error.__name__}")
        assert counts(self.session) == before

    def succeeds(self, call: Callable[[], object], altered: Callable[[], object]) -> Any:
        """The call succeeds; remember it, and a variant with other arguments, for replays."""
        with self.step():
            result = call()
        self.made.append(Request(call, ids(result), altered))
        return result

    def opened(self, lot: Lot, amount: Decimal) -> int:
        self.balance[lot.id], self.reserved[lot.id], self.owner[lot.id] = amount, ZERO, lot.party_id
        return lot.id

    # --- rules -----------------------------------------------------------------------------

    @initialize(
        target=lots,
        amounts=st.lists(quantities, min_size=2, max_size=2),
        statuses=st.lists(st.sampled_from(CustomsStatus), min_size=2, max_size=2),
    )
    def two_lots_and_a_hold_to_start_with(
        self, amounts: list[Decimal], statuses: list[CustomsStatus]
    ) -> Any:
        # Every sequence starts with goods of two parties, one lot partly held, so that its few
        # steps reach posting, voiding and expiry as often as the rest.
        first, second = (self.admit(i, amounts[i], statuses[i]) for i in (0, 1))
        self.hold(first, max(QUANTUM, (amounts[0] / 2).quantize(QUANTUM)), 30)
        return multiple(first, second)

    @rule(
        target=lots,
        party=st.integers(0, 2),
        amount=quantities,
        status=st.sampled_from(CustomsStatus),
    )
    def admit(self, party: int, amount: Decimal, status: CustomsStatus) -> int:
        values = goods(quantity=amount, customs_status=status, idempotency_key=self.key())

        def call(**changes: Any) -> Lot:
            return service.admit(
                self.session,
                self.parties[party],
                profile=self.profile,
                actor=ACTOR,
                **{**values, **changes},
            )

        lot = self.succeeds(call, lambda: call(description="other goods"))
        return self.opened(lot, amount)

    @rule(target=lots, lot_id=lots, shift=st.integers(1, 2), amount=quantities)
    def transfer(self, lot_id: int, shift: int, amount: Decimal) -> Any:
        lot = self.session.get_one(Lot, lot_id)
        owner = next(i for i, p in enumerate(self.parties) if p.id == lot.party_id)
        receiver = self.parties[(owner + shift) % len(self.parties)]
        key = self.key()

        def call(quantity: Decimal = amount) -> service.Transfer:
            return service.transfer(
                self.session,
                lot,
                to_party=receiver,
                quantity=quantity,
                idempotency_key=key,
                profile=self.profile,
                actor=ACTOR,
            )

        if self.available(lot_id) < amount:
            self.refused(call, InsufficientBalance)
            return multiple()
        moved = self.succeeds(call, lambda: call(amount + 1))
        assert moved.outgoing.correlation_key == moved.incoming.correlation_key
        self.balance[lot_id] -= amount
        return self.opened(moved.lot, amount)

    @rule(lot_id=lots, amount=quantities, verb=st.sampled_from(sorted(REMOVALS)))
    def remove(self, lot_id: int, amount: Decimal, verb: str) -> None:
        lot = self.session.get_one(Lot, lot_id)
        key = self.key()

        def call(quantity: Decimal = amount) -> Movement:
            return REMOVALS[verb](
                self.session, lot, quantity=quantity, idempotency_key=key, actor=ACTOR
            )

        if self.available(lot_id) < amount:
            self.refused(call, InsufficientBalance)
            return
        moved = self.succeeds(call, lambda: call(amount + 1))
        assert (moved.kind, moved.quantity) == (MovementKind(verb), -amount)
        self.balance[lot_id] -= amount

    @rule(lot_id=lots, amount=quantities, shortage=st.booleans())
    def adjust(self, lot_id: int, amount: Decimal, shortage: bool) -> None:
        lot = self.session.get_one(Lot, lot_id)
        signed = -amount if shortage else amount
        key = self.key()

        def call(reason: str = "stocktake") -> Movement:
            return service.adjust(
                self.session, lot, quantity=signed, reason=reason, idempotency_key=key, actor=ACTOR
            )

        if self.available(lot_id) < -signed:
            self.refused(call, InsufficientBalance)
            return
        self.succeeds(call, lambda: call("recount"))
        self.balance[lot_id] += signed

    @rule(
        target=lots,
        picked=st.lists(lots, min_size=1, max_size=3),
        amounts=st.lists(quantities, min_size=3, max_size=3),
        made=quantities,
    )
    def transform(self, picked: list[int], amounts: list[Decimal], made: Decimal) -> Any:
        # One party's distinct lots: the first drawn decides whose.
        owner = self.owner[picked[0]]
        mine = dict.fromkeys(lot_id for lot_id in picked if self.owner[lot_id] == owner)
        inputs = [
            (self.session.get_one(Lot, lot_id), amount)
            for lot_id, amount in zip(mine, amounts, strict=False)
        ]
        key = self.key()

        def call(quantity: Decimal = made) -> service.Transformation:
            return service.transform(
                self.session,
                inputs,
                idempotency_key=key,
                profile=self.profile,
                actor=ACTOR,
                **product(quantity=quantity),
            )

        if any(self.available(lot.id) < amount for lot, amount in inputs):
            self.refused(call, InsufficientBalance)
            return multiple()
        result = self.succeeds(call, lambda: call(made + 1))
        for lot, amount in inputs:
            self.balance[lot.id] -= amount
        parents = repo.parents_of(self.session, result.product.id)
        assert {(p.input_lot_id, p.quantity) for p in parents} == {
            (lot.id, amount) for lot, amount in inputs
        }
        return self.opened(result.product, made)

    @precondition(lambda self: bool(self.balance))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        every = list(self.session.scalars(select(Movement.id).order_by(Movement.id)))
        movement = self.session.get_one(Movement, data.draw(st.sampled_from(every)))
        legs = repo.correlated(self.session, movement.correlation_key)
        key = self.key()

        def call(reason: str = "correction") -> tuple[Movement, ...]:
            return service.reverse(
                self.session, movement, reason=reason, idempotency_key=key, actor=ACTOR
            )

        if movement.kind is MovementKind.REVERSAL:
            self.refused(call, RuleViolation)
        elif any(leg.id in self.reversed for leg in legs):
            self.refused(call, Conflict)
        elif any(leg.quantity > 0 and self.available(leg.lot_id) < leg.quantity for leg in legs):
            self.refused(call, InsufficientBalance)
        else:
            reversals = self.succeeds(call, lambda: call("another reason"))
            assert [r.reverses_id for r in reversals] == [leg.id for leg in legs]
            for leg in legs:
                self.balance[leg.lot_id] -= leg.quantity
                self.reversed.add(leg.id)

    @rule(lot_id=lots, amount=quantities, minutes=five_minutes)
    def hold(self, lot_id: int, amount: Decimal, minutes: int) -> None:
        lot = self.session.get_one(Lot, lot_id)
        key = self.key()
        expires_at = self.now + dt.timedelta(minutes=minutes)

        def call(quantity: Decimal = amount) -> Hold:
            return service.hold(
                self.session,
                lot,
                quantity=quantity,
                expires_at=expires_at,
                idempotency_key=key,
                actor=ACTOR,
                now=self.now,
            )

        if self.available(lot_id) < amount:
            self.refused(call, InsufficientBalance)
            return
        held = self.succeeds(call, lambda: call(amount + 1))
        self.reserved[lot_id] += amount
        self.pending[held.id] = (lot_id, amount, expires_at)
        self.hold_ids.append(held.id)

    @precondition(lambda self: bool(self.hold_ids))
    @rule(data=st.data(), kind=st.sampled_from(sorted(service.POSTABLE_KINDS)))
    def post(self, data: st.DataObject, kind: MovementKind) -> None:
        hold_id = data.draw(st.sampled_from(self.hold_ids))
        held = self.session.get_one(Hold, hold_id)
        key = self.key()

        def call(reason: str = "inspected") -> Movement:
            return service.post(
                self.session,
                held,
                kind=kind,
                idempotency_key=key,
                actor=ACTOR,
                reason=reason,
                now=self.now,
            )

        if hold_id not in self.pending:
            self.refused(call, TransitionForbidden)
            return
        lot_id, amount, expires_at = self.pending[hold_id]
        if expires_at <= self.now:
            self.refused(call, RuleViolation)
            return
        moved = self.succeeds(call, lambda: call("other"))
        assert (moved.kind, moved.quantity) == (kind, -amount)
        del self.pending[hold_id]
        self.balance[lot_id] -= amount
        self.reserved[lot_id] -= amount

    @precondition(lambda self: bool(self.hold_ids))
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(self.hold_ids))
        held = self.session.get_one(Hold, hold_id)

        def call() -> Hold:
            return service.void(self.session, held, actor=ACTOR, now=self.now)

        if held.status is HoldStatus.POSTED:
            self.refused(call, TransitionForbidden)
            return
        with self.step():
            assert call().status is HoldStatus.VOIDED
        if hold_id in self.pending:
            lot_id, amount, _ = self.pending.pop(hold_id)
            self.reserved[lot_id] -= amount

    @precondition(lambda self: bool(self.pending))
    @rule(minutes=five_minutes)
    def time_passes(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)
        with self.step():
            voided = service.void_expired(self.session, now=self.now, actor=ACTOR)
        due = {h for h, (_, _, expires_at) in self.pending.items() if expires_at <= self.now}
        assert {h.id for h in voided} == due
        for hold_id in due:
            lot_id, amount, _ = self.pending.pop(hold_id)
            self.reserved[lot_id] -= amount

    @precondition(lambda self: bool(self.made))
    @rule(data=st.data())
    def retry_with_the_same_key(self, data: st.DataObject) -> None:
        request = data.draw(st.sampled_from(self.made))
        before = counts(self.session)
        with self.step():
            again = request.replay()
        assert ids(again) == request.answer
        assert counts(self.session) == before

    @precondition(lambda self: bool(self.made))
    @rule(data=st.data())
    def reuse_a_key_for_other_arguments(self, data: st.DataObject) -> None:
        self.refused(data.draw(st.sampled_from(self.made)).altered, Conflict)

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def balances_follow_the_model_and_never_go_negative(self) -> None:
        moved = (
            select(func.sum(Movement.quantity))
            .where(Movement.lot_id == Lot.id)
            .correlate(Lot)
            .scalar_subquery()
        )
        held = (
            select(func.coalesce(func.sum(Hold.quantity), 0))
            .where(Hold.lot_id == Lot.id, Hold.status == HoldStatus.PENDING)
            .correlate(Lot)
            .scalar_subquery()
        )
        rows = self.session.execute(select(Lot.id, Lot.balance, Lot.reserved, moved, held)).all()
        assert len(rows) == len(self.balance)
        for lot_id, balance, reserved, total, pending in rows:
            assert balance >= 0
            assert 0 <= reserved <= balance
            assert balance == total, f"lot {lot_id}: stored {balance}, movements sum {total}"
            assert reserved == pending, f"lot {lot_id}: reserves {reserved}, holds {pending}"
            assert (balance, reserved) == (self.balance[lot_id], self.reserved[lot_id])

    @invariant()
    def every_lot_traces_to_an_admission(self) -> None:
        # A lot's origin (its opening movement, source lot, parents) never changes once written,
        # so each lot is traced once, after the step that made it.
        new = set(self.balance) - self.traced
        if not new:
            return
        opening = {
            lot_id: kind
            for lot_id, kind in self.session.execute(
                select(Movement.lot_id, Movement.kind).where(
                    Movement.id.in_(select(func.min(Movement.id)).group_by(Movement.lot_id))
                )
            )
        }
        source = {
            lot_id: origin
            for lot_id, origin in self.session.execute(select(Lot.id, Lot.source_lot_id))
        }
        parents: dict[int, list[int]] = {}
        for product_id, input_id in self.session.execute(
            select(LotParent.product_lot_id, LotParent.input_lot_id)
        ):
            parents.setdefault(product_id, []).append(input_id)

        def traces(lot_id: int) -> bool:
            kind, origin = opening[lot_id], source[lot_id]
            if kind is MovementKind.ADMIT:
                return origin is None and lot_id not in parents
            if kind is MovementKind.TRANSFER_IN:
                return origin is not None and traces(origin)
            return kind is MovementKind.TRANSFORM_IN and all(map(traces, parents[lot_id]))

        assert set(opening) == set(source) == set(self.balance)
        assert all(traces(lot_id) for lot_id in new)
        self.traced |= new


class TestLedgerInvariants:
    def test_random_sequences_keep_every_invariant(
        self, committing_engine: Engine, profile: ZoneProfile
    ) -> None:
        with unit_of_work(session_factory(committing_engine)) as session:
            parties = [make_party(session, ACTOR) for _ in range(3)]
        writes_to_movements: list[str] = []
        runs = [0]

        def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            words = statement.upper().split()
            if words[:2] == ["UPDATE", "LEDGER_MOVEMENTS"] or words[:3] == [
                "DELETE",
                "FROM",
                "LEDGER_MOVEMENTS",
            ]:
                writes_to_movements.append(statement)

        class OnThisDatabase(LedgerMachine):
            def __init__(self) -> None:
                runs[0] += 1
                super().__init__(committing_engine, parties, profile)

        backend = committing_engine.dialect.name
        event.listen(committing_engine, "before_cursor_execute", watch)
        run_state_machine_as_test(
            OnThisDatabase,
            settings=settings(
                max_examples=EXAMPLES[backend],
                stateful_step_count=STEPS,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
        assert runs[0] >= EXAMPLES[backend], f"only {runs[0]} sequences ran"
        assert writes_to_movements == [], "movements are only ever inserted"
