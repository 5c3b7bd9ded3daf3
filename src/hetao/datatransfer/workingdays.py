"""Working days of the zone's calendar (weekends, public holidays, adjusted working days)."""

from __future__ import annotations

import datetime as dt

from hetao.profiles import DataSection
from hetao.timeutil import add_months

ONE_DAY = dt.timedelta(days=1)
#: A search never walks further than this: a calendar with no working day is a broken profile.
_MAX_SPAN = dt.timedelta(days=3660)


def working_days_before(day: dt.date, count: int, data: DataSection) -> dt.date:
    """The working day ``count`` working days before ``day`` (``day`` itself not counted)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    current, seen = day, 0
    while seen < count:
        current -= ONE_DAY
        if day - current > _MAX_SPAN:
            raise ValueError("the calendar has no working days in ten years")
        if data.is_working_day(current):
            seen += 1
    return current


def working_days_between(start: dt.date, end: dt.date, data: DataSection) -> int:
    """Working days in [start, end)."""
    count, current = 0, start
    while current < end:
        count += data.is_working_day(current)
        current += ONE_DAY
    return count


def validity_end(valid_from: dt.date, data: DataSection) -> dt.date:
    """Last valid day of an approval taking effect on ``valid_from`` (R36: 3 years)."""
    return add_months(valid_from, 12 * data.assessment_validity_years) - ONE_DAY


def renewal_window_opens(valid_until: dt.date, data: DataSection) -> dt.date:
    """R36: an extension is applied for from this day, N working days before the expiry."""
    return working_days_before(valid_until + ONE_DAY, data.renewal_window_working_days, data)
