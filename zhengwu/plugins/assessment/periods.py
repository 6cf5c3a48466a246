"""Assessment periods: a day (日考核), an ISO week (周汇总) or a calendar month (月通报), in
Asia/Shanghai dates, written ``2026-03-10``, ``2026-W11`` and ``2026-03``; a custom range
``2026-01-01..2026-03-31`` is accepted too (kind ``range``).

>>> parse_period("2026-W11").start.isoformat(), parse_period("2026-W11").end.isoformat()
('2026-03-09', '2026-03-15')
>>> parse_period("2026-02").end.isoformat()
'2026-02-28'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from zhengwu.core.errors import Invalid
from zhengwu.core.plugin_api import Period

__all__ = ["BULLETIN_TITLES", "AssessmentPeriod", "day", "iso_week", "month", "parse_period"]

BULLETIN_TITLES = {"day": "日考核", "week": "周汇总", "month": "月通报", "range": "考核通报"}


@dataclass(frozen=True)
class AssessmentPeriod:
    kind: str  # day | week | month | range
    start: date
    end: date

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            y, w, _ = self.start.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label_zh(self) -> str:
        if self.kind == "day":
            return f"{self.start.year}年{self.start.month}月{self.start.day}日"
        if self.kind == "week":
            y, w, _ = self.start.isocalendar()
            s, e = self.start, self.end
            return f"{y}年第{w}周（{s.month}月{s.day}日—{e.month}月{e.day}日）"
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


def day(d: date) -> AssessmentPeriod:
    return AssessmentPeriod("day", d, d)


def iso_week(year: int, week: int) -> AssessmentPeriod:
    start = date.fromisocalendar(year, week, 1)
    return AssessmentPeriod("week", start, start + timedelta(days=6))


def month(year: int, m: int) -> AssessmentPeriod:
    return AssessmentPeriod("month", date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1]))


def _bad(text: str) -> Invalid:
    return Invalid("assessment.period", f"考核期间格式有误：{text}（如 2026-03-10、2026-W11、2026-03）",
                   f"bad period {text!r} (e.g. 2026-03-10, 2026-W11, 2026-03)", field="period")


def parse_period(text: str) -> AssessmentPeriod:
    t = (text or "").strip()
    try:
        if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", t):
            return iso_week(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})-(\d{2})", t):
            return month(int(m[1]), int(m[2]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            return day(date.fromisoformat(t))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", t):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end < start or (end - start).days > 366:
                raise _bad(t)
            return AssessmentPeriod("range", start, end)
    except ValueError as exc:
        raise _bad(t) from exc
    raise _bad(t)
