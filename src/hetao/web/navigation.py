"""Where each role lands after sign-in, and the menu it sees: nothing it may not use.

One table for both, so that a page added to a role's menu is added in one place. The routes
still check their roles themselves (``Allow``); the menu only hides what would be refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from hetao.auth.principal import Principal, Role

AUDITORS = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})
#: Who decides fund transfers and records data-transfer decisions (funds/datatransfer access).
FUNDS_REVIEWERS = frozenset({Role.ZONE_REVIEWER, Role.ADMINISTRATOR})
#: The portal's pages fix the party from the user: enterprise users only.
FUNDS_PORTAL = frozenset({Role.ENTERPRISE_USER})


@dataclass(frozen=True, slots=True)
class MenuItem:
    """A menu entry: its label's key, the app path it opens, the roles that see it."""

    key: str
    path: str
    roles: frozenset[Role]

    def is_current(self, current_path: str) -> bool:
        """Whether the page shown lies under this entry."""
        return current_path == self.path or current_path.startswith(self.path.rstrip("/") + "/")


#: The menu, in the order it is shown.
MENU: tuple[MenuItem, ...] = (
    MenuItem("site.nav.home", "/home", frozenset(Role) - {Role.GATE_DEVICE}),
    MenuItem("site.nav.audit", "/audit/events", AUDITORS),
    # Research funds, data transfers and credentials (issue 17).
    MenuItem("funds.nav.review", "/review/fund-transfers", FUNDS_REVIEWERS),
    MenuItem("data.nav.review", "/review/data-applications", FUNDS_REVIEWERS),
    MenuItem("funds.nav.projects", "/portal/projects", FUNDS_PORTAL),
    MenuItem("funds.nav.transfers", "/portal/fund-transfers", FUNDS_PORTAL),
    MenuItem("data.nav.portal", "/portal/data-applications", FUNDS_PORTAL),
    MenuItem("credentials.nav.portal", "/portal/credentials", FUNDS_PORTAL),
)

#: The page each role lands on after sign-in.
HOME: dict[Role, str] = {
    Role.ZONE_REVIEWER: "/home",
    Role.FIRST_LINE_OFFICER: "/home",
    Role.SECOND_LINE_OFFICER: "/home",
    Role.ENTERPRISE_USER: "/home",
    Role.AUDITOR: "/audit/events",
    Role.ADMINISTRATOR: "/home",
    Role.GATE_DEVICE: "/home",
}


def menu_for(principal: Principal | None) -> list[MenuItem]:
    """The entries ``principal`` may open, in menu order."""
    if principal is None:
        return []
    return [item for item in MENU if principal.roles & item.roles]


def home_of(principal: Principal) -> str:
    """The landing page of the principal's role (a user holds one role)."""
    return HOME[min(principal.roles)] if principal.roles else "/home"
