"""Registry services: each workflow transition is one function named by its verb.

Services never commit: the caller's unit of work does. Every change records an audit event in
the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import RegistryTag
from hetao.errors import (
    Conflict,
    FieldProblem,
    RuleViolation,
    ValidationFailed,
)
from hetao.profiles import Flow, Line, ZoneProfile
from hetao.registry import repository as repo
from hetao.registry.models import (
    BENEFICIARY_KINDS,
    Affiliation,
    ApplicationStatus,
    Approval,
    ApprovalKind,
    EntryStatus,
    ExemptionWaiver,
    IdentityDocument,
    Party,
    PartyStanding,
    PartyStatus,
    Person,
    SubjectKind,
    Vehicle,
    VehiclePermit,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.schemas import (
    ApplicationCreate,
    ApprovalCreate,
    PartyCreate,
    PersonCreate,
    Resubmission,
    StandingChange,
    StandingCreate,
    VehicleCreate,
    WaiverCreate,
)
from hetao.storage.types import utcnow
from hetao.timeutil import add_months, zone_today
from hetao.workflow import Workflow, audit

#: The exemption of Cai Guan Shui [2026] No. 1 that only beneficiaries may hold (R2, R4).
DUTY_FREE_RESEARCH_GOODS = "duty_free_research_goods"

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


# --- parties, persons, vehicles ------------------------------------------------------------


def create_party(session: Session, data: PartyCreate, *, actor: Actor) -> Party:
    """Register a party; a registration number already known is a conflict."""
    clash = repo.party_by_registration(session, uscc=data.uscc, hk_br=data.hk_br)
    if clash is not None:
        field = "uscc" if data.uscc and clash.uscc == data.uscc else "hk_br"
        raise Conflict(
            f"{field} is already registered to party {clash.id}",
            problems=[FieldProblem(field, "party.unique_registration", "is already registered")],
        )
    party = Party(**data.model_dump())
    session.add(party)
    session.flush()  # the id is needed by the audit event
    audit(session, RegistryTag.PARTY_CREATE, party.id, actor, kind=party.kind, name=party.name_en)
    return party


def _missing_parties(session: Session, wanted: Iterable[tuple[str, int]]) -> list[FieldProblem]:
    pairs = list(wanted)
    known = repo.existing_party_ids(session, {pid for _, pid in pairs})
    return [
        FieldProblem(field, "party.exists", f"party {pid} does not exist")
        for field, pid in pairs
        if pid not in known
    ]


_UNIQUENESS_RULES = frozenset({"document.unique", "vehicle.unique_plate", "permit.unique_number"})


def _raise_if_any(problems: list[FieldProblem]) -> None:
    """Clashes with what is registered are conflicts; anything else is invalid input."""
    if not problems:
        return
    if all(p.rule in _UNIQUENESS_RULES for p in problems):
        raise Conflict(problems[0].message, problems=problems)
    raise ValidationFailed(problems[0].message, problems=problems)


def person_problems(session: Session, people: Sequence[PersonCreate]) -> list[FieldProblem]:
    """What stops these persons being registered: unknown parties, documents already known.

    Fields are named ``[i].path`` by position, so a bulk import can point at the row.
    """
    problems = _missing_parties(
        session,
        (
            (f"[{i}].affiliations[{j}].party_id", aff.party_id)
            for i, p in enumerate(people)
            for j, aff in enumerate(p.affiliations)
        ),
    )
    keys = [(str(d.kind), d.issuing_country, d.number) for p in people for d in p.documents]
    clashes = repo.existing_documents(session, keys)
    seen: set[tuple[str, str, str]] = set()
    for i, person in enumerate(people):
        for j, doc in enumerate(person.documents):
            key = (str(doc.kind), doc.issuing_country, doc.number)
            if key in clashes or key in seen:
                problems.append(
                    FieldProblem(
                        f"[{i}].documents[{j}].number",
                        "document.unique",
                        f"{doc.kind} {doc.number} is already registered",
                    )
                )
            seen.add(key)
    return problems


def create_persons(
    session: Session, people: Sequence[PersonCreate], *, actor: Actor
) -> list[Person]:
    """Register persons with their documents and affiliations, all or nothing."""
    _raise_if_any(person_problems(session, people))
    created = []
    for data in people:
        person = Person(
            **data.model_dump(exclude={"documents", "affiliations"}),
            documents=[IdentityDocument(**d.model_dump()) for d in data.documents],
            affiliations=[Affiliation(**a.model_dump()) for a in data.affiliations],
        )
        session.add(person)
        created.append(person)
    session.flush()  # ids for the audit events
    for person in created:
        audit(session, RegistryTag.PERSON_CREATE, person.id, actor, residency=person.residency)
    return created


def create_person(session: Session, data: PersonCreate, *, actor: Actor) -> Person:
    """Register one person."""
    return create_persons(session, [data], actor=actor)[0]


def vehicle_problems(
    session: Session, vehicles: Sequence[VehicleCreate], *, profile: ZoneProfile
) -> list[FieldProblem]:
    """What stops these vehicles being registered: unknown owners or crossing points, clashes."""
    problems = _missing_parties(
        session, ((f"[{i}].owner_party_id", v.owner_party_id) for i, v in enumerate(vehicles))
    )
    known_points = {cp.code for cp in profile.crossing_points}
    problems += [
        FieldProblem(
            f"[{i}].permits[{j}].crossing_points",
            "profile.crossing_point",
            f"{code} is not a crossing point of {profile.zone.code}",
        )
        for i, v in enumerate(vehicles)
        for j, permit in enumerate(v.permits)
        for code in permit.crossing_points
        if code not in known_points
    ]
    plate_clashes = repo.existing_plates(
        session, [(str(v.plate_region), v.plate) for v in vehicles]
    )
    number_clashes = repo.existing_permit_numbers(
        session, [p.number for v in vehicles for p in v.permits]
    )
    seen_plates: set[tuple[str, str]] = set()
    seen_numbers: set[str] = set()
    for i, v in enumerate(vehicles):
        key = (str(v.plate_region), v.plate)
        if key in plate_clashes or key in seen_plates:
            problems.append(
                FieldProblem(
                    f"[{i}].plate", "vehicle.unique_plate", f"{v.plate} is already registered"
                )
            )
        seen_plates.add(key)
        for j, permit in enumerate(v.permits):
            if permit.number in number_clashes or permit.number in seen_numbers:
                problems.append(
                    FieldProblem(
                        f"[{i}].permits[{j}].number",
                        "permit.unique_number",
                        f"permit {permit.number} is already registered",
                    )
                )
            seen_numbers.add(permit.number)
    return problems


def create_vehicles(
    session: Session, vehicles: Sequence[VehicleCreate], *, profile: ZoneProfile, actor: Actor
) -> list[Vehicle]:
    """Register vehicles with their permits, all or nothing."""
    _raise_if_any(vehicle_problems(session, vehicles, profile=profile))
    created = []
    for data in vehicles:
        vehicle = Vehicle(
            **data.model_dump(exclude={"permits"}),
            permits=[VehiclePermit(**p.model_dump()) for p in data.permits],
        )
        session.add(vehicle)
        created.append(vehicle)
    session.flush()  # ids for the audit events
    for vehicle in created:
        audit(session, RegistryTag.VEHICLE_CREATE, vehicle.id, actor, plate=vehicle.plate)
    return created


def create_vehicle(
    session: Session, data: VehicleCreate, *, profile: ZoneProfile, actor: Actor
) -> Vehicle:
    """Register one vehicle."""
    return create_vehicles(session, [data], profile=profile, actor=actor)[0]


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
    party = repo.get(session, Party, data.party_id) if data.party_id is not None else None
    if DUTY_FREE_RESEARCH_GOODS in data.exemptions and (
        data.subject_kind is not SubjectKind.INSTITUTION
        or party is None
        or party.kind not in BENEFICIARY_KINDS
    ):
        raise RuleViolation(
            "the duty-free research goods exemption is for beneficiary institutions only (R2, R4)",
            problems=[
                FieldProblem(
                    "exemptions",
                    "R4.beneficiaries_only",
                    "duty_free_research_goods needs a beneficiary institution as the subject",
                )
            ],
        )
    if data.subject_kind is SubjectKind.INDIVIDUAL:
        assert data.person_id is not None  # noqa: S101 (guaranteed by the schema)
        assert data.party_id is not None  # noqa: S101 (guaranteed by the schema)
        repo.get(session, Person, data.person_id)
        if not repo.is_affiliated(session, person_id=data.person_id, party_id=data.party_id):
            raise ValidationFailed.single(
                "party_id",
                "application.sponsor_affiliated",
                f"person {data.person_id} is not affiliated with party {data.party_id}",
            )
    if data.subject_kind is SubjectKind.VEHICLE:
        assert data.vehicle_id is not None  # noqa: S101 (guaranteed by the schema)
        vehicle = repo.get(session, Vehicle, data.vehicle_id)
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


def _entry_state(entry: WhitelistEntry, *, on: dt.date, line: Line) -> BeneficiaryEntryState:
    if entry.status is not EntryStatus.ACTIVE:
        return BeneficiaryEntryState(entry.status.value)
    if entry.valid_until < on:
        return BeneficiaryEntryState.EXPIRED
    if entry.valid_from > on:
        return BeneficiaryEntryState.NOT_YET_VALID
    if Flow.GOODS.value not in entry.flows or line.value not in entry.lines:
        return BeneficiaryEntryState.OUT_OF_SCOPE
    return BeneficiaryEntryState.ACTIVE


def beneficiary_entry_state(
    session: Session, party: Party, *, on: dt.date, line: Line
) -> BeneficiaryEntryState:
    """ACTIVE if one of the party's entries is in force for goods at ``line`` on ``on`` (a zone
    date); otherwise the state of its newest entry, which is the one a superseding left."""
    entries = repo.institution_entries(session, party_id=party.id)
    states = [_entry_state(entry, on=on, line=line) for entry in entries]
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


# --- the approvals register (R11, R41) ---------------------------------------------------------


def record_approval(session: Session, data: ApprovalCreate, *, actor: Actor) -> Approval:
    """Record an approval as its issuer gave it; the same kind and number twice is a conflict."""
    party = repo.get(session, Party, data.party_id)
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
