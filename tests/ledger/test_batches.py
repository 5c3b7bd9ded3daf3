"""Batches of movements: the same invariants as one movement at a time, all or nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_party
from hetao.audit.service import Actor
from hetao.audit.verify import verify_database
from hetao.errors import Conflict, ValidationFailed
from hetao.ledger import repository as repo
from hetao.ledger import service
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import Lot, Movement, MovementKind
from hetao.ledger.service import MovementOrder
from hetao.ledger.service.batches import first_overdraft
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from ledger.support import admit, counts, key, last_seq, tags_since

CONSUME, ADJUST, DESTROY = MovementKind.CONSUME, MovementKind.ADJUST, MovementKind.DESTROY


@pytest.fixture
def party(session: Session, actor: Actor) -> Party:
    return make_party(session, actor)


def consume(lot: Lot, quantity: int | str, idempotency_key: str, **more: Any) -> MovementOrder:
    return MovementOrder(lot, CONSUME, Decimal(quantity), idempotency_key, **more)


class TestPostMovements:
    def test_each_item_is_a_movement_with_its_audit_event_and_each_lot_moves_by_its_sum(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        first = admit(session, party, profile, actor, quantity=Decimal(10))
        second = admit(session, party, profile, actor, quantity=Decimal(10))
        seq = last_seq(session)
        orders = [
            consume(second, 1, key("b")),
            consume(first, "2.5", key("b"), declaration_ref="SL-2026-1"),
            MovementOrder(first, ADJUST, Decimal(-1), key("b"), reason="counted short"),
            MovementOrder(second, DESTROY, Decimal(3), key("b"), reason="expired, incinerated"),
        ]
        ids = service.post_movements(session, orders, actor=actor)
        movements = [session.get_one(Movement, i) for i in ids]
        assert [(m.lot_id, m.kind, m.quantity) for m in movements] == [
            (second.id, CONSUME, Decimal(-1)),
            (first.id, CONSUME, Decimal("-2.5")),
            (first.id, ADJUST, Decimal(-1)),
            (second.id, DESTROY, Decimal(-3)),
        ]
        assert [m.idempotency_key for m in movements] == [o.idempotency_key for o in orders]
        assert (repo.balance(session, first.id), repo.balance(session, second.id)) == (
            Decimal("6.5"),
            Decimal(6),
        )
        for lot in (first, second):
            assert repo.balance(session, lot.id) == repo.balance_from_movements(session, lot.id)
        assert tags_since(session, seq) == [
            "ledger:movement:consume",
            "ledger:movement:consume",
            "ledger:movement:adjust",
            "ledger:movement:destroy",
        ]

    def test_the_loaded_lot_shows_the_balance_the_database_computed(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(10))
        service.post_movements(
            session, [consume(lot, 4, key()), consume(lot, 1, key())], actor=actor
        )
        assert lot.balance == Decimal(5)

    def test_the_refusal_names_the_first_item_that_overdraws_its_lot(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        plenty = admit(session, party, profile, actor, quantity=Decimal(100))
        lot = admit(session, party, profile, actor, quantity=Decimal(5))
        orders = [consume(lot, 3, key()), consume(plenty, 50, key()), consume(lot, 3, key())]
        with pytest.raises(InsufficientBalance) as refused:
            service.post_movements(session, orders, actor=actor)
        [problem] = refused.value.problems
        assert (problem.field, problem.rule) == ("items[2].quantity", "ledger.available_balance")
        assert (refused.value.asked, refused.value.available) == (Decimal(3), Decimal(2))

    def test_items_count_one_after_another_so_an_overage_may_cover_a_later_shortage(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(2))
        over = MovementOrder(lot, ADJUST, Decimal(3), key(), reason="found in the cold room")
        short = MovementOrder(lot, ADJUST, Decimal(-5), key(), reason="broken in transit")
        service.post_movements(session, [over, short], actor=actor)
        assert repo.balance(session, lot.id) == 0

    def test_items_count_one_after_another_so_a_shortage_before_the_overage_is_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(2))
        short = MovementOrder(lot, ADJUST, Decimal(-5), key(), reason="broken in transit")
        over = MovementOrder(lot, ADJUST, Decimal(3), key(), reason="found in the cold room")
        with pytest.raises(InsufficientBalance) as refused:
            service.post_movements(session, [short, over], actor=actor)
        assert refused.value.problems[0].field == "items[0].quantity"

    def test_a_retried_batch_returns_the_first_movements_and_writes_nothing(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(10))
        orders = [consume(lot, 1, key()), consume(lot, 2, key())]
        first = service.post_movements(session, orders, actor=actor)
        before = counts(session)
        assert service.post_movements(session, orders, actor=actor) == first
        assert counts(session) == before
        assert repo.balance(session, lot.id) == Decimal(7)

    def test_a_batch_retrying_some_items_posts_only_the_new_ones(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(10))
        done = consume(lot, 1, key())
        [first] = service.post_movements(session, [done], actor=actor)
        again = service.post_movements(session, [done, consume(lot, 2, key())], actor=actor)
        assert again[0] == first
        assert again[1] != first
        assert repo.balance(session, lot.id) == Decimal(7)

    def test_a_verb_retried_as_a_batch_item_returns_its_movement(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(10))
        moved = service.consume(session, lot, quantity=Decimal(1), idempotency_key="k", actor=actor)
        assert service.post_movements(session, [consume(lot, 1, "k")], actor=actor) == [moved.id]

    def test_the_same_key_with_other_arguments_is_a_conflict_naming_the_item(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(10))
        reused = key()
        service.post_movements(session, [consume(lot, 1, reused)], actor=actor)
        before = counts(session)
        with pytest.raises(Conflict) as conflict:
            service.post_movements(
                session, [consume(lot, 1, key()), consume(lot, 2, reused)], actor=actor
            )
        [problem] = conflict.value.problems
        assert (problem.field, problem.rule) == (
            "items[1].idempotency_key",
            "idempotency.same_arguments",
        )
        assert counts(session) == before

    def test_a_key_given_twice_in_one_batch_is_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(10))
        twice = key()
        with pytest.raises(ValidationFailed) as refused:
            service.post_movements(session, [consume(lot, 1, twice)] * 2, actor=actor)
        [problem] = refused.value.problems
        assert (problem.field, problem.rule) == (
            "items[1].idempotency_key",
            "idempotency.once_per_batch",
        )

    @pytest.mark.parametrize(
        ("change", "field", "rule"),
        [
            ({"quantity": Decimal(0)}, "quantity", "quantity.positive"),
            ({"quantity": 1.5}, "quantity", "quantity.decimal"),
            ({"quantity": Decimal("0.0001")}, "quantity", "quantity.places"),
            ({"quantity": Decimal("NaN")}, "quantity", "quantity.positive"),
            ({"idempotency_key": "a#b"}, "idempotency_key", "idempotency.key_format"),
            ({"idempotency_key": "with space"}, "idempotency_key", "idempotency.key_format"),
            ({"idempotency_key": ""}, "idempotency_key", "idempotency.key_format"),
            ({"kind": MovementKind.ADMIT}, "kind", "ledger.batch_kind"),
            ({"kind": DESTROY}, "reason", "text.required"),
            ({"kind": ADJUST}, "reason", "text.required"),
            ({"declaration_ref": "x" * 65}, "declaration_ref", "text.max_length"),
        ],
    )
    def test_refuses_an_invalid_item_naming_its_index_field_and_rule(
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        party: Party,
        change: dict[str, Any],
        field: str,
        rule: str,
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(10))
        values: dict[str, Any] = {
            "lot": lot,
            "kind": CONSUME,
            "quantity": Decimal(1),
            "idempotency_key": key(),
        }
        bad = MovementOrder(**{**values, **change})
        before = counts(session)
        with pytest.raises(ValidationFailed) as refused:
            service.post_movements(session, [consume(lot, 1, key()), bad], actor=actor)
        [problem] = refused.value.problems
        assert (problem.field, problem.rule) == (f"items[1].{field}", rule)
        assert counts(session) == before

    def test_the_audit_chain_verifies_after_batches(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(1000))
        for _ in range(3):
            orders = [consume(lot, 1, key()) for _ in range(50)]
            service.post_movements(session, orders, actor=actor)
        service.consume(session, lot, quantity=Decimal(1), idempotency_key=key(), actor=actor)
        report = verify_database(session, [], None)
        assert report.ok, report.problem
        subjects = session.scalars(
            select(func.count()).where(Movement.lot_id == lot.id, Movement.kind == CONSUME)
        ).one()
        assert subjects == 151


class TestFirstOverdraft:
    def test_names_the_first_change_below_zero_and_what_was_available_before_it(self) -> None:
        changes = [Decimal(-2), Decimal(3), Decimal(-5), Decimal(-1)]
        assert first_overdraft(Decimal(3), changes) == (2, Decimal(4))

    def test_a_sum_that_never_goes_below_zero_has_none(self) -> None:
        with pytest.raises(ValueError, match="no change overdraws"):
            first_overdraft(Decimal(1), [Decimal(-1), Decimal(1)])
