"""The demo's sign-ins: every role people hold, two officers on each line, two enterprises."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.models import User
from hetao.auth.principal import Principal, Role
from hetao.profiles import Line
from hetao.registry.models import Party

#: The demo's one password, printed in the README: a demo zone is not for real data.
DEMO_PASSWORD = "hetao-demo-2026"  # noqa: S105 (published on purpose)

ZONE_REVIEWER = "demo-zone-reviewer"
#: The two officers of each line. Two, because a REFUSE overturned and an adjustment proposed by
#: one officer wait for a second, different one.
OFFICERS: dict[Line, tuple[str, str]] = {
    Line.FIRST: ("demo-first-line-officer", "demo-first-line-officer-2"),
    Line.SECOND: ("demo-second-line-officer", "demo-second-line-officer-2"),
}
#: The staff of the demo's two enterprises, so the pages can show that one party never sees
#: the other's goods, money or data.
ENTERPRISE_USERS = ("demo-enterprise-user", "demo-enterprise-user-2")

#: Each sign-in: username, role, which of the two demo enterprises it works for (an index of
#: ``ENTERPRISE_USERS``; None for staff of the zone and customs), and what it is for.
DEMO_USERS: tuple[tuple[str, Role, int | None, str], ...] = (
    (
        ZONE_REVIEWER,
        Role.ZONE_REVIEWER,
        None,
        "reviews whitelist applications, standings, approvals and fund transfers",
    ),
    (
        OFFICERS[Line.FIRST][0],
        Role.FIRST_LINE_OFFICER,
        None,
        "first-line officer: crossings, inspections and overrides at Channel No. 1, Huanggang"
        " and Futian; proposed the override awaiting a second officer",
    ),
    (
        OFFICERS[Line.FIRST][1],
        Role.FIRST_LINE_OFFICER,
        None,
        "the second first-line officer: confirms an overturned REFUSE, approves adjustments",
    ),
    (
        OFFICERS[Line.SECOND][0],
        Role.SECOND_LINE_OFFICER,
        None,
        "second-line officer: crossings and inspections at the channels to the mainland",
    ),
    (
        OFFICERS[Line.SECOND][1],
        Role.SECOND_LINE_OFFICER,
        None,
        "the second second-line officer: confirms what the first proposes",
    ),
    (
        ENTERPRISE_USERS[0],
        Role.ENTERPRISE_USER,
        0,
        "staff of the first demo enterprise: its lots, declarations, transfers, data",
    ),
    (
        ENTERPRISE_USERS[1],
        Role.ENTERPRISE_USER,
        1,
        "staff of the second demo enterprise: sees its own records, never the first's",
    ),
    ("demo-auditor", Role.AUDITOR, None, "reads the audit log, its proofs and every record"),
    (
        "demo-administrator",
        Role.ADMINISTRATOR,
        None,
        "manages users, tokens and rule sets; may act on either line",
    ),
)


class DemoUser(BaseModel):
    """One demo sign-in, as the summary prints it."""

    username: str
    role: Role
    party_id: int | None
    purpose: str


@dataclass(frozen=True)
class DemoUsers:
    """The demo's users by username, for the steps that act as one of them."""

    users: dict[str, User]

    def principal(self, username: str) -> Principal:
        """The user as the services see a signed-in person."""
        return auth.session_principal(self.users[username])

    def listed(self) -> list[DemoUser]:
        """Every sign-in with its role, its party and what it is for."""
        purposes = {name: purpose for name, _, _, purpose in DEMO_USERS}
        return [
            DemoUser(
                username=user.username,
                role=user.role,
                party_id=user.party_id,
                purpose=purposes[user.username],
            )
            for user in self.users.values()
        ]


def demo_users(session: Session, *, enterprises: tuple[Party, Party], actor: Actor) -> DemoUsers:
    """Every sign-in of ``DEMO_USERS``, all with ``DEMO_PASSWORD``."""
    created = {}
    for username, role, enterprise, _ in DEMO_USERS:
        created[username] = auth.create_user(
            session,
            username=username,
            display_name=f"Demo {username.removeprefix('demo-').replace('-', ' ')}",
            password=DEMO_PASSWORD,
            role=role,
            party_id=None if enterprise is None else enterprises[enterprise].id,
            actor=actor,
        )
    return DemoUsers(created)
