"""No state change without its event: every public service function, walked and proved.

The platform's rule: every state change writes an audit event in the same transaction, tagged
``source:subject:action``, via ``hetao.audit.service.record_event``; services never commit.

Every public function of the service modules (``hetao.registry.service``, ``hetao.auth.service``,
``hetao.audit.service``, the bulk imports of ``hetao.registry.bulk``, and the e-ledger's
``hetao.ledger.service`` modules and ``hetao.declarations.service``) is classified by hand
below, either in ``WRITES`` (a scenario that sets up what the function needs and calls it, and
the tags the call must write) or in ``READS_ONLY`` (with the reason). A new service function
fails ``test_every_public_service_function_is_classified`` until someone decides which it is.
``hetao.demo`` (``load``, ``demo_users``) is out of scope: it calls these services.

Besides the tags, a generic check watches the whole call through SQLAlchemy's events on the
test's session (``after_flush``: new, really changed and deleted rows; ``do_orm_execute``: ORM
bulk DML) and on its connection (any INSERT, UPDATE or DELETE statement, however issued): a call
that changed a table other than the audit log's own must have written an audit event. Bookkeeping
that is deliberately not audited is named in ``BOOKKEEPING``, column by column, with the one
function allowed to write it and the reason.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker

from biometrics.audited import FACE_READS, FACE_WRITES
from credentials.support import whitelisted
from crossing.events.audited import EVENT_OTHER_PATHS, EVENT_READS, EVENT_WRITES
from datatransfer.audited import DATA_OTHER_PATHS, DATA_READS, DATA_WRITES
from declarations.centralised_audited import CENTRALISED_READS, CENTRALISED_WRITES
from declarations.support import admitted, body, line
from declarations.support import clear as clear_declaration
from declarations.support import submit as lodge
from factories import make_application, make_party, party_payload, person_payload, vehicle_payload
from funds.audited import FUNDS_OTHER_PATHS, FUNDS_WRITES
from hetao.audit import service as audit
from hetao.audit.checkpoints import CheckpointStore, Signer
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor, CheckpointPolicy
from hetao.audit.tags import ALL_TAGS
from hetao.auth import roles as auth_roles
from hetao.auth import service as auth
from hetao.auth.errors import LoginRefused
from hetao.auth.models import ApiToken, User, WebSession
from hetao.auth.principal import Role
from hetao.biometrics import service as face_service
from hetao.credentials import service as credential_service
from hetao.credentials.tokens import SigningKey
from hetao.crossing import backtest as crossing_backtest
from hetao.crossing import intake as crossing_intake
from hetao.crossing import rule_sets as crossing_rule_sets
from hetao.crossing import service as crossing_service
from hetao.datatransfer import channel as datatransfer_channel
from hetao.datatransfer import service as datatransfer_service
from hetao.declarations import centralised
from hetao.declarations import service as declarations
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration
from hetao.declarations.schemas import DeclarationCreate
from hetao.funds import service as funds_service
from hetao.inspections import overrides as inspection_overrides
from hetao.inspections import results as inspection_results
from hetao.inspections import service as inspections
from hetao.ledger import service as ledger
from hetao.ledger.models import Hold, Lot, Movement, MovementKind
from hetao.ledger.service import holds as ledger_holds
from hetao.ledger.service import lots as ledger_lots
from hetao.ledger.service import movements as ledger_movements
from hetao.loans import service as loans_service
from hetao.notifications import service as notification_service
from hetao.profiles import Line, ZoneProfile
from hetao.reference_versions import service as reference_versions
from hetao.reference_versions.models import TableKind
from hetao.registry import approvals as registry_approvals
from hetao.registry import bulk
from hetao.registry import parties as registry_parties
from hetao.registry import service as registry
from hetao.registry import standings as registry_standings
from hetao.registry.models import (
    Approval,
    ApprovalKind,
    Party,
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
from inspections.audited import (
    INSPECTION_OTHER_PATHS,
    INSPECTION_READS,
    INSPECTION_WRITES,
)
from ledger.support import admit, product
from ledger.support import key as idempotency_key
from loans.audited import LOAN_OTHER_PATHS, LOAN_READS, LOAN_WRITES
from notifications.audited import (
    NOTIFICATION_BOOKKEEPING,
    NOTIFICATION_OTHER_PATHS,
    NOTIFICATION_READS,
    NOTIFICATION_WRITES,
)
from reference_versions.support import as_version

SERVICE_MODULES: tuple[ModuleType, ...] = (registry, bulk, auth, audit, declarations)
SERVICE_MODULES += (ledger_lots, ledger_movements, ledger_holds)
SERVICE_MODULES += (registry_parties, registry_standings, registry_approvals)
SERVICE_MODULES += (credential_service,)
SERVICE_MODULES += (inspections, inspection_results, inspection_overrides)
SERVICE_MODULES += (crossing_service, crossing_rule_sets, crossing_intake, crossing_backtest)
SERVICE_MODULES += (funds_service, loans_service)
SERVICE_MODULES += (datatransfer_service, datatransfer_channel)
SERVICE_MODULES += (centralised,)
SERVICE_MODULES += (notification_service,)
SERVICE_MODULES += (auth_roles, reference_versions)
SERVICE_MODULES += (face_service,)
AUDIT_TABLES = frozenset({"audit_events", "audit_head", "audit_checkpoints"})

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
ADDR = "203.0.113.7"
PROBE_TAG = "test:probe:record"

# How a changed row is named: (table, column) for an update, or one of these for a whole row.
INSERT, DELETE, STATEMENT = "<insert>", "<delete>", "<statement>"
Change = tuple[str, str]


def public_service_functions() -> dict[str, Callable[..., Any]]:
    """Each module's own public functions, named ``registry.service.approve`` and so on."""
    found: dict[str, Callable[..., Any]] = {}
    for module in SERVICE_MODULES:
        prefix = module.__name__.removeprefix("hetao.")
        for name, value in vars(module).items():
            if (
                inspect.isfunction(value)
                and not name.startswith("_")
                and value.__module__ == module.__name__
            ):
                found[f"{prefix}.{name}"] = value
    return found


# --- the world a scenario runs in ---------------------------------------------------------


@dataclass(frozen=True)
class World:
    session: Session
    actor: Actor
    profile: ZoneProfile
    tmp_path: Path


Call = Callable[[], object]
#: Sets up what the function needs (unobserved) and returns the call itself (observed).
Scenario = Callable[[World], Call]

_serial = itertools.count(1)


def new_user(w: World, role: Role = Role.FIRST_LINE_OFFICER) -> tuple[User, str]:
    n = next(_serial)
    password = f"correct horse battery {n}"
    user = auth.create_user(
        w.session,
        username=f"audited-{n}",
        display_name=f"Audited User {n}",
        password=password,
        role=role,
        party_id=None,
        actor=w.actor,
    )
    return user, password


def sign_in(
    w: World, user: User, password: str, now: dt.datetime | None = None
) -> tuple[WebSession, str]:
    return auth.login(
        w.session, username=user.username, password=password, remote_addr=ADDR, now=now
    )


