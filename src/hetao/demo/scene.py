"""What the steps after the registry share: the registry as built, the sign-ins, the reference
tables, the random stream, and the demo's calendar (days and instants before ``today``)."""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.declarations.models import Declaration
from hetao.demo.builder import Builder
from hetao.demo.users import DemoUsers
from hetao.errors import ValidationFailed
from hetao.inspections.models import Override
from hetao.ledger.models import Hold, Lot
from hetao.profiles import Exemption, ZoneProfile
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff
from hetao.registry.models import (
    BENEFICIARY_KINDS,
    EntryStatus,
    Party,
    PartyKind,
    PartyStatus,
    Person,
    SubjectKind,
)

#: How far back the demo looks for a month the exchange-rate table covers.
RATE_MONTHS_BACK = 24


@dataclass
class Scene:
    """The demo zone after its registry: each later step reads it and adds what it made."""

    registry: Builder
    users: DemoUsers
    tariff: Tariff
    rates: RateTable
    #: The selection secret the demo's gates decide with (``crossings.selection_key``).
    seed_key: bytes
    #: Every lot the demo opened, by id (the summary counts them by status).
    lots: dict[int, Lot] = field(default_factory=dict)
    #: Every declaration the demo lodged, by its reference (unique across the demo's parties).
    declarations: dict[str, Declaration] = field(default_factory=dict)
    #: Holds placed outside inspections (seizures are found through their inspections).
    holds: list[Hold] = field(default_factory=list)
    #: Every override an officer made.
    overrides: list[Override] = field(default_factory=list)

    @property
    def session(self) -> Session:
        return self.registry.session

    @property
    def profile(self) -> ZoneProfile:
        return self.registry.profile

    @property
    def rng(self) -> random.Random:
        return self.registry.rng

    @property
    def today(self) -> dt.date:
        return self.registry.today

    @property
    def actor(self) -> Actor:
        return self.registry.actor

    def actor_of(self, username: str) -> Actor:
        """The audit actor of a demo user, so the log shows who did what."""
        return self.users.principal(username).actor

    def staff_of(self, party: Party) -> Actor:
        """Who acts for a party: its demo enterprise user, else the operator loading the demo."""
        for user in self.users.users.values():
            if user.party_id == party.id:
                return self.actor_of(user.username)
        return self.actor

    def lot(self, reference: str, line_no: int = 1) -> Lot:
        """The lot a cleared declaration opened: its product's, or line ``line_no``'s."""
        declaration = self.declarations[reference]
        lot_id = declaration.product_lot_id or declaration.lines[line_no - 1].result_lot_id
        return self.lots[lot_id or 0]

    # --- parties -------------------------------------------------------------------------

    def enterprises(self) -> tuple[Party, Party]:
        return self.registry.enterprises()

    def whitelisted(self, kind: PartyKind) -> list[Party]:
        """Parties of ``kind`` whose institution entry is in force and who still operate."""
        return [
            r.party
            for r in self.registry.research
            if r.party.kind is kind and r.fate == "active" and r.party.status is PartyStatus.ACTIVE
        ]

    def institution(self) -> Party:
        """The whitelisted public institution the demo's goods and funds go through."""
        return self.whitelisted(PartyKind.CSA_PUBLIC_INSTITUTION)[0]

    def hong_kong_partners(self) -> list[Party]:
        return self.whitelisted(PartyKind.HK_INSTITUTION)

    def beneficiaries(self) -> list[Party]:
        return [
            r.party
            for r in self.registry.research
            if r.party.kind in BENEFICIARY_KINDS
            and r.fate == "active"
            and r.party.status is PartyStatus.ACTIVE
        ]

    def carrier_of(self, party_id: int) -> Person | None:
        """A researcher of ``party`` designated to hand-carry its goods through Channel No. 1
        (R13): an individual entry in force, sponsored by the party, with that exemption."""
        persons = {person.id: person for person in self.registry.persons}
        for entry in self.registry.entries:
            if (
                entry.subject_kind is SubjectKind.INDIVIDUAL
                and entry.status is EntryStatus.ACTIVE
                and entry.party_id == party_id
                and Exemption.HAND_CARRY_CHANNEL1 in entry.exemptions
                and entry.valid_from <= self.today <= entry.valid_until
                and entry.person_id in persons
            ):
                return persons[entry.person_id]
        return None

    def waived(self, party: Party, goods_kind: str) -> bool:
        """Whether the party elected to pay import taxes on goods of this kind (R6)."""
        return goods_kind in self.registry.waived.get(party.id, set())

    # --- the calendar --------------------------------------------------------------------

    def instant(self, day: dt.date, *, hour: int = 10, minute: int = 0) -> dt.datetime:
        """A moment of ``day`` at the zone, in UTC (as the services store instants)."""
        local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)
        return local.astimezone(dt.UTC)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.profile.zone.timezone)

    @functools.cached_property
    def money_days(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day goods may be declared and money converted: from the regime's
        start to today, within the months the exchange-rate table covers (a date past the
        table would have no rate); None when no day qualifies."""
        last = self.today
        for _ in range(RATE_MONTHS_BACK):
            try:
                self.rates.rate("USD", on=last)
                break
            except ValidationFailed:
                last = last.replace(day=1) - dt.timedelta(days=1)
        else:
            return None
        first = self.profile.effective_from
        return (first, last) if first <= last else None

    def money_day(self, days_ago: int) -> dt.date:
        """``days_ago`` days before today, moved inside ``money_days`` (call only when some)."""
        window = self.money_days
        assert window is not None  # noqa: S101 (the steps check first)
        first, last = window
        return min(max(self.today - dt.timedelta(days=days_ago), first), last)
