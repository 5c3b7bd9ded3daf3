"""R10: eligible goods cross against an open centralised declaration; closing clears one
aggregate declaration, taxed and posted as any declaration.

Eligibility is the registry's: the party's whitelist entry in force for goods at the first line,
listing the ``centralised_declaration`` exemption. Goods under inspection and quarantine (legally
inspected) and special articles are declared each time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from declarations.support import clear, submit
from factories import bearer, make_entry, make_party
from hetao import demo
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.biometrics.sealed import TemplateBox
from hetao.declarations import centralised
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import (
    CentralisedPeriod,
    CentralisedPeriodStatus,
    Declaration,
    DeclarationStatus,
)
from hetao.declarations.schemas import CentralisedLineIn, CentralisedPeriodCreate
from hetao.errors import RuleViolation, ValidationFailed
from hetao.ledger.models import CustomsStatus, Lot
from hetao.profiles import ZoneProfile
from hetao.reference.rates import load_rates
from hetao.reference.tariff import load_tariff
from hetao.registry import service as registry
from hetao.registry.models import Party

V = "/api/v1"
STARTS = dt.date(2026, 11, 1)
ENDS = dt.date(2026, 11, 30)
AFTER = dt.date(2026, 12, 1)
EXEMPTIONS = ["duty_free_research_goods", "centralised_declaration"]


@pytest.fixture
def eligible(session: Session, actor: Actor, profile: ZoneProfile) -> Party:
    """A beneficiary whose whitelist entry lists the centralised declaration exemption."""
    party = make_party(session, actor, name_en="Hetao Centralised Labs Ltd.")
    make_entry(session, actor, profile, party.id, exemptions=EXEMPTIONS)
    return party


def goods(**overrides: Any) -> dict[str, Any]:
    """Ten research reagent kits from Hong Kong worth HKD 12,000, crossed on 2026-11-16."""
    values: dict[str, Any] = {
        "crossed_on": "2026-11-16",
        "hs_code": "3822.19",
        "description": "Diagnostic reagent kit",
        "quantity": "10",
        "unit": "kit",
        "customs_value": "12000.00",
        "currency": "HKD",
        "origin": "HK",
        "goods_kind": "reagents",
        "research_own_use": True,
    }
    values.update(overrides)
    return values


def open_period(
    session: Session, party: Party, profile: ZoneProfile, actor: Actor, starts_on: dt.date = STARTS
) -> CentralisedPeriod:
    data = CentralisedPeriodCreate(
        party_id=party.id, crossing_point="HUANGGANG", starts_on=starts_on
    )
    return centralised.open_period(session, party, data, profile=profile, actor=actor)


def record(
    session: Session, period: CentralisedPeriod, profile: ZoneProfile, actor: Actor, **fields: Any
) -> Any:
    data = CentralisedLineIn.model_validate(goods(**fields))
    return centralised.record_line(session, period, data, profile=profile, actor=actor)


def close(
    session: Session,
    period: CentralisedPeriod,
    profile: ZoneProfile,
    actor: Actor,
    today: dt.date = AFTER,
) -> CentralisedPeriod:
    return centralised.close_period(
        session,
        period,
        profile=profile,
        tariff=load_tariff(None),
        rates=load_rates(None),
        actor=actor,
        today=today,
    )


def refused(call: Callable[[], object]) -> tuple[str, str, str]:
    with pytest.raises(RuleViolation) as caught:
        call()
    problem = caught.value.problems[0]
    return problem.field, problem.rule, problem.message


def events(session: Session, tag: str) -> int:
    stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.tag == tag)
    return session.scalar(stmt) or 0


class TestOpening:
    def test_R10_an_eligible_party_opens_a_period_of_the_profiles_months(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, eligible: Party
    ) -> None:
        period = open_period(session, eligible, profile, actor)
        assert profile.goods.centralised_declaration_period_months == 1
        assert (period.starts_on, period.ends_on) == (STARTS, ENDS)
        assert period.status is CentralisedPeriodStatus.OPEN
        assert events(session, "ledger:centralised:open") == 1

    def test_R10_an_entry_without_the_exemption_is_not_eligible(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        make_entry(session, actor, profile, party.id)  # duty-free research goods only
        field, rule, detail = refused(lambda: open_period(session, party, profile, actor))
        assert (field, rule) == ("party_id", "R10.not_eligible")
        assert "exemption_not_listed" in detail
        assert session.scalar(select(func.count()).select_from(CentralisedPeriod)) == 0

    def test_R10_no_entry_or_a_suspended_one_is_not_eligible_naming_its_state(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        unlisted = make_party(session, actor, name_en="Futian Unlisted Labs Ltd.")
        assert refused(lambda: open_period(session, unlisted, profile, actor))[1:] == (
            "R10.not_eligible",
            "whitelist entry: none",
        )
        party = make_party(session, actor)
        entry = make_entry(session, actor, profile, party.id, exemptions=EXEMPTIONS)
        registry.suspend(session, entry, note="documents under review", actor=actor)
        assert refused(lambda: open_period(session, party, profile, actor))[1:] == (
            "R10.not_eligible",
            "whitelist entry: suspended",
        )

    def test_R10_a_period_overlapping_one_of_the_party_is_refused(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, eligible: Party
    ) -> None:
        first = open_period(session, eligible, profile, actor)
        field, rule, detail = refused(
            lambda: open_period(session, eligible, profile, actor, dt.date(2026, 11, 30))
        )
        assert (field, rule, detail) == (
            "starts_on",
            "R10.period_overlaps",
            f"overlaps period {first.id}",
        )
        following = open_period(session, eligible, profile, actor, AFTER)
        assert following.ends_on == dt.date(2026, 12, 31)


class TestLines:
    @pytest.mark.parametrize("flag", ["legally_inspected", "special_article"])
    def test_R10_goods_under_inspection_and_special_articles_are_excluded(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, eligible: Party, flag: str
    ) -> None:
        period = open_period(session, eligible, profile, actor)
        field, rule, _ = refused(lambda: record(session, period, profile, actor, **{flag: True}))
        assert (field, rule) == (flag, "R10.goods_excluded")
        assert period.lines == []

    def test_R10_goods_the_legal_inspection_catalogue_lists_are_excluded_undeclared(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, eligible: Party
    ) -> None:
        period = open_period(session, eligible, profile, actor)
        # Absolute ethanol: the shipped sample catalogue lists 2207.10 (row LI-CHEM-ETHANOL).
        field, rule, message = refused(
            lambda: record(session, period, profile, actor, hs_code="2207.10")
        )
        assert (field, rule) == ("hs_code", "R10.goods_excluded")
        assert "LI-CHEM-ETHANOL (SAMPLE-2026.1)" in message
        assert period.lines == []
        assert events(session, "ledger:centralised:line") == 0

    def test_R10_a_line_records_the_goods_and_its_event(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, eligible: Party
    ) -> None:
        period = open_period(session, eligible, profile, actor)
        first = record(session, period, profile, actor)
        second = record(session, period, profile, actor, hgr_material=True, research_own_use=False)
        assert [first.line_no, second.line_no] == [1, 2]
        assert second.hgr_material
        assert events(session, "ledger:centralised:line") == 2

    def test_R10_goods_crossed_outside_the_period_are_refused(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, eligible: Party
    ) -> None:
        period = open_period(session, eligible, profile, actor)
        with pytest.raises(ValidationFailed) as caught:
            record(session, period, profile, actor, crossed_on="2026-12-01")
        assert caught.value.problems[0].rule == "R10.outside_period"


class TestClosing:
    def test_R10_closing_clears_one_aggregate_declaration_taxed_and_posted(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, eligible: Party
    ) -> None:
        period = open_period(session, eligible, profile, actor)
        record(session, period, profile, actor)
        dutiable = {"hs_code": "9027.30", "description": "Spectrometer", "quantity": "1"}
        record(session, period, profile, actor, research_own_use=False, unit="unit", **dutiable)
        close(session, period, profile, actor)

        declaration = session.get(Declaration, period.declaration_id)
        assert declaration is not None
        assert period.status is CentralisedPeriodStatus.CLOSED
        assert (declaration.kind, declaration.status) == (
            DeclarationKind.FIRST_LINE_ENTRY,
            DeclarationStatus.CLEARED,
        )
        assert (declaration.party_id, declaration.declared_on) == (eligible.id, ENDS)
        statuses = [line.customs_status for line in declaration.lines]
        assert statuses == [CustomsStatus.DUTY_FREE_RESEARCH, CustomsStatus.DUTY_PAID]
        lots = [session.get(Lot, line.result_lot_id) for line in declaration.lines]
        assert [(lot.balance, lot.admission_ref) for lot in lots if lot is not None] == [
            (Decimal("10.000"), f"R10-PERIOD-{period.id}"),
            (Decimal("1.000"), f"R10-PERIOD-{period.id}"),
        ]
        # The same goods in an ordinary declaration of the same day bear the same taxes.
        twin = make_party(session, actor, name_en="Hetao Twin Labs Ltd.")
        make_entry(session, actor, profile, twin.id, exemptions=EXEMPTIONS)
        lines = [
            {k: v for k, v in goods().items() if k != "crossed_on"},
            {
                k: v
                for k, v in goods(research_own_use=False, unit="unit", **dutiable).items()
                if k != "crossed_on"
            },
        ]
        ordinary = submit(
            session,
            twin,
            profile,
            actor,
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=lines,
            declared_on=ENDS.isoformat(),
        )
        clear(session, ordinary, profile, actor)
        assert declaration.tax_total is not None
        assert declaration.tax_total > 0
        assert (declaration.duty, declaration.vat, declaration.tax_total) == (
            ordinary.duty,
            ordinary.vat,
            ordinary.tax_total,
        )
        assert events(session, "ledger:centralised:close") == 1
        assert events(session, "ledger:declaration:clear") == 2

    def test_R10_a_period_closes_from_its_end_date_and_only_once(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, eligible: Party
    ) -> None:
        period = open_period(session, eligible, profile, actor)
        record(session, period, profile, actor)
        early = dt.date(2026, 11, 29)
        _, rule, _ = refused(lambda: close(session, period, profile, actor, today=early))
        assert (rule, period.status) == ("R10.period_open", CentralisedPeriodStatus.OPEN)
        close(session, period, profile, actor, today=ENDS)
        declarations = session.scalar(select(func.count()).select_from(Declaration))
        assert refused(lambda: close(session, period, profile, actor))[1] == "R10.already_closed"
        assert refused(lambda: record(session, period, profile, actor))[1] == "R10.already_closed"
        assert session.scalar(select(func.count()).select_from(Declaration)) == declarations

    def test_R10_a_period_without_goods_has_nothing_to_declare(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile, eligible: Party
    ) -> None:
        period = open_period(session, eligible, profile, actor)
        assert refused(lambda: close(session, period, profile, actor))[1] == "R10.no_lines"


class TestOverHttp:
    def test_R10_the_enterprise_opens_and_records_and_an_officer_closes(  # noqa: N802
        self,
        anonymous_client: TestClient,
        token_for: Callable[..., str],
        session: Session,
        eligible: Party,
    ) -> None:
        session.commit()
        client = anonymous_client
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=eligible.id))
        opened = client.post(
            f"{V}/centralised-periods",
            json={
                "party_id": eligible.id,
                "crossing_point": "HUANGGANG",
                "starts_on": "2026-11-01",
            },
            headers=own,
        )
        assert opened.status_code == 201, opened.text
        period = opened.json()
        assert period["ends_on"] == "2026-11-30"
        lines = f"{V}/centralised-periods/{period['id']}/lines"
        recorded = client.post(lines, json=goods(), headers=own)
        assert recorded.status_code == 201, recorded.text
        excluded = client.post(lines, json=goods(special_article=True), headers=own)
        assert excluded.status_code == 422
        assert excluded.headers["content-type"] == "application/problem+json"
        error = excluded.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("special_article", "R10.goods_excluded")

        closing = f"{V}/centralised-periods/{period['id']}/close"
        assert client.post(closing, headers=own).status_code == 403
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        closed = client.post(closing, headers=officer)
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == "closed"
        declaration = client.get(
            f"{V}/declarations/{closed.json()['declaration_id']}", headers=own
        ).json()
        assert declaration["status"] == "cleared"
        assert declaration["lines"][0]["customs_status"] == "duty_free_research"
        again = client.post(closing, headers=officer)
        assert again.status_code == 422
        assert again.json()["errors"][0]["rule"] == "R10.already_closed"

    def test_R10_a_party_not_eligible_is_refused_over_http(  # noqa: N802
        self, client: TestClient, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor, name_en="Futian Unlisted Labs Ltd.")
        session.commit()
        refused_ = client.post(
            f"{V}/centralised-periods",
            json={"party_id": party.id, "crossing_point": "HUANGGANG", "starts_on": "2026-11-01"},
        )
        assert refused_.status_code == 422
        error = refused_.json()["errors"][0]
        assert (error["rule"], error["message"]) == ("R10.not_eligible", "whitelist entry: none")


class TestDemo:
    def test_R10_the_demo_zone_has_one_open_centralised_period_with_goods(  # noqa: N802
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        as_of = dt.date(2026, 11, 23)
        demo.load(
            session,
            profile=profile,
            seed=7,
            as_of=as_of,
            actor=actor,
            templates=TemplateBox(bytes(32)),
        )
        periods = list(session.scalars(select(CentralisedPeriod)))
        assert len(periods) == 1
        (period,) = periods
        assert period.status is CentralisedPeriodStatus.OPEN
        assert (period.starts_on, period.ends_on) == (STARTS, ENDS)
        assert len(period.lines) == len(demo.DEMO_CENTRALISED_GOODS)
        party = session.get(Party, period.party_id)
        assert party is not None
        assert centralised.eligibility(session, party, on=STARTS) == "active"
