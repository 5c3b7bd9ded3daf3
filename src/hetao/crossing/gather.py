"""Facts for one crossing event, read from the registry, the ledger and the credentials.

Everything the decision needs is read here, once, into plain values (``hetao.engine.facts``);
the decision itself reads nothing. An unknown document, plate or declaration is a fact (no
registry match), never an exception: the gate must still get an answer. Reads take no locks:
a crossing is decided on the registry as it stood when the event arrived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hetao.biometrics import gate as face_gate
from hetao.biometrics.schemas import FaceClaimIn
from hetao.crossing import repository
from hetao.crossing.models import SelectionCounter
from hetao.crossing.schemas import (
    ConsignmentIn,
    CrossingIn,
    PersonIn,
    PersonSubject,
    VehicleSubject,
)
from hetao.declarations import repository as declarations_repository
from hetao.declarations import service as declarations_service
from hetao.declarations.models import Declaration, DeclarationLine
from hetao.engine.facts import (
    NOT_WHITELISTED,
    ConsignmentFacts,
    CredentialFacts,
    CrossingFacts,
    FaceFacts,
    GoodsLine,
    PartyFacts,
    PersonFacts,
    SelectionState,
    Subject,
    VehicleFacts,
    WhitelistStanding,
)
from hetao.engine.loan_facts import LoanFacts
from hetao.engine.selection import period_start
from hetao.errors import HetaoError, ValidationFailed
from hetao.ledger.models import CustomsStatus
from hetao.loans import repository as loans_repository
from hetao.profiles import CrossingPoint, Exemption, ZoneProfile
from hetao.reference.rates import RateTable
from hetao.reference_versions import service as reference_versions
from hetao.registry import approvals as registry_approvals
from hetao.registry import repository as registry_repo
from hetao.registry.models import (
    ApprovalKind,
    EntryStatus,
    Party,
    SubjectKind,
)
from hetao.registry.repository import EntryRow

#: Verifies a presented zone credential online: (person id or None, facts).
CredentialCheck = Callable[[Session, str, dt.datetime], tuple[int | None, CredentialFacts]]
#: A traveller's face claim turned into facts (hetao.biometrics.gate.FaceCheck).
FaceCheck = Callable[[Session, int | None, FaceClaimIn, dt.datetime], FaceFacts]

HISTORY = dt.timedelta(days=365)


@lru_cache(maxsize=8)
def _zone(timezone: str) -> ZoneInfo:
    return ZoneInfo(timezone)


def zone_day(instant: dt.datetime, profile: ZoneProfile) -> dt.date:
    """The date at the zone of an instant: validity windows are whole local days."""
    return instant.astimezone(_zone(profile.zone.timezone)).date()


# --- whitelist standing -----------------------------------------------------------------------


def _best_entry(entries: Sequence[EntryRow], day: dt.date) -> EntryRow | None:
    """The entry that speaks for the subject on ``day``: one in force, else the newest."""
    for entry in entries:
        if entry.status is EntryStatus.ACTIVE and entry.valid_from <= day <= entry.valid_until:
            return entry
    for entry in entries:
        if entry.status is EntryStatus.ACTIVE:
            return entry
    return entries[0] if entries else None


def _standing(
    session: Session,
    *,
    kind: SubjectKind,
    subject_id: int,
    day: dt.date,
    locked_out: tuple[str, ...] = (),
) -> WhitelistStanding:
    rows = registry_repo.entry_rows_of(session.connection(), kind, subject_id)
    entry = _best_entry(rows, day)
    if entry is None:
        return WhitelistStanding(
            entry_id=None,
            status=None,
            valid_from=None,
            valid_until=None,
            locked_out_goods_kinds=locked_out,
        )
    return WhitelistStanding(
        entry_id=entry.id,
        status=entry.status.value,
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
        flows=tuple(entry.flows),
        lines=tuple(entry.lines),
        exemptions=tuple(entry.exemptions),
        locked_out_goods_kinds=locked_out,
    )


# --- parties and persons ----------------------------------------------------------------------


def party_facts(session: Session, party: Party, *, at: dt.datetime, day: dt.date) -> PartyFacts:
    """A party's standing on the crossing day and its inspections of the last year."""
    locked_out = registry_repo.locked_out_goods_kinds(session, party.id, day)  # R6
    inspections, discrepancies = repository.party_history(session, party.id, at - HISTORY)
    return PartyFacts(
        party_id=party.id,
        kind=party.kind.value,
        status=party.status.value,
        credit_level=party.credit_level.value,
        whitelist=_standing(
            session,
            kind=SubjectKind.INSTITUTION,
            subject_id=party.id,
            day=day,
            locked_out=locked_out,
        ),
        inspections_last_365d=inspections,
        discrepancies_last_365d=discrepancies,
        code=party.uscc or party.hk_br,
    )


