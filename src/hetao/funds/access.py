"""Who may see and change what in `hetao.funds`: the one place these rules live.

The zone administration (reviewers, administrators) and auditors read everything; customs
officers have no part in research funds. An enterprise user reads the projects its party leads
or partners and the transfers where its party pays, is paid, or is a member of the project;
another party's objects answer as if they did not exist. Enterprises declare and remit their
own payments; reviewers create projects and decide transfers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.errors import PermissionDenied
from hetao.funds.models import FundTransfer, Project
from hetao.registry.access import party_scope

R = Role

#: Read projects, transfers and project reports: the zone, auditors, enterprises (own party).
Readers = Annotated[
    Principal, Depends(Allow(R.ZONE_REVIEWER, R.AUDITOR, R.ADMINISTRATOR, R.ENTERPRISE_USER))
]
#: Totals across every project: the zone and auditors, not a single enterprise.
ZONE_READERS = Depends(Allow(R.ZONE_REVIEWER, R.AUDITOR, R.ADMINISTRATOR))
#: Create and close projects; check, approve, hold, decline and report transfers.
Reviewers = Annotated[Principal, Depends(Allow(R.ZONE_REVIEWER, R.ADMINISTRATOR))]
#: Declare a payment and record its remittance: the paying enterprise, or an administrator.
Payers = Annotated[Principal, Depends(Allow(R.ENTERPRISE_USER, R.ADMINISTRATOR))]


def _hidden(noun: str, object_id: int) -> PermissionDenied:
    return PermissionDenied(f"{noun} {object_id} does not exist", hidden=True)


def check_project(principal: Principal, project: Project) -> Project:
    scope = party_scope(principal)
    if scope is not None and scope not in project.member_party_ids:
        raise _hidden("project", project.id)
    return project


def check_transfer(principal: Principal, transfer: FundTransfer) -> FundTransfer:
    scope = party_scope(principal)
    if scope is None:
        return transfer
    if scope in (transfer.payer_party_id, transfer.payee_party_id):
        return transfer
    if scope in transfer.project.member_party_ids:
        return transfer
    raise _hidden("fund transfer", transfer.id)


def check_payer(principal: Principal, transfer: FundTransfer) -> FundTransfer:
    """Only the paying party's users act on a payment (after they may see it at all)."""
    check_transfer(principal, transfer)
    scope = party_scope(principal)
    if scope is not None and scope != transfer.payer_party_id:
        raise PermissionDenied(f"only the payer's users act on fund transfer {transfer.id}")
    return transfer


def check_new_transfer(principal: Principal, payer_party_id: int) -> None:
    """An enterprise declares its own payments only."""
    scope = party_scope(principal)
    if scope is not None and payer_party_id != scope:
        raise PermissionDenied(f"party {scope} may declare its own payments only")


def member_scope(principal: Principal) -> int | None:
    """A list filter: an enterprise user sees what touches its own party; staff see all."""
    return party_scope(principal)
