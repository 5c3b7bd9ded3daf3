"""Working days of the hetao profile's 2026 calendar and the R36 renewal window."""

from __future__ import annotations

import datetime as dt

from hetao.datatransfer.workingdays import (
    renewal_window_opens,
    validity_end,
    working_days_before,
    working_days_between,
)
from hetao.profiles import DataSection, load_profile

DATA: DataSection = load_profile("hetao").data
WEEKENDS_ONLY = DATA.model_copy(update={"holidays": (), "adjusted_working_days": ()})


class TestCalendar:
    def test_national_day_is_skipped_and_its_adjusted_saturday_counts(self) -> None:
        # Back from Mon 12 Oct 2026: Sat 10 Oct is worked (1), Fri 9 (2), Thu 8 (3),
        # 1-7 Oct holidays, Wed 30 Sep (4), 29 (5), Mon 28 (6), 25-27 Sep Mid-Autumn,
        # Thu 24 (7), 23 (8), 22 (9), Mon 21 Sep (10).
        assert working_days_before(dt.date(2026, 10, 12), 10, DATA) == dt.date(2026, 9, 21)

    def test_spring_festival_adjusted_saturdays_are_working_days(self) -> None:
        # Sat 14 Feb (worked), 15-23 Feb holidays, Tue 24 - Fri 27, Sat 28 Feb (worked): 6;
        # weekends only, the two weeks 16-20 and 23-27 Feb: 10.
        assert working_days_between(dt.date(2026, 2, 14), dt.date(2026, 3, 1), DATA) == 6
        assert working_days_between(dt.date(2026, 2, 14), dt.date(2026, 3, 1), WEEKENDS_ONLY) == 10


class TestRenewalWindow:
    def test_r36_the_window_opens_60_working_days_before_expiry_across_national_day(
        self,
    ) -> None:
        # Valid until Mon 30 Nov 2026. Working days back from it: November 21 (2-30 Nov),
        # October 18 (22 weekdays - 1, 2, 5, 6, 7 Oct + Sat 10 Oct) = 39, then September from
        # the 30th: 30, 29, 28 (42), 25-27 Mid-Autumn, 24-21 (46), Sun 20 worked (47),
        # 18-14 (52), 11-7 (57), 4, 3, 2 (60).
        assert DATA.renewal_window_working_days == 60
        assert renewal_window_opens(dt.date(2026, 11, 30), DATA) == dt.date(2026, 9, 2)

    def test_r36_the_holiday_calendar_moves_the_window_earlier(self) -> None:
        # Without holidays the 60th working day back is Tue 8 Sep: six days later.
        assert renewal_window_opens(dt.date(2026, 11, 30), WEEKENDS_ONLY) == dt.date(2026, 9, 8)

    def test_r36_an_approval_is_valid_three_years(self) -> None:
        assert validity_end(dt.date(2026, 3, 2), DATA) == dt.date(2029, 3, 1)
        assert validity_end(dt.date(2028, 2, 29), DATA) == dt.date(2031, 2, 27)
