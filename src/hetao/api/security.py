"""Who is calling: bearer tokens and session cookies, CSRF, role checks, rate limits.

The route class resolves the principal once per request; endpoints declare the roles they
admit with `allow(...)`, and each domain's `access` module checks objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from sqlalchemy.orm import Session

from hetao.auth import service as auth
from hetao.auth.principal import Principal, Role
from hetao.errors import NotAuthenticated, PermissionDenied

SESSION_COOKIE = "hetao_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HUMAN_ROLES = frozenset(Role) - {Role.GATE_DEVICE}


def resolve_principal(request: Request, session: Session) -> Principal | None:
    """The caller, from a bearer token or a session cookie (with its CSRF token on writes)."""
    header = request.headers.get("Authorization", "")
    if header:
        return bearer_principal(session, header)
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    principal = auth.authenticate_session(session, secret=secret)
    if principal is None:
        return None  # an expired cookie is the same as none; the login page will say so
    if request.method not in SAFE_METHODS:
        presented = request.headers.get(CSRF_HEADER) or getattr(request.state, "csrf_form", None)
        if not presented or not auth.check_csrf(session, secret=secret, presented=presented):
            raise PermissionDenied(f"a session write needs the {CSRF_HEADER} header (CSRF)")
    return principal


def bearer_principal(session: Session, authorization: str) -> Principal:
    """The principal of an ``Authorization: Bearer <token>`` value (HTTP or a queued message)."""
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise NotAuthenticated("use 'Authorization: Bearer <token>'")
    principal = auth.authenticate_token(session, raw=raw.strip())
    if principal is None:
        raise NotAuthenticated("the token is unknown, expired or revoked")
    return principal


def authenticated(request: Request) -> Principal:
    """The authenticated caller, or 401."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise NotAuthenticated("log in, or send 'Authorization: Bearer <token>'")
    return principal


# Dependencies that only read the request are coroutines: FastAPI runs a plain function
# dependency in a worker thread, and that hop cost more than the check itself.
async def current_principal(request: Request) -> Principal:
    """The authenticated caller, or 401 (as a dependency)."""
    return authenticated(request)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


class Allow:
    """A route's admission rule: the roles that may call it (objects are checked later)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def admits(self, principal: Principal) -> bool:
        """Whether the principal holds one of the roles."""
        return bool(principal.roles & self.roles)

    async def __call__(self, request: Request) -> Principal:
        principal = authenticated(request)
        if not self.admits(principal):
            names = ", ".join(sorted(principal.roles))
            raise PermissionDenied(f"{names} may not call {request.method} {request.url.path}")
        return principal

    def __repr__(self) -> str:
        return f"Allow({', '.join(sorted(self.roles))})"


def dependency_calls(dependant: Dependant) -> Iterator[Any]:
    """Every dependency a route runs, however deeply nested."""
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from dependency_calls(dependency)


def needs_caller(dependant: Dependant) -> bool:
    """Whether a route admits only an authenticated caller: a role check or the caller itself
    among its dependencies. Such a route refuses an anonymous request before reading its body."""
    return any(
        call is current_principal or isinstance(call, Allow) for call in dependency_calls(dependant)
    )
