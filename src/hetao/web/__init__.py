"""The web console: server-rendered pages over the same services as the API."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hetao.web import audit, auth, home
from hetao.web.routing import PageRoute, page_context

#: Every page; ``page_context`` runs first so even an error page can offer sign-out.
router = APIRouter(
    route_class=PageRoute, include_in_schema=False, dependencies=[Depends(page_context)]
)
router.include_router(auth.router)
router.include_router(home.router)
router.include_router(audit.router)

__all__ = ["router"]
