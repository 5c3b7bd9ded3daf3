"""Loans as the business runs them: record one, flag the overdue, tax the unreturned; an officer
cancels or corrects one not yet crossed, and records the payment of a taxable one's assessment.

The regime decides, not the declarant: the Hong Kong institution must be one in the registry,
the lot must be the zone party's own, the due date within the profile's maximum. Services never
commit; every change writes an audit event in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor, record_event
from hetao.audit.tags import LoanTag
from hetao.errors import Conflict, FieldProblem, ValidationFailed
from hetao.ledger import repository as ledger_repo
from hetao.loans import repository as repo
from hetao.loans import rules
from hetao.loans.models import Loan, LoanDirection, LoanStatus
from hetao.loans.schemas import (
    FlagResult,
    LoanCancel,
    LoanCorrect,
    LoanCreate,
    LoanCrossingOut,
    LoanDetailOut,
    LoanPayment,
    OutsideRowOut,
    TaxRowOut,
)
from hetao.profiles import ZoneProfile
from hetao.reference_versions import service as reference_versions
from hetao.registry import repository as registry_repo
from hetao.registry.models import Party, PartyKind, PartyStatus
from hetao.storage.types import utcnow
from hetao.tax import Movement, assess, parse_request

_SUBJECT = "loan"


def _party_problem(party: Party | None, *, field: str, hk: bool) -> FieldProblem | None:
    if party is None:
        return FieldProblem(field, "party.exists", "names no party of the registry")
    if hk != (party.kind is PartyKind.HK_INSTITUTION):
        rule, wanted = (
            ("loan.hk_institution", "a Hong Kong institution")
            if hk
            else ("loan.zone_party", "a party of the zone, not a Hong Kong institution")
        )
        return FieldProblem(field, rule, f"party {party.id} is not {wanted} in the registry")
    if party.status is not PartyStatus.ACTIVE:
        return FieldProblem(field, "party.active", f"party {party.id} is {party.status.value}")
    return None


def record(
    session: Session,
    data: LoanCreate,
    *,
    zone_party_id: int,
    profile: ZoneProfile,
    today: dt.date,
    actor: Actor,
) -> Loan:
    """Record a loan; every broken rule is named by its field, and nothing is written."""
    problems: list[FieldProblem] = []
    zone = registry_repo.find_party(session, zone_party_id)
    hk = registry_repo.find_party(session, data.hk_party_id)
    for field, party, is_hk in (("zone_party_id", zone, False), ("hk_party_id", hk, True)):
        if (problem := _party_problem(party, field=field, hk=is_hk)) is not None:
            problems.append(problem)
    latest = today + profile.loans.max_term
    if not today <= data.due_on <= latest:
        problems.append(
            FieldProblem(
                "due_on",
                "loan.due_within_maximum",
                f"must be between {today} and {latest}: the profile's loans.max_days is"
                f" {profile.loans.max_days}",
            )
        )
    instrument: dict[str, Any] = {}
    if data.direction is LoanDirection.OUT:
        lot = ledger_repo.find_lot(session, data.lot_id)
        if lot is None or lot.party_id != zone_party_id:
            problems.append(
                FieldProblem("lot_id", "loan.lot_of_lender", "names no lot of the lending party")
            )
        elif lot.available - repo.open_loans_on_lot(session, lot.id) < 1:
            # Each open loan holds one instrument of the lot: none may be lent twice.
            problems.append(
                FieldProblem("lot_id", "loan.instrument_in_zone", f"lot {lot.id} has none left")
            )
        else:
            instrument = {
                "hs_code": lot.hs_code,
                "description": lot.description,
                "unit": lot.unit,
                "origin": lot.origin,
                # One instrument of the lot, valued pro rata (the lot's value rule).
                "customs_value": (lot.customs_value / lot.initial_quantity).quantize(
                    Decimal("0.01")
                ),
                "currency": lot.currency,
            }
            if repo.open_loan_of_instrument(session, lot_id=lot.id, serial=data.serial):
                problems.append(
                    FieldProblem("serial", "loan.instrument_on_loan", "is already on an open loan")
                )
    else:
        instrument = {
            "hs_code": data.hs_code,
            "description": data.description,
            "unit": data.unit or "set",
            "origin": data.origin,
            "customs_value": data.customs_value,
            "currency": data.currency or profile.zone.currency,
        }
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p.field}: {p.message}" for p in problems), problems=problems
        )
    loan = Loan(
        direction=data.direction,
        status=LoanStatus.RECORDED,
        zone_party_id=zone_party_id,
        hk_party_id=data.hk_party_id,
        lot_id=data.lot_id,
        serial=data.serial,
        purpose=data.purpose,
        recorded_on=today,
        due_on=data.due_on,
        actor=str(actor),
        **instrument,
    )
    session.add(loan)
    session.flush()  # the loan's id names its audit event
    record_event(
        session,
        LoanTag.RECORD,
        subject_type=_SUBJECT,
        subject_id=loan.id,
        actor=actor,
        data={
            "direction": loan.direction.value,
            "zone_party_id": loan.zone_party_id,
            "hk_party_id": loan.hk_party_id,
            "lot_id": loan.lot_id,
            "serial": loan.serial,
            "due_on": loan.due_on.isoformat(),
        },
    )
    return loan


def _assessment_request(loan: Loan, zone: Party, day: dt.date) -> dict[str, Any]:
    """The unreturned instrument as an import whose taxes are due: no exemption is claimed,
    for the condition of the exemption (or of the temporary admission) is broken."""
    return {
        "movement": Movement.FIRST_LINE_ENTRY.value,
        "date": day.isoformat(),
        "declarant": {"beneficiary": False, "kind": zone.kind.value},
        "lines": [
            {
                "hs_code": loan.hs_code,
                "quantity": "1",
                "unit": loan.unit,
                "customs_value": loan.customs_value,
                "currency": loan.currency,
                "origin": loan.origin,
                "status": "duty_paid",
            }
        ],
    }


def _make_taxable(
    session: Session,
    loan: Loan,
    *,
    day: dt.date,
    profile: ZoneProfile,
    actor: Actor,
) -> None:
    zone = registry_repo.find_party(session, loan.zone_party_id)
    if zone is None:  # pragma: no cover - a foreign key
        raise Conflict(f"loan {loan.id}: its zone party is gone")
    request = parse_request(_assessment_request(loan, zone, day))
    # The tables in force on the day the event arises, as the second line's clearance uses.
    assessment = assess(
        request,
        profile,
        tariff=reference_versions.tariff_in_force(session, on=day),
        rates=reference_versions.rates_in_force(session, on=day),
        exclusions=reference_versions.exclusions_in_force(session, on=day),
    )
    code = rules.UNRETURNED_OUT if loan.direction is LoanDirection.OUT else rules.NOT_REEXPORTED_IN
    reason = rules.CATALOGUE.reason(
        code,
        due_on=loan.due_on.isoformat(),
        grace_days=profile.loans.grace_days,
        tax_rule=assessment.lines[0].rule.value,
    )
    loan.status = LoanStatus.TAXABLE
    loan.taxable_on = day
    loan.overdue_on = loan.overdue_on or day
    loan.assessment = assessment.model_dump(mode="json")
    loan.tax_total = assessment.totals.total
    loan.taxable_reason = reason.as_json()
    record_event(
        session,
        LoanTag.FLAG_TAXABLE,
        subject_type=_SUBJECT,
        subject_id=loan.id,
        actor=actor,
        data={"day": day.isoformat(), "rule": code, "tax_total": str(assessment.totals.total)},
    )


def flag_overdue(
    session: Session,
    *,
    day: dt.date,
    profile: ZoneProfile,
    actor: Actor,
) -> FlagResult:
    """The daily job: loans past their due date become overdue, past the grace period taxable.

    Idempotent: a loan already flagged is not flagged again, so a second run the same day
    changes nothing.
    """
    overdue: list[int] = []
    taxable: list[int] = []
    for loan in repo.away_due_before(session, day):
        if day > loan.due_on + profile.loans.grace:
            _make_taxable(session, loan, day=day, profile=profile, actor=actor)
            taxable.append(loan.id)
        elif loan.status is LoanStatus.AWAY:
            loan.status = LoanStatus.OVERDUE
            loan.overdue_on = day
            record_event(
                session,
                LoanTag.FLAG_OVERDUE,
                subject_type=_SUBJECT,
                subject_id=loan.id,
                actor=actor,
                data={"day": day.isoformat(), "due_on": loan.due_on.isoformat()},
            )
            overdue.append(loan.id)
    return FlagResult(day=day, overdue=overdue, taxable=taxable)


def days_overdue(loan: Loan, day: dt.date) -> int:
    """Whole days past the due date on ``day`` (0 when not yet due)."""
    return max(0, (day - loan.due_on).days)


def outside(session: Session, *, zone_party_id: int | None, today: dt.date) -> list[OutsideRowOut]:
    """Instruments away on loan, by Hong Kong party then due date, with days overdue."""
    return [
        OutsideRowOut(
            loan_id=loan.id,
            direction=loan.direction,
            status=loan.status,
            zone_party_id=loan.zone_party_id,
            zone_party=zone_name,
            hk_party_id=loan.hk_party_id,
            hk_party=hk_name,
            serial=loan.serial,
            description=loan.description,
            due_on=loan.due_on,
            days_overdue=days_overdue(loan, today),
        )
        for loan, zone_name, hk_name in repo.outside(session, zone_party_id=zone_party_id)
    ]


# --- an officer's corrections ------------------------------------------------------------------


def _locked(session: Session, loan: Loan) -> Loan:
    # The gate moves a loan with a conditional UPDATE: the row lock orders the two.
    locked = repo.lock_loan(session, loan.id)
    if locked is None:  # pragma: no cover - the caller just read it
        raise Conflict(f"loan {loan.id} is gone")
    return locked


def _not_crossed(loan: Loan, *, rule: str, verb: str) -> None:
    if loan.status is LoanStatus.CANCELLED:
        message = f"loan {loan.id} is cancelled: it may not be {verb}"
        raise Conflict(message, problems=[FieldProblem("status", "loan.cancelled", message)])
    if loan.status is not LoanStatus.RECORDED:
        crossed = f" (its instrument crossed at {loan.crossed_at})" if loan.crossed_at else ""
        message = f"loan {loan.id} is {loan.status.value}{crossed}: only a loan whose instrument"
        raise Conflict(
            f"{message} has not crossed may be {verb}",
            problems=[FieldProblem("status", rule, f"{message} has not crossed may be {verb}")],
        )


def cancel(session: Session, loan: Loan, data: LoanCancel, *, actor: Actor) -> Loan:
    """Cancel a loan recorded in error, before its instrument crosses; a retry changes nothing."""
    loan = _locked(session, loan)
    if loan.status is LoanStatus.CANCELLED:
        return loan
    _not_crossed(loan, rule="loan.cancel_before_crossing", verb="cancelled")
    loan.status = LoanStatus.CANCELLED
    loan.cancel_reason = data.cancel_reason
    loan.cancelled_at = utcnow()
    record_event(
        session,
        LoanTag.CANCEL,
        subject_type=_SUBJECT,
        subject_id=loan.id,
        actor=actor,
        data={
            "reason": data.cancel_reason,
            "serial": loan.serial,
            "due_on": loan.due_on.isoformat(),
        },
    )
    return loan


def correct(
    session: Session,
    loan: Loan,
    data: LoanCorrect,
    *,
    profile: ZoneProfile,
    today: dt.date,
    actor: Actor,
) -> Loan:
    """Correct the due date or serial of a loan not yet crossed; the same values again change
    nothing. Every broken rule is named by its field, and nothing is written."""
    loan = _locked(session, loan)
    _not_crossed(loan, rule="loan.correct_before_crossing", verb="corrected")
    problems: list[FieldProblem] = []
    changes: dict[str, dict[str, str]] = {}
    if data.due_on is not None and data.due_on != loan.due_on:
        # The maximum runs from the day the loan was recorded, as it did when it was recorded.
        latest = loan.recorded_on + profile.loans.max_term
        if not today <= data.due_on <= latest:
            problems.append(
                FieldProblem(
                    "due_on",
                    "loan.due_within_maximum",
                    f"must be between {today} and {latest}: the profile's loans.max_days is"
                    f" {profile.loans.max_days}, counted from {loan.recorded_on}",
                )
            )
        changes["due_on"] = {"from": loan.due_on.isoformat(), "to": data.due_on.isoformat()}
    if data.serial is not None and data.serial != loan.serial:
        if loan.lot_id is not None and repo.open_loan_of_instrument(
            session, lot_id=loan.lot_id, serial=data.serial
        ):
            problems.append(
                FieldProblem("serial", "loan.instrument_on_loan", "is already on an open loan")
            )
        changes["serial"] = {"from": loan.serial, "to": data.serial}
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p.field}: {p.message}" for p in problems), problems=problems
        )
    if not changes:
        return loan
    if data.due_on is not None:
        loan.due_on = data.due_on
    if data.serial is not None:
        loan.serial = data.serial
    record_event(
        session,
        LoanTag.CORRECT,
        subject_type=_SUBJECT,
        subject_id=loan.id,
        actor=actor,
        data={"reason": data.reason, "changes": changes},
    )
    return loan


def record_payment(session: Session, loan: Loan, data: LoanPayment, *, actor: Actor) -> Loan:
    """Record that a taxable loan's assessment was paid: the amount must be the assessment's
    total, which is what is kept. The same receipt again changes nothing."""
    loan = _locked(session, loan)
    if loan.tax_total is None:
        message = f"loan {loan.id} is {loan.status.value}: it has no assessment to pay"
        raise Conflict(message, problems=[FieldProblem("status", "loan.assessed", message)])
    if loan.paid_reference is not None:
        if loan.paid_reference == data.payment_reference:
            return loan
        message = (
            f"the assessment of loan {loan.id} was paid already, receipt {loan.paid_reference}"
        )
        raise Conflict(
            message, problems=[FieldProblem("payment_reference", "loan.paid_once", message)]
        )
    if data.amount != loan.tax_total:
        raise ValidationFailed.single(
            "amount",
            "loan.payment_equals_assessment",
            f"must be the assessment's total, {loan.tax_total} CNY",
        )
    loan.paid_reference = data.payment_reference
    loan.paid_total = loan.tax_total
    loan.paid_at = utcnow()
    record_event(
        session,
        LoanTag.RECORD_PAYMENT,
        subject_type=_SUBJECT,
        subject_id=loan.id,
        actor=actor,
        data={"payment_reference": data.payment_reference, "amount": str(loan.tax_total)},
    )
    return loan


# --- a loan's page ----------------------------------------------------------------------------

_TAXES = ("duty", "consumption_tax", "vat")
_CENT = Decimal("0.01")


def _base(tax: str, line: Mapping[str, Any]) -> Decimal:
    """What ``tax`` was computed on, as ``hetao.tax`` does: each tax is in the next one's base."""
    dutiable, duty = Decimal(line["dutiable_value_cny"]), Decimal(line["duty"])
    if tax == "duty":
        return dutiable
    if tax == "vat":
        return dutiable + duty + Decimal(line["consumption_tax"])
    rate = Decimal(line["consumption_tax_rate"] or 0)
    return ((dutiable + duty) / (1 - rate)).quantize(_CENT)


