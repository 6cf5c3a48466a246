"""Five-field cron schedules (``minute hour day month weekday``), read in Asia/Shanghai.

The embedded queue schedules jobs on the server's event loop with ``CronSchedule.next_after``;
the arq adapter turns the same schedule into ``arq.cron`` options with ``arq_options``, so a
``JobSpec.cron`` string means the same thing on both backends. This module must never sleep,
read the clock or know about a queue: it is pure date arithmetic.

Syntax: ``*``, numbers, ranges ``a-b``, lists ``a,b``, steps ``*/n`` and ``a-b/n``. Weekdays
are 0–7 (0 and 7 are Sunday) or ``sun``…``sat``; months 1–12 or ``jan``…``dec``. Restricting
both the day of month and the weekday is refused: classic cron ORs them, arq ANDs them,
and a schedule must not mean two things.

>>> from datetime import datetime, UTC
>>> s = CronSchedule.parse("30 2 * * mon-fri")
>>> s.next_after(datetime(2026, 3, 6, 19, 0, tzinfo=UTC)).isoformat()  # Sat 03:00 in China
'2026-03-08T18:30:00+00:00'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from zhengwu.core.clock import SHANGHAI

__all__ = ["CronError", "CronSchedule"]

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


class CronError(ValueError):
    """A cron expression that cannot be read, or that never fires."""


def _parse_field(text: str, lo: int, hi: int, names: list[str] | None,
                 offset: int) -> frozenset[int]:
    def value(token: str) -> int:
        token = token.strip().lower()
        if names and token in names:
            return names.index(token) + offset
        if not token.isdigit():
            raise CronError(f"not a number: {token!r}")
        return int(token)

    out: set[int] = set()
    for part in text.split(","):
        rng, _, step_text = part.partition("/")
        step = value(step_text) if step_text else 1
        if step < 1:
            raise CronError(f"step must be positive: {part!r}")
        if rng == "*":
            start, end = lo, hi
        elif "-" in rng:
            a, _, b = rng.partition("-")
            start, end = value(a), value(b)
        else:
            start = value(rng)
            end = hi if step_text else start
        if not (lo <= start <= hi and lo <= end <= hi) or start > end:
            raise CronError(f"{part!r} is outside {lo}-{hi}")
        out.update(range(start, end + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed schedule. Field sets are ``None`` where the field is ``*`` (any)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None
    months: frozenset[int] | None
    weekdays: frozenset[int] | None  # 0 = Sunday … 6 = Saturday
    tz: ZoneInfo = SHANGHAI

    @classmethod
    def parse(cls, expression: str, tz: ZoneInfo = SHANGHAI) -> CronSchedule:
        fields = expression.split()
        if len(fields) != 5:
            raise CronError(f"cron needs 5 fields (minute hour day month weekday): {expression!r}")
        minute, hour, day, month, weekday = fields
        weekdays = None
        if weekday != "*":
            weekdays = frozenset(d % 7 for d in _parse_field(weekday, 0, 7, _WEEKDAYS, 0))
        days = None if day == "*" else _parse_field(day, 1, 31, None, 1)
        if days is not None and weekdays is not None:
            raise CronError(f"restrict the day of month or the weekday, not both: {expression!r}")
        schedule = cls(
            expression=expression,
            minutes=_parse_field(minute, 0, 59, None, 0),
            hours=_parse_field(hour, 0, 23, None, 0),
            days=days,
            months=None if month == "*" else _parse_field(month, 1, 12, _MONTHS, 1),
            weekdays=weekdays,
            tz=tz,
        )
        months = schedule.months or frozenset(range(1, 13))
        if days is not None and not any(d <= _DAYS_IN_MONTH[m - 1] for m in months for d in days):
            raise CronError(f"schedule never fires: {expression!r}")
        return schedule

    def _day_matches(self, d: date) -> bool:
        if self.months is not None and d.month not in self.months:
            return False
        if self.days is not None and d.day not in self.days:
            return False
        return self.weekdays is None or (d.isoweekday() % 7) in self.weekdays

    def matches(self, at: datetime) -> bool:
        """Whether the minute containing ``at`` (aware) is a firing time."""
        local = at.astimezone(self.tz)
        return (local.minute in self.minutes and local.hour in self.hours
                and self._day_matches(local.date()))

    def next_after(self, at: datetime) -> datetime:
        """The first firing time strictly after ``at`` (aware), in UTC, on a whole minute."""
        if at.tzinfo is None:
            raise ValueError("next_after() needs a timezone-aware datetime")
        local = at.astimezone(self.tz)
        start = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        # Nine years covers every reachable 29 February (1900 and 2100 are not leap years).
        for _ in range(366 * 9):
            if self._day_matches(day):
                for h in sorted(self.hours):
                    for m in sorted(self.minutes):
                        candidate = datetime.combine(day, time(h, m), self.tz)
                        if candidate >= start:
                            return candidate.astimezone(UTC)
            day += timedelta(days=1)
        raise CronError(f"schedule never fires: {self.expression!r}")  # pragma: no cover

    def arq_options(self) -> dict[str, Any]:
        """Keyword arguments for ``arq.cron.cron`` (whose weekday 0 is Monday)."""

        def opt(values: Iterable[int] | None) -> set[int] | None:
            return None if values is None else set(values)

        weekdays = None if self.weekdays is None else {(d - 1) % 7 for d in self.weekdays}
        return {
            "minute": opt(self.minutes), "hour": opt(self.hours), "day": opt(self.days),
            "month": opt(self.months), "weekday": weekdays, "second": 0, "microsecond": 0,
        }
