"""Funds services: one function per verb, plain values in, model objects out.

Services never commit: the caller's unit of work does. Every change records an audit event
``funds:<subject>:<action>`` in the same transaction. The checks themselves are the pure
``rules.evaluate``; this module gathers their facts and moves the workflow. Budget is consumed
at approval by one conditional UPDATE (``repository.consume``): never overspent, on either
database, however many approvals run at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import FundsTag
from hetao.errors import (
    Conflict,
    FieldProblem,
    RuleViolation,
    ValidationFailed,
)
from hetao.funds import repository as repo
from hetao.funds import rules
from hetao.funds.models import (
    BudgetLine,
    FundTransfer,
    Project,
    ProjectPartner,
    ProjectStatus,
    TransferStatus,
)
from hetao.funds.schemas import ProjectCreate, TransferCreate
from hetao.profiles import ZoneProfile
from hetao.reasons import Reason
from hetao.reference.rates import RateTable
from hetao.registry import repository as registry_repo
from hetao.registry.models import Party, PartyKind, PartyStatus
from hetao.storage.types import utcnow
from hetao.timeutil import zone_today
from hetao.workflow import Workflow, audit

#: The profile key of the R40 threshold; the profile lists it as provisional (REGIME (d)10).
TAX_THRESHOLD_KEY = "funds.tax_filing_threshold_usd"

# --- workflow tables ------------------------------------------------------------------------
# Each verb: the states it may start from and the state it leads to; a test walks them all.

PROJECT_TRANSITIONS: Workflow[ProjectStatus] = Workflow(
    "project", {"close": ({ProjectStatus.ACTIVE}, ProjectStatus.CLOSED)}
)

TRANSFER_TRANSITIONS: Workflow[TransferStatus] = Workflow(
    "transfer",
    {
        "check": ({TransferStatus.DECLARED}, TransferStatus.CHECKED),
        "hold": ({TransferStatus.CHECKED}, TransferStatus.HELD),
        "approve": ({TransferStatus.CHECKED, TransferStatus.HELD}, TransferStatus.APPROVED),
        "decline": (
            {TransferStatus.DECLARED, TransferStatus.CHECKED, TransferStatus.HELD},
            TransferStatus.DECLINED,
        ),
        "remit": ({TransferStatus.APPROVED}, TransferStatus.REMITTED),
        "report": ({TransferStatus.REMITTED}, TransferStatus.REPORTED),
    },
)


def _party(session: Session, party_id: int, *, field: str) -> Party:
    party = registry_repo.find_party(session, party_id)
    if party is None:
        raise ValidationFailed.single(field, "party.exists", f"party {party_id} does not exist")
    return party


# --- projects -------------------------------------------------------------------------------


def create_project(session: Session, data: ProjectCreate, *, actor: Actor) -> Project:
    """Register a project with its partners and budget; a code already used is a conflict."""
    problems: list[FieldProblem] = []
    if data.ends_on < data.starts_on:
        problems.append(FieldProblem("ends_on", "project.period_ordered", "is before starts_on"))
    wanted = [("lead_party_id", data.lead_party_id)] + [
        (f"partner_party_ids[{i}]", pid) for i, pid in enumerate(data.partner_party_ids)
    ]
    known = registry_repo.existing_party_ids(session, {pid for _, pid in wanted})
    problems += [
        FieldProblem(field, "party.exists", f"party {pid} does not exist")
        for field, pid in wanted
        if pid not in known
    ]
    seen_partners: set[int] = set()
    for i, pid in enumerate(data.partner_party_ids):
        if pid == data.lead_party_id or pid in seen_partners:
            problems.append(
                FieldProblem(
                    f"partner_party_ids[{i}]", "project.partner_once", "is the lead or repeated"
                )
            )
        seen_partners.add(pid)
    seen_lines: set[tuple[int, str]] = set()
    for i, line in enumerate(data.budget):
        if not data.starts_on.year <= line.year <= data.ends_on.year:
            problems.append(
                FieldProblem(
                    f"budget[{i}].year", "budget.year_in_period", "is outside the project's period"
                )
            )
        if (line.year, line.category) in seen_lines:
            problems.append(
                FieldProblem(
                    f"budget[{i}]", "budget.line_once", "repeats a year and category already given"
                )
            )
        seen_lines.add((line.year, line.category))
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p.field}: {p.message}" for p in problems), problems=problems
        )
    if repo.project_by_code(session, data.code) is not None:
        raise Conflict(
            f"project code {data.code} is already registered",
            problems=[FieldProblem("code", "project.unique_code", "is already registered")],
        )
    project = Project(
        code=data.code,
        title=data.title,
        lead_party_id=data.lead_party_id,
        funding_source=data.funding_source,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=ProjectStatus.ACTIVE,
        partners=[ProjectPartner(party_id=pid) for pid in data.partner_party_ids],
        budget_lines=[
            BudgetLine(
                year=line.year, category=line.category, amount=line.amount, consumed=Decimal(0)
            )
            for line in data.budget
        ],
    )
    session.add(project)
    session.flush()  # the id for the audit event
    audit(
        session,
        FundsTag.PROJECT_CREATE,
        project.id,
        actor,
        code=project.code,
        lead=project.lead_party_id,
        partners=list(data.partner_party_ids),
        funding_source=project.funding_source.value,
        starts_on=project.starts_on,
        ends_on=project.ends_on,
        budget=[
            {"year": line.year, "category": line.category.value, "amount": str(line.amount)}
            for line in data.budget
        ],
    )
    return project


def close_project(session: Session, project: Project, *, note: str | None, actor: Actor) -> Project:
    """End a project: no transfer of it is approved any more (already approved ones stand)."""
    before = PROJECT_TRANSITIONS.move(project, "close")
    project.status_note = note
    audit(session, FundsTag.PROJECT_CLOSE, project.id, actor, before=before.value, note=note)
    return project


# --- transfers ------------------------------------------------------------------------------


def declare(
    session: Session,
    data: TransferCreate,
    *,
    profile: ZoneProfile,
    rates: RateTable,
    actor: Actor,
    today: dt.date | None = None,
) -> FundTransfer:
    """Record a transfer as declared, its amount converted to CNY and USD at the month's rates."""
    project = repo.find_project(session, data.project_id)
    if project is None:
        raise ValidationFailed.single(
            "project_id", "project.exists", f"project {data.project_id} does not exist"
        )
    _party(session, data.payer_party_id, field="payer_party_id")
    _party(session, data.payee_party_id, field="payee_party_id")
    if data.payer_party_id == data.payee_party_id:
        raise ValidationFailed.single(
            "payee_party_id", "transfer.payee_is_not_payer", "is the payer"
        )
    if data.payer_party_id not in project.member_party_ids:
        raise ValidationFailed.single(
            "payer_party_id",
            "project.payer_is_member",
            f"is neither the lead nor a partner of project {project.code}",
        )
    line = repo.budget_line(
        session, project_id=project.id, year=data.budget_year, category=data.budget_category
    )
    if line is None:
        raise ValidationFailed.single(
            "budget_category",
            "budget.line_exists",
            f"project {project.code} has no {data.budget_category} budget for {data.budget_year}",
        )
    on = data.transfer_date or today or zone_today(profile.zone.timezone)
    try:
        converted = rules.convert(data.amount, data.currency, on=on, rates=rates)
    except ValidationFailed as error:
        # The rate table names its own "date"; the caller wrote transfer_date.
        problems = [
            FieldProblem("transfer_date" if p.field == "date" else p.field, p.rule, p.message)
            for p in error.problems
        ]
        raise ValidationFailed(error.detail, problems=problems) from None
    transfer = FundTransfer(
        project_id=project.id,
        budget_line_id=line.id,
        payer_party_id=data.payer_party_id,
        payee_party_id=data.payee_party_id,
        payee_rmb_account=data.payee_rmb_account,
        currency=data.currency,
        amount=data.amount,
        amount_cny=converted.amount_cny,
        amount_usd=converted.amount_usd,
        rate_cny_per_unit=converted.rate_cny_per_unit,
        usd_rate_cny_per_unit=converted.usd_rate_cny_per_unit,
        rate_table=converted.table,
        rate_month=converted.month,
        rates_are_sample=converted.sample,
        transfer_date=on,
        budget_year=data.budget_year,
        budget_category=data.budget_category,
        purpose=data.purpose,
        contract_reference=data.contract_reference,
        status=TransferStatus.DECLARED,
        reasons=[],
        tax_filing_provisional=profile.is_provisional(TAX_THRESHOLD_KEY),
        declared_by=str(actor),
    )
    session.add(transfer)
    session.flush()  # the id for the audit event
    audit(
        session,
        FundsTag.TRANSFER_DECLARE,
        transfer.id,
        actor,
        project=project.id,
        payer=transfer.payer_party_id,
        payee=transfer.payee_party_id,
        amount=transfer.amount,
        currency=transfer.currency,
        amount_cny=transfer.amount_cny,
        amount_usd=transfer.amount_usd,
        rate_table=transfer.rate_table,
        rate_month=transfer.rate_month,
        budget_line=line.id,
        purpose=transfer.purpose.value,
        contract_reference=transfer.contract_reference,
        transfer_date=transfer.transfer_date,
    )
    return transfer


