"""Ledger services, one class per verb; each test names the rule it proves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from factories import hk_br, make_party
from hetao.audit.service import Actor
from hetao.errors import Conflict, RuleViolation, TransitionForbidden, ValidationFailed
from hetao.ledger import repository as repo
from hetao.ledger import service
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import CustomsStatus, HoldStatus, Movement, MovementKind
from hetao.profiles import SupervisionClass, TransferExemptReason, ZoneProfile
from hetao.registry import standings as registry_standings
from hetao.registry.models import Party
from hetao.registry.schemas import WaiverCreate
from hetao.storage.types import utcnow
from ledger.support import RELEASED_ON, admit, counts, key, last_seq, product, tags_since

LATER = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def party(session: Session, actor: Actor) -> Party:
    return make_party(session, actor)


@pytest.fixture
def other(session: Session, actor: Actor) -> Party:
    return make_party(session, actor, name_en="Huanggang Quantum Devices Ltd.")


class TestAdmission:
    def test_an_admission_opens_a_lot_whose_balance_is_the_admitted_quantity(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        seq = last_seq(session)
        lot = admit(session, party, profile, actor, quantity=Decimal("12.5"))
        assert (lot.balance, lot.reserved, lot.initial_quantity) == (
            Decimal("12.5"),
            Decimal(0),
            Decimal("12.5"),
        )
        assert lot.hs_code == "382219"
        (movement,) = session.scalars(select(Movement).where(Movement.lot_id == lot.id))
        assert (movement.kind, movement.quantity) == (MovementKind.ADMIT, Decimal("12.5"))
        assert movement.declaration_ref == lot.admission_ref
        assert tags_since(session, seq) == ["ledger:lot:admit"]

    def test_supervision_period_ends_three_years_after_release_for_equipment(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(
            session,
            party,
            profile,
            actor,
            hs_code="9027.50",
            goods_kind="equipment",
            customs_status=CustomsStatus.DUTY_FREE_RESEARCH,
        )
        assert lot.supervision_ends_on == dt.date(2029, 3, 16)

    def test_supervision_period_is_six_years_for_motor_vehicles(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(
            session,
            party,
            profile,
            actor,
            hs_code="8703.80",
            goods_kind="vehicles",
            customs_status=CustomsStatus.DUTY_FREE_RESEARCH,
        )
        assert lot.supervision_ends_on == dt.date(2032, 3, 16)

    def test_supervision_period_is_eight_years_for_aircraft(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(
            session,
            party,
            profile,
            actor,
            hs_code="8802.20",
            goods_kind="equipment",
            customs_status=CustomsStatus.DUTY_FREE_RESEARCH,
        )
        assert lot.supervision_ends_on == dt.date(2034, 3, 16)

    def test_a_supervision_period_from_29_february_ends_on_28_february(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(
            session,
            party,
            profile,
            actor,
            hs_code="9027.50",
            goods_kind="instruments",
            customs_status=CustomsStatus.DUTY_FREE_RESEARCH,
            admitted_on=dt.date(2028, 2, 29),
        )
        assert lot.supervision_ends_on == dt.date(2031, 2, 28)

    def test_a_declared_supervision_class_overrides_the_derived_one(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = service.admit(
            session,
            party,
            hs_code="8479.89",
            description="Autonomous survey drone boat",
            unit="set",
            quantity=Decimal(1),
            origin="HK",
            goods_kind="equipment",
            customs_status=CustomsStatus.DUTY_FREE_RESEARCH,
            customs_value=Decimal("800000.00"),
            currency="HKD",
            admission_ref="FL-2026-000777",
            admitted_on=RELEASED_ON,
            idempotency_key=key(),
            profile=profile,
            actor=actor,
            supervision_class=SupervisionClass.SHIPS_AIRCRAFT,
        )
        assert lot.supervision_ends_on == dt.date(2034, 3, 16)

    def test_r5_consumables_used_up_in_research_have_no_supervision_period(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, customs_status=CustomsStatus.DUTY_FREE_RESEARCH)
        assert lot.supervision_ends_on is None

    def test_bonded_goods_have_no_exemption_supervision_period(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, hs_code="9027.50", goods_kind="equipment")
        assert lot.supervision_ends_on is None

    def test_r6_refuses_duty_free_goods_of_a_kind_the_party_waived(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        registry_standings.waive_exemption(
            session,
            party,
            WaiverCreate(goods_kind="reagents", waived_on=dt.date(2026, 2, 10)),
            profile=profile,
            actor=actor,
        )
        with pytest.raises(RuleViolation) as caught:
            admit(session, party, profile, actor, customs_status=CustomsStatus.DUTY_FREE_RESEARCH)
        assert caught.value.problems[0].rule == "R6.waiver_lockout"
        # Paying the taxes (duty-paid) is what the waiver chose: that admission goes through.
        admit(session, party, profile, actor, customs_status=CustomsStatus.DUTY_PAID)

    def test_r4_refuses_duty_free_goods_for_a_party_that_is_not_a_beneficiary(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        broker = make_party(session, actor, kind="broker")
        with pytest.raises(RuleViolation) as caught:
            admit(session, broker, profile, actor, customs_status=CustomsStatus.DUTY_FREE_RESEARCH)
        assert caught.value.problems[0].rule == "R4.beneficiaries_only"

    @pytest.mark.parametrize(
        ("field", "value", "rule"),
        [
            ("hs_code", "9999.99", "hs2022.unknown_subheading"),
            ("origin", "XX", "iso3166.alpha2"),
            ("goods_kind", "yachts", "profile.waiver_goods_kind"),
            ("quantity", Decimal("1.0005"), "quantity.places"),
            ("quantity", Decimal(0), "quantity.positive"),
            ("quantity", Decimal(-3), "quantity.positive"),
            ("quantity", 2.5, "quantity.decimal"),
            ("customs_value", Decimal("10.001"), "money.format"),
            ("idempotency_key", "a#b", "idempotency.key_format"),
            ("idempotency_key", "", "idempotency.key_format"),
            ("admission_ref", " ", "text.required"),
            ("customs_status", "smuggled", "ledger.customs_status"),
        ],
    )
    def test_refuses_input_that_breaks_a_rule_naming_the_field(
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        party: Party,
        field: str,
        value: object,
        rule: str,
    ) -> None:
        before = counts(session)
        with pytest.raises(ValidationFailed) as caught:
            admit(session, party, profile, actor, **{field: value})
        assert caught.value.problems[0].rule == rule
        assert counts(session) == before


class TestWithdrawals:
    def test_refuses_a_withdrawal_larger_than_the_available_balance(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(3))
        session.commit()
        before = counts(session)
        with pytest.raises(InsufficientBalance) as caught:
            service.consume(
                session, lot, quantity=Decimal("3.001"), idempotency_key=key(), actor=actor
            )
        error = caught.value
        assert (error.lot_id, error.asked, error.available) == (
            lot.id,
            Decimal("3.001"),
            Decimal(3),
        )
        assert f"lot {lot.id}" in error.detail
        assert error.problems[0].rule == "ledger.available_balance"
        session.rollback()  # the movement was inserted before the lot refused: as a unit of work
        assert counts(session) == before
        assert repo.balance(session, lot.id) == Decimal(3)

    def test_a_withdrawal_of_the_whole_balance_leaves_exactly_zero(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal("0.3"))
        for amount in ("0.1", "0.2"):
            service.consume(
                session, lot, quantity=Decimal(amount), idempotency_key=key(), actor=actor
            )
        # On SQLite a NUMERIC column would hold floats: 0.3 - 0.1 - 0.2 = -2.8e-17 there.
        assert repo.balance(session, lot.id) == 0
        with pytest.raises(InsufficientBalance):
            service.consume(
                session, lot, quantity=Decimal("0.001"), idempotency_key=key(), actor=actor
            )

    @pytest.mark.parametrize(
        ("verb", "kind"),
        [
            (service.consume, MovementKind.CONSUME),
            (service.release_second_line, MovementKind.RELEASE_SECOND_LINE),
            (service.export_first_line, MovementKind.EXPORT_FIRST_LINE),
        ],
    )
    def test_each_removal_is_a_negative_movement_with_its_audit_event(
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        party: Party,
        verb: Callable[..., Movement],
        kind: MovementKind,
    ) -> None:
        lot = admit(session, party, profile, actor)
        seq = last_seq(session)
        movement = verb(
            session,
            lot,
            quantity=Decimal(4),
            idempotency_key=key(),
            actor=actor,
            declaration_ref="D-1",
        )
        assert (movement.kind, movement.quantity, movement.declaration_ref) == (
            kind,
            Decimal(-4),
            "D-1",
        )
        assert lot.balance == Decimal(6)
        assert tags_since(session, seq) == [f"ledger:movement:{kind.value}"]

    def test_a_destruction_needs_a_reason(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        with pytest.raises(ValidationFailed) as caught:
            service.destroy(
                session, lot, quantity=Decimal(1), reason=" ", idempotency_key=key(), actor=actor
            )
        assert caught.value.problems[0].field == "reason"
        moved = service.destroy(
            session, lot, quantity=Decimal(1), reason="expired", idempotency_key=key(), actor=actor
        )
        assert (moved.kind, moved.reason) == (MovementKind.DESTROY, "expired")

    def test_a_stocktake_adjustment_may_add_or_take_but_not_below_zero(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(5))
        service.adjust(
            session, lot, quantity=Decimal(2), reason="overage", idempotency_key=key(), actor=actor
        )
        service.adjust(
            session,
            lot,
            quantity=Decimal(-6),
            reason="shortage",
            idempotency_key=key(),
            actor=actor,
        )
        assert lot.balance == Decimal(1)
        with pytest.raises(InsufficientBalance):
            service.adjust(
                session,
                lot,
                quantity=Decimal(-2),
                reason="shortage",
                idempotency_key=key(),
                actor=actor,
            )


class TestTheDatabaseEnforcesBalances:
    """The constraints hold even against SQL that bypasses the services."""

    def _refused(self, session: Session, sql: str, **params: object) -> None:
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(text(sql), params)

    def test_the_database_refuses_a_negative_balance(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        self._refused(session, "UPDATE ledger_lots SET balance = -1 WHERE id = :id", id=lot.id)

    def test_the_database_refuses_a_reservation_beyond_the_balance(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        self._refused(
            session, "UPDATE ledger_lots SET reserved = balance + 1 WHERE id = :id", id=lot.id
        )
        self._refused(session, "UPDATE ledger_lots SET reserved = -1 WHERE id = :id", id=lot.id)

    def test_the_database_refuses_a_movement_whose_sign_contradicts_its_kind(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        (admission,) = session.scalars(select(Movement).where(Movement.lot_id == lot.id))
        row = {
            "lot_id": lot.id,
            "party_id": party.id,
            "kind": MovementKind.CONSUME,
            "quantity": Decimal(1),
            "idempotency_key": key(),
            "request_hash": "0" * 64,
            "correlation_key": "c" * 32,
            "actor": str(actor),
            "created_at": utcnow(),
        }
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(insert(Movement), [row])
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(insert(Movement), [{**row, "kind": MovementKind.REVERSAL}])
        # A movement is reversed at most once, whoever writes the second reversal.
        reversal = {**row, "kind": MovementKind.REVERSAL, "quantity": Decimal(-1)}
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(
                insert(Movement),
                [
                    {**reversal, "reverses_id": admission.id},
                    {**reversal, "reverses_id": admission.id, "idempotency_key": key()},
                ],
            )


class TestTransfer:
    def test_a_transfer_is_a_pair_sharing_one_correlation_key(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        seq = last_seq(session)
        moved = service.transfer(
            session,
            lot,
            to_party=other,
            quantity=Decimal(4),
            idempotency_key=key(),
            profile=profile,
            actor=actor,
        )
        out, into = moved.outgoing, moved.incoming
        assert (out.kind, out.quantity, out.lot_id) == (
            MovementKind.TRANSFER_OUT,
            Decimal(-4),
            lot.id,
        )
        assert (into.kind, into.quantity, into.lot_id) == (
            MovementKind.TRANSFER_IN,
            Decimal(4),
            moved.lot.id,
        )
        assert out.correlation_key == into.correlation_key
        assert [m.id for m in repo.correlated(session, out.correlation_key)] == [out.id, into.id]
        assert (out.party_id, into.party_id) == (party.id, other.id)
        assert (lot.balance, moved.lot.balance) == (Decimal(6), Decimal(4))
        assert tags_since(session, seq) == ["ledger:movement:transfer"]

    def test_the_receiver_gets_a_new_lot_that_traces_to_the_source(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        received = service.transfer(
            session,
            lot,
            to_party=other,
            quantity=Decimal(1),
            idempotency_key=key(),
            profile=profile,
            actor=actor,
        ).lot
        assert received.id != lot.id
        assert received.party_id == other.id
        assert received.source_lot_id == lot.id
        assert (received.admission_ref, received.admitted_on) == (lot.admission_ref, RELEASED_ON)
        assert (received.hs_code, received.origin, received.customs_status) == (
            lot.hs_code,
            lot.origin,
            CustomsStatus.BONDED,
        )

    def test_the_value_of_a_transferred_part_is_pro_rata_to_the_fen(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(
            session, party, profile, actor, quantity=Decimal(3), customs_value=Decimal("100.00")
        )
        received = service.transfer(
            session,
            lot,
            to_party=other,
            quantity=Decimal(1),
            idempotency_key=key(),
            profile=profile,
            actor=actor,
        ).lot
        assert received.customs_value == Decimal("33.33")  # 100 / 3, half up to the fen

    def test_r8_exempt_goods_transferred_in_the_zone_become_duty_paid(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(
            session,
            party,
            profile,
            actor,
            hs_code="9027.50",
            goods_kind="equipment",
            customs_status=CustomsStatus.DUTY_FREE_RESEARCH,
        )
        received = service.transfer(
            session,
            lot,
            to_party=other,
            quantity=Decimal(1),
            idempotency_key=key(),
            profile=profile,
            actor=actor,
        ).lot
        assert received.customs_status is CustomsStatus.DUTY_PAID
        assert received.supervision_ends_on is None

    def test_r8_a_bankruptcy_transfer_to_a_beneficiary_stays_duty_free(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(
            session,
            party,
            profile,
            actor,
            hs_code="9027.50",
            goods_kind="equipment",
            customs_status=CustomsStatus.DUTY_FREE_RESEARCH,
        )
        moved = service.transfer(
            session,
            lot,
            to_party=other,
            quantity=Decimal(1),
            idempotency_key=key(),
            profile=profile,
            actor=actor,
            exempt_reason=TransferExemptReason.BANKRUPTCY,
        )
        assert moved.lot.customs_status is CustomsStatus.DUTY_FREE_RESEARCH
        assert moved.lot.supervision_ends_on == lot.supervision_ends_on
        assert moved.outgoing.reason == "bankruptcy"

    def test_r8_the_bankruptcy_exception_covers_transfers_to_beneficiaries_only(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, customs_status=CustomsStatus.DUTY_FREE_RESEARCH)
        hk = make_party(session, actor, kind="hk_institution", uscc=None, hk_br=hk_br())
        with pytest.raises(RuleViolation) as caught:
            service.transfer(
                session,
                lot,
                to_party=hk,
                quantity=Decimal(1),
                idempotency_key=key(),
                profile=profile,
                actor=actor,
                exempt_reason=TransferExemptReason.DEREGISTRATION,
            )
        assert caught.value.problems[0].rule == "R8.to_beneficiary"

    def test_refuses_a_transfer_to_the_owner_itself(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        with pytest.raises(ValidationFailed):
            service.transfer(
                session,
                lot,
                to_party=party,
                quantity=Decimal(1),
                idempotency_key=key(),
                profile=profile,
                actor=actor,
            )


class TestTransform:
    def test_an_rnd_product_records_its_parent_lots(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        reagent = admit(session, party, profile, actor)
        cells = admit(session, party, profile, actor, hs_code="3002.49", goods_kind="samples")
        seq = last_seq(session)
        made = service.transform(
            session,
            [(cells, Decimal(2)), (reagent, Decimal("0.5"))],
            idempotency_key=key(),
            profile=profile,
            actor=actor,
            **product(),
        )
        parents = repo.parents_of(session, made.product.id)
        assert [(p.input_lot_id, p.quantity) for p in parents] == sorted(
            [(cells.id, Decimal(2)), (reagent.id, Decimal("0.5"))]
        )
        assert {m.lot_id: m.quantity for m in made.inputs} == {
            cells.id: -2,
            reagent.id: Decimal("-0.5"),
        }
        assert made.output.kind is MovementKind.TRANSFORM_IN
        assert {m.correlation_key for m in (*made.inputs, made.output)} == {
            made.output.correlation_key
        }
        assert (made.product.balance, made.product.admission_ref) == (Decimal(4), "RD-2026-0042")
        assert (cells.balance, reagent.balance) == (Decimal(8), Decimal("9.5"))
        assert tags_since(session, seq) == ["ledger:lot:transform"]

    def test_an_rnd_product_takes_the_most_supervised_status_of_its_inputs(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        exempt = admit(
            session, party, profile, actor, customs_status=CustomsStatus.DUTY_FREE_RESEARCH
        )
        paid = admit(session, party, profile, actor, customs_status=CustomsStatus.DUTY_PAID)
        bonded = admit(session, party, profile, actor)
        first = service.transform(
            session,
            [(exempt, Decimal(1)), (paid, Decimal(1))],
            idempotency_key=key(),
            profile=profile,
            actor=actor,
            **product(),
        )
        assert first.product.customs_status is CustomsStatus.DUTY_FREE_RESEARCH
        second = service.transform(
            session,
            [(exempt, Decimal(1)), (bonded, Decimal(1))],
            idempotency_key=key(),
            profile=profile,
            actor=actor,
            **product(),
        )
        assert second.product.customs_status is CustomsStatus.BONDED

    def test_a_transformation_short_of_one_input_writes_nothing(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        plenty = admit(session, party, profile, actor)
        scarce = admit(session, party, profile, actor, quantity=Decimal(1))
        before = counts(session)
        # The caller's unit of work rolls the request back; a savepoint plays that part here.
        with pytest.raises(InsufficientBalance), session.begin_nested():
            service.transform(
                session,
                [(plenty, Decimal(5)), (scarce, Decimal(2))],
                idempotency_key=key(),
                profile=profile,
                actor=actor,
                **product(),
            )
        assert counts(session) == before
        assert repo.balance(session, plenty.id) == Decimal(10)

    def test_refuses_inputs_of_several_parties(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        mine, theirs = admit(session, party, profile, actor), admit(session, other, profile, actor)
        with pytest.raises(RuleViolation) as caught:
            service.transform(
                session,
                [(mine, Decimal(1)), (theirs, Decimal(1))],
                idempotency_key=key(),
                profile=profile,
                actor=actor,
                **product(),
            )
        assert caught.value.problems[0].rule == "transform.one_party"


class TestReversal:
    def test_a_reversal_points_at_what_it_undoes_and_restores_the_balance(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        consumed = service.consume(
            session, lot, quantity=Decimal(4), idempotency_key=key(), actor=actor
        )
        seq = last_seq(session)
        (reversal,) = service.reverse(
            session, consumed, reason="keyed twice", idempotency_key=key(), actor=actor
        )
        assert (reversal.kind, reversal.reverses_id) == (MovementKind.REVERSAL, consumed.id)
        assert reversal.quantity == 4
        assert lot.balance == repo.balance_from_movements(session, lot.id) == Decimal(10)
        assert tags_since(session, seq) == ["ledger:movement:reverse"]

    def test_a_reversal_of_a_transfer_reverses_both_legs(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        moved = service.transfer(
            session,
            lot,
            to_party=other,
            quantity=Decimal(4),
            idempotency_key=key(),
            profile=profile,
            actor=actor,
        )
        # Either leg names the pair; the receiving one is reversed here.
        reversals = service.reverse(
            session, moved.incoming, reason="wrong party", idempotency_key=key(), actor=actor
        )
        assert [r.reverses_id for r in reversals] == [moved.outgoing.id, moved.incoming.id]
        assert len({r.correlation_key for r in reversals}) == 1
        assert (repo.balance(session, lot.id), repo.balance(session, moved.lot.id)) == (
            Decimal(10),
            Decimal(0),
        )

    def test_a_reversal_of_a_transformation_restores_every_input(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        a, b = admit(session, party, profile, actor), admit(session, party, profile, actor)
        made = service.transform(
            session,
            [(a, Decimal(3)), (b, Decimal(2))],
            idempotency_key=key(),
            profile=profile,
            actor=actor,
            **product(),
        )
        service.reverse(session, made.output, reason="not made", idempotency_key=key(), actor=actor)
        assert [repo.balance(session, x.id) for x in (a, b, made.product)] == [10, 10, 0]

    def test_a_movement_is_reversed_at_most_once(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        consumed = service.consume(
            session, lot, quantity=Decimal(1), idempotency_key=key(), actor=actor
        )
        service.reverse(session, consumed, reason="error", idempotency_key=key(), actor=actor)
        with pytest.raises(Conflict):
            service.reverse(session, consumed, reason="error", idempotency_key=key(), actor=actor)
        assert lot.balance == Decimal(10)

    def test_a_reversal_is_not_itself_reversed(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        consumed = service.consume(
            session, lot, quantity=Decimal(1), idempotency_key=key(), actor=actor
        )
        (reversal,) = service.reverse(
            session, consumed, reason="error", idempotency_key=key(), actor=actor
        )
        with pytest.raises(RuleViolation):
            service.reverse(session, reversal, reason="undo", idempotency_key=key(), actor=actor)

    def test_a_reversal_cannot_take_back_goods_already_gone(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        moved = service.transfer(
            session,
            lot,
            to_party=other,
            quantity=Decimal(4),
            idempotency_key=key(),
            profile=profile,
            actor=actor,
        )
        service.consume(session, moved.lot, quantity=Decimal(1), idempotency_key=key(), actor=actor)
        with pytest.raises(InsufficientBalance) as caught, session.begin_nested():
            service.reverse(
                session, moved.outgoing, reason="undo", idempotency_key=key(), actor=actor
            )
        assert (caught.value.lot_id, caught.value.available) == (moved.lot.id, Decimal(3))


class TestIdempotency:
    def test_a_retry_with_the_same_key_returns_the_first_movement(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        first = service.consume(
            session, lot, quantity=Decimal(2), idempotency_key="c-1", actor=actor
        )
        before = counts(session)
        again = service.consume(
            session, lot, quantity=Decimal(2), idempotency_key="c-1", actor=actor
        )
        assert again is first
        assert counts(session) == before
        assert lot.balance == Decimal(8)

    def test_the_same_key_with_other_arguments_is_a_conflict(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        service.consume(session, lot, quantity=Decimal(2), idempotency_key="c-1", actor=actor)
        before = counts(session)
        with pytest.raises(Conflict) as caught:
            service.consume(session, lot, quantity=Decimal(3), idempotency_key="c-1", actor=actor)
        assert caught.value.problems[0].rule == "idempotency.same_arguments"
        with pytest.raises(Conflict):
            service.destroy(
                session, lot, quantity=Decimal(2), reason="x", idempotency_key="c-1", actor=actor
            )
        assert counts(session) == before

    def test_replaying_every_verb_creates_nothing_new_and_returns_the_first_answer(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(session, party, profile, actor, idempotency_key="a")
        calls: dict[str, Callable[[], object]] = {
            "admit": lambda: admit(session, party, profile, actor, idempotency_key="a"),
            "transfer": lambda: service.transfer(
                session,
                lot,
                to_party=other,
                quantity=Decimal(1),
                idempotency_key="t",
                profile=profile,
                actor=actor,
            ),
            "transform": lambda: service.transform(
                session,
                [(lot, Decimal(1))],
                idempotency_key="f",
                profile=profile,
                actor=actor,
                **product(),
            ),
            "adjust": lambda: service.adjust(
                session, lot, quantity=Decimal(1), reason="count", idempotency_key="j", actor=actor
            ),
            "hold": lambda: service.hold(
                session,
                lot,
                quantity=Decimal(1),
                expires_at=LATER,
                idempotency_key="h",
                actor=actor,
            ),
        }
        answers = {name: call() for name, call in calls.items()}
        before = counts(session)
        for name, call in calls.items():
            assert call() == answers[name], name
        assert counts(session) == before
        assert answers["admit"] is lot

    def test_replaying_a_reversal_and_a_post_returns_the_first_answer(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        moved = service.transfer(
            session,
            lot,
            to_party=other,
            quantity=Decimal(1),
            idempotency_key="t",
            profile=profile,
            actor=actor,
        )
        held = service.hold(
            session, lot, quantity=Decimal(2), expires_at=LATER, idempotency_key="h", actor=actor
        )

        def reverse() -> tuple[Movement, ...]:
            return service.reverse(
                session, moved.outgoing, reason="undo", idempotency_key="r", actor=actor
            )

        def post() -> Movement:
            return service.post(
                session,
                held,
                kind=MovementKind.EXPORT_FIRST_LINE,
                idempotency_key="p",
                actor=actor,
            )

        first_reversal, first_post = reverse(), post()
        before = counts(session)
        assert reverse() == first_reversal
        assert post() is first_post
        assert counts(session) == before

    def test_a_retry_naming_the_same_instant_in_another_zone_is_the_same_request(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        first = service.hold(
            session, lot, quantity=Decimal(1), expires_at=LATER, idempotency_key="h", actor=actor
        )
        local = LATER.astimezone(ZoneInfo(profile.zone.timezone))
        again = service.hold(
            session, lot, quantity=Decimal(1), expires_at=local, idempotency_key="h", actor=actor
        )
        assert again is first

    def test_keys_belong_to_their_party(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        mine = admit(session, party, profile, actor, idempotency_key="same")
        theirs = admit(session, other, profile, actor, idempotency_key="same")
        assert mine.id != theirs.id

    def test_a_refused_request_does_not_use_up_its_key(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor, quantity=Decimal(1))
        with pytest.raises(InsufficientBalance), session.begin_nested():
            service.consume(session, lot, quantity=Decimal(2), idempotency_key="c-9", actor=actor)
        service.adjust(
            session, lot, quantity=Decimal(1), reason="found", idempotency_key=key(), actor=actor
        )
        moved = service.consume(
            session, lot, quantity=Decimal(2), idempotency_key="c-9", actor=actor
        )
        assert moved.quantity == -2


class TestHolds:
    def test_a_hold_reserves_goods_that_nothing_else_may_withdraw(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        seq = last_seq(session)
        held = service.hold(
            session, lot, quantity=Decimal(7), expires_at=LATER, idempotency_key=key(), actor=actor
        )
        assert (held.status, lot.balance, lot.reserved) == (
            HoldStatus.PENDING,
            Decimal(10),
            Decimal(7),
        )
        with pytest.raises(InsufficientBalance) as caught:
            service.consume(session, lot, quantity=Decimal(4), idempotency_key=key(), actor=actor)
        assert caught.value.available == Decimal(3)
        with pytest.raises(InsufficientBalance):
            service.hold(
                session,
                lot,
                quantity=Decimal(4),
                expires_at=LATER,
                idempotency_key=key(),
                actor=actor,
            )
        assert tags_since(session, seq) == ["ledger:hold:place"]

    def test_posting_a_hold_turns_the_reservation_into_a_movement(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        held = service.hold(
            session, lot, quantity=Decimal(3), expires_at=LATER, idempotency_key=key(), actor=actor
        )
        seq = last_seq(session)
        moved = service.post(
            session,
            held,
            kind=MovementKind.RELEASE_SECOND_LINE,
            idempotency_key=key(),
            actor=actor,
        )
        assert (moved.kind, moved.quantity) == (MovementKind.RELEASE_SECOND_LINE, Decimal(-3))
        assert (held.status, held.movement_id) == (HoldStatus.POSTED, moved.id)
        assert (lot.balance, lot.reserved) == (Decimal(7), Decimal(0))
        assert tags_since(session, seq) == ["ledger:hold:post"]

    def test_voiding_a_hold_gives_the_goods_back_to_the_available_balance(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        held = service.hold(
            session, lot, quantity=Decimal(3), expires_at=LATER, idempotency_key=key(), actor=actor
        )
        seq = last_seq(session)
        service.void(session, held, actor=actor, reason="inspection passed")
        assert (held.status, lot.balance, lot.reserved) == (
            HoldStatus.VOIDED,
            Decimal(10),
            Decimal(0),
        )
        service.void(session, held, actor=actor)  # again: nothing changes, nothing is recorded
        assert tags_since(session, seq) == ["ledger:hold:void"]

    def test_an_expired_hold_is_voided(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        now = utcnow()
        soon = service.hold(
            session,
            lot,
            quantity=Decimal(2),
            expires_at=now + dt.timedelta(minutes=5),
            idempotency_key=key(),
            actor=actor,
            now=now,
        )
        later = service.hold(
            session,
            lot,
            quantity=Decimal(3),
            expires_at=now + dt.timedelta(hours=2),
            idempotency_key=key(),
            actor=actor,
            now=now,
        )
        assert service.void_expired(session, now=now + dt.timedelta(minutes=4), actor=actor) == []
        voided = service.void_expired(session, now=now + dt.timedelta(minutes=5), actor=actor)
        assert voided == [soon]
        assert (soon.status, later.status) == (HoldStatus.VOIDED, HoldStatus.PENDING)
        assert lot.reserved == Decimal(3)

    def test_an_expired_hold_is_not_posted(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        now = utcnow()
        held = service.hold(
            session,
            lot,
            quantity=Decimal(2),
            expires_at=now + dt.timedelta(minutes=5),
            idempotency_key=key(),
            actor=actor,
            now=now,
        )
        with pytest.raises(RuleViolation) as caught:
            service.post(
                session,
                held,
                kind=MovementKind.CONSUME,
                idempotency_key=key(),
                actor=actor,
                now=now + dt.timedelta(minutes=6),
            )
        assert caught.value.problems[0].rule == "hold.expired"

    def test_a_posted_hold_is_neither_voided_nor_posted_again(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        held = service.hold(
            session, lot, quantity=Decimal(2), expires_at=LATER, idempotency_key=key(), actor=actor
        )
        service.post(session, held, kind=MovementKind.CONSUME, idempotency_key=key(), actor=actor)
        with pytest.raises(TransitionForbidden):
            service.void(session, held, actor=actor)
        with pytest.raises(TransitionForbidden):
            service.post(
                session, held, kind=MovementKind.CONSUME, idempotency_key=key(), actor=actor
            )

    def test_a_hold_posts_only_to_a_removal(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        held = service.hold(
            session, lot, quantity=Decimal(2), expires_at=LATER, idempotency_key=key(), actor=actor
        )
        with pytest.raises(ValidationFailed) as caught:
            service.post(
                session, held, kind=MovementKind.TRANSFER_OUT, idempotency_key=key(), actor=actor
            )
        assert caught.value.problems[0].rule == "hold.postable_kind"

    def test_a_hold_must_expire_in_the_future(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        with pytest.raises(ValidationFailed):
            service.hold(
                session,
                lot,
                quantity=Decimal(1),
                expires_at=utcnow(),
                idempotency_key=key(),
                actor=actor,
            )


class TestBalances:
    def test_the_stored_balance_equals_the_sum_of_the_movements(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        service.consume(session, lot, quantity=Decimal("1.25"), idempotency_key=key(), actor=actor)
        moved = service.transfer(
            session,
            lot,
            to_party=other,
            quantity=Decimal(2),
            idempotency_key=key(),
            profile=profile,
            actor=actor,
        )
        service.adjust(
            session,
            lot,
            quantity=Decimal("0.5"),
            reason="found",
            idempotency_key=key(),
            actor=actor,
        )
        for each in (lot, moved.lot):
            assert repo.balance(session, each.id) == repo.balance_from_movements(session, each.id)
        assert repo.balance(session, lot.id) == Decimal("7.25")

    def test_balance_by_date_counts_the_movements_up_to_that_day(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admit(session, party, profile, actor)
        between = utcnow()
        service.consume(session, lot, quantity=Decimal(3), idempotency_key=key(), actor=actor)
        zone = profile.zone.timezone
        today = utcnow().astimezone(ZoneInfo(zone)).date()
        assert repo.balance_at(session, lot.id, between) == Decimal(10)
        assert repo.balance_at(session, lot.id, utcnow()) == Decimal(7)
        assert repo.balance_as_of(session, lot.id, today, timezone=zone) == Decimal(7)
        yesterday = today - dt.timedelta(days=1)
        assert repo.balance_as_of(session, lot.id, yesterday, timezone=zone) == 0
