"""The demo zone: deterministic, valid by every published rule, shaped like REGIME R15."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

import hetao.models  # noqa: F401 (registers every table on Base.metadata)
from hetao import demo
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.profiles import CrossingKind, ZoneProfile, load_profile
from hetao.registry.identifiers import (
    DocumentKind,
    check_document,
    check_hk_br,
    check_mrz_td3,
    check_uscc,
)
from hetao.registry.models import (
    BENEFICIARY_KINDS,
    Affiliation,
    ApplicationStatus,
    Approval,
    ApprovalKind,
    CreditLevel,
    EntryStatus,
    ExemptionWaiver,
    IdentityDocument,
    Party,
    PartyKind,
    PartyStanding,
    PartyStatus,
    Person,
    PlateRegion,
    SubjectKind,
    Vehicle,
    VehicleKind,
    VehiclePermit,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.plates import check_plate
from hetao.storage.engine import make_engine, session_factory, unit_of_work
from hetao.storage.types import Base

SEED = 2026
AS_OF = dt.date(2026, 3, 2)
ACTOR = Actor("cli", "demo-test")
# Set from the wall clock, so they differ between two loads of the same seed.
CLOCK_COLUMNS = frozenset({"created_at", "updated_at", "submitted_at", "decided_at"})
DUMPED = (
    Party,
    Person,
    IdentityDocument,
    Affiliation,
    Vehicle,
    VehiclePermit,
    WhitelistApplication,
    WhitelistEntry,
    ExemptionWaiver,
)


@dataclass(frozen=True)
class Database:
    """A fresh SQLite file with the whole schema."""

    path: Path
    engine: Engine
    factory: sessionmaker[Session]


@dataclass(frozen=True)
class Loaded:
    """The demo loaded once for the module, and what a reader saw before the commit."""

    db: Database
    summary: demo.DemoSummary
    parties_visible_before_commit: int


def fresh_database(path: Path) -> Database:
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return Database(path, engine, session_factory(engine))


def load_into(db: Database, seed: int) -> tuple[demo.DemoSummary, int]:
    """Load the demo in one unit of work; also count the parties a reader sees before the commit."""
    with unit_of_work(db.factory) as session:
        summary = demo.load(session, profile=hetao_profile(), seed=seed, as_of=AS_OF, actor=ACTOR)
        # WAL lets a second connection read the last committed state while the load is pending.
        with sqlite3.connect(db.path) as reader:
            visible = reader.execute("SELECT count(*) FROM parties").fetchone()[0]
    return summary, int(visible)


def hetao_profile() -> ZoneProfile:
    return load_profile("hetao")


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every registry row in id order, without the columns the wall clock sets."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.factory() as session:
        for model in DUMPED:
            table = model.__table__
            keep = [c for c in table.columns if c.key not in CLOCK_COLUMNS]
            rows = session.execute(select(*keep).order_by(table.c.id))
            out[model.__tablename__] = [tuple(row) for row in rows]
    return out


def all_of(session: Session, model: type[Any]) -> list[Any]:
    return list(session.scalars(select(model).order_by(model.id)))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    db = fresh_database(tmp_path_factory.mktemp("demo") / "demo.db")
    summary, visible = load_into(db, SEED)
    yield Loaded(db, summary, visible)
    db.engine.dispose()


@pytest.fixture
def session(loaded: Loaded) -> Iterator[Session]:
    with loaded.db.factory() as s:
        yield s


class TestDemoLoad:
    def test_an_empty_registry_is_empty_and_a_loaded_one_is_not(
        self, loaded: Loaded, session: Session, tmp_path: Path
    ) -> None:
        db = fresh_database(tmp_path / "empty.db")
        with db.factory() as empty:
            assert demo.is_empty(empty)
        db.engine.dispose()
        assert not demo.is_empty(session)

    def test_leaves_the_commit_to_the_caller(self, loaded: Loaded) -> None:
        assert loaded.parties_visible_before_commit == 0
        with sqlite3.connect(loaded.db.path) as reader:
            committed = reader.execute("SELECT count(*) FROM parties").fetchone()[0]
        assert committed == sum(loaded.summary.parties_by_kind.values()) > 0

    def test_same_seed_and_date_give_identical_data(self, loaded: Loaded, tmp_path: Path) -> None:
        again = fresh_database(tmp_path / "again.db")
        summary, _ = load_into(again, SEED)
        assert summary == loaded.summary
        assert dump(again) == dump(loaded.db)
        again.engine.dispose()

    def test_a_different_seed_gives_different_data(self, loaded: Loaded, tmp_path: Path) -> None:
        other = fresh_database(tmp_path / "other.db")
        load_into(other, SEED + 1)
        theirs, ours = dump(other), dump(loaded.db)
        other.engine.dispose()
        for table in ("parties", "persons", "identity_documents", "vehicles"):
            assert theirs[table] != ours[table], table

    def test_summary_counts_what_is_stored(self, loaded: Loaded, session: Session) -> None:
        summary = loaded.summary
        assert (summary.seed, summary.as_of, summary.zone) == (SEED, AS_OF, "hetao")
        assert summary.parties_by_kind == dict(Counter(str(p.kind) for p in all_of(session, Party)))
        assert summary.persons == len(all_of(session, Person))
        assert summary.applications_by_status == dict(
            Counter(str(a.status) for a in all_of(session, WhitelistApplication))
        )
        assert summary.entries_by_status == dict(
            Counter(str(e.status) for e in all_of(session, WhitelistEntry))
        )
        assert summary.waivers == len(all_of(session, ExemptionWaiver)) >= 1

    def test_every_stored_identifier_passes_its_rule_again(self, session: Session) -> None:
        for party in all_of(session, Party):
            if party.uscc is not None:
                assert check_uscc(party.uscc) == party.uscc
            if party.hk_br is not None:
                assert check_hk_br(party.hk_br) == party.hk_br
            if party.kind in BENEFICIARY_KINDS:
                assert party.uscc is not None
                assert party.registered_in_csa
        kinds: Counter[DocumentKind] = Counter()
        for person in all_of(session, Person):
            for doc in person.documents:
                kinds[doc.kind] += 1
                mrz = (doc.mrz_line1, doc.mrz_line2) if doc.mrz_line1 and doc.mrz_line2 else None
                assert check_document(doc.kind, doc.number, mrz=mrz) == doc.number
                if doc.kind is DocumentKind.MAINLAND_RESIDENT_ID:
                    assert doc.number[6:14] == f"{person.birth_date:%Y%m%d}"
                if mrz is not None:
                    read = check_mrz_td3(*mrz)
                    assert (read.birth_date, read.document_number) == (
                        person.birth_date,
                        doc.number,
                    )
        assert set(kinds) == set(DocumentKind)
        assert kinds[DocumentKind.PASSPORT] == sum(
            1 for d in all_of(session, IdentityDocument) if d.mrz_line1 and d.mrz_line2
        )
        for vehicle in all_of(session, Vehicle):
            assert check_plate(vehicle.plate, vehicle.plate_region) == vehicle.plate
            if vehicle.plate_region is PlateRegion.CROSS_BOUNDARY:
                assert vehicle.hk_plate is not None
                assert check_plate(vehicle.hk_plate, PlateRegion.HONG_KONG) == vehicle.hk_plate
        regions = {v.plate_region for v in all_of(session, Vehicle)}
        assert {PlateRegion.CROSS_BOUNDARY, PlateRegion.MAINLAND} <= regions

    def test_holds_about_40_parties_across_kinds_and_credit_levels(self, session: Session) -> None:
        parties = all_of(session, Party)
        assert 35 <= len(parties) <= 45
        assert {p.kind for p in parties} == set(PartyKind)
        assert {p.credit_level for p in parties} == set(CreditLevel)
        assert all(p.name_zh for p in parties)

    def test_R11_R41_has_an_approval_of_each_kind_one_partly_drawn(  # noqa: N802
        self, session: Session
    ) -> None:
        approvals = all_of(session, Approval)
        assert {a.kind for a in approvals} == set(ApprovalKind)
        assert any(0 < a.drawn < a.quantity for a in approvals)
        assert all(a.valid_from <= AS_OF <= a.valid_until for a in approvals)

    def test_R8_has_a_party_in_each_standing_each_from_a_dated_document(  # noqa: N802
        self, session: Session
    ) -> None:
        statuses = {p.status for p in all_of(session, Party)}
        assert statuses >= {PartyStatus.ACTIVE, PartyStatus.BANKRUPT, PartyStatus.DEREGISTERED}
        standings = all_of(session, PartyStanding)
        ended = {s.status for s in standings}
        assert ended >= {PartyStatus.BANKRUPT, PartyStatus.DEREGISTERED}
        assert all(s.document_ref and s.effective_on <= AS_OF for s in standings)

    def test_whitelists_1500_researchers_and_keeps_every_other_case(self, session: Session) -> None:
        entries = all_of(session, WhitelistEntry)
        active_individuals = [
            e
            for e in entries
            if e.subject_kind is SubjectKind.INDIVIDUAL and e.status is EntryStatus.ACTIVE
        ]
        assert len(active_individuals) >= 1500
        statuses = {a.status for a in all_of(session, WhitelistApplication)}
        assert statuses >= {
            ApplicationStatus.DRAFT,
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.INFORMATION_REQUESTED,
            ApplicationStatus.RESUBMITTED,
            ApplicationStatus.DECLINED,
        }
        assert {e.status for e in entries} == set(EntryStatus)
        assert {e.subject_kind for e in entries} == set(SubjectKind)
        for entry in entries:
            assert (entry.valid_until < AS_OF) == (entry.status is EntryStatus.EXPIRED)

    def test_every_researcher_is_sponsored_by_their_affiliation(self, session: Session) -> None:
        affiliated = {(a.person_id, a.party_id) for a in all_of(session, Affiliation)}
        individual = [
            a
            for a in all_of(session, WhitelistApplication)
            if a.subject_kind is SubjectKind.INDIVIDUAL
        ]
        assert len(individual) == len(all_of(session, Person))
        assert all((a.person_id, a.party_id) in affiliated for a in individual)

    def test_eleven_institutions_own_a_channel1_car_with_a_permit_there(
        self, session: Session
    ) -> None:
        profile = hetao_profile()
        channel1 = next(
            p.code for p in profile.crossing_points if p.kind is CrossingKind.DEDICATED_CHANNEL
        )
        live_vehicles = {
            e.vehicle_id
            for e in all_of(session, WhitelistEntry)
            if e.subject_kind is SubjectKind.VEHICLE and e.status is EntryStatus.ACTIVE
        }
        owners = {
            v.owner_party_id
            for v in all_of(session, Vehicle)
            if v.kind is VehicleKind.CHANNEL1_CAR
            and v.id in live_vehicles
            and any(
                channel1 in p.crossing_points and p.valid_from <= AS_OF <= p.valid_until
                for p in v.permits
            )
        }
        assert len(owners) >= 11

    def test_every_change_has_an_audit_event(self, session: Session) -> None:
        events = all_of(session, AuditEvent)
        assert events
        by_tag: dict[str, set[str]] = {}
        for event in events:
            by_tag.setdefault(event.tag, set()).add(event.subject_id)
        for tag, model in (
            ("registry:party:create", Party),
            ("registry:person:create", Person),
            ("registry:vehicle:create", Vehicle),
            ("registry:application:create", WhitelistApplication),
            ("registry:entry:create", WhitelistEntry),
            ("registry:waiver:create", ExemptionWaiver),
        ):
            assert by_tag[tag] == {str(row.id) for row in all_of(session, model)}, tag
        assert "registry:entry:expire" in by_tag
