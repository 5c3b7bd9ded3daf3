"""The demo zone: deterministic, valid by every published rule, shaped like REGIME R15, with
goods, inspections, funds and data transfers in every state; on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

import hetao.models  # noqa: F401 (registers every table on Base.metadata)
from conftest import BACKENDS, scratch_postgres_database
from hetao import demo
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth.models import User
from hetao.auth.passwords import verify_password
from hetao.auth.principal import Role
from hetao.biometrics.models import FaceEnrolment
from hetao.biometrics.sealed import TemplateBox
from hetao.crossing.models import CrossingDecision, CrossingEvent
from hetao.datatransfer.models import (
    ApplicationStatus as DataApplicationStatus,
)
from hetao.datatransfer.models import (
    BatchStatus,
    ChannelBatch,
    DataTransferApplication,
)
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration, DeclarationLine, DeclarationStatus
from hetao.engine.facts import Outcome
from hetao.funds.models import (
    BudgetLine,
    FundingSource,
    FundTransfer,
    Project,
    ProjectStatus,
    TransferStatus,
)
from hetao.inspections.models import (
    AdjustmentProposal,
    AdjustmentStatus,
    Inspection,
    InspectionResult,
    InspectionStatus,
    Override,
    OverrideStatus,
    Seizure,
)
from hetao.inspections.results import inspected_goods
from hetao.ledger import reports as ledger_reports
from hetao.ledger.models import CustomsStatus, Hold, HoldStatus, Lot, Movement, MovementKind
from hetao.loans.models import Loan, LoanStatus
from hetao.lookup import service as lookup
from hetao.lookup.service import StepKind
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
CLOCK_COLUMNS = frozenset(
    {
        "created_at",
        "updated_at",
        "submitted_at",
        "decided_at",
        "accepted_at",
        "cleared_at",
        "refused_at",
    }
)
# Random by design: the ledger's correlation keys, and the leg keys derived from them.
RANDOM_COLUMNS = frozenset({"correlation_key", "idempotency_key"})
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
    Declaration,
    DeclarationLine,
    Lot,
    Movement,
    Hold,
    Inspection,
    AdjustmentProposal,
    Override,
    Project,
    BudgetLine,
    FundTransfer,
    DataTransferApplication,
    ChannelBatch,
)


@dataclass(frozen=True)
class Database:
    """A fresh database of one backend with the whole schema."""

    backend: str
    url: str
    engine: Engine
    factory: sessionmaker[Session]

    def committed_parties(self) -> int:
        """Parties another connection sees: only what is committed."""
        query = "SELECT count(*) FROM parties"
        if self.backend == "sqlite":
            # WAL lets a second connection read the last committed state while a load is
            # pending (the engine's own connections queue behind its writer).
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as reader:
                return int(reader.execute(query).fetchone()[0])
        with psycopg.connect(self.url) as reader:
            row = reader.execute(query).fetchone()
            assert row is not None
            return int(row[0])


@dataclass(frozen=True)
class Loaded:
    """The demo loaded once per backend, and what a reader saw before the commit."""

    db: Database
    summary: demo.DemoSummary
    parties_visible_before_commit: int


def fresh_database(stack: ExitStack, backend: str, directory: Path) -> Database:
    """An empty database of ``backend`` for this module, dropped or disposed at the end."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / 'demo.db'}"
    else:
        url = stack.enter_context(scratch_postgres_database())
    engine = make_engine(url)
    stack.callback(engine.dispose)
    Base.metadata.create_all(engine)
    return Database(backend, url, engine, session_factory(engine))


def load_into(db: Database, seed: int) -> tuple[demo.DemoSummary, int]:
    """Load the demo in one unit of work; also count the parties a reader sees before the commit."""
    with unit_of_work(db.factory) as session:
        summary = demo.load(
            session,
            profile=hetao_profile(),
            seed=seed,
            as_of=AS_OF,
            actor=ACTOR,
            templates=TemplateBox(bytes(32)),
        )
        visible = db.committed_parties()
    return summary, visible


def hetao_profile() -> ZoneProfile:
    return load_profile("hetao")


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the demo made, in id order, without the columns the wall clock or chance set."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    left_out = CLOCK_COLUMNS | RANDOM_COLUMNS
    with db.factory() as session:
        for model in DUMPED:
            table = model.__table__
            keep = [c for c in table.columns if c.key not in left_out]
            key = model.__mapper__.primary_key
            rows = session.execute(select(*keep).order_by(*key))
            out[model.__tablename__] = [tuple(row) for row in rows]
    return out


def all_of(session: Session, model: type[Any]) -> list[Any]:
    return list(session.scalars(select(model).order_by(model.id)))


