"""Declarations: lodging (idempotent by reference), the workflow, and clearance into the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from declarations.support import (
    DECLARED_ON,
    HKD_NOVEMBER,
    admitted,
    body,
    clear,
    counts,
    line,
    submit,
)
from hetao.audit.service import Actor
from hetao.declarations import service as declarations
from hetao.declarations.clearance import ledger_key
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import DeclarationStatus
from hetao.declarations.schemas import DeclarationCreate
from hetao.errors import Conflict, RuleViolation, TransitionForbidden, ValidationFailed
from hetao.ledger import service as ledger
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import CustomsStatus, Lot, LotParent, Movement, MovementKind
from hetao.profiles import ZoneProfile
from hetao.reference.rates import load_rates
from hetao.reference.tariff import load_tariff
from hetao.registry import standings as registry_standings
from hetao.registry.models import Party
from hetao.registry.schemas import StandingChange, StandingCreate, WaiverCreate
from hetao.tax import assess, parse_request
from ledger.support import last_seq, tags_since


def lodge(
    session: Session, party: Party, profile: ZoneProfile, actor: Actor, document: dict[str, Any]
) -> tuple[Any, bool]:
    data = DeclarationCreate.model_validate(document)
    return declarations.submit(session, party, data, profile=profile, actor=actor)


class TestSubmission:
    def test_a_declaration_is_lodged_submitted_with_its_lines_and_audited(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        seq = last_seq(session)
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[line(bonded=True)],
        )
        assert declaration.status is DeclarationStatus.SUBMITTED
        (first,) = declaration.lines
        assert (first.line_no, first.hs_code, first.quantity) == (1, "382219", Decimal(10))
        assert first.customs_status is CustomsStatus.BONDED
        assert tags_since(session, seq) == ["ledger:declaration:submit"]

    def test_the_same_reference_and_content_return_the_first_declaration_writing_nothing(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        document = body(party.id, DeclarationKind.FIRST_LINE_ENTRY)
        first, created = lodge(session, party, profile, actor, document)
        before = counts(session)
        # The same goods written another way: 10.000 kits, HS code without its dot.
        same = {**document, "lines": [line(quantity="10.000", hs_code="382219")]}
        again, created_again = lodge(session, party, profile, actor, same)
        assert (created, created_again) == (True, False)
        assert again.id == first.id
        assert counts(session) == before

    def test_the_same_reference_with_other_content_is_a_conflict_naming_reference(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        document = body(party.id, DeclarationKind.FIRST_LINE_ENTRY)
        lodge(session, party, profile, actor, document)
        with pytest.raises(Conflict) as caught:
            lodge(session, party, profile, actor, {**document, "lines": [line(quantity="11")]})
        assert caught.value.problems[0].field == "reference"
        assert caught.value.problems[0].rule == "declaration.reference_reused"

    def test_another_party_may_use_the_same_reference(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        document = body(party.id, DeclarationKind.FIRST_LINE_ENTRY)
        first, _ = lodge(session, party, profile, actor, document)
        second, created = lodge(session, other, profile, actor, {**document, "party_id": other.id})
        assert created
        assert second.id != first.id

    def test_duty_free_research_goods_are_refused_to_a_non_beneficiary_r4(
        self, session: Session, actor: Actor, profile: ZoneProfile, outsider: Party
    ) -> None:
        with pytest.raises(RuleViolation) as caught:
            submit(
                session,
                outsider,
                profile,
                actor,
                DeclarationKind.FIRST_LINE_ENTRY,
                lines=[line(research_own_use=True)],
            )
        assert caught.value.problems[0].field == "lines[0].research_own_use"
        assert caught.value.problems[0].rule == "R4.beneficiaries_only"

    def test_duty_free_research_goods_are_refused_within_a_waiver_lockout_r6(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        registry_standings.waive_exemption(
            session,
            party,
            WaiverCreate(goods_kind="reagents", waived_on=dt.date(2026, 3, 1)),
            profile=profile,
            actor=actor,
        )
        with pytest.raises(RuleViolation) as caught:
            submit(
                session,
                party,
                profile,
                actor,
                DeclarationKind.FIRST_LINE_ENTRY,
                lines=[line(research_own_use=True)],
            )
        assert caught.value.problems[0].field == "lines[0].goods_kind"
        assert caught.value.problems[0].rule == "R6.waiver_lockout"

    def test_bonded_goods_are_not_hand_carried_through_channel_1_r13(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        assert profile.goods.bonded_hand_carry_allowed is False
        with pytest.raises(RuleViolation) as caught:
            submit(
                session,
                party,
                profile,
                actor,
                DeclarationKind.FIRST_LINE_ENTRY,
                crossing_point="FBZ_CHANNEL_1",
                hand_carried=True,
                lines=[line(research_own_use=True), line(bonded=True)],
            )
        assert caught.value.problems[0].field == "lines[1].bonded"
        assert caught.value.problems[0].rule == "R13.bonded_not_hand_carried"

    def test_bonded_goods_drawn_from_a_bonded_lot_are_not_hand_carried_out_either_r13(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, bonded=True)
        with pytest.raises(RuleViolation) as caught:
            submit(
                session,
                party,
                profile,
                actor,
                DeclarationKind.FIRST_LINE_EXIT,
                crossing_point="FBZ_CHANNEL_1",
                hand_carried=True,
                lines=[line(lot_id=lot.id, quantity="1")],
            )
        assert caught.value.problems[0].rule == "R13.bonded_not_hand_carried"

    def test_research_goods_may_be_hand_carried_through_channel_1_r13(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_ENTRY,
            crossing_point="FBZ_CHANNEL_1",
            hand_carried=True,
            lines=[line(research_own_use=True)],
        )
        assert declaration.hand_carried

    def test_hand_carrying_through_a_port_without_it_is_refused_r13(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        with pytest.raises(RuleViolation) as caught:
            submit(
                session,
                party,
                profile,
                actor,
                DeclarationKind.FIRST_LINE_ENTRY,
                hand_carried=True,
                lines=[line(research_own_use=True)],
            )
        assert caught.value.problems[0].rule == "R13.hand_carry_point"

    def test_a_crossing_point_of_the_other_line_is_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            submit(
                session,
                party,
                profile,
                actor,
                DeclarationKind.FIRST_LINE_ENTRY,
                crossing_point="SL_GOODS",
            )
        assert caught.value.problems[0].field == "crossing_point"

    def test_a_lot_of_another_party_is_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admitted(session, other, profile, actor, bonded=True)
        with pytest.raises(ValidationFailed) as caught:
            submit(
                session,
                party,
                profile,
                actor,
                DeclarationKind.SECOND_LINE_EXIT,
                lines=[line(lot_id=lot.id)],
            )
        assert caught.value.problems[0].field == "lines[0].lot_id"
        assert caught.value.problems[0].rule == "declaration.own_lot"


class TestWorkflow:
    def test_an_accepted_declaration_is_cleared(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        declaration = submit(session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY)
        declarations.accept(session, declaration, actor=actor)
        clear(session, declaration, profile, actor)
        assert declaration.status is DeclarationStatus.CLEARED

    def test_a_refused_declaration_keeps_its_reason_and_cannot_be_cleared(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        declaration = submit(session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY)
        seq = last_seq(session)
        declarations.refuse(session, declaration, reason="invoice missing", actor=actor)
        assert tags_since(session, seq) == ["ledger:declaration:refuse"]
        with pytest.raises(TransitionForbidden):
            clear(session, declaration, profile, actor)
        assert declaration.refusal_reason == "invoice missing"
        assert declaration.lines[0].result_lot_id is None


class TestClearance:
    def test_a_first_line_entry_admits_one_lot_per_line_with_its_supervision_period_r5(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[
                line(research_own_use=True, supervised_equipment=True),
                line(bonded=True, quantity="3"),
            ],
        )
        seq = last_seq(session)
        clear(session, declaration, profile, actor)
        reagents, bonded = (session.get(Lot, x.result_lot_id) for x in declaration.lines)
        assert reagents is not None
        assert bonded is not None
        assert reagents.customs_status is CustomsStatus.DUTY_FREE_RESEARCH
        assert reagents.supervision_ends_on == dt.date(2029, 11, 16)
        assert (bonded.customs_status, bonded.balance) == (CustomsStatus.BONDED, Decimal(3))
        assert reagents.admission_ref == declaration.reference
        assert declaration.assessment is not None
        assert declaration.assessment["lines"][0]["rule"] == "R4.research_goods_exempt"
        assert declaration.tax_total == 0
        assert tags_since(session, seq)[-1] == "ledger:declaration:clear"

    def test_clearing_twice_creates_nothing_new(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        declaration = submit(session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY)
        clear(session, declaration, profile, actor)
        before = counts(session)
        again = clear(session, declaration, profile, actor)
        assert again is declaration
        assert counts(session) == before

    def test_a_retried_posting_finds_the_movements_under_their_derived_keys(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, bonded=True)
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.SECOND_LINE_EXIT,
            lines=[line(lot_id=lot.id, quantity="4", customs_value="4800.00")],
        )
        # As if an earlier clearance had posted the line before the declaration was marked.
        first = ledger.release_second_line(
            session,
            lot,
            quantity=Decimal(4),
            idempotency_key=ledger_key(declaration.reference, 1),
            declaration_ref=declaration.reference,
            actor=actor,
        )
        clear(session, declaration, profile, actor)
        moved = session.scalars(
            select(Movement).where(Movement.declaration_ref == declaration.reference)
        ).all()
        assert [m.id for m in moved] == [first.id]
        assert lot.balance == Decimal(6)

    def test_a_second_line_exit_of_duty_free_research_goods_is_taxed_as_assess_computes_r7(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.SECOND_LINE_EXIT,
            lines=[line(lot_id=lot.id, quantity="4", customs_value="4800.00")],
        )
        clear(session, declaration, profile, actor)
        expected = assess(
            parse_request(
                {
                    "movement": "second_line_exit",
                    "date": DECLARED_ON.isoformat(),
                    "declarant": {"beneficiary": True, "kind": "csa_enterprise"},
                    "lines": [
                        {
                            "hs_code": "382219",
                            "quantity": "4",
                            "unit": "kit",
                            "customs_value": "4800.00",
                            "currency": "HKD",
                            "origin": "HK",
                            "status": "duty_free_research",
                        }
                    ],
                }
            ),
            profile,
            tariff=load_tariff(None),
            rates=load_rates(None),
        )
        assert declaration.assessment == expected.model_dump(mode="json")
        totals = expected.totals
        assert (declaration.duty, declaration.consumption_tax, declaration.vat) == (
            totals.duty,
            totals.consumption_tax,
            totals.vat,
        )
        # By hand: 4,800 HKD x 0.9121 = 4,378.08 CNY; duty 3 % = 131.34; VAT 13 % of 4,509.42.
        assert Decimal("4800.00") * HKD_NOVEMBER == Decimal("4378.0800")
        assert (declaration.duty, declaration.vat, declaration.tax_total) == (
            Decimal("131.34"),
            Decimal("586.22"),
            Decimal("717.56"),
        )
        assert declaration.assessment["lines"][0]["rule"] == "R7.second_line_exit_taxed"
        assert lot.balance == Decimal(6)

    def test_a_bankruptcy_transfer_to_a_beneficiary_is_not_taxed_r8(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        bankrupt = StandingCreate(
            change=StandingChange.BANKRUPT, effective_on=DECLARED_ON, document_ref="(2026) Po 1"
        )
        registry_standings.record_standing(session, party, bankrupt, profile=profile, actor=actor)
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.IN_ZONE_TRANSFER,
            to_party_id=other.id,
            transfer_reason="bankruptcy",
            lines=[line(lot_id=lot.id, quantity="10")],
        )
        clear(session, declaration, profile, actor)
        received = session.get(Lot, declaration.lines[0].result_lot_id)
        assert received is not None
        assert (received.party_id, received.customs_status) == (
            other.id,
            CustomsStatus.DUTY_FREE_RESEARCH,
        )
        assert declaration.tax_total == 0
        assert declaration.assessment is not None
        assert declaration.assessment["lines"][0]["rule"] == "R8.bankruptcy_transfer_exempt"

    def test_an_ordinary_transfer_to_a_non_beneficiary_is_taxed_r8(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, outsider: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.IN_ZONE_TRANSFER,
            to_party_id=outsider.id,
            lines=[line(lot_id=lot.id, quantity="10")],
        )
        clear(session, declaration, profile, actor)
        received = session.get(Lot, declaration.lines[0].result_lot_id)
        assert received is not None
        assert received.customs_status is CustomsStatus.DUTY_PAID
        assert declaration.assessment is not None
        assert declaration.assessment["lines"][0]["rule"] == "R8.in_zone_transfer_taxed"
        # 12,000 HKD x 0.9121 = 10,945.20; duty 3 % = 328.36; VAT 13 % of 11,273.56 = 1,465.56.
        assert (declaration.duty, declaration.vat) == (Decimal("328.36"), Decimal("1465.56"))

    def test_consumables_used_up_in_research_are_released_untaxed_on_application_r5(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.RESEARCH_CONSUMPTION,
            lines=[line(lot_id=lot.id, quantity="2", release_on_application=True)],
        )
        clear(session, declaration, profile, actor)
        assert declaration.tax_total == 0
        assert lot.balance == Decimal(8)

    def test_a_transformation_makes_an_rd_product_lot_recording_its_inputs_r7(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, research_own_use=True)
        product = {
            "hs_code": "3002.90",
            "description": "Engineered cell line",
            "quantity": "4",
            "unit": "vial",
            "customs_value": "30000.00",
            "currency": "CNY",
            "origin": "CN",
            "goods_kind": "samples",
        }
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.TRANSFORMATION,
            product=product,
            lines=[line(lot_id=lot.id, quantity="5")],
        )
        clear(session, declaration, profile, actor)
        made = session.get(Lot, declaration.product_lot_id)
        assert made is not None
        assert made.customs_status is CustomsStatus.DUTY_FREE_RESEARCH
        parents = session.scalars(select(LotParent).where(LotParent.product_lot_id == made.id))
        assert [(p.input_lot_id, p.quantity) for p in parents] == [(lot.id, Decimal(5))]
        assert declaration.tax_total == 0

    def test_a_stocktake_adjustment_books_a_shortage_to_the_lot(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, bonded=True)
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.STOCKTAKE_ADJUSTMENT,
            reason="annual stocktake: one kit missing",
            lines=[line(lot_id=lot.id, quantity="-1")],
        )
        clear(session, declaration, profile, actor)
        (movement,) = session.scalars(
            select(Movement).where(Movement.declaration_ref == declaration.reference)
        )
        assert (movement.kind, movement.quantity) == (MovementKind.ADJUST, Decimal(-1))
        assert declaration.assessment is None

    def test_a_stocktake_of_many_lines_books_each_line_in_one_batch_with_one_event(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lots = [admitted(session, party, profile, actor, bonded=True) for _ in range(3)]
        counted = ["-1", "2", "-10"]
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.STOCKTAKE_ADJUSTMENT,
            reason="annual stocktake",
            lines=[line(lot_id=lot.id, quantity=q) for lot, q in zip(lots, counted, strict=True)],
        )
        seq = last_seq(session)
        clear(session, declaration, profile, actor)
        moved = session.scalars(
            select(Movement)
            .where(Movement.declaration_ref == declaration.reference)
            .order_by(Movement.lot_id)
        ).all()
        assert [(m.lot_id, m.quantity, m.idempotency_key) for m in moved] == [
            (lot.id, Decimal(q), ledger_key(declaration.reference, n))
            for n, (lot, q) in enumerate(zip(lots, counted, strict=True), start=1)
        ]
        # One event for the three lines, holding their rows by digest (ADR 0015).
        assert tags_since(session, seq) == ["ledger:movement:batch", "ledger:declaration:clear"]
        assert [session.get_one(Lot, lot.id).balance for lot in lots] == [9, 12, 0]

    def test_a_stocktake_line_beyond_its_lot_is_refused_naming_that_line(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lots = [admitted(session, party, profile, actor, bonded=True) for _ in range(2)]
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.STOCKTAKE_ADJUSTMENT,
            reason="annual stocktake",
            lines=[line(lot_id=lots[0].id, quantity="-1"), line(lot_id=lots[1].id, quantity="-11")],
        )
        with pytest.raises(InsufficientBalance) as caught:
            clear(session, declaration, profile, actor)
        assert caught.value.problems[0].field == "lines[1].quantity"

    def test_a_withdrawal_above_the_available_balance_is_refused_naming_the_line(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admitted(session, party, profile, actor, bonded=True)
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_EXIT,
            lines=[line(lot_id=lot.id, quantity="11")],
        )
        with pytest.raises(InsufficientBalance) as caught:
            clear(session, declaration, profile, actor)
        assert caught.value.problems[0].field == "lines[0].quantity"
        assert caught.value.problems[0].rule == "ledger.available_balance"
