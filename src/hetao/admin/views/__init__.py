"""The administrator's pages, one module per part; all of them for administrators only."""

from __future__ import annotations

from hetao.admin.views import people, profile, reference, rules
from hetao.web import page_router

router = page_router()
router.include_router(people.router)
router.include_router(profile.router)
router.include_router(rules.router)
router.include_router(reference.router)

__all__ = ["router"]
