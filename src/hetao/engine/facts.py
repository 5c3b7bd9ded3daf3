"""The facts a crossing is decided on: plain frozen values, JSON round-trippable for replay.

The EVENTS helper gathers them from the registry, the ledger and the credentials; the decision
(``hetao.engine.decision.decide``) reads nothing else. ``facts_to_json`` / ``facts_from_json``
are exact inverses so a stored decision can be replayed years later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from hetao.engine.faces import FaceFacts, face_from_json, face_to_json
from hetao.engine.loan_facts import LoanFacts, read_loan
from hetao.engine.stored import Reader as _Reader
from hetao.errors import ValidationFailed

ValueT = TypeVar("ValueT")


class Outcome(StrEnum):
    """What the gate does with the subject; REFUSE beats INSPECT beats RELEASE."""

    RELEASE = "release"
    """Let it through."""
    INSPECT = "inspect"
    """Send it to an officer for inspection."""
    REFUSE = "refuse"
    """Turn it back."""


#: Severity order used to combine outcomes: the larger one wins.
OUTCOME_SEVERITY: dict[Outcome, int] = {Outcome.RELEASE: 0, Outcome.INSPECT: 1, Outcome.REFUSE: 2}


class SubjectType(StrEnum):
    """What is crossing."""

    PERSON = "person"
    """A traveller on foot (or in a vehicle, as its driver or passenger)."""
    VEHICLE = "vehicle"
    """A vehicle with its driver, passengers and consignments."""
    CONSIGNMENT = "consignment"
    """Goods under one declaration, possibly hand-carried by a person."""


@dataclass(frozen=True, slots=True)
class WhitelistStanding:
    """What the registry says about one subject on the crossing day."""

    entry_id: int | None
    """None: not on the whitelist at all."""
    status: str | None
    """Registry ``EntryStatus`` value ("active", "suspended", "revoked", "expired", ...)."""
    valid_from: dt.date | None
    valid_until: dt.date | None
    flows: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    exemptions: tuple[str, ...] = ()
    locked_out_goods_kinds: tuple[str, ...] = ()
    """R6: goods kinds the party is locked out of on the crossing day."""


NOT_WHITELISTED = WhitelistStanding(entry_id=None, status=None, valid_from=None, valid_until=None)
"""The standing of a subject the registry does not know."""


@dataclass(frozen=True, slots=True)
class PartyFacts:
    """The party (enterprise, institution) behind a consignment or a vehicle."""

    party_id: int
    kind: str
    status: str
    credit_level: str
    whitelist: WhitelistStanding
    inspections_last_365d: int = 0
    discrepancies_last_365d: int = 0
    code: str | None = None
    """The party's unified social credit code, else its Hong Kong business registration
    number: what a risk table keys on to give one enterprise its own policy (column
    ``party_code``). None in decisions stored before it was gathered."""


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """The result of verifying a presented zone credential."""

    credential_id: str
    status: str
    """"valid" | "revoked" | "expired" | "invalid_signature" | "unknown_key"."""


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """A traveller."""

    person_id: int | None
    """None: an unknown traveller (no registry match)."""
    residency: str | None
    whitelist: WhitelistStanding
    credential: CredentialFacts | None = None
    designated_carrier: bool = False
    """R13: designated by their party to hand-carry research goods through Channel No. 1."""
    document_ambiguous: bool = False
    """The document, read without its issuing country, matches people of several countries:
    the gate must not guess which one is crossing (person_id is then None)."""
    face: FaceFacts | None = None
    """The face match the gate presented; None where it presented none."""


#: The customs status of a line claiming the exemption from import taxes (R4, R19).
EXEMPT_CLAIM = "duty_free_research"


@dataclass(frozen=True, slots=True)
class GoodsLine:
    """One line of a consignment."""

    line_no: int
    hs_code: str
    goods_kind: str
    origin: str
    """ISO 3166-1 alpha-2."""
    value_cny: Decimal
    """The declared value in CNY at the customs rate of the declared day's month, from the rate
    table in force on the crossing day (as clearance converts it)."""
    quantity: Decimal
    unit: str
    bonded: bool = False
    special_article: bool = False
    special_article_approval: str | None = None
    """R11: the quarantine approval of a special article."""
    hgr: bool = False
    hgr_approval: str | None = None
    """R41: the approval of human genetic resource material."""
    special_article_approval_state: str | None = None
    """The approvals register's verdict on ``special_article_approval`` on the day (a
    ``hetao.registry.approvals.ApprovalState`` value). None in decisions stored before the gate
    read the register: the approval presented was taken as valid."""
    hgr_approval_state: str | None = None
    """The register's verdict on ``hgr_approval``, as for special articles (R41)."""
    customs_status: str | None = None
    """The declaration line's customs status (``hetao.ledger.models.CustomsStatus`` value):
    "duty_free_research" claims the exemption. None in decisions stored before it was
    gathered, which were decided as claims."""
    legally_inspected: bool = False
    """R12: goods subject to statutory inspection (legally inspected industrial goods): listed
    by the legal-inspection catalogue on the day, or declared so. False in decisions stored
    before the gate read it, which were decided without R12."""
    inspection_listing: str | None = None
    """R12: the legal-inspection catalogue row listing the goods on the day, ``row id
    (version)``; None when the catalogue does not list them, and in decisions stored before the
    gate read the catalogue (their flag was the declarant's)."""
    crossed: Decimal | None = None
    """How much of ``quantity`` had crossed before this crossing (re-read under the
    committer's write). None in decisions stored before the gate counted crossings: unchecked."""
    presented: Decimal | None = None
    """How much of the line this crossing carries as it names it (0 for a line it does not
    name). None: the crossing names no lines and carries all that is left."""

    @property
    def left(self) -> Decimal:
        """What of the declared quantity has not crossed yet (all of it where uncounted)."""
        return self.quantity - (self.crossed or Decimal(0))

    @property
    def carried(self) -> Decimal:
        """What this crossing carries of the line: as presented, or else all that is left."""
        return max(self.left, Decimal(0)) if self.presented is None else self.presented

    @property
    def claims_exemption(self) -> bool:
        """Whether the line claims the import tax exemption (what an R6 lockout bars)."""
        return self.customs_status is None or self.customs_status == EXEMPT_CLAIM


