"""Instruments on loan move their loan on as they cross (issue 20).

An instrument's first crossing takes its loan from recorded to away; its crossing back closes
it; ``link`` then names on the loan the crossing event that moved it. The committer re-reads
each loan's status under its write and decides on that, so two crossings of one instrument
cannot both take it out. No ledger movement is posted: the lot
keeps its balance and its supervision period runs on while the instrument is away (R5).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy.orm import Session

from hetao.engine.facts import (
    ConsignmentFacts,
    CrossingFacts,
    Outcome,
    VehicleFacts,
    consignments_of,
)
from hetao.errors import Conflict
from hetao.loans import repository as loans_repository
from hetao.loans.models import AWAY_STATUSES, LoanStatus

#: The outcomes that let the instrument on: the loan moves on with it.
_CROSSING = frozenset({Outcome.RELEASE, Outcome.INSPECT})
_RECORDED = frozenset({LoanStatus.RECORDED})


def current(session: Session, facts: CrossingFacts) -> CrossingFacts:
    """The facts with each loan's status as stored now."""
    if not any(c.loan is not None and c.loan.found for c in consignments_of(facts.subject)):
        return facts
    connection = session.connection()

    def consignment(c: ConsignmentFacts) -> ConsignmentFacts:
        if c.loan is None or not c.loan.found:
            return c
        status = loans_repository.status_of(connection, c.loan.loan_id)
        loan = dataclasses.replace(c.loan, status=None if status is None else status.value)
        return dataclasses.replace(c, loan=loan)

    subject = facts.subject
    if isinstance(subject, ConsignmentFacts):
        return dataclasses.replace(facts, subject=consignment(subject))
    if isinstance(subject, VehicleFacts):
        consignments = tuple(consignment(c) for c in subject.consignments)
        subject = dataclasses.replace(subject, consignments=consignments)
        return dataclasses.replace(facts, subject=subject)
    return facts


def move(session: Session, facts: CrossingFacts, outcome: Outcome) -> None:
    """Move on the loan of each instrument let across, in the caller's transaction."""
    if outcome not in _CROSSING:
        return
    for c in consignments_of(facts.subject):
        loan = c.loan
        if loan is None or not loan.found:
            continue
        first = (loan.direction == "out") == (facts.direction == "outbound")
        moved = loans_repository.move(
            session.connection(),
            loan_id=loan.loan_id,
            from_statuses=_RECORDED if first else AWAY_STATUSES,
            to=LoanStatus.AWAY if first else LoanStatus.RETURNED,
            at=facts.occurred_at,
        )
        if not moved:
            raise Conflict(
                f"crossing {facts.event_id}: loan {loan.loan_id} changed while it was decided;"
                " send it again"
            )


def link(session: Session, decided: Iterable[tuple[CrossingFacts, Outcome, int]]) -> None:
    """Name on each loan moved on the crossing event that moved it, once the event is stored."""
    for facts, outcome, event_id in decided:
        if outcome not in _CROSSING:
            continue
        for c in consignments_of(facts.subject):
            if c.loan is not None and c.loan.found:
                loans_repository.link_crossing(
                    session.connection(),
                    loan_id=c.loan.loan_id,
                    event_id=event_id,
                    first=(c.loan.direction == "out") == (facts.direction == "outbound"),
                )
