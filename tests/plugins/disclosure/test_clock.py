"""The clocks of a request for disclosure on the real 2026 calendar (春节 and 国庆 with their
make-up workdays), every expected date counted by hand in the comments.

2026 as the State Council's notice has it: 春节 Sun 15 – Mon 23 Feb off, Sat 14 Feb and Sat
28 Feb worked; 中秋 Fri 25 – Sun 27 Sep off, Sun 20 Sep worked; 国庆 Thu 1 – Wed 7 Oct off,
Sat 10 Oct worked. A limit of n working days ends on the n-th working day strictly after
its start day.
"""

from __future__ import annotations

from datetime import date

import pytest

from zhengwu.core.calendar import rules
from zhengwu.core.calendar.service import DayInfo, WorkCalendar
from zhengwu.core.errors import Invalid
from zhengwu.plugins.disclosure import clock
from zhengwu.plugins.disclosure.clock import Span


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    national = {d: DayInfo(k, n, "chinese_calendar")
                for y in (2025, 2026) for d, k, n in rules.package_days(y)}
    return WorkCalendar(national=national, published=frozenset({2025, 2026}))


def test_receipt_date_by_channel():
    sub = date(2026, 9, 21)
    assert clock.receipt_date("in_person", sub) == sub
    assert clock.receipt_date("registered_mail", sub, signed_on=date(2026, 9, 23)) == date(2026, 9, 23)
    for ch in ("letter", "online", "fax"):
        assert clock.receipt_date(ch, sub, confirmed_on=date(2026, 9, 22)) == date(2026, 9, 22)


@pytest.mark.parametrize(("channel", "kw", "code", "field"), [
    ("registered_mail", {}, "disclosure_request.receipt_date_required", "signedOn"),
    ("online", {}, "disclosure_request.receipt_date_required", "confirmedOn"),
    ("letter", {"signed_on": date(2026, 9, 22)}, "disclosure_request.receipt_date_not_used",
     "signedOn"),
    ("in_person", {"confirmed_on": date(2026, 9, 22)}, "disclosure_request.receipt_date_not_used",
     "confirmedOn"),
    ("fax", {"confirmed_on": date(2026, 9, 20)}, "disclosure_request.receipt_before_submission",
     "confirmedOn"),
    ("pigeon", {}, "disclosure_request.channel", "channel"),
])
def test_receipt_date_refusals(channel, kw, code, field):
    with pytest.raises(Invalid) as exc:
        clock.receipt_date(channel, date(2026, 9, 21), **kw)
    assert (exc.value.code, exc.value.field) == (code, field)


def test_reply_due_across_the_spring_festival(cal):
    # received Fri 6 Feb: 9–13 Feb (5), Sat 14 Feb worked (6), 15–23 Feb 春节 off,
    # 24–27 Feb (10), Sat 28 Feb worked (11), 2–6 Mar (16), 9–12 Mar (20) → Thu 12 Mar
    d = clock.reply_deadline(cal, date(2026, 2, 6), 20)
    assert d.due == date(2026, 3, 12)
    assert [s.day for s in d.skipped_holidays()] == [date(2026, 2, x) for x in range(15, 24)]
    assert d.paused == ()


def test_reply_due_across_national_day(cal):
    # received Mon 21 Sep: 22–24 (3), 25–27 中秋 off, 28–30 Sep (6), 1–7 Oct off, 8–9 Oct (8),
    # Sat 10 Oct worked (9), 12–16 (14), 19–23 (19), Mon 26 Oct (20)
    assert clock.reply_deadline(cal, date(2026, 9, 21), 20).due == date(2026, 10, 26)


def test_extension_adds_working_days(cal):
    # from the 20th working day Mon 26 Oct: 27–30 Oct (24), 2–6 Nov (29), 9–13 (34),
    # 16–20 (39), Mon 23 Nov (40)
    d = clock.reply_deadline(cal, date(2026, 9, 21), 20, extension_days=20)
    assert (d.limit, d.due) == (40, date(2026, 11, 23))


def test_consultation_due_is_fifteen_working_days(cal):
    # sent Wed 30 Sep: 1–7 Oct off, 8–9 Oct (2), Sat 10 Oct worked (3), 12–16 (8),
    # 19–23 (13), 26–27 Oct (15) → Tue 27 Oct
    assert clock.consultation_due(cal, date(2026, 9, 30)) == date(2026, 10, 27)


def test_answered_consultation_stops_the_clock_through_the_answer_day(cal):
    # received Mon 21 Sep; consultation sent Wed 30 Sep, answered Fri 16 Oct (both days paused):
    # 22–24 Sep (3), 28–29 Sep (5), 30 Sep – 16 Oct paused, 19–23 Oct (10), 26–30 Oct (15),
    # 2–6 Nov (20) → Fri 6 Nov
    span = Span("consultation", date(2026, 9, 30), date(2026, 10, 16))
    d = clock.reply_deadline(cal, date(2026, 9, 21), 20, spans=[span])
    assert d.due == date(2026, 11, 6)
    # paused working days and holidays alike are listed as paused (the pause wins)
    assert d.paused[0] == date(2026, 9, 30) and d.paused[-1] == date(2026, 10, 16)
    assert len(d.paused) == 17


def test_silent_consultation_stops_the_clock_through_its_limit(cal):
    # silent: paused 30 Sep through its limit Tue 27 Oct; 22–24 Sep (3), 28–29 Sep (5),
    # 28–30 Oct (8), 2–6 Nov (13), 9–13 Nov (18), 16–17 Nov (20) → Tue 17 Nov
    limit = clock.consultation_due(cal, date(2026, 9, 30))
    d = clock.reply_deadline(cal, date(2026, 9, 21), 20,
                             spans=[Span("consultation", date(2026, 9, 30), limit)])
    assert d.due == date(2026, 11, 17)


def test_overlapping_spans_count_once(cal):
    a = Span("consultation", date(2026, 9, 30), date(2026, 10, 16))
    b = Span("consultation", date(2026, 10, 12), date(2026, 10, 16))
    assert clock.reply_deadline(cal, date(2026, 9, 21), 20, spans=[a, b]).due == date(2026, 11, 6)


def test_correction_notice_window_across_the_spring_festival(cal):
    # received Mon 9 Feb: 10–13 Feb (4), Sat 14 Feb worked (5), 15–23 off, 24 (6), 25 Feb (7)
    assert clock.correction_notice_last_day(cal, date(2026, 2, 9)) == date(2026, 2, 25)


def test_correction_restarts_the_clock(cal):
    # completed application Thu 5 Mar: 6 Mar (1), 9–13 (6), 16–20 (11), 23–27 (16),
    # 30 Mar – 2 Apr (20) → Thu 2 Apr; the days from receipt to the correction never count
    d = clock.reply_deadline(cal, date(2026, 3, 5), 20)
    assert (d.start, d.due) == (date(2026, 3, 5), date(2026, 4, 2))


def test_fee_payment_due(cal):
    # notice Mon 21 Sep, 20 working days → Mon 26 Oct (as the reply above)
    assert clock.fee_payment_due(cal, date(2026, 9, 21), 20) == date(2026, 10, 26)