@dataclass(frozen=True, slots=True)
class ConsignmentFacts:
    """Goods under one declaration."""

    declaration_id: int | None
    declaration_status: str | None
    party: PartyFacts | None
    lines: tuple[GoodsLine, ...]
    hand_carried: bool = False
    carrier: PersonFacts | None = None
    declaration_kind: str | None = None
    """The declaration's ``DeclarationKind`` value. None where no declaration was found, and in
    decisions stored before the gate checked the declaration (its status, kind, point and
    party against the crossing): those replay unchecked, as they were decided."""
    declaration_point: str | None = None
    """The crossing point the declaration names; None where it names none."""
    carrier_affiliated: bool | None = None
    """Whether the carrier presenting the goods is affiliated with the declaration's party;
    None where no known carrier presents them."""
    loan: LoanFacts | None = None  # an instrument on loan crosses on it, not a declaration


@dataclass(frozen=True, slots=True)
class VehicleFacts:
    """A vehicle with everyone and everything in it."""

    vehicle_id: int | None
    plate: str
    owner: PartyFacts | None
    whitelist: WhitelistStanding
    driver: PersonFacts | None
    passengers: tuple[PersonFacts, ...] = ()
    consignments: tuple[ConsignmentFacts, ...] = ()
    permit_points: tuple[str, ...] = ()
    """R15: the crossing points named by the vehicle's permits valid on the crossing day; the
    profile says which a point requires."""
    permit_valid_here: bool | None = None
    """Only in decisions stored before permits were profile data, when a permit naming the
    point was demanded at every point: whether the vehicle held one. None since."""


@dataclass(frozen=True, slots=True)
class SelectionState:
    """Counters of the crossing point's current selection period, read by the caller."""

    period_start: dt.datetime
    inspections_in_period: int
    crossings_in_period: int


Subject = PersonFacts | VehicleFacts | ConsignmentFacts


def consignments_of(subject: Subject) -> tuple[ConsignmentFacts, ...]:
    """The goods a crossing brings: its consignment, a vehicle's, or none for a person."""
    if isinstance(subject, ConsignmentFacts):
        return (subject,)
    return subject.consignments if isinstance(subject, VehicleFacts) else ()


