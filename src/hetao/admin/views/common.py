"""What every administrator's page shares: the role check, and a refusal shown on its form."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Query

from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.web.i18n import has_text, t

ADMINISTRATORS = Depends(Allow(Role.ADMINISTRATOR))
#: The signed-in administrator (the route admits no one else).
Administrator = Annotated[Principal, ADMINISTRATORS]
#: After a change, the page it leads to names what was done (``?done=...``).
DoneQuery = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")]


def done_text(done: str | None) -> str | None:
    """The notice of what was just done, if ``done`` names a known change."""
    key = f"admin.done.{done}"
    return t(key) if done and has_text(key) else None


_DAY_OR_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$")


def in_utc(value: object) -> str | None:
    """A form's ``date`` or ``datetime-local`` value as an instant in UTC (the console's time).

    A day is its start; anything else is left to the schema to refuse (None).
    """
    text = value.strip() if isinstance(value, str) else ""
    if not _DAY_OR_TIME.fullmatch(text):
        return None
    if "T" not in text:
        text += "T00:00"
    return f"{text}{':00' if len(text) == 16 else ''}+00:00"
