"""Every query of the auth domain lives here; services read like the business process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, column, func, select, table
from sqlalchemy.orm import Session

from hetao.auth.models import ApiToken, LoginAttempt, TokenKind, User, WebSession
from hetao.auth.principal import Role
from hetao.storage import lookup
from hetao.storage.driver import DriverQuery
from hetao.storage.locks import advisory_lock
from hetao.storage.pagination import PageOf, paginate

# The registry sits above auth (the layers in pyproject.toml), so its Party model is not
# imported; a bare table reference is enough to check that a party exists.
_parties = table("parties", column("id"))


def get_user(session: Session, user_id: int, *, for_update: bool = False) -> User:
    """Load one user by id or raise NotFound."""
    return lookup.get(session, User, user_id, for_update=for_update)


def find_user(session: Session, user_id: int) -> User | None:
    """User ``user_id``, or None."""
    return session.get(User, user_id)


def get_token(session: Session, token_id: int, *, for_update: bool = False) -> ApiToken:
    """Load one API token by id or raise NotFound."""
    return lookup.get(session, ApiToken, token_id, for_update=for_update, noun="API token")


def lock_administrators(session: Session) -> None:
    """Serialise changes that may remove an administrator, so two cannot each leave the other."""
    advisory_lock(session, "administrators")


def active_users_of_role(
    session: Session, role: Role, *, among: Collection[int] | None = None
) -> list[int]:
    """The ids of active users of ``role`` (only those in ``among`` when given)."""
    users = select(User.id).where(User.role == role, User.active.is_(True))
    if among is not None:
        users = users.where(User.id.in_(list(among)))
    return list(session.scalars(users))


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def party_exists(session: Session, party_id: int) -> bool:
    found = session.execute(select(_parties.c.id).where(_parties.c.id == party_id)).first()
    return found is not None


def web_session_by_hash(session: Session, token_hash: str) -> tuple[WebSession, User] | None:
    """The session with this secret hash and its user, in one query."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == token_hash)
    ).first()
    return None if row is None else (row[0], row[1])


# Every authenticated request runs this: a statement built once, read as plain values (loading
# ORM objects cost a fifth of a gate request), with the user of a user token in the same query.
class TokenWithUser(NamedTuple):
    """A token's credentials and, for a user token, its user's standing (None for a device)."""

    token_hash: str
    kind: TokenKind
    roles: list[str]
    device_name: str | None
    crossing_points: list[str] | None
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    user_id: int | None
    username: str | None
    role: Role | None
    party_id: int | None
    active: bool | None


_TOKEN_WITH_USER = DriverQuery(
    select(
        ApiToken.token_hash,
        ApiToken.kind,
        ApiToken.roles,
        ApiToken.device_name,
        ApiToken.crossing_points,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        ApiToken.user_id,
        User.username,
        User.role,
        User.party_id,
        User.active,
    )
    .outerjoin(User, User.id == ApiToken.user_id)
    .where(ApiToken.id == bindparam("token_id")),
    TokenWithUser,
)


def token_with_user(session: Session, token_id: int) -> TokenWithUser | None:
    """A token's credentials and, for a user token, its user's standing, as one row."""
    if session.new or session.dirty:
        session.flush()  # this read bypasses the ORM, so pending changes must reach the database
    return _TOKEN_WITH_USER.first(session.connection(), token_id=token_id)


def live_web_sessions(session: Session, user_id: int, *, now: dt.datetime) -> Sequence[WebSession]:
    """Sessions of a user that are neither revoked nor past their absolute expiry."""
    return session.scalars(
        select(WebSession).where(
            WebSession.user_id == user_id,
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > now,
        )
    ).all()


def live_tokens_of_user(session: Session, user_id: int, *, now: dt.datetime) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
    ).all()


def last_success_at(session: Session, username: str) -> dt.datetime | None:
    """When ``username`` last signed in successfully (None if never)."""
    found: dt.datetime | None = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    return found


def recent_failures(
    session: Session,
    *,
    username: str | None = None,
    remote_addr: str | None = None,
    since: dt.datetime,
    limit: int,
) -> list[dt.datetime]:
    """Times of the latest failed attempts for a username or an address, newest first."""
    stmt = select(LoginAttempt.attempted_at).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since
    )
    if username is not None:
        stmt = stmt.where(LoginAttempt.username == username)
    if remote_addr is not None:
        stmt = stmt.where(LoginAttempt.remote_addr == remote_addr)
    return list(session.scalars(stmt.order_by(LoginAttempt.attempted_at.desc()).limit(limit)))


def page_users(
    session: Session, *, active: bool | None, cursor: str | None, limit: int
) -> PageOf[User]:
    stmt = select(User)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return paginate(session, stmt, id_column=User.id, cursor=cursor, limit=limit)


def page_tokens(
    session: Session, *, user_id: int | None, cursor: str | None, limit: int
) -> PageOf[ApiToken]:
    stmt = select(ApiToken)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    return paginate(session, stmt, id_column=ApiToken.id, cursor=cursor, limit=limit)
