"""The lookup: what an officer typed becomes a search of one kind of subject or of all, and a
result becomes a card of what the port knows about it. The journey of a lot follows its goods
from their entry through the zone, in time order. Reads only: nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from hetao.credentials.models import CredentialStatus, ZoneCredential
from hetao.crossing.models import CrossingEvent
from hetao.declarations.models import Declaration
from hetao.errors import NotFound
from hetao.inspections.models import Inspection
from hetao.ledger.models import DEPOSIT_KINDS, Hold, Lot
from hetao.lookup import repository as repo
from hetao.reference import chinese_scripts
from hetao.registry.models import (
    Affiliation,
    Party,
    PartyStanding,
    Person,
    Vehicle,
    WhitelistEntry,
)
from hetao.storage.types import utcnow

#: Fewer characters than this find too much to be useful: the page asks for more.
MIN_QUERY = 2
#: The longest query the page accepts (a name, a document number, a USCC, a reference).
MAX_QUERY = 100
#: Results of each kind a search shows.
SEARCH_LIMIT = 20
#: Rows of each list on a result page.
CARD_LIMIT = 20


class Kind(StrEnum):
    """What the officer looks for."""

    PERSON = "person"
    """A person, by travel document number or name."""
    VEHICLE = "vehicle"
    """A vehicle, by plate."""
    PARTY = "party"
    """A party, by name, USCC or Hong Kong business registration number."""
    DECLARATION = "declaration"
    """A declaration, by its declarant's reference."""


def normalised(text: str) -> str:
    """The query as compared: compatibility forms folded (full-width letters typed on a Chinese
    keyboard), invisible format and control characters dropped, runs of spaces made one, ends
    trimmed."""
    folded = unicodedata.normalize("NFKC", text)
    words = (
        "".join(ch for ch in word if unicodedata.category(ch)[0] != "C") for word in folded.split()
    )
    return " ".join(word for word in words if word)


def compact(text: str) -> str:
    """A code or plate as stored: upper case, without spaces, dots or middle dots."""
    return "".join(ch for ch in text.upper() if ch not in " ·.")


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What a search found, by kind (``None``: too short a query, so nothing was searched)."""

    query: str
    kinds: tuple[Kind, ...]
    persons: list[Person] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    searched: bool = False

    @property
    def found(self) -> int:
        return len(self.persons) + len(self.vehicles) + len(self.parties) + len(self.declarations)


def search(session: Session, query: str, kind: Kind | None) -> SearchResult:
    """Search ``kind`` (every kind when None) for ``query``; a query shorter than ``MIN_QUERY``
    characters searches nothing."""
    text = normalised(query)
    kinds = (kind,) if kind is not None else tuple(Kind)
    if len(text) < MIN_QUERY:
        return SearchResult(query=text, kinds=kinds)
    lowered, code = text.lower(), compact(text)
    # A Chinese name is found whichever script the officer types it in.
    names_zh = chinese_scripts.spellings(lowered)
    return SearchResult(
        query=text,
        kinds=kinds,
        persons=repo.persons_matching(
            session, text=lowered, names_zh=names_zh, document=code, limit=SEARCH_LIMIT
        )
        if Kind.PERSON in kinds
        else [],
        vehicles=repo.vehicles_matching(session, plate=code, limit=SEARCH_LIMIT)
        if Kind.VEHICLE in kinds and code
        else [],
        parties=repo.parties_matching(
            session, text=lowered, names_zh=names_zh, code=code, limit=SEARCH_LIMIT
        )
        if Kind.PARTY in kinds
        else [],
        declarations=repo.declarations_matching(session, reference=text, limit=SEARCH_LIMIT)
        if Kind.DECLARATION in kinds
        else [],
        searched=True,
    )


# --- result cards ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CredentialRow:
    """A credential as the card lists it: its claims' window and state, never a token."""

    id: str
    person_id: int
    state: str
    not_before: dt.datetime
    not_after: dt.datetime
    crossing_points: tuple[str, ...]


def credential_rows(credentials: list[ZoneCredential], now: dt.datetime) -> list[CredentialRow]:
    rows = []
    for credential in credentials:
        if credential.status is CredentialStatus.REVOKED:
            state = "revoked"
        elif credential.not_after <= now:
            state = "expired"
        else:
            state = "active"
        points = credential.claims.get("crossing_points") or ()
        rows.append(
            CredentialRow(
                id=credential.id,
                person_id=credential.person_id,
                state=state,
                not_before=credential.not_before,
                not_after=credential.not_after,
                crossing_points=tuple(str(p) for p in points),
            )
        )
    return rows


@dataclass
class Card:
    """What the port knows about one subject, each list already bounded."""

    entries: list[WhitelistEntry]
    credentials: list[CredentialRow]
    crossings: list[CrossingEvent]
    #: Names for the ids the lists hold.
    parties: dict[int, Party]
    persons: dict[int, Person]
    vehicles: dict[int, Vehicle]
    affiliations: list[Affiliation] = field(default_factory=list)
    standings: list[PartyStanding] = field(default_factory=list)
    lots: list[Lot] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)


