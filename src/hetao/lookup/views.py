"""Pages of the lookup and of a lot's journey."""

from __future__ import annotations

from hetao.web import page_router

router = page_router()

__all__ = ["router"]
