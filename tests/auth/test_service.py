"""Auth services: users, sign-in, throttling, web sessions, API tokens and their audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from factories import make_party
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth import passwords, service
from hetao.auth.errors import LoginRefused, TooManyAttempts
from hetao.auth.models import ApiToken, LoginAttempt, User, WebSession
from hetao.auth.principal import Role
from hetao.errors import Conflict, TransitionForbidden, ValidationFailed
from hetao.profiles import ZoneProfile

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"
ADDR = "203.0.113.7"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at 1 MiB: the services' rules, not the cost, are under test (see test_passwords)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "_HASHER", cheap)


def make_user(session: Session, actor: Actor, **overrides: Any) -> User:
    values: dict[str, Any] = {
        "username": "chen.jiayi",
        "display_name": "Chen Jiayi",
        "password": PASSWORD,
        "role": Role.FIRST_LINE_OFFICER,
        "party_id": None,
    }
    values.update(overrides)
    return service.create_user(session, actor=actor, **values)


def tags(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.tag).order_by(AuditEvent.id)))


def rule_of(error: ValidationFailed | Conflict) -> str:
    return error.problems[0].rule


def issue_gate_token(session: Session, actor: Actor, **overrides: Any) -> tuple[ApiToken, str]:
    values: dict[str, Any] = {
        "name": "lane 3",
        "roles": [Role.GATE_DEVICE],
        "device_name": "huanggang-lane-3",
        "crossing_points": ["HUANGGANG"],
        "expires_at": NOW + dt.timedelta(days=90),
        "now": NOW,
    }
    values.update(overrides)
    return service.issue_token(session, actor=actor, **values)


class TestCreateUser:
    def test_stores_a_lower_case_username_and_an_argon2id_hash(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor, username="  Chen.Jiayi ")
        assert user.username == "chen.jiayi"
        assert user.active
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert tags(session) == ["auth:user:create"]

    def test_refuses_an_enterprise_user_without_a_party(
        self, session: Session, actor: Actor
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            make_user(session, actor, role=Role.ENTERPRISE_USER, party_id=None)
        assert rule_of(caught.value) == "user.party_required"

    def test_refuses_a_party_for_a_user_who_is_not_an_enterprise_user(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        with pytest.raises(ValidationFailed) as caught:
            make_user(session, actor, role=Role.AUDITOR, party_id=party.id)
        assert rule_of(caught.value) == "user.party_forbidden"

    def test_binds_an_enterprise_user_to_an_existing_party(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        user = make_user(session, actor, role=Role.ENTERPRISE_USER, party_id=party.id)
        assert user.party_id == party.id

    def test_refuses_an_unknown_party(self, session: Session, actor: Actor) -> None:
        with pytest.raises(ValidationFailed) as caught:
            make_user(session, actor, role=Role.ENTERPRISE_USER, party_id=999_999)
        assert rule_of(caught.value) == "party.exists"

    def test_the_database_refuses_an_enterprise_user_without_a_party(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor)
        savepoint = session.begin_nested()
        user.role = Role.ENTERPRISE_USER
        with pytest.raises(IntegrityError):
            session.flush()
        savepoint.rollback()

    def test_refuses_a_username_taken_in_any_case(self, session: Session, actor: Actor) -> None:
        make_user(session, actor, username="chen.jiayi")
        with pytest.raises(Conflict) as caught:
            make_user(session, actor, username="CHEN.JIAYI")
        assert rule_of(caught.value) == "user.unique_username"

    @pytest.mark.parametrize("username", ["ab", "chen jiayi", "陈嘉怡", "-chen", "x" * 65])
    def test_refuses_a_malformed_username(
        self, session: Session, actor: Actor, username: str
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            make_user(session, actor, username=username)
        assert rule_of(caught.value) == "user.username_format"

    def test_refuses_a_password_breaking_the_policy(self, session: Session, actor: Actor) -> None:
        with pytest.raises(ValidationFailed) as caught:
            make_user(session, actor, username="chen.jiayi.lab", password="chen.jiayi.lab")
        assert (caught.value.problems[0].field, rule_of(caught.value)) == (
            "password",
            "password.policy",
        )

    def test_refuses_the_gate_device_role_for_a_person(
        self, session: Session, actor: Actor
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            make_user(session, actor, role=Role.GATE_DEVICE)
        assert rule_of(caught.value) == "user.role_for_people"


class TestLogin:
    def test_returns_a_session_whose_secret_is_stored_only_as_its_hash(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor)
        web_session, secret = service.login(
            session, username="chen.jiayi", password=PASSWORD, remote_addr=ADDR, now=NOW
        )
        assert web_session.user_id == user.id
        assert web_session.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert web_session.token_hash != secret
        assert web_session.expires_at == NOW + service.SESSION_LIFETIME
        stored = session.scalars(select(WebSession.token_hash)).all()
        assert secret not in stored

    def test_the_username_is_case_insensitive(self, session: Session, actor: Actor) -> None:
        make_user(session, actor)
        service.login(session, username="Chen.JiaYi", password=PASSWORD, remote_addr=ADDR, now=NOW)

    def test_an_unknown_user_and_a_wrong_password_get_the_same_error(
        self, session: Session, actor: Actor
    ) -> None:
        make_user(session, actor)
        with pytest.raises(LoginRefused) as unknown:
            service.login(session, username="nobody", password=PASSWORD, remote_addr=ADDR, now=NOW)
        with pytest.raises(LoginRefused) as wrong:
            service.login(
                session,
                username="chen.jiayi",
                password="wrong password!",
                remote_addr=ADDR,
                now=NOW,
            )
        assert unknown.value.detail == wrong.value.detail
        assert unknown.value.problems == wrong.value.problems == ()

    def test_an_inactive_user_gets_the_same_error_even_with_the_right_password(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor)
        service.deactivate_user(session, user, actor=actor)
        with pytest.raises(LoginRefused) as caught:
            service.login(
                session, username="chen.jiayi", password=PASSWORD, remote_addr=ADDR, now=NOW
            )
        assert caught.value.detail == LoginRefused().detail

    def test_records_each_attempt_and_its_audit_event(self, session: Session, actor: Actor) -> None:
        make_user(session, actor)
        with pytest.raises(LoginRefused):
            service.login(
                session, username="chen.jiayi", password="nope", remote_addr=ADDR, now=NOW
            )
        service.login(session, username="chen.jiayi", password=PASSWORD, remote_addr=ADDR, now=NOW)
        attempts = session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
        assert [(a.username, a.remote_addr, a.succeeded) for a in attempts] == [
            ("chen.jiayi", ADDR, False),
            ("chen.jiayi", ADDR, True),
        ]
        assert tags(session)[-2:] == ["auth:login:fail", "auth:session:login"]
        fail = session.scalars(select(AuditEvent).where(AuditEvent.tag == "auth:login:fail")).one()
        assert "nope" not in str(fail.data)

    def test_rehashes_a_password_hashed_with_older_parameters(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor)
        weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
        old = user.password_hash = weak.hash(PASSWORD)
        service.login(session, username="chen.jiayi", password=PASSWORD, remote_addr=ADDR, now=NOW)
        assert user.password_hash != old
        assert not passwords.needs_rehash(user.password_hash)
        assert passwords.verify_password(user.password_hash, PASSWORD)


class TestLoginThrottling:
    @staticmethod
    def fail(session: Session, *, at: dt.datetime, username: str = "chen.jiayi") -> None:
        with pytest.raises(LoginRefused):
            service.login(
                session, username=username, password="wrong password", remote_addr=ADDR, now=at
            )

    def test_five_failures_lock_the_username_even_for_the_right_password(
        self, session: Session, actor: Actor
    ) -> None:
        make_user(session, actor)
        for minute in range(service.LOGIN_MAX_FAILURES_PER_USERNAME):
            self.fail(session, at=NOW + dt.timedelta(minutes=minute))
        last = NOW + dt.timedelta(minutes=service.LOGIN_MAX_FAILURES_PER_USERNAME - 1)
        with pytest.raises(TooManyAttempts) as caught:
            service.login(
                session,
                username="chen.jiayi",
                password=PASSWORD,
                remote_addr="198.51.100.1",
                now=last + dt.timedelta(minutes=5),
            )
        assert caught.value.retry_after_seconds == 10 * 60

    def test_the_lock_lifts_after_the_lockout_period(self, session: Session, actor: Actor) -> None:
        make_user(session, actor)
        for second in range(service.LOGIN_MAX_FAILURES_PER_USERNAME):
            self.fail(session, at=NOW + dt.timedelta(seconds=second))
        last = NOW + dt.timedelta(seconds=service.LOGIN_MAX_FAILURES_PER_USERNAME - 1)
        with pytest.raises(TooManyAttempts):
            service.login(
                session,
                username="chen.jiayi",
                password=PASSWORD,
                remote_addr=ADDR,
                now=last + service.LOGIN_LOCKOUT - dt.timedelta(seconds=1),
            )
        service.login(
            session,
            username="chen.jiayi",
            password=PASSWORD,
            remote_addr=ADDR,
            now=last + service.LOGIN_LOCKOUT,
        )

    def test_failures_spread_wider_than_the_window_do_not_lock(
        self, session: Session, actor: Actor
    ) -> None:
        make_user(session, actor)
        step = service.LOGIN_FAILURE_WINDOW / (service.LOGIN_MAX_FAILURES_PER_USERNAME - 1)
        step += dt.timedelta(seconds=1)
        for n in range(service.LOGIN_MAX_FAILURES_PER_USERNAME):
            self.fail(session, at=NOW + n * step)
        service.login(
            session,
            username="chen.jiayi",
            password=PASSWORD,
            remote_addr=ADDR,
            now=NOW + service.LOGIN_MAX_FAILURES_PER_USERNAME * step,
        )

    def test_a_successful_login_clears_the_usernames_earlier_failures(
        self, session: Session, actor: Actor
    ) -> None:
        make_user(session, actor)
        for second in range(service.LOGIN_MAX_FAILURES_PER_USERNAME - 1):
            self.fail(session, at=NOW + dt.timedelta(seconds=second))
        service.login(
            session,
            username="chen.jiayi",
            password=PASSWORD,
            remote_addr=ADDR,
            now=NOW + dt.timedelta(seconds=10),
        )
        self.fail(session, at=NOW + dt.timedelta(seconds=20))
        service.login(
            session,
            username="chen.jiayi",
            password=PASSWORD,
            remote_addr=ADDR,
            now=NOW + dt.timedelta(seconds=30),
        )

    def test_an_unknown_username_locks_like_a_known_one(self, session: Session) -> None:
        for second in range(service.LOGIN_MAX_FAILURES_PER_USERNAME):
            self.fail(session, at=NOW + dt.timedelta(seconds=second), username="ghost")
        with pytest.raises(TooManyAttempts):
            service.login(
                session,
                username="ghost",
                password=PASSWORD,
                remote_addr=ADDR,
                now=NOW + dt.timedelta(minutes=1),
            )

    def test_an_address_spraying_many_usernames_is_locked(
        self, session: Session, actor: Actor
    ) -> None:
        make_user(session, actor)
        for n in range(service.LOGIN_MAX_FAILURES_PER_ADDRESS):
            self.fail(session, at=NOW + dt.timedelta(seconds=n), username=f"guess{n}")
        with pytest.raises(TooManyAttempts) as caught:
            service.login(
                session,
                username="chen.jiayi",
                password=PASSWORD,
                remote_addr=ADDR,
                now=NOW + dt.timedelta(minutes=1),
            )
        assert "address" in caught.value.detail
        # The same user from another address is not held back by the sprayer.
        service.login(
            session,
            username="chen.jiayi",
            password=PASSWORD,
            remote_addr="198.51.100.1",
            now=NOW + dt.timedelta(minutes=1),
        )


class TestWebSessions:
    @staticmethod
    def sign_in(session: Session, actor: Actor, **user: Any) -> tuple[User, WebSession, str]:
        account = make_user(session, actor, **user)
        web_session, secret = service.login(
            session, username=account.username, password=PASSWORD, remote_addr=ADDR, now=NOW
        )
        return account, web_session, secret

    def test_authenticates_a_live_session_as_its_user(self, session: Session, actor: Actor) -> None:
        party = make_party(session, actor)
        user, _, secret = self.sign_in(session, actor, role=Role.ENTERPRISE_USER, party_id=party.id)
        principal = service.authenticate_session(session, secret=secret, now=NOW)
        assert principal is not None
        assert (principal.kind, principal.id, principal.name, principal.via) == (
            "user",
            user.id,
            "chen.jiayi",
            "session",
        )
        assert principal.roles == {Role.ENTERPRISE_USER}
        assert principal.party_id == party.id
        assert principal.actor == Actor("user", "chen.jiayi")

    def test_a_users_session_principal_is_what_its_session_authenticates_as(
        self, session: Session, actor: Actor
    ) -> None:
        # The demo acts as its officers through session_principal, never through a session.
        party = make_party(session, actor)
        user, _, secret = self.sign_in(session, actor, role=Role.ENTERPRISE_USER, party_id=party.id)
        assert service.session_principal(user) == service.authenticate_session(
            session, secret=secret, now=NOW
        )

    @pytest.mark.parametrize("secret", ["", "not-a-session", "x" * 10_000])
    def test_refuses_an_unknown_secret(self, session: Session, actor: Actor, secret: str) -> None:
        self.sign_in(session, actor)
        assert service.authenticate_session(session, secret=secret, now=NOW) is None

    def test_refuses_a_session_after_logout(self, session: Session, actor: Actor) -> None:
        _, web_session, secret = self.sign_in(session, actor)
        assert service.logout(session, secret=secret, now=NOW)
        assert web_session.revoked_at == NOW
        assert service.authenticate_session(session, secret=secret, now=NOW) is None
        assert tags(session)[-1] == "auth:session:logout"

    def test_logout_with_a_stale_cookie_changes_nothing(
        self, session: Session, actor: Actor
    ) -> None:
        _, _, secret = self.sign_in(session, actor)
        service.logout(session, secret=secret, now=NOW)
        before = tags(session)
        assert not service.logout(session, secret=secret, now=NOW)
        assert not service.logout(session, secret="never-issued", now=NOW)
        assert tags(session) == before

    def test_refuses_a_session_past_its_absolute_lifetime_even_if_active(
        self, session: Session, actor: Actor
    ) -> None:
        _, _, secret = self.sign_in(session, actor)
        at = NOW
        while at + service.SESSION_IDLE < NOW + service.SESSION_LIFETIME:
            at += service.SESSION_IDLE - dt.timedelta(minutes=1)
            assert service.authenticate_session(session, secret=secret, now=at) is not None
        end = NOW + service.SESSION_LIFETIME
        assert service.authenticate_session(session, secret=secret, now=end) is None

    def test_refuses_a_session_left_idle_and_activity_slides_the_idle_timeout(
        self, session: Session, actor: Actor
    ) -> None:
        _, web_session, secret = self.sign_in(session, actor)
        later = NOW + dt.timedelta(minutes=20)
        assert service.authenticate_session(session, secret=secret, now=later) is not None
        assert web_session.last_seen_at == later
        assert (
            service.authenticate_session(
                session, secret=secret, now=later + dt.timedelta(minutes=30)
            )
            is not None
        )
        idle = later + dt.timedelta(minutes=30) + service.SESSION_IDLE + dt.timedelta(seconds=1)
        assert service.authenticate_session(session, secret=secret, now=idle) is None

    def test_last_seen_is_written_at_most_once_a_minute(
        self, session: Session, actor: Actor
    ) -> None:
        _, web_session, secret = self.sign_in(session, actor)
        service.authenticate_session(session, secret=secret, now=NOW + dt.timedelta(seconds=59))
        assert web_session.last_seen_at == NOW
        service.authenticate_session(session, secret=secret, now=NOW + dt.timedelta(seconds=60))
        assert web_session.last_seen_at == NOW + dt.timedelta(seconds=60)

    def test_the_csrf_token_matches_only_its_own_session(
        self, session: Session, actor: Actor
    ) -> None:
        _, web_session, secret = self.sign_in(session, actor)
        token = service.csrf_token(session, secret=secret, now=NOW)
        # Derived from the cookie's secret, never stored: no column of the session holds it.
        assert token is not None
        assert token not in {str(value) for value in vars(web_session).values()}
        assert service.check_csrf(session, secret=secret, presented=token, now=NOW)
        assert not service.check_csrf(session, secret=secret, presented=token[:-1], now=NOW)
        assert not service.check_csrf(session, secret=secret, presented="", now=NOW)
        assert not service.check_csrf(session, secret=secret, presented="令牌", now=NOW)
        assert not service.check_csrf(session, secret="other", presented=token, now=NOW)

    def test_deactivating_a_user_ends_their_sessions_and_tokens(
        self, session: Session, actor: Actor
    ) -> None:
        user, web_session, secret = self.sign_in(session, actor, role=Role.AUDITOR)
        _, raw = service.issue_token(
            session,
            name="reports",
            roles=[Role.AUDITOR],
            user_id=user.id,
            expires_at=NOW + dt.timedelta(days=30),
            actor=actor,
            now=NOW,
        )
        service.deactivate_user(session, user, actor=actor, now=NOW)
        assert web_session.revoked_at == NOW
        assert service.authenticate_session(session, secret=secret, now=NOW) is None
        assert service.authenticate_token(session, raw=raw, now=NOW) is None
        with pytest.raises(TransitionForbidden):
            service.deactivate_user(session, user, actor=actor, now=NOW)

    def test_a_reactivated_user_signs_in_again_but_old_sessions_stay_ended(
        self, session: Session, actor: Actor
    ) -> None:
        user, _, secret = self.sign_in(session, actor)
        service.deactivate_user(session, user, actor=actor, now=NOW)
        service.reactivate_user(session, user, actor=actor)
        assert service.authenticate_session(session, secret=secret, now=NOW) is None
        service.login(session, username=user.username, password=PASSWORD, remote_addr=ADDR, now=NOW)

    def test_changing_the_password_signs_out_other_sessions_but_keeps_the_callers(
        self, session: Session, actor: Actor
    ) -> None:
        user, mine, my_secret = self.sign_in(session, actor)
        _, other_secret = service.login(
            session, username=user.username, password=PASSWORD, remote_addr=ADDR, now=NOW
        )
        service.change_password(
            session,
            user,
            current_password=PASSWORD,
            new_password="a brand new passphrase",
            actor=actor,
            keep=mine,
            now=NOW,
        )
        assert user.password_changed_at == NOW
        assert service.authenticate_session(session, secret=my_secret, now=NOW) is not None
        assert service.authenticate_session(session, secret=other_secret, now=NOW) is None
        with pytest.raises(LoginRefused):
            service.login(
                session, username=user.username, password=PASSWORD, remote_addr=ADDR, now=NOW
            )
        service.login(
            session,
            username=user.username,
            password="a brand new passphrase",
            remote_addr=ADDR,
            now=NOW,
        )

    def test_changing_the_password_requires_the_current_one(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor)
        with pytest.raises(ValidationFailed) as caught:
            service.change_password(
                session,
                user,
                current_password="not the password",
                new_password="a brand new passphrase",
                actor=actor,
            )
        assert rule_of(caught.value) == "password.current"

    def test_a_reset_password_must_meet_the_policy(self, session: Session, actor: Actor) -> None:
        user = make_user(session, actor)
        with pytest.raises(ValidationFailed) as caught:
            service.reset_password(session, user, new_password="short", actor=actor)
        assert rule_of(caught.value) == "password.policy"


class TestApiTokens:
    def test_a_gate_token_authenticates_as_its_device_scoped_to_its_crossing_points(
        self, session: Session, actor: Actor
    ) -> None:
        token, raw = issue_gate_token(session, actor, crossing_points=["HUANGGANG", "FUTIAN"])
        assert raw.startswith(f"hetao_{token.id}_")
        principal = service.authenticate_token(session, raw=raw, now=NOW)
        assert principal is not None
        assert (principal.kind, principal.id, principal.name, principal.via) == (
            "device",
            token.id,
            "huanggang-lane-3",
            "token",
        )
        assert principal.roles == {Role.GATE_DEVICE}
        assert principal.crossing_points == frozenset({"HUANGGANG", "FUTIAN"})
        assert principal.party_id is None

    def test_the_raw_secret_is_not_in_the_database_only_its_hash(
        self, session: Session, actor: Actor
    ) -> None:
        token, raw = issue_gate_token(session, actor)
        secret = raw.split("_", 2)[2]
        session.flush()
        row = session.execute(select(ApiToken.__table__).where(ApiToken.id == token.id)).one()
        assert all(secret not in str(value) for value in row)
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert token.prefix == secret[:8]

    def test_refuses_a_known_id_with_a_wrong_secret(self, session: Session, actor: Actor) -> None:
        token, raw = issue_gate_token(session, actor)
        forged = f"hetao_{token.id}_" + ("A" if raw[-1] != "A" else "B") * 43
        assert service.authenticate_token(session, raw=forged, now=NOW) is None

    @pytest.mark.parametrize("raw", ["", "Bearer x", "hetao_999999_" + "x" * 43, "hetao_1_short"])
    def test_refuses_an_unknown_or_malformed_token(
        self, session: Session, actor: Actor, raw: str
    ) -> None:
        issue_gate_token(session, actor)
        assert service.authenticate_token(session, raw=raw, now=NOW) is None

    def test_refuses_an_expired_token(self, session: Session, actor: Actor) -> None:
        token, raw = issue_gate_token(session, actor)
        assert service.authenticate_token(session, raw=raw, now=token.expires_at) is None

    def test_refuses_a_revoked_token_and_revokes_only_once(
        self, session: Session, actor: Actor
    ) -> None:
        token, raw = issue_gate_token(session, actor)
        service.revoke_token(session, token, actor=actor, now=NOW)
        assert service.authenticate_token(session, raw=raw, now=NOW) is None
        with pytest.raises(TransitionForbidden):
            service.revoke_token(session, token, actor=actor)

    def test_last_used_is_written_at_most_once_a_minute(
        self, session: Session, actor: Actor
    ) -> None:
        token, raw = issue_gate_token(session, actor)
        service.authenticate_token(session, raw=raw, now=NOW)
        assert token.last_used_at == NOW
        service.authenticate_token(session, raw=raw, now=NOW + dt.timedelta(seconds=59))
        assert token.last_used_at == NOW
        service.authenticate_token(session, raw=raw, now=NOW + dt.timedelta(minutes=1))
        assert token.last_used_at == NOW + dt.timedelta(minutes=1)

    def test_refuses_a_gate_token_without_crossing_points(
        self, session: Session, actor: Actor
    ) -> None:
        cases: list[list[str] | None] = [None, []]
        for points in cases:
            with pytest.raises(ValidationFailed) as caught:
                issue_gate_token(session, actor, crossing_points=points)
            assert rule_of(caught.value) == "token.crossing_points_required"

    def test_refuses_crossing_points_on_a_token_that_is_not_a_gate(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor, role=Role.AUDITOR)
        with pytest.raises(ValidationFailed) as caught:
            service.issue_token(
                session,
                name="reports",
                roles=[Role.AUDITOR],
                user_id=user.id,
                crossing_points=["HUANGGANG"],
                expires_at=NOW + dt.timedelta(days=1),
                actor=actor,
                now=NOW,
            )
        assert rule_of(caught.value) == "token.crossing_points_gate_only"

    def test_checks_crossing_points_against_the_zone_profile_when_given(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            issue_gate_token(session, actor, crossing_points=["NOWHERE"], profile=profile)
        assert rule_of(caught.value) == "profile.crossing_point"
        issue_gate_token(session, actor, crossing_points=["FBZ_CHANNEL_1"], profile=profile)

    def test_an_enterprise_users_token_is_bound_to_that_users_party(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        user = make_user(session, actor, role=Role.ENTERPRISE_USER, party_id=party.id)
        _, raw = service.issue_token(
            session,
            name="erp sync",
            roles=[Role.ENTERPRISE_USER],
            user_id=user.id,
            expires_at=NOW + dt.timedelta(days=30),
            actor=actor,
            now=NOW,
        )
        principal = service.authenticate_token(session, raw=raw, now=NOW)
        assert principal is not None
        assert (principal.kind, principal.id, principal.party_id) == ("user", user.id, party.id)
        assert principal.roles == {Role.ENTERPRISE_USER}

    def test_refuses_an_enterprise_role_on_a_device_token(
        self, session: Session, actor: Actor
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            issue_gate_token(session, actor, roles=[Role.ENTERPRISE_USER], crossing_points=None)
        assert rule_of(caught.value) == "token.enterprise_needs_user"

    def test_refuses_a_persons_role_on_a_device_token(self, session: Session, actor: Actor) -> None:
        with pytest.raises(ValidationFailed) as caught:
            issue_gate_token(session, actor, roles=[Role.ADMINISTRATOR], crossing_points=None)
        assert rule_of(caught.value) == "token.device_roles"

    def test_a_users_token_carries_no_more_than_the_users_role(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor, role=Role.AUDITOR)
        with pytest.raises(ValidationFailed) as caught:
            service.issue_token(
                session,
                name="escalate",
                roles=[Role.ADMINISTRATOR],
                user_id=user.id,
                expires_at=NOW + dt.timedelta(days=30),
                actor=actor,
                now=NOW,
            )
        assert rule_of(caught.value) == "token.roles_within_user_role"

    def test_a_users_token_loses_a_role_the_user_no_longer_holds(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor, role=Role.AUDITOR)
        _, raw = service.issue_token(
            session,
            name="reports",
            roles=[Role.AUDITOR],
            user_id=user.id,
            expires_at=NOW + dt.timedelta(days=30),
            actor=actor,
            now=NOW,
        )
        user.role = Role.ZONE_REVIEWER
        assert service.authenticate_token(session, raw=raw, now=NOW) is None

    @pytest.mark.parametrize(
        ("expires_at", "rule"),
        [
            (NOW, "token.expires_in_future"),
            (NOW + dt.timedelta(days=365, seconds=1), "token.expires_within_a_year"),
            (dt.datetime(2026, 7, 1), "token.expires_at_aware"),  # noqa: DTZ001 - the point
        ],
    )
    def test_requires_an_expiry_within_a_year(
        self, session: Session, actor: Actor, expires_at: dt.datetime, rule: str
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            issue_gate_token(session, actor, expires_at=expires_at)
        assert rule_of(caught.value) == rule

    def test_accepts_an_expiry_exactly_a_year_ahead(self, session: Session, actor: Actor) -> None:
        issue_gate_token(session, actor, expires_at=NOW + service.TOKEN_MAX_LIFETIME)

    def test_names_either_a_user_or_a_device(self, session: Session, actor: Actor) -> None:
        user = make_user(session, actor, role=Role.ADMINISTRATOR)
        subjects: list[dict[str, Any]] = [{}, {"user_id": user.id, "device_name": "both"}]
        for subject in subjects:
            with pytest.raises(ValidationFailed) as caught:
                service.issue_token(
                    session,
                    name="x",
                    roles=[Role.ADMINISTRATOR],
                    expires_at=NOW + dt.timedelta(days=1),
                    actor=actor,
                    now=NOW,
                    **subject,
                )
            assert rule_of(caught.value) == "token.one_subject"

    def test_the_database_refuses_a_token_naming_both_a_user_and_a_device(
        self, session: Session, actor: Actor
    ) -> None:
        user = make_user(session, actor, role=Role.ADMINISTRATOR)
        token, _ = issue_gate_token(session, actor)
        savepoint = session.begin_nested()
        token.user_id = user.id
        with pytest.raises(IntegrityError):
            session.flush()
        savepoint.rollback()


class TestAuditTrail:
    def test_every_write_records_its_event(self, session: Session, actor: Actor) -> None:
        user = make_user(session, actor, role=Role.AUDITOR)
        with pytest.raises(LoginRefused):
            service.login(session, username=user.username, password="x", remote_addr=ADDR, now=NOW)
        _, secret = service.login(
            session, username=user.username, password=PASSWORD, remote_addr=ADDR, now=NOW
        )
        service.logout(session, secret=secret, now=NOW)
        token, _ = service.issue_token(
            session,
            name="reports",
            roles=[Role.AUDITOR],
            user_id=user.id,
            expires_at=NOW + dt.timedelta(days=30),
            actor=actor,
            now=NOW,
        )
        service.revoke_token(session, token, actor=actor, now=NOW)
        service.change_password(
            session, user, current_password=PASSWORD, new_password="another passphrase", actor=actor
        )
        service.reset_password(session, user, new_password="a third passphrase", actor=actor)
        service.deactivate_user(session, user, actor=actor)
        service.reactivate_user(session, user, actor=actor)
        assert tags(session) == [
            "auth:user:create",
            "auth:login:fail",
            "auth:session:login",
            "auth:session:logout",
            "auth:token:issue",
            "auth:token:revoke",
            "auth:user:change_password",
            "auth:user:reset_password",
            "auth:user:deactivate",
            "auth:user:reactivate",
        ]
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert events[0].actor == str(actor)
        assert events[1].actor == f"anonymous:{ADDR}"
        assert events[2].actor == f"user:{user.username}"
        assert all(PASSWORD not in str(e.data) for e in events)
