"""The registry's pages: the zone reviewer's workbench and the enterprise portal's registry
part, over the same services and schemas as the API."""

from __future__ import annotations

from hetao.registry.views import portal, review
from hetao.web import page_router

router = page_router()
router.include_router(review.router)
router.include_router(portal.router)

__all__ = ["router"]
