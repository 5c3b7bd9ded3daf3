"""The builder every step of the demo registry shares: the random stream, what was created,
and the registry moves (apply, approve, review) each step makes."""

from __future__ import annotations

import datetime as dt
import random
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.demo.users import DEMO_PASSWORD, DemoUser
from hetao.demo.vocabulary import ANSWERS, DECLINES, INFO_REQUESTS
from hetao.profiles import ZoneProfile
from hetao.registry import service
from hetao.registry.models import (
    Party,
    PartyKind,
    Person,
    SubjectKind,
    Vehicle,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.schemas import ApplicationCreate, Resubmission


def count(values: Iterable[object]) -> dict[str, int]:
    """How many of each value, by its string, in sorted order (the summary's counts)."""
    return dict(sorted(Counter(str(value) for value in values).items()))


class ZoneCounts(BaseModel):
    """Goods, inspections, funds and data of the demo zone, counted per state."""

    lots_by_status: dict[str, int] = Field(default_factory=dict)
    holds_by_status: dict[str, int] = Field(default_factory=dict)
    declarations_by_status: dict[str, int] = Field(default_factory=dict)
    declarations_by_kind: dict[str, int] = Field(default_factory=dict)
    inspections_by_status: dict[str, int] = Field(default_factory=dict)
    inspection_results: dict[str, int] = Field(default_factory=dict)
    adjustments_by_status: dict[str, int] = Field(default_factory=dict)
    overrides_by_status: dict[str, int] = Field(default_factory=dict)
    projects_by_status: dict[str, int] = Field(default_factory=dict)
    transfers_by_status: dict[str, int] = Field(default_factory=dict)
    data_applications_by_status: dict[str, int] = Field(default_factory=dict)
    channel_batches_by_status: dict[str, int] = Field(default_factory=dict)
    face_enrolments_by_status: dict[str, int] = Field(default_factory=dict)


class DemoSummary(BaseModel):
    """What one demo load created, with the seed and reference date it used."""

    seed: int
    as_of: dt.date
    zone: str
    parties_by_kind: dict[str, int]
    persons: int
    vehicles_by_kind: dict[str, int]
    applications_by_status: dict[str, int]
    entries_by_status: dict[str, int]
    entries_by_subject: dict[str, int]
    waivers: int
    activity: ZoneCounts = Field(
        default_factory=ZoneCounts,
        description="Goods, inspections, funds and data transfers, counted per state",
    )
    users: list[DemoUser] = Field(
        default_factory=list, description=f"Demo sign-ins, all with password {DEMO_PASSWORD!r}"
    )


@dataclass
class Research:
    """A research party and what the demo decided about its institution application."""

    party: Party
    field: str
    #: active, suspended, declined or submitted: where its institution application ends.
    fate: str
    #: How many researchers it sponsors, relative to the others.
    weight: float


@dataclass
class Builder:
    """Holds the random stream and everything created, so each step can build on the last."""

    session: Session
    profile: ZoneProfile
    rng: random.Random
    today: dt.date
    actor: Actor
    research: list[Research] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    applications: list[WhitelistApplication] = field(default_factory=list)
    entries: list[WhitelistEntry] = field(default_factory=list)
    waivers: int = 0
    #: Goods kinds each party elected to pay import taxes on (R6), by party id.
    waived: dict[int, set[str]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def enterprises(self) -> tuple[Party, Party]:
        """The two enterprises the demo's enterprise users work for: the first two whose
        institution whitelist entry is in force, so they may import research goods (R4)."""
        first, second = [
            r.party
            for r in self.research
            if r.party.kind is PartyKind.CSA_ENTERPRISE and r.fate == "active"
        ][:2]
        return first, second

    def unique(self, make: Callable[[], str]) -> str:
        """A value from ``make`` that no earlier call handed out (numbers and plates are unique)."""
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value

    def fill(self, pattern: str, *, letters: str = string.ascii_uppercase) -> str:
        """``pattern`` with ``#`` a digit, ``@`` one of ``letters``, ``*`` a letter or digit."""
        pools = {"#": string.digits, "@": letters, "*": string.ascii_uppercase + string.digits}
        return "".join(self.rng.choice(pools[c]) if c in pools else c for c in pattern)

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    def days_ahead(self, low: int, high: int) -> dt.date:
        return self.today + dt.timedelta(days=self.rng.randint(low, high))

    def scopes(
        self, flows: Sequence[str], lines: Sequence[str], exemptions: Sequence[str]
    ) -> tuple[list[str], list[str], list[str]]:
        """Scopes cut down to the profile's vocabulary, so the demo loads under any profile."""
        vocabulary = self.profile.whitelist.scopes
        return (
            [f for f in flows if f in vocabulary.flows] or [str(vocabulary.flows[0])],
            [ln for ln in lines if ln in vocabulary.lines] or [str(vocabulary.lines[0])],
            list(dict.fromkeys(e for e in exemptions if e in vocabulary.exemptions)),
        )

    def apply(
        self,
        kind: SubjectKind,
        scopes: tuple[list[str], list[str], list[str]],
        *,
        justification: str,
        party: Party | None = None,
        person: Person | None = None,
        vehicle: Vehicle | None = None,
        industry: str | None = None,
        window: tuple[dt.date, dt.date] | None = None,
    ) -> WhitelistApplication:
        """Open a draft application through the registry."""
        flows, lines, exemptions = scopes
        data = ApplicationCreate(
            subject_kind=kind,
            party_id=party.id if party else None,
            person_id=person.id if person else None,
            vehicle_id=vehicle.id if vehicle else None,
            industry=industry,
            flows=flows,
            lines=lines,
            exemptions=exemptions,
            valid_from=window[0] if window else None,
            valid_until=window[1] if window else None,
            justification=justification,
        )
        app = service.create_application(self.session, data, profile=self.profile, actor=self.actor)
        self.applications.append(app)
        return app

    def approve(self, app: WhitelistApplication, *, on: dt.date) -> WhitelistEntry:
        """Submit and approve ``app`` as if the reviewer decided on day ``on``."""
        service.submit(self.session, app, actor=self.actor)
        entry = service.approve(self.session, app, profile=self.profile, actor=self.actor, today=on)
        self.entries.append(entry)
        return entry

    def review(self, app: WhitelistApplication, status: str) -> None:
        """Take a draft application on to a pending or declined ``status``."""
        if status == "draft":
            return
        service.submit(self.session, app, actor=self.actor)
        if status in ("information_requested", "resubmitted"):
            note = self.rng.choice(INFO_REQUESTS)
            service.request_information(self.session, app, note=note, actor=self.actor)
        if status == "resubmitted":
            answer = Resubmission(answer=self.rng.choice(ANSWERS))
            service.resubmit(self.session, app, answer, profile=self.profile, actor=self.actor)
        if status == "declined":
            service.decline(self.session, app, note=self.rng.choice(DECLINES), actor=self.actor)

    def summary(self, seed: int) -> DemoSummary:
        return DemoSummary(
            seed=seed,
            as_of=self.today,
            zone=self.profile.zone.code,
            parties_by_kind=count(p.kind.value for p in self.parties),
            persons=len(self.persons),
            vehicles_by_kind=count(v.kind.value for v in self.vehicles),
            applications_by_status=count(a.status.value for a in self.applications),
            entries_by_status=count(e.status.value for e in self.entries),
            entries_by_subject=count(e.subject_kind.value for e in self.entries),
            waivers=self.waivers,
        )
