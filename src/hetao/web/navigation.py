"""Where each role lands after sign-in, and the menu it sees: nothing it may not use.

One table for both, so that a page added to a role's menu is added in one place. The routes
still check their roles themselves (``Allow``); the menu only hides what would be refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from hetao.auth.principal import Principal, Role

AUDITORS = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})
#: Staff who read declarations and lots in the portal's pages, as the API lets them.
LEDGER_STAFF = frozenset(
    {
        Role.FIRST_LINE_OFFICER,
        Role.SECOND_LINE_OFFICER,
        Role.ZONE_REVIEWER,
        Role.AUDITOR,
        Role.ADMINISTRATOR,
    }
)
#: The zone reviewer's workbench (registry): reviewers, and administrators standing in.
REVIEWERS = frozenset({Role.ZONE_REVIEWER, Role.ADMINISTRATOR})
#: The enterprise portal: an enterprise user, for its own party only.
ENTERPRISES = frozenset({Role.ENTERPRISE_USER})
ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})
#: The port: officers of either line at their crossing points (administrators standing in).
OFFICERS = frozenset({Role.FIRST_LINE_OFFICER, Role.SECOND_LINE_OFFICER, Role.ADMINISTRATOR})
#: The second line's goods leaving for the mainland and their taxes.
SECOND_LINE = frozenset({Role.SECOND_LINE_OFFICER, Role.AUDITOR, Role.ADMINISTRATOR})
#: The dashboards: everyone who answers for the zone's figures.
DASHBOARD_READERS = frozenset(
    {
        Role.FIRST_LINE_OFFICER,
        Role.SECOND_LINE_OFFICER,
        Role.ZONE_REVIEWER,
        Role.AUDITOR,
        Role.ADMINISTRATOR,
    }
)


@dataclass(frozen=True, slots=True)
class MenuItem:
    """A menu entry: its label's key, the app path it opens, the roles that see it."""

    key: str
    path: str
    roles: frozenset[Role]
    #: Current on its own path only: an entry whose pages have menu entries of their own.
    exact: bool = False

    def is_current(self, current_path: str) -> bool:
        """Whether the page shown lies under this entry."""
        if current_path == self.path:
            return True
        return not self.exact and current_path.startswith(self.path.rstrip("/") + "/")


