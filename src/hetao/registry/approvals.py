"""The approvals register (R11, R41): approvals as their issuers gave them, drawn as lines clear.

Services never commit: the caller's unit of work does; each change is audited with it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import RegistryTag
from hetao.errors import (
    Conflict,
    FieldProblem,
    RuleViolation,
)
from hetao.registry import repository as repo
from hetao.registry.models import (
    Approval,
    ApprovalKind,
    Party,
)
from hetao.registry.schemas import (
    ApprovalCreate,
)
from hetao.storage import lookup
from hetao.workflow import audit

# --- the approvals register (R11, R41) ---------------------------------------------------------


def record_approval(session: Session, data: ApprovalCreate, *, actor: Actor) -> Approval:
    """Record an approval as its issuer gave it; the same kind and number twice is a conflict."""
    party = lookup.get(session, Party, data.party_id)
    clash = repo.approval_by_number(session, kind=data.kind, number=data.number)
    if clash is not None:
        raise Conflict(
            f"{data.kind} approval {data.number!r} is already registered as approval {clash.id}",
            problems=[FieldProblem("number", "approval.unique", "is already registered")],
        )
    approval = Approval(
        kind=data.kind,
        number=data.number,
        issuer=data.issuer,
        party_id=party.id,
        hs_codes=list(data.hs_codes),
        article_kinds=list(data.article_kinds),
        quantity=data.quantity,
        unit=data.unit,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        drawn=data.drawn,
        note=data.note,
    )
    session.add(approval)
    session.flush()  # the id is needed by the audit event
    audit(
        session,
        RegistryTag.APPROVAL_CREATE,
        approval.id,
        actor,
        kind=approval.kind,
        number=approval.number,
        issuer=approval.issuer,
        party=party.id,
        hs_codes=approval.hs_codes,
        article_kinds=approval.article_kinds,
        quantity=str(approval.quantity),
        drawn=str(approval.drawn),
        unit=approval.unit,
        valid_from=approval.valid_from,
        valid_until=approval.valid_until,
    )
    return approval


class ApprovalState(StrEnum):
    """What the register says of an approval a declaration line names, on the line's day; each
    state but VALID is the suffix of a rule code (``R11.approval_expired``, ...)."""

    VALID = "valid"
    """In the register, valid on the day, the party's, covering the goods, enough left."""
    UNKNOWN = "unknown"
    """No approval of that kind and number is registered."""
    OTHER_PARTY = "other_party"
    """Issued to another party."""
    NOT_YET_VALID = "not_yet_valid"
    """Valid only from a later day."""
    EXPIRED = "expired"
    """Its validity ended before the day."""
    OUT_OF_SCOPE = "out_of_scope"
    """The goods' HS code, kind or unit is outside what it approves."""
    USED_UP = "used_up"
    """Less is left of it than the quantity asked."""


def approval_state(
    approval: Approval | None,
    *,
    party_id: int,
    hs_code: str,
    goods_kind: str,
    quantity: Decimal,
    unit: str,
    on: dt.date,
) -> ApprovalState:
    """The register's verdict on drawing ``quantity`` of goods from ``approval`` on ``on``."""
    if approval is None:
        return ApprovalState.UNKNOWN
    if approval.party_id != party_id:
        return ApprovalState.OTHER_PARTY
    if on < approval.valid_from:
        return ApprovalState.NOT_YET_VALID
    if on > approval.valid_until:
        return ApprovalState.EXPIRED
    in_scope = (
        (not approval.hs_codes or any(hs_code.startswith(c) for c in approval.hs_codes))
        and (not approval.article_kinds or goods_kind in approval.article_kinds)
        and unit == approval.unit
    )
    if not in_scope:
        return ApprovalState.OUT_OF_SCOPE
    if quantity > approval.remaining:
        return ApprovalState.USED_UP
    return ApprovalState.VALID


def _approval_refused(
    kind: ApprovalKind, number: str, state: ApprovalState, field: str
) -> RuleViolation:
    return RuleViolation(
        f"{kind} approval {number!r}: {state} in the register ({kind.rule})",
        problems=[FieldProblem(field, f"{kind.rule}.approval_{state}", f"approval: {state}")],
    )


def assert_approval(
    session: Session,
    kind: ApprovalKind,
    number: str,
    *,
    party_id: int,
    hs_code: str,
    goods_kind: str,
    quantity: Decimal,
    unit: str,
    on: dt.date,
    field: str,
) -> Approval:
    """The registered approval a line names, if it lets the line through on ``on``; otherwise
    a RuleViolation naming the register's verdict (``R11.approval_unknown``, ...)."""
    approval = repo.approval_by_number(session, kind=kind, number=number)
    state = approval_state(
        approval,
        party_id=party_id,
        hs_code=hs_code,
        goods_kind=goods_kind,
        quantity=quantity,
        unit=unit,
        on=on,
    )
    if approval is None or state is not ApprovalState.VALID:
        raise _approval_refused(kind, number, state, field)
    return approval


def draw_approval(
    session: Session,
    approval: Approval,
    quantity: Decimal,
    *,
    declaration_id: int,
    line_no: int,
    field: str,
    actor: Actor,
) -> Approval:
    """Draw a cleared line's quantity from the approval, never beyond what was approved (a
    conditional UPDATE: two clearings at once cannot both take the last of it)."""
    if not repo.draw_approval(session, approval, quantity):
        raise _approval_refused(approval.kind, approval.number, ApprovalState.USED_UP, field)
    audit(
        session,
        RegistryTag.APPROVAL_DRAW,
        approval.id,
        actor,
        declaration=declaration_id,
        line=line_no,
        quantity=str(quantity),
        drawn=str(approval.drawn),
    )
    return approval
