"""Errors as RFC 9457 problem+json, translated once at the API edge."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hetao.audit.service import current_request_id
from hetao.auth.errors import LoginRefused, TooManyAttempts
from hetao.errors import (
    BodyTooLarge,
    Conflict,
    FieldProblem,
    HetaoError,
    NotAuthenticated,
    NotFound,
    Overloaded,
    PermissionDenied,
    RateLimited,
    RuleViolation,
    TransitionForbidden,
    ValidationFailed,
)

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("hetao.api")

#: PostgreSQL SQLSTATEs of a transient clash with other writers: serialization failure,
#: deadlock detected, lock not available.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


#: SQLSTATE classes and codes of a database that is gone or not accepting work: a connection
#: failure (08), a server shutting down or starting (57P01-57P03), a standby that cannot write.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "25006"})


def is_database_unavailable(error: OperationalError) -> bool:
    """True when the connection was lost or refused (a failover, a restart): the client may
    retry once the pool reconnects, to whichever server is the primary then."""
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    if sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES:
        return True
    # libpq's own failures to connect carry no SQLSTATE.
    return "connection" in str(error.orig).lower() and not sqlstate


def is_database_busy(error: OperationalError) -> bool:
    """True when the database refused for load, not for a fault: the client may retry."""
    original = error.orig
    if getattr(original, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    # SQLite: another writer held the lock past busy_timeout.
    return "database is locked" in str(original)


# The only place that knows HTTP status codes for domain errors.
STATUS_OF: dict[type[HetaoError], int] = {
    NotAuthenticated: 401,
    LoginRefused: 401,
    PermissionDenied: 403,
    RateLimited: 429,
    TooManyAttempts: 429,
    ValidationFailed: 422,
    RuleViolation: 422,
    NotFound: 404,
    Conflict: 409,
    TransitionForbidden: 409,
    Overloaded: 503,
    BodyTooLarge: 413,
}


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    problems: Sequence[FieldProblem] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build one problem document; ``errors`` lists each field and the rule it broke."""
    body: dict[str, Any] = {
        "type": f"urn:hetao:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if problems:
        body["errors"] = [p.as_dict() for p in problems]
    request_id = current_request_id.get()
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field_of(loc: Sequence[int | str]) -> str:
    """('body', 'documents', 0, 'number') -> 'documents[0].number'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def pydantic_problems(errors: Sequence[Any]) -> list[FieldProblem]:
    """Pydantic's errors as field problems; its error type is the rule."""
    problems = []
    for error in errors:
        loc = error.get("loc", ())
        # A model-level validator reports at the model; name the model, not an empty path.
        problems.append(
            FieldProblem(
                field=_field_of(loc), rule=str(error.get("type")), message=str(error.get("msg"))
            )
        )
    return problems


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(HetaoError)
    async def _domain(request: Request, exc: HetaoError) -> JSONResponse:
        status = next((s for t, s in STATUS_OF.items() if isinstance(exc, t)), 500)
        code, title, headers = exc.code, exc.title, None
        if isinstance(exc, PermissionDenied) and exc.hidden:
            # Another party's object: answer exactly as for an id that does not exist.
            status, code, title = 404, NotFound.code, NotFound.title
        elif isinstance(exc, NotAuthenticated | LoginRefused):
            headers = {"WWW-Authenticate": 'Bearer realm="hetao"'}
        elif isinstance(exc, RateLimited):
            headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        elif isinstance(exc, TooManyAttempts):
            headers = {"Retry-After": str(exc.retry_after_seconds)}
        elif isinstance(exc, Overloaded):
            headers = {"Retry-After": str(exc.retry_after)}
        return problem_response(
            request,
            status=status,
            code=code,
            title=title,
            detail=exc.detail,
            problems=exc.problems,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = pydantic_problems(exc.errors())
        return problem_response(
            request,
            status=422,
            code=ValidationFailed.code,
            title=ValidationFailed.title,
            detail="; ".join(f"{p.field}: {p.message}" for p in problems),
            problems=problems,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            request,
            status=exc.status_code,
            code=f"http-{exc.status_code}",
            title=str(exc.detail),
            detail=str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, _exc: IntegrityError) -> JSONResponse:
        # Services check uniqueness first; this is the race two concurrent writers can still hit.
        return problem_response(
            request,
            status=409,
            code=Conflict.code,
            title=Conflict.title,
            detail="the change clashed with a concurrent change; read the current state and retry",
        )

    def retry_later(
        request: Request, cause: object, *, code: str, title: str, detail: str
    ) -> JSONResponse:
        # A database that is busy or gone is not a server fault: the client should retry.
        log.warning("%s on %s %s: %s", title.lower(), request.method, request.url.path, cause)
        return problem_response(
            request,
            status=503,
            code=code,
            title=title,
            detail=detail,
            headers={"Retry-After": "1"},
        )

    def busy(request: Request, cause: object) -> JSONResponse:
        return retry_later(
            request,
            cause,
            code="database-busy",
            title="Database busy",
            detail="nothing was written; retry after the delay (with the same Idempotency-Key)",
        )

    def unavailable(request: Request, cause: object) -> JSONResponse:
        return retry_later(
            request,
            cause,
            code="database-unavailable",
            title="Database unavailable",
            detail="the connection to the database was lost, so the change may or may not be"
            " stored; retry after the delay with the same Idempotency-Key (or event id), which"
            " answers with the stored result if there is one",
        )

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        if is_database_busy(exc):
            return busy(request, f"{exc.orig} {getattr(exc.orig, 'sqlite_errorname', '')}")
        if is_database_unavailable(exc):
            return unavailable(request, exc.orig)
        return await _unexpected(request, exc)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every connection of the pool was in use for pool_timeout: load, like a busy lock.
        return busy(request, exc)

    app.add_middleware(AnswerServerErrors)


async def _unexpected(request: Request, _exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        status=500,
        code="internal-error",
        title="Internal error",
        detail="the server failed; the request id identifies it in the log",
    )


class AnswerServerErrors:
    """Answer an unexpected error with a 500 problem and keep the connection.

    Starlette's own last-resort handler answers and then re-raises, and the server closes a
    connection whose application raised: the client's next request on it would fail too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise  # half an answer is out: only closing the connection can tell the client
            response = await _unexpected(Request(scope), error)
            await response(scope, receive, send)