@dataclass(frozen=True, slots=True)
class CrossingFacts:
    """Everything one crossing is decided on."""

    event_id: str
    """The device's event id (globally unique together with the device)."""
    crossing_point: str
    line: str
    direction: str
    occurred_at: dt.datetime
    """UTC."""
    subject: Subject
    selection: SelectionState | None = None

    @property
    def subject_type(self) -> SubjectType:
        """Which kind of subject crosses."""
        return subject_type_of(self.subject)


def subject_type_of(subject: Subject) -> SubjectType:
    """The ``SubjectType`` of a subject value."""
    if isinstance(subject, PersonFacts):
        return SubjectType.PERSON
    if isinstance(subject, VehicleFacts):
        return SubjectType.VEHICLE
    return SubjectType.CONSIGNMENT


_TYPE_NAMES = {PersonFacts: "person", VehicleFacts: "vehicle", ConsignmentFacts: "consignment"}

# --- to JSON ------------------------------------------------------------------------------


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _standing_json(w: WhitelistStanding) -> dict[str, Any]:
    return {
        "entry_id": w.entry_id,
        "status": w.status,
        "valid_from": _date(w.valid_from),
        "valid_until": _date(w.valid_until),
        "flows": list(w.flows),
        "lines": list(w.lines),
        "exemptions": list(w.exemptions),
        "locked_out_goods_kinds": list(w.locked_out_goods_kinds),
    }


def _party_json(p: PartyFacts | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "party_id": p.party_id,
        "kind": p.kind,
        "status": p.status,
        "credit_level": p.credit_level,
        "whitelist": _standing_json(p.whitelist),
        "inspections_last_365d": p.inspections_last_365d,
        "discrepancies_last_365d": p.discrepancies_last_365d,
        # Only when known: decisions stored before it was gathered replay byte for byte.
        **({} if p.code is None else {"code": p.code}),
    }


def _person_json(p: PersonFacts | None) -> dict[str, Any] | None:
    if p is None:
        return None
    credential = None
    if p.credential is not None:
        credential = {"credential_id": p.credential.credential_id, "status": p.credential.status}
    facts = {
        "person_id": p.person_id,
        "residency": p.residency,
        "whitelist": _standing_json(p.whitelist),
        "credential": credential,
        "designated_carrier": p.designated_carrier,
    }
    if p.document_ambiguous:  # only when set: decisions stored before it replay byte for byte
        facts["document_ambiguous"] = True
    if p.face is not None:  # likewise
        facts["face"] = face_to_json(p.face)
    return facts


def _line_json(g: GoodsLine) -> dict[str, Any]:
    line: dict[str, Any] = {
        "line_no": g.line_no,
        "hs_code": g.hs_code,
        "goods_kind": g.goods_kind,
        "origin": g.origin,
        "value_cny": str(g.value_cny),
        "quantity": str(g.quantity),
        "unit": g.unit,
        "bonded": g.bonded,
        "special_article": g.special_article,
        "special_article_approval": g.special_article_approval,
        "hgr": g.hgr,
        "hgr_approval": g.hgr_approval,
    }
    if g.customs_status is not None:  # absent from decisions stored before it was gathered
        line["customs_status"] = g.customs_status
    if g.legally_inspected:  # only when set: decisions stored before it replay byte for byte
        line["legally_inspected"] = True
    if g.inspection_listing is not None:  # likewise
        line["inspection_listing"] = g.inspection_listing
    for name, state in (
        ("special_article_approval_state", g.special_article_approval_state),
        ("hgr_approval_state", g.hgr_approval_state),
    ):
        if state is not None:  # absent from decisions stored before the register was read
            line[name] = state
    if g.crossed is not None:  # absent from decisions stored before crossings were counted
        line["crossed"] = str(g.crossed)
    if g.presented is not None:
        line["presented"] = str(g.presented)
    return line


