"""Instruments crossing on a loan (issue 20): the reasons the gate gives, as a pure function.

The way out needs a loan recorded and not yet due, the way back a loan whose instrument is
away (late: an officer checks it), and the serial read at the gate must be the loan's. A loan
out leaves the zone first; a loan in (temporary admission from Hong Kong) enters it first.
"""

from __future__ import annotations

import datetime as dt

from hetao.engine.facts import CrossingFacts, Outcome
from hetao.engine.loan_facts import LoanFacts
from hetao.engine.reasons import LOAN_STATUS_NAMES, Param, Reason, named, reason

#: Loan statuses of an instrument away on its loan, which may cross back.
_AWAY = frozenset({"away", "overdue", "taxable"})


def loan_reasons(
    loan: LoanFacts, facts: CrossingFacts, day: dt.date, prefix: str, point: Param
) -> list[Reason]:
    """Why the instrument of ``loan`` may not cross as ``facts`` say, or needs an officer."""
    number, who = str(loan.loan_id), prefix.rstrip(".")
    if not loan.found:
        return [reason("loan.unknown", Outcome.REFUSE, who, loan=number)]
    if facts.line != "first":
        return [reason("loan.first_line_only", Outcome.REFUSE, who, loan=number, point=point)]
    found: list[Reason] = []
    status = loan.status or ""
    late = loan.due_on is not None and day > loan.due_on
    due = "" if loan.due_on is None else loan.due_on.isoformat()
    first_crossing = (loan.direction == "out") == (facts.direction == "outbound")
    if first_crossing and status != "recorded":
        shown = named(LOAN_STATUS_NAMES, status)
        found.append(reason("loan.not_open", Outcome.REFUSE, who, loan=number, status=shown))
    elif first_crossing and late:
        found.append(reason("loan.past_due", Outcome.REFUSE, who, loan=number, due_on=due))
    elif not first_crossing and status not in _AWAY:
        shown = named(LOAN_STATUS_NAMES, status)
        found.append(reason("loan.not_away", Outcome.REFUSE, who, loan=number, status=shown))
    elif not first_crossing and late:
        found.append(reason("loan.returned_late", Outcome.INSPECT, who, loan=number, due_on=due))
    recorded = loan.serial or ""
    if loan.serial_presented.casefold() != recorded.casefold():
        found.append(
            reason(
                "loan.serial_mismatch",
                Outcome.INSPECT,
                who,
                loan=number,
                presented=loan.serial_presented,
                serial=recorded,
            )
        )
    return found
