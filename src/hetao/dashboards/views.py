"""Pages of the dashboards and the second line."""

from __future__ import annotations

from hetao.web import page_router

router = page_router()

__all__ = ["router"]