def device_token(w: World) -> tuple[ApiToken, str]:
    return auth.issue_token(
        w.session,
        name=f"lane {next(_serial)}",
        roles=[Role.GATE_DEVICE],
        device_name=f"gate-{next(_serial)}",
        crossing_points=[w.profile.crossing_points[0].code],
        expires_at=utcnow() + dt.timedelta(days=30),
        actor=w.actor,
        profile=w.profile,
    )


def submitted(w: World, party: Party | None = None) -> WhitelistApplication:
    overrides = {} if party is None else {"party_id": party.id}
    application = make_application(w.session, w.actor, w.profile, **overrides)
    registry.submit(w.session, application, actor=w.actor)
    return application


def live_entry(w: World, party: Party | None = None) -> WhitelistEntry:
    return registry.approve(w.session, submitted(w, party), profile=w.profile, actor=w.actor)


def policy(w: World) -> CheckpointPolicy:
    return CheckpointPolicy(
        log_id=w.profile.zone.code,
        every_events=1000,
        every_seconds=3600,
        signer=Signer.load_or_create(w.tmp_path / "audit-key.pem"),
        store=CheckpointStore(w.tmp_path / "checkpoints"),
    )


# --- scenarios: registry ------------------------------------------------------------------


def scenario_create_party(w: World) -> Call:
    data = PartyCreate(**party_payload())
    return lambda: registry_parties.create_party(w.session, data, actor=w.actor)


def scenario_create_persons(w: World) -> Call:
    party = make_party(w.session, w.actor)
    people = [PersonCreate(**person_payload(party.id)) for _ in range(2)]
    return lambda: registry_parties.create_persons(w.session, people, actor=w.actor)


def scenario_create_person(w: World) -> Call:
    data = PersonCreate(**person_payload(make_party(w.session, w.actor).id))
    return lambda: registry_parties.create_person(w.session, data, actor=w.actor)


def scenario_person_problems(w: World) -> Call:
    data = PersonCreate(**person_payload(make_party(w.session, w.actor).id))
    return lambda: registry_parties.person_problems(w.session, [data])


def scenario_create_vehicles(w: World) -> Call:
    owner = make_party(w.session, w.actor).id
    vehicles = [VehicleCreate(**vehicle_payload(owner)) for _ in range(2)]
    return lambda: registry_parties.create_vehicles(
        w.session, vehicles, profile=w.profile, actor=w.actor
    )


def scenario_create_vehicle(w: World) -> Call:
    data = VehicleCreate(**vehicle_payload(make_party(w.session, w.actor).id))
    return lambda: registry_parties.create_vehicle(
        w.session, data, profile=w.profile, actor=w.actor
    )


def scenario_vehicle_problems(w: World) -> Call:
    data = VehicleCreate(**vehicle_payload(make_party(w.session, w.actor).id))
    return lambda: registry_parties.vehicle_problems(w.session, [data], profile=w.profile)


def scenario_create_application(w: World) -> Call:
    data = ApplicationCreate(
        subject_kind="institution",
        party_id=make_party(w.session, w.actor).id,
        flows=["people", "goods"],
        lines=["first", "second"],
        exemptions=["duty_free_research_goods"],
    )
    return lambda: registry.create_application(w.session, data, profile=w.profile, actor=w.actor)


def scenario_submit(w: World) -> Call:
    application = make_application(w.session, w.actor, w.profile)
    return lambda: registry.submit(w.session, application, actor=w.actor)


def scenario_request_information(w: World) -> Call:
    application = submitted(w)
    return lambda: registry.request_information(
        w.session, application, note="send the lab plan", actor=w.actor
    )


def scenario_resubmit(w: World) -> Call:
    application = submitted(w)
    registry.request_information(w.session, application, note="send the lab plan", actor=w.actor)
    answer = Resubmission(answer="lab plan attached")
    return lambda: registry.resubmit(
        w.session, application, answer, profile=w.profile, actor=w.actor
    )


def scenario_approve(w: World) -> Call:
    """Approval of a subject that already has a live entry: the old entry is superseded."""
    party = make_party(w.session, w.actor)
    live_entry(w, party)
    application = submitted(w, party)
    return lambda: registry.approve(w.session, application, profile=w.profile, actor=w.actor)


def scenario_decline(w: World) -> Call:
    application = submitted(w)
    return lambda: registry.decline(
        w.session, application, note="not a research institution", actor=w.actor
    )


def scenario_suspend(w: World) -> Call:
    entry = live_entry(w)
    return lambda: registry.suspend(w.session, entry, note="customs inquiry", actor=w.actor)


def scenario_reinstate(w: World) -> Call:
    entry = live_entry(w)
    registry.suspend(w.session, entry, note="customs inquiry", actor=w.actor)
    return lambda: registry.reinstate(w.session, entry, profile=w.profile, actor=w.actor)


def scenario_revoke(w: World) -> Call:
    entry = live_entry(w)
    return lambda: registry.revoke(w.session, entry, note="left the zone", actor=w.actor)


def scenario_expire_due(w: World) -> Call:
    entry = live_entry(w)
    today = entry.valid_until + dt.timedelta(days=1)
    return lambda: registry.expire_due(w.session, today=today, actor=w.actor)


def scenario_waive_exemption(w: World) -> Call:
    party = make_party(w.session, w.actor)
    data = WaiverCreate(goods_kind="reagents", reason="pays the import taxes")
    return lambda: registry_standings.waive_exemption(
        w.session, party, data, profile=w.profile, actor=w.actor
    )


def scenario_record_standing(w: World) -> Call:
    party = make_party(w.session, w.actor)
    data = StandingCreate(
        change=StandingChange.BANKRUPT,
        effective_on=NOW.date(),
        document_ref="(2026) Yue 03 Po 117",
    )
    return lambda: registry_standings.record_standing(
        w.session, party, data, profile=w.profile, actor=w.actor, today=NOW.date()
    )


def _approval(w: World) -> Approval:
    party = make_party(w.session, w.actor)
    data = ApprovalCreate(
        kind=ApprovalKind.SPECIAL_ARTICLE_QUARANTINE,
        number=f"SZ-QA-{next(_approval_numbers)}",
        issuer="Shenzhen Customs (Futian)",
        party_id=party.id,
        hs_codes=["3002"],
        quantity=Decimal(100),
        unit="ml",
        valid_from=NOW.date(),
        valid_until=NOW.date(),
    )
    return registry_approvals.record_approval(w.session, data, actor=w.actor)


_approval_numbers = itertools.count(1)


def scenario_record_approval(w: World) -> Call:
    party = make_party(w.session, w.actor)
    data = ApprovalCreate(
        kind=ApprovalKind.HUMAN_GENETIC_RESOURCES,
        number="MOST-HGR-2026-0007",
        issuer="Ministry of Science and Technology",
        party_id=party.id,
        article_kinds=["samples"],
        quantity=Decimal(20),
        unit="ml",
        valid_from=NOW.date(),
        valid_until=NOW.date(),
    )
    return lambda: registry_approvals.record_approval(w.session, data, actor=w.actor)


def scenario_draw_approval(w: World) -> Call:
    approval = _approval(w)
    return lambda: registry_approvals.draw_approval(
        w.session,
        approval,
        Decimal(5),
        declaration_id=1,
        line_no=1,
        field="lines[0].special_article_approval",
        actor=w.actor,
    )