def _consignment_json(c: ConsignmentFacts) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "declaration_id": c.declaration_id,
        "declaration_status": c.declaration_status,
        "party": _party_json(c.party),
        "lines": [_line_json(g) for g in c.lines],
        "hand_carried": c.hand_carried,
        "carrier": _person_json(c.carrier),
    }
    if c.declaration_kind is not None:  # absent from decisions stored before it was gathered
        facts.update(
            declaration_kind=c.declaration_kind,
            declaration_point=c.declaration_point,
            carrier_affiliated=c.carrier_affiliated,
        )
    if c.loan is not None:  # only goods crossing on a loan carry the key
        facts["loan"] = c.loan.to_json()
    return facts


def _subject_json(subject: Subject) -> dict[str, Any]:
    body: dict[str, Any]
    if isinstance(subject, PersonFacts):
        body = _person_json(subject) or {}
    elif isinstance(subject, VehicleFacts):
        body = {"vehicle_id": subject.vehicle_id, "plate": subject.plate}
        # A stored decision keeps the key it was decided on, so it replays byte for byte.
        if subject.permit_valid_here is None:
            body["permit_points"] = list(subject.permit_points)
        else:
            body["permit_valid_here"] = subject.permit_valid_here
        body.update(
            owner=_party_json(subject.owner),
            whitelist=_standing_json(subject.whitelist),
            driver=_person_json(subject.driver),
            passengers=[_person_json(p) for p in subject.passengers],
            consignments=[_consignment_json(c) for c in subject.consignments],
        )
    else:
        body = _consignment_json(subject)
    return {"type": _TYPE_NAMES[type(subject)], **body}


def _utc_iso(value: dt.datetime) -> str:
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.isoformat()


def facts_to_json(facts: CrossingFacts) -> dict[str, Any]:
    """JSON-stable form of ``facts``: Decimals as strings, dates ISO, the subject type-tagged."""
    selection = None
    if facts.selection is not None:
        selection = {
            "period_start": _utc_iso(facts.selection.period_start),
            "inspections_in_period": facts.selection.inspections_in_period,
            "crossings_in_period": facts.selection.crossings_in_period,
        }
    return {
        "event_id": facts.event_id,
        "crossing_point": facts.crossing_point,
        "line": facts.line,
        "direction": facts.direction,
        "occurred_at": _utc_iso(facts.occurred_at),
        "subject": _subject_json(facts.subject),
        "selection": selection,
    }


# --- from JSON ----------------------------------------------------------------------------


def _standing(r: _Reader | None) -> WhitelistStanding:
    if r is None:
        return NOT_WHITELISTED
    return WhitelistStanding(
        entry_id=r.opt_integer("entry_id"),
        status=r.opt_string("status"),
        valid_from=r.opt_date("valid_from"),
        valid_until=r.opt_date("valid_until"),
        flows=r.strings("flows"),
        lines=r.strings("lines"),
        exemptions=r.strings("exemptions"),
        locked_out_goods_kinds=r.strings("locked_out_goods_kinds"),
    )


def _party(r: _Reader | None) -> PartyFacts | None:
    if r is None:
        return None
    return PartyFacts(
        party_id=r.integer("party_id"),
        kind=r.string("kind"),
        status=r.string("status"),
        credit_level=r.string("credit_level"),
        whitelist=_standing(r.child("whitelist", required=False)),
        inspections_last_365d=r.integer("inspections_last_365d", 0),
        discrepancies_last_365d=r.integer("discrepancies_last_365d", 0),
        code=r.opt_string("code"),  # absent from earlier decisions
    )


def _person(r: _Reader | None) -> PersonFacts | None:
    return None if r is None else _person_required(r)


def _face(r: _Reader | None) -> FaceFacts | None:
    return None if r is None else face_from_json(r)


def _person_required(r: _Reader) -> PersonFacts:
    credential = None
    c = r.child("credential", required=False)
    if c is not None:
        credential = CredentialFacts(
            credential_id=c.string("credential_id"), status=c.string("status")
        )
    return PersonFacts(
        person_id=r.opt_integer("person_id"),
        residency=r.opt_string("residency"),
        whitelist=_standing(r.child("whitelist", required=False)),
        credential=credential,
        designated_carrier=r.boolean("designated_carrier"),
        document_ambiguous=r.boolean("document_ambiguous"),  # absent from earlier decisions
        face=_face(r.child("face", required=False)),  # absent without a face match
    )


