"""The inspection queue and overrides, as officers work them at the crossing point."""

from __future__ import annotations

from hetao.inspections.views import overrides, queue
from hetao.web import page_router

router = page_router()
router.include_router(queue.router)
router.include_router(overrides.router)

__all__ = ["router"]
