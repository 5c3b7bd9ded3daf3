"""E-ledger reports: statement arithmetic, stocktake reconciliation, supervision ending."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from declarations.support import DECLARED_ON, admitted
from hetao.audit.service import Actor
from hetao.errors import ValidationFailed
from hetao.ledger import reports
from hetao.ledger import service as ledger
from hetao.ledger.models import Lot, Movement
from hetao.profiles import ZoneProfile
from hetao.reference.rates import load_rates
from hetao.reference.tariff import load_tariff
from hetao.registry.models import Party
from hetao.storage.types import utcnow
from hetao.timeutil import zone_today

TZ = "Asia/Shanghai"


def backdate(session: Session, lot: Lot, days: int) -> None:
    """Move the lot's movements so far ``days`` days back (goods admitted before the period).

    Movements are append-only; the test lifts the guard inside its own rolled-back transaction.
    """
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER IF EXISTS ledger_movements_no_update"))
    else:
        session.execute(
            text("ALTER TABLE ledger_movements DISABLE TRIGGER ledger_movements_append_only")
        )
    session.execute(
        update(Movement)
        .where(Movement.lot_id == lot.id)
        .values(created_at=utcnow() - dt.timedelta(days=days))
    )


class TestStatement:
    def test_closing_is_opening_plus_receipts_minus_removals_plus_adjustments(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        today = zone_today(TZ)
        older = admitted(session, party, profile, actor, bonded=True)
        backdate(session, older, days=5)
        newer = admitted(session, party, profile, actor, bonded=True, quantity="5")
        export = ledger.export_first_line(
            session, older, quantity=Decimal(3), idempotency_key="exp-1", actor=actor
        )
        ledger.adjust(
            session,
            older,
            quantity=Decimal(-1),
            reason="one kit broken",
            idempotency_key="adj-1",
            actor=actor,
        )
        ledger.reverse(
            session, export, reason="exported in error", idempotency_key="rev-1", actor=actor
        )
        report = reports.statement(
            session,
            party.id,
            period_from=today - dt.timedelta(days=1),
            period_to=today,
            timezone=TZ,
        )
        by_lot = {line.lot_id: line for line in report.lots}
        first, second = by_lot[older.id], by_lot[newer.id]
        assert (first.opening, first.receipts, first.removals, first.adjustments) == (
            Decimal(10),
            Decimal(0),
            Decimal(3),
            Decimal(2),
        )
        assert (
            first.closing
            == Decimal(10) + Decimal(0) - Decimal(3) + Decimal(2)
            == older.balance
            == Decimal(9)
        )
        assert (second.opening, second.receipts, second.closing) == (
            Decimal(0),
            Decimal(5),
            Decimal(5),
        )
        assert report.balanced
        assert all(line.closing == line.balance_at_end for line in report.lots)

    def test_a_past_period_closes_at_the_balance_of_its_last_day(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        today = zone_today(TZ)
        older = admitted(session, party, profile, actor, bonded=True)
        backdate(session, older, days=5)
        admitted(session, party, profile, actor, bonded=True, quantity="5")
        report = reports.statement(
            session,
            party.id,
            period_from=today - dt.timedelta(days=10),
            period_to=today - dt.timedelta(days=2),
            timezone=TZ,
        )
        (only,) = report.lots
        assert (only.lot_id, only.opening, only.receipts, only.closing) == (
            older.id,
            Decimal(0),
            Decimal(10),
            Decimal(10),
        )
        assert only.balanced

    def test_a_period_ending_before_it_starts_is_refused(
        self, session: Session, party: Party
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            reports.statement(
                session,
                party.id,
                period_from=dt.date(2026, 5, 2),
                period_to=dt.date(2026, 5, 1),
                timezone=TZ,
            )
        assert caught.value.problems[0].rule == "period.ordered"


class TestReconciliation:
    def test_flags_only_discrepancies_past_both_the_ratio_and_the_duty_thresholds_r31(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        limits = profile.goods.stocktake_discrepancy
        assert (limits.ratio, limits.duty_cny) == (Decimal("0.01"), Decimal(700))
        # 0.5 % short but worth HKD 50,000: duty 3 % of 45,605.00 CNY = 1,368.15 (ratio too low).
        big = admitted(
            session,
            party,
            profile,
            actor,
            bonded=True,
            quantity="1000",
            customs_value="10000000.00",
        )
        # 10 % short but worth HKD 1,200: duty 3 % of 1,094.52 CNY = 32.84 (duty too low).
        cheap = admitted(session, party, profile, actor, bonded=True)
        # 5 % short and worth HKD 50,000: both limits passed.
        both = admitted(
            session, party, profile, actor, bonded=True, quantity="100", customs_value="1000000.00"
        )
        exact = admitted(session, party, profile, actor, bonded=True)
        report = reports.reconcile(
            session,
            party,
            [
                (big.id, Decimal(995)),
                (cheap.id, Decimal(9)),
                (both.id, Decimal(95)),
                (exact.id, Decimal(10)),
            ],
            counted_on=DECLARED_ON,
            profile=profile,
            tariff=load_tariff(None),
            rates=load_rates(None),
        )
        found = {lot.lot_id: lot for lot in report.lots}
        assert found[big.id].duty_at_stake_cny == Decimal("1368.15")
        assert found[big.id].ratio == Decimal("0.005")
        assert found[cheap.id].duty_at_stake_cny == Decimal("32.84")
        assert (found[both.id].finding, found[both.id].difference) == ("shortage", Decimal(-5))
        assert found[exact.id].finding == "none"
        assert [lot.lot_id for lot in report.lots if lot.flagged] == [both.id]
        assert report.flagged == 1

    def test_an_overage_is_reported_too(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party
    ) -> None:
        lot = admitted(
            session, party, profile, actor, bonded=True, quantity="100", customs_value="1000000.00"
        )
        report = reports.reconcile(
            session,
            party,
            [(lot.id, Decimal(110))],
            counted_on=DECLARED_ON,
            profile=profile,
            tariff=load_tariff(None),
            rates=load_rates(None),
        )
        (found,) = report.lots
        assert (found.finding, found.flagged) == ("overage", True)

    def test_a_count_of_another_partys_lot_is_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        lot = admitted(session, other, profile, actor, bonded=True)
        with pytest.raises(ValidationFailed) as caught:
            reports.reconcile(
                session,
                party,
                [(lot.id, Decimal(10))],
                counted_on=DECLARED_ON,
                profile=profile,
                tariff=load_tariff(None),
                rates=load_rates(None),
            )
        assert caught.value.problems[0].field == "counts[0].lot_id"


class TestSupervisionEnding:
    def test_lists_lots_with_goods_whose_supervision_ends_within_the_window_r5(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, other: Party
    ) -> None:
        equipment = {"research_own_use": True, "supervised_equipment": True}
        soon = admitted(session, party, profile, actor, **equipment)
        used_up = admitted(session, party, profile, actor, **equipment)
        ledger.consume(
            session, used_up, quantity=Decimal(10), idempotency_key="use-all", actor=actor
        )
        theirs = admitted(session, other, profile, actor, **equipment)
        assert soon.supervision_ends_on == dt.date(2029, 11, 16)
        today = dt.date(2029, 11, 6)
        rows = reports.supervision_ending(session, today=today, days=30, party_id=party.id)
        assert [(r.lot_id, r.days_left) for r in rows] == [(soon.id, 10)]
        everyone = reports.supervision_ending(session, today=today, days=30)
        assert {r.lot_id for r in everyone} >= {soon.id, theirs.id}
        assert used_up.id not in {r.lot_id for r in everyone}
        assert reports.supervision_ending(session, today=today, days=9, party_id=party.id) == []