def scenario_approval_state(w: World) -> Call:
    approval = _approval(w)
    return lambda: registry_approvals.approval_state(
        approval,
        party_id=approval.party_id,
        hs_code="300290",
        goods_kind="samples",
        quantity=Decimal(5),
        unit="ml",
        on=NOW.date(),
    )


def scenario_assert_approval(w: World) -> Call:
    approval = _approval(w)
    return lambda: registry_approvals.assert_approval(
        w.session,
        approval.kind,
        approval.number,
        party_id=approval.party_id,
        hs_code="300290",
        goods_kind="samples",
        quantity=Decimal(5),
        unit="ml",
        on=NOW.date(),
        field="lines[0].special_article_approval",
    )


def scenario_status_on(w: World) -> Call:
    party = make_party(w.session, w.actor)
    return lambda: registry_standings.status_on(w.session, party, on=NOW.date())


def scenario_beneficiary_entry_state(w: World) -> Call:
    party = make_party(w.session, w.actor)
    return lambda: registry.beneficiary_entry_state(
        w.session, party, on=NOW.date(), line=Line.FIRST
    )


def scenario_entries_in_force(w: World) -> Call:
    entry = live_entry(w)
    party = w.session.get(Party, entry.party_id)
    assert party is not None
    return lambda: registry.entries_in_force(w.session, party, on=entry.valid_from, line=Line.FIRST)


def scenario_entry_state(w: World) -> Call:
    entry = live_entry(w)
    return lambda: registry.entry_state(entry, on=entry.valid_from, line=Line.FIRST)


def scenario_is_beneficiary(w: World) -> Call:
    party = make_party(w.session, w.actor)
    return lambda: registry.is_beneficiary(w.session, party, on=NOW.date(), line=Line.FIRST)


def scenario_assert_beneficiary_entry(w: World) -> Call:
    entry = live_entry(w)
    party = w.session.get(Party, entry.party_id)
    assert party is not None
    return lambda: registry.assert_beneficiary_entry(
        w.session, party, on=entry.valid_from, line=Line.FIRST, rule="R4", field="party_id"
    )


def scenario_assert_exemption_claimable(w: World) -> Call:
    party = make_party(w.session, w.actor)
    return lambda: registry_standings.assert_exemption_claimable(
        w.session, party_id=party.id, goods_kind="reagents", on=NOW.date()
    )


PERSON_HEADER = (
    "family_name,given_name,birth_date,residency,nationality,document_kind,"
    "document_number,document_issuing_country,affiliation_party,affiliation_role"
)
VEHICLE_HEADER = (
    "plate,plate_region,hk_plate,kind,owner_party,permit_number,permit_crossing_points,"
    "permit_valid_from,permit_valid_until"
)


def scenario_import_persons(w: World) -> Call:
    party = make_party(w.session, w.actor)
    rows = [PERSON_HEADER]
    for birth in (dt.date(1990, 1, 2), dt.date(1985, 7, 9)):
        number = person_payload(birth=birth)["documents"][0]["number"]
        rows.append(
            f"Li,Wei,{birth.isoformat()},mainland,CN,mainland_resident_id,{number},CN,"
            f"{party.uscc},researcher"
        )
    text = "\n".join(rows)
    return lambda: bulk.import_persons(w.session, text, actor=w.actor)


def scenario_import_vehicles(w: World) -> Call:
    party = make_party(w.session, w.actor)
    text = (
        f"{VEHICLE_HEADER}\n"
        f"粤Z1234港,cross_boundary,AB 123,channel1_car,{party.uscc},"
        f"CH1-2026-0001,FBZ_CHANNEL_1,2026-01-01,2026-12-31\n"
        f"粤B12345,mainland,,goods_vehicle,{party.uscc},,,,\n"
    )
    return lambda: bulk.import_vehicles(w.session, text, profile=w.profile, actor=w.actor)


# --- scenarios: auth ----------------------------------------------------------------------


def scenario_create_user(w: World) -> Call:
    return lambda: new_user(w)


def scenario_deactivate_user(w: World) -> Call:
    """A user with a live session and a live token: both end with the user."""
    user, password = new_user(w)
    sign_in(w, user, password)
    auth.issue_token(
        w.session,
        name="laptop",
        roles=[user.role],
        user_id=user.id,
        expires_at=utcnow() + dt.timedelta(days=30),
        actor=w.actor,
    )
    return lambda: auth.deactivate_user(w.session, user, actor=w.actor)


def scenario_reactivate_user(w: World) -> Call:
    user, _ = new_user(w)
    auth.deactivate_user(w.session, user, actor=w.actor)
    return lambda: auth.reactivate_user(w.session, user, actor=w.actor)


def scenario_change_role(w: World) -> Call:
    user, _ = new_user(w)
    return lambda: auth_roles.change_role(
        w.session, user, role=Role.AUDITOR, party_id=None, actor=w.actor
    )


def scenario_role_problems(w: World) -> Call:
    return lambda: auth_roles.role_problems(w.session, Role.ENTERPRISE_USER, None)


def scenario_keep_administration(w: World) -> Call:
    """Two administrators: removing one of them is allowed, so the check passes."""
    first, _ = new_user(w, Role.ADMINISTRATOR)
    new_user(w, Role.ADMINISTRATOR)
    return lambda: auth_roles.keep_administration(w.session, first, field="status", actor=w.actor)


def scenario_add_reference_version(w: World) -> Call:
    text = as_version(TableKind.TARIFF, f"AUDITED-{next(_serial)}")
    return lambda: reference_versions.add_version(
        w.session, TableKind.TARIFF, text, effective_from=NOW.date(), actor=w.actor
    )


def scenario_reference_read(read: Callable[..., object]) -> Scenario:
    return lambda w: lambda: read(w.session, on=NOW.date())


def scenario_change_password(w: World) -> Call:
    user, password = new_user(w)
    kept, _ = sign_in(w, user, password)
    sign_in(w, user, password)  # the other browser, signed out by the change
    return lambda: auth.change_password(
        w.session,
        user,
        current_password=password,
        new_password="a brand new passphrase",
        actor=Actor("user", user.username),
        keep=kept,
    )


def scenario_reset_password(w: World) -> Call:
    user, password = new_user(w)
    sign_in(w, user, password)
    return lambda: auth.reset_password(
        w.session, user, new_password="an administrator's choice", actor=w.actor
    )


def scenario_choose_language(w: World) -> Call:
    user, _ = new_user(w)
    return lambda: auth.choose_language(w.session, user, "zh-Hant", actor=w.actor)


def scenario_login(w: World) -> Call:
    user, password = new_user(w)
    return lambda: sign_in(w, user, password)


def scenario_login_refused(w: World) -> Call:
    user, _ = new_user(w)

    def call() -> None:
        with pytest.raises(LoginRefused):
            sign_in(w, user, "not the password at all")

    return call


def scenario_session_principal(w: World) -> Call:
    user, _ = new_user(w)
    return lambda: auth.session_principal(user)