def tax_rows(assessment: Mapping[str, Any] | None) -> list[TaxRowOut]:
    """Each tax of an assessment with its base, rate, amount and the tax rule named."""
    rows: list[TaxRowOut] = []
    for line in (assessment or {}).get("lines", ()):
        reasons = {r["code"]: r for r in line.get("reasons", ())}
        for tax in _TAXES:
            rule = str(line[f"{tax}_rule"])
            rate = line[f"{tax}_rate"]
            rows.append(
                TaxRowOut(
                    tax=tax,
                    base=_base(tax, line),
                    rate=None if rate is None else Decimal(rate),
                    amount=Decimal(line[tax]),
                    rule=rule,
                    reason=reasons.get(rule),
                )
            )
    return rows


def _crossings(loan: Loan) -> list[LoanCrossingOut]:
    first, back = (
        ("outbound", "inbound") if loan.direction is LoanDirection.OUT else ("inbound", "outbound")
    )
    legs = (
        ("first", first, loan.crossed_event_id, loan.crossed_at),
        ("back", back, loan.returned_event_id, loan.returned_at),
    )
    return [
        LoanCrossingOut(id=event_id, leg=leg, direction=direction, occurred_at=at)
        for leg, direction, event_id, at in legs
        if at is not None
    ]


def detail(loan: Loan, *, today: dt.date) -> LoanDetailOut:
    """A loan with its crossings, days overdue, and its taxes once it is taxable."""
    away = loan.status in (LoanStatus.AWAY, LoanStatus.OVERDUE, LoanStatus.TAXABLE)
    return LoanDetailOut.model_validate(
        {
            **{
                name: getattr(loan, name)
                for name in LoanDetailOut.model_fields
                if hasattr(loan, name)
            },
            "days_overdue": days_overdue(loan, today) if away else 0,
            "crossings": _crossings(loan),
            "taxes": tax_rows(loan.assessment),
        }
    )