def _facts(
    session: Session, transfer: FundTransfer, *, profile: ZoneProfile
) -> rules.TransferFacts:
    project = transfer.project
    payee = registry_repo.find_party(session, transfer.payee_party_id)
    assert payee is not None  # noqa: S101 (a foreign key)
    return rules.TransferFacts(
        transfer_date=transfer.transfer_date,
        budget_year=transfer.budget_year,
        purpose=transfer.purpose,
        amount_cny=transfer.amount_cny,
        payee_party_id=payee.id,
        payee_active=payee.status is PartyStatus.ACTIVE or payee.status is PartyStatus.REGISTERED,
        payee_is_hong_kong=payee.kind is PartyKind.HK_INSTITUTION,
        payee_rmb_account=transfer.payee_rmb_account,
        payee_entries=tuple(
            rules.EntryFacts(
                status=entry.status.value,
                flows=tuple(entry.flows),
                lines=tuple(entry.lines),
                valid_from=entry.valid_from,
                valid_until=entry.valid_until,
            )
            for entry in repo.payee_entries(session, payee.id)
        ),
        project_active=project.status is ProjectStatus.ACTIVE,
        project_starts_on=project.starts_on,
        project_ends_on=project.ends_on,
        project_members=frozenset(project.member_party_ids),
        funding_source=project.funding_source,
        budget_remaining=repo.remaining(session, transfer.budget_line_id),
        rmb_account_required=profile.funds.hk_payee_rmb_account_required,
    )


