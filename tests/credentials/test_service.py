"""Issuing, revoking and verifying credentials against the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from credentials.support import token_for, whitelisted
from factories import make_party, make_person
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.credentials import service
from hetao.credentials import tokens as credentials
from hetao.credentials.models import CredentialKey, CredentialStatus
from hetao.credentials.service import IssuedCredential
from hetao.credentials.tokens import Failure, SigningKey
from hetao.engine.facts import CredentialFacts
from hetao.errors import RuleViolation, TransitionForbidden, ValidationFailed
from hetao.profiles import ZoneProfile
from hetao.registry import service as registry
from hetao.storage.engine import session_factory, unit_of_work
from hetao.storage.types import utcnow


@pytest.fixture
def key(tmp_path: Path) -> SigningKey:
    return SigningKey.load_or_create(tmp_path / "credentials" / "signing-key.pem")


def tags(session: Session, subject_id: str) -> list[str]:
    stmt = select(AuditEvent.tag).where(AuditEvent.subject_id == subject_id)
    return list(session.scalars(stmt.order_by(AuditEvent.seq)))


def issue(
    session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey, person_id: int
) -> IssuedCredential:
    return service.issue(session, person_id, key=key, profile=profile, actor=actor, now=utcnow())


class TestIssue:
    def test_a_whitelisted_person_gets_a_token_that_verifies_online(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, entry = whitelisted(session, actor, profile)
        issued = issue(session, actor, profile, key, person.id)
        person_id, facts = service.verify_presented(session, issued.token, at=utcnow())
        assert (person_id, facts.status) == (person.id, "valid")
        assert facts.credential_id == issued.credential.id
        assert issued.credential.whitelist_entry_id == entry.id
        assert issued.credential.claims["flows"] == ["goods", "people"]
        assert tags(session, issued.credential.id) == ["crossing:credential:issue"]
        assert session.get(CredentialKey, key.key_id) is not None

    def test_the_credential_never_outlives_the_whitelist_entry(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        last_day = utcnow().date() + dt.timedelta(days=30)
        person, entry = whitelisted(session, actor, profile, valid_until=last_day.isoformat())
        issued = service.issue(
            session, person.id, key=key, profile=profile, actor=actor, now=utcnow(), valid_days=900
        )
        local_end = issued.credential.not_after.astimezone(dt.timezone(dt.timedelta(hours=8)))
        assert local_end.date() == entry.valid_until + dt.timedelta(days=1)
        assert (local_end.hour, local_end.minute) == (0, 0)

    def test_a_person_without_a_whitelist_entry_gets_no_credential(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person = make_person(session, actor, make_party(session, actor).id)
        with pytest.raises(RuleViolation) as refused:
            issue(session, actor, profile, key, person.id)
        assert refused.value.problems[0].rule == "credential.whitelist_entry_in_force"

    def test_a_suspended_entry_gets_no_credential(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, entry = whitelisted(session, actor, profile)
        registry.suspend(session, entry, note="under review", actor=actor)
        with pytest.raises(RuleViolation):
            issue(session, actor, profile, key, person.id)

    def test_an_unknown_crossing_point_is_refused_naming_the_field(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, _ = whitelisted(session, actor, profile)
        with pytest.raises(ValidationFailed) as refused:
            service.issue(
                session,
                person.id,
                key=key,
                profile=profile,
                actor=actor,
                now=utcnow(),
                crossing_points=["NOWHERE"],
            )
        assert refused.value.problems[0].field == "crossing_points"

    def test_re_issuing_supersedes_the_earlier_credential(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, _ = whitelisted(session, actor, profile)
        first = issue(session, actor, profile, key, person.id)
        second = issue(session, actor, profile, key, person.id)
        assert first.credential.status is CredentialStatus.REVOKED
        assert first.credential.superseded_by == second.credential.id
        assert service.verify_presented(session, first.token, at=utcnow())[1].status == "revoked"
        assert service.verify_presented(session, second.token, at=utcnow())[1].status == "valid"
        assert tags(session, first.credential.id) == [
            "crossing:credential:issue",
            "crossing:credential:revoke",
        ]


class TestRevoke:
    def test_revocation_takes_effect_online_at_once(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, _ = whitelisted(session, actor, profile)
        issued = issue(session, actor, profile, key, person.id)
        service.revoke(session, issued.credential, reason="lost phone", actor=actor, now=utcnow())
        person_id, facts = service.verify_presented(session, issued.token, at=utcnow())
        assert (person_id, facts.status) == (person.id, "revoked")
        assert issued.credential.revoked_by == str(actor)
        assert tags(session, issued.credential.id)[-1] == "crossing:credential:revoke"

    def test_a_revoked_credential_cannot_be_revoked_again(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, _ = whitelisted(session, actor, profile)
        issued = issue(session, actor, profile, key, person.id)
        service.revoke(session, issued.credential, reason="lost", actor=actor, now=utcnow())
        with pytest.raises(TransitionForbidden):
            service.revoke(session, issued.credential, reason="again", actor=actor, now=utcnow())

    def test_a_revocation_needs_a_reason(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, _ = whitelisted(session, actor, profile)
        issued = issue(session, actor, profile, key, person.id)
        with pytest.raises(ValidationFailed):
            service.revoke(session, issued.credential, reason="  ", actor=actor, now=utcnow())

    def test_a_suspended_entry_makes_its_credential_refused_online(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, entry = whitelisted(session, actor, profile)
        issued = issue(session, actor, profile, key, person.id)
        registry.suspend(session, entry, note="investigation", actor=actor)
        assert service.verify_presented(session, issued.token, at=utcnow())[1].status == "revoked"


class TestOnlineVerification:
    def test_a_token_signed_by_a_key_the_zone_never_registered_is_unknown(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        _, token = token_for(SigningKey.generate())
        assert service.verify_presented(session, token, at=utcnow()) == (
            None,
            CredentialFacts(credential_id=token_for_id(token), status="unknown_key"),
        )

    def test_a_well_signed_token_missing_from_the_database_is_an_unknown_credential(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        service.register_key(session, key, now=utcnow(), actor=actor)
        now = utcnow()
        _, token = token_for(key, issued_at=now, not_before=now - dt.timedelta(days=1))
        person_id, facts = service.verify_presented(session, token, at=now)
        assert (person_id, facts.status) == (None, Failure.UNKNOWN_CREDENTIAL)

    def test_garbage_is_malformed_with_no_person(self, session: Session) -> None:
        person_id, facts = service.verify_presented(session, "not a token", at=utcnow())
        assert (person_id, facts.status, facts.credential_id) == (None, "malformed", "")

    def test_an_expired_credential_still_names_its_person(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, _ = whitelisted(session, actor, profile)
        issued = issue(session, actor, profile, key, person.id)
        later = issued.credential.not_after + dt.timedelta(seconds=1)
        assert service.verify_presented(session, issued.token, at=later) == (
            person.id,
            CredentialFacts(credential_id=issued.credential.id, status="expired"),
        )


def token_for_id(token: str) -> str:
    read = credentials.read_token(token)
    assert not isinstance(read, credentials.Verdict)
    return read[0].credential_id


class TestRevocationList:
    def test_the_list_names_revoked_credentials_and_those_of_a_suspended_entry(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        revoked_person, _ = whitelisted(session, actor, profile)
        suspended_person, suspended_entry = whitelisted(session, actor, profile)
        good_person, _ = whitelisted(session, actor, profile)
        revoked = issue(session, actor, profile, key, revoked_person.id)
        suspended = issue(session, actor, profile, key, suspended_person.id)
        good = issue(session, actor, profile, key, good_person.id)
        service.revoke(session, revoked.credential, reason="lost", actor=actor, now=utcnow())
        registry.suspend(session, suspended_entry, note="audit", actor=actor)

        now = utcnow()
        signed = service.revocation_list(session, key=key, profile=profile, now=now)
        ring = credentials.keyring(k.public_key_pem for k in service.published_keys(session, key))
        listed = credentials.read_revocation_list(signed, keys=ring, zone="hetao")
        assert {revoked.credential.id, suspended.credential.id} <= listed.revoked
        assert good.credential.id not in listed.revoked

        def offline(token: str) -> str:
            verdict = credentials.verify_offline(
                token, keys=ring, at=now, revocations=signed, zone=profile.zone.code
            )
            return str(verdict.status)

        assert offline(revoked.token) == "revoked"
        assert offline(suspended.token) == "revoked"
        assert offline(good.token) == "valid"

    def test_the_sequence_grows_with_every_change(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, _ = whitelisted(session, actor, profile)
        issued = issue(session, actor, profile, key, person.id)
        ring = credentials.keyring([key.public_key])

        def sequence() -> int:
            signed = service.revocation_list(session, key=key, profile=profile, now=utcnow())
            return credentials.read_revocation_list(signed, keys=ring).sequence

        before = sequence()
        service.revoke(session, issued.credential, reason="lost", actor=actor, now=utcnow())
        assert sequence() > before

    def test_expired_credentials_drop_off_the_list(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, _ = whitelisted(session, actor, profile)
        issued = issue(session, actor, profile, key, person.id)
        service.revoke(session, issued.credential, reason="lost", actor=actor, now=utcnow())
        later = issued.credential.not_after + dt.timedelta(days=1)
        ids = service.revoked_ids(session, now=later, today=later.date())
        assert issued.credential.id not in ids


class TestKeys:
    def test_a_new_key_retires_the_old_one_and_both_stay_published(
        self, session: Session, actor: Actor, profile: ZoneProfile, key: SigningKey
    ) -> None:
        person, _ = whitelisted(session, actor, profile)
        old = issue(session, actor, profile, key, person.id)
        newer = SigningKey.generate()
        service.register_key(session, newer, now=utcnow(), actor=actor)
        assert session.get(CredentialKey, key.key_id).retired_at is not None  # type: ignore[union-attr]
        published = {k.key_id for k in service.published_keys(session, newer)}
        assert {key.key_id, newer.key_id} <= published
        assert service.verify_presented(session, old.token, at=utcnow())[1].status == "valid"
        assert tags(session, newer.key_id) == ["crossing:credential_key:register"]

    def test_the_current_key_is_published_before_anything_is_issued_with_it(
        self, session: Session, key: SigningKey
    ) -> None:
        published = service.published_keys(session, key)
        assert key.key_id in {k.key_id for k in published}


class TestCommitted:
    def test_a_committed_revocation_is_seen_by_the_next_transaction(
        self, committing_engine: Engine, profile: ZoneProfile, key: SigningKey, actor: Actor
    ) -> None:
        factory = session_factory(committing_engine)
        with unit_of_work(factory) as session:
            person, _ = whitelisted(session, actor, profile)
            issued = issue(session, actor, profile, key, person.id)
            token, credential_id = issued.token, issued.credential.id
        with unit_of_work(factory) as session:
            assert service.verify_presented(session, token, at=utcnow())[1].status == "valid"
        with unit_of_work(factory) as session:
            credential = service.get_credential(session, credential_id, for_update=True)
            service.revoke(session, credential, reason="stolen", actor=actor, now=utcnow())
        with unit_of_work(factory) as session:
            assert service.verify_presented(session, token, at=utcnow())[1].status == "revoked"
