"""Registry services: whitelist applications and entries, each transition a function named by
its verb, and whether a party's entry is in force on a day (R3).

Parties, persons and vehicles live in ``parties``, standings and waivers in ``standings``, the
approvals register in ``approvals``; this module names them too, so other domains import one.
Services never commit: the caller's unit of work does. Every change records an audit event in
the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import RegistryTag
from hetao.errors import (
    FieldProblem,
    RuleViolation,
    ValidationFailed,
)
from hetao.profiles import Flow, Line, ZoneProfile
from hetao.registry import repository as repo
from hetao.registry.models import (
    BENEFICIARY_KINDS,
    ApplicationStatus,
    EntryStatus,
    Party,
    Person,
    SubjectKind,
    Vehicle,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.schemas import (
    ApplicationCreate,
    Resubmission,
)
from hetao.storage import lookup
from hetao.storage.types import utcnow
from hetao.timeutil import add_months, zone_today
from hetao.workflow import Workflow, audit

__all__ = [
    "APPLICATION_TRANSITIONS",
    "DUTY_FREE_RESEARCH_GOODS",
    "ENTRY_TRANSITIONS",
    "BeneficiaryEntryState",
    "approve",
    "assert_beneficiary_entry",
    "beneficiary_entry_state",
    "create_application",
    "decline",
    "entries_in_force",
    "entry_state",
    "expire_due",
    "is_beneficiary",
    "reinstate",
    "request_information",
    "resubmit",
    "revoke",
    "submit",
    "suspend",
]

#: The exemption of Cai Guan Shui [2026] No. 1 that only beneficiaries may hold (R2, R4).
DUTY_FREE_RESEARCH_GOODS = "duty_free_research_goods"
#: The exemptions only beneficiary institutions may hold, each with its rule: R4's research
#: goods and R23's zero tariff (both for "beneficiaries"; R19's list is the zone's own).
BENEFICIARIES_ONLY = {
    DUTY_FREE_RESEARCH_GOODS: ("the duty-free research goods exemption", "R4"),
    "zero_tariff_goods": ("the zero-tariff exemption", "R23"),
}

# --- workflow tables -----------------------------------------------------------------------
# Each verb: the states it may start from and the state it leads to. One table, so the allowed
# and forbidden transitions are data a test can walk exhaustively.

APPLICATION_TRANSITIONS: Workflow[ApplicationStatus] = Workflow(
    "application",
    {
        "submit": ({ApplicationStatus.DRAFT}, ApplicationStatus.SUBMITTED),
        "request_information": (
            {ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED},
            ApplicationStatus.INFORMATION_REQUESTED,
        ),
        "resubmit": ({ApplicationStatus.INFORMATION_REQUESTED}, ApplicationStatus.RESUBMITTED),
        "approve": (
            {ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED},
            ApplicationStatus.APPROVED,
        ),
        "decline": (
            {ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED},
            ApplicationStatus.DECLINED,
        ),
    },
)

ENTRY_TRANSITIONS: Workflow[EntryStatus] = Workflow(
    "entry",
    {
        "suspend": ({EntryStatus.ACTIVE}, EntryStatus.SUSPENDED),
        "reinstate": ({EntryStatus.SUSPENDED}, EntryStatus.ACTIVE),
        "revoke": ({EntryStatus.ACTIVE, EntryStatus.SUSPENDED}, EntryStatus.REVOKED),
        "expire": ({EntryStatus.ACTIVE, EntryStatus.SUSPENDED}, EntryStatus.EXPIRED),
    },
)


# --- whitelist applications ----------------------------------------------------------------


def _check_scopes(
    profile: ZoneProfile, *, flows: Sequence[str], lines: Sequence[str], exemptions: Sequence[str]
) -> None:
    vocabulary = profile.whitelist.scopes
    problems = []
    for field, values, allowed in (
        ("flows", flows, vocabulary.flows),
        ("lines", lines, vocabulary.lines),
        ("exemptions", exemptions, vocabulary.exemptions),
    ):
        known = {str(a) for a in allowed}
        for i, value in enumerate(values):
            if value not in known:
                problems.append(
                    FieldProblem(
                        f"{field}[{i}]",
                        f"profile.scope.{field}",
                        f"{value!r} is not one of: {', '.join(sorted(known))}",
                    )
                )
        if len(set(values)) != len(values):
            problems.append(FieldProblem(field, "scope.no_duplicates", "lists a value twice"))
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)


def create_application(
    session: Session, data: ApplicationCreate, *, profile: ZoneProfile, actor: Actor
) -> WhitelistApplication:
    """Open a draft application after checking its subject exists and its scopes are known."""
    _check_scopes(profile, flows=data.flows, lines=data.lines, exemptions=data.exemptions)
    values = data.model_dump()
    party = lookup.get(session, Party, data.party_id) if data.party_id is not None else None
    for exemption, (name, rule) in BENEFICIARIES_ONLY.items():
        if exemption in data.exemptions and (
            data.subject_kind is not SubjectKind.INSTITUTION
            or party is None
            or party.kind not in BENEFICIARY_KINDS
        ):
            raise RuleViolation(
                f"{name} is for beneficiary institutions only (R2, {rule})",
                problems=[
                    FieldProblem(
                        "exemptions",
                        f"{rule}.beneficiaries_only",
                        f"{exemption} needs a beneficiary institution as the subject",
                    )
                ],
            )
    if data.subject_kind is SubjectKind.INDIVIDUAL:
        assert data.person_id is not None  # noqa: S101 (guaranteed by the schema)
        assert data.party_id is not None  # noqa: S101 (guaranteed by the schema)
        lookup.get(session, Person, data.person_id)
        if not repo.is_affiliated(session, person_id=data.person_id, party_id=data.party_id):
            raise ValidationFailed.single(
                "party_id",
                "application.sponsor_affiliated",
                f"person {data.person_id} is not affiliated with party {data.party_id}",
            )
    if data.subject_kind is SubjectKind.VEHICLE:
        assert data.vehicle_id is not None  # noqa: S101 (guaranteed by the schema)
        vehicle = lookup.get(session, Vehicle, data.vehicle_id)
        if data.party_id is not None and data.party_id != vehicle.owner_party_id:
            raise ValidationFailed.single(
                "party_id", "application.vehicle_owner", "must be the vehicle's owner"
            )
        values["party_id"] = vehicle.owner_party_id
    application = WhitelistApplication(**values)
    session.add(application)
    session.flush()  # the id is needed by the audit event
    audit(session, RegistryTag.APPLICATION_CREATE, application.id, actor, subject=data.subject_kind)
    return application


def submit(session: Session, application: WhitelistApplication, *, actor: Actor) -> None:
    """Send a draft to the zone reviewers."""
    before = APPLICATION_TRANSITIONS.move(application, "submit")
    application.submitted_at = utcnow()
    audit(session, RegistryTag.APPLICATION_SUBMIT, application.id, actor, before=before)


def request_information(
    session: Session, application: WhitelistApplication, *, note: str, actor: Actor
) -> None:
    """Ask the applicant for more information, saying what is missing."""
    before = APPLICATION_TRANSITIONS.move(application, "request_information")
    application.reviewer_note = note
    audit(
        session,
        RegistryTag.APPLICATION_REQUEST_INFORMATION,
        application.id,
        actor,
        before=before,
        note=note,
    )


def resubmit(
    session: Session,
    application: WhitelistApplication,
    answer: Resubmission,
    *,
    profile: ZoneProfile,
    actor: Actor,
) -> None:
    """Answer a request for information, optionally amending the scopes."""
    flows = answer.flows if answer.flows is not None else application.flows
    lines = answer.lines if answer.lines is not None else application.lines
    exemptions = answer.exemptions if answer.exemptions is not None else application.exemptions
    _check_scopes(profile, flows=flows, lines=lines, exemptions=exemptions)
    before = APPLICATION_TRANSITIONS.move(application, "resubmit")
    application.flows, application.lines, application.exemptions = (
        list(flows),
        list(lines),
        list(exemptions),
    )
    application.justification = (application.justification + "\n\n" + answer.answer).strip()
    audit(
        session,
        RegistryTag.APPLICATION_RESUBMIT,
        application.id,
        actor,
        before=before,
        answer=answer.answer,
    )


def _subject_id(obj: WhitelistApplication | WhitelistEntry) -> int | str:
    subject: int | str | None = {
        SubjectKind.INSTITUTION: obj.party_id,
        SubjectKind.INDIVIDUAL: obj.person_id,
        SubjectKind.VEHICLE: obj.vehicle_id,
        SubjectKind.INDUSTRY: obj.industry,
    }[obj.subject_kind]
    assert subject is not None  # noqa: S101 (the schema requires it)
    return subject


def approve(
    session: Session,
    application: WhitelistApplication,
    *,
    profile: ZoneProfile,
    actor: Actor,
    note: str | None = None,
    today: dt.date | None = None,
) -> WhitelistEntry:
    """Approve and make the entry; a live entry of the same subject is superseded (revoked)."""
    before = APPLICATION_TRANSITIONS.move(application, "approve")
    today = today or zone_today(profile.zone.timezone)
    valid_from = application.valid_from or today
    months = profile.whitelist.validity_months.months_for(application.subject_kind)
    valid_until = application.valid_until or add_months(valid_from, months) - dt.timedelta(days=1)
    if valid_until < today:
        raise RuleViolation(
            f"the requested validity ended on {valid_until}",
            problems=[FieldProblem("valid_until", "entry.window_in_future", "is in the past")],
        )
    application.reviewer_note = note
    application.decided_at = utcnow()
    superseded = repo.live_entries_for_subject(
        session, subject_kind=application.subject_kind, subject_id=_subject_id(application)
    )
    entry = WhitelistEntry(
        application_id=application.id,
        subject_kind=application.subject_kind,
        party_id=application.party_id,
        person_id=application.person_id,
        vehicle_id=application.vehicle_id,
        industry=application.industry,
        flows=list(application.flows),
        lines=list(application.lines),
        exemptions=list(application.exemptions),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(entry)
    session.flush()  # the entry id is named in the superseded entries and the audit events
    for old in superseded:
        revoke(session, old, note=f"superseded by entry {entry.id}", actor=actor)
    audit(
        session,
        RegistryTag.APPLICATION_APPROVE,
        application.id,
        actor,
        before=before,
        entry=entry.id,
        note=note,
    )
    audit(
        session,
        RegistryTag.ENTRY_CREATE,
        entry.id,
        actor,
        application=application.id,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return entry


def decline(
    session: Session, application: WhitelistApplication, *, note: str, actor: Actor
) -> None:
    """Decline with the reason the applicant will read."""
    before = APPLICATION_TRANSITIONS.move(application, "decline")
    application.reviewer_note = note
    application.decided_at = utcnow()
    audit(session, RegistryTag.APPLICATION_DECLINE, application.id, actor, before=before, note=note)


# --- whitelist entries ---------------------------------------------------------------------


def suspend(session: Session, entry: WhitelistEntry, *, note: str, actor: Actor) -> None:
    """Take an entry out of force until it is reinstated."""
    before = ENTRY_TRANSITIONS.move(entry, "suspend")
    entry.status_reason = note
    audit(session, RegistryTag.ENTRY_SUSPEND, entry.id, actor, before=before, note=note)


def reinstate(
    session: Session,
    entry: WhitelistEntry,
    *,
    profile: ZoneProfile,
    actor: Actor,
    note: str | None = None,
    today: dt.date | None = None,
) -> None:
    """Put a suspended entry back in force, unless its validity window has closed."""
    today = today or zone_today(profile.zone.timezone)
    if entry.status is EntryStatus.SUSPENDED and entry.valid_until < today:
        raise RuleViolation(
            f"entry {entry.id} ended on {entry.valid_until}; it expires instead",
            problems=[FieldProblem("valid_until", "entry.reinstate_within_window", "has passed")],
        )
    before = ENTRY_TRANSITIONS.move(entry, "reinstate")
    entry.status_reason = note
    audit(session, RegistryTag.ENTRY_REINSTATE, entry.id, actor, before=before, note=note)


def revoke(session: Session, entry: WhitelistEntry, *, note: str, actor: Actor) -> None:
    """End an entry for good."""
    before = ENTRY_TRANSITIONS.move(entry, "revoke")
    entry.status_reason = note
    audit(session, RegistryTag.ENTRY_REVOKE, entry.id, actor, before=before, note=note)


def expire_due(session: Session, *, today: dt.date, actor: Actor) -> list[WhitelistEntry]:
    """Expire every live entry whose validity window closed before ``today``."""
    due = repo.entries_due_to_expire(session, today=today)
    for entry in due:
        before = ENTRY_TRANSITIONS.move(entry, "expire")
        entry.status_reason = f"validity ended on {entry.valid_until}"
        audit(session, RegistryTag.ENTRY_EXPIRE, entry.id, actor, before=before)
    return due


# --- beneficiaries: an active whitelist entry on the day (R3, R4, R8, R19) ------------------


class BeneficiaryEntryState(StrEnum):
    """Where a party's whitelist entry stands for an exemption on a given day and line."""

    ACTIVE = "active"
    """Active, valid on the day and in scope for goods at the line: the exemption may apply."""
    NONE = "none"
    """The party has no whitelist entry of its own."""
    SUSPENDED = "suspended"
    """Its newest entry is suspended."""
    REVOKED = "revoked"
    """Its newest entry is revoked."""
    EXPIRED = "expired"
    """Its newest entry expired, or its validity ended before the day."""
    NOT_YET_VALID = "not_yet_valid"
    """Its newest entry is active but valid only from a later day."""
    OUT_OF_SCOPE = "out_of_scope"
    """Its newest entry does not cover goods at that line."""


