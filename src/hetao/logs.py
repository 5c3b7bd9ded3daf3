"""Logs as JSON lines, each carrying the request it was written for: id, principal, route.

A request's context is a mutable mapping in a context variable: the request middleware opens
it, authentication adds the principal, routing adds the route, and every log line written while
the request runs (in its task or in the worker thread it hands a sync endpoint to) carries them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from contextvars import ContextVar
from typing import Any

#: The fields of the request being served, empty outside a request.
REQUEST_CONTEXT: ContextVar[dict[str, str] | None] = ContextVar("hetao_request", default=None)
#: What a log record carries that is not the request's: the standard attributes of a record.
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def request_id() -> str:
    """The id of the request being served (hetao.api.observability.RequestContext sets it from
    the caller's ``X-Request-ID`` or a new one); outside a request, a new id each call."""
    context = REQUEST_CONTEXT.get()
    if context is None:
        return uuid.uuid4().hex
    return context.setdefault("request_id", uuid.uuid4().hex)


def note(**fields: str) -> None:
    """Add ``fields`` to the current request's context (a no-op outside a request)."""
    context = REQUEST_CONTEXT.get()
    if context is not None:
        context.update(fields)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request's fields, and
    whatever ``extra=`` the caller gave; an exception as its formatted traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(REQUEST_CONTEXT.get() or {})
        for name, value in record.__dict__.items():
            if name not in _RECORD_FIELDS and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server: every logger, uvicorn's too, in JSON."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "root": {"handlers": ["json"], "level": level.upper()},
        "loggers": {
            name: {"handlers": ["json"], "level": level.upper(), "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
