"""GraphQL of the working-day clock (工作日历): deadlines, working-day counts, a year's days,
the yearly notice (platform) and regional days (province, city and county tiers).

**Reuse**: ``WorkingDeadline`` (with ``SkippedDay`` and ``SkipReason``) is THE type for every
working-day deadline the API exposes. Plugins (intake, disclosure, …) import it from
``zhengwu.graphql.calendar`` and build it with ``WorkingDeadline.from_deadline(deadline)``
(or ``from_deadline(Deadline.from_dict(stored_json))``), so that every deadline comes with
the same derivation object (architecture: "working-day deadlines come with their derivation
object, not only a date"). Do not define another deadline type.

Resolvers translate only; the rules live in ``zhengwu.core.calendar.service``. Queries answer
at the acting tenant (its chain's regional overrides apply) for any signed-in caller: the
calendar is public knowledge, no permission is needed to read it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.calendar import service
from zhengwu.core.calendar.service import CalendarChange, DayRow, Deadline, YearCalendar, YearDay
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.types import Info
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "CalendarDay", "CalendarDayKind", "CalendarNoticeMutation", "CalendarOverrideMutation",
    "CalendarQuery", "CalendarYear", "CalendarYearStatus", "DateSpanInput", "SkipReason",
    "SkippedDay", "WorkingDeadline",
]


# ------------------------------------------------------------------------------ types

@strawberry.enum(description="不计时原因 — why a day did not count towards a deadline.")
class SkipReason(Enum):
    HOLIDAY = strawberry.enum_value("holiday", description="节假日 (national, regional or provisional)")
    WEEKEND = strawberry.enum_value("weekend", description="周末 (an ordinary Saturday or Sunday)")
    PAUSED = strawberry.enum_value("paused", description="暂停计时 (补正、中止 …: the clock stood still)")


@strawberry.type(description="A day skipped while counting a deadline, and why.")
class SkippedDay:
    day: date
    reason: SkipReason
    name: str = strawberry.field(
        description="The holiday's name (国庆节), the weekday (周六) or 暂停计时.")


@strawberry.type(description="期限 — a working-day deadline with its derivation. The due date is "
                             "the `limit`-th working day strictly after `start` (the start never "
                             "counts); `skipped` lists every day passed over. Reused by every "
                             "plugin that exposes a deadline.")
class WorkingDeadline:
    start: date = strawberry.field(description="The day the clock starts from (e.g. 受理日).")
    limit: int = strawberry.field(description="The limit in working days.")
    due: date = strawberry.field(description="The due date (到期日).")
    provisional: bool = strawberry.field(
        description="True when a day reckoned lies in a year without a published State Council "
                    "notice (reckoned by the provisional rule; may move once it is imported).")
    provisional_years: list[int] = strawberry.field(description="Those years.")
    skipped: list[SkippedDay] = strawberry.field(description="Every day passed over, in order.")
    paused: list[date] = strawberry.field(description="The paused days that were passed over.")

    @classmethod
    def from_deadline(cls, d: Deadline) -> WorkingDeadline:
        return cls(start=d.start, limit=d.limit, due=d.due, provisional=d.provisional,
                   provisional_years=list(d.provisional_years),
                   skipped=[SkippedDay(day=s.day, reason=SkipReason(s.reason), name=s.name)
                            for s in d.skipped],
                   paused=list(d.paused))


@strawberry.enum(description="日历例外日类型 — the kind of an exception day.")
class CalendarDayKind(Enum):
    HOLIDAY = strawberry.enum_value("holiday", description="休息日 (节假日, 民族节日)")
    WORKDAY = strawberry.enum_value("workday", description="上班日 (调休 on a weekend)")


@strawberry.enum(description="年度日历状态 — whether a year's national calendar is known.")
class CalendarYearStatus(Enum):
    PUBLISHED = strawberry.enum_value(
        "published", description="已发布: from the State Council's notice")
    PROVISIONAL = strawberry.enum_value(
        "provisional", description="暂定: no notice yet; the 2024 statutory holidays, no 调休")


@strawberry.type(description="An exception day of the calendar: a holiday or a make-up workday.")
class CalendarDay:
    day: date
    kind: CalendarDayKind
    name: str
    source: str = strawberry.field(
        description="chinese_calendar | notice | provisional | override")
    provisional: bool = strawberry.field(description="From the provisional rule (no notice yet).")
    tenant_code: str | None = strawberry.field(
        description="For a regional override: the tenant that set it (its subtree follows it).")

    @classmethod
    def from_year_day(cls, d: YearDay) -> CalendarDay:
        return cls(day=d.day, kind=CalendarDayKind(d.kind), name=d.name, source=d.source,
                   provisional=d.provisional,
                   tenant_code=d.tenant_path.rsplit("/", 1)[-1] if d.tenant_path else None)

    @classmethod
    def from_row(cls, r: DayRow, source: str, provisional: bool = False) -> CalendarDay:
        return cls(day=r.day, kind=CalendarDayKind(r.kind), name=r.name, source=source,
                   provisional=provisional, tenant_code=None)


@strawberry.type(description="年度日历 — a year's status and exception days as seen at a tenant.")
class CalendarYear:
    year: int
    status: CalendarYearStatus
    source: str = strawberry.field(description="chinese_calendar | notice | provisional_rule")
    imported_at: datetime | None
    days: list[CalendarDay] = strawberry.field(
        description="Holidays and make-up workdays in date order: the national ones and the "
                    "regional overrides of the acting tenant's chain (the nearest wins a day).")

    @classmethod
    def from_year(cls, y: YearCalendar) -> CalendarYear:
        return cls(year=y.year, status=CalendarYearStatus(y.status), source=y.source,
                   imported_at=y.imported_at, days=[CalendarDay.from_year_day(d) for d in y.days])


@strawberry.input(description="A span of days, both ends included (a pause: 补正, 中止 …).")
class DateSpanInput:
    from_: date = strawberry.field(name="from")
    to: date


def _pauses(pauses: list[DateSpanInput] | None) -> list[tuple[date, date]]:
    return [(p.from_, p.to) for p in pauses or []]


# ------------------------------------------------------------------------------ queries

@strawberry.type
class CalendarQuery:
    @strawberry.field(description="The `days`-th working day after `start` at the acting tenant "
                                  "(regional overrides apply), with its derivation; `pauses` do "
                                  "not count.")
    async def working_deadline(self, info: Info, start: date, days: int,
                               pauses: list[DateSpanInput] | None = None) -> WorkingDeadline:
        ctx = info.context
        deadline = await service.deadline_at(ctx.session, ctx.principal, ctx.principal.acting_code,
                                             start, days, _pauses(pauses))
        return WorkingDeadline.from_deadline(deadline)

    @strawberry.field(description="Working days in (from, to] at the acting tenant, paused days "
                                  "not counting (negative when `to` is before `from`).")
    async def working_days(self, info: Info, from_: Annotated[date, strawberry.argument(name="from")],
                           to: date, pauses: list[DateSpanInput] | None = None) -> int:
        ctx = info.context
        return await service.count_at(ctx.session, ctx.principal, ctx.principal.acting_code,
                                      from_, to, _pauses(pauses))

    @strawberry.field(description="A year's calendar at the acting tenant: status, source and its "
                                  "exception days.")
    async def calendar_year(self, info: Info, year: int) -> CalendarYear | None:
        ctx = info.context
        tenant = await access_tenant(ctx.session, ctx.principal, ctx.principal.acting_code)
        return CalendarYear.from_year(await service.calendar_year(ctx.session, year, tenant.path))


# ------------------------------------------------------------------------------ mutations

@strawberry.input(description="A holiday range of the notice (both ends included).")
class HolidayRangeInput:
    from_: date = strawberry.field(name="from")
    to: date
    name: str = strawberry.field(description="e.g. 国庆节")


@strawberry.input(description="A make-up workday (调休上班日, a Saturday or Sunday) of the notice.")
class MakeUpWorkdayInput:
    day: date
    name: str = strawberry.field(description="The holiday it makes up for, e.g. 国庆节")


@strawberry.input(description="国务院办公厅关于部分节假日安排的通知 — a year's notice as data; "
                              "replaces that year's national days.")
class ImportHolidayNoticeInput:
    year: int
    holidays: list[HolidayRangeInput]
    workdays: list[MakeUpWorkdayInput] = strawberry.field(default_factory=list)


@strawberry.type
class ImportHolidayNoticePayload:
    calendar_year: CalendarYear | None = strawberry.field(description="The national year as imported.")
    added: list[CalendarDay] = strawberry.field(
        description="Days new against what the clock used before (the provisional rule for a "
                    "year without a notice).")
    removed: list[CalendarDay]
    changed: list[CalendarDay] = strawberry.field(description="Days whose kind or name changed (new).")
    errors: list[UserError]


@strawberry.input(description="A regional holiday or workday (民族节日 …) at a tenant for its "
                              "subtree; replaces the one already set there on that day.")
class AddCalendarOverrideInput:
    tenant_code: str = strawberry.field(description="A province, city or county (区划代码).")
    day: date
    kind: CalendarDayKind
    name: str


@strawberry.type
class AddCalendarOverridePayload:
    override: CalendarDay | None
    errors: list[UserError]


@strawberry.type
class CalendarNoticeMutation:
    @strawberry.mutation(description="Import the State Council's yearly holiday notice (needs "
                                     "calendar:import at the platform).")
    async def import_holiday_notice(self, info: Info, input: ImportHolidayNoticeInput
                                    ) -> ImportHolidayNoticePayload:
        async def work(s: AsyncSession, p: Principal) -> tuple[CalendarChange, YearCalendar]:
            change = await service.import_notice_ranges(
                s, p, input.year, [(h.from_, h.to, h.name) for h in input.holidays],
                [(w.day, w.name) for w in input.workdays])
            return change, await service.calendar_year(s, input.year)

        result, errors = await _mutate(info, work)
        if result is None:
            return ImportHolidayNoticePayload(calendar_year=None, added=[], removed=[], changed=[],
                                              errors=errors)
        change, year = result
        before = "notice" if change.previous_status == "published" else "provisional"
        return ImportHolidayNoticePayload(
            calendar_year=CalendarYear.from_year(year),
            added=[CalendarDay.from_row(r, "notice") for r in change.added],
            removed=[CalendarDay.from_row(r, before, before == "provisional") for r in change.removed],
            changed=[CalendarDay.from_row(new, "notice") for _old, new in change.changed],
            errors=errors)


@strawberry.type
class CalendarOverrideMutation:
    @strawberry.mutation(description="Set a regional holiday or workday at a province, city or "
                                     "county for its subtree (needs calendar:write there).")
    async def add_calendar_override(self, info: Info, input: AddCalendarOverrideInput
                                    ) -> AddCalendarOverridePayload:
        async def work(s: AsyncSession, p: Principal) -> CalendarDay:
            row = await service.add_override(s, p, input.tenant_code, input.day, str(input.kind.value),
                                             input.name)
            return CalendarDay(day=row.day, kind=CalendarDayKind(row.kind), name=row.name,
                               source=row.source, provisional=False,
                               tenant_code=row.tenant_path.rsplit("/", 1)[-1])

        day, errors = await _mutate(info, work)
        return AddCalendarOverridePayload(override=day, errors=errors)