def _tax_filing(session: Session, transfer: FundTransfer, *, profile: ZoneProfile) -> None:
    decision = rules.tax_filing(
        transfer.amount_usd,
        threshold_usd=profile.funds.tax_filing_threshold_usd,
        first_payment_only=profile.funds.tax_filing_first_payment_only,
        earlier_filed=repo.earlier_filing(session, transfer),
    )
    transfer.tax_filing_required = decision.required
    transfer.tax_filing_covered_by_id = decision.covered_by
    transfer.tax_filing_provisional = profile.is_provisional(TAX_THRESHOLD_KEY)


def _tax_data(transfer: FundTransfer) -> dict[str, Any]:
    return {
        "required": transfer.tax_filing_required,
        "covered_by": transfer.tax_filing_covered_by_id,
        "provisional": transfer.tax_filing_provisional,
    }


def _hold(
    session: Session,
    transfer: FundTransfer,
    reasons: Sequence[Reason],
    *,
    actor: Actor,
    note: str | None,
) -> None:
    before = TRANSFER_TRANSITIONS.move(transfer, "hold")
    transfer.reasons = [r.as_json() for r in reasons]
    if note is not None:
        transfer.note = note
    audit(
        session,
        FundsTag.TRANSFER_HOLD,
        transfer.id,
        actor,
        before=before.value,
        reasons=[r.code for r in reasons],
        note=note,
    )


def check(
    session: Session, transfer: FundTransfer, *, profile: ZoneProfile, actor: Actor
) -> FundTransfer:
    """Run every check: checked when all pass, else held with the reasons."""
    current = repo.lock_transfer(session, transfer)
    before = TRANSFER_TRANSITIONS.move(current, "check")
    reasons = rules.evaluate(_facts(session, current, profile=profile))
    _tax_filing(session, current, profile=profile)  # a preview; fixed at approval
    current.reasons = []
    audit(
        session,
        FundsTag.TRANSFER_CHECK,
        current.id,
        actor,
        before=before.value,
        reasons=[r.code for r in reasons],
        tax_filing=_tax_data(current),
    )
    if reasons:
        _hold(session, current, reasons, actor=actor, note=None)
    return current


