"""A party's standing (R8, R26) and its exemption waivers (R6), recorded by date.

Services never commit: the caller's unit of work does; each record is audited with it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import RegistryTag
from hetao.errors import (
    Conflict,
    FieldProblem,
    RuleViolation,
    ValidationFailed,
)
from hetao.profiles import ZoneProfile
from hetao.registry import repository as repo
from hetao.registry.models import (
    BENEFICIARY_KINDS,
    ExemptionWaiver,
    Party,
    PartyStanding,
    PartyStatus,
)
from hetao.registry.schemas import (
    StandingChange,
    StandingCreate,
    WaiverCreate,
)
from hetao.timeutil import add_months, zone_today
from hetao.workflow import Workflow, audit

# --- the standing workflow -------------------------------------------------------------------

_LIVE_PARTY = frozenset({PartyStatus.REGISTERED, PartyStatus.ACTIVE, PartyStatus.SUSPENDED})
#: Each change of standing: the party statuses it may start from and the status it leads to
#: (None: the status stays). A deregistered party is at its end; a bankrupt one may still be
#: deregistered once the bankruptcy closes.
STANDING_TRANSITIONS: Workflow[PartyStatus] = Workflow(
    "party",
    {
        StandingChange.BANKRUPT: (_LIVE_PARTY, PartyStatus.BANKRUPT),
        StandingChange.DEREGISTERED: (
            _LIVE_PARTY | {PartyStatus.BANKRUPT},
            PartyStatus.DEREGISTERED,
        ),
        StandingChange.CREDIT_LEVEL: (_LIVE_PARTY | {PartyStatus.BANKRUPT}, None),
    },
)


# --- party standings (R8, R26) ----------------------------------------------------------------


def record_standing(
    session: Session,
    party: Party,
    data: StandingCreate,
    *,
    profile: ZoneProfile,
    actor: Actor,
    today: dt.date | None = None,
) -> PartyStanding:
    """Record a change of the party's standing from a date (R8, R26); the party shows the last.

    Standings are recorded in date order and never ahead of today at the zone: a transfer
    already decided on a day keeps the standing it was decided on.
    """
    STANDING_TRANSITIONS.check(party, data.change)
    today = today or zone_today(profile.zone.timezone)
    if data.effective_on > today:
        raise ValidationFailed.single(
            "effective_on", "standing.not_ahead", f"is after today ({today}) at the zone"
        )
    history = repo.list_standings(session, party_id=party.id)
    if history and data.effective_on < history[-1].effective_on:
        raise ValidationFailed.single(
            "effective_on",
            "standing.in_date_order",
            f"is before the last standing recorded, from {history[-1].effective_on}",
        )
    before = (party.status, party.credit_level)
    STANDING_TRANSITIONS.move(party, data.change)
    party.credit_level = data.credit_level or party.credit_level
    standing = PartyStanding(
        party_id=party.id,
        status=party.status,
        credit_level=party.credit_level,
        effective_on=data.effective_on,
        document_ref=data.document_ref,
        note=data.note,
    )
    session.add(standing)
    session.flush()  # the id is needed by the audit event
    audit(
        session,
        RegistryTag.STANDING_CREATE,
        standing.id,
        actor,
        party=party.id,
        change=data.change,
        before_status=before[0],
        before_credit_level=before[1],
        status=standing.status,
        credit_level=standing.credit_level,
        effective_on=standing.effective_on,
        document_ref=standing.document_ref,
    )
    return standing


def status_on(session: Session, party: Party, *, on: dt.date) -> PartyStatus | None:
    """The party's status on ``on`` as recorded from a document; None when none was recorded
    by then (a registration status carries no date to decide on)."""
    standing = repo.standing_on(session, party_id=party.id, on=on)
    return standing.status if standing is not None else None


# --- exemption waivers (R6) ----------------------------------------------------------------


def waive_exemption(
    session: Session,
    party: Party,
    data: WaiverCreate,
    *,
    profile: ZoneProfile,
    actor: Actor,
) -> ExemptionWaiver:
    """Record a beneficiary's election to pay import taxes; starts the 36-month lockout (R6)."""
    if party.kind not in BENEFICIARY_KINDS:
        raise RuleViolation(
            f"party {party.id} is a {party.kind}, not a beneficiary; it has no exemption to waive",
            problems=[FieldProblem("party_id", "R6.beneficiaries_only", "is not a beneficiary")],
        )
    kinds = {str(k) for k in profile.whitelist.waiver_goods_kinds}
    if data.goods_kind not in kinds:
        raise ValidationFailed.single(
            "goods_kind", "profile.waiver_goods_kind", f"must be one of: {', '.join(sorted(kinds))}"
        )
    waived_on = data.waived_on or zone_today(profile.zone.timezone)
    current = repo.waiver_in_force(
        session, party_id=party.id, goods_kind=data.goods_kind, on=waived_on
    )
    if current is not None:
        raise Conflict(
            f"{data.goods_kind} is already waived until {current.lockout_until}"
            f" (waiver {current.id})",
            problems=[FieldProblem("goods_kind", "R6.already_waived", "lockout already in force")],
        )
    waiver = ExemptionWaiver(
        party_id=party.id,
        goods_kind=data.goods_kind,
        waived_on=waived_on,
        lockout_until=add_months(waived_on, profile.whitelist.waiver_lockout_months),
        reason=data.reason,
    )
    session.add(waiver)
    session.flush()  # the id is needed by the audit event
    audit(
        session,
        RegistryTag.WAIVER_CREATE,
        waiver.id,
        actor,
        party=party.id,
        goods_kind=data.goods_kind,
        lockout_until=waiver.lockout_until,
    )
    return waiver


def assert_exemption_claimable(
    session: Session, *, party_id: int, goods_kind: str, on: dt.date
) -> None:
    """Refuse an exemption for goods of a kind the party waived within the lockout (R6)."""
    waiver = repo.waiver_in_force(session, party_id=party_id, goods_kind=goods_kind, on=on)
    if waiver is not None:
        raise RuleViolation(
            f"party {party_id} waived the exemption for {goods_kind} on {waiver.waived_on}; "
            f"it may claim it again from {waiver.lockout_until} (R6)",
            problems=[FieldProblem("goods_kind", "R6.waiver_lockout", "locked out after a waiver")],
        )