def scenario_authenticate_session(w: World) -> Call:
    """Five minutes after sign-in: the sliding idle timeout moves on."""
    user, password = new_user(w)
    _, secret = sign_in(w, user, password, now=NOW)

    def call() -> None:
        principal = auth.authenticate_session(
            w.session, secret=secret, now=NOW + dt.timedelta(minutes=5)
        )
        assert principal is not None

    return call


def scenario_check_csrf(w: World) -> Call:
    user, password = new_user(w)
    _, secret = sign_in(w, user, password)
    presented = auth.csrf_token(w.session, secret=secret)
    assert presented is not None

    def call() -> None:
        assert auth.check_csrf(w.session, secret=secret, presented=presented)

    return call


def scenario_csrf_token(w: World) -> Call:
    user, password = new_user(w)
    _, secret = sign_in(w, user, password)

    def call() -> None:
        assert auth.csrf_token(w.session, secret=secret) is not None

    return call


def scenario_logout(w: World) -> Call:
    user, password = new_user(w)
    _, secret = sign_in(w, user, password)

    def call() -> None:
        assert auth.logout(w.session, secret=secret)

    return call


def scenario_issue_token(w: World) -> Call:
    return lambda: device_token(w)


def scenario_authenticate_token(w: World) -> Call:
    """A token's first use: last_used_at is set."""
    _, raw = device_token(w)

    def call() -> None:
        assert auth.authenticate_token(w.session, raw=raw) is not None

    return call


def scenario_revoke_token(w: World) -> Call:
    token, _ = device_token(w)
    return lambda: auth.revoke_token(w.session, token, actor=w.actor)


# --- scenarios: audit ---------------------------------------------------------------------


def scenario_record_event(w: World) -> Call:
    return lambda: audit.record_event(
        w.session, PROBE_TAG, subject_type="probe", subject_id=7, actor=w.actor
    )


def scenario_record_events(w: World) -> Call:
    probes = [
        audit.NewEvent(PROBE_TAG, subject_type="probe", subject_id=n, actor=w.actor) for n in (7, 8)
    ]
    return lambda: audit.record_events(w.session, probes)


def scenario_checkpoint_now(w: World) -> Call:
    """Events since the last checkpoint: a new one is signed."""
    audit.record_event(w.session, PROBE_TAG, subject_type="probe", subject_id=7, actor=w.actor)
    chosen = policy(w)

    def call() -> None:
        assert audit.checkpoint_now(w.session, chosen) is not None

    return call


def scenario_enable_checkpoints(w: World) -> Call:
    chosen = policy(w)
    return lambda: audit.enable_checkpoints(sessionmaker(), chosen)


def scenario_checkpoint_policy(w: World) -> Call:
    return lambda: audit.checkpoint_policy(
        w.profile, signing_key=w.tmp_path / "key.pem", store_dir=w.tmp_path / "checkpoints"
    )


# --- scenarios: ledger --------------------------------------------------------------------

#: A hold that outlives the test.
LATER = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


def a_lot(w: World, party: Party | None = None, **overrides: Any) -> Lot:
    """10 bonded reagent kits admitted for ``party`` (a fresh one unless given)."""
    owner = party if party is not None else make_party(w.session, w.actor)
    return admit(w.session, owner, w.profile, w.actor, **overrides)


def a_hold(w: World, lot: Lot, *, expires_at: dt.datetime = LATER, **extra: Any) -> Hold:
    return ledger.hold(
        w.session,
        lot,
        quantity=Decimal(3),
        expires_at=expires_at,
        idempotency_key=idempotency_key(),
        actor=w.actor,
        **extra,
    )


def scenario_admit(w: World) -> Call:
    party = make_party(w.session, w.actor)
    return lambda: admit(w.session, party, w.profile, w.actor)


def scenario_transfer(w: World) -> Call:
    lot, receiver = a_lot(w), make_party(w.session, w.actor)
    return lambda: ledger.transfer(
        w.session,
        lot,
        to_party=receiver,
        quantity=Decimal(4),
        idempotency_key=idempotency_key(),
        profile=w.profile,
        actor=w.actor,
    )


def scenario_withdrawal(verb: Callable[..., Movement], **extra: Any) -> Scenario:
    """A withdrawal of 2 of the lot's 10 units by ``verb`` (consume, destroy and so on)."""

    def scenario(w: World) -> Call:
        lot = a_lot(w)
        return lambda: verb(
            w.session,
            lot,
            quantity=Decimal(2),
            idempotency_key=idempotency_key(),
            actor=w.actor,
            **extra,
        )

    return scenario


def scenario_adjust(quantity: Decimal) -> Scenario:
    """A stocktake overage (positive: a deposit) or shortage (negative: a withdrawal)."""

    def scenario(w: World) -> Call:
        lot = a_lot(w)
        return lambda: ledger.adjust(
            w.session,
            lot,
            quantity=quantity,
            reason="annual stocktake",
            idempotency_key=idempotency_key(),
            actor=w.actor,
        )

    return scenario


def scenario_transform(w: World) -> Call:
    party = make_party(w.session, w.actor)
    reagent = a_lot(w, party)
    cells = a_lot(w, party, hs_code="3002.49", goods_kind="samples")
    return lambda: ledger.transform(
        w.session,
        [(cells, Decimal(2)), (reagent, Decimal("0.5"))],
        idempotency_key=idempotency_key(),
        profile=w.profile,
        actor=w.actor,
        **product(),
    )


def scenario_reverse(w: World) -> Call:
    """Reversing a transfer: both legs, a deposit back to the source and a withdrawal."""
    lot = a_lot(w)
    moved = ledger.transfer(
        w.session,
        lot,
        to_party=make_party(w.session, w.actor),
        quantity=Decimal(4),
        idempotency_key=idempotency_key(),
        profile=w.profile,
        actor=w.actor,
    )
    return lambda: ledger.reverse(
        w.session,
        moved.outgoing,
        reason="sent to the wrong party",
        idempotency_key=idempotency_key(),
        actor=w.actor,
    )


def scenario_hold(w: World) -> Call:
    lot = a_lot(w)
    return lambda: a_hold(w, lot)


def scenario_post(w: World) -> Call:
    held = a_hold(w, a_lot(w))
    return lambda: ledger.post(
        w.session,
        held,
        kind=MovementKind.RELEASE_SECOND_LINE,
        idempotency_key=idempotency_key(),
        actor=w.actor,
    )


def scenario_void(w: World) -> Call:
    held = a_hold(w, a_lot(w))
    return lambda: ledger.void(w.session, held, actor=w.actor, reason="inspection passed")


def scenario_void_expired(w: World) -> Call:
    now = utcnow()
    soon = now + dt.timedelta(minutes=5)
    held = a_hold(w, a_lot(w), expires_at=soon, now=now)

    def call() -> None:
        assert ledger.void_expired(w.session, now=soon, actor=w.actor) == [held]

    return call


def scenario_supervision_class_of(w: World) -> Call:
    return lambda: ledger.supervision_class_of("8703.23", "vehicles")


# --- scenarios: declarations --------------------------------------------------------------


def lodged(
    w: World, kind: DeclarationKind = DeclarationKind.FIRST_LINE_ENTRY, **fields: Any
) -> Declaration:
    """A submitted declaration of a fresh party (a first-line entry unless told)."""
    return lodge(w.session, make_party(w.session, w.actor), w.profile, w.actor, kind, **fields)


