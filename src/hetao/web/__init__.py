"""The web console: server-rendered pages over the same services as the API."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hetao.web import audit, auth, home
from hetao.web.routing import PageRoute, page_context


def page_router() -> APIRouter:
    """A router for pages (each domain's ``views.py`` makes one): the page route class, and
    ``page_context`` first, so even an error page can offer sign-out."""
    return APIRouter(
        route_class=PageRoute, include_in_schema=False, dependencies=[Depends(page_context)]
    )


#: The pages every role shares: signing in, home, the language switch, the audit log.
router = page_router()
router.include_router(auth.router)
router.include_router(home.router)
router.include_router(audit.router)

__all__ = ["page_router", "router"]
