"""The zone profile in force, read-only: every section as the loaded (validated) profile has it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from hetao.admin.views.common import ADMINISTRATORS
from hetao.api.deps import ProfileDep
from hetao.profiles import LocalizedText, ZoneProfile
from hetao.web.rendering import render
from hetao.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)
#: The profile's own keys that are not sections: shown together first.
GENERAL = "general"


@dataclass(frozen=True, slots=True)
class Shown:
    """A profile value as the page shows it.

    ``kind`` is ``text`` (``value``), ``localized`` (``value``: a LocalizedText), ``fields``
    (``items``: key and value pairs) or ``table`` (``columns`` and ``rows`` of values).
    """

    kind: str
    value: Any = None
    items: list[tuple[str, Shown]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Shown]] = field(default_factory=list)


def shown(value: Any) -> Shown:
    """``value`` of a profile, as text, a localized name, a set of fields or a table."""
    if isinstance(value, LocalizedText):
        return Shown("localized", value=value)
    if isinstance(value, BaseModel):
        return Shown(
            "fields", items=[(key, shown(getattr(value, key))) for key in fields_of(value)]
        )
    if isinstance(value, tuple | list) and value and isinstance(value[0], BaseModel):
        columns = fields_of(value[0])
        rows = [[shown(getattr(item, key)) for key in columns] for item in value]
        return Shown("table", columns=columns, rows=rows)
    if isinstance(value, tuple | list):
        return Shown("text", value=", ".join(text_of(item) for item in value) or "—")
    return Shown("text", value=text_of(value))


def fields_of(model: BaseModel) -> list[str]:
    return list(type(model).model_fields)


def text_of(value: Any) -> str:
    """One plain value as the profile file would spell it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dt.date | Decimal | int | str):
        return str(value)
    return str(value)


def sections(profile: ZoneProfile) -> list[tuple[str, Shown]]:
    """The profile's sections in file order; its plain keys first, as one section."""
    general: list[tuple[str, Shown]] = []
    found: list[tuple[str, Shown]] = []
    for key in fields_of(profile):
        value = shown(getattr(profile, key))
        if value.kind in ("fields", "table"):
            found.append((key, value))
        else:
            general.append((key, value))
    return [(GENERAL, Shown("fields", items=general)), *found]


@router.get("/admin/profile", dependencies=[ADMINISTRATORS])
def profile_page(request: Request, profile: ProfileDep) -> Response:
    """The loaded profile: validated when the platform started, so shown as it decides."""
    return render(request, "admin/profile.html", profile=profile, sections=sections(profile))
