"""Endpoints of `hetao.crossing` (inspections_api) under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from hetao.api.routing import UnitOfWorkRoute

router = APIRouter(route_class=UnitOfWorkRoute)
