"""The pure working-day clock, checked against chinese-calendar and by hand."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zhengwu.core.calendar import rules
from zhengwu.core.calendar.service import DayInfo, WorkCalendar
from zhengwu.core.errors import Invalid


def national(years: range = rules.PACKAGE_YEARS) -> WorkCalendar:
    days = {d: DayInfo(k, n, "chinese_calendar") for y in years for d, k, n in rules.package_days(y)}
    return WorkCalendar(national=days, published=frozenset(years))


CAL = national()
starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2028, 12, 31))
limits = st.integers(min_value=0, max_value=80)
pauses = st.lists(st.tuples(starts, st.integers(min_value=0, max_value=20))
                  .map(lambda t: (t[0], t[0] + timedelta(days=t[1]))), max_size=3)


@settings(max_examples=200, deadline=None)
@given(starts, limits, pauses)
def test_adding_then_counting_is_consistent(start: date, n: int, ps: list[tuple[date, date]]) -> None:
    assert CAL.count_working_days(start, CAL.add_working_days(start, n).due) == n
    assert CAL.count_working_days(start, CAL.add_working_days(start, n, ps).due, ps) == n


@settings(max_examples=200, deadline=None)
@given(starts, limits, pauses)
def test_pauses_never_shorten_a_deadline(start: date, n: int, ps: list[tuple[date, date]]) -> None:
    plain = CAL.add_working_days(start, n)
    paused = CAL.add_working_days(start, n, ps)
    assert paused.due >= plain.due
    assert all(p in {s.day for s in paused.skipped} for p in paused.paused)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31)))
def test_workdays_agree_with_chinese_calendar(d: date) -> None:
    assert CAL.is_workday(d) == chinese_calendar.is_workday(d)


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 10, 31)),
       st.integers(min_value=1, max_value=40))
def test_add_agrees_with_find_workday(start: date, n: int) -> None:
    # find_workday first rolls a non-working start forward, so compare from working days.
    assume(chinese_calendar.is_workday(start))
    assert CAL.add_working_days(start, n).due == chinese_calendar.find_workday(n, start)


def test_counting_ends_are_half_open() -> None:
    # (Fri 2026-03-06, Mon 2026-03-09]: only Monday counts; the start never does.
    assert CAL.count_working_days(date(2026, 3, 6), date(2026, 3, 9)) == 1
    assert CAL.count_working_days(date(2026, 3, 9), date(2026, 3, 9)) == 0
    assert CAL.count_working_days(date(2026, 3, 9), date(2026, 3, 6)) == -1
    assert CAL.add_working_days(date(2026, 3, 9), 0).due == date(2026, 3, 9)
    assert CAL.add_working_days(date(2026, 3, 9), 1).due == date(2026, 3, 10)
    with pytest.raises(Invalid):
        CAL.add_working_days(date(2026, 3, 9), -1)
    with pytest.raises(Invalid):
        CAL.add_working_days(date(2026, 3, 9), 3, [(date(2026, 3, 12), date(2026, 3, 11))])


# (start, n, due) checked by hand against the State Council notices.
HAND = [
    # 2025 Spring Festival: Jan 28–Feb 4 off, Sun Jan 26 and Sat Feb 8 worked.
    (date(2025, 1, 24), 1, date(2025, 1, 26)),
    (date(2025, 1, 24), 2, date(2025, 1, 27)),
    (date(2025, 1, 24), 3, date(2025, 2, 5)),
    (date(2025, 2, 5), 3, date(2025, 2, 8)),
    # 2025 National Day + Mid-autumn: Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked.
    (date(2025, 9, 26), 1, date(2025, 9, 28)),
    (date(2025, 9, 26), 4, date(2025, 10, 9)),
    (date(2025, 9, 26), 6, date(2025, 10, 11)),
    # 2026 Spring Festival: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked.
    (date(2026, 2, 13), 1, date(2026, 2, 14)),
    (date(2026, 2, 13), 2, date(2026, 2, 24)),
    (date(2026, 2, 24), 3, date(2026, 2, 27)),
    (date(2026, 2, 24), 4, date(2026, 2, 28)),
    # 2026 National Day: Oct 1–7 off, Sun Sep 20 and Sat Oct 10 worked; Sep 25–27 中秋.
    (date(2026, 9, 18), 1, date(2026, 9, 20)),
    (date(2026, 9, 23), 2, date(2026, 9, 28)),
    (date(2026, 9, 30), 1, date(2026, 10, 8)),
    (date(2026, 9, 30), 3, date(2026, 10, 10)),
]


@pytest.mark.parametrize(("start", "n", "due"), HAND)
def test_hand_checked_holidays(start: date, n: int, due: date) -> None:
    deadline = CAL.add_working_days(start, n)
    assert deadline.due == due
    assert chinese_calendar.find_workday(n, start) == due
    assert not deadline.provisional


def test_make_up_days_are_workdays() -> None:
    for d in (date(2025, 1, 26), date(2025, 2, 8), date(2026, 2, 14), date(2026, 2, 28),
              date(2026, 9, 20), date(2026, 10, 10)):
        assert d.weekday() >= 5 and CAL.is_workday(d) and chinese_calendar.is_workday(d)
    for d in [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]:
        assert not CAL.is_workday(d) and chinese_calendar.is_holiday(d)


def test_derivation_names_the_skipped_holidays() -> None:
    deadline = CAL.add_working_days(date(2026, 2, 13), 2)
    holidays = deadline.skipped_holidays()
    assert [s.day for s in holidays] == [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]
    assert {s.name for s in holidays} == {"春节"}
    d = deadline.to_dict()
    assert d["start"] == "2026-02-13" and d["limit"] == 2 and d["due"] == "2026-02-24"
    # Across National Day 2026: a weekend, 中秋 and 国庆 are all listed, each with its name.
    deadline = CAL.add_working_days(date(2026, 9, 18), 10)
    names = {(s.day, s.reason, s.name) for s in deadline.skipped}
    assert (date(2026, 9, 19), "weekend", "周六") in names
    assert (date(2026, 9, 25), "holiday", "中秋节") in names
    assert (date(2026, 10, 1), "holiday", "国庆节") in names


def test_pause_pushes_the_deadline_and_is_listed() -> None:
    plain = CAL.add_working_days(date(2026, 3, 2), 5)
    paused = CAL.add_working_days(date(2026, 3, 2), 5, [(date(2026, 3, 4), date(2026, 3, 5))])
    assert plain.due == date(2026, 3, 9)
    assert paused.due == date(2026, 3, 11)
    assert paused.paused == (date(2026, 3, 4), date(2026, 3, 5))
    assert CAL.count_working_days(date(2026, 3, 2), date(2026, 3, 11),
                                  [(date(2026, 3, 4), date(2026, 3, 5))]) == 5


def test_provisional_rule_for_unpublished_years() -> None:
    # 2027 is not in chinese-calendar: weekends + 2024 statutory holidays, lunar dates computed.
    days = dict((d, n) for d, _k, n in rules.provisional_days(2027))
    assert days[date(2027, 1, 1)] == "元旦"
    assert [d for d, n in days.items() if n == "春节"] == [date(2027, 2, 5), date(2027, 2, 6),
                                                         date(2027, 2, 7), date(2027, 2, 8)]
    assert days[date(2027, 4, 5)] == "清明节"
    assert days[date(2027, 6, 9)] == "端午节" and days[date(2027, 9, 15)] == "中秋节"
    assert len(days) == 13
    # The rule applied to 2024 gives the statutory days the notice used (2024 real dates).
    days24 = {d for d, _k, _n in rules.provisional_days(2024)}
    assert {date(2024, 2, 9), date(2024, 2, 10), date(2024, 4, 4), date(2024, 6, 10),
            date(2024, 9, 17)} <= days24
    deadline = CAL.add_working_days(date(2027, 2, 4), 1)
    assert deadline.due == date(2027, 2, 9) and deadline.provisional
    assert deadline.provisional_years == (2027,)


@settings(max_examples=100, deadline=None)
@given(starts, limits, pauses)
def test_deadline_round_trips_through_its_dict(start: date, n: int,
                                               ps: list[tuple[date, date]]) -> None:
    import json

    from zhengwu.core.calendar.service import Deadline

    deadline = CAL.add_working_days(start, n, ps)
    stored = json.loads(json.dumps(deadline.to_dict()))  # as a case keeps it
    assert Deadline.from_dict(stored) == deadline


def test_deadline_from_dict_refuses_a_malformed_derivation() -> None:
    from zhengwu.core.calendar.service import Deadline

    good = CAL.add_working_days(date(2026, 9, 28), 5).to_dict()
    older = {k: v for k, v in good.items() if k != "provisional_years"}
    assert Deadline.from_dict(older).provisional_years == ()
    for bad in ({**good, "due": "2026-13-01"}, {**good, "limit": "5"},
                {k: v for k, v in good.items() if k != "skipped"},
                {**good, "skipped": [{"day": "2026-10-01"}]}):
        with pytest.raises(Invalid) as err:
            Deadline.from_dict(bad)
        assert err.value.code == "calendar.bad_derivation"
