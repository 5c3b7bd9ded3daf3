"""Who may enrol faces, withdraw consent and read enrolments: the one place these rules live.

The zone administration records enrolment and withdrawal with the researcher present (the
registry desk where whitelisted people are registered); staff read whether a person is enrolled.
"""

from __future__ import annotations

from hetao.auth.principal import Role

#: Record enrolment and withdrawal of consent.
ENROLLERS = (Role.ZONE_REVIEWER, Role.ADMINISTRATOR)
#: Read an enrolment's status (never its template).
READERS = (
    Role.ZONE_REVIEWER,
    Role.FIRST_LINE_OFFICER,
    Role.SECOND_LINE_OFFICER,
    Role.AUDITOR,
    Role.ADMINISTRATOR,
)