#: The document matched people of several countries: see PersonFacts.document_ambiguous.
_AMBIGUOUS = (0, "")


def _person_by_document(session: Session, person: PersonIn) -> tuple[int, str] | None:
    """The person holding the document, None if nobody does, or _AMBIGUOUS."""
    document = person.document
    if document is None:  # pragma: no cover - the schema requires a document or a credential
        return None
    rows = registry_repo.holders_of_document(
        session.connection(),
        kind=document.kind,
        number=document.number.upper(),
        country=document.issuing_country,
    )
    if not rows:
        return None
    if len({row[0] for row in rows}) > 1:
        return _AMBIGUOUS
    return rows[0][0], rows[0][1].value


def person_facts(
    session: Session,
    person: PersonIn,
    *,
    at: dt.datetime,
    day: dt.date,
    credentials: CredentialCheck | None,
    faces: FaceCheck | None = None,
) -> PersonFacts:
    """A traveller by document or zone credential; unknown ones have person_id None."""
    known = _known_person(session, person, at=at, day=day, credentials=credentials)
    if person.face is None:
        return known
    if faces is None:  # no verifier where the event arrived: the officer looks
        return replace(known, face=face_gate.unchecked(person.face))
    return replace(known, face=faces(session, known.person_id, person.face, at))


def _known_person(
    session: Session,
    person: PersonIn,
    *,
    at: dt.datetime,
    day: dt.date,
    credentials: CredentialCheck | None,
) -> PersonFacts:
    credential: CredentialFacts | None = None
    found: tuple[int, str] | None = None
    if person.credential is not None:
        if credentials is None:
            credential = CredentialFacts(credential_id="", status="unknown_key")
        else:
            person_id, credential = credentials(session, person.credential, at)
            if person_id is not None:
                row = registry_repo.find_person(session, person_id)
                found = None if row is None else (row.id, row.residency.value)
    else:
        found = _person_by_document(session, person)
    if found is None or found is _AMBIGUOUS:
        return PersonFacts(
            person_id=None,
            residency=None,
            whitelist=NOT_WHITELISTED,
            credential=credential,
            document_ambiguous=found is _AMBIGUOUS,
        )
    person_id, residency = found
    standing = _standing(session, kind=SubjectKind.INDIVIDUAL, subject_id=person_id, day=day)
    return PersonFacts(
        person_id=person_id,
        residency=residency,
        whitelist=standing,
        credential=credential,
        # R13: a person whose whitelist scope carries the Channel No. 1 hand-carry exemption is
        # designated by their institution to carry research goods by hand.
        designated_carrier=Exemption.HAND_CARRY_CHANNEL1.value in standing.exemptions,
    )


# --- goods ------------------------------------------------------------------------------------


def _value_cny(line: DeclarationLine, day: dt.date, rates: RateTable) -> Decimal:
    """The line's value in CNY at the customs rate of the declared day (the rates in force)."""
    if line.currency == "CNY":
        return line.customs_value
    try:
        rate = rates.rate(line.currency, on=day)
    except HetaoError:
        return line.customs_value  # no rate for the month: the declared figure, unconverted
    return (line.customs_value * rate.cny_per_unit).quantize(Decimal("0.01"))


def _declaration(
    session: Session, consignment: ConsignmentIn, carrier_id: int | None
) -> tuple[Declaration, bool | None] | None:
    """The declaration named, and whether the carrier (if known) is of its party: one query."""
    return declarations_repository.declaration_at_the_gate(
        session,
        declaration_id=consignment.declaration_id,
        party_id=consignment.party_id,
        reference=consignment.reference,
        carrier_id=carrier_id,
    )


def _approval_verdict(
    session: Session,
    kind: ApprovalKind,
    number: str | None,
    line: DeclarationLine,
    *,
    party_id: int,
    named: str | None,
    day: dt.date,
) -> str | None:
    """The approvals register's verdict on ``number`` for the line on ``day`` (R11, R41). The
    approval the line itself names was drawn from at clearing: it needs no quantity left."""
    if number is None:
        return None
    state = registry_approvals.approval_state(
        registry_repo.approval_by_number(session, kind=kind, number=number),
        party_id=party_id,
        hs_code=line.hs_code,
        goods_kind=line.goods_kind,
        quantity=Decimal(0) if number == named else line.quantity,
        unit=line.unit,
        on=day,
    )
    return state.value