def _goods_line(r: _Reader) -> GoodsLine:
    return GoodsLine(
        line_no=r.integer("line_no"),
        hs_code=r.string("hs_code"),
        goods_kind=r.string("goods_kind"),
        origin=r.string("origin"),
        value_cny=r.decimal("value_cny"),
        quantity=r.decimal("quantity"),
        unit=r.string("unit"),
        bonded=r.boolean("bonded"),
        special_article=r.boolean("special_article"),
        special_article_approval=r.opt_string("special_article_approval"),
        hgr=r.boolean("hgr"),
        hgr_approval=r.opt_string("hgr_approval"),
        customs_status=r.opt_string("customs_status"),  # absent from earlier decisions
        special_article_approval_state=r.opt_string("special_article_approval_state"),
        hgr_approval_state=r.opt_string("hgr_approval_state"),
        crossed=r.opt_decimal("crossed"),  # absent from decisions before crossings were counted
        presented=r.opt_decimal("presented"),
        legally_inspected=r.boolean("legally_inspected"),  # absent from earlier decisions
        inspection_listing=r.opt_string("inspection_listing"),
    )


def _consignment(r: _Reader) -> ConsignmentFacts:
    return ConsignmentFacts(
        declaration_id=r.opt_integer("declaration_id"),
        declaration_status=r.opt_string("declaration_status"),
        party=_party(r.child("party", required=False)),
        lines=r.items("lines", _goods_line),
        hand_carried=r.boolean("hand_carried"),
        carrier=_person(r.child("carrier", required=False)),
        # The three below are absent from decisions stored before the gate checked them.
        declaration_kind=r.opt_string("declaration_kind"),
        declaration_point=r.opt_string("declaration_point"),
        carrier_affiliated=r.opt_boolean("carrier_affiliated"),
        loan=read_loan(r.child("loan", required=False)),
    )


def _vehicle(r: _Reader) -> VehicleFacts:
    return VehicleFacts(
        vehicle_id=r.opt_integer("vehicle_id"),
        plate=r.string("plate"),
        owner=_party(r.child("owner", required=False)),
        whitelist=_standing(r.child("whitelist", required=False)),
        driver=_person(r.child("driver", required=False)),
        passengers=r.items("passengers", _person_required),
        consignments=r.items("consignments", _consignment),
        permit_points=r.strings("permit_points"),
        # Present only in decisions stored before permits were profile data.
        permit_valid_here=r.opt_boolean("permit_valid_here"),
    )


def _subject(r: _Reader) -> Subject:
    kind = r.string("type")
    if kind == SubjectType.PERSON:
        return _person_required(r)
    if kind == SubjectType.VEHICLE:
        return _vehicle(r)
    if kind == SubjectType.CONSIGNMENT:
        return _consignment(r)
    raise ValidationFailed.single(
        r.key("type"), "unknown_subject_type", f"{kind!r} is not person, vehicle or consignment"
    )


def facts_from_json(data: Mapping[str, Any]) -> CrossingFacts:
    """Parse ``facts_to_json`` output back; ``ValidationFailed`` names the offending key."""
    r = _Reader(data, "")
    selection = None
    s = r.child("selection", required=False)
    if s is not None:
        selection = SelectionState(
            period_start=s.utc_datetime("period_start"),
            inspections_in_period=s.integer("inspections_in_period"),
            crossings_in_period=s.integer("crossings_in_period"),
        )
    subject = _Reader(r.data.get("subject"), "subject")
    return CrossingFacts(
        event_id=r.string("event_id"),
        crossing_point=r.string("crossing_point"),
        line=r.string("line"),
        direction=r.string("direction"),
        occurred_at=r.utc_datetime("occurred_at"),
        subject=_subject(subject),
        selection=selection,
    )


__all__ = [
    "EXEMPT_CLAIM",
    "NOT_WHITELISTED",
    "OUTCOME_SEVERITY",
    "ConsignmentFacts",
    "CredentialFacts",
    "CrossingFacts",
    "FaceFacts",
    "GoodsLine",
    "Outcome",
    "PartyFacts",
    "PersonFacts",
    "SelectionState",
    "Subject",
    "SubjectType",
    "VehicleFacts",
    "WhitelistStanding",
    "facts_from_json",
    "facts_to_json",
    "subject_type_of",
]
