"""Auth services: users, sign-in and sessions, API tokens; one function per verb.

Services never commit: the caller's unit of work does. Every change records an audit event in
the same transaction. Bookkeeping timestamps (``last_seen_at``, ``last_used_at``) are not audited.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import AuthTag
from hetao.auth import repository as repo
from hetao.auth.errors import LoginRefused, TooManyAttempts
from hetao.auth.models import (
    REMOTE_ADDR_MAX,
    USERNAME_MAX,
    ApiToken,
    LoginAttempt,
    TokenKind,
    User,
    WebSession,
)
from hetao.auth.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_dummy,
    verify_password,
)
from hetao.auth.principal import Principal, Role
from hetao.auth.roles import DEVICE_ROLES, keep_administration, role_problems
from hetao.auth.tokens import (
    csrf_for,
    format_token,
    hash_secret,
    new_secret,
    parse_token,
    secrets_match,
)
from hetao.errors import Conflict, FieldProblem, TransitionForbidden, ValidationFailed
from hetao.profiles import ZoneProfile
from hetao.reasons import Language
from hetao.storage.types import utcnow
from hetao.workflow import audit

# --- constants -----------------------------------------------------------------------------

# NIST SP 800-63B (AAL2): re-authenticate at least every 12 hours (one shift at a port) and
# after 30 minutes of inactivity (an unattended console must not stay signed in).
SESSION_LIFETIME = dt.timedelta(hours=12)
SESSION_IDLE = dt.timedelta(minutes=30)

# last_seen_at / last_used_at are written at most once a minute: a write per request would
# turn every read into a write transaction (and on SQLite, into the single writer's queue).
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)

# Five wrong passwords for one username within 15 minutes lock that username for 15 minutes:
# online guessing becomes hopeless while a locked-out officer waits a coffee break, not a call.
LOGIN_MAX_FAILURES_PER_USERNAME = 5
# One address may fail more often (an office behind one NAT), but not spray many usernames.
LOGIN_MAX_FAILURES_PER_ADDRESS = 20
LOGIN_FAILURE_WINDOW = dt.timedelta(minutes=15)
LOGIN_LOCKOUT = dt.timedelta(minutes=15)

# Long-lived credentials are forgotten credentials: every token is renewed at least yearly.
TOKEN_MAX_LIFETIME = dt.timedelta(days=365)

#: Lower-case letters, digits and ``. _ @ -``, starting with a letter or digit.
USERNAME_PATTERN = re.compile(rf"[a-z0-9][a-z0-9._@-]{{2,{USERNAME_MAX - 1}}}")

_ROLE_VALUES = frozenset(r.value for r in Role)


def _normalise_username(username: str) -> str:
    return username.strip().lower()


# --- users ---------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    party_id: int | None,
    actor: Actor,
) -> User:
    """Create an active user; an enterprise user is bound to one party, no one else is."""
    username = _normalise_username(username)
    display_name = display_name.strip()
    role = Role(role)
    problems: list[FieldProblem] = []
    if not USERNAME_PATTERN.fullmatch(username):
        problems.append(
            FieldProblem(
                "username",
                "user.username_format",
                f"must be 3-{USERNAME_MAX} lower-case letters, digits or . _ @ -",
            )
        )
    if not 1 <= len(display_name) <= 200:
        problems.append(
            FieldProblem("display_name", "user.display_name", "must be 1-200 characters")
        )
    problems.extend(role_problems(session, role, party_id))
    try:
        check_password_policy(password, username=username)
    except ValidationFailed as refused:
        problems.extend(refused.problems)
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)
    if repo.user_by_username(session, username) is not None:
        raise Conflict(
            f"username {username} is already taken",
            problems=[FieldProblem("username", "user.unique_username", "is already taken")],
        )
    now = utcnow()
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        party_id=party_id,
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()  # the id is needed by the audit event
    audit(
        session,
        AuthTag.USER_CREATE,
        user.id,
        actor,
        username=username,
        role=role.value,
        party_id=party_id,
    )
    return user


def deactivate_user(
    session: Session, user: User, *, actor: Actor, now: dt.datetime | None = None
) -> None:
    """Stop a user signing in; their live sessions and API tokens are revoked with it.

    Not one's own account if an administrator, nor the last active administrator
    (``keep_administration``)."""
    if not user.active:
        raise TransitionForbidden(
            subject="user", current="inactive", action="deactivate", allowed_from=["active"]
        )
    keep_administration(session, user, field="status", actor=actor)
    now = now or utcnow()
    user.active = False
    sessions = _revoke_sessions(session, user, now=now)
    tokens = repo.live_tokens_of_user(session, user.id, now=now)
    for token in tokens:
        token.revoked_at = now
        audit(session, AuthTag.TOKEN_REVOKE, token.id, actor, reason="user deactivated")
    audit(
        session,
        AuthTag.USER_DEACTIVATE,
        user.id,
        actor,
        sessions_revoked=sessions,
        tokens_revoked=[t.id for t in tokens],
    )


def reactivate_user(session: Session, user: User, *, actor: Actor) -> None:
    """Let a deactivated user sign in again (revoked sessions and tokens stay revoked)."""
    if user.active:
        raise TransitionForbidden(
            subject="user", current="active", action="reactivate", allowed_from=["inactive"]
        )
    user.active = True
    audit(session, AuthTag.USER_REACTIVATE, user.id, actor)


def choose_language(session: Session, user: User, language: Language, *, actor: Actor) -> None:
    """Keep the user's language for the pages; choosing the same one again writes nothing."""
    if user.language == language:
        return
    previous, user.language = user.language, language
    audit(session, AuthTag.USER_LANGUAGE, user.id, actor, language=language, previous=previous)