def _presented(consignment: ConsignmentIn, declaration: Declaration) -> dict[int, Decimal] | None:
    """The quantities the crossing names per line; None when it names none (all that is left)."""
    if consignment.lines is None:
        return None
    declared = {line.line_no for line in declaration.lines}
    unknown = sorted({line.line_no for line in consignment.lines} - declared)
    if unknown:
        raise ValidationFailed.single(
            "lines",
            "crossing.line_unknown",
            f"declaration {declaration.id} has no line {', '.join(map(str, unknown))}",
        )
    return {line.line_no: line.quantity for line in consignment.lines}


def loan_facts(
    session: Session,
    consignment: ConsignmentIn,
    *,
    at: dt.datetime,
    day: dt.date,
    credentials: CredentialCheck | None,
) -> ConsignmentFacts:
    """An instrument crossing on a loan (issue 20): the loan as recorded, and the zone party
    whose standing the goods cross on. An unknown loan is a fact, never an exception."""
    loan_id, serial = consignment.loan_id or 0, consignment.serial or ""
    carrier = None
    if consignment.carrier is not None:
        carrier = person_facts(
            session, consignment.carrier, at=at, day=day, credentials=credentials
        )
    loan = loans_repository.find_loan(session, loan_id)
    if loan is None:
        return ConsignmentFacts(
            declaration_id=None,
            declaration_status=None,
            party=None,
            lines=(),
            hand_carried=bool(consignment.hand_carried),
            carrier=carrier,
            loan=LoanFacts(loan_id=loan_id, serial_presented=serial),
        )
    party = registry_repo.find_party(session, loan.zone_party_id)
    return ConsignmentFacts(
        declaration_id=None,
        declaration_status=None,
        party=None if party is None else party_facts(session, party, at=at, day=day),
        lines=(),
        hand_carried=bool(consignment.hand_carried),
        carrier=carrier,
        loan=LoanFacts(
            loan_id=loan.id,
            serial_presented=serial,
            found=True,
            direction=loan.direction.value,
            status=loan.status.value,
            serial=loan.serial,
            zone_party_id=loan.zone_party_id,
            due_on=loan.due_on,
        ),
    )


def consignment_facts(
    session: Session,
    consignment: ConsignmentIn,
    *,
    at: dt.datetime,
    day: dt.date,
    credentials: CredentialCheck | None,
) -> ConsignmentFacts:
    """Goods under a declaration, line by line, with the approvals presented at the gate."""
    if consignment.loan_id is not None:
        return loan_facts(session, consignment, at=at, day=day, credentials=credentials)
    carrier = None
    if consignment.carrier is not None:
        carrier = person_facts(
            session, consignment.carrier, at=at, day=day, credentials=credentials
        )
    found = _declaration(session, consignment, None if carrier is None else carrier.person_id)
    if found is None:
        return ConsignmentFacts(
            declaration_id=None,
            declaration_status=None,
            party=None,
            lines=(),
            hand_carried=bool(consignment.hand_carried),
            carrier=carrier,
        )
    declaration, carrier_affiliated = found
    approvals = {a.line_no: a for a in consignment.approvals}
    presented = _presented(consignment, declaration)
    # R12: the catalogue in force on the day says which goods are legally inspected.
    listings = declarations_service.inspection_listings(session, declaration, on=day)
    # The value is converted as clearance converts it: the rate table in force (on the day, as
    # clearance takes today's), at the rate of the declared day's month.
    rates = reference_versions.rates_in_force(session, on=day)
    lines = []
    for line in declaration.lines:
        listing = listings.get(line.line_no)
        approval = approvals.get(line.line_no)
        # Presented at the gate, or else the one the declaration line names.
        special = (approval and approval.special_article_approval) or line.special_article_approval
        hgr = (approval and approval.hgr_approval) or line.hgr_approval
        lines.append(
            GoodsLine(
                line_no=line.line_no,
                hs_code=line.hs_code,
                goods_kind=line.goods_kind,
                origin=line.origin,
                value_cny=_value_cny(line, declaration.declared_on, rates),
                quantity=line.quantity,
                unit=line.unit,
                bonded=line.bonded or line.customs_status is CustomsStatus.BONDED,
                special_article=line.special_article,
                special_article_approval=special,
                hgr=line.hgr_material,
                hgr_approval=hgr,
                special_article_approval_state=_approval_verdict(
                    session,
                    ApprovalKind.SPECIAL_ARTICLE_QUARANTINE,
                    special,
                    line,
                    named=line.special_article_approval,
                    party_id=declaration.party_id,
                    day=day,
                ),
                hgr_approval_state=_approval_verdict(
                    session,
                    ApprovalKind.HUMAN_GENETIC_RESOURCES,
                    hgr,
                    line,
                    named=line.hgr_approval,
                    party_id=declaration.party_id,
                    day=day,
                ),
                customs_status=line.customs_status.value,
                crossed=line.quantity_crossed,
                presented=None if presented is None else presented.get(line.line_no, Decimal(0)),
                legally_inspected=line.legally_inspected or listing is not None,
                inspection_listing=None if listing is None else listing.label,
            )
        )
    party = registry_repo.find_party(session, declaration.party_id)
    hand_carried = (
        declaration.hand_carried if consignment.hand_carried is None else consignment.hand_carried
    )
    return ConsignmentFacts(
        declaration_id=declaration.id,
        declaration_status=declaration.status.value,
        party=None if party is None else party_facts(session, party, at=at, day=day),
        lines=tuple(lines),
        hand_carried=hand_carried,
        carrier=carrier,
        declaration_kind=declaration.kind.value,
        declaration_point=declaration.crossing_point,
        carrier_affiliated=carrier_affiliated,
    )


