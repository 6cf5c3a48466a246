"""Working days: the in-memory ``WorkCalendar``, loading it, and the admin operations.

Conventions (the statutes count from the day after acceptance, ALL art. 82):

* ``add_working_days(start, n)`` returns the n-th working day strictly after ``start``
  (``n = 0`` gives ``start`` itself).
* ``count_working_days(a, b)`` counts working days in the half-open span ``(a, b]``
  (negative when ``b < a``), so ``count(start, add(start, n).due) == n``.
* ``pauses`` are ``(from, to)`` spans of inclusive dates (补正, 中止 …): no day in them
  counts, so a pause pushes a deadline later and never makes it earlier.

How a day is classified, first match wins: a regional override of the nearest tenant on the
chain (the tenant itself, then its ancestors); the national row of a year with a published
notice; for a year without one, the provisional rule (``rules.provisional_days``: weekends
plus the 2024 statutory holidays, no 调休); otherwise Monday–Friday work, weekends do not.
A deadline that examined any day of a year without a published notice is ``provisional``.

The national calendar is seeded from chinese-calendar (2004–2026) by migration 0005; the
same data can be (re)loaded with ``seed_national`` (tests, a database emptied by hand).
Recomputing the open deadlines on ``calendar.changed`` belongs to the intake cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock, events
from zhengwu.core.calendar import rules
from zhengwu.core.calendar.models import DAY_KINDS, CalendarDay, CalendarOverride, CalendarYear
from zhengwu.core.db import new_id
from zhengwu.core.errors import Invalid, PermissionDenied
from zhengwu.core.plugin_api import Event
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.tenants.codes import PLATFORM_CODE
from zhengwu.tenants.provisioning import ensure_platform_root
from zhengwu.tenants.scope import access_tenant, ancestor_paths

__all__ = [
    "CALENDAR_CHANGED",
    "CalendarChange",
    "DayInfo",
    "Deadline",
    "SkippedDay",
    "WorkCalendar",
    "add_override",
    "import_notice",
    "load_calendar",
    "seed_national",
]

CALENDAR_CHANGED = "calendar.changed"
Pause = tuple[date, date]
_WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class DayInfo:
    kind: str  # holiday | workday
    name: str
    source: str  # chinese_calendar | notice | override | provisional


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str  # holiday | weekend | paused
    name: str


@dataclass(frozen=True)
class Deadline:
    """A due date with its derivation: why the date is what it is."""

    start: date
    limit: int
    due: date
    skipped: tuple[SkippedDay, ...]
    paused: tuple[date, ...]
    provisional: bool
    provisional_years: tuple[int, ...] = ()

    def skipped_holidays(self) -> list[SkippedDay]:
        return [s for s in self.skipped if s.reason == "holiday"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(), "limit": self.limit, "due": self.due.isoformat(),
            "skipped": [{"day": s.day.isoformat(), "reason": s.reason, "name": s.name}
                        for s in self.skipped],
            "paused": [d.isoformat() for d in self.paused],
            "provisional": self.provisional, "provisional_years": list(self.provisional_years),
        }


def _paused_set(pauses: Iterable[Pause]) -> set[date]:
    days: set[date] = set()
    for begin, end in pauses:
        if end < begin:
            raise Invalid("calendar.pause_order", f"暂停区间 {begin}–{end} 的结束早于开始",
                          f"pause {begin}–{end} ends before it begins", field="pauses")
        d = begin
        while d <= end:
            days.add(d)
            d += timedelta(days=1)
    return days


@dataclass
class WorkCalendar:
    """Pure: answers working-day questions from the rows it was built with.

    ``national``: the stored national exceptions; ``published``: years with a published
    notice; ``overrides``: the tenant chain's exceptions, already resolved (nearest wins).
    """

    national: dict[date, DayInfo] = field(default_factory=dict)
    published: frozenset[int] = frozenset()
    overrides: dict[date, DayInfo] = field(default_factory=dict)
    _provisional: dict[int, dict[date, DayInfo]] = field(default_factory=dict, repr=False)

    def is_provisional_year(self, year: int) -> bool:
        return year not in self.published

    def _provisional_rows(self, year: int) -> dict[date, DayInfo]:
        if year not in self._provisional:
            self._provisional[year] = {d: DayInfo(kind, name, "provisional")
                                       for d, kind, name in rules.provisional_days(year)}
        return self._provisional[year]

    def info(self, d: date) -> DayInfo | None:
        """The exception that applies to ``d``, or None for an ordinary day."""
        if d in self.overrides:
            return self.overrides[d]
        if d.year in self.published:
            return self.national.get(d)
        return self._provisional_rows(d.year).get(d)

    def is_workday(self, d: date) -> bool:
        info = self.info(d)
        if info is not None:
            return info.kind == "workday"
        return d.weekday() < 5

    def _why_not(self, d: date) -> SkippedDay:
        info = self.info(d)
        if info is not None and info.kind == "holiday":
            return SkippedDay(d, "holiday", info.name)
        return SkippedDay(d, "weekend", _WEEKDAY_ZH[d.weekday()])

    def add_working_days(self, start: date, n: int, pauses: Sequence[Pause] = ()) -> Deadline:
        """The n-th working day strictly after ``start``, paused days not counting."""
        if n < 0:
            raise Invalid("calendar.negative_limit", "期限不能为负数", "limit must not be negative",
                          field="limit")
        paused = _paused_set(pauses)
        skipped: list[SkippedDay] = []
        paused_used: list[date] = []
        years: set[int] = set()
        d, counted = start, 0
        while counted < n:
            d += timedelta(days=1)
            if self.is_provisional_year(d.year):
                years.add(d.year)
            if d in paused:
                paused_used.append(d)
                skipped.append(SkippedDay(d, "paused", "暂停计时"))
            elif self.is_workday(d):
                counted += 1
            else:
                skipped.append(self._why_not(d))
        return Deadline(start=start, limit=n, due=d, skipped=tuple(skipped),
                        paused=tuple(paused_used), provisional=bool(years),
                        provisional_years=tuple(sorted(years)))

    def count_working_days(self, start: date, end: date, pauses: Sequence[Pause] = ()) -> int:
        """Working days in ``(start, end]`` outside ``pauses``; negative if ``end < start``."""
        if end < start:
            return -self.count_working_days(end, start, pauses)
        paused = _paused_set(pauses)
        d, counted = start, 0
        while d < end:
            d += timedelta(days=1)
            if d not in paused and self.is_workday(d):
                counted += 1
        return counted


def _chain(tenant_path: str | None) -> list[str]:
    if not tenant_path:
        return []
    return [*ancestor_paths(tenant_path), tenant_path]


async def load_calendar(session: AsyncSession, tenant_path: str | None = None,
                        years: Iterable[int] | None = None) -> WorkCalendar:
    """The calendar seen at ``tenant_path`` (national only when None).

    ``years`` limits the rows read (None: all). A year left out reads as unpublished, so
    pass every year a computation may reach (e.g. the start's year and the next two).
    """
    wanted = sorted(set(years)) if years is not None else None
    day_q = select(CalendarDay)
    year_q = select(CalendarYear).where(CalendarYear.status == "published")
    if wanted is not None:
        day_q = day_q.where(CalendarDay.day >= date(wanted[0], 1, 1),
                            CalendarDay.day <= date(wanted[-1], 12, 31))
        year_q = year_q.where(CalendarYear.year.in_(wanted))
    national = {r.day: DayInfo(r.kind, r.name, r.source)
                for r in (await session.scalars(day_q)).all()
                if wanted is None or r.day.year in wanted}
    published = frozenset(y.year for y in (await session.scalars(year_q)).all())
    overrides: dict[date, DayInfo] = {}
    chain = _chain(tenant_path)
    if chain:
        rows = (await session.scalars(
            select(CalendarOverride).where(CalendarOverride.tenant_path.in_(chain)))).all()
        for r in sorted(rows, key=lambda r: len(r.tenant_path)):  # nearest tenant last: wins
            if wanted is None or r.day.year in wanted:
                overrides[r.day] = DayInfo(r.kind, r.name, r.source)
    return WorkCalendar(national=national, published=published, overrides=overrides)


@dataclass(frozen=True)
class CalendarChange:
    """What changed: the affected years and where (``0`` national, else the tenant path)."""

    years: tuple[int, ...]
    tenant_path: str
    event: Event


def _require_platform(principal: Principal, action: str) -> None:
    if not (principal.is_system or can(principal, action, Resource("calendar", PLATFORM_CODE))):
        raise PermissionDenied(f"calendar:{action}", PLATFORM_CODE)


async def seed_national(session: AsyncSession, years: Iterable[int] = rules.PACKAGE_YEARS) -> int:
    """Store chinese-calendar's years that are not stored yet; returns how many were added.

    Never overwrites a year already present (an imported notice wins over the package).
    """
    have = set((await session.scalars(select(CalendarYear.year))).all())
    now = clock.now()
    added = 0
    for year in years:
        if year in have:
            continue
        session.add_all(CalendarDay(day=d, kind=k, name=n, source="chinese_calendar")
                        for d, k, n in rules.package_days(year))
        session.add(CalendarYear(year=year, status="published", source="chinese_calendar",
                                 imported_at=now))
        added += 1
    await session.flush()
    return added


def _check_days(year: int, holidays: Sequence[tuple[date, str]],
                workdays: Sequence[tuple[date, str]]) -> None:
    seen: set[date] = set()
    for d, name in [*holidays, *workdays]:
        if d.year != year:
            raise Invalid("calendar.wrong_year", f"{d} 不属于 {year} 年", f"{d} is not in {year}",
                          field="days", day=d.isoformat())
        if d in seen:
            raise Invalid("calendar.duplicate_day", f"{d} 重复出现", f"{d} is listed twice",
                          field="days", day=d.isoformat())
        if not name or len(name) > 100:
            raise Invalid("calendar.name", f"{d} 需要名称（不超过100字）",
                          f"{d} needs a name (at most 100 characters)", field="days")
        seen.add(d)
    for d, _name in workdays:
        if d.weekday() < 5:
            raise Invalid("calendar.workday_on_weekday", f"调休上班日 {d} 不是周末",
                          f"make-up workday {d} is not a weekend day", field="workdays",
                          day=d.isoformat())


async def import_notice(session: AsyncSession, principal: Principal, year: int,
                        holidays: Sequence[tuple[date, str]],
                        workdays: Sequence[tuple[date, str]]) -> CalendarChange:
    """Replace ``year``'s national rows with the State Council's notice; mark it published.

    ``holidays`` are the days off (weekend ones included, for naming), ``workdays`` the
    make-up working Saturdays/Sundays. Audited; announces ``calendar.changed``.
    """
    _require_platform(principal, "import")
    _check_days(year, holidays, workdays)
    start, end = date(year, 1, 1), date(year, 12, 31)
    old = (await session.scalars(select(CalendarDay).where(
        CalendarDay.day >= start, CalendarDay.day <= end).order_by(CalendarDay.day))).all()
    before: dict[str, Any] = {"status": None, "days": [[r.day.isoformat(), r.kind, r.name] for r in old]}
    row = await session.get(CalendarYear, year)
    if row is not None:
        before["status"] = row.status
    await session.execute(delete(CalendarDay).where(CalendarDay.day >= start,
                                                    CalendarDay.day <= end))
    new_rows = sorted([(d, "holiday", n) for d, n in holidays]
                      + [(d, "workday", n) for d, n in workdays])
    session.add_all(CalendarDay(day=d, kind=k, name=n, source="notice") for d, k, n in new_rows)
    if row is None:
        row = CalendarYear(year=year, status="published", source="notice",
                           imported_at=clock.now())
        session.add(row)
    else:
        row.status, row.source, row.imported_at = "published", "notice", clock.now()
    await session.flush()
    root = await ensure_platform_root(session)
    after = {"status": "published", "days": [[d.isoformat(), k, n] for d, k, n in new_rows]}
    await audit.record(session, principal, "calendar.import_notice", tenant_id=root.id,
                       tenant_path=root.path, target_type="calendar_year", target_id=year,
                       before=before, after=after)
    event = await events.publish(session, CALENDAR_CHANGED, root.id, root.path,
                                 {"years": [year], "scope": "national"}, principal.username)
    return CalendarChange((year,), root.path, event)


async def add_override(session: AsyncSession, principal: Principal, tenant_code: str,
                       day: date, kind: str, name: str) -> CalendarOverride:
    """A regional exception at ``tenant_code`` (applies to its subtree); replaces the one
    already on that day there. Audited; announces ``calendar.changed``."""
    if kind not in DAY_KINDS:
        raise Invalid("calendar.kind", f"类型必须是 {'/'.join(DAY_KINDS)}",
                      f"kind must be one of {', '.join(DAY_KINDS)}", field="kind")
    if not name or len(name) > 100:
        raise Invalid("calendar.name", "需要名称（不超过100字）",
                      "a name is required (at most 100 characters)", field="name")
    tenant = await access_tenant(session, principal, tenant_code)
    if not can(principal, "write", Resource("calendar", tenant.path)):
        raise PermissionDenied("calendar:write", tenant.path)
    row = await session.scalar(select(CalendarOverride).where(
        CalendarOverride.tenant_id == tenant.id, CalendarOverride.day == day))
    before = None if row is None else {"day": day.isoformat(), "kind": row.kind,
                                       "name": row.name}
    if row is None:
        row = CalendarOverride(id=new_id(), tenant_id=tenant.id, tenant_path=tenant.path,
                               day=day, kind=kind, name=name, source="override")
        session.add(row)
    else:
        row.kind, row.name = kind, name
    await session.flush()
    await audit.record(session, principal, "calendar.override", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="calendar_override",
                       target_id=row.id, before=before,
                       after={"day": day.isoformat(), "kind": kind, "name": name})
    await events.publish(session, CALENDAR_CHANGED, tenant.id, tenant.path,
                         {"years": [day.year], "scope": "regional", "tenant": tenant.code},
                         principal.username)
    return row