def change_password(
    session: Session,
    user: User,
    *,
    current_password: str,
    new_password: str,
    actor: Actor,
    keep: WebSession | None = None,
    now: dt.datetime | None = None,
) -> None:
    """A user's own change: the current password is required; other sessions are signed out."""
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed.single("current_password", "password.current", "is not correct")
    _set_password(session, user, new_password, AuthTag.USER_CHANGE_PASSWORD, actor, keep, now)


def reset_password(
    session: Session,
    user: User,
    *,
    new_password: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> None:
    """An administrator's reset: no current password; every session of the user is signed out."""
    _set_password(session, user, new_password, AuthTag.USER_RESET_PASSWORD, actor, None, now)


def _set_password(
    session: Session,
    user: User,
    password: str,
    tag: AuthTag,
    actor: Actor,
    keep: WebSession | None,
    now: dt.datetime | None,
) -> None:
    check_password_policy(password, username=user.username)
    now = now or utcnow()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    # Whoever knew the old password may hold a session: end them all but the caller's own.
    revoked = _revoke_sessions(session, user, now=now, keep=keep)
    audit(session, tag, user.id, actor, sessions_revoked=revoked)


def _revoke_sessions(
    session: Session, user: User, *, now: dt.datetime, keep: WebSession | None = None
) -> int:
    count = 0
    for web_session in repo.live_web_sessions(session, user.id, now=now):
        if keep is None or web_session.id != keep.id:
            web_session.revoked_at = now
            count += 1
    return count


# --- sign-in and web sessions --------------------------------------------------------------


def login(
    session: Session,
    *,
    username: str,
    password: str,
    remote_addr: str,
    now: dt.datetime | None = None,
) -> tuple[WebSession, str]:
    """Sign in: the new session row and its secret (for the cookie), or LoginRefused.

    Raises TooManyAttempts while the username or the address is locked out. On LoginRefused
    the failed attempt is in the session and the entry point must commit it (see LoginRefused).
    """
    now = now or utcnow()
    username = _normalise_username(username)[:USERNAME_MAX]
    remote_addr = remote_addr[:REMOTE_ADDR_MAX]
    _refuse_if_throttled(session, username=username, remote_addr=remote_addr, now=now)

    user = repo.user_by_username(session, username)
    if user is None:
        verify_dummy(password)  # as slow as a real check: timing must not reveal the username
        reason = "unknown_user"
    elif not verify_password(user.password_hash, password):
        reason = "bad_password"
    elif not user.active:
        reason = "inactive"
    else:
        reason = None
    session.add(
        LoginAttempt(
            username=username, remote_addr=remote_addr, succeeded=reason is None, attempted_at=now
        )
    )
    if user is None or reason is not None:
        audit(
            session,
            AuthTag.LOGIN_FAIL,
            username,
            Actor("anonymous", remote_addr),
            remote_addr=remote_addr,
            reason=reason,
        )
        raise LoginRefused()

    rehashed = needs_rehash(user.password_hash)
    if rehashed:
        # The hashing parameters were raised since this hash was made; the password is at hand.
        user.password_hash = hash_password(password)
    secret = new_secret()
    web_session = WebSession(
        user_id=user.id,
        token_hash=hash_secret(secret),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        last_seen_at=now,
    )
    session.add(web_session)
    session.flush()  # the id is needed by the audit event
    audit(
        session,
        AuthTag.SESSION_LOGIN,
        web_session.id,
        Actor("user", user.username),
        user_id=user.id,
        remote_addr=remote_addr,
        rehashed=rehashed,
    )
    return web_session, secret


def _refuse_if_throttled(
    session: Session, *, username: str, remote_addr: str, now: dt.datetime
) -> None:
    horizon = now - LOGIN_FAILURE_WINDOW - LOGIN_LOCKOUT  # older failures cannot lock any more
    # A successful sign-in clears the username's earlier failures (not the address's: an
    # attacker's own account must not reset the counter of the address it sprays from).
    last_success = repo.last_success_at(session, username)
    user_since = max(horizon, last_success) if last_success else horizon
    checks = (
        (
            "username",
            LOGIN_MAX_FAILURES_PER_USERNAME,
            repo.recent_failures(
                session,
                username=username,
                since=user_since,
                limit=LOGIN_MAX_FAILURES_PER_USERNAME,
            ),
        ),
        (
            "address",
            LOGIN_MAX_FAILURES_PER_ADDRESS,
            repo.recent_failures(
                session,
                remote_addr=remote_addr,
                since=horizon,
                limit=LOGIN_MAX_FAILURES_PER_ADDRESS,
            ),
        ),
    )
    for what, limit, failures in checks:
        # Newest first: locked when the last `limit` failures fit in one window, until the
        # lockout period has passed since the newest of them.
        if len(failures) < limit or failures[0] - failures[-1] > LOGIN_FAILURE_WINDOW:
            continue
        wait = (failures[0] + LOGIN_LOCKOUT - now).total_seconds()
        if wait > 0:
            raise TooManyAttempts(
                f"too many failed sign-ins for this {what}; try again in {math.ceil(wait)} s",
                retry_after_seconds=math.ceil(wait),
            )


def _live_web_session(
    session: Session, secret: str, now: dt.datetime
) -> tuple[WebSession, User] | None:
    if not secret or len(secret) > 128:
        return None
    found = repo.web_session_by_hash(session, hash_secret(secret))
    if found is None:
        return None
    web_session, user = found
    if (
        web_session.revoked_at is not None
        or now >= web_session.expires_at
        or now - web_session.last_seen_at > SESSION_IDLE
        or not user.active
    ):
        return None
    return web_session, user


def authenticate_session(
    session: Session, *, secret: str, now: dt.datetime | None = None
) -> Principal | None:
    """The user behind a session cookie, or None if unknown, revoked, expired or idle."""
    now = now or utcnow()
    found = _live_web_session(session, secret, now)
    if found is None:
        return None
    web_session, user = found
    if now - web_session.last_seen_at >= LAST_USE_RESOLUTION:
        web_session.last_seen_at = now  # sliding idle timeout
    return session_principal(user)


def session_principal(user: User) -> Principal:
    """The principal of ``user`` signed in with a session: its one role and its party."""
    return Principal(
        kind="user",
        id=user.id,
        name=user.username,
        roles=frozenset({user.role}),
        party_id=user.party_id,
        crossing_points=None,
        via="session",
    )


def check_csrf(
    session: Session, *, secret: str, presented: str, now: dt.datetime | None = None
) -> bool:
    """Whether ``presented`` is the CSRF token of the live session behind ``secret``."""
    found = _live_web_session(session, secret, now or utcnow())
    if found is None or not presented:
        return False
    return secrets_match(presented, hash_secret(csrf_for(secret)))


def csrf_token(session: Session, *, secret: str, now: dt.datetime | None = None) -> str | None:
    """The CSRF token to embed in the pages of the live session behind ``secret``."""
    found = _live_web_session(session, secret, now or utcnow())
    return None if found is None else csrf_for(secret)


def logout(session: Session, *, secret: str, now: dt.datetime | None = None) -> bool:
    """End the session behind ``secret``; False when there was no live one (a stale cookie)."""
    now = now or utcnow()
    found = _live_web_session(session, secret, now)
    if found is None:
        return False
    web_session, user = found
    web_session.revoked_at = now
    audit(
        session,
        AuthTag.SESSION_LOGOUT,
        web_session.id,
        Actor("user", user.username),
        user_id=user.id,
    )
    return True


# --- API tokens ----------------------------------------------------------------------------


def issue_token(
    session: Session,
    *,
    name: str,
    roles: Iterable[Role],
    user_id: int | None = None,
    device_name: str | None = None,
    crossing_points: Iterable[str] | None = None,
    expires_at: dt.datetime,
    actor: Actor,
    profile: ZoneProfile | None = None,
    now: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue an API token for a user or a device: the row and the raw token, shown once.

    A user token carries only that user's role (an enterprise user's token is thereby bound
    to its party); a device token carries gate_device and names its crossing points (checked
    against ``profile`` when given).
    """
    now = now or utcnow()
    name = name.strip()
    device_name = device_name.strip() if device_name is not None else None
    problems: list[FieldProblem] = []
    try:
        wanted = frozenset(Role(r) for r in roles)
    except ValueError:
        wanted = frozenset()
        problems.append(FieldProblem("roles", "token.role_known", "names an unknown role"))
    points = sorted({p.strip() for p in crossing_points}) if crossing_points is not None else None

    if not 1 <= len(name) <= 100:
        problems.append(FieldProblem("name", "token.name", "must be 1-100 characters"))
    if not wanted and not problems:
        problems.append(FieldProblem("roles", "token.roles_required", "must name a role"))
    if (user_id is None) == (device_name is None):
        problems.append(
            FieldProblem("user_id", "token.one_subject", "give either user_id or device_name")
        )
    elif user_id is not None:
        problems.extend(_user_token_problems(session, user_id, wanted))
    elif device_name is not None:
        problems.extend(_device_token_problems(device_name, wanted))
    problems.extend(_crossing_point_problems(wanted, points, profile))
    problems.extend(_expiry_problems(expires_at, now))
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)

    secret = new_secret()
    token = ApiToken(
        name=name,
        kind=TokenKind.USER if user_id is not None else TokenKind.DEVICE,
        user_id=user_id,
        device_name=device_name,
        roles=sorted(r.value for r in wanted),
        crossing_points=points,
        token_hash=hash_secret(secret),
        prefix=secret[:8],
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()  # the id is part of the raw token and of the audit event
    audit(
        session,
        AuthTag.TOKEN_ISSUE,
        token.id,
        actor,
        name=name,
        kind=token.kind.value,
        user_id=user_id,
        device_name=device_name,
        roles=token.roles,
        crossing_points=points,
        # An instant in ISO form (T between date and time), as the event has always held it.
        expires_at=expires_at.isoformat(),
        prefix=token.prefix,
    )
    return token, format_token(token.id, secret)


def _user_token_problems(
    session: Session, user_id: int, wanted: frozenset[Role]
) -> list[FieldProblem]:
    user = repo.find_user(session, user_id)
    if user is None:
        return [FieldProblem("user_id", "user.exists", f"user {user_id} does not exist")]
    if not user.active:
        return [FieldProblem("user_id", "token.user_active", f"user {user_id} is not active")]
    if wanted and not wanted <= {user.role}:
        # A token never grants more than its user holds; for an enterprise user this also binds
        # the token to the user's party.
        return [
            FieldProblem(
                "roles",
                "token.roles_within_user_role",
                f"a token of user {user.username} may carry only {user.role.value}",
            )
        ]
    return []


def _device_token_problems(device_name: str, wanted: frozenset[Role]) -> list[FieldProblem]:
    problems = []
    if not 1 <= len(device_name) <= 100:
        problems.append(
            FieldProblem("device_name", "token.device_name", "must be 1-100 characters")
        )
    if Role.ENTERPRISE_USER in wanted:
        problems.append(
            FieldProblem(
                "roles",
                "token.enterprise_needs_user",
                "an enterprise_user token must be issued to an enterprise user (its party)",
            )
        )
    elif wanted - DEVICE_ROLES:
        # People's roles need an accountable person behind them.
        problems.append(
            FieldProblem("roles", "token.device_roles", "a device token carries only gate_device")
        )
    return problems


def _crossing_point_problems(
    wanted: frozenset[Role], points: list[str] | None, profile: ZoneProfile | None
) -> list[FieldProblem]:
    if Role.GATE_DEVICE not in wanted:
        if points is not None:
            return [
                FieldProblem(
                    "crossing_points",
                    "token.crossing_points_gate_only",
                    "only a gate_device token is scoped to crossing points",
                )
            ]
        return []
    if not points or "" in points:
        return [
            FieldProblem(
                "crossing_points",
                "token.crossing_points_required",
                "a gate_device token must name its crossing points",
            )
        ]
    if profile is not None:
        unknown = [p for p in points if profile.crossing_point(p) is None]
        if unknown:
            return [
                FieldProblem(
                    "crossing_points",
                    "profile.crossing_point",
                    f"unknown to the zone profile: {', '.join(unknown)}",
                )
            ]
    return []


def _expiry_problems(expires_at: dt.datetime, now: dt.datetime) -> list[FieldProblem]:
    if expires_at.tzinfo is None:
        return [FieldProblem("expires_at", "token.expires_at_aware", "must carry a time zone")]
    if expires_at <= now:
        return [FieldProblem("expires_at", "token.expires_in_future", "must be in the future")]
    if expires_at > now + TOKEN_MAX_LIFETIME:
        return [
            FieldProblem(
                "expires_at",
                "token.expires_within_a_year",
                f"must be at most {TOKEN_MAX_LIFETIME.days} days ahead",
            )
        ]
    return []


def authenticate_token(
    session: Session, *, raw: str, now: dt.datetime | None = None
) -> Principal | None:
    """The principal behind a raw API token, or None if malformed, unknown, expired or revoked."""
    now = now or utcnow()
    parsed = parse_token(raw)
    if parsed is None:
        return None
    token_id, secret = parsed
    token = repo.token_with_user(session, token_id)
    if token is None or not secrets_match(secret, token.token_hash):
        return None
    if token.revoked_at is not None or now >= token.expires_at:
        return None
    roles = frozenset(Role(r) for r in token.roles if r in _ROLE_VALUES)
    if token.kind is TokenKind.USER:
        if token.user_id is None or token.username is None or not token.active:
            return None
        # If the user's role changed since issue, the token keeps only what the user still holds.
        roles &= {token.role}
        if not roles:
            return None
        principal = Principal(
            kind="user",
            id=token.user_id,
            name=token.username,
            roles=roles,
            party_id=token.party_id,
            crossing_points=None,
            via="token",
        )
    else:
        principal = Principal(
            kind="device",
            id=token_id,
            name=token.device_name or f"token-{token_id}",
            roles=roles,
            party_id=None,
            crossing_points=(
                frozenset(token.crossing_points) if token.crossing_points is not None else None
            ),
            via="token",
        )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
        # Due once a minute: the change goes through the ORM object, so a read-only request
        # can hand it to a write after its answer (hetao.api.routing).
        repo.get_token(session, token_id).last_used_at = now
    return principal


def revoke_token(
    session: Session, token: ApiToken, *, actor: Actor, now: dt.datetime | None = None
) -> None:
    """Revoke an API token for good."""
    if token.revoked_at is not None:
        raise TransitionForbidden(
            subject="token", current="revoked", action="revoke", allowed_from=["active"]
        )
    token.revoked_at = now or utcnow()
    audit(session, AuthTag.TOKEN_REVOKE, token.id, actor)
