"""When a case turns yellow: the first day with at most ``n`` working days left, on the real
calendar (chinese-calendar's 2025–2026 data: National Day, 中秋, 调休 Saturdays and Sundays).
Pure arithmetic, no database."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from zhengwu.core.calendar.rules import package_days
from zhengwu.core.calendar.service import DayInfo, WorkCalendar
from zhengwu.plugins.supervision.thresholds import turns_yellow_on

CAL = WorkCalendar(
    national={d: DayInfo(kind, name, "chinese_calendar")
              for year in (2025, 2026) for d, kind, name in package_days(year)},
    published=frozenset({2025, 2026}))


def test_examples_around_the_2026_holidays():
    # due Thu 8 Oct, the first working day after National Day: yellow on the last before it
    assert turns_yellow_on(CAL, date(2026, 10, 8), 1) == date(2026, 9, 30)
    # due Sat 10 Oct, a make-up working day (调休): Fri 9 Oct
    assert turns_yellow_on(CAL, date(2026, 10, 10), 1) == date(2026, 10, 9)
    # due Mon 12 Oct: Sunday 11 is off, the Saturday before it works
    assert turns_yellow_on(CAL, date(2026, 10, 12), 1) == date(2026, 10, 10)
    assert turns_yellow_on(CAL, date(2026, 10, 12), 4) == date(2026, 9, 30)
    # due Wed 30 Sep with three days: 中秋 (25–27 Sep) in between, so Thu 24 Sep
    assert turns_yellow_on(CAL, date(2026, 9, 30), 3) == date(2026, 9, 24)
    # n = 0: the due date itself
    assert turns_yellow_on(CAL, date(2026, 10, 8), 0) == date(2026, 10, 8)
    # make-up Sunday 20 Sep 2026 counts as a working day
    assert turns_yellow_on(CAL, date(2026, 9, 21), 1) == date(2026, 9, 20)


@settings(max_examples=300, deadline=None)
@given(due=st.dates(date(2025, 2, 1), date(2026, 12, 31)).filter(CAL.is_workday),
       n=st.integers(0, 10))
def test_the_first_day_with_at_most_n_working_days_left(due, n):
    day = turns_yellow_on(CAL, due, n)
    assert day <= due
    assert CAL.count_working_days(day, due) <= n
    assert CAL.count_working_days(day - timedelta(days=1), due) > n
