"""Sign-in, the caller's identity, users and API tokens under /api/v1."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from hetao.api.deps import (
    DEFAULT_PAGE_SIZE,
    CursorQuery,
    LimitQuery,
    ProfileDep,
    SessionDep,
)
from hetao.api.idempotency import NOT_REPLAYABLE, shown_once
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.api.security import (
    SESSION_COOKIE,
    Allow,
    CurrentPrincipal,
)
from hetao.api.state import app_state
from hetao.auth import repository as auth_repo
from hetao.auth import service as auth
from hetao.auth.errors import LoginRefused
from hetao.auth.principal import Principal, Role
from hetao.auth.tokens import csrf_for
from hetao.inputs import Id, InputModel
from hetao.storage.types import utcnow

router = APIRouter(route_class=UnitOfWorkRoute, tags=["auth"])
ADMINISTRATORS = Depends(Allow(Role.ADMINISTRATOR))
Administrators = Annotated[Principal, ADMINISTRATORS]


class Credentials(InputModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    """The caller: who, with which roles, for which party; a session's CSRF token."""

    kind: str
    id: int
    name: str
    roles: list[Role]
    party_id: int | None
    crossing_points: list[str] | None
    csrf_token: str | None = Field(
        None, description="Send it as X-CSRF-Token with every write made with the session cookie"
    )


def _me(principal: Principal, csrf: str | None) -> Me:
    return Me(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        roles=sorted(principal.roles),
        party_id=principal.party_id,
        crossing_points=sorted(principal.crossing_points) if principal.crossing_points else None,
        csrf_token=csrf,
    )


def cookie_is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or app_state(request).cookies_secure


def session_cookie(response: Response, request: Request, secret: str, *, max_age: int) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure unless served over plain loopback."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=max_age,
        httponly=True,
        secure=cookie_is_secure(request),
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    """Remove the cookie with the attributes it was set with (browsers insist on them)."""
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=cookie_is_secure(request),
        httponly=True,
        samesite="lax",
    )


def sign_in(
    request: Request, response: Response, session: SessionDep, credentials: Credentials
) -> Me:
    """Check the credentials, open a web session and set its cookie."""
    client = request.client.host if request.client else "unknown"
    try:
        web_session, secret = auth.login(
            session,
            username=credentials.username,
            password=credentials.password,
            remote_addr=client,
        )
    except LoginRefused:
        session.commit()  # keep the failed attempt: throttling counts it
        raise
    lifetime = int((web_session.expires_at - utcnow()).total_seconds())
    session_cookie(response, request, secret, max_age=lifetime)
    principal = auth.authenticate_session(session, secret=secret)
    assert principal is not None  # noqa: S101 (just created)
    return _me(principal, csrf_for(secret))


@router.post(
    "/auth/login",
    summary="Sign in (sets the session cookie)",
    # A stored answer would hold the CSRF token, and its fingerprint the password: a retried
    # sign-in signs in again instead.
    openapi_extra=NOT_REPLAYABLE,
)
def login(
    request: Request, response: Response, session: SessionDep, credentials: Credentials
) -> Me:
    """Username and password; repeated failures lock the username for a while (429)."""
    return sign_in(request, response, session, credentials)


@router.post("/auth/logout", summary="Sign out (ends the session)")
def logout(request: Request, response: Response, session: SessionDep) -> dict[str, bool]:
    """Ends the session of the cookie sent; a stale cookie is simply cleared."""
    secret = request.cookies.get(SESSION_COOKIE)
    ended = auth.logout(session, secret=secret) if secret else False
    clear_session_cookie(response, request)
    return {"ended": ended}


@router.get("/auth/me", summary="Who am I")
def me(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Me:
    """The authenticated caller; with a session cookie, also its CSRF token."""
    secret = request.cookies.get(SESSION_COOKIE)
    csrf = (
        auth.csrf_token(session, secret=secret) if secret and principal.via == "session" else None
    )
    return _me(principal, csrf)


# --- users ---------------------------------------------------------------------------------


class UserCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    party_id: Id | None = Field(None, description="Required for enterprise users only")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    party_id: int | None
    active: bool
    created_at: dt.datetime


@router.get("/users", summary="List users", dependencies=[ADMINISTRATORS])
def list_users(
    session: SessionDep,
    active: bool | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[UserOut]:
    """Users with their role and party."""
    return Page.of(
        auth_repo.page_users(session, active=active, cursor=cursor, limit=limit), UserOut
    )


@router.post("/users", status_code=status.HTTP_201_CREATED, summary="Create a user")
def create_user(body: UserCreate, session: SessionDep, principal: Administrators) -> UserOut:
    """A person with one role; an enterprise user is bound to one party."""
    user = auth.create_user(session, **body.model_dump(), actor=principal.actor)
    return UserOut.model_validate(user)


@router.post("/users/{user_id}/deactivate", summary="Deactivate a user")
def deactivate_user(user_id: Id, session: SessionDep, principal: Administrators) -> UserOut:
    """The user can no longer sign in; its sessions and tokens end now."""
    user = auth_repo.get_user(session, user_id, for_update=True)
    auth.deactivate_user(session, user, actor=principal.actor)
    return UserOut.model_validate(user)


# --- API tokens ----------------------------------------------------------------------------


class TokenCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    roles: list[Role] = Field(min_length=1)
    user_id: Id | None = Field(None, description="For a person's integration")
    device_name: str | None = Field(None, max_length=100, description="For a gate or device")
    crossing_points: list[str] | None = Field(None, description="Gate devices: where they stand")
    expires_at: dt.datetime


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    user_id: int | None
    device_name: str | None
    roles: list[str]
    crossing_points: list[str] | None
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class IssuedToken(TokenOut):
    token: str | None = shown_once("The bearer token; shown this once, stored only hashed")


@router.get("/tokens", summary="List API tokens", dependencies=[ADMINISTRATORS])
def list_tokens(
    session: SessionDep,
    user_id: Id | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[TokenOut]:
    """Tokens by prefix, never their secrets."""
    return Page.of(
        auth_repo.page_tokens(session, user_id=user_id, cursor=cursor, limit=limit), TokenOut
    )


@router.post("/tokens", status_code=status.HTTP_201_CREATED, summary="Issue an API token")
def issue_token(
    body: TokenCreate, session: SessionDep, profile: ProfileDep, principal: Administrators
) -> IssuedToken:
    """A token for a device (scoped to crossing points) or a user's integration; expires."""
    token, raw = auth.issue_token(
        session, **body.model_dump(), actor=principal.actor, profile=profile
    )
    return IssuedToken(**TokenOut.model_validate(token).model_dump(), token=raw)


@router.post("/tokens/{token_id}/revoke", summary="Revoke an API token")
def revoke_token(token_id: Id, session: SessionDep, principal: Administrators) -> TokenOut:
    """The token stops working at once."""
    token = auth_repo.get_token(session, token_id, for_update=True)
    auth.revoke_token(session, token, actor=principal.actor)
    return TokenOut.model_validate(token)
