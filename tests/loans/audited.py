"""Scenarios of `hetao.loans.service` for tests/test_every_write_is_audited.py.

Each scenario sets up what its function needs and returns the call alone; the shared test
observes the call and checks the audit tags named here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from crossing.events.support import entries_from
from crossing.events.test_gather import whitelisted_party
from declarations.support import clear, line, submit
from factories import hk_br, make_party
from hetao.audit.service import Actor
from hetao.declarations.kinds import DeclarationKind
from hetao.loans import service
from hetao.loans.models import Loan, LoanStatus
from hetao.loans.schemas import LoanCancel, LoanCorrect, LoanCreate, LoanPayment
from hetao.profiles import ZoneProfile
from loans.support import instrument


class World(Protocol):
    session: Session
    actor: Actor
    profile: ZoneProfile
    tmp_path: Path


Call = Callable[[], object]
Scenario = Callable[[Any], Call]


def _loan_body(w: World) -> tuple[int, LoanCreate]:
    """A whitelisted lender with an instrument lot, and a loan of it to a Hong Kong lab."""
    day = entries_from(w.profile)
    party = whitelisted_party(w.session, w.actor, w.profile)
    entry = submit(
        w.session,
        party,
        w.profile,
        w.actor,
        DeclarationKind.FIRST_LINE_ENTRY,
        declared_on=day.isoformat(),
        lines=[line(**instrument())],
    )
    clear(w.session, entry, w.profile, w.actor)
    hk = make_party(
        w.session, w.actor, kind="hk_institution", uscc=None, hk_br=hk_br(), registered_in_csa=False
    )
    body = LoanCreate(
        direction="out",
        hk_party_id=hk.id,
        lot_id=entry.lines[0].result_lot_id,
        serial="MS-AUDIT",
        purpose="Audited loan",
        due_on=day + dt.timedelta(days=10),
    )
    return party.id, body


def scenario_record(w: World) -> Call:
    party_id, body = _loan_body(w)
    day = entries_from(w.profile)
    return lambda: service.record(
        w.session, body, zone_party_id=party_id, profile=w.profile, today=day, actor=w.actor
    )


def _away_loan(w: World, *, days_late: int) -> tuple[Loan, dt.date]:
    party_id, body = _loan_body(w)
    day = entries_from(w.profile)
    loan = service.record(
        w.session, body, zone_party_id=party_id, profile=w.profile, today=day, actor=w.actor
    )
    loan.status = LoanStatus.AWAY
    w.session.flush()
    return loan, loan.due_on + dt.timedelta(days=days_late)


def scenario_flag_overdue(w: World) -> Call:
    _, day = _away_loan(w, days_late=1)
    return lambda: service.flag_overdue(w.session, day=day, profile=w.profile, actor=w.actor)


def scenario_flag_taxable(w: World) -> Call:
    _, day = _away_loan(w, days_late=w.profile.loans.grace_days + 1)
    return lambda: service.flag_overdue(w.session, day=day, profile=w.profile, actor=w.actor)


def scenario_outside(w: World) -> Call:
    _away_loan(w, days_late=0)
    return lambda: service.outside(w.session, zone_party_id=None, today=entries_from(w.profile))


def scenario_days_overdue(w: World) -> Call:
    loan, day = _away_loan(w, days_late=3)
    return lambda: service.days_overdue(loan, day)


def _recorded(w: World) -> Loan:
    party_id, body = _loan_body(w)
    return service.record(
        w.session,
        body,
        zone_party_id=party_id,
        profile=w.profile,
        today=entries_from(w.profile),
        actor=w.actor,
    )


def scenario_cancel(w: World) -> Call:
    loan = _recorded(w)
    return lambda: service.cancel(
        w.session, loan, LoanCancel(cancel_reason="In error"), actor=w.actor
    )


def scenario_correct(w: World) -> Call:
    loan = _recorded(w)
    data = LoanCorrect(serial="MS-AUDIT-2", reason="Serial misread")
    day = entries_from(w.profile)
    return lambda: service.correct(
        w.session, loan, data, profile=w.profile, today=day, actor=w.actor
    )


def _taxable(w: World) -> Loan:
    loan, day = _away_loan(w, days_late=w.profile.loans.grace_days + 1)
    service.flag_overdue(w.session, day=day, profile=w.profile, actor=w.actor)
    return loan


def scenario_record_payment(w: World) -> Call:
    loan = _taxable(w)
    assert loan.tax_total is not None
    data = LoanPayment(payment_reference="RCPT-AUDIT", amount=loan.tax_total)
    return lambda: service.record_payment(w.session, loan, data, actor=w.actor)


def scenario_detail(w: World) -> Call:
    loan = _taxable(w)
    return lambda: service.detail(loan, today=entries_from(w.profile))


def scenario_tax_rows(w: World) -> Call:
    loan = _taxable(w)
    return lambda: service.tax_rows(loan.assessment)


LOAN_WRITES: dict[str, tuple[Scenario, frozenset[str]]] = {
    "loans.service.record": (scenario_record, frozenset({"loans:loan:record"})),
    "loans.service.flag_overdue": (scenario_flag_overdue, frozenset({"loans:loan:flag_overdue"})),
    "loans.service.cancel": (scenario_cancel, frozenset({"loans:loan:cancel"})),
    "loans.service.correct": (scenario_correct, frozenset({"loans:loan:correct"})),
    "loans.service.record_payment": (
        scenario_record_payment,
        frozenset({"loans:loan:record_payment"}),
    ),
}
LOAN_OTHER_PATHS: dict[str, tuple[str, Scenario, frozenset[str]]] = {
    "loans.service.flag_overdue[taxable]": (
        "loans.service.flag_overdue",
        scenario_flag_taxable,
        frozenset({"loans:loan:flag_taxable"}),
    ),
}
LOAN_READS: dict[str, tuple[str, Scenario]] = {
    "loans.service.outside": ("lists instruments away, changes nothing", scenario_outside),
    "loans.service.days_overdue": ("computes a number of days", scenario_days_overdue),
    "loans.service.detail": ("shapes a loan for its page, changes nothing", scenario_detail),
    "loans.service.tax_rows": ("reads an assessment tax by tax", scenario_tax_rows),
}
