"""Batches of movements: the same invariants as one movement at a time, all or nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from factories import make_party
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.audit.verify import verify_database
from hetao.cli import EXIT_TAMPERED, app
from hetao.errors import Conflict, ValidationFailed
from hetao.ledger import repository as repo
from hetao.ledger import service
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import Lot, Movement, MovementKind
from hetao.ledger.service import MovementOrder
from hetao.ledger.service.batches import first_overdraft
from hetao.ledger.service.digest import CONTENT_CHECKS, movements_digest
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from hetao.storage.engine import session_factory, unit_of_work
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
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.seq > seq)).all()
        assert (event.tag, event.subject_type, event.subject_id) == (
            "ledger:movement:batch",
            "movement",
            str(ids[0]),
        )
        assert event.data["movements"] == ids
        assert (event.data["count"], event.data["lots"]) == (4, sorted([first.id, second.id]))
        assert event.data["digest"] == movements_digest(repo.digest_rows(session, ids).values())

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
        session.commit()
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
        # The insert claimed the first item's key before the second's was found taken: the
        # caller's unit of work rolls the batch back whole, as every caller does on a refusal.
        session.rollback()
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
        seq = last_seq(session)
        for _ in range(3):
            orders = [consume(lot, 1, key()) for _ in range(50)]
            service.post_movements(session, orders, actor=actor)
        service.consume(session, lot, quantity=Decimal(1), idempotency_key=key(), actor=actor)
        report = verify_database(session, [], None, content_checks=CONTENT_CHECKS)
        assert report.ok, report.problem
        assert tags_since(session, seq) == ["ledger:movement:batch"] * 3 + [
            "ledger:movement:consume"
        ]
        subjects = session.scalars(
            select(func.count()).where(Movement.lot_id == lot.id, Movement.kind == CONSUME)
        ).one()
        assert subjects == 151


def drop_movement_guards(session: Session) -> None:
    """What an intruder with the owner's rights does first (rolled back with the test)."""
    if session.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            session.execute(text(f"DROP TRIGGER ledger_movements_no_{verb}"))
    else:
        session.execute(
            text("ALTER TABLE ledger_movements DISABLE TRIGGER ledger_movements_append_only")
        )


class TestKeyLocks:
    def test_a_batch_takes_no_lock_of_its_own_however_many_its_keys(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        """A lock per key made a batch of 50,000 fail on PostgreSQL: "out of shared memory".
        Its keys are claimed by the unique index its insert writes, not by advisory locks."""
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("advisory locks are PostgreSQL's; SQLite serialises writers")
        lot = admit(session, party, profile, actor, quantity=Decimal(5000))
        held = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        before = session.scalar(held)
        service.post_movements(session, [consume(lot, 1, key()) for _ in range(3000)], actor=actor)
        assert session.scalar(held) == before
        assert repo.balance(session, lot.id) == Decimal(2000)


class TestBatchDigest:
    """ADR 0015: a batch's one event holds its movements' rows by digest, checked by verify."""

    def batch(self, session: Session, actor: Actor, lot: Lot, count: int = 5) -> list[int]:
        orders = [consume(lot, 1, key()) for _ in range(count)]
        return service.post_movements(session, orders, actor=actor)

    def verify(self, session: Session) -> tuple[bool, int | None, str | None]:
        report = verify_database(session, [], None, content_checks=CONTENT_CHECKS)
        return report.ok, report.first_bad_seq, report.problem

    def test_a_batch_of_one_records_its_verbs_event_and_many_one_batch_event(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(10))
        seq = last_seq(session)
        self.batch(session, actor, lot, count=1)
        self.batch(session, actor, lot, count=2)
        assert tags_since(session, seq) == ["ledger:movement:consume", "ledger:movement:batch"]
        assert self.verify(session) == (True, None, None)

    @pytest.mark.parametrize(
        ("edit", "problem"),
        [
            (
                "UPDATE ledger_movements SET quantity = quantity - 1 WHERE id = :id",
                "a row was changed",
            ),
            ("UPDATE ledger_movements SET reason = 'forged' WHERE id = :id", "a row was changed"),
            ("DELETE FROM ledger_movements WHERE id = :id", "is missing from the ledger"),
        ],
        ids=["quantity", "reason", "deleted"],
    )
    def test_a_movement_edited_after_its_commit_fails_verify_naming_its_batch_event(
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        party: Party,
        edit: str,
        problem: str,
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(100))
        self.batch(session, actor, lot)
        ids = self.batch(session, actor, lot)
        batch_seq = last_seq(session)
        self.batch(session, actor, lot)
        drop_movement_guards(session)
        session.execute(text(edit), {"id": ids[2]})
        ok, bad_seq, said = self.verify(session)
        assert (ok, bad_seq) == (False, batch_seq)
        assert said is not None
        assert problem in said
        assert "ledger:movement:batch" in said

    def test_an_event_whose_data_is_not_a_digest_is_named(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        """Even a chain that holds (an intruder who rewrote it) cannot drop the digest: the
        check reads what the event says it covers, and says what is wrong with it."""
        from hetao.ledger.service.digest import check_batch_event

        assert check_batch_event(session, {"v": 1, "movements": ["1"], "digest": "x"}) == (
            "its data is not a version 1 movement digest"
        )
        assert check_batch_event(session, {"v": 2, "movements": [], "digest": ""}) is not None


class TestFirstOverdraft:
    def test_names_the_first_change_below_zero_and_what_was_available_before_it(self) -> None:
        changes = [Decimal(-2), Decimal(3), Decimal(-5), Decimal(-1)]
        assert first_overdraft(Decimal(3), changes) == (2, Decimal(4))

    def test_a_sum_that_never_goes_below_zero_has_none(self) -> None:
        with pytest.raises(ValueError, match="no change overdraws"):
            first_overdraft(Decimal(1), [Decimal(-1), Decimal(1)])


class TestVerifyCommand:
    def test_hetao_audit_verify_exits_3_naming_the_batch_whose_movement_was_edited(
        self,
        committing_engine: Engine,
        monkeypatch: pytest.MonkeyPatch,
        actor: Actor,
        profile: ZoneProfile,
    ) -> None:
        monkeypatch.setenv(
            "HETAO_DATABASE_URL", committing_engine.url.render_as_string(hide_password=False)
        )
        monkeypatch.setenv("HETAO_PROFILE", profile.zone.code)
        factory = session_factory(committing_engine)
        with unit_of_work(factory) as session:
            lot = admit(session, make_party(session, actor), profile, actor, quantity=Decimal(9))
            ids = service.post_movements(
                session, [consume(lot, 1, key()) for _ in range(3)], actor=actor
            )
            batch_seq = last_seq(session)
        verdict = CliRunner().invoke(app, ["audit", "verify"])
        assert verdict.exit_code == 0, verdict.output
        with unit_of_work(factory) as session:
            drop_movement_guards(session)
            session.execute(
                text("UPDATE ledger_movements SET actor = 'user:intruder' WHERE id = :id"),
                {"id": ids[1]},
            )
        verdict = CliRunner().invoke(app, ["audit", "verify"])
        assert verdict.exit_code == EXIT_TAMPERED
        assert f"first bad event: {batch_seq}; event {batch_seq} (ledger:movement:batch)" in (
            verdict.stderr
        )
