"""A route class that gives each request one unit of work and honours Idempotency-Key."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from hetao.api import idempotency
from hetao.audit.service import current_request_id
from hetao.errors import HetaoError

REQUEST_ID_HEADER = "X-Request-ID"
ANONYMOUS = "anonymous"  # until authentication lands, every caller shares one key space


def _replay(record_status: int, media_type: str, body: bytes, request_id: str) -> Response:
    return Response(
        content=body,
        status_code=record_status,
        media_type=media_type,
        headers={"Idempotent-Replayed": "true", REQUEST_ID_HEADER: request_id},
    )


class UnitOfWorkRoute(APIRoute):
    """Open a session per request, commit once after the endpoint succeeds, roll back otherwise.

    Services never commit; this is the API's single commit point. For a POST carrying an
    Idempotency-Key, a retry replays the stored first response instead of running again.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            request_id = request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
            token = current_request_id.set(request_id[:64])
            factory: sessionmaker[Session] = request.app.state.session_factory
            session = factory()
            request.state.session = session
            try:
                key = request.headers.get(idempotency.HEADER)
                if request.method != "POST" or key is None:
                    response = await handler(request)
                    await run_in_threadpool(
                        session.rollback if request.method in ("GET", "HEAD") else session.commit
                    )
                else:
                    response = await _idempotent(request, handler, session, key, request_id)
                response.headers[REQUEST_ID_HEADER] = request_id
                return response
            except BaseException:
                await run_in_threadpool(session.rollback)
                raise
            finally:
                await run_in_threadpool(session.close)
                current_request_id.reset(token)

        return route


async def _idempotent(
    request: Request,
    handler: Callable[[Request], Coroutine[Any, Any, Response]],
    session: Session,
    key: str,
    request_id: str,
) -> Response:
    """Replay the stored response for a known key, or run and store the response atomically."""
    idempotency.check_key(key)
    fingerprint = idempotency.fingerprint(
        request.method, request.url.path, request.url.query, await request.body()
    )

    async def stored() -> Response | None:
        record = await run_in_threadpool(
            idempotency.find_replay,
            session,
            principal=ANONYMOUS,
            key=key,
            request_fingerprint=fingerprint,
        )
        if record is None:
            return None
        return _replay(record.status_code, record.media_type, record.body, request_id)

    await run_in_threadpool(idempotency.lock_key, session, principal=ANONYMOUS, key=key)
    if (replay := await stored()) is not None:
        return replay
    try:
        response = await handler(request)
        if 200 <= response.status_code < 300:
            idempotency.remember(
                session,
                principal=ANONYMOUS,
                key=key,
                request_fingerprint=fingerprint,
                status_code=response.status_code,
                media_type=response.media_type or "application/json",
                body=bytes(response.body),
            )
        await run_in_threadpool(session.commit)
    except (IntegrityError, HetaoError):
        # Had a concurrent request with the same key committed first, its answer is the answer.
        await run_in_threadpool(session.rollback)
        if (replay := await stored()) is not None:
            return replay
        raise
    return response
