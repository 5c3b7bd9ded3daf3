"""The enterprise portal's declaration pages: list, one declaration, lodging one, HS look-up."""

from __future__ import annotations

from hetao.declarations.views import lodging, pages
from hetao.web import page_router

router = page_router()
# Lodging first: its fixed paths (/new) must win over /portal/declarations/{declaration_id}.
router.include_router(lodging.router)
router.include_router(pages.router)

__all__ = ["router"]
