"""Each dashboard chart computes the figures of data built for it, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from dashboards.support import NOW, cleared, clock, crossing, inspection, local, lot
from datatransfer.support import exporter, in_state
from factories import make_entry, make_party
from funds.support import Consortium, transfer_in
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.dashboards import second_line, service
from hetao.dashboards.charts import Chart
from hetao.dashboards.service import Filters
from hetao.declarations.kinds import DeclarationKind
from hetao.engine.facts import Outcome
from hetao.errors import NotFound, ValidationFailed
from hetao.funds.models import FundTransfer
from hetao.inspections.models import InspectionResult, InspectionStatus
from hetao.ledger.models import CustomsStatus
from hetao.profiles import ZoneProfile
from inspections.support import officer

SETUP = Actor("test", "dashboards")
TODAY = dt.date(2026, 11, 20)
RELEASE, INSPECT, REFUSE = Outcome.RELEASE, Outcome.INSPECT, Outcome.REFUSE
COMPLETED = InspectionStatus.COMPLETED


def figures(session: Session, profile: ZoneProfile, key: str, **filters: str) -> Chart:
    return service.chart(session, profile, key, filters=Filters(**filters), clock=clock(profile))


def column(chart: Chart, series: str) -> dict[str, object]:
    """A series as {category: value}, leaving out zeros."""
    values = next(s.values for s in chart.series if s.key == series)
    return {c: v for c, v in zip(chart.categories, values, strict=True) if v}


class TestCrossings:
    def test_today_counts_per_local_hour_and_decision(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        crossing(session, local(TODAY, 0, 5), RELEASE)  # 16:05 UTC the day before
        crossing(session, local(TODAY, 0, 55), RELEASE)
        crossing(session, local(TODAY, 9, 30), INSPECT)
        crossing(session, local(TODAY, 9, 59), REFUSE, point="SL_GOODS")
        crossing(session, local(TODAY, 23, 59), RELEASE)
        crossing(session, local(TODAY, 0, 0) - dt.timedelta(seconds=1), RELEASE)  # yesterday
        chart = figures(session, profile, "crossings-today")
        assert chart.categories == tuple(f"{hour:02d}" for hour in range(24))
        assert column(chart, "release") == {"00": 2, "23": 1}
        assert column(chart, "inspect") == {"09": 1}
        assert column(chart, "refuse") == {"09": 1}

    def test_line_and_point_narrow_the_crossings(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        crossing(session, local(TODAY, 8), RELEASE)
        crossing(session, local(TODAY, 8), RELEASE, point="SL_GOODS")
        crossing(session, local(TODAY, 8), REFUSE, point="SL_GOODS")
        second = figures(session, profile, "crossings-today", line="second")
        assert column(second, "release") == {"08": 1}
        assert column(second, "refuse") == {"08": 1}
        first = figures(session, profile, "crossings-today", point="FBZ_CHANNEL_1")
        assert column(first, "release") == {"08": 1}
        assert column(first, "refuse") == {}

    def test_thirty_days_per_local_day_and_per_point(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        crossing(session, local(TODAY, 1), RELEASE)
        crossing(session, local(TODAY - dt.timedelta(days=29), 23, 30), INSPECT)
        crossing(session, local(TODAY - dt.timedelta(days=30), 23, 30), INSPECT)  # too old
        crossing(session, local(TODAY - dt.timedelta(days=3), 7), REFUSE, point="SL_GOODS")
        days = figures(session, profile, "crossings-30-days")
        assert (len(days.categories), days.categories[-1]) == (30, "2026-11-20")
        assert column(days, "release") == {"2026-11-20": 1}
        assert column(days, "inspect") == {"2026-10-22": 1}
        assert column(days, "refuse") == {"2026-11-17": 1}
        points = figures(session, profile, "crossings-by-point")
        assert column(points, "release") == {"FBZ_CHANNEL_1": 1}
        assert column(points, "inspect") == {"FBZ_CHANNEL_1": 1}
        assert column(points, "refuse") == {"SL_GOODS": 1}

    def test_refuses_a_line_or_point_the_zone_does_not_have(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        with pytest.raises(ValidationFailed) as refused:
            figures(session, profile, "crossings-today", point="NOWHERE")
        assert refused.value.problems[0].field == "point"
        with pytest.raises(NotFound):
            figures(session, profile, "no-such-chart")


class TestInspections:
    def test_hit_rate_counts_discrepancies_and_seizures_over_completed(
        self, session: Session, profile: ZoneProfile, cheap_hashing: None
    ) -> None:
        inspector = officer(session)
        recent = NOW - dt.timedelta(days=2)
        results = [
            (("R12",), "red", InspectionResult.DISCREPANCY),
            (("R12",), "red", InspectionResult.CONFORMS),
            (("R12", "R15"), "red", InspectionResult.SEIZURE),
            ((), "green", InspectionResult.CONFORMS),  # drawn at random
        ]
        for rules, lane, result in results:
            decision = crossing(session, recent, INSPECT, rules=rules, lane=lane)
            inspection(
                session, decision, inspector, status=COMPLETED, result=result, opened_at=recent
            )
        # Not completed, or completed too long ago: not counted.
        inspection(session, crossing(session, recent, INSPECT, rules=("R12",)), inspector,
                   status=InspectionStatus.IN_PROGRESS, opened_at=recent,
                   wait=dt.timedelta(minutes=1))  # fmt: skip
        old = NOW - dt.timedelta(days=31)
        inspection(session, crossing(session, old, INSPECT, rules=("R12",)), inspector,
                   status=COMPLETED, result=InspectionResult.SEIZURE, opened_at=old)  # fmt: skip
        by_rule = figures(session, profile, "inspection-hits-by-rule")
        assert column(by_rule, "completed") == {"R12": 3, "R15": 1, "random": 1}
        assert column(by_rule, "hits") == {"R12": 2, "R15": 1}
        assert column(by_rule, "hit_rate") == {"R12": Decimal("66.7"), "R15": Decimal("100.0")}
        by_lane = figures(session, profile, "inspection-hits-by-lane")
        assert column(by_lane, "completed") == {"red": 3, "green": 1}
        assert column(by_lane, "hit_rate") == {"red": Decimal("66.7")}

    def test_queue_now_and_the_wait_until_start(
        self, session: Session, profile: ZoneProfile, cheap_hashing: None
    ) -> None:
        inspector = officer(session, Role.SECOND_LINE_OFFICER)
        opened = NOW - dt.timedelta(hours=3)
        for status in (InspectionStatus.QUEUED, InspectionStatus.QUEUED, InspectionStatus.ASSIGNED):
            inspection(session, crossing(session, opened, INSPECT), inspector, status=status,
                       opened_at=opened)  # fmt: skip
        for minutes in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100):
            decision = crossing(session, opened, INSPECT, point="SL_GOODS")
            inspection(session, decision, inspector, status=InspectionStatus.IN_PROGRESS,
                       opened_at=opened, wait=dt.timedelta(minutes=minutes))  # fmt: skip
        queue = figures(session, profile, "inspection-queue")
        assert column(queue, "queued") == {"FBZ_CHANNEL_1": 2}
        assert column(queue, "assigned") == {"FBZ_CHANNEL_1": 1}
        assert column(queue, "in_progress") == {"SL_GOODS": 10}
        waits = figures(session, profile, "inspection-wait")
        assert column(waits, "started") == {"SL_GOODS": 10}
        assert column(waits, "median") == {"SL_GOODS": Decimal("50.0")}
        assert column(waits, "p90") == {"SL_GOODS": Decimal("90.0")}


class TestGoodsAndRegisters:
    def test_stock_counts_lots_in_stock_by_hs_section_and_status(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        party = make_party(session, SETUP).id
        lot(session, party, "90121000", CustomsStatus.BONDED, "3")  # XVIII
        lot(session, party, "90111000", CustomsStatus.BONDED, "1")
        lot(session, party, "90111000", CustomsStatus.DUTY_FREE_RESEARCH, "5")
        lot(session, party, "30021200", CustomsStatus.DUTY_FREE_RESEARCH, "1")  # VI
        lot(session, party, "30021200", CustomsStatus.DUTY_FREE_RESEARCH, "0")  # used up
        lot(session, party, "30021200", CustomsStatus.DUTY_PAID, "4")  # not bonded nor free
        chart = figures(session, profile, "stock")
        assert chart.categories == ("VI", "XVIII")
        assert column(chart, "bonded") == {"XVIII": 2}
        assert column(chart, "duty_free_research") == {"VI": 1, "XVIII": 1}

    def test_whitelist_by_industry_and_state(self, session: Session, profile: ZoneProfile) -> None:
        for industry in ("biomedicine", "biomedicine", "next_gen_it", None):
            party = make_party(session, SETUP, industry=industry)
            make_entry(session, SETUP, profile, party.id)
        chart = figures(session, profile, "whitelist")
        assert column(chart, "active") == {"biomedicine": 2, "next_gen_it": 1, "none": 1}

    def test_fund_transfers_by_source_and_state(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        zone = Consortium(session, SETUP, profile)
        made: list[FundTransfer] = [
            transfer_in(zone),
            transfer_in(zone),
            transfer_in(zone, "check"),
        ]
        source = zone.project.funding_source.value
        chart = figures(session, profile, "fund-transfers")
        for status in {t.status.value for t in made}:
            expected = sum(t.status.value == status for t in made)
            assert column(chart, status) == {source: expected}

    def test_data_transfers_by_route(self, session: Session, profile: ZoneProfile) -> None:
        party = exporter(session, SETUP, profile).id
        in_state(session, SETUP, profile, party, "draft")
        assessed = in_state(session, SETUP, profile, party, "self_assessed")
        chart = figures(session, profile, "data-transfers")
        assert column(chart, "draft") == {"unrouted": 1}
        assert assessed.route is not None
        assert column(chart, assessed.status.value) == {assessed.route.value: 1}


class TestTaxes:
    def test_taxes_by_local_month(self, session: Session, profile: ZoneProfile) -> None:
        party = make_party(session, SETUP).id
        cleared(session, party, local(dt.date(2026, 11, 1), 0, 30), [("10.00", "0.00", "13.00")])
        cleared(session, party, local(dt.date(2026, 11, 19), 15), [("1.50", "2.00", "3.00")])
        # 31 October at 23:30 local: October's, though 1 November is not yet started in UTC.
        cleared(session, party, local(dt.date(2026, 10, 31), 23, 30), [("5.00", "0.00", "0.00")],
                kind=DeclarationKind.FIRST_LINE_ENTRY)  # fmt: skip
        chart = figures(session, profile, "taxes-by-month")
        assert (len(chart.categories), chart.categories[-1]) == (12, "2026-11")
        assert column(chart, "duty") == {"2026-10": Decimal("5.00"), "2026-11": Decimal("11.50")}
        assert column(chart, "consumption_tax") == {"2026-11": Decimal("2.00")}
        assert column(chart, "vat") == {"2026-11": Decimal("16.00")}
        # Written to the fen, as assessed.
        assert [str(value) for value in chart.series[0].values[-2:]] == ["5.00", "11.50"]
        assert str(chart.series[1].values[0]) == "0.00"


class TestSecondLine:
    def test_exits_line_by_line_grouped_by_local_day_and_party(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        first, second = make_party(session, SETUP).id, make_party(session, SETUP).id
        cleared(
            session,
            first,
            local(TODAY, 0, 10),
            [("1.00", "0.00", "2.00"), ("3.00", "0.00", "4.00")],
        )
        cleared(session, first, local(TODAY, 9), [("5.00", "0.00", "6.00")])
        cleared(session, second, local(TODAY, 9), [("7.00", "0.00", "8.00")])
        cleared(
            session, second, local(TODAY - dt.timedelta(days=1), 23, 50), [("9.00", "0.00", "0.00")]
        )
        cleared(session, first, local(TODAY, 9), [("1.00", "0.00", "0.00")],
                kind=DeclarationKind.FIRST_LINE_EXIT)  # not to the mainland  # fmt: skip
        groups = second_line.exits(session, period_from=TODAY, period_to=TODAY,
                                   timezone=profile.zone.timezone, party_id=None)  # fmt: skip
        assert [(g.day, g.party_id, g.declarations, len(g.lines)) for g in groups] == [
            (TODAY, first, 2, 3),
            (TODAY, second, 1, 1),
        ]
        assert groups[0].sum("duty") == Decimal("9.00")
        assert groups[0].sum("total") == Decimal("21.00")
        assert [line.vat for line in groups[0].lines] == [
            Decimal("2.00"),
            Decimal("4.00"),
            Decimal("6.00"),
        ]
        only = second_line.exits(session, period_from=TODAY - dt.timedelta(days=1), period_to=TODAY,
                                 timezone=profile.zone.timezone, party_id=second)  # fmt: skip
        assert [(g.day, g.sum("total")) for g in only] == [
            (TODAY - dt.timedelta(days=1), Decimal("9.00")),
            (TODAY, Decimal("15.00")),
        ]

    def test_refuses_a_period_too_long_for_a_list_of_lines(
        self, session: Session, profile: ZoneProfile
    ) -> None:
        with pytest.raises(ValidationFailed):
            second_line.exits(session, period_from=TODAY - dt.timedelta(days=200), period_to=TODAY,
                              timezone=profile.zone.timezone, party_id=None)  # fmt: skip