def count(values: Any) -> dict[str, int]:
    """How many of each value, by its string (as the summary counts)."""
    return dict(Counter(str(value) for value in values))


def every_state_counted(found: dict[str, int], states: Any) -> None:
    """Each of ``states`` is present, at least once."""
    assert set(found) == {str(state) for state in states}, found
    assert all(n > 0 for n in found.values()), found


def sqlite_only(loaded: Loaded) -> None:
    """Loads again to compare: the random stream does not depend on the database, and two
    more loads on PostgreSQL would double the module's time."""
    if loaded.db.backend != "sqlite":
        pytest.skip("compares loads on SQLite only: the seed, not the database, decides them")


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    with ExitStack() as stack:
        db = fresh_database(stack, request.param, tmp_path_factory.mktemp("demo"))
        summary, visible = load_into(db, SEED)
        yield Loaded(db, summary, visible)


@pytest.fixture
def session(loaded: Loaded) -> Iterator[Session]:
    with loaded.db.factory() as s:
        yield s


class TestDemoLoad:
    def test_an_empty_registry_is_empty_and_a_loaded_one_is_not(
        self, loaded: Loaded, session: Session, tmp_path: Path
    ) -> None:
        sqlite_only(loaded)
        with ExitStack() as stack:
            db = fresh_database(stack, "sqlite", tmp_path)
            with db.factory() as empty:
                assert demo.is_empty(empty)
        assert not demo.is_empty(session)

    def test_leaves_the_commit_to_the_caller(self, loaded: Loaded) -> None:
        assert loaded.parties_visible_before_commit == 0
        committed = loaded.db.committed_parties()
        assert committed == sum(loaded.summary.parties_by_kind.values()) > 0

    def test_same_seed_and_date_give_identical_data(self, loaded: Loaded, tmp_path: Path) -> None:
        sqlite_only(loaded)
        with ExitStack() as stack:
            again = fresh_database(stack, "sqlite", tmp_path)
            summary, _ = load_into(again, SEED)
            assert summary == loaded.summary
            assert dump(again) == dump(loaded.db)

    def test_a_different_seed_gives_different_data(self, loaded: Loaded, tmp_path: Path) -> None:
        sqlite_only(loaded)
        with ExitStack() as stack:
            other = fresh_database(stack, "sqlite", tmp_path)
            load_into(other, SEED + 1)
            theirs, ours = dump(other), dump(loaded.db)
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
        activity = summary.activity
        assert activity.lots_by_status == count(lot.customs_status for lot in all_of(session, Lot))
        assert activity.declarations_by_status == count(
            d.status for d in all_of(session, Declaration)
        )
        assert activity.inspections_by_status == count(
            i.status for i in all_of(session, Inspection)
        )
        assert activity.holds_by_status == count(h.status for h in all_of(session, Hold))
        assert activity.overrides_by_status == count(o.status for o in all_of(session, Override))
        assert activity.transfers_by_status == count(
            t.status for t in all_of(session, FundTransfer)
        )
        assert activity.data_applications_by_status == count(
            a.status for a in all_of(session, DataTransferApplication)
        )
        assert activity.channel_batches_by_status == count(
            b.status for b in all_of(session, ChannelBatch)
        )

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


class TestDemoRegistryCases:
    def test_individuals_and_vehicles_have_applications_in_every_state(
        self, session: Session
    ) -> None:
        applications = all_of(session, WhitelistApplication)
        for kind in (SubjectKind.INDIVIDUAL, SubjectKind.VEHICLE):
            every_state_counted(
                count(a.status for a in applications if a.subject_kind is kind), ApplicationStatus
            )

    def test_some_individual_entries_end_within_the_next_30_days(self, session: Session) -> None:
        ending = [
            e
            for e in all_of(session, WhitelistEntry)
            if e.status is EntryStatus.ACTIVE
            and AS_OF <= e.valid_until <= AS_OF + dt.timedelta(days=30)
        ]
        assert len(ending) >= 3

    def test_a_party_in_each_standing_the_registry_records(self, session: Session) -> None:
        standings = all_of(session, PartyStanding)
        assert {PartyStatus.BANKRUPT, PartyStatus.DEREGISTERED} <= {s.status for s in standings}
        assert any(
            s.status is PartyStatus.ACTIVE and s.credit_level is CreditLevel.DISHONEST
            for s in standings
        )


