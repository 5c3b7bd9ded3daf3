"""Projects and fund transfers through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_party
from funds.support import RATES, TODAY, Consortium, declared, project, whitelist
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.errors import Conflict, RuleViolation, TransitionForbidden, ValidationFailed
from hetao.funds import rules, service
from hetao.funds.models import BudgetLine, FundTransfer, ProjectStatus, TransferStatus
from hetao.funds.schemas import ProjectCreate, transfer_out
from hetao.profiles import ZoneProfile
from hetao.registry import service as registry
from hetao.registry.models import PartyStatus


@pytest.fixture
def zone(session: Session, actor: Actor, profile: ZoneProfile) -> Consortium:
    return Consortium(session, actor, profile)


def tags(session: Session, transfer: FundTransfer) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.tag)
            .where(AuditEvent.subject_type == "transfer", AuditEvent.subject_id == str(transfer.id))
            .order_by(AuditEvent.seq)
        )
    )


def line_of(session: Session, transfer: FundTransfer) -> BudgetLine:
    line = session.get(BudgetLine, transfer.budget_line_id)
    assert line is not None
    session.refresh(line)
    return line


class TestCreateProject:
    def test_registers_lead_partners_and_budget_lines_with_an_audit_event(
        self, session: Session, zone: Consortium
    ) -> None:
        assert zone.project.member_party_ids == {zone.lead.id, zone.partner.id}
        assert sorted((b.year, b.category, b.amount) for b in zone.project.budget_lines) == [
            (2026, "equipment", Decimal("500000.00")),
            (2026, "personnel", Decimal("1000000.00")),
        ]
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "funds:project:create")
        ).one()
        assert event.data["budget"][0] == {
            "year": 2026,
            "category": "personnel",
            "amount": "1000000.00",
        }

    def test_refuses_a_budget_year_outside_the_period_and_a_repeated_line(
        self, session: Session, actor: Actor
    ) -> None:
        lead = make_party(session, actor)
        with pytest.raises(ValidationFailed) as caught:
            project(
                session,
                actor,
                lead=lead,
                partners=[],
                budget=[(2030, "travel", "1.00"), (2026, "travel", "1.00"), (2026, "travel", "2")],
            )
        rules_broken = {(p.field, p.rule) for p in caught.value.problems}
        assert rules_broken == {
            ("budget[0].year", "budget.year_in_period"),
            ("budget[2]", "budget.line_once"),
        }

    def test_refuses_an_unknown_partner_naming_its_position(
        self, session: Session, actor: Actor
    ) -> None:
        lead = make_party(session, actor)
        data = ProjectCreate(
            code="X-1",
            title="t",
            lead_party_id=lead.id,
            partner_party_ids=[999999],
            funding_source="central",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 12, 31),
            budget=[{"year": 2026, "category": "travel", "amount": "1"}],
        )
        with pytest.raises(ValidationFailed) as caught:
            service.create_project(session, data, actor=actor)
        assert caught.value.problems[0].field == "partner_party_ids[0]"
        assert caught.value.problems[0].rule == "party.exists"

    def test_a_code_already_registered_is_a_conflict(
        self, session: Session, actor: Actor, zone: Consortium
    ) -> None:
        data = ProjectCreate(
            code=zone.project.code,
            title="again",
            lead_party_id=zone.lead.id,
            funding_source="central",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 12, 31),
            budget=[{"year": 2026, "category": "travel", "amount": "1"}],
        )
        with pytest.raises(Conflict):
            service.create_project(session, data, actor=actor)


class TestDeclare:
    def test_converts_hkd_to_cny_and_usd_at_the_months_sample_rates_and_records_them(
        self, zone: Consortium
    ) -> None:
        transfer = zone.declare(amount="100000.00", currency="HKD")
        hkd = RATES.rate("HKD", on=TODAY).cny_per_unit
        usd = RATES.rate("USD", on=TODAY).cny_per_unit
        exact = Decimal("100000.00") * hkd
        assert transfer.amount_cny == exact.quantize(Decimal("0.01"))
        assert transfer.amount_usd == (exact / usd).quantize(Decimal("0.01"))
        assert (transfer.rate_cny_per_unit, transfer.usd_rate_cny_per_unit) == (hkd, usd)
        assert transfer.rate_month == "2026-11"
        assert transfer.rates_are_sample is True
        assert transfer.status is TransferStatus.DECLARED

    def test_an_amount_in_usd_is_its_own_usd_value(self, zone: Consortium) -> None:
        transfer = zone.declare(amount="50000.01", currency="USD")
        assert transfer.amount_usd == Decimal("50000.01")

    def test_refuses_a_payer_outside_the_project(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        stranger = make_party(session, actor)
        with pytest.raises(ValidationFailed) as caught:
            declared(session, actor, profile, zone.project, stranger, zone.partner)
        assert caught.value.problems[0].rule == "project.payer_is_member"

    def test_refuses_a_year_and_category_without_a_budget_line(self, zone: Consortium) -> None:
        with pytest.raises(ValidationFailed) as caught:
            zone.declare(budget_category="travel")
        assert (caught.value.problems[0].field, caught.value.problems[0].rule) == (
            "budget_category",
            "budget.line_exists",
        )

    def test_refuses_a_month_the_rate_table_does_not_have(self, zone: Consortium) -> None:
        with pytest.raises(ValidationFailed) as caught:
            zone.declare(currency="HKD", transfer_date="2027-02-01")
        problem = caught.value.problems[0]
        assert (problem.field, problem.rule) == ("transfer_date", "exchange_rate.month_missing")


class TestChecks:
    def test_a_transfer_passing_every_check_is_checked(
        self, session: Session, zone: Consortium
    ) -> None:
        transfer = zone.checked()
        assert transfer.status is TransferStatus.CHECKED
        assert transfer.reason_codes == []
        assert tags(session, transfer) == ["funds:transfer:declare", "funds:transfer:check"]

    def test_r39_a_hong_kong_payee_without_an_rmb_account_is_held(
        self, session: Session, zone: Consortium
    ) -> None:
        transfer = zone.checked(payee_rmb_account=None)
        assert transfer.status is TransferStatus.HELD
        assert transfer.reason_codes == [rules.RMB_ACCOUNT_MISSING]
        assert tags(session, transfer)[-1] == "funds:transfer:hold"

    def test_r39_the_rmb_account_is_not_asked_when_the_profile_does_not_require_it(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        relaxed = profile.model_copy(
            update={
                "funds": profile.funds.model_copy(update={"hk_payee_rmb_account_required": False})
            }
        )
        transfer = zone.declare(payee_rmb_account=None)
        service.check(session, transfer, profile=relaxed, actor=actor)
        assert transfer.status is TransferStatus.CHECKED

    def test_a_payee_whose_entry_lacks_the_funds_flow_is_held(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        whitelist(session, actor, profile, zone.partner, flows=("people", "goods"))  # supersedes
        transfer = zone.checked()
        assert transfer.reason_codes == [rules.WHITELIST_FUNDS_NOT_IN_SCOPE]

    def test_a_payee_whose_entry_lacks_the_first_line_is_held(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        whitelist(session, actor, profile, zone.partner, lines=("second",))
        assert zone.checked().reason_codes == [rules.WHITELIST_FIRST_LINE_NOT_IN_SCOPE]

    def test_a_payee_whose_entry_is_suspended_is_held(
        self, session: Session, actor: Actor, zone: Consortium
    ) -> None:
        registry.suspend(session, zone.entry, note="inquiry", actor=actor)
        assert zone.checked().reason_codes == [rules.WHITELIST_SUSPENDED]

    def test_a_payee_whose_entry_expired_by_the_transfer_date_is_held(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        whitelist(session, actor, profile, zone.partner, valid_until=dt.date(2026, 11, 30))
        transfer = zone.checked(transfer_date="2026-12-01")
        assert transfer.reason_codes == [rules.WHITELIST_EXPIRED]

    def test_the_last_day_of_the_entry_is_still_inside_its_window(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        whitelist(session, actor, profile, zone.partner, valid_until=dt.date(2026, 11, 30))
        assert zone.checked(transfer_date="2026-11-30").status is TransferStatus.CHECKED

    def test_a_payee_with_no_entry_at_all_is_held(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        other = make_party(session, actor)
        team = project(session, actor, lead=zone.lead, partners=[other])
        transfer = declared(session, actor, profile, team, zone.lead, other)
        service.check(session, transfer, profile=profile, actor=actor)
        assert transfer.reason_codes == [rules.WHITELIST_NOT_LISTED]

    def test_a_suspended_payee_party_is_held(self, session: Session, zone: Consortium) -> None:
        zone.partner.status = PartyStatus.SUSPENDED
        assert zone.checked().reason_codes == [rules.PAYEE_NOT_ACTIVE]

    def test_a_payee_outside_the_project_is_held(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        outsider = make_party(session, actor)
        whitelist(session, actor, profile, outsider)
        transfer = declared(session, actor, profile, zone.project, zone.lead, outsider)
        service.check(session, transfer, profile=profile, actor=actor)
        assert transfer.reason_codes == [rules.PAYEE_NOT_A_MEMBER]

    def test_a_closed_project_is_held(
        self, session: Session, actor: Actor, zone: Consortium
    ) -> None:
        service.close_project(session, zone.project, note="finished", actor=actor)
        assert zone.checked().reason_codes == [rules.PROJECT_CLOSED]

    def test_a_transfer_date_after_the_period_is_held(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        zone = Consortium(session, actor, profile, ends_on=dt.date(2026, 11, 22))
        assert zone.checked().reason_codes == [rules.PROJECT_OUTSIDE_PERIOD]

    def test_a_transfer_date_before_the_period_is_held(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        zone = Consortium(session, actor, profile, starts_on=dt.date(2026, 11, 24))
        assert zone.checked().reason_codes == [rules.PROJECT_OUTSIDE_PERIOD]

    def test_r38_central_funds_may_not_pay_bank_fees(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        zone = Consortium(session, actor, profile, funding_source="central")
        assert zone.checked(purpose="bank_fees").reason_codes == [rules.PURPOSE_NOT_ALLOWED]

    def test_r39_guangdong_funds_may_pay_hong_kong_bank_fees(self, zone: Consortium) -> None:
        assert zone.checked(purpose="bank_fees").status is TransferStatus.CHECKED

    def test_a_transfer_above_the_remaining_budget_is_held(self, zone: Consortium) -> None:
        transfer = zone.checked(amount="1000000.01")
        assert transfer.reason_codes == [rules.OVER_BUDGET]

    def test_every_failing_check_is_named(
        self, session: Session, actor: Actor, zone: Consortium
    ) -> None:
        registry.suspend(session, zone.entry, note="inquiry", actor=actor)
        service.close_project(session, zone.project, note="finished", actor=actor)
        transfer = zone.checked(payee_rmb_account=None, amount="2000000.00")
        assert transfer.reason_codes == [
            rules.WHITELIST_SUSPENDED,
            rules.RMB_ACCOUNT_MISSING,
            rules.PROJECT_CLOSED,
            rules.OVER_BUDGET,
        ]


def usd(zone: Consortium, amount: str, contract: str) -> FundTransfer:
    transfer = zone.checked(
        amount=amount, currency="USD", contract_reference=contract, budget_category="personnel"
    )
    return service.approve(zone.session, transfer, profile=zone.profile, actor=zone.actor)


class TestR40TaxFiling:
    def test_r40_a_payment_of_exactly_the_threshold_is_not_flagged(self, zone: Consortium) -> None:
        transfer = usd(zone, "50000.00", "C-R40-A")
        assert transfer.status is TransferStatus.APPROVED
        assert transfer.tax_filing_required is False

    def test_r40_one_cent_above_the_threshold_is_flagged_and_provisional(
        self, zone: Consortium
    ) -> None:
        transfer = usd(zone, "50000.01", "C-R40-B")
        assert transfer.tax_filing_required is True
        assert transfer.tax_filing_covered_by_id is None
        # REGIME (d)10: whether grants fall under R40 is unpublished; the profile says so.
        assert transfer.tax_filing_provisional is True

    def test_r40_the_second_payment_under_one_contract_is_covered_by_the_first(
        self, zone: Consortium
    ) -> None:
        first = usd(zone, "60000.00", "C-R40-C")
        second = usd(zone, "60000.00", "C-R40-C")
        assert (first.tax_filing_required, second.tax_filing_required) == (True, False)
        assert second.tax_filing_covered_by_id == first.id

    def test_r40_a_small_first_payment_does_not_cover_a_large_second_one(
        self, zone: Consortium
    ) -> None:
        first = usd(zone, "1000.00", "C-R40-D")
        second = usd(zone, "50000.01", "C-R40-D")
        assert (first.tax_filing_required, second.tax_filing_required) == (False, True)

    def test_r40_another_contract_is_filed_again(self, zone: Consortium) -> None:
        usd(zone, "60000.00", "C-R40-E")
        assert usd(zone, "60000.00", "C-R40-F").tax_filing_required is True

    def test_r40_every_payment_is_filed_when_the_profile_says_so(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        every = profile.model_copy(
            update={
                "funds": profile.funds.model_copy(update={"tax_filing_first_payment_only": False})
            }
        )
        flags = []
        for _ in range(2):
            transfer = zone.declare(
                amount="60000.00", currency="USD", contract_reference="C-R40-G",
            )  # fmt: skip
            service.check(session, transfer, profile=every, actor=actor)
            service.approve(session, transfer, profile=every, actor=actor)
            flags.append(transfer.tax_filing_required)
        assert flags == [True, True]

    def test_r40_a_threshold_from_the_profile_moves_the_flag(
        self, session: Session, actor: Actor, profile: ZoneProfile, zone: Consortium
    ) -> None:
        lower = profile.model_copy(
            update={
                "funds": profile.funds.model_copy(
                    update={"tax_filing_threshold_usd": Decimal("1000")}
                )
            }
        )
        transfer = zone.declare(amount="1000.01", currency="USD", budget_category="equipment")
        service.check(session, transfer, profile=lower, actor=actor)
        service.approve(session, transfer, profile=lower, actor=actor)
        assert transfer.tax_filing_required is True


class TestApprove:
    def test_consumes_the_cny_amount_from_its_budget_line(
        self, session: Session, zone: Consortium
    ) -> None:
        transfer = zone.checked(amount="100000.00", currency="HKD")
        service.approve(session, transfer, profile=zone.profile, actor=zone.actor)
        assert transfer.status is TransferStatus.APPROVED
        assert line_of(session, transfer).consumed == transfer.amount_cny
        assert tags(session, transfer)[-1] == "funds:transfer:approve"

    def test_the_last_yuan_of_a_line_can_be_spent_and_not_one_fen_more(
        self, session: Session, zone: Consortium
    ) -> None:
        first = zone.checked(amount="999999.99")
        service.approve(session, first, profile=zone.profile, actor=zone.actor)
        exact = zone.checked(amount="0.01")
        service.approve(session, exact, profile=zone.profile, actor=zone.actor)
        assert exact.status is TransferStatus.APPROVED
        assert line_of(session, exact).remaining == 0

    def test_a_transfer_the_budget_can_no_longer_hold_is_held_over_budget(
        self, session: Session, zone: Consortium
    ) -> None:
        first, second = zone.checked(amount="600000.00"), zone.checked(amount="600000.00")
        service.approve(session, first, profile=zone.profile, actor=zone.actor)
        service.approve(session, second, profile=zone.profile, actor=zone.actor)
        assert (first.status, second.status) == (TransferStatus.APPROVED, TransferStatus.HELD)
        assert second.reason_codes == [rules.OVER_BUDGET]
        assert line_of(session, second).consumed == Decimal("600000.00")

    def test_approval_checks_again_what_changed_since_the_check(
        self, session: Session, actor: Actor, zone: Consortium
    ) -> None:
        transfer = zone.checked()
        registry.suspend(session, zone.entry, note="inquiry", actor=actor)
        service.approve(session, transfer, profile=zone.profile, actor=actor)
        assert transfer.status is TransferStatus.HELD
        assert transfer.reason_codes == [rules.WHITELIST_SUSPENDED]
        assert line_of(session, transfer).consumed == 0

    def test_reasons_stored_as_bare_codes_read_in_the_shared_shape_under_their_codes_now(
        self, session: Session, actor: Actor, zone: Consortium
    ) -> None:
        transfer = zone.checked(payee_rmb_account=None)
        assert transfer.reasons[0]["rule"] == "R39"
        transfer.reasons = ["whitelist.suspended", rules.RMB_ACCOUNT_MISSING]
        session.flush()
        session.expire(transfer)
        assert transfer.reason_codes == [rules.WHITELIST_SUSPENDED, rules.RMB_ACCOUNT_MISSING]
        suspended = transfer_out(transfer).reasons[0]
        assert (suspended.code, suspended.rule, suspended.params) == (
            "payee.whitelist.suspended",
            "R1",
            {},
        )
        assert suspended.text["zh-Hans"] == "收款单位的白名单登记已被暂停"
        service.approve(session, transfer, profile=zone.profile, actor=actor, note="on file")
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "funds:transfer:approve")
        ).one()
        assert event.data["overridden"] == [rules.WHITELIST_SUSPENDED, rules.RMB_ACCOUNT_MISSING]

    def test_a_held_transfer_needs_a_reviewers_note_to_be_approved(
        self, session: Session, zone: Consortium
    ) -> None:
        transfer = zone.checked(payee_rmb_account=None)
        with pytest.raises(ValidationFailed) as caught:
            service.approve(session, transfer, profile=zone.profile, actor=zone.actor)
        assert caught.value.problems[0].rule == "transfer.note_required"
        service.approve(
            session, transfer, profile=zone.profile, actor=zone.actor, note="account on file"
        )
        assert transfer.status is TransferStatus.APPROVED
        assert transfer.note == "account on file"
        assert transfer.reason_codes == [rules.RMB_ACCOUNT_MISSING]  # what the reviewer overrode
        assert line_of(session, transfer).consumed == transfer.amount_cny

    def test_a_held_transfer_is_never_approved_beyond_the_budget(
        self, session: Session, zone: Consortium
    ) -> None:
        transfer = zone.checked(amount="1000000.01")
        with pytest.raises(RuleViolation) as caught:
            service.approve(
                session, transfer, profile=zone.profile, actor=zone.actor, note="please"
            )
        assert caught.value.problems[0].rule == rules.OVER_BUDGET
        assert line_of(session, transfer).consumed == 0


def _in_state(zone: Consortium, state: TransferStatus) -> FundTransfer:
    transfer = zone.declare()
    transfer.status = state
    if state in (TransferStatus.REMITTED, TransferStatus.REPORTED):
        transfer.bank_reference, transfer.remitted_on = "BANK-1", TODAY
    zone.session.flush()
    return transfer


def _call(zone: Consortium, verb: str, transfer: FundTransfer) -> FundTransfer:
    s, p, a = zone.session, zone.profile, zone.actor
    calls: dict[str, Any] = {
        "check": lambda: service.check(s, transfer, profile=p, actor=a),
        "hold": lambda: service.hold(s, transfer, note="why", actor=a),
        "approve": lambda: service.approve(s, transfer, profile=p, actor=a, note="ok"),
        "decline": lambda: service.decline(s, transfer, note="no", actor=a),
        "remit": lambda: service.remit(
            s, transfer, bank_reference="BANK-2", remitted_on=TODAY, profile=p, actor=a, today=TODAY
        ),
        "report": lambda: service.report(s, transfer, report_reference="R-1", actor=a),
    }
    result: FundTransfer = calls[verb]()
    return result


class TestTransitions:
    @pytest.mark.parametrize("state", list(TransferStatus))
    @pytest.mark.parametrize("verb", list(service.TRANSFER_TRANSITIONS))
    def test_every_verb_from_every_state(
        self, zone: Consortium, verb: str, state: TransferStatus
    ) -> None:
        allowed, target = service.TRANSFER_TRANSITIONS[verb]
        transfer = _in_state(zone, state)
        if state not in allowed:
            with pytest.raises(TransitionForbidden) as caught:
                _call(zone, verb, transfer)
            assert caught.value.problems[0].rule == f"transfer.{verb}.allowed_from"
            return
        assert _call(zone, verb, transfer).status is target
        assert tags(zone.session, transfer)[-1] == f"funds:transfer:{verb}"

    @pytest.mark.parametrize("state", list(ProjectStatus))
    def test_closing_a_project_from_every_state(
        self, session: Session, actor: Actor, zone: Consortium, state: ProjectStatus
    ) -> None:
        zone.project.status = state
        allowed, target = service.PROJECT_TRANSITIONS["close"]
        if state in allowed:
            assert (
                service.close_project(session, zone.project, note=None, actor=actor).status
                is target
            )
        else:
            with pytest.raises(TransitionForbidden):
                service.close_project(session, zone.project, note=None, actor=actor)

    def test_remittance_records_the_bank_reference_and_date(
        self, session: Session, zone: Consortium
    ) -> None:
        transfer = zone.checked()
        service.approve(session, transfer, profile=zone.profile, actor=zone.actor)
        service.remit(
            session, transfer, bank_reference="BOCHK-77", remitted_on=TODAY,
            profile=zone.profile, actor=zone.actor, today=TODAY,
        )  # fmt: skip
        service.report(session, transfer, report_reference=None, actor=zone.actor)
        assert (transfer.status, transfer.bank_reference, transfer.remitted_on) == (
            TransferStatus.REPORTED,
            "BOCHK-77",
            TODAY,
        )

    def test_a_remittance_date_in_the_future_is_refused(
        self, session: Session, zone: Consortium
    ) -> None:
        transfer = _in_state(zone, TransferStatus.APPROVED)
        with pytest.raises(ValidationFailed) as caught:
            service.remit(
                session, transfer, bank_reference="B", remitted_on=TODAY + dt.timedelta(days=1),
                profile=zone.profile, actor=zone.actor, today=TODAY,
            )  # fmt: skip
        assert caught.value.problems[0].rule == "remittance.not_in_future"

    def test_hold_and_decline_need_a_note(self, session: Session, zone: Consortium) -> None:
        transfer = zone.checked()
        for verb in (service.hold, service.decline):
            with pytest.raises(ValidationFailed):
                verb(session, transfer, note=None, actor=zone.actor)
        assert transfer.status is TransferStatus.CHECKED
