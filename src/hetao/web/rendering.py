"""Jinja2 rendering of pages with what every page shows: the zone, the user, sign-out."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hetao.api.state import app_state
from hetao.auth.principal import Principal, Role
from hetao.reasons import Reason
from hetao.web.forms import field_attributes
from hetao.web.i18n import (
    LANGUAGES,
    current_language,
    format_day,
    format_instant,
    format_money,
    format_number,
    in_language,
    label,
    localized,
    role_name,
    t,
)
from hetao.web.navigation import menu_for

#: Where the console's own stylesheet is mounted (see create_app).
STATIC_PREFIX = "/static/console"

#: Who may read the audit log (the pages' own check is the route's ``Allow``).
AUDIT_ROLES = (Role.AUDITOR, Role.ADMINISTRATOR)

# Pages carry audit data and a sign-out button: never cached, never framed, no foreign code.
# Scripts and styles come from this origin only, as files: no inline code, no CDN, no font host.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def utc(value: dt.datetime | str) -> str:
    """An instant as ``2026-11-23 05:21:07 UTC`` (ISO 8601 text is parsed first)."""
    instant = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(value: dt.datetime) -> str:
    """An instant in ISO 8601, UTC, for ``<time datetime>``."""
    return value.astimezone(dt.UTC).isoformat()


def pretty_json(value: Any) -> str:
    """Event data as indented JSON, non-ASCII kept readable."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


ENV = Environment(
    loader=PackageLoader("hetao", "templates"),
    autoescape=select_autoescape(["html"]),
    # A misspelt variable must fail the test that renders it, not show an empty cell.
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def reason_text(reason: Reason | dict[str, Any]) -> str:
    """A stored reason's text in the page's language (any shape reasons were stored in)."""
    parsed = reason if isinstance(reason, Reason) else Reason.from_stored(reason)
    return in_language(parsed.text)


ENV.globals.update(
    t=t,
    role_name=role_name,
    label=label,
    languages=LANGUAGES,
    field_attributes=field_attributes,
)
ENV.filters.update(
    utc=utc,
    iso=iso,
    pretty_json=pretty_json,
    instant=format_instant,
    day=format_day,
    number=format_number,
    money=format_money,
    reason=reason_text,
    localized=localized,
    in_language=in_language,
)


def app_path(request: Request) -> str:
    """The request's path and query inside the app (without a proxy's root path)."""
    root: str = request.scope.get("root_path", "")
    path = request.url.path
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return f"{path}?{request.url.query}" if request.url.query else path


def url(request: Request, path: str) -> str:
    """An app path as a link, under the root path the app is served at."""
    root: str = request.scope.get("root_path", "")
    return f"{root.rstrip('/')}{path}"


def harden(response: Response) -> Response:
    """Add the security headers every page carries."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the page context (zone, user, CSRF token) and ``context``."""
    profile = app_state(request).profile
    principal: Principal | None = getattr(request.state, "principal", None)
    html = ENV.get_template(template).render(
        lang=current_language(),
        zone_name=localized(profile.zone.name),
        principal=principal,
        roles=sorted(principal.roles) if principal else [],
        menu=menu_for(principal),
        can_audit=principal is not None and principal.has_any(*AUDIT_ROLES),
        csrf_token=getattr(request.state, "csrf_token", None),
        current_path=app_path(request).partition("?")[0],
        here=app_path(request),
        url=lambda path: url(request, path),
        static=lambda name: url(request, f"{STATIC_PREFIX}/{quote(name)}"),
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)


def redirect(request: Request, path: str) -> RedirectResponse:
    """303 See Other to an app path: after a POST, the browser GETs the target."""
    return RedirectResponse(url(request, path), status_code=303)