class TestDemoUsers:
    def test_two_officers_on_each_line_and_one_user_of_every_other_role(
        self, loaded: Loaded, session: Session
    ) -> None:
        users = all_of(session, User)
        roles = Counter(u.role for u in users)
        assert roles[Role.FIRST_LINE_OFFICER] >= 2
        assert roles[Role.SECOND_LINE_OFFICER] >= 2
        for role in (Role.ZONE_REVIEWER, Role.AUDITOR, Role.ADMINISTRATOR):
            assert roles[role] >= 1, role
        enterprise_parties = {u.party_id for u in users if u.role is Role.ENTERPRISE_USER}
        assert len(enterprise_parties) >= 2
        assert None not in enterprise_parties
        names = {u.username for u in users}
        assert {
            "demo-administrator",
            "demo-zone-reviewer",
            "demo-first-line-officer",
            "demo-second-line-officer",
            "demo-auditor",
            "demo-enterprise-user",
        } <= names
        printed = {(u.username, u.role, u.party_id) for u in loaded.summary.users}
        assert printed == {(u.username, u.role, u.party_id) for u in users}
        assert all(u.purpose for u in loaded.summary.users)

    def test_every_demo_user_signs_in_with_the_demo_password(self, session: Session) -> None:
        for user in all_of(session, User):
            assert verify_password(user.password_hash, demo.DEMO_PASSWORD), user.username


class TestDemoGoods:
    def test_lots_in_every_customs_status_moved_by_every_kind_of_movement(
        self, session: Session
    ) -> None:
        lots = all_of(session, Lot)
        every_state_counted(count(lot.customs_status for lot in lots), CustomsStatus)
        every_state_counted(count(m.kind for m in all_of(session, Movement)), MovementKind)
        owners = {lot.party_id: session.get(Party, lot.party_id) for lot in lots}
        kinds = Counter(party.kind for party in owners.values() if party is not None)
        assert kinds[PartyKind.CSA_ENTERPRISE] >= 2
        assert kinds[PartyKind.CSA_PUBLIC_INSTITUTION] >= 1

    def test_holds_in_every_status_keep_goods_reserved(self, session: Session) -> None:
        every_state_counted(count(h.status for h in all_of(session, Hold)), HoldStatus)
        assert any(lot.reserved > 0 for lot in all_of(session, Lot))

    def test_declarations_of_every_kind_and_state_taxes_on_those_cleared(
        self, session: Session
    ) -> None:
        declarations = all_of(session, Declaration)
        every_state_counted(count(d.status for d in declarations), DeclarationStatus)
        every_state_counted(count(d.kind for d in declarations), DeclarationKind)
        taxed = [
            d
            for d in declarations
            if d.status is DeclarationStatus.CLEARED
            and d.kind is DeclarationKind.SECOND_LINE_EXIT
            and d.tax_total is not None
            and d.tax_total > 0
        ]
        assert taxed
        assert all(d.assessment is not None for d in taxed)

    def test_each_lots_journey_has_its_declarations_decided_before_its_goods_cross(
        self, session: Session
    ) -> None:
        """Declarations are lodged and cleared on their declared days, before the gates open:
        no journey shows goods crossing before the declaration that let them in."""
        checked = 0
        for lot in all_of(session, Lot):
            steps = lookup.journey(session, lot).steps
            crossed = [step.at for step in steps if step.kind is StepKind.CROSSING]
            opened = [
                step.at
                for step in steps
                if step.kind is StepKind.DECLARATION and step.subject.reference == lot.admission_ref
            ]
            if crossed and opened:
                assert max(opened) < min(crossed), lot.id
                checked += 1
        assert checked >= 5
        cleared = [d for d in all_of(session, Declaration) if d.cleared_at is not None]
        assert all(d.created_at < d.cleared_at for d in cleared)
        assert all(d.cleared_at.date() <= AS_OF for d in cleared)

    def test_some_lots_end_their_supervision_period_within_90_days(self, session: Session) -> None:
        ending = ledger_reports.supervision_ending(session, today=AS_OF, days=90)
        assert len(ending) >= 2
        assert all(row.balance > 0 for row in ending)

    def test_instruments_lent_returned_away_overdue_taxed_cancelled_and_one_from_hong_kong(
        self, session: Session
    ) -> None:
        loans = all_of(session, Loan)
        states = sorted((loan.direction.value, loan.status.value) for loan in loans)
        assert states == [
            ("in", "away"),
            ("out", "away"),
            ("out", "cancelled"),
            ("out", "overdue"),
            ("out", "returned"),
            ("out", "taxable"),
        ]
        taxed = [loan for loan in loans if loan.status is LoanStatus.TAXABLE]
        assert taxed[0].assessment is not None
        assert taxed[0].tax_total is not None
        assert taxed[0].tax_total > 0
        assert taxed[0].taxable_reason is not None
        assert taxed[0].taxable_reason["rule"] == "R5"
        for loan in loans:
            if loan.lot_id is not None:  # a loan is no export: the lot still holds the goods
                lot = session.get(Lot, loan.lot_id)
                assert lot is not None
                assert lot.balance > 0

    def test_researchers_enrolled_one_withdrawn_and_crossing_on_the_gates_match(
        self, session: Session
    ) -> None:
        enrolments = all_of(session, FaceEnrolment)
        assert sorted(row.status.value for row in enrolments) == [
            "enrolled",
            "enrolled",
            "withdrawn",
        ]
        for row in enrolments:  # a withdrawn consent leaves no template
            assert (row.template_sealed is None) == (row.status.value != "enrolled")
        crossings = session.scalars(
            select(CrossingEvent).where(CrossingEvent.device_event_id.like("demo-face-%"))
        ).all()
        face_codes = sorted(
            reason["code"]
            for event in crossings
            for reason in event.decision.reasons
            if reason["code"].startswith("face.")
        )
        assert face_codes == [
            "face.below_threshold",
            "face.matched",
            "face.matched",
            "face.no_liveness",
            "face.not_enrolled",
        ]


