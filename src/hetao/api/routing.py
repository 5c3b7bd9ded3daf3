"""A route class that gives each request one unit of work and honours Idempotency-Key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, ParamSpec, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from hetao import logs
from hetao.api import idempotency, repository
from hetao.api.bodylimit import admit_body, body_limit, refuse_control_characters
from hetao.api.lastuse import save_last_use, take_last_use
from hetao.api.models import IdempotencyRecord
from hetao.api.security import authenticated, needs_caller, resolve_principal
from hetao.api.state import app_state
from hetao.audit.service import current_request_id, record_event
from hetao.audit.tags import AuthTag
from hetao.auth.errors import TooManyAttempts
from hetao.auth.principal import Principal
from hetao.auth.ratelimit import Limiter
from hetao.errors import HetaoError, NotAuthenticated, PermissionDenied, RateLimited
from hetao.storage.engine import unit_of_work

REQUEST_ID_HEADER = "X-Request-ID"
Params = ParamSpec("Params")
Result = TypeVar("Result")


def _replay(record: IdempotencyRecord) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if record.withheld:
        headers[idempotency.WITHHELD_HEADER] = record.withheld
    return Response(
        content=record.body,
        status_code=record.status_code,
        media_type=record.media_type,
        headers=headers,
    )


class UnitOfWorkRoute(APIRoute):
    """Open a session per request, commit once after the endpoint succeeds, roll back otherwise.

    Services never commit; this is the API's single commit point. For a POST carrying an
    Idempotency-Key, a retry replays the stored first response instead of running again.
    GET and HEAD read in a read-only session and roll back.
    """

    #: False for routes whose session only reads, whatever the method: their writes go through
    #: a group committer of their own (crossings), so the request never holds the write lock.
    commits_session: ClassVar[bool] = True
    #: Whether an answer of 4xx still commits what the endpoint wrote. API endpoints refuse by
    #: raising; a page answers a refused form with the form again (422), and must then keep
    #: nothing a service wrote before it refused.
    commits_refusals: ClassVar[bool] = True

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        admits_only_callers = needs_caller(self.dependant)
        replayable = idempotency.replayable(self.openapi_extra)
        withheld = idempotency.secret_fields(self.response_model)
        openapi_extra = self.openapi_extra

        async def route(request: Request) -> Response:
            request_id = logs.request_id()
            logs.note(route=self.path)
            token = current_request_id.set(request_id)
            reads_only = request.method in ("GET", "HEAD") or not self.commits_session
            state = app_state(request)
            factory = state.read_session_factory if reads_only else state.session_factory
            session = factory()
            request.state.session = session
            try:
                if reads_only:
                    principal = await run_read(request, resolve_principal, request, session)
                else:
                    principal = await run_in_threadpool(resolve_principal, request, session)
                last_use = (
                    take_last_use(session, state.last_use_writes)
                    if reads_only and session.dirty
                    else None
                )
                request.state.principal = principal
                if principal is not None:
                    logs.note(principal=str(principal.actor))
                _limit_rate(state.rate_limiter, request, principal)
                if admits_only_callers:
                    authenticated(request)  # 401 before a byte of the body is read
                await admit_body(request, body_limit(request, openapi_extra))
                await refuse_control_characters(request)
                key = request.headers.get(idempotency.HEADER) if replayable else None
                if reads_only or request.method != "POST" or key is None:
                    response = await handler(request)
                    if not reads_only and (self.commits_refusals or response.status_code < 400):
                        await run_in_threadpool(session.commit)
                    elif not reads_only:
                        await run_in_threadpool(session.rollback)
                    elif session.in_transaction():
                        await run_read(request, session.rollback)
                else:
                    response = await _idempotent(request, handler, session, key, withheld)
                if last_use and response.background is None:
                    response.background = BackgroundTask(
                        run_in_threadpool, save_last_use, state.session_factory, last_use
                    )
                return response
            except (PermissionDenied, NotAuthenticated, TooManyAttempts) as denied:
                await run_in_threadpool(session.rollback)
                await run_in_threadpool(_record_denial, state.session_factory, request, denied)
                raise
            except BaseException:
                await run_in_threadpool(session.rollback)
                raise
            finally:
                if session.in_transaction():
                    await run_in_threadpool(session.close)
                else:  # nothing to roll back: no database call, no thread hop
                    session.close()
                current_request_id.reset(token)

        return route


async def run_read(
    request: Request, read: Callable[Params, Result], *args: Params.args, **kwargs: Params.kwargs
) -> Result:
    """Run a read in the event loop's thread where reads are local (SQLite), else in a worker.

    A worker thread costs two GIL handovers and a wakeup, more than a local WAL read, which
    never waits for the writer; a PostgreSQL query is a round trip that would stall the loop.
    """
    if app_state(request).reads_inline:
        return read(*args, **kwargs)
    return await run_in_threadpool(read, *args, **kwargs)


class ReadOnlyRoute(UnitOfWorkRoute):
    """A unit of work that only reads, for endpoints that hand their writes to a committer.

    The session never takes the write lock, so a request spends its time gathering and
    deciding beside other requests, and only the committer's batches queue for the lock. An
    Idempotency-Key is not stored here: such endpoints are idempotent by an id in the body.
    """

    commits_session: ClassVar[bool] = False


def _principal_key(principal: Principal | None) -> str:
    """Whose idempotency keys and rate budget these are."""
    return "anonymous" if principal is None else f"{principal.kind}:{principal.id}"


def _limit_rate(limiter: Limiter | None, request: Request, principal: Principal | None) -> None:
    if limiter is None:
        return
    key = _principal_key(principal) if principal else f"address:{_client(request)}"
    wait = limiter.check(key)
    if wait is not None:
        raise RateLimited(wait)


def _record_denial(
    factory: sessionmaker[Session],
    request: Request,
    denied: PermissionDenied | NotAuthenticated | TooManyAttempts,
) -> None:
    """Audit a refused request: a known caller's in a transaction of its own (the request's was
    rolled back), an anonymous one's in the next summary of its source (hetao.api.denials)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        app_state(request).refusals.count(
            _client(request), denied.code, denied.detail, f"{request.method} {request.url.path}"
        )
        return
    actor = principal.actor
    with unit_of_work(factory) as session:
        record_event(
            session,
            AuthTag.ACCESS_DENY,
            subject_type="route",
            subject_id=f"{request.method} {request.url.path}"[:64],
            actor=actor,
            data={"reason": denied.detail, "code": denied.code},
        )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _idempotent(
    request: Request,
    handler: Callable[[Request], Coroutine[Any, Any, Response]],
    session: Session,
    key: str,
    withheld: tuple[tuple[str, ...], ...],
) -> Response:
    """Replay the stored response for a known key, or run and store the response atomically."""
    idempotency.check_key(key)
    state = app_state(request)
    fingerprint = idempotency.fingerprint(
        state.fingerprint_key,
        request.method,
        request.url.path,
        request.url.query,
        await request.body(),
    )
    retention = dt.timedelta(hours=state.profile.api.replay_retention_hours)

    async def stored() -> Response | None:
        record = await run_in_threadpool(
            idempotency.find_replay,
            session,
            principal=_principal_key(request.state.principal),
            key=key,
            request_fingerprint=fingerprint,
            retention=retention,
        )
        if record is None:
            return None
        return _replay(record)

    owner = _principal_key(request.state.principal)
    await run_in_threadpool(repository.lock_key, session, principal=owner, key=key)
    if (replay := await stored()) is not None:
        return replay
    try:
        response = await handler(request)
        if 200 <= response.status_code < 300:
            idempotency.remember(
                session,
                principal=owner,
                key=key,
                request_fingerprint=fingerprint,
                status_code=response.status_code,
                media_type=response.media_type or "application/json",
                body=bytes(response.body),
                withheld=withheld,
            )
        await run_in_threadpool(session.commit)
    except (IntegrityError, HetaoError):
        # Had a concurrent request with the same key committed first, its answer is the answer.
        await run_in_threadpool(session.rollback)
        if (replay := await stored()) is not None:
            return replay
        raise
    return response
