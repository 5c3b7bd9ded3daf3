"""The pages' route class: CSRF from the posted form, and errors as pages, never as JSON."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hetao import logs
from hetao.api.bodylimit import admit_body, body_limit
from hetao.api.deps import SessionDep
from hetao.api.problems import STATUS_OF, pydantic_problems
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import SESSION_COOKIE
from hetao.auth import service as auth
from hetao.auth.errors import TooManyAttempts
from hetao.errors import FieldProblem, HetaoError, NotAuthenticated, PermissionDenied, RateLimited
from hetao.web.i18n import LANGUAGE_COOKIE, choose_language, has_text, set_language
from hetao.web.rendering import app_path, harden, redirect, render

log = logging.getLogger("hetao.web")

CSRF_FIELD = "csrf_token"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class PageRoute(UnitOfWorkRoute):
    """A unit of work per page request; a posted ``csrf_token`` counts; errors render pages."""

    # A refused form is answered with the form (422): whatever a service wrote before it
    # refused is rolled back, never half-kept.
    commits_refusals = False

    # The form's token must be on request.state before the parent resolves the principal: that
    # is where cookie writes are checked, the same check the API's X-CSRF-Token header passes.

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            # Chosen before anything renders: the endpoint's threads copy this context.
            set_language(
                choose_language(
                    request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
                )
            )
            try:
                if request.method == "POST":
                    await admit_body(request, body_limit(request, self.openapi_extra))
                    await _read_csrf_field(request)
                response = await handler(request)
            except Exception as error:
                response = error_page(request, error)
            return harden(response)

        return route


async def _read_csrf_field(request: Request) -> None:
    """Hand a posted form's ``csrf_token`` to the principal check."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(_FORM_TYPES):
        return
    # Buffer the body first: the form parser then reads the buffer, and the endpoint's Form()
    # parameters (and an Idempotency-Key fingerprint) still see the same bytes.
    await request.body()
    form = await request.form()
    value = form.get(CSRF_FIELD)
    request.state.csrf_form = value if isinstance(value, str) else None


def page_context(request: Request, session: SessionDep) -> None:
    """Fetch the session's CSRF token for the sign-out form while the session is open."""
    principal = getattr(request.state, "principal", None)
    secret = request.cookies.get(SESSION_COOKIE)
    if principal is not None and principal.via == "session" and secret:
        request.state.csrf_token = auth.csrf_token(session, secret=secret)


def error_page(request: Request, error: Exception) -> Response:
    """The one translation of errors for pages: a redirect to sign in, or the error page."""
    if isinstance(error, NotAuthenticated):
        query = {"next": app_path(request)} if request.method == "GET" else {}
        return redirect(request, "/login" + (f"?{urlencode(query)}" if query else ""))
    headers: dict[str, str] = {}
    problems: tuple[FieldProblem, ...] = ()
    help_text: str | None = None
    if isinstance(error, HetaoError):
        status = next((s for kind, s in STATUS_OF.items() if isinstance(error, kind)), 500)
        detail: str | None = error.detail
        problems = error.problems
        if isinstance(error, PermissionDenied) and error.hidden:
            status, detail = 404, None  # another party's object: as if it did not exist
        elif isinstance(error, RateLimited | TooManyAttempts):
            wait = (
                math.ceil(error.retry_after)
                if isinstance(error, RateLimited)
                else error.retry_after_seconds
            )
            headers["Retry-After"] = str(max(1, wait))
            help_text = "error.429.help"
    elif isinstance(error, RequestValidationError):
        status, problems = 422, tuple(pydantic_problems(error.errors()))
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
    elif isinstance(error, StarletteHTTPException):
        status, detail = error.status_code, str(error.detail)
    else:
        log.exception(
            "unhandled error on page %s %s (request %s)",
            request.method,
            request.url.path,
            logs.request_id(),
        )
        status, detail = 500, None
    if status == 500:
        detail, help_text = None, "error.500.help"  # never a stack trace or an internal message
    elif status == 403:
        help_text = "error.403.help"
    return render(
        request,
        "error.html",
        status_code=status,
        headers=headers,
        status=status,
        title_key=f"error.{status}" if has_text(f"error.{status}") else "error.title",
        detail=detail,
        problems=problems,
        help_text=help_text,
        retry_after=headers.get("Retry-After"),
        request_id=logs.request_id(),
    )
