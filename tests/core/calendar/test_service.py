"""The stored calendar on both backends: seed, notice import, regional overrides."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.world import build_world
from zhengwu.core.audit import AuditEntry
from zhengwu.core.calendar.models import CalendarDay, CalendarYear
from zhengwu.core.calendar.service import (
    CALENDAR_CHANGED,
    add_override,
    import_notice,
    load_calendar,
    seed_national,
)
from zhengwu.core.errors import Invalid, PermissionDenied
from zhengwu.core.security.principal import Principal

SYSTEM = Principal.system()
NOTICE_2027_HOLIDAYS = [(date(2027, 1, d), "元旦") for d in (1, 2, 3)] + [
    (date(2027, 2, d), "春节") for d in range(5, 13)]
NOTICE_2027_WORKDAYS = [(date(2027, 2, 13), "春节")]


async def test_seed_is_idempotent_and_matches_the_package(system_session: AsyncSession) -> None:
    await seed_national(system_session)
    assert await seed_national(system_session) == 0
    years = (await system_session.scalars(select(CalendarYear.year))).all()
    assert set(range(2004, 2027)) <= set(years)
    sf = await system_session.get(CalendarDay, date(2026, 2, 14))
    assert sf is not None and (sf.kind, sf.name) == ("workday", "春节")
    cal = await load_calendar(system_session, years=[2026])
    assert cal.add_working_days(date(2026, 2, 13), 2).due == date(2026, 2, 24)


async def test_2026_to_2027_boundary_is_provisional_until_the_notice(
        system_session: AsyncSession) -> None:
    await seed_national(system_session)
    await system_session.commit()
    cal = await load_calendar(system_session)
    deadline = cal.add_working_days(date(2026, 12, 10), 20)
    # Dec 11, 14–18, 21–25, 28–31 = 15; Jan 1 2027 元旦 (provisional); Jan 4–8 = 20.
    assert deadline.due == date(2027, 1, 8)
    assert deadline.provisional and deadline.provisional_years == (2027,)
    assert any(s.day == date(2027, 1, 1) and s.name == "元旦" for s in deadline.skipped)

    change = await import_notice(system_session, SYSTEM, 2027, NOTICE_2027_HOLIDAYS,
                                 NOTICE_2027_WORKDAYS)
    await system_session.commit()
    assert change.years == (2027,) and change.event.name == CALENDAR_CHANGED
    assert change.event.payload["years"] == [2027]
    cal = await load_calendar(system_session)
    after = cal.add_working_days(date(2026, 12, 10), 20)
    assert after.due == date(2027, 1, 8) and not after.provisional
    # The notice's own days now rule 2027: Feb 5–12 off, Sat Feb 13 worked.
    assert cal.add_working_days(date(2027, 2, 4), 1).due == date(2027, 2, 13)
    year = await system_session.get(CalendarYear, 2027)
    assert year is not None and (year.status, year.source) == ("published", "notice")
    entry = await system_session.scalar(
        select(AuditEntry).where(AuditEntry.action == "calendar.import_notice"))
    assert entry is not None and entry.target_id == "2027"

    # Re-importing replaces the year's rows (the Feb 13 make-up day is gone).
    await import_notice(system_session, SYSTEM, 2027, NOTICE_2027_HOLIDAYS, [])
    await system_session.commit()
    cal = await load_calendar(system_session, years=[2027])
    assert not cal.is_workday(date(2027, 2, 13))


async def test_import_notice_checks_input_and_permission(system_session: AsyncSession) -> None:
    with pytest.raises(PermissionDenied):
        await import_notice(system_session, Principal.anonymous(), 2027, NOTICE_2027_HOLIDAYS, [])
    with pytest.raises(Invalid) as err:
        await import_notice(system_session, SYSTEM, 2027, [(date(2028, 1, 1), "元旦")], [])
    assert err.value.code == "calendar.wrong_year"
    with pytest.raises(Invalid) as err:
        await import_notice(system_session, SYSTEM, 2027, [], [(date(2027, 2, 10), "春节")])
    assert err.value.code == "calendar.workday_on_weekday"


async def test_regional_override_applies_down_the_tree_only(
        system_session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    paths = await build_world(system_session)
    await seed_national(system_session)
    # A regional holiday of 内蒙古 (test data) on Monday 2026-12-14.
    row = await add_override(system_session, SYSTEM, "15", date(2026, 12, 14), "holiday",
                             "自治区节日（测试）")
    await system_session.commit()
    assert row.tenant_path == "15"

    async with sessionmaker() as session:  # 二连浩特市's own scope: reads its ancestors' rows
        session.info["scope"] = paths["other_county"]
        cal = await load_calendar(session, paths["other_county"])
    deadline = cal.add_working_days(date(2026, 12, 10), 20)
    assert deadline.due == date(2027, 1, 11)
    assert any(s.name == "自治区节日（测试）" for s in deadline.skipped_holidays())

    async with sessionmaker() as session:  # 宁国市: not below 15, unchanged
        session.info["scope"] = paths["county"]
        cal = await load_calendar(session, paths["county"])
    assert cal.add_working_days(date(2026, 12, 10), 20).due == date(2027, 1, 8)

    # A nearer override wins: 二连浩特市 works that day after all.
    await add_override(system_session, SYSTEM, "152501", date(2026, 12, 14), "workday",
                       "市内调整（测试）")
    await system_session.commit()
    cal = await load_calendar(system_session, paths["other_county"])
    assert cal.is_workday(date(2026, 12, 14))
    cal = await load_calendar(system_session, "15/1525")
    assert not cal.is_workday(date(2026, 12, 14))
    actions = (await system_session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "calendar.override"))).all()
    assert len(actions) == 2


async def test_override_rejects_bad_kind(system_session: AsyncSession) -> None:
    await build_world(system_session)
    with pytest.raises(Invalid):
        await add_override(system_session, SYSTEM, "15", date(2026, 12, 14), "party", "x")


# ------------------------------------------------------------------ the clock at a tenant

async def test_deadline_at_and_count_at_a_tenant(system_session: AsyncSession) -> None:
    from zhengwu.core.calendar.service import count_at, deadline_at

    await build_world(system_session)
    await seed_national(system_session)
    await system_session.commit()
    # 2026-09-28 + 5: Sep 29, 30, (Oct 1–7 国庆节), Oct 8, 9 and the make-up Saturday Oct 10.
    deadline = await deadline_at(system_session, SYSTEM, "341881", date(2026, 9, 28), 5)
    assert deadline.due == date(2026, 10, 10) and not deadline.provisional
    assert [s.day.day for s in deadline.skipped_holidays()] == list(range(1, 8))
    assert await count_at(system_session, SYSTEM, "341881", date(2026, 9, 28),
                          date(2026, 10, 10)) == 5
    paused = await deadline_at(system_session, SYSTEM, None, date(2026, 9, 28), 5,
                               [(date(2026, 10, 10), date(2026, 10, 12))])
    assert paused.due == date(2026, 10, 13) and paused.paused[0] == date(2026, 10, 10)
    with pytest.raises(Exception) as err:
        await deadline_at(system_session, Principal.anonymous(), "341881", date(2026, 9, 28), 5)
    assert getattr(err.value, "code", None) == "tenant.not_found"
    with pytest.raises(Invalid) as err:
        await deadline_at(system_session, SYSTEM, None, date(2026, 9, 28), 10**6)
    assert err.value.code == "calendar.limit_too_large"
    with pytest.raises(Invalid) as err:
        await deadline_at(system_session, SYSTEM, None, date(2200, 1, 1), 5)
    assert err.value.code == "calendar.year_out_of_range"


async def test_long_limits_load_every_year_they_reach(system_session: AsyncSession) -> None:
    """A limit crossing several years reads each one: a published 2027 is not provisional."""
    from zhengwu.core.calendar.service import count_at, deadline_at

    await seed_national(system_session)
    await import_notice(system_session, SYSTEM, 2027, NOTICE_2027_HOLIDAYS, NOTICE_2027_WORKDAYS)
    await system_session.commit()
    everything = await load_calendar(system_session)
    start = date(2024, 1, 2)
    for limit in (600, 800):  # due in 2026 / 2027: three and four years loaded
        deadline = await deadline_at(system_session, SYSTEM, None, start, limit)
        assert deadline == everything.add_working_days(start, limit)
        assert await count_at(system_session, SYSTEM, None, start, deadline.due) == limit
    assert deadline.due.year == 2027 and not deadline.provisional
    longer = await deadline_at(system_session, SYSTEM, None, start, 1100)
    assert longer.due.year == 2028 and longer.provisional_years == (2028,)


async def test_calendar_year_national_provisional_and_regional(system_session: AsyncSession) -> None:
    from zhengwu.core.calendar.service import calendar_year

    paths = await build_world(system_session)
    await seed_national(system_session)
    await add_override(system_session, SYSTEM, "152501", date(2026, 10, 12), "holiday", "那达慕（测试）")
    await system_session.commit()
    y2026 = await calendar_year(system_session, 2026)
    assert (y2026.status, y2026.source) == ("published", "chinese_calendar")
    assert y2026.imported_at is not None and y2026.imported_at.tzinfo is not None
    days = {d.day: d for d in y2026.days}
    assert days[date(2026, 10, 1)].name == "国庆节" and days[date(2026, 10, 10)].kind == "workday"
    assert date(2026, 10, 12) not in days and not any(d.provisional for d in y2026.days)
    regional = {d.day: d for d in (await calendar_year(system_session, 2026, paths["other_county"])).days}
    assert regional[date(2026, 10, 12)].tenant_path == paths["other_county"]
    assert regional[date(2026, 10, 12)].source == "override"
    assert date(2026, 10, 12) not in {d.day for d in (await calendar_year(
        system_session, 2026, paths["county"])).days}
    y2027 = await calendar_year(system_session, 2027)
    assert (y2027.status, y2027.source, y2027.imported_at) == ("provisional", "provisional_rule", None)
    assert len(y2027.days) == 13 and all(d.provisional for d in y2027.days)


async def test_notice_problems_are_all_named(system_session: AsyncSession) -> None:
    from zhengwu.core.calendar.service import import_notice_ranges, notice_from_dict

    with pytest.raises(Invalid) as err:
        notice_from_dict({"year": 2027, "holiday": [],
                          "workdays": [{"day": "2027-02-10", "name": "春节"}, {"name": "x"}]})
    assert err.value.code == "calendar.invalid_notice"
    assert {(p.field, p.code) for p in err.value.params["problems"]} == {
        ("holiday", "calendar.unknown_key"), ("holidays", "calendar.missing_key"),
        ("workdays[0]", "calendar.workday_on_weekday"), ("workdays[1].day", "calendar.missing_key")}
    with pytest.raises(PermissionDenied):  # permission before the content
        await import_notice_ranges(system_session, Principal.anonymous(), 2027,
                                   [(date(2027, 1, 3), date(2027, 1, 1), "元旦")], [])
    with pytest.raises(Invalid) as err:
        await import_notice_ranges(system_session, SYSTEM, 2027,
                                   [(date(2027, 1, 3), date(2027, 1, 1), "元旦")], [])
    assert err.value.code == "calendar.range_order"
    assert await system_session.get(CalendarYear, 2027) is None


async def test_overrides_only_at_province_city_or_county(system_session: AsyncSession) -> None:
    await build_world(system_session)
    with pytest.raises(Invalid) as err:
        await add_override(system_session, SYSTEM, "341881204", date(2026, 12, 14), "holiday", "x")
    assert err.value.code == "calendar.override_tier"