def scenario_submit_declaration(w: World) -> Call:
    party = make_party(w.session, w.actor)
    data = DeclarationCreate.model_validate(body(party.id, DeclarationKind.FIRST_LINE_ENTRY))
    return lambda: declarations.submit(w.session, party, data, profile=w.profile, actor=w.actor)


def scenario_inspection_listings(w: World) -> Call:
    declaration = lodged(w)
    return lambda: declarations.inspection_listings(w.session, declaration)


def scenario_declaration_out(w: World) -> Call:
    declaration = lodged(w)
    return lambda: declarations.declaration_out(w.session, declaration)


def scenario_accept_declaration(w: World) -> Call:
    declaration = lodged(w)
    return lambda: declarations.accept(w.session, declaration, actor=w.actor)


def scenario_refuse_declaration(w: World) -> Call:
    declaration = lodged(w)
    return lambda: declarations.refuse(
        w.session, declaration, reason="invoice missing", actor=w.actor
    )


def scenario_clear_entry(w: World) -> Call:
    """A first-line entry: clearing admits its lot."""
    declaration = lodged(w)
    return lambda: clear_declaration(w.session, declaration, w.profile, w.actor)


def scenario_clear_second_line_exit(w: World) -> Call:
    """A second-line exit: clearing withdraws from a lot and stores the assessment."""
    party = make_party(w.session, w.actor)
    lot = admitted(w.session, party, w.profile, w.actor, bonded=True)
    declaration = lodge(
        w.session,
        party,
        w.profile,
        w.actor,
        DeclarationKind.SECOND_LINE_EXIT,
        lines=[line(lot_id=lot.id, quantity="4", customs_value="4800.00")],
    )
    return lambda: clear_declaration(w.session, declaration, w.profile, w.actor)


# --- scenarios: zone credentials -----------------------------------------------------------


def credential_key(w: World) -> SigningKey:
    return SigningKey.load_or_create(w.tmp_path / "credential-key.pem")


def issued_credential(w: World) -> credential_service.IssuedCredential:
    person, _ = whitelisted(w.session, w.actor, w.profile)
    return credential_service.issue(
        w.session, person.id, key=credential_key(w), profile=w.profile, actor=w.actor, now=utcnow()
    )


def scenario_issue_credential(w: World) -> Call:
    person, _ = whitelisted(w.session, w.actor, w.profile)
    key = credential_key(w)
    return lambda: credential_service.issue(
        w.session, person.id, key=key, profile=w.profile, actor=w.actor, now=utcnow()
    )


def scenario_reissue_credential(w: World) -> Call:
    first = issued_credential(w)
    key = credential_key(w)
    return lambda: credential_service.issue(
        w.session,
        first.credential.person_id,
        key=key,
        profile=w.profile,
        actor=w.actor,
        now=utcnow(),
    )


def scenario_revoke_credential(w: World) -> Call:
    issued = issued_credential(w)
    return lambda: credential_service.revoke(
        w.session, issued.credential, reason="badge lost", actor=w.actor, now=NOW
    )


def scenario_register_credential_key(w: World) -> Call:
    issued_credential(w)
    return lambda: credential_service.register_key(
        w.session, SigningKey.generate(), now=NOW, actor=w.actor
    )


def scenario_credential_reads(
    read: Callable[[World, credential_service.IssuedCredential], object],
) -> Scenario:
    def scenario(w: World) -> Call:
        issued = issued_credential(w)
        return lambda: read(w, issued)

    return scenario


# --- the classification -------------------------------------------------------------------

#: Functions that change state: the scenario calling each, and the tags the call must write.
WRITES: dict[str, tuple[Scenario, frozenset[str]]] = {
    "registry.parties.create_party": (scenario_create_party, frozenset({"registry:party:create"})),
    "registry.parties.create_persons": (
        scenario_create_persons,
        frozenset({"registry:person:create"}),
    ),
    "registry.parties.create_person": (
        scenario_create_person,
        frozenset({"registry:person:create"}),
    ),
    "registry.parties.create_vehicles": (
        scenario_create_vehicles,
        frozenset({"registry:vehicle:create"}),
    ),
    "registry.parties.create_vehicle": (
        scenario_create_vehicle,
        frozenset({"registry:vehicle:create"}),
    ),
    "registry.service.create_application": (
        scenario_create_application,
        frozenset({"registry:application:create"}),
    ),
    "registry.service.submit": (scenario_submit, frozenset({"registry:application:submit"})),
    "registry.service.request_information": (
        scenario_request_information,
        frozenset({"registry:application:request_information"}),
    ),
    "registry.service.resubmit": (
        scenario_resubmit,
        frozenset({"registry:application:resubmit"}),
    ),
    "registry.service.approve": (
        scenario_approve,
        frozenset(
            {"registry:application:approve", "registry:entry:create", "registry:entry:revoke"}
        ),
    ),
    "registry.service.decline": (scenario_decline, frozenset({"registry:application:decline"})),
    "registry.service.suspend": (scenario_suspend, frozenset({"registry:entry:suspend"})),
    "registry.service.reinstate": (scenario_reinstate, frozenset({"registry:entry:reinstate"})),
    "registry.service.revoke": (scenario_revoke, frozenset({"registry:entry:revoke"})),
    "registry.service.expire_due": (scenario_expire_due, frozenset({"registry:entry:expire"})),
    "registry.standings.waive_exemption": (
        scenario_waive_exemption,
        frozenset({"registry:waiver:create"}),
    ),
    "registry.standings.record_standing": (
        scenario_record_standing,
        frozenset({"registry:standing:create"}),
    ),
    "registry.approvals.record_approval": (
        scenario_record_approval,
        frozenset({"registry:approval:create"}),
    ),
    "registry.approvals.draw_approval": (
        scenario_draw_approval,
        frozenset({"registry:approval:draw"}),
    ),
    "registry.bulk.import_persons": (
        scenario_import_persons,
        frozenset({"registry:person:create"}),
    ),
    "registry.bulk.import_vehicles": (
        scenario_import_vehicles,
        frozenset({"registry:vehicle:create"}),
    ),
    "auth.service.create_user": (scenario_create_user, frozenset({"auth:user:create"})),
    "auth.service.deactivate_user": (
        scenario_deactivate_user,
        frozenset({"auth:user:deactivate", "auth:token:revoke"}),
    ),
    "auth.service.reactivate_user": (
        scenario_reactivate_user,
        frozenset({"auth:user:reactivate"}),
    ),
    "auth.roles.change_role": (scenario_change_role, frozenset({"auth:user:change_role"})),
    "reference_versions.service.add_version": (
        scenario_add_reference_version,
        frozenset({"reference:version:add"}),
    ),
    "auth.service.change_password": (
        scenario_change_password,
        frozenset({"auth:user:change_password"}),
    ),
    "auth.service.reset_password": (
        scenario_reset_password,
        frozenset({"auth:user:reset_password"}),
    ),
    "auth.service.choose_language": (
        scenario_choose_language,
        frozenset({"auth:user:language"}),
    ),
    # The attempt row (auth_login_attempts) is written with an event on both paths: see below.
    "auth.service.login": (scenario_login, frozenset({"auth:session:login"})),
    "auth.service.logout": (scenario_logout, frozenset({"auth:session:logout"})),
    "auth.service.issue_token": (scenario_issue_token, frozenset({"auth:token:issue"})),
    "auth.service.revoke_token": (scenario_revoke_token, frozenset({"auth:token:revoke"})),
    "audit.service.record_event": (scenario_record_event, frozenset({PROBE_TAG})),
    "audit.service.record_events": (scenario_record_events, frozenset({PROBE_TAG})),
    "audit.service.checkpoint_now": (scenario_checkpoint_now, frozenset()),
    "ledger.service.lots.admit": (scenario_admit, frozenset({"ledger:lot:admit"})),
    "ledger.service.lots.transfer": (scenario_transfer, frozenset({"ledger:movement:transfer"})),
    "ledger.service.movements.withdraw": (
        scenario_withdrawal(ledger.consume),
        frozenset({"ledger:movement:consume"}),
    ),
    "ledger.service.movements.adjust": (
        scenario_adjust(Decimal(1)),
        frozenset({"ledger:movement:adjust"}),
    ),
    "ledger.service.lots.transform": (scenario_transform, frozenset({"ledger:lot:transform"})),
    "ledger.service.movements.reverse": (scenario_reverse, frozenset({"ledger:movement:reverse"})),
    "ledger.service.holds.hold": (scenario_hold, frozenset({"ledger:hold:place"})),
    "ledger.service.holds.post": (scenario_post, frozenset({"ledger:hold:post"})),
    "ledger.service.holds.void": (scenario_void, frozenset({"ledger:hold:void"})),
    "ledger.service.holds.void_expired": (scenario_void_expired, frozenset({"ledger:hold:void"})),
    "declarations.service.submit": (
        scenario_submit_declaration,
        frozenset({"ledger:declaration:submit"}),
    ),
    "declarations.service.accept": (
        scenario_accept_declaration,
        frozenset({"ledger:declaration:accept"}),
    ),
    "declarations.service.refuse": (
        scenario_refuse_declaration,
        frozenset({"ledger:declaration:refuse"}),
    ),
    "declarations.service.clear": (
        scenario_clear_entry,
        frozenset({"ledger:declaration:clear", "ledger:lot:admit"}),
    ),
}
WRITES |= {
    "credentials.service.issue": (
        scenario_issue_credential,
        frozenset({"crossing:credential:issue", "crossing:credential_key:register"}),
    ),
    "credentials.service.revoke": (
        scenario_revoke_credential,
        frozenset({"crossing:credential:revoke"}),
    ),
    "credentials.service.register_key": (
        scenario_register_credential_key,
        frozenset({"crossing:credential_key:register"}),
    ),
}
WRITES |= INSPECTION_WRITES  # scenarios in tests/crossing/inspections/audited.py
WRITES |= EVENT_WRITES  # scenarios in tests/crossing/events/audited.py
WRITES |= FUNDS_WRITES  # scenarios in tests/funds/audited.py
WRITES |= LOAN_WRITES  # scenarios in tests/loans/audited.py
WRITES |= DATA_WRITES  # scenarios in tests/datatransfer/audited.py
WRITES |= CENTRALISED_WRITES  # scenarios in tests/declarations/centralised_audited.py
WRITES |= NOTIFICATION_WRITES  # scenarios in tests/notifications/audited.py
WRITES |= FACE_WRITES  # scenarios in tests/biometrics/audited.py

