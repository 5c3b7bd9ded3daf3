"""What operators watch: request ids and log context, 5xx counts, and the three probes.

- ``/healthz``: the process answers (a load balancer's liveness check; touches nothing).
- ``/readyz``: it can serve: the database answers, its schema is at the packaged migrations'
  head, and the signing keys are readable; 503 with the failing check otherwise.
- ``/metrics``: Prometheus' text format (hetao.metrics), every worker's values added up.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hetao import logs, metrics, migrate
from hetao.api import repository, routing
from hetao.api.state import app_state

#: A caller's request id is kept when it is this plain; otherwise a new one is made.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: As ASGI carries header names: lower case, bytes.
REQUEST_ID_HEADER = routing.REQUEST_ID_HEADER.lower().encode("latin-1")


class RequestContext:
    """Pure ASGI middleware: a request id (the caller's ``X-Request-Id`` or a new one) echoed in
    the answer and carried by every log line of the request, and 5xx answers counted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        context = {"request_id": request_id, "method": scope["method"], "path": scope["path"]}
        token = logs.REQUEST_CONTEXT.set(context)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
                route = scope.get("route")  # the API's routes noted theirs when they began
                if route is not None and "route" not in context:
                    context["route"] = getattr(route, "path", "")
                status = int(message["status"])
                if status >= 500:
                    metrics.SERVER_ERRORS.labels(str(status)).inc()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logs.REQUEST_CONTEXT.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER:
            text: str = value.decode("latin-1")
            if REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process runs its event loop."""
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """Ready to serve, or 503 naming each check that failed."""
    checks = await run_in_threadpool(_readiness, request)
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={} if ready else {"Retry-After": "5"},
    )


def _readiness(request: Request) -> dict[str, dict[str, Any]]:
    state = app_state(request)
    checks: dict[str, dict[str, Any]] = {}
    try:
        with state.read_session_factory() as session:
            repository.ping(session)
            checks["database"] = {"ok": True}
            current = migrate.revision_on(session.connection())
        head = migrate.head_revision()
        checks["migrations"] = {"ok": current == head, "current": current, "head": head}
    except SQLAlchemyError as error:
        # The driver's message names the host and the failure, never the password.
        checks["database"] = {"ok": False, "error": type(error).__name__}
        checks["migrations"] = {"ok": False, "error": "database unreachable"}
    checks["signing_keys"] = _keys_readable(state.key_files)
    return checks


def _keys_readable(paths: tuple[Path, ...]) -> dict[str, Any]:
    unreadable = []
    for path in paths:
        try:
            with path.open("rb") as key_file:
                if not key_file.read(1):
                    unreadable.append(path.name)
        except OSError:
            unreadable.append(path.name)
    return {"ok": not unreadable, "unreadable": unreadable} if unreadable else {"ok": True}


@router.get("/metrics")
async def prometheus_metrics() -> Response:
    """Every metric, in Prometheus' text format."""
    body, content_type = await run_in_threadpool(metrics.exposition)
    return Response(body, media_type=content_type)
