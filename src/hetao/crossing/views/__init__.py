"""The officer's console: live crossings per crossing point, each crossing's page, the kiosk."""

from __future__ import annotations

from hetao.crossing.views import console
from hetao.web import page_router

router = page_router()
router.include_router(console.router)

__all__ = ["router"]
