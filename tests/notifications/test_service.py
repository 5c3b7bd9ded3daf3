"""The feed gathered from the audit log, webhooks kept and their deliveries sent, for real."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from datatransfer.support import active as active_data_application
from datatransfer.support import exporter
from declarations.support import clear as clear_declaration
from declarations.support import submit as lodge
from factories import make_party
from funds.support import Consortium
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.declarations.kinds import DeclarationKind
from hetao.errors import Conflict, ValidationFailed
from hetao.notifications import delivery, service
from hetao.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    SubjectKind,
    WebhookStatus,
)
from hetao.notifications.worker import run_once
from hetao.profiles import ZoneProfile
from hetao.registry import service as registry
from hetao.storage.types import utcnow
from notifications.support import box, receiver, submitted_application


def kinds_and_tags(rows: list[Notification]) -> list[tuple[SubjectKind, str]]:
    return [(n.subject_kind, n.tag) for n in rows]


class TestGather:
    def test_each_status_change_of_a_partys_application_reaches_that_party(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party, other = make_party(session, actor), make_party(session, actor)
        application = submitted_application(session, actor, profile, party)
        registry.approve(session, application, profile=profile, actor=actor)
        submitted_application(session, actor, profile, other)

        gathered = service.gather(session)

        mine = service.latest_for_party(session, party.id, 10)
        assert kinds_and_tags(mine) == [
            (SubjectKind.APPLICATION, "registry:application:approve"),
            (SubjectKind.APPLICATION, "registry:application:submit"),
        ]
        assert {n.subject_id for n in mine} == {application.id}
        assert service.page_path(mine[0]) == f"/portal/applications/{application.id}"
        assert len(service.latest_for_party(session, other.id, 10)) == 1
        assert gathered.deliveries == 0

    def test_declarations_transfers_and_data_applications_are_followed_too(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        zone = Consortium(session, actor, profile)
        declaration = lodge(session, zone.lead, profile, actor, DeclarationKind.FIRST_LINE_ENTRY)
        clear_declaration(session, declaration, profile, actor)
        transfer = zone.declare()
        party = exporter(session, actor, profile)
        data = active_data_application(session, actor, profile, party)
        service.gather(session)

        lead = service.latest_for_party(session, zone.lead.id, 50)
        assert ("declaration", "ledger:declaration:clear") in {
            (n.subject_kind.value, n.tag) for n in lead
        }
        cleared = next(n for n in lead if n.tag == "ledger:declaration:clear")
        assert cleared.reference == declaration.reference
        assert service.page_path(cleared) == f"/portal/declarations/{declaration.id}"
        # A transfer concerns its payer and its payee.
        for side in (zone.lead, zone.partner):
            declared = [
                n
                for n in service.latest_for_party(session, side.id, 50)
                if n.tag == "funds:transfer:declare"
            ]
            assert [n.subject_id for n in declared] == [transfer.id]
            assert declared[0].reference == transfer.contract_reference
        exported = service.latest_for_party(session, party.id, 50)
        data_rows = [n for n in exported if n.subject_kind is SubjectKind.DATA_APPLICATION]
        assert next(n.tag for n in data_rows) == "data:application:activate"
        assert service.page_path(data_rows[0]) == f"/portal/data-applications/{data.id}"

    def test_gathers_each_event_once_and_ignores_what_is_not_a_status_change(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)  # registry:party:create: no notification
        submitted_application(session, actor, profile, party)
        first = service.gather(session)
        again = service.gather(session)
        assert (first.notifications, again.notifications) == (1, 0)

    def test_latest_for_party_is_newest_first_and_limited(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor)
        for _ in range(7):
            submitted_application(session, actor, profile, party)
        service.gather(session)
        latest = service.latest_for_party(session, party.id, 5)
        assert len(latest) == 5
        assert [n.id for n in latest] == sorted((n.id for n in latest), reverse=True)
        older = service.latest_for_party(session, party.id, 5, before=latest[-1].id)
        assert len(older) == 2


class TestWebhooks:
    def test_register_shows_the_secret_once_and_keeps_it_only_sealed(
        self, session: Session, actor: Actor, tmp_path: Path
    ) -> None:
        party = make_party(session, actor)
        sealer = box(tmp_path)
        webhook, secret = service.register(
            session, party.id, "https://hooks.example.com/in", box=sealer, actor=actor
        )
        session.flush()
        assert secret.startswith("whsec_")
        assert sealer.open(webhook.sealed_secret) == secret
        assert_nowhere_in_clear(session, secret)

    def test_rotating_replaces_the_secret_and_is_audited_without_it(
        self, session: Session, actor: Actor, tmp_path: Path
    ) -> None:
        party = make_party(session, actor)
        sealer = box(tmp_path)
        webhook, first = service.register(
            session, party.id, "https://hooks.example.com/in", box=sealer, actor=actor
        )
        second = service.rotate_secret(session, webhook, box=sealer, actor=actor)
        session.flush()
        assert second != first
        assert sealer.open(webhook.sealed_secret) == second
        for secret in (first, second):
            assert_nowhere_in_clear(session, secret)

    def test_refuses_a_private_address_and_a_sixth_webhook(
        self, session: Session, actor: Actor, tmp_path: Path
    ) -> None:
        party = make_party(session, actor)
        with pytest.raises(ValidationFailed):
            service.register(
                session, party.id, "https://192.168.0.10/in", box=box(tmp_path), actor=actor
            )
        for n in range(service.MAX_WEBHOOKS):
            service.register(
                session, party.id, f"https://h{n}.example.com/", box=box(tmp_path), actor=actor
            )
        with pytest.raises(Conflict):
            service.register(
                session, party.id, "https://h9.example.com/", box=box(tmp_path), actor=actor
            )

    def test_disabling_stops_what_was_pending(
        self, session: Session, actor: Actor, profile: ZoneProfile, tmp_path: Path
    ) -> None:
        party = make_party(session, actor)
        webhook, _ = service.register(
            session, party.id, "https://hooks.example.com/in", box=box(tmp_path), actor=actor
        )
        submitted_application(session, actor, profile, party)
        assert service.gather(session).deliveries == 1
        service.disable(session, webhook, actor=actor)
        assert webhook.status is WebhookStatus.DISABLED
        (queued,) = session.scalars(select(Delivery)).all()
        assert queued.status is DeliveryStatus.FAILED
        submitted_application(session, actor, profile, party)
        assert service.gather(session).deliveries == 0
        with pytest.raises(Conflict):
            service.rotate_secret(session, webhook, box=box(tmp_path), actor=actor)


def assert_nowhere_in_clear(session: Session, secret: str) -> None:
    """Not in any column of the webhook tables, nor in any audit event."""
    session.flush()
    rows = session.execute(text("SELECT * FROM notification_webhooks")).all()
    assert rows
    for row in rows:
        for value in row:
            as_bytes = value if isinstance(value, bytes) else str(value).encode()
            assert secret.encode() not in as_bytes
    for event in session.scalars(select(AuditEvent)):
        assert secret not in repr(event.data)
        assert secret not in event.subject_id


class TestSending:
    def test_a_delivery_reaches_a_real_receiver_signed(
        self,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
        tmp_path: Path,
    ) -> None:
        sealer = box(tmp_path)
        with receiver() as hook:
            with session_maker() as session:
                party = make_party(session, actor)
                webhook, hook.secret = service.register(
                    session, party.id, hook.url, box=sealer, actor=actor
                )
                application = submitted_application(session, actor, profile, party)
                session.commit()
            turn = run_once(session_maker, sealer)
        assert turn.gathered.deliveries == 1
        assert turn.attempts == {"delivered": 1}
        (got,) = hook.received
        assert got.signed
        document = got.document
        assert document["event"] == "registry:application:submit"
        assert document["subject"] == {
            "kind": "application",
            "id": application.id,
            "reference": None,
            "path": f"/portal/applications/{application.id}",
        }
        assert got.headers["X-Hetao-Delivery"] == document["delivery"]
        with session_maker() as session:
            (logged,) = service.delivery_log(session, service.get_webhook(session, webhook.id))
            assert logged.delivery.status is DeliveryStatus.DELIVERED
            assert [a.status_code for a in logged.attempts] == [204]
            tags = session.scalars(
                select(AuditEvent.tag).where(AuditEvent.tag.like("notifications:%"))
            ).all()
            assert sorted(tags) == [
                "notifications:delivery:attempt",
                "notifications:webhook:register",
            ]
            assert_nowhere_in_clear(session, hook.secret)

    def test_retries_with_backoff_after_the_receiver_fails_twice(
        self,
        session_maker: sessionmaker[Session],
        actor: Actor,
        profile: ZoneProfile,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        sealer = box(tmp_path)
        with receiver(failures=2) as hook:
            with session_maker() as session:
                party = make_party(session, actor)
                webhook, hook.secret = service.register(
                    session, party.id, hook.url, box=sealer, actor=actor
                )
                submitted_application(session, actor, profile, party)
                session.commit()
            first = run_once(session_maker, sealer)
            assert first.attempts == {"pending": 1}
            # Not due yet: a turn at once sends nothing.
            assert run_once(session_maker, sealer).attempts == {}
            with session_maker() as session:
                (pending,) = session.scalars(select(Delivery)).all()
                assert pending.next_attempt_at is not None
                wait = pending.next_attempt_at - pending.created_at
                assert dt.timedelta(seconds=55) < wait < dt.timedelta(minutes=2)
            later = utcnow() + dt.timedelta(minutes=3)
            monkeypatch.setattr("hetao.notifications.worker.utcnow", lambda: later)
            assert run_once(session_maker, sealer).attempts == {"pending": 1}
            later += dt.timedelta(minutes=3)
            assert run_once(session_maker, sealer).attempts == {"delivered": 1}
        assert [r.signed for r in hook.received] == [True, True, True]
        assert len({r.headers["X-Hetao-Delivery"] for r in hook.received}) == 1
        with session_maker() as session:
            (logged,) = service.delivery_log(session, service.get_webhook(session, webhook.id))
            assert [a.status_code for a in logged.attempts] == [500, 500, 204]
            assert logged.delivery.status is DeliveryStatus.DELIVERED

    def test_fails_for_good_after_the_last_attempt(
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        tmp_path: Path,
    ) -> None:
        party = make_party(session, actor)
        service.register(
            session, party.id, "https://h.example.com/", box=box(tmp_path), actor=actor
        )
        submitted_application(session, actor, profile, party)
        service.gather(session)
        refused = delivery.Outcome(status_code=None, error="timeout", duration_ms=5000)
        now = utcnow()
        statuses = []
        for _ in range(delivery.MAX_ATTEMPTS):
            now += delivery.MAX_BACKOFF
            (outgoing,) = service.due(session, now=now)
            statuses.append(
                service.record_attempt(session, outgoing, refused, now=now, actor=actor)
            )
        assert statuses[-1] is DeliveryStatus.FAILED
        assert set(statuses[:-1]) == {DeliveryStatus.PENDING}
        assert service.due(session, now=now + dt.timedelta(days=1)) == []
        assert len(session.scalars(select(DeliveryAttempt)).all()) == delivery.MAX_ATTEMPTS

    def test_a_secret_sealed_under_a_lost_key_fails_the_attempt_not_the_sender(
        self, session: Session, actor: Actor, profile: ZoneProfile, tmp_path: Path
    ) -> None:
        party = make_party(session, actor)
        service.register(
            session, party.id, "https://h.example.com/", box=box(tmp_path / "lost"), actor=actor
        )
        submitted_application(session, actor, profile, party)
        service.gather(session)
        (outgoing,) = service.due(session, now=utcnow())
        outcome = service.send(outgoing, box=box(tmp_path), now=utcnow())
        assert outcome.status_code is None
        assert outcome.error == "the secret does not open: rotate it"

    def test_an_attempt_another_sender_recorded_first_is_skipped(
        self, session: Session, actor: Actor, profile: ZoneProfile, tmp_path: Path
    ) -> None:
        party = make_party(session, actor)
        service.register(
            session, party.id, "https://h.example.com/", box=box(tmp_path), actor=actor
        )
        submitted_application(session, actor, profile, party)
        service.gather(session)
        (outgoing,) = service.due(session, now=utcnow())
        ok = delivery.Outcome(status_code=200, error=None, duration_ms=3)
        assert service.record_attempt(session, outgoing, ok, now=utcnow(), actor=actor) is (
            DeliveryStatus.DELIVERED
        )
        assert service.record_attempt(session, outgoing, ok, now=utcnow(), actor=actor) is None