def _names(session: Session, card: Card) -> Card:
    """Fill the card's name tables from the ids its lists hold."""
    party_ids = {e.party_id for e in card.entries if e.party_id}
    party_ids |= {c.party_id for c in card.crossings if c.party_id}
    party_ids |= {a.party_id for a in card.affiliations}
    party_ids |= {d.to_party_id for d in card.declarations if d.to_party_id}
    person_ids = {e.person_id for e in card.entries if e.person_id}
    person_ids |= {c.person_id for c in card.credentials}
    person_ids |= {c.person_id for c in card.crossings if c.person_id}
    person_ids |= {a.person_id for a in card.affiliations}
    vehicle_ids = {e.vehicle_id for e in card.entries if e.vehicle_id}
    vehicle_ids |= {c.vehicle_id for c in card.crossings if c.vehicle_id}
    card.parties.update(repo.parties_by_id(session, party_ids - card.parties.keys()))
    card.persons.update(repo.persons_by_id(session, person_ids - card.persons.keys()))
    card.vehicles.update(repo.vehicles_by_id(session, vehicle_ids - card.vehicles.keys()))
    return card


def get_person(session: Session, person_id: int) -> Person:
    found = repo.persons_by_id(session, [person_id]).get(person_id)
    if found is None:
        raise NotFound(f"person {person_id} does not exist")
    return found


def get_vehicle(session: Session, vehicle_id: int) -> Vehicle:
    found = repo.vehicles_by_id(session, [vehicle_id]).get(vehicle_id)
    if found is None:
        raise NotFound(f"vehicle {vehicle_id} does not exist")
    return found


def get_party(session: Session, party_id: int) -> Party:
    found = repo.parties_by_id(session, [party_id]).get(party_id)
    if found is None:
        raise NotFound(f"party {party_id} does not exist")
    return found


def person_card(session: Session, person: Person) -> Card:
    """A person's entries, credentials, affiliations and latest crossings."""
    card = Card(
        entries=repo.entries_of(session, person_id=person.id, limit=CARD_LIMIT),
        credentials=credential_rows(
            repo.credentials_of(session, [person.id], limit=CARD_LIMIT), utcnow()
        ),
        crossings=repo.recent_crossings(session, person_id=person.id, limit=CARD_LIMIT),
        parties={},
        persons={person.id: person},
        vehicles={},
        affiliations=repo.affiliations_of_person(session, person.id),
    )
    return _names(session, card)


def vehicle_card(session: Session, vehicle: Vehicle) -> Card:
    """A vehicle's owner, entries and latest crossings."""
    card = Card(
        entries=repo.entries_of(session, vehicle_id=vehicle.id, limit=CARD_LIMIT),
        credentials=[],
        crossings=repo.recent_crossings(session, vehicle_id=vehicle.id, limit=CARD_LIMIT),
        parties=repo.parties_by_id(session, [vehicle.owner_party_id]),
        persons={},
        vehicles={vehicle.id: vehicle},
    )
    return _names(session, card)


def party_card(session: Session, party: Party) -> Card:
    """A party's standing, entries, its researchers' credentials, crossings and goods."""
    affiliations = repo.affiliations_of_party(session, party.id, limit=CARD_LIMIT)
    card = Card(
        entries=repo.entries_of(session, party_id=party.id, limit=CARD_LIMIT),
        credentials=credential_rows(
            repo.credentials_of(session, [a.person_id for a in affiliations], limit=CARD_LIMIT),
            utcnow(),
        ),
        crossings=repo.recent_crossings(session, party_id=party.id, limit=CARD_LIMIT),
        parties={party.id: party},
        persons={},
        vehicles={},
        affiliations=affiliations,
        standings=repo.standings_of(session, party.id),
        lots=repo.lots_of(session, party.id, limit=CARD_LIMIT),
        declarations=repo.declarations_of(session, party.id, limit=CARD_LIMIT),
    )
    return _names(session, card)


# --- the journey of a lot ---------------------------------------------------------------------


class StepKind(StrEnum):
    """A step of a lot's journey; the order breaks ties between steps at the same instant."""

    DECLARATION = "declaration"
    """A declaration was lodged (and where it was, decided) about the goods."""
    CROSSING = "crossing"
    """The goods of a declaration crossed a gate, which decided."""
    INSPECTION = "inspection"
    """An inspection of a crossing of the goods, or one that adjusted or seized them."""
    HOLD = "hold"
    """Goods of the lot held, and how the hold ended."""
    MOVEMENT = "movement"
    """A ledger movement of the lot (or the admission its goods came from)."""
    TAX = "tax"
    """Taxes assessed when a declaration was cleared."""


_ORDER = {kind: index for index, kind in enumerate(StepKind)}


