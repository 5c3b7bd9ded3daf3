"""Signing in and out of the console with a form and the session cookie."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request, Response
from pydantic import ValidationError

from hetao.api.auth import Credentials, clear_session_cookie, sign_in
from hetao.api.deps import SessionDep
from hetao.api.idempotency import NOT_REPLAYABLE
from hetao.api.security import SESSION_COOKIE
from hetao.auth import repository as auth_repository
from hetao.auth import service as auth
from hetao.auth.errors import LoginRefused, TooManyAttempts
from hetao.errors import PermissionDenied
from hetao.web.i18n import as_language, remember_language, t
from hetao.web.rendering import redirect, render
from hetao.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)

#: After sign-in without a page to return to: "/" sends each role to its home.
DEFAULT_NEXT = "/"
#: Longer than any console path; a longer ``next`` is not one of ours.
NEXT_MAX = 2000


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the default page (no open redirect)."""
    if not target or len(target) > NEXT_MAX or not target.startswith("/"):
        return DEFAULT_NEXT
    # "//host" and "/\host" are other sites to browsers; control characters can smuggle either.
    if target.startswith(("//", "/\\")) or any(c < " " or c == "\x7f" for c in target):
        return DEFAULT_NEXT
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return DEFAULT_NEXT
    return target


def refuse_other_sites(request: Request) -> None:
    """Login CSRF: a form posted by another site would sign the victim in as the attacker."""
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser form post (browsers always send Origin with POST)
    host = request.headers.get("host", "")
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        raise PermissionDenied(t("login.other_site"))


@router.get("/login")
def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=NEXT_MAX)] = None
) -> Response:
    """The sign-in form; someone already signed in goes straight on."""
    if getattr(request.state, "principal", None) is not None:
        return redirect(request, safe_next(next))
    return render(request, "login.html", next=safe_next(next), username="", error=None)


@router.post("/login", openapi_extra=NOT_REPLAYABLE)  # as the API's sign-in
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the credentials; on success set the session cookie and go on to ``next``."""
    refuse_other_sites(request)
    target = safe_next(next)
    shown = username.strip()[:64]
    try:
        credentials = Credentials(username=username, password=password)
    except ValidationError:
        return render(
            request,
            "login.html",
            status_code=422,
            next=target,
            username=shown,
            error=t("login.missing"),
        )
    response = redirect(request, target)
    try:
        # sign_in commits a failed attempt before raising: throttling must count it.
        me = sign_in(request, response, session, credentials)
    except LoginRefused:
        return render(
            request,
            "login.html",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="hetao"'},
            next=target,
            username=shown,
            error=t("login.refused"),
        )
    except TooManyAttempts as throttled:
        wait = max(1, throttled.retry_after_seconds)
        return render(
            request,
            "login.html",
            status_code=429,
            headers={"Retry-After": str(wait)},
            next=target,
            username=shown,
            error=t("login.throttled", minutes=math.ceil(wait / 60)),
        )
    # The user's own language, chosen in any browser before, wins over this browser's guess.
    saved = as_language(auth_repository.get_user(session, me.id).language)
    if saved is not None:
        remember_language(request, response, saved)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the session (the route class has checked the form's CSRF token) and clear the cookie."""
    secret = request.cookies.get(SESSION_COOKIE)
    principal = getattr(request.state, "principal", None)
    if secret and principal is not None and principal.via == "session":
        auth.logout(session, secret=secret)
    response = redirect(request, "/login")
    clear_session_cookie(response, request)
    return response
