"""Enrolment with consent, withdrawal deleting the template, and the retention purge."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from biometrics import real_faces
from biometrics.support import ACTOR, BOX, enrolled_researcher, reviewer_id, verifier
from crossing.events.support import whitelisted_person
from factories import make_party, make_person
from hetao.audit.models import AuditEvent
from hetao.biometrics import service
from hetao.biometrics.models import EnrolmentStatus
from hetao.biometrics.sealed import TemplateBox
from hetao.errors import RuleViolation, ValidationFailed
from hetao.profiles import load_profile
from hetao.storage.types import utcnow

PROFILE = load_profile("hetao")


def enrol(session: Session, person_id: int, **overrides: object) -> None:
    from hetao.registry.models import Person

    values: dict[str, object] = {
        "image": real_faces.astronaut(),
        "purpose": "research",
        "consent_statement": "hetao-faces-v1",
        "consented": True,
        "faces": PROFILE.faces,
        "verifier": verifier(),
        "box": BOX,
        "recorded_by": reviewer_id(session),
        "actor": ACTOR,
        "now": utcnow(),
    }
    values.update(overrides)
    service.enrol(session, session.get(Person, person_id), **values)  # type: ignore[arg-type]


class TestEnrol:
    def test_seals_the_template_and_keeps_the_profiles_retention(self, session: Session) -> None:
        now = utcnow()
        _, row, _ = enrolled_researcher(session, PROFILE, now=now)
        assert row.status is EnrolmentStatus.ENROLLED
        assert row.template_sealed is not None
        template = BOX.open_bytes(row.template_sealed)
        assert template == verifier().template(real_faces.astronaut(), field="image")
        assert template not in row.template_sealed  # sealed, not stored in the clear
        assert PROFILE.faces is not None
        assert row.expires_at - row.consented_at == dt.timedelta(days=PROFILE.faces.retention_days)

    def test_a_template_does_not_open_under_another_key(self, session: Session) -> None:
        _, row, _ = enrolled_researcher(session, PROFILE)
        assert row.template_sealed is not None
        with pytest.raises(ValueError, match="face template"):
            TemplateBox(bytes(range(32))).open_bytes(row.template_sealed)

    def test_the_audit_event_names_the_template_by_its_hash_only(self, session: Session) -> None:
        _, row, _ = enrolled_researcher(session, PROFILE)
        assert row.template_sealed is not None
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "biometrics:face:enrol")
        ).one()
        template = BOX.open_bytes(row.template_sealed)
        assert event.data["template_sha256"] == hashlib.sha256(template).hexdigest()
        assert template.hex() not in str(event.data)

    def test_refuses_without_consent(self, session: Session) -> None:
        person, _, _ = whitelisted_person(session, ACTOR, PROFILE)
        with pytest.raises(ValidationFailed) as refused:
            enrol(session, person.id, consented=False)
        assert refused.value.problems[0].rule == "biometrics.consent_required"

    def test_refuses_a_person_not_on_the_whitelist(self, session: Session) -> None:
        person = make_person(session, ACTOR, make_party(session, ACTOR).id)
        with pytest.raises(RuleViolation) as refused:
            enrol(session, person.id)
        assert refused.value.problems[0].rule == "biometrics.not_whitelisted"

    def test_refuses_a_photo_without_a_face(self, session: Session) -> None:
        person, _, _ = whitelisted_person(session, ACTOR, PROFILE)
        with pytest.raises(ValidationFailed) as refused:
            enrol(session, person.id, image=real_faces.no_face())
        assert refused.value.problems[0].field == "image"
        assert refused.value.problems[0].rule == "biometrics.no_face"

    def test_refuses_where_the_profile_has_no_faces_section(self, session: Session) -> None:
        person, _, _ = whitelisted_person(session, ACTOR, PROFILE)
        with pytest.raises(RuleViolation):
            enrol(session, person.id, faces=None)


class TestWithdraw:
    def test_withdrawing_consent_deletes_the_template(self, session: Session) -> None:
        person, row, _ = enrolled_researcher(session, PROFILE)
        service.withdraw(session, person, actor=ACTOR, now=utcnow())
        assert row.status is EnrolmentStatus.WITHDRAWN
        assert row.template_sealed is None
        assert row.template_sha256 is None
        assert not service.in_force(row, now=utcnow())

    def test_withdrawing_twice_writes_one_event(self, session: Session) -> None:
        person, _, _ = enrolled_researcher(session, PROFILE)
        service.withdraw(session, person, actor=ACTOR, now=utcnow())
        service.withdraw(session, person, actor=ACTOR, now=utcnow())
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "biometrics:face:withdraw")
        ).all()
        assert len(events) == 1


class TestPurge:
    def test_purges_templates_past_their_retention_period(self, session: Session) -> None:
        long_ago = utcnow() - dt.timedelta(days=400)
        _, old, _ = enrolled_researcher(session, PROFILE, now=long_ago)
        _, fresh, _ = enrolled_researcher(session, PROFILE)
        purged = service.purge_expired(session, actor=ACTOR, now=utcnow())
        assert [row.id for row in purged] == [old.id]
        assert old.status is EnrolmentStatus.EXPIRED
        assert old.template_sealed is None
        assert fresh.template_sealed is not None

    def test_an_expired_template_is_not_in_force_before_the_purge_runs(
        self, session: Session
    ) -> None:
        _, old, _ = enrolled_researcher(session, PROFILE, now=utcnow() - dt.timedelta(days=400))
        assert not service.in_force(old, now=utcnow())
