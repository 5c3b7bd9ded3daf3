"""Who may act on inspections, adjustments and overrides: the one place these rules live.

Officers of either line and administrators are admitted to the endpoints; each object is then
acted on only by officers of its line (administrators on both). Machines never inspect,
approve or override. A proposal is decided by a second, different officer. Auditors read.
"""

from __future__ import annotations

from hetao.auth.principal import Principal, Role
from hetao.errors import FieldProblem, PermissionDenied, RuleViolation

#: Act on inspections, adjustments and overrides: officers (of the object's line) and admins.
OFFICERS = (Role.FIRST_LINE_OFFICER, Role.SECOND_LINE_OFFICER, Role.ADMINISTRATOR)
#: Read them: the officers, administrators and auditors.
READERS = (Role.FIRST_LINE_OFFICER, Role.SECOND_LINE_OFFICER, Role.AUDITOR, Role.ADMINISTRATOR)

OFFICER_OF_LINE = {"first": Role.FIRST_LINE_OFFICER, "second": Role.SECOND_LINE_OFFICER}


def officer_id(officer: Principal) -> int:
    """The user behind a principal: machines do not inspect, approve or override."""
    if officer.kind != "user":
        raise PermissionDenied(f"{officer.name} is a device; an officer must act in person")
    return officer.id


def check_line(officer: Principal, line: str, what: str) -> None:
    """Officers of the object's line act on it; administrators act on either line."""
    if officer.has(Role.ADMINISTRATOR):
        return
    needed = OFFICER_OF_LINE.get(line)
    if needed is None or not officer.has(needed):
        raise PermissionDenied(f"{what} is on the {line} line: {needed or 'no'} officers act on it")


def check_second_officer(user_id: int, proposer_id: int, subject: str, object_id: int) -> None:
    """A proposal is decided by an officer other than the one who made it."""
    if user_id == proposer_id:
        raise RuleViolation(
            f"{subject} {object_id} was proposed by user {proposer_id}; a second, different "
            "officer must decide it",
            problems=[
                FieldProblem("officer", f"{subject}.second_officer", "is the proposing officer")
            ],
        )


def check_decider(
    officer: Principal, *, line: str, proposed_by: int, subject: str, object_id: int
) -> int:
    """The user id of the officer deciding a proposal: one of its line, not its proposer."""
    user_id = officer_id(officer)
    check_line(officer, line, f"{subject} {object_id}")
    check_second_officer(user_id, proposed_by, subject, object_id)
    return user_id