#: The menu, in the order it is shown.
MENU: tuple[MenuItem, ...] = (
    MenuItem("site.nav.home", "/home", frozenset(Role) - {Role.GATE_DEVICE}),
    MenuItem("site.nav.audit", "/audit/events", AUDITORS),
    # The port: the officer's console, inspections, overrides, lookup, the second line.
    MenuItem("port.nav.console", "/port", OFFICERS, exact=True),
    MenuItem("port.nav.inspections", "/port/inspections", OFFICERS),
    MenuItem("port.nav.overrides", "/port/overrides", OFFICERS),
    MenuItem("port.nav.lookup", "/port/lookup", OFFICERS),
    MenuItem("loans.nav.port", "/port/loans", OFFICERS),
    MenuItem("port.nav.second_line", "/port/second-line", SECOND_LINE),
    MenuItem("port.nav.taxes", "/port/taxes", SECOND_LINE),
    MenuItem("port.nav.dashboards", "/dashboards", DASHBOARD_READERS),
    # registry: the reviewer's workbench and the enterprise portal's registry part
    MenuItem("registry.nav.queue", "/review", REVIEWERS, exact=True),
    MenuItem("registry.nav.expiring", "/review/entries/expiring", REVIEWERS),
    MenuItem("registry.nav.imports", "/review/imports", REVIEWERS),
    # Research funds and data transfers: the reviewer's decisions.
    MenuItem("funds.nav.review", "/review/fund-transfers", REVIEWERS),
    MenuItem("data.nav.review", "/review/data-applications", REVIEWERS),
    MenuItem("registry.nav.portal", "/portal", ENTERPRISES, exact=True),
    MenuItem("registry.nav.applications", "/portal/applications", ENTERPRISES),
    MenuItem("registry.nav.persons", "/portal/persons", ENTERPRISES),
    MenuItem("registry.nav.vehicles", "/portal/vehicles", ENTERPRISES),
    # Declarations and the e-ledger: the enterprise's own, and staff who read them (as the API).
    MenuItem("declarations.nav", "/portal/declarations", ENTERPRISES | LEDGER_STAFF),
    MenuItem("ledger.nav.ledger", "/portal/ledger", ENTERPRISES | LEDGER_STAFF),
    MenuItem("declarations.nav.hs", "/portal/hs", ENTERPRISES),
    # Research funds, data transfers and researchers' credentials: the enterprise's own.
    MenuItem("funds.nav.projects", "/portal/projects", ENTERPRISES),
    MenuItem("funds.nav.transfers", "/portal/fund-transfers", ENTERPRISES),
    MenuItem("data.nav.portal", "/portal/data-applications", ENTERPRISES),
    MenuItem("credentials.nav.portal", "/portal/credentials", ENTERPRISES),
    MenuItem("loans.nav.portal", "/portal/loans", ENTERPRISES),
    # Notifications: the enterprise's feed of status changes, and its webhooks.
    MenuItem("notifications.nav", "/portal/notifications", ENTERPRISES),
    # The administrator's pages (hetao.admin).
    MenuItem("admin.nav.users", "/admin/users", ADMINISTRATORS),
    MenuItem("admin.nav.tokens", "/admin/tokens", ADMINISTRATORS),
    MenuItem("admin.nav.profile", "/admin/profile", ADMINISTRATORS),
    MenuItem("admin.nav.rule_sets", "/admin/rule-sets", ADMINISTRATORS),
    MenuItem("admin.nav.reference", "/admin/reference", ADMINISTRATORS),
)

#: The page each role lands on after sign-in.
HOME: dict[Role, str] = {
    Role.ZONE_REVIEWER: "/review",
    Role.FIRST_LINE_OFFICER: "/port",
    Role.SECOND_LINE_OFFICER: "/port",
    Role.ENTERPRISE_USER: "/portal",
    Role.AUDITOR: "/audit/events",
    Role.ADMINISTRATOR: "/admin",
    Role.GATE_DEVICE: "/home",
}


#: The enterprise portal's home shows these as cards: each area of the portal adds its own
#: entry here (title key, path, roles), since its panel cannot extend the portal's template.
PORTAL_PANELS: tuple[MenuItem, ...] = (
    # registry
    MenuItem("registry.nav.applications", "/portal/applications", ENTERPRISES),
    MenuItem("registry.nav.persons", "/portal/persons", ENTERPRISES),
    MenuItem("registry.nav.vehicles", "/portal/vehicles", ENTERPRISES),
    MenuItem("declarations.nav", "/portal/declarations", ENTERPRISES),
    MenuItem("ledger.nav.ledger", "/portal/ledger", ENTERPRISES),
    MenuItem("notifications.nav", "/portal/notifications", ENTERPRISES),
    MenuItem("funds.nav.projects", "/portal/projects", ENTERPRISES),
    MenuItem("data.nav.portal", "/portal/data-applications", ENTERPRISES),
    MenuItem("credentials.nav.portal", "/portal/credentials", ENTERPRISES),
    MenuItem("loans.nav.portal", "/portal/loans", ENTERPRISES),
)


def panels_for(principal: Principal) -> list[MenuItem]:
    """The portal's panels ``principal`` may open, in order."""
    return [item for item in PORTAL_PANELS if principal.roles & item.roles]


def menu_for(principal: Principal | None) -> list[MenuItem]:
    """The entries ``principal`` may open, in menu order."""
    if principal is None:
        return []
    return [item for item in MENU if principal.roles & item.roles]


def home_of(principal: Principal) -> str:
    """The landing page of the principal's role (a user holds one role)."""
    return HOME[min(principal.roles)] if principal.roles else "/home"