#: Other paths of a writing function that write different events: case -> (function, ...).
OTHER_PATHS: dict[str, tuple[str, Scenario, frozenset[str]]] = {
    "auth.service.login[refused]": (
        "auth.service.login",
        scenario_login_refused,
        frozenset({"auth:login:fail"}),
    ),
    "ledger.service.movements.withdraw[release_second_line]": (
        "ledger.service.movements.withdraw",
        scenario_withdrawal(ledger.release_second_line),
        frozenset({"ledger:movement:release_second_line"}),
    ),
    "ledger.service.movements.withdraw[export_first_line]": (
        "ledger.service.movements.withdraw",
        scenario_withdrawal(ledger.export_first_line),
        frozenset({"ledger:movement:export_first_line"}),
    ),
    "ledger.service.movements.withdraw[destroy]": (
        "ledger.service.movements.withdraw",
        scenario_withdrawal(ledger.destroy, reason="contaminated, incinerated under supervision"),
        frozenset({"ledger:movement:destroy"}),
    ),
    "ledger.service.movements.adjust[shortage]": (
        "ledger.service.movements.adjust",
        scenario_adjust(Decimal(-1)),
        frozenset({"ledger:movement:adjust"}),
    ),
    "declarations.service.clear[second_line_exit]": (
        "declarations.service.clear",
        scenario_clear_second_line_exit,
        frozenset({"ledger:declaration:clear", "ledger:movement:release_second_line"}),
    ),
}

OTHER_PATHS |= {
    "credentials.service.issue[supersede]": (
        "credentials.service.issue",
        scenario_reissue_credential,
        frozenset({"crossing:credential:issue", "crossing:credential:revoke"}),
    ),
}
OTHER_PATHS |= INSPECTION_OTHER_PATHS
OTHER_PATHS |= EVENT_OTHER_PATHS
OTHER_PATHS |= FUNDS_OTHER_PATHS
OTHER_PATHS |= LOAN_OTHER_PATHS
OTHER_PATHS |= DATA_OTHER_PATHS
OTHER_PATHS |= NOTIFICATION_OTHER_PATHS

#: Writing functions that change only the audit log itself, and so write no event (the reason).
AUDIT_LOG_UPKEEP: dict[str, str] = {
    "audit.service.checkpoint_now": (
        "signs a checkpoint of the log: it changes only audit_head and audit_checkpoints, and an"
        " event about it would itself need the next checkpoint"
    ),
}

