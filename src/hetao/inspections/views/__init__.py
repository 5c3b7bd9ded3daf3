"""The inspection queue and overrides, as officers work them at the crossing point."""

from __future__ import annotations

from hetao.web import page_router

router = page_router()

__all__ = ["router"]
