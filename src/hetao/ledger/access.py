"""Who may see and change what in the ledger: the one place these rules live.

Staff read every party's goods; an enterprise user declares and reads for its own party only,
and another party's objects answer as if they did not exist. Officers clear the declarations of
their own line; movements inside the zone may be cleared by either.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.errors import PermissionDenied
from hetao.declarations.models import CentralisedPeriod, Declaration
from hetao.declarations.service import line_of
from hetao.ledger.models import Lot
from hetao.profiles import Line
from hetao.registry.access import STAFF, party_scope

R = Role
OFFICERS = (R.FIRST_LINE_OFFICER, R.SECOND_LINE_OFFICER)

#: Read declarations, lots and reports: staff, and enterprise users for their own party.
Readers = Annotated[Principal, Depends(Allow(*STAFF, R.ENTERPRISE_USER))]
#: Lodge declarations: the enterprise for itself, or an administrator.
Declarants = Annotated[Principal, Depends(Allow(R.ENTERPRISE_USER, R.ADMINISTRATOR))]
#: Accept, clear and refuse declarations: customs officers (of the line) and administrators.
Officers = Annotated[Principal, Depends(Allow(*OFFICERS, R.ADMINISTRATOR))]
#: Taxes assessed: second-line officers, the zone, auditors, and enterprises for themselves.
TaxReaders = Annotated[
    Principal,
    Depends(
        Allow(
            R.SECOND_LINE_OFFICER,
            R.ZONE_REVIEWER,
            R.AUDITOR,
            R.ADMINISTRATOR,
            R.ENTERPRISE_USER,
        )
    ),
]

#: Open a centralised declaration period and record its goods (R10): the enterprise for
#: itself, the zone, administrators.
Centralisers = Annotated[
    Principal, Depends(Allow(R.ENTERPRISE_USER, R.ZONE_REVIEWER, R.ADMINISTRATOR))
]
#: Close a period, clearing its aggregate first-line entry: first-line officers, administrators.
PeriodClosers = Annotated[Principal, Depends(Allow(R.FIRST_LINE_OFFICER, R.ADMINISTRATOR))]

_OFFICER_OF = {Line.FIRST: R.FIRST_LINE_OFFICER, Line.SECOND: R.SECOND_LINE_OFFICER}


def _hidden(noun: str, object_id: int) -> PermissionDenied:
    return PermissionDenied(f"{noun} {object_id} does not exist", hidden=True)


def check_party_id(principal: Principal, party_id: int) -> int:
    """An enterprise user reaches its own party only; others' answer as not found."""
    scope = party_scope(principal)
    if scope is not None and party_id != scope:
        raise _hidden("party", party_id)
    return party_id


def scoped(principal: Principal, requested: int | None) -> int | None:
    """A list filter: an enterprise user's own party, whatever it asked for."""
    own = party_scope(principal)
    if own is None:
        return requested
    if requested is not None and requested != own:
        return -1  # another party's objects: an empty page, as if there were none
    return own


def check_declaration(principal: Principal, declaration: Declaration) -> Declaration:
    scope = party_scope(principal)
    if scope is not None and declaration.party_id != scope:
        raise _hidden("declaration", declaration.id)
    return declaration


def check_lot(principal: Principal, lot: Lot) -> Lot:
    scope = party_scope(principal)
    if scope is not None and lot.party_id != scope:
        raise _hidden("lot", lot.id)
    return lot


def check_new_declaration(principal: Principal, party_id: int) -> None:
    """An enterprise declares for itself only."""
    scope = party_scope(principal)
    if scope is not None and party_id != scope:
        raise PermissionDenied(f"party {scope} may declare for itself only")


def check_officer(principal: Principal, declaration: Declaration) -> Declaration:
    """First-line officers decide first-line declarations, second-line officers second-line."""
    if principal.has(R.ADMINISTRATOR):
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
    scope = party_scope(principal)
    if scope is not None and period.party_id != scope:
        raise _hidden("centralised period", period.id)
    return period
