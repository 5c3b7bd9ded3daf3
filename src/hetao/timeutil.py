"""Calendar helpers: month arithmetic and the zone's local date."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from hetao.storage.types import utcnow


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def zone_today(timezone: str) -> dt.date:
    """Today's date at the zone: validity windows are whole local days at the gate."""
    return utcnow().astimezone(ZoneInfo(timezone)).date()
