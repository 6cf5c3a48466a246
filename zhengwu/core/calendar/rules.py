"""Pure day lists: the chinese-calendar seed and the provisional rule. No database.

* ``package_days(year)``: the national exceptions of ``year`` from chinese-calendar
  (2004–2026 only): holidays (weekday or weekend, named) and make-up workdays (调休).
* ``provisional_days(year)``: for a year without a published notice, the statutory holidays
  of the 2024 rules (《全国年节及纪念日放假办法》 as revised 2024-11-10): 元旦 1 Jan; 春节 lunar
  New Year's Eve + 正月初一–初三; 清明 (the solar term, from chinese-calendar's solar-term
  table, which reaches 2100); 劳动节 1–2 May; 端午 lunar 5/5; 中秋 lunar 8/15; 国庆 1–3 Oct.
  Lunar dates come from ``lunardate`` (1900–2099). No 调休 and no in-lieu days: the real
  schedule is only known from the yearly notice, so every deadline touching such a year is
  marked provisional.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
from lunardate import LunarDate

__all__ = ["PACKAGE_YEARS", "ZH_NAMES", "package_days", "provisional_days"]

PACKAGE_YEARS = range(2004, 2027)
"""Years chinese-calendar 1.11.0 covers (it raises NotImplementedError outside)."""

ZH_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _zh(name: str) -> str:
    return ZH_NAMES.get(name, name)


def package_days(year: int) -> list[tuple[date, str, str]]:
    """``(day, kind, name)`` for every national exception of ``year`` in chinese-calendar."""
    rows: list[tuple[date, str, str]] = []
    d, end = date(year, 1, 1), date(year, 12, 31)
    while d <= end:
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
        if name:
            rows.append((d, "holiday" if on_holiday else "workday", _zh(str(name))))
        d += timedelta(days=1)
    return rows


def _lunar(year: int, month: int, day: int) -> date:
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


def _qingming(year: int) -> date:
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    for d, name in terms:
        if name == "清明":
            return date(d.year, d.month, d.day)
    return date(year, 4, 5)  # pragma: no cover - the table reaches 2100


def provisional_days(year: int) -> list[tuple[date, str, str]]:
    """``(day, "holiday", name)`` of the 2024 statutory holidays in ``year`` (no 调休)."""
    rows = [(date(year, 1, 1), "holiday", "元旦")]
    if 1900 <= year <= 2099:
        new_year = _lunar(year, 1, 1)
        rows += [(new_year + timedelta(days=i), "holiday", "春节") for i in range(-1, 3)]
    rows.append((_qingming(year), "holiday", "清明节"))
    rows += [(date(year, 5, 1), "holiday", "劳动节"), (date(year, 5, 2), "holiday", "劳动节")]
    if 1900 <= year <= 2099:
        rows.append((_lunar(year, 5, 5), "holiday", "端午节"))
        rows.append((_lunar(year, 8, 15), "holiday", "中秋节"))
    rows += [(date(year, 10, i), "holiday", "国庆节") for i in (1, 2, 3)]
    return sorted(rows)
