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

Entry points for callers (CLI, GraphQL, plugins): ``deadline_at`` / ``count_at`` (the clock
seen at a tenant, loading every year a computation reaches), ``calendar_year`` (a year's
status and exception days), ``notice_from_dict`` / ``build_notice`` (the yearly notice as
data, every problem named) with ``import_notice``, and ``add_override``. A case stores
``Deadline.to_dict()`` as JSON and rebuilds it with ``Deadline.from_dict``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock, events
from zhengwu.core.calendar import rules
from zhengwu.core.calendar.models import DAY_KINDS, CalendarDay, CalendarOverride, CalendarYear
from zhengwu.core.db import new_id
from zhengwu.core.errors import Invalid, InvalidField, PermissionDenied
from zhengwu.core.plugin_api import Event
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.tenants.codes import PLATFORM_CODE
from zhengwu.tenants.provisioning import ensure_platform_root
from zhengwu.tenants.scope import access_tenant, ancestor_paths

__all__ = [
    "CALENDAR_CHANGED",
    "MAX_LIMIT",
    "OVERRIDE_TIERS",
    "CalendarChange",
    "DayInfo",
    "DayRow",
    "Deadline",
    "Notice",
    "SkippedDay",
    "WorkCalendar",
    "YearCalendar",
    "YearDay",
    "add_override",
    "build_notice",
    "calendar_year",
    "count_at",
    "deadline_at",
    "import_notice",
    "import_notice_ranges",
    "load_calendar",
    "notice_from_dict",
    "notice_to_dict",
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

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Deadline:
        """The inverse of ``to_dict`` (a case stores the derivation as JSON and rebuilds it).

        ``provisional_years`` may be absent (older rows). Anything malformed is
        ``calendar.bad_derivation``, never a half-built deadline.
        """
        try:
            skipped = tuple(SkippedDay(date.fromisoformat(s["day"]), str(s["reason"]),
                                       str(s["name"])) for s in d["skipped"])
            limit = d["limit"]
            if not isinstance(limit, int) or isinstance(limit, bool):
                raise TypeError("limit")
            return cls(start=date.fromisoformat(d["start"]), limit=limit,
                       due=date.fromisoformat(d["due"]), skipped=skipped,
                       paused=tuple(date.fromisoformat(p) for p in d["paused"]),
                       provisional=bool(d["provisional"]),
                       provisional_years=tuple(int(y) for y in d.get("provisional_years", ())))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Invalid("calendar.bad_derivation", f"期限推算记录无效：{exc}",
                          f"malformed deadline derivation: {exc!r}") from exc


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
    """What changed: the affected years and where (``0`` national, else the tenant path).

    For a notice: the days ``added``, ``removed`` and ``changed`` (before, after) compared
    with what the clock used before, and whether that was a published year or the
    provisional rule (``previous_status``).
    """

    years: tuple[int, ...]
    tenant_path: str
    event: Event
    added: tuple[DayRow, ...] = ()
    removed: tuple[DayRow, ...] = ()
    changed: tuple[tuple[DayRow, DayRow], ...] = ()
    previous_status: str | None = None


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


FIRST_YEAR, LAST_YEAR = 1900, 2099
"""Years the clock answers for (the lunar table of the provisional rule: 1900–2099)."""


def _problem(code: str, zh: str, en: str, field: str | None, **params: Any) -> InvalidField:
    return InvalidField(code, zh, en, field=field, params=params)


def _raise_problems(problems: Sequence[InvalidField]) -> None:
    """One problem: raised under its own code; several: ``calendar.invalid_notice``.

    Either way ``params["problems"]`` lists every problem (GraphQL payloads and the CLI show
    them all).
    """
    unique = list({(p.code, p.field, p.en): p for p in problems}.values())
    if not unique:
        return
    if len(unique) == 1:
        p = unique[0]
        raise Invalid(p.code, p.zh, p.en, field=p.field, problems=unique, **p.params)
    raise Invalid("calendar.invalid_notice", f"节假日安排有 {len(unique)} 处问题，未写入任何数据",
                  f"the holiday notice has {len(unique)} problems; nothing was written",
                  problems=unique)


def _year_problems(year: int) -> list[InvalidField]:
    if FIRST_YEAR <= year <= LAST_YEAR:
        return []
    return [_problem("calendar.year_out_of_range", f"年份 {year} 超出 {FIRST_YEAR}–{LAST_YEAR}",
                     f"year {year} is outside {FIRST_YEAR}–{LAST_YEAR}", "year", year=year)]


def _day_problems(year: int, entries: Sequence[tuple[str, date, str, str]]) -> list[InvalidField]:
    """Problems of ``(field, day, kind, name)`` entries of ``year``'s notice, all of them."""
    problems: list[InvalidField] = []
    seen: set[date] = set()
    for where, d, kind, name in entries:
        if d.year != year:
            problems.append(_problem("calendar.wrong_year", f"{d} 不属于 {year} 年",
                                     f"{d} is not in {year}", where, day=d.isoformat()))
        if d in seen:
            problems.append(_problem("calendar.duplicate_day", f"{d} 重复出现",
                                     f"{d} is listed twice", where, day=d.isoformat()))
        if not name or len(name) > 100:
            problems.append(_problem("calendar.name", f"{d} 需要名称（不超过100字）",
                                     f"{d} needs a name (at most 100 characters)", where))
        if kind == "workday" and d.weekday() < 5:
            problems.append(_problem("calendar.workday_on_weekday", f"调休上班日 {d} 不是周末",
                                     f"make-up workday {d} is not a weekend day", where,
                                     day=d.isoformat()))
        seen.add(d)
    return problems


def _check_days(year: int, holidays: Sequence[tuple[date, str]],
                workdays: Sequence[tuple[date, str]]) -> None:
    entries = ([(f"holidays[{i}]", d, "holiday", n) for i, (d, n) in enumerate(holidays)]
               + [(f"workdays[{i}]", d, "workday", n) for i, (d, n) in enumerate(workdays)])
    _raise_problems([*_year_problems(year), *_day_problems(year, entries)])


# ------------------------------------------------------------------ the notice as data

@dataclass(frozen=True)
class Notice:
    """The State Council's yearly notice as the clock needs it: every day listed."""

    year: int
    holidays: tuple[tuple[date, str], ...]
    workdays: tuple[tuple[date, str], ...]


MAX_HOLIDAY_SPAN = 31
"""Longest holiday range accepted in a notice (the longest real break is 9 days)."""


def build_notice(year: int, holidays: Sequence[tuple[date, date, str]],
                 workdays: Sequence[tuple[date, str]]) -> Notice:
    """A notice from holiday ranges ``(from, to, name)`` (inclusive) and make-up workdays.

    Every problem is named at once (``holidays[i]``, ``workdays[i]``), nothing half-built.
    """
    return _build_notice(year, [(f"holidays[{i}]", *h) for i, h in enumerate(holidays)],
                         [(f"workdays[{i}]", *w) for i, w in enumerate(workdays)])


def _expand(year: int, holidays: Sequence[tuple[str, date, date, str]],
            workdays: Sequence[tuple[str, date, str]]
            ) -> tuple[list[tuple[str, date, str, str]], list[InvalidField]]:
    problems = _year_problems(year)
    entries: list[tuple[str, date, str, str]] = []
    for where, begin, end, name in holidays:
        if end < begin:
            problems.append(_problem("calendar.range_order", f"{where}：{begin}–{end} 的结束早于开始",
                                     f"{where}: {begin}–{end} ends before it begins", where))
            continue
        if (end - begin).days >= MAX_HOLIDAY_SPAN:
            problems.append(_problem(
                "calendar.range_too_long", f"{where}：{begin}–{end} 超过 {MAX_HOLIDAY_SPAN} 天",
                f"{where}: {begin}–{end} is longer than {MAX_HOLIDAY_SPAN} days", where))
            continue
        d = begin
        while d <= end:
            entries.append((where, d, "holiday", name))
            d += timedelta(days=1)
    entries += [(where, d, "workday", n) for where, d, n in workdays]
    problems += _day_problems(year, entries)
    return entries, problems


def _build_notice(year: int, holidays: Sequence[tuple[str, date, date, str]],
                  workdays: Sequence[tuple[str, date, str]],
                  problems: Sequence[InvalidField] = ()) -> Notice:
    entries, found = _expand(year, holidays, workdays)
    _raise_problems([*problems, *found])
    return Notice(year, tuple((d, n) for _w, d, k, n in entries if k == "holiday"),
                  tuple((d, n) for _w, d, k, n in entries if k == "workday"))


def _parse_day(value: Any, where: str, problems: list[InvalidField]) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(_problem("calendar.bad_date", f"{where}：{value!r} 不是 YYYY-MM-DD 日期",
                             f"{where}: {value!r} is not a YYYY-MM-DD date", where))
    return None


def _parse_name(entry: Mapping[str, Any], where: str, problems: list[InvalidField]) -> str | None:
    name = entry.get("name")
    if isinstance(name, str):
        return name.strip()
    problems.append(_problem("calendar.missing_key", f"{where}：缺少名称 name",
                             f"{where}: missing \"name\"", f"{where}.name"))
    return None


def _unknown_keys(data: Mapping[str, Any], known: set[str], where: str,
                  problems: list[InvalidField]) -> None:
    for key in data:
        if key not in known and not str(key).startswith("_"):
            place = f"{where}.{key}" if where else str(key)
            problems.append(_problem("calendar.unknown_key", f"未知的键 {place}（拼写错误？）",
                                     f"unknown key {place} (a typo?)", place))


def notice_from_dict(data: Any) -> Notice:
    """Parse the notice's JSON form (the README's format) and check it; every problem named.

    ``{"year": 2027, "holidays": [{"from": "2027-01-01", "to": "2027-01-03", "name": "元旦"}
    or {"day": …, "name": …}, …], "workdays": [{"day": "2027-02-06", "name": "春节"}, …]}``.
    A missing or unknown key, a bad date or a wrong type is ``calendar.missing_key`` /
    ``calendar.unknown_key`` / ``calendar.bad_date`` / ``calendar.bad_type`` with its place
    (``holidays[2].from``); keys starting with ``_`` are comments.
    """
    problems: list[InvalidField] = []
    if not isinstance(data, Mapping):
        _raise_problems([_problem("calendar.bad_type", "通知必须是一个 JSON 对象",
                                  "the notice must be a JSON object", None)])
        raise AssertionError  # pragma: no cover - _raise_problems raised
    year = data.get("year")
    if "year" not in data:
        problems.append(_problem("calendar.missing_key", "缺少年份 year", 'missing "year"', "year"))
    elif not isinstance(year, int) or isinstance(year, bool):
        problems.append(_problem("calendar.bad_type", f"年份 year 必须是整数：{year!r}",
                                 f'"year" must be an integer: {year!r}', "year"))
    _unknown_keys(data, {"year", "holidays", "workdays"}, "", problems)
    ranges: list[tuple[str, date, date, str]] = []
    workdays: list[tuple[str, date, str]] = []
    for key in ("holidays", "workdays"):
        entries = data.get(key, [] if key == "workdays" else None)
        if entries is None:
            problems.append(_problem("calendar.missing_key", f"缺少 {key}", f'missing "{key}"', key))
            continue
        if not isinstance(entries, list):
            problems.append(_problem("calendar.bad_type", f"{key} 必须是列表",
                                     f'"{key}" must be a list', key))
            continue
        for i, entry in enumerate(entries):
            where = f"{key}[{i}]"
            if not isinstance(entry, Mapping):
                problems.append(_problem("calendar.bad_type", f"{where} 必须是对象",
                                         f"{where} must be an object", where))
                continue
            _unknown_keys(entry, {"from", "to", "day", "name"} if key == "holidays"
                          else {"day", "name"}, where, problems)
            name = _parse_name(entry, where, problems)
            if key == "holidays" and "day" not in entry:
                for bound in ("from", "to"):
                    if bound not in entry:
                        problems.append(_problem("calendar.missing_key", f"{where}：缺少 {bound}",
                                                 f'{where}: missing "{bound}"', f"{where}.{bound}"))
                begin = _parse_day(entry["from"], f"{where}.from", problems) if "from" in entry else None
                end = _parse_day(entry["to"], f"{where}.to", problems) if "to" in entry else None
                if begin is not None and end is not None and name is not None:
                    ranges.append((where, begin, end, name))
                continue
            if "day" not in entry:
                problems.append(_problem("calendar.missing_key", f"{where}：缺少 day",
                                         f'{where}: missing "day"', f"{where}.day"))
                continue
            day = _parse_day(entry["day"], f"{where}.day", problems)
            if day is not None and name is not None:
                if key == "holidays":
                    ranges.append((where, day, day, name))
                else:
                    workdays.append((where, day, name))
    if not isinstance(year, int) or isinstance(year, bool):
        _raise_problems(problems)  # the year is bad: the days cannot be checked against it
        raise AssertionError  # pragma: no cover - a bad year is always a problem
    return _build_notice(year, ranges, workdays, problems)


def notice_to_dict(year: int, days: Iterable[tuple[date, str, str]]) -> dict[str, Any]:
    """The JSON form of ``year``'s ``(day, kind, name)`` rows: consecutive holidays of the
    same name become one range (the inverse of ``notice_from_dict``)."""
    holidays: list[dict[str, str]] = []
    workdays: list[dict[str, str]] = []
    last: tuple[date, str] | None = None
    for d, kind, name in sorted(days):
        if kind == "workday":
            workdays.append({"day": d.isoformat(), "name": name})
            continue
        if last is not None and last == (d - timedelta(days=1), name):
            holidays[-1]["to"] = d.isoformat()
        else:
            holidays.append({"from": d.isoformat(), "to": d.isoformat(), "name": name})
        last = (d, name)
    return {"year": year, "holidays": holidays, "workdays": workdays}


@dataclass(frozen=True, order=True)
class DayRow:
    day: date
    kind: str
    name: str


async def import_notice(session: AsyncSession, principal: Principal, year: int,
                        holidays: Sequence[tuple[date, str]],
                        workdays: Sequence[tuple[date, str]]) -> CalendarChange:
    """Replace ``year``'s national rows with the State Council's notice; mark it published.

    ``holidays`` are the days off (weekend ones included, for naming), ``workdays`` the
    make-up working Saturdays/Sundays. Every problem is named (``_raise_problems``), nothing
    written. Audited; announces ``calendar.changed``. The returned change compares with what
    the clock used before: the stored rows of a published year, else the provisional rule.
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
    was_published = row is not None and row.status == "published"
    previous = ({r.day: DayRow(r.day, r.kind, r.name) for r in old} if was_published
                else {d: DayRow(d, k, n) for d, k, n in rules.provisional_days(year)})
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
    current = {d: DayRow(d, k, n) for d, k, n in new_rows}
    return CalendarChange(
        (year,), root.path, event,
        added=tuple(current[d] for d in sorted(current.keys() - previous.keys())),
        removed=tuple(previous[d] for d in sorted(previous.keys() - current.keys())),
        changed=tuple((previous[d], current[d]) for d in sorted(current.keys() & previous.keys())
                      if previous[d] != current[d]),
        previous_status="published" if was_published else "provisional")


async def import_notice_ranges(session: AsyncSession, principal: Principal, year: int,
                               holidays: Sequence[tuple[date, date, str]],
                               workdays: Sequence[tuple[date, str]]) -> CalendarChange:
    """``import_notice`` from holiday ranges (the notice's own form, as in the JSON file):
    permission first, then every problem of the ranges named (``build_notice``)."""
    _require_platform(principal, "import")
    notice = build_notice(year, holidays, workdays)
    return await import_notice(session, principal, notice.year, notice.holidays, notice.workdays)


# ------------------------------------------------------------------ the clock at a tenant

MAX_LIMIT = 2000
"""Largest limit ``deadline_at`` accepts (working days; statutory limits are far below)."""
MAX_PAUSES = 100
MAX_SPAN_DAYS = 366 * 20
"""Longest span of days (a pause, or ``count_at``'s interval) a request may ask about."""


def _check_request(days: Sequence[date], pauses: Sequence[Pause]) -> None:
    for d in days:
        if not FIRST_YEAR <= d.year <= LAST_YEAR:
            raise Invalid("calendar.year_out_of_range", f"日期 {d} 超出 {FIRST_YEAR}–{LAST_YEAR} 年",
                          f"{d} is outside the years {FIRST_YEAR}–{LAST_YEAR}", day=d.isoformat())
    if len(pauses) > MAX_PAUSES:
        raise Invalid("calendar.too_many_pauses", f"暂停区间不能超过 {MAX_PAUSES} 个",
                      f"at most {MAX_PAUSES} pauses", field="pauses")
    for begin, end in pauses:
        if abs((end - begin).days) > MAX_SPAN_DAYS:
            raise Invalid("calendar.span_too_long", f"暂停区间 {begin}–{end} 过长",
                          f"pause {begin}–{end} is too long", field="pauses")


async def _tenant_path(session: AsyncSession, principal: Principal,
                       tenant_code: str | None) -> str | None:
    if tenant_code is None:
        return None
    return (await access_tenant(session, principal, tenant_code)).path


async def deadline_at(session: AsyncSession, principal: Principal, tenant_code: str | None,
                      start: date, days: int, pauses: Sequence[Pause] = ()) -> Deadline:
    """The ``days``-th working day after ``start`` as seen at ``tenant_code`` (its chain's
    regional overrides apply; None: the national calendar), with its derivation.

    The tenant is read through ``access_tenant`` (not yours = ``tenant.not_found``). Loads
    ``start.year`` to ``start.year + 2`` or further when the limit (or a pause) reaches
    beyond, so a long limit never reads a stored year as unpublished.
    """
    if days > MAX_LIMIT:
        raise Invalid("calendar.limit_too_large", f"期限不能超过 {MAX_LIMIT} 个工作日",
                      f"limit must be at most {MAX_LIMIT} working days", field="limit")
    pauses = list(pauses)
    _check_request([start], pauses)
    path = await _tenant_path(session, principal, tenant_code)
    # A generous first guess: 7/5 calendar days per working day, plus holidays and pauses.
    paused_days = sum(max((e - b).days + 1, 0) for b, e in pauses)
    guess = start + timedelta(days=days * 7 // 5 + days // 5 + 40 + paused_days)
    last = max(start.year + 2, guess.year)
    while True:
        cal = await load_calendar(session, path, range(start.year, last + 1))
        deadline = cal.add_working_days(start, days, pauses)
        if deadline.due.year <= last:
            return deadline
        last = deadline.due.year + 1  # reached a year not loaded: load it and count again


async def count_at(session: AsyncSession, principal: Principal, tenant_code: str | None,
                   start: date, end: date, pauses: Sequence[Pause] = ()) -> int:
    """Working days in ``(start, end]`` outside ``pauses`` as seen at ``tenant_code``
    (negative when ``end < start``)."""
    pauses = list(pauses)
    _check_request([start, end], pauses)
    if abs((end - start).days) > MAX_SPAN_DAYS:
        raise Invalid("calendar.span_too_long", f"{start}–{end} 跨度过长",
                      f"{start}–{end} spans too many days", field="to")
    path = await _tenant_path(session, principal, tenant_code)
    low, high = min(start, end), max(start, end)
    cal = await load_calendar(session, path, range(low.year, high.year + 1))
    return cal.count_working_days(start, end, pauses)


@dataclass(frozen=True)
class YearDay:
    """One exception day of a year as the clock applies it."""

    day: date
    kind: str  # holiday | workday
    name: str
    source: str  # chinese_calendar | notice | provisional | override
    provisional: bool
    tenant_path: str | None = None  # the tenant that set an override


@dataclass(frozen=True)
class YearCalendar:
    year: int
    status: str  # published | provisional
    source: str  # chinese_calendar | notice | provisional_rule
    imported_at: datetime | None
    days: tuple[YearDay, ...]


async def calendar_year(session: AsyncSession, year: int,
                        tenant_path: str | None = None) -> YearCalendar:
    """``year``'s status and exception days: the national ones (the provisional rule's,
    flagged, for a year without a published notice), and with ``tenant_path`` the
    overrides of its chain, the nearest winning a day as in the clock.

    The caller resolves ``tenant_path`` through the principal's scope (``access_tenant``).
    """
    for p in _year_problems(year):
        raise Invalid(p.code, p.zh, p.en, field=p.field)
    row = await session.get(CalendarYear, year)
    published = row is not None and row.status == "published"
    days: dict[date, YearDay] = {}
    if published:
        stored = (await session.scalars(select(CalendarDay).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)))).all()
        days = {r.day: YearDay(r.day, r.kind, r.name, r.source, False) for r in stored}
    else:
        days = {d: YearDay(d, k, n, "provisional", True) for d, k, n in rules.provisional_days(year)}
    chain = _chain(tenant_path)
    if chain:
        overrides = (await session.scalars(select(CalendarOverride).where(
            CalendarOverride.tenant_path.in_(chain),
            CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31)))).all()
        for r in sorted(overrides, key=lambda r: len(r.tenant_path)):  # nearest tenant last: wins
            days[r.day] = YearDay(r.day, r.kind, r.name, r.source, False, r.tenant_path)
    if row is not None and published:
        status, source, imported = "published", row.source, row.imported_at
        if imported.tzinfo is None:  # SQLite hands back naive values; stored in UTC
            imported = imported.replace(tzinfo=UTC)
    else:
        status, source, imported = "provisional", "provisional_rule", None
    return YearCalendar(year, status, source, imported, tuple(days[d] for d in sorted(days)))


OVERRIDE_TIERS = ("province", "city", "county")
"""Where regional exceptions are set: the governments of autonomous regions, prefectures
and counties (and any province, city or county) decide ethnic holidays for their area
(《全国年节及纪念日放假办法》 art. 4); townships and villages follow their county."""


async def add_override(session: AsyncSession, principal: Principal, tenant_code: str,
                       day: date, kind: str, name: str) -> CalendarOverride:
    """A regional exception at ``tenant_code`` (applies to its subtree); replaces the one
    already on that day there. Needs ``calendar:write`` there; the tenant must be a
    province, city or county (``OVERRIDE_TIERS``). Audited; announces ``calendar.changed``."""
    if kind not in DAY_KINDS:
        raise Invalid("calendar.kind", f"类型必须是 {'/'.join(DAY_KINDS)}",
                      f"kind must be one of {', '.join(DAY_KINDS)}", field="kind")
    if not name or len(name) > 100:
        raise Invalid("calendar.name", "需要名称（不超过100字）",
                      "a name is required (at most 100 characters)", field="name")
    tenant = await access_tenant(session, principal, tenant_code)
    if not can(principal, "write", Resource("calendar", tenant.path)):
        raise PermissionDenied("calendar:write", tenant.path)
    if tenant.tier not in OVERRIDE_TIERS:
        raise Invalid("calendar.override_tier", "只有省、市、县级可以设置地方节假日",
                      "only a province, city or county sets regional holidays",
                      field="tenantCode", tier=tenant.tier)
    for p in _year_problems(day.year):
        raise Invalid(p.code, p.zh, p.en, field="day")
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