def hold(
    session: Session, transfer: FundTransfer, *, note: str | None, actor: Actor
) -> FundTransfer:
    """A reviewer holds a checked transfer, saying why."""
    why = _required_note(note, "hold")
    current = repo.lock_transfer(session, transfer)
    _hold(session, current, [rules.reason(rules.REVIEWER_HOLD)], actor=actor, note=why)
    return current


def approve(
    session: Session,
    transfer: FundTransfer,
    *,
    profile: ZoneProfile,
    actor: Actor,
    note: str | None = None,
) -> FundTransfer:
    """Approve and consume the budget; returns the transfer, approved or held.

    A checked transfer is checked again (the registry may have changed); any failing check,
    or a budget line that cannot take the amount, holds it with the reasons instead. A held
    transfer is approved by a reviewer's decision with a note; the budget still has to hold it.
    """
    current = repo.lock_transfer(session, transfer)
    if current.status is TransferStatus.HELD:
        note = _required_note(note, "approve a held transfer")
    TRANSFER_TRANSITIONS.check(current, "approve")
    if current.status is TransferStatus.CHECKED:
        reasons = rules.evaluate(_facts(session, current, profile=profile))
        if reasons:
            _hold(session, current, reasons, actor=actor, note=note)
            return current
    repo.lock_contract(
        session,
        payer_party_id=current.payer_party_id,
        contract_reference=current.contract_reference,
    )
    line = current.budget_line
    if not repo.consume(session, line, current.amount_cny):
        if current.status is TransferStatus.HELD:
            raise RuleViolation(
                f"budget line {line.year} {line.category} of project {current.project_id} has "
                f"{line.remaining} CNY left; the transfer needs {current.amount_cny}",
                problems=[
                    FieldProblem("amount", rules.OVER_BUDGET, "exceeds the remaining budget")
                ],
            )
        _hold(session, current, [rules.reason(rules.OVER_BUDGET)], actor=actor, note=note)
        return current
    _tax_filing(session, current, profile=profile)
    before = TRANSFER_TRANSITIONS.move(current, "approve")
    current.note = note
    current.decided_at = utcnow()
    audit(
        session,
        FundsTag.TRANSFER_APPROVE,
        current.id,
        actor,
        before=before.value,
        budget_line=line.id,
        amount_cny=current.amount_cny,
        consumed=line.consumed,
        note=note,
        overridden=current.reason_codes,
        tax_filing=_tax_data(current),
    )
    return current


def decline(
    session: Session, transfer: FundTransfer, *, note: str | None, actor: Actor
) -> FundTransfer:
    """Decline with the reason the declarant will read; nothing was consumed."""
    why = _required_note(note, "decline")
    current = repo.lock_transfer(session, transfer)
    before = TRANSFER_TRANSITIONS.move(current, "decline")
    current.note = why
    current.decided_at = utcnow()
    audit(session, FundsTag.TRANSFER_DECLINE, current.id, actor, before=before.value, note=why)
    return current


def remit(
    session: Session,
    transfer: FundTransfer,
    *,
    bank_reference: str,
    remitted_on: dt.date,
    profile: ZoneProfile,
    actor: Actor,
    today: dt.date | None = None,
) -> FundTransfer:
    """Record the bank's remittance of an approved transfer."""
    if remitted_on > (today or zone_today(profile.zone.timezone)):
        raise ValidationFailed.single("remitted_on", "remittance.not_in_future", "is in the future")
    current = repo.lock_transfer(session, transfer)
    before = TRANSFER_TRANSITIONS.move(current, "remit")
    current.bank_reference = bank_reference
    current.remitted_on = remitted_on
    audit(
        session,
        FundsTag.TRANSFER_REMIT,
        current.id,
        actor,
        before=before.value,
        bank_reference=bank_reference,
        remitted_on=remitted_on,
    )
    return current


def report(
    session: Session, transfer: FundTransfer, *, report_reference: str | None, actor: Actor
) -> FundTransfer:
    """Mark a remitted transfer as reported (the end of its workflow)."""
    current = repo.lock_transfer(session, transfer)
    before = TRANSFER_TRANSITIONS.move(current, "report")
    current.report_reference = report_reference
    audit(
        session,
        FundsTag.TRANSFER_REPORT,
        current.id,
        actor,
        before=before.value,
        report_reference=report_reference,
        tax_filing=_tax_data(current),
    )
    return current


def _required_note(note: str | None, action: str) -> str:
    if note is None or not note.strip():
        raise ValidationFailed.single("note", "transfer.note_required", f"is required to {action}")
    return note.strip()