# --- vehicles ---------------------------------------------------------------------------------


def vehicle_facts(
    session: Session,
    subject: VehicleSubject,
    *,
    at: dt.datetime,
    day: dt.date,
    credentials: CredentialCheck | None,
) -> VehicleFacts:
    """A vehicle by plate, its owner, permits, driver, passengers and consignments."""

    def person(p: PersonIn) -> PersonFacts:
        return person_facts(session, p, at=at, day=day, credentials=credentials)

    driver = None if subject.driver is None else person(subject.driver)
    passengers = tuple(person(p) for p in subject.passengers)
    consignments = tuple(
        consignment_facts(session, c, at=at, day=day, credentials=credentials)
        for c in subject.consignments
    )
    vehicle = registry_repo.vehicle_by_plate(session, subject.plate)
    if vehicle is None:
        return VehicleFacts(
            vehicle_id=None,
            plate=subject.plate,
            owner=None,
            whitelist=NOT_WHITELISTED,
            driver=driver,
            passengers=passengers,
            consignments=consignments,
        )
    owner = registry_repo.find_party(session, vehicle.owner_party_id)
    return VehicleFacts(
        vehicle_id=vehicle.id,
        plate=vehicle.plate,
        owner=None if owner is None else party_facts(session, owner, at=at, day=day),
        whitelist=_standing(session, kind=SubjectKind.VEHICLE, subject_id=vehicle.id, day=day),
        driver=driver,
        passengers=passengers,
        consignments=consignments,
        permit_points=registry_repo.permit_points(session, vehicle.id, day),  # R15,
    )


# --- selection and the whole event ------------------------------------------------------------


def selection_state(
    session: Session, *, crossing_point: str, at: dt.datetime, profile: ZoneProfile
) -> SelectionState:
    """The counters of the point's current selection period (zero for a new period)."""
    start = period_start(at, profile.selection)
    counter = session.get(SelectionCounter, (crossing_point, start))
    return SelectionState(
        period_start=start,
        inspections_in_period=counter.inspections if counter else 0,
        crossings_in_period=counter.crossings if counter else 0,
    )


def gather(
    session: Session,
    payload: CrossingIn,
    *,
    point: CrossingPoint,
    profile: ZoneProfile,
    credentials: CredentialCheck | None = None,
    faces: FaceCheck | None = None,
    read_counters: bool = True,
) -> CrossingFacts:
    """Everything the decision on ``payload`` needs, as plain values.

    Without ``read_counters`` the selection period's counters are left at zero, for a caller
    that reads them itself under the write lock (the recorder: they change every crossing).
    """
    at = payload.occurred_at.astimezone(dt.UTC)
    day = zone_day(at, profile)
    body = payload.subject
    subject: Subject
    if isinstance(body, PersonSubject):
        subject = person_facts(session, body, at=at, day=day, credentials=credentials, faces=faces)
    elif isinstance(body, VehicleSubject):
        subject = vehicle_facts(session, body, at=at, day=day, credentials=credentials)
    else:
        subject = consignment_facts(session, body, at=at, day=day, credentials=credentials)
    return CrossingFacts(
        event_id=payload.event_id,
        crossing_point=point.code,
        line=point.line.value,
        direction=payload.direction.value,
        occurred_at=at,
        subject=subject,
        selection=(
            selection_state(session, crossing_point=point.code, at=at, profile=profile)
            if read_counters
            else SelectionState(
                period_start=period_start(at, profile.selection),
                inspections_in_period=0,
                crossings_in_period=0,
            )
        ),
    )
