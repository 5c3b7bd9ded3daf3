"""Who may see and record loans: the one place these rules live, without HTTP.

Staff read every loan; an enterprise user reads and records its own party's, and another
party's loans answer as if they did not exist. Only customs officers cancel or correct a loan,
or record the payment of its assessment. The daily job runs from the CLI only.
"""

from __future__ import annotations

from hetao.auth.principal import Principal, Role
from hetao.errors import PermissionDenied, ValidationFailed
from hetao.ledger.access import check_owned
from hetao.loans.models import Loan
from hetao.registry.access import STAFF, party_scope

#: Read loans and the report of instruments outside: staff, and enterprises (own party).
READERS = (*STAFF, Role.ENTERPRISE_USER)
#: Record a loan: the lending (or borrowing) enterprise, or an administrator for it.
RECORDERS = (Role.ENTERPRISE_USER, Role.ADMINISTRATOR)
#: Cancel or correct a loan, and record the payment of its assessment: customs officers.
OFFICERS = (Role.FIRST_LINE_OFFICER, Role.SECOND_LINE_OFFICER, Role.ADMINISTRATOR)


def check_loan(principal: Principal, loan: Loan) -> Loan:
    """A loan is its zone party's: another party's answers as not found."""
    check_owned(principal, "loan", party_id=loan.zone_party_id, object_id=loan.id)
    return loan


def recording_party(principal: Principal, requested: int | None) -> int:
    """The zone party a loan is recorded for: an enterprise user's own, else the one named."""
    own = party_scope(principal)
    if own is not None:
        if requested is not None and requested != own:
            raise PermissionDenied(f"party {requested} does not exist", hidden=True)
        return own
    if requested is None:
        raise ValidationFailed.single(
            "zone_party_id", "required", "an administrator names the zone party of the loan"
        )
    return requested