#: Functions that change no state of the platform: the reason, and a scenario that proves it.
READS_ONLY: dict[str, tuple[str, Scenario]] = {
    "auth.roles.role_problems": ("computes problems, changes nothing", scenario_role_problems),
    "auth.roles.keep_administration": (
        "checks a removal against the active administrators, changes nothing",
        scenario_keep_administration,
    ),
    "reference_versions.service.check": (
        "parses an upload, changes nothing",
        lambda w: (
            lambda: reference_versions.check(
                TableKind.RATES, as_version(TableKind.RATES, "AUDITED-CHECK")
            )
        ),
    ),
    "reference_versions.service.table_in_force": (
        "reads the version in force",
        lambda w: (
            lambda: reference_versions.table_in_force(w.session, TableKind.TARIFF, on=NOW.date())
        ),
    ),
    "reference_versions.service.version_in_force": (
        "reads the version in force",
        lambda w: (
            lambda: reference_versions.version_in_force(w.session, TableKind.RATES, on=NOW.date())
        ),
    ),
    "reference_versions.service.tariff_in_force": (
        "reads the version in force",
        scenario_reference_read(reference_versions.tariff_in_force),
    ),
    "reference_versions.service.rates_in_force": (
        "reads the version in force",
        scenario_reference_read(reference_versions.rates_in_force),
    ),
    "reference_versions.service.exclusions_in_force": (
        "reads the version in force",
        scenario_reference_read(reference_versions.exclusions_in_force),
    ),
    "reference_versions.service.inspection_catalogue_in_force": (
        "reads the version in force",
        scenario_reference_read(reference_versions.inspection_catalogue_in_force),
    ),
    "declarations.service.declaration_out": (
        "reads the catalogue in force on the declared day, changes nothing",
        scenario_declaration_out,
    ),
    "declarations.service.inspection_listings": (
        "reads the catalogue in force on the declared day, changes nothing",
        scenario_inspection_listings,
    ),
    "reference_versions.service.versions": (
        "lists the stored versions",
        lambda w: lambda: reference_versions.versions(w.session, TableKind.TARIFF),
    ),
    "registry.parties.person_problems": (
        "computes problems, changes nothing",
        scenario_person_problems,
    ),
    "registry.parties.vehicle_problems": (
        "computes problems, changes nothing",
        scenario_vehicle_problems,
    ),
    "registry.approvals.approval_state": (
        "the register's verdict on an approval already loaded, changes nothing",
        scenario_approval_state,
    ),
    "registry.approvals.assert_approval": (
        "looks an approval up and raises on the register's verdict, changes nothing",
        scenario_assert_approval,
    ),
    "registry.standings.status_on": (
        "reads the party's standing on a day, changes nothing",
        scenario_status_on,
    ),
    "registry.service.beneficiary_entry_state": (
        "reads the party's whitelist entries, changes nothing",
        scenario_beneficiary_entry_state,
    ),
    "registry.service.entries_in_force": (
        "reads the party's whitelist entries, changes nothing",
        scenario_entries_in_force,
    ),
    "registry.service.entry_state": (
        "the state of an entry already loaded, changes nothing",
        scenario_entry_state,
    ),
    "registry.service.is_beneficiary": (
        "reads the party's kind and whitelist entries, changes nothing",
        scenario_is_beneficiary,
    ),
    "registry.service.assert_beneficiary_entry": (
        "raises when no whitelist entry is in force, changes nothing",
        scenario_assert_beneficiary_entry,
    ),
    "registry.standings.assert_exemption_claimable": (
        "raises when a waiver locks the exemption out, changes nothing",
        scenario_assert_exemption_claimable,
    ),
    "auth.service.authenticate_session": (
        "resolves a cookie to a principal; bookkeeping of last_seen_at only",
        scenario_authenticate_session,
    ),
    "auth.service.session_principal": (
        "builds a principal from a user, touches no database",
        scenario_session_principal,
    ),
    "auth.service.check_csrf": (
        "compares the presented CSRF token with the session's, changes nothing",
        scenario_check_csrf,
    ),
    "auth.service.csrf_token": (
        "reads the CSRF token of a live session, changes nothing",
        scenario_csrf_token,
    ),
    "auth.service.authenticate_token": (
        "bookkeeping of last_used_at only, not a state change of the platform",
        scenario_authenticate_token,
    ),
    "audit.service.enable_checkpoints": (
        "configures a sessionmaker (listeners, policy); writes nothing itself",
        scenario_enable_checkpoints,
    ),
    "audit.service.checkpoint_policy": (
        "builds a policy from the profile (creating the signing key file if missing); no row",
        scenario_checkpoint_policy,
    ),
    "audit.service.lock_head": (
        "locks and loads the chain head for an append; changes nothing by itself",
        lambda w: lambda: audit.lock_head(w.session),
    ),
    "audit.service.lock_log": (
        "takes the chain head's lock for a batch of appends; changes nothing by itself",
        lambda w: lambda: audit.lock_log(w.session),
    ),
    "audit.service.json_stable": (
        "converts a value to what event data may hold; pure",
        lambda w: lambda: audit.json_stable({"amount": Decimal("1.50"), "on": NOW}),
    ),
    "ledger.service.lots.supervision_class_of": (
        "computes the R5 supervision class from the HS code and goods kind, changes nothing",
        scenario_supervision_class_of,
    ),
}

READS_ONLY |= {
    "credentials.service.published_keys": (
        "lists the public keys gates need, changes nothing",
        scenario_credential_reads(
            lambda w, _: credential_service.published_keys(w.session, credential_key(w))
        ),
    ),
    "credentials.service.get_credential": (
        "looks a credential up by id, changes nothing",
        scenario_credential_reads(
            lambda w, i: credential_service.get_credential(w.session, i.credential.id)
        ),
    ),
    "credentials.service.status_at": (
        "reads a credential's state at an instant, changes nothing",
        scenario_credential_reads(lambda w, i: credential_service.status_at(i.credential, NOW)),
    ),
    "credentials.service.revocation_list": (
        "signs the list in memory (its sequence is the audit log's size); stores nothing",
        scenario_credential_reads(
            lambda w, _: credential_service.revocation_list(
                w.session, key=credential_key(w), profile=w.profile, now=NOW
            )
        ),
    ),
    "credentials.service.list_digest": (
        "hashes a signed list, changes nothing",
        scenario_credential_reads(
            lambda w, _: credential_service.list_digest(
                credential_service.revocation_list(
                    w.session, key=credential_key(w), profile=w.profile, now=NOW
                )
            )
        ),
    ),
    "credentials.service.verify_online": (
        "checks a presented token against the database, changes nothing",
        scenario_credential_reads(
            lambda w, i: credential_service.verify_online(w.session, i.token, at=utcnow())
        ),
    ),
    "credentials.service.verify_presented": (
        "the facts of a presented token for a crossing, changes nothing",
        scenario_credential_reads(
            lambda w, i: credential_service.verify_presented(w.session, i.token, at=utcnow())
        ),
    ),
    "crossing.intake.check_credential": (
        "a presented credential checked for the gate (HTTP and JetStream), changes nothing",
        scenario_credential_reads(
            lambda w, i: crossing_intake.check_credential(w.session, i.token, utcnow())
        ),
    ),
}
READS_ONLY |= INSPECTION_READS
READS_ONLY |= EVENT_READS
READS_ONLY |= DATA_READS
READS_ONLY |= CENTRALISED_READS
READS_ONLY |= NOTIFICATION_READS
READS_ONLY |= LOAN_READS
READS_ONLY |= FACE_READS

#: Columns written deliberately without an event: the one function allowed to, and why.
BOOKKEEPING: dict[Change, tuple[str, str]] = {
    ("auth_web_sessions", "last_seen_at"): (
        "auth.service.authenticate_session",
        "the sliding idle timeout of a session already signed in (written at most once a"
        " minute); an event per request would drown the log",
    ),
    ("auth_api_tokens", "last_used_at"): (
        "auth.service.authenticate_token",
        "when a token was last presented, so administrators spot unused tokens (at most once"
        " a minute); an event per request would drown the log",
    ),
}


BOOKKEEPING |= NOTIFICATION_BOOKKEEPING  # the feed and outbox: tests/notifications/audited.py


def bookkeeping_of(function: str) -> frozenset[Change]:
    return frozenset(c for c, (owner, _) in BOOKKEEPING.items() if owner == function)


# --- watching a call ----------------------------------------------------------------------

_DML = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