@dataclass(frozen=True, slots=True)
class Step:
    """One step: when, what kind, the object, and for a movement the balance after it."""

    at: dt.datetime
    kind: StepKind
    subject: Any
    #: The lot's balance after a movement of its own (None for other steps and earlier lots).
    balance: Decimal | None = None
    #: Whether the step happened to an earlier lot the goods came from.
    earlier_lot: bool = False

    @property
    def sort_key(self) -> tuple[dt.datetime, int]:
        return (self.at, _ORDER[self.kind])


@dataclass
class Journey:
    """A lot and its steps in time order, with the names and lots they mention."""

    lot: Lot
    #: The lots the goods came through before this one, the first admitted first.
    earlier: list[Lot]
    steps: list[Step]
    parties: dict[int, Party]
    #: Crossings by decision id, for an inspection step to name its crossing.
    crossings_by_decision: dict[int, CrossingEvent]


def ancestry(session: Session, lot: Lot) -> list[Lot]:
    """The lots ``lot`` was split off, through in-zone transfers, the first admitted first."""
    chain: list[Lot] = []
    seen = {lot.id}
    source = lot.source_lot_id
    while source is not None and source not in seen:
        found = repo.find_lot(session, source)
        if found is None:  # pragma: no cover - a foreign key keeps the source
            break
        chain.append(found)
        seen.add(found.id)
        source = found.source_lot_id
    return list(reversed(chain))


def _opens(declaration: Declaration, lot_ids: set[int]) -> bool:
    """Whether the declaration opened one of the lots (an entry, a transfer, a product)."""
    return declaration.product_lot_id in lot_ids or any(
        line.result_lot_id in lot_ids for line in declaration.lines
    )


def journey(session: Session, lot: Lot, *, for_party: int | None = None) -> Journey:
    """Everything that happened to the goods of ``lot``, oldest first.

    From the lots it was split off, only how the goods came in is shown (their admission, the
    declarations that opened them, those declarations' crossings): what else befell an earlier
    lot is its owner's business, not this lot's. ``for_party`` (an enterprise reading) leaves
    out the taxes assessed on another party's declarations.
    """
    earlier = ancestry(session, lot)
    earlier_ids = {found.id for found in earlier}
    chain_ids = [*earlier_ids, lot.id]
    steps: list[Step] = []

    balance = Decimal(0)
    for movement in repo.movements_of(session, chain_ids):
        if movement.lot_id == lot.id:
            balance += movement.quantity
            steps.append(Step(movement.created_at, StepKind.MOVEMENT, movement, balance))
        elif movement.kind in DEPOSIT_KINDS:
            steps.append(Step(movement.created_at, StepKind.MOVEMENT, movement, earlier_lot=True))

    opened = {*earlier_ids, lot.id}
    declarations = [
        declaration
        for declaration in repo.declarations_touching(session, chain_ids)
        if _opens(declaration, opened) or any(line.lot_id == lot.id for line in declaration.lines)
    ]
    for declaration in declarations:
        earlier_only = (
            not any(lot.id in (line.lot_id, line.result_lot_id) for line in declaration.lines)
            and declaration.product_lot_id != lot.id
        )
        steps.append(
            Step(
                declaration.created_at, StepKind.DECLARATION, declaration, earlier_lot=earlier_only
            )
        )
        theirs = for_party is not None and declaration.party_id != for_party
        if declaration.cleared_at is not None and declaration.tax_total is not None and not theirs:
            steps.append(Step(declaration.cleared_at, StepKind.TAX, declaration))

    crossings = repo.crossings_of_declarations(session, [d.id for d in declarations])
    steps += [Step(event.occurred_at, StepKind.CROSSING, event) for event in crossings]
    decision_ids = [event.decision.id for event in crossings if event.decision is not None]
    inspections: list[Inspection] = repo.inspections_of(
        session, decision_ids=decision_ids, lot_ids=[lot.id]
    )
    steps += [Step(found.opened_at, StepKind.INSPECTION, found) for found in inspections]
    holds: list[Hold] = repo.holds_of(session, [lot.id])
    steps += [Step(hold.created_at, StepKind.HOLD, hold) for hold in holds]

    steps.sort(key=lambda step: step.sort_key)
    by_decision = {event.decision.id: event for event in crossings if event.decision is not None}
    missing = {found.decision_id for found in inspections} - by_decision.keys()
    by_decision |= repo.crossing_events_by_decision(session, missing)
    party_ids = {lot.party_id, *(found.party_id for found in earlier)}
    party_ids |= {d.party_id for d in declarations} | {
        d.to_party_id for d in declarations if d.to_party_id
    }
    return Journey(
        lot=lot,
        earlier=earlier,
        steps=steps,
        parties=repo.parties_by_id(session, party_ids),
        crossings_by_decision=by_decision,
    )


def get_lot(session: Session, lot_id: int) -> Lot:
    found = repo.find_lot(session, lot_id)
    if found is None:
        raise NotFound(f"lot {lot_id} does not exist")
    return found
