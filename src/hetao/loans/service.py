"""Loans as the business runs them: record one, flag the overdue, tax the unreturned.

The regime decides, not the declarant: the Hong Kong institution must be one in the registry,
the lot must be the zone party's own, the due date within the profile's maximum. Services never
commit; every change writes an audit event in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
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
from hetao.loans.schemas import FlagResult, LoanCreate, OutsideRowOut
from hetao.profiles import ZoneProfile
from hetao.reference_versions import service as reference_versions
from hetao.registry import repository as registry_repo
from hetao.registry.models import Party, PartyKind, PartyStatus
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