class TestDemoInspections:
    def test_inspections_in_every_status_and_with_every_result(self, session: Session) -> None:
        inspections = all_of(session, Inspection)
        every_state_counted(count(i.status for i in inspections), InspectionStatus)
        every_state_counted(
            count(i.result for i in inspections if i.result is not None), InspectionResult
        )

    def test_adjustments_approved_rejected_and_awaiting_a_second_officer(
        self, session: Session
    ) -> None:
        adjustments = all_of(session, AdjustmentProposal)
        every_state_counted(count(a.status for a in adjustments), AdjustmentStatus)
        approved = [a for a in adjustments if a.status is AdjustmentStatus.APPROVED]
        assert all(a.movement_id is not None and a.decided_by != a.proposed_by for a in approved)

    def test_a_seizure_keeps_its_goods_under_a_pending_hold(self, session: Session) -> None:
        seizures = all_of(session, Seizure)
        assert seizures
        holds = [session.get_one(Hold, s.hold_id) for s in seizures]
        assert all(hold.status is HoldStatus.PENDING for hold in holds)

    def test_an_overturned_refuse_awaits_a_second_officer_of_its_line(
        self, session: Session
    ) -> None:
        overrides = all_of(session, Override)
        every_state_counted(count(o.status for o in overrides), OverrideStatus)
        users = {u.id: u for u in all_of(session, User)}
        pending = [o for o in overrides if o.status is OverrideStatus.PROPOSED]
        assert any(o.from_outcome is Outcome.REFUSE for o in pending)
        overturned = [
            o
            for o in overrides
            if o.status is OverrideStatus.CONFIRMED and o.from_outcome is Outcome.REFUSE
        ]
        assert {users[o.proposed_by].role for o in overturned} == {
            Role.FIRST_LINE_OFFICER,
            Role.SECOND_LINE_OFFICER,
        }
        for override in overturned:
            assert override.decided_by is not None
            assert override.decided_by != override.proposed_by
            assert users[override.decided_by].role is users[override.proposed_by].role

    def test_inspection_1_is_the_readmes_in_progress_goods_inspection(
        self, session: Session
    ) -> None:
        inspection = session.get(Inspection, 1)
        assert inspection is not None
        assert (inspection.status, inspection.crossing_point) == (
            InspectionStatus.IN_PROGRESS,
            "FBZ_CHANNEL_1",
        )
        decision = session.get(CrossingDecision, inspection.decision_id)
        assert decision is not None
        assert 3 in inspected_goods(session, decision).lot_ids
        lot = session.get(Lot, 3)
        assert lot is not None
        assert lot.unit == "kit"


class TestDemoFunds:
    def test_projects_of_every_funding_source_with_the_readmes_project(
        self, session: Session
    ) -> None:
        projects = all_of(session, Project)
        assert "GD-2026-0001" in {p.code for p in projects}
        assert {p.funding_source for p in projects} == set(FundingSource)
        every_state_counted(count(p.status for p in projects), ProjectStatus)
        assert all(p.budget_lines for p in projects)

    def test_fund_transfers_in_every_state(self, session: Session) -> None:
        transfers = all_of(session, FundTransfer)
        every_state_counted(count(t.status for t in transfers), TransferStatus)
        assert any(t.tax_filing_required for t in transfers)


class TestDemoDataTransfers:
    def test_applications_in_every_state_and_batches_recorded_and_refused(
        self, session: Session
    ) -> None:
        every_state_counted(
            count(a.status for a in all_of(session, DataTransferApplication)),
            DataApplicationStatus,
        )
        every_state_counted(count(b.status for b in all_of(session, ChannelBatch)), BatchStatus)