def entry_state(entry: WhitelistEntry, *, on: dt.date, line: Line) -> BeneficiaryEntryState:
    """Where one entry stands for goods at ``line`` on ``on``: ACTIVE when in force."""
    if entry.status is not EntryStatus.ACTIVE:
        return BeneficiaryEntryState(entry.status.value)
    if entry.valid_until < on:
        return BeneficiaryEntryState.EXPIRED
    if entry.valid_from > on:
        return BeneficiaryEntryState.NOT_YET_VALID
    if Flow.GOODS.value not in entry.flows or line.value not in entry.lines:
        return BeneficiaryEntryState.OUT_OF_SCOPE
    return BeneficiaryEntryState.ACTIVE


def entries_in_force(
    session: Session, party: Party, *, on: dt.date, line: Line
) -> list[WhitelistEntry]:
    """The party's own whitelist entries in force for goods at ``line`` on ``on`` (active, valid
    on the day, covering the goods flow and the line), newest first."""
    return [
        entry
        for entry in repo.institution_entries(session, party_id=party.id)
        if entry_state(entry, on=on, line=line) is BeneficiaryEntryState.ACTIVE
    ]


def beneficiary_entry_state(
    session: Session, party: Party, *, on: dt.date, line: Line
) -> BeneficiaryEntryState:
    """ACTIVE if one of the party's entries is in force for goods at ``line`` on ``on`` (a zone
    date); otherwise the state of its newest entry, which is the one a superseding left."""
    entries = repo.institution_entries(session, party_id=party.id)
    states = [entry_state(entry, on=on, line=line) for entry in entries]
    if BeneficiaryEntryState.ACTIVE in states:
        return BeneficiaryEntryState.ACTIVE
    return states[0] if states else BeneficiaryEntryState.NONE


def is_beneficiary(session: Session, party: Party, *, on: dt.date, line: Line) -> bool:
    """A beneficiary on the day: a kind of R2 and an active whitelist entry (R3)."""
    return (
        party.kind in BENEFICIARY_KINDS
        and beneficiary_entry_state(session, party, on=on, line=line)
        is BeneficiaryEntryState.ACTIVE
    )


def assert_beneficiary_entry(
    session: Session, party: Party, *, on: dt.date, line: Line, rule: str, field: str
) -> None:
    """Refuse an exemption of ``rule`` (R4, R8, R19) to a party whose whitelist entry is not in
    force for goods at ``line`` on ``on``, naming the entry's state in the rule code."""
    state = beneficiary_entry_state(session, party, on=on, line=line)
    if state is BeneficiaryEntryState.ACTIVE:
        return
    raise RuleViolation(
        f"party {party.id} has no whitelist entry in force for goods at the {line} line on {on} "
        f"(entry: {state}); the exemption is for whitelisted beneficiaries only ({rule}, R3)",
        problems=[FieldProblem(field, f"{rule}.entry_{state}", f"whitelist entry: {state}")],
    )