@contextmanager
def recording_changes(session: Session) -> Iterator[set[Change]]:
    """The rows the session changes inside the block, as (table, column or row marker)."""
    changes: set[Change] = set()
    statement_tables: set[str] = set()

    def after_flush(flushed: Session, context: UOWTransaction) -> None:
        # Still the pre-flush state here: new, dirty, deleted and the attribute histories.
        for obj in flushed.new:
            changes.update((t.name, INSERT) for t in sa.inspect(obj).mapper.tables)
        for obj in flushed.deleted:
            changes.update((t.name, DELETE) for t in sa.inspect(obj).mapper.tables)
        for obj in flushed.dirty:
            state = sa.inspect(obj)
            for prop in state.mapper.column_attrs:
                if state.attrs[prop.key].history.has_changes():
                    changes.update(
                        (c.table.name, c.name) for c in prop.columns if isinstance(c, sa.Column)
                    )

    def do_orm_execute(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            changes.add((str(getattr(table, "name", table)), STATEMENT))

    def before_cursor_execute(*args: Any) -> None:
        match = _DML.match(args[2])  # (conn, cursor, statement, parameters, context, many)
        if match:
            statement_tables.add(match.group(1).lower())

    connection = session.connection()
    listeners: list[tuple[Any, str, Callable[..., None]]] = [
        (session, "after_flush", after_flush),
        (session, "do_orm_execute", do_orm_execute),
        (connection, "before_cursor_execute", before_cursor_execute),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield changes
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)
        # A table written by SQL the ORM did not see (text(), Core) counts as changed too.
        seen = {table for table, _ in changes}
        changes.update((table, STATEMENT) for table in statement_tables - seen)


@dataclass(frozen=True)
class Observed:
    events: list[AuditEvent]
    changes: frozenset[Change]


def last_seq(session: Session) -> int:
    return session.scalar(select(func.max(AuditEvent.seq))) or 0


def observe(w: World, scenario: Scenario) -> Observed:
    """Set up the scenario, then record the events and row changes of the call alone."""
    call = scenario(w)
    w.session.flush()
    before = last_seq(w.session)
    with recording_changes(w.session) as changes:
        call()
        w.session.flush()
    events = w.session.scalars(
        select(AuditEvent).where(AuditEvent.seq > before).order_by(AuditEvent.seq)
    )
    return Observed(list(events), frozenset(changes))


def unaudited(function: str, observed: Observed) -> list[Change]:
    """Changes outside the audit log and the function's named bookkeeping."""
    exempt = bookkeeping_of(function)
    return sorted(c for c in observed.changes if c[0] not in AUDIT_TABLES and c not in exempt)


@pytest.fixture
def world(
    session: Session, actor: Actor, profile: ZoneProfile, tmp_path: Path, cheap_hashing: None
) -> World:
    return World(session, actor, profile, tmp_path)


# --- the classification is complete and current -------------------------------------------


def test_every_public_service_function_is_classified() -> None:
    unclassified = sorted(public_service_functions().keys() - WRITES.keys() - READS_ONLY.keys())
    assert not unclassified, (
        f"classify {unclassified} in WRITES (with a scenario and its audit tags) or in"
        " READS_ONLY (with the reason)"
    )


def test_the_tables_name_only_existing_service_functions() -> None:
    named = (
        WRITES.keys()
        | READS_ONLY.keys()
        | AUDIT_LOG_UPKEEP.keys()
        | {function for function, _, _ in OTHER_PATHS.values()}
        | {function for function, _ in BOOKKEEPING.values()}
    )
    stale = sorted(named - public_service_functions().keys())
    assert not stale, f"the tables name functions that no longer exist: {stale}"


def test_every_tag_written_is_one_of_the_tag_enums() -> None:
    written = {tag for _, tags in WRITES.values() for tag in tags}
    written |= {tag for _, _, tags in OTHER_PATHS.values() for tag in tags}
    # The probe is this test's own event, written through the audit service itself.
    assert written - {PROBE_TAG} - {str(tag) for tag in ALL_TAGS} == set()


def test_no_function_is_both_writing_and_read_only() -> None:
    assert not WRITES.keys() & READS_ONLY.keys()
    assert all(reason.strip() for reason, _ in READS_ONLY.values())


def test_only_the_audit_logs_own_upkeep_writes_no_tag() -> None:
    tagless = {name for name, (_, tags) in WRITES.items() if not tags}
    assert tagless == AUDIT_LOG_UPKEEP.keys()
    assert all(reason.strip() for reason in AUDIT_LOG_UPKEEP.values())
    # Only read-only functions may have bookkeeping: a writing one audits all it changes.
    assert {function for function, _ in BOOKKEEPING.values()} <= READS_ONLY.keys()
    assert {function for function, _, _ in OTHER_PATHS.values()} <= WRITES.keys()


# --- each writing function writes its events; read-only ones change nothing ---------------

WRITING_CASES = [
    pytest.param(name, scenario, tags, id=name) for name, (scenario, tags) in WRITES.items()
] + [
    pytest.param(function, scenario, tags, id=case)
    for case, (function, scenario, tags) in OTHER_PATHS.items()
]
READING_CASES = [
    pytest.param(name, scenario, id=name) for name, (_, scenario) in READS_ONLY.items()
]
ALL_CASES = [pytest.param(*p.values[:2], id=p.id) for p in WRITING_CASES] + READING_CASES


@pytest.mark.parametrize(("function", "scenario", "tags"), WRITING_CASES)
def test_a_writing_service_function_writes_its_audit_events(
    world: World, function: str, scenario: Scenario, tags: frozenset[str]
) -> None:
    observed = observe(world, scenario)
    assert observed.changes, f"the scenario of {function} changed nothing: it proves nothing"
    written = {e.tag for e in observed.events}
    assert tags <= written, f"{function} wrote {sorted(written)}, missing {sorted(tags - written)}"
    if function in AUDIT_LOG_UPKEEP:
        assert {table for table, _ in observed.changes} <= AUDIT_TABLES
    for audit_event in observed.events:
        assert audit_event.subject_type, f"{audit_event.tag} names no kind of subject"
        assert audit_event.subject_id, f"{audit_event.tag} names no subject"
        kind, _, who = audit_event.actor.partition(":")
        assert kind, f"{audit_event.tag} names no actor: {audit_event.actor!r}"
        assert who, f"{audit_event.tag} names no actor: {audit_event.actor!r}"


@pytest.mark.parametrize(("function", "scenario"), READING_CASES)
def test_a_read_only_service_function_changes_nothing_but_its_named_bookkeeping(
    world: World, function: str, scenario: Scenario
) -> None:
    observed = observe(world, scenario)
    assert not observed.events, f"{function} is classified read-only but wrote events"
    # Exactly the named bookkeeping: so an exemption that is no longer needed fails here too.
    assert observed.changes == bookkeeping_of(function)


@pytest.mark.parametrize(("function", "scenario"), ALL_CASES)
def test_no_service_call_changes_a_table_without_writing_an_audit_event(
    world: World, function: str, scenario: Scenario
) -> None:
    observed = observe(world, scenario)
    changed = unaudited(function, observed)
    if changed:
        assert observed.events, f"{function} changed {changed} without writing an audit event"
