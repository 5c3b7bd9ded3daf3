"""Who may lodge, read and decide declarations: the one place these rules live, without HTTP.

An enterprise user declares and reads for its own party only, and another party's declarations
and periods answer as if they did not exist. Officers decide the declarations of their own
line; movements inside the zone may be decided by either. The routes' role wrappers are in
``api``.
"""

from __future__ import annotations

from hetao.auth.principal import Principal, Role
from hetao.declarations.kinds import line_of
from hetao.declarations.models import CentralisedPeriod, Declaration
from hetao.errors import PermissionDenied
from hetao.ledger.access import check_owned
from hetao.profiles import Line
from hetao.registry.access import party_scope

OFFICERS = (Role.FIRST_LINE_OFFICER, Role.SECOND_LINE_OFFICER)
#: Lodge declarations: the enterprise for itself, or an administrator.
DECLARANTS = (Role.ENTERPRISE_USER, Role.ADMINISTRATOR)
#: Accept, clear and refuse declarations: customs officers (of the line) and administrators.
DECIDERS = (*OFFICERS, Role.ADMINISTRATOR)
#: Taxes assessed: second-line officers, the zone, auditors, and enterprises for themselves.
TAX_READERS = (
    Role.SECOND_LINE_OFFICER,
    Role.ZONE_REVIEWER,
    Role.AUDITOR,
    Role.ADMINISTRATOR,
    Role.ENTERPRISE_USER,
)
#: Open a centralised declaration period and record its goods (R10): the enterprise for
#: itself, the zone, administrators.
CENTRALISERS = (Role.ENTERPRISE_USER, Role.ZONE_REVIEWER, Role.ADMINISTRATOR)
#: Close a period, clearing its aggregate first-line entry: first-line officers, administrators.
PERIOD_CLOSERS = (Role.FIRST_LINE_OFFICER, Role.ADMINISTRATOR)

_OFFICER_OF = {Line.FIRST: Role.FIRST_LINE_OFFICER, Line.SECOND: Role.SECOND_LINE_OFFICER}


def check_declaration(principal: Principal, declaration: Declaration) -> Declaration:
    """A declaration is its party's: another party's answers as not found."""
    check_owned(principal, "declaration", party_id=declaration.party_id, object_id=declaration.id)
    return declaration


def check_new_declaration(principal: Principal, party_id: int) -> None:
    """An enterprise declares for itself only."""
    scope = party_scope(principal)
    if scope is not None and party_id != scope:
        raise PermissionDenied(f"party {scope} may declare for itself only")


def check_officer(principal: Principal, declaration: Declaration) -> Declaration:
    """First-line officers decide first-line declarations, second-line officers second-line."""
    if principal.has(Role.ADMINISTRATOR):
        return declaration
    line = line_of(declaration.kind)
    needed = (_OFFICER_OF[line],) if line is not None else OFFICERS
    if not principal.has_any(*needed):
        raise PermissionDenied(
            f"a {declaration.kind} declaration is decided by: {', '.join(needed)}"
        )
    return declaration


def check_period(principal: Principal, period: CentralisedPeriod) -> CentralisedPeriod:
    """A centralised period is its party's: another party's answers as not found."""
    check_owned(principal, "centralised period", party_id=period.party_id, object_id=period.id)
    return period
