"""Who may see and change what in `hetao.funds`: the one place these rules live.

The zone administration (reviewers, administrators) and auditors read everything; customs
officers have no part in research funds. An enterprise user reads the projects its party leads
or partners and the transfers where its party pays, is paid, or is a member of the project;
another party's objects answer as if they did not exist. Enterprises declare and remit their
own payments; reviewers create projects and decide transfers. Each rule returns None when
allowed, otherwise the refusal; api.py wraps the role lists for FastAPI.
"""

from __future__ import annotations

from hetao.auth.principal import Principal, Role
from hetao.errors import PermissionDenied
from hetao.funds.models import FundTransfer, Project
from hetao.registry.access import Verdict, enforce, hidden, party_scope

#: Read projects, transfers and project reports: the zone, auditors, enterprises (own party).
READERS = (Role.ZONE_REVIEWER, Role.AUDITOR, Role.ADMINISTRATOR, Role.ENTERPRISE_USER)
#: Totals across every project: the zone and auditors, not a single enterprise.
ZONE_READERS = (Role.ZONE_REVIEWER, Role.AUDITOR, Role.ADMINISTRATOR)
#: Create and close projects; check, approve, hold, decline and report transfers.
REVIEWERS = (Role.ZONE_REVIEWER, Role.ADMINISTRATOR)
#: Declare a payment and record its remittance: the paying enterprise, or an administrator.
PAYERS = (Role.ENTERPRISE_USER, Role.ADMINISTRATOR)


def can_see_project(principal: Principal, project: Project) -> Verdict:
    scope = party_scope(principal)
    if scope is not None and scope not in project.member_party_ids:
        return hidden("project", project.id)
    return None


def can_see_transfer(principal: Principal, transfer: FundTransfer) -> Verdict:
    scope = party_scope(principal)
    if scope is None or scope in (transfer.payer_party_id, transfer.payee_party_id):
        return None
    if scope in transfer.project.member_party_ids:
        return None
    return hidden("fund transfer", transfer.id)


def can_act_as_payer(principal: Principal, transfer: FundTransfer) -> Verdict:
    """Only the paying party's users act on a payment (after they may see it at all)."""
    if (unseen := can_see_transfer(principal, transfer)) is not None:
        return unseen
    scope = party_scope(principal)
    if scope is not None and scope != transfer.payer_party_id:
        return PermissionDenied(f"only the payer's users act on fund transfer {transfer.id}")
    return None


def can_declare(principal: Principal, payer_party_id: int) -> Verdict:
    """An enterprise declares its own payments only."""
    scope = party_scope(principal)
    if scope is not None and payer_party_id != scope:
        return PermissionDenied(f"party {scope} may declare its own payments only")
    return None


def check_project(principal: Principal, project: Project) -> Project:
    enforce(can_see_project(principal, project))
    return project


def check_transfer(principal: Principal, transfer: FundTransfer) -> FundTransfer:
    enforce(can_see_transfer(principal, transfer))
    return transfer


def check_payer(principal: Principal, transfer: FundTransfer) -> FundTransfer:
    enforce(can_act_as_payer(principal, transfer))
    return transfer


def member_scope(principal: Principal) -> int | None:
    """A list filter: an enterprise user sees what touches its own party; staff see all."""
    return party_scope(principal)
