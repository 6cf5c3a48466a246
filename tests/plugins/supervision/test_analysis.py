"""Trends by week and month, and performance per clerk, hand-counted against cases driven
through intake's services (the monitoring test's county plus a complaint and two ratings)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.plugins.intake.world import ENERGY, MIGRANT, TOWNSHIP, VILLAGE, new_case
from tests.plugins.supervision.world import MON, at, build_supervision_world, principal
from zhengwu.core import clock
from zhengwu.core.errors import Invalid, NotFound, PermissionDenied
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import analysis, complaints, monitoring, ratings
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.tenants import enablement


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    s = system_session
    clerk, approver = principal("ng_clerk"), principal("ng_approver")
    ft_clerk, agent = principal("ft_clerk"), principal("ft_agent")
    with clock.freeze(MON):  # Mon 28 Sep
        county = []
        for _ in range(3):  # due Sat 10 Oct
            case = await intake.submit_case(s, clerk, new_case(ENERGY))
            await intake.accept_case(s, clerk, case.id)
            county.append(case)
        town = await intake.submit_case(s, ft_clerk, new_case(MIGRANT, TOWNSHIP, materials=(1, 2)))
        await intake.accept_case(s, ft_clerk, town.id, tolerate_missing=True)  # red at once
        village = await intake.submit_case(s, agent, new_case(MIGRANT, VILLAGE, materials=(1, 2, 3)))
        await intake.accept_case(s, agent, village.id)
        await s.commit()
    with at(2026, 10, 9):  # Fri 9 Oct
        await intake.decide_case(s, approver, county[2].id, approved=True)  # steps skipped: red
        await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
        await ratings.rate_case(s, clerk, county[2].case_no, 5, "pad")
        await ratings.rate_case(s, clerk, county[2].case_no, 2, "sms")
        await complaints.file_complaint(s, ft_clerk, tenant_code=TOWNSHIP, source="hall",
                                        category="attitude", content="态度差")
        await s.commit()
    return s


def _row(b):
    return (b.start.isoformat(), b.end.isoformat(), b.received, b.completed, b.yellow_cards,
            b.red_cards, b.complaints, b.ratings, b.satisfied)


async def test_trends_by_week_and_month(world):
    s = world
    sup = principal("ng_supervisor")
    weeks = await analysis.trends(s, sup, None, "week", date(2026, 9, 25), date(2026, 10, 11))
    # start, end, received, completed, yellow, red, complaints, ratings, satisfied
    assert [_row(b) for b in weeks.buckets] == [
        ("2026-09-25", "2026-09-27", 0, 0, 0, 0, 0, 0, 0),
        ("2026-09-28", "2026-10-04", 5, 0, 0, 1, 0, 0, 0),   # five accepted; missing material: red
        # yellow: 4 near/over; red: 2 overdue, 2 past the statutory limit, skipped steps
        ("2026-10-05", "2026-10-11", 0, 1, 4, 5, 1, 2, 1),
    ]
    assert weeks.buckets[2].satisfaction_rate == 0.5
    months = await analysis.trends(s, sup, None, "month", date(2026, 9, 1), date(2026, 10, 31))
    assert [_row(b)[2:] for b in months.buckets] == [(5, 0, 0, 1, 0, 0, 0), (0, 1, 4, 5, 1, 2, 1)]
    assert (months.buckets[0].start, months.buckets[1].end) == (date(2026, 9, 1), date(2026, 10, 31))
    town = await analysis.trends(s, principal("ft_supervisor"), None, "month", date(2026, 9, 1),
                                 date(2026, 10, 31))
    assert [_row(b)[2:] for b in town.buckets] == [(2, 0, 0, 1, 0, 0, 0), (0, 0, 2, 4, 1, 0, 0)]


async def test_performance_per_clerk(world):
    s = world
    perf = await analysis.performance(s, principal("ng_supervisor"), None, date(2026, 9, 1),
                                      date(2026, 10, 31))
    got = {f.clerk: (f.accepted, f.decided, f.on_time, f.yellow_cards, f.red_cards, f.ratings,
                     f.bad_ratings) for f in perf.clerks}
    # accepted, decided, on time, yellow, red, ratings, bad ratings
    assert got == {
        # the village case: yellow, then overdue and past the statutory limit
        "ft_agent": (1, 0, 0, 1, 2, 0, 0),
        # the township case: missing material, overdue, past the statutory limit
        "ft_clerk": (1, 0, 0, 1, 3, 0, 0),
        "ng_approver": (0, 1, 1, 0, 1, 0, 0),  # decided on time, steps skipped
        "ng_clerk": (3, 0, 0, 2, 0, 2, 1),     # two near their deadline; the two ratings
    }


async def test_scope_and_bad_input(world):
    s = world
    with pytest.raises(NotFound):
        await analysis.trends(s, principal("xz_supervisor"), "341881", "week", date(2026, 9, 1),
                              date(2026, 9, 30))
    with pytest.raises(PermissionDenied):
        await analysis.performance(s, principal("ng_assessor"), None, date(2026, 9, 1),
                                   date(2026, 9, 30))
    with pytest.raises(Invalid):
        await analysis.trends(s, principal("ng_supervisor"), None, "day", date(2026, 9, 1),
                              date(2026, 9, 30))
    with pytest.raises(Invalid):
        await analysis.performance(s, principal("ng_supervisor"), None, date(2026, 9, 30),
                                   date(2026, 9, 1))


async def test_live_view_counts_complaints_and_rectifications(world):
    s = world
    o = await monitoring.overview(s, principal("ng_supervisor"), None, date(2026, 10, 9))
    figures = [(r.tenant.code, r.open_complaints, r.overdue_complaints, r.open_rectifications,
                r.overdue_rectifications) for r in o.rows]
    assert figures == [
        ("341881", 0, 0, 1, 0),      # the bad SMS rating, due closed by 30 Oct
        ("341881100", 0, 0, 0, 0),
        ("341881204", 1, 0, 0, 0),   # the hall complaint, due 16 Oct
    ]
    later = await monitoring.overview(s, principal("ng_supervisor"), None, date(2026, 11, 2))
    assert (later.totals.open_complaints, later.totals.overdue_complaints,
            later.totals.open_rectifications, later.totals.overdue_rectifications) == (1, 1, 1, 1)


async def test_performance_per_window(world):
    from tests.plugins.intake.world import COUNTY, SYSTEM
    from zhengwu.tenants import venues

    s = world
    centre = await venues.create_venue(s, SYSTEM, COUNTY, venues.NewVenue("service_centre",
                                                                          "宁国市政务服务中心"))
    w1 = await venues.create_window(s, SYSTEM, centre.id, venues.NewWindow("1", "综合受理一号窗"))
    w2 = await venues.create_window(s, SYSTEM, centre.id, venues.NewWindow("2", "综合受理二号窗"))
    await s.commit()
    clerk, approver = principal("ng_clerk"), principal("ng_approver")
    with at(2026, 10, 12):  # Mon 12 Oct
        one = []
        for _ in range(2):
            case = await intake.submit_case(s, clerk, new_case(ENERGY, window_id=w1.id))
            await intake.accept_case(s, clerk, case.id)
            one.append(case)
        await intake.decide_case(s, approver, one[0].id, approved=True)  # steps skipped: red
        await ratings.rate_case(s, clerk, one[0].case_no, 1, "pad")
        await s.commit()
    rows = await analysis.window_performance(s, principal("ng_supervisor"), None,
                                             date(2026, 10, 1), date(2026, 10, 31))
    got = {(r.tenant_code, r.window.number): (r.accepted, r.decided, r.on_time, r.yellow_cards,
                                              r.red_cards, r.ratings, r.bad_ratings) for r in rows}
    assert got == {("341881", "1"): (2, 1, 1, 0, 1, 1, 1), ("341881", "2"): (0,) * 7}
    assert [r.window.id for r in rows] == [w1.id, w2.id]
    town = await analysis.window_performance(s, principal("ft_supervisor"), None,
                                             date(2026, 10, 1), date(2026, 10, 31))
    assert town == []


async def test_live_view_per_window(world):
    from tests.plugins.intake.world import COUNTY, SYSTEM
    from zhengwu.tenants import venues

    s = world
    centre = await venues.create_venue(s, SYSTEM, COUNTY, venues.NewVenue("service_centre",
                                                                          "宁国市政务服务中心"))
    w1 = await venues.create_window(s, SYSTEM, centre.id, venues.NewWindow("1", "综合受理一号窗"))
    await venues.create_window(s, SYSTEM, centre.id, venues.NewWindow("2", "综合受理二号窗"))
    await s.commit()
    clerk = principal("ng_clerk")
    with at(2026, 10, 12):  # due Mon 19 Oct (promised: 5 working days)
        for _ in range(2):
            case = await intake.submit_case(s, clerk, new_case(ENERGY, window_id=w1.id))
            await intake.accept_case(s, clerk, case.id)
        await s.commit()
    o = await monitoring.overview(s, principal("ng_supervisor"), None, date(2026, 10, 20))
    got = [(w.tenant_code, w.window.number, w.watched, w.paused, w.near_deadline, w.overdue)
           for w in o.windows]
    assert got == [("341881", "1", 2, 0, 0, 2), ("341881", "2", 0, 0, 0, 0)]
    near = await monitoring.overview(s, principal("ng_supervisor"), None, date(2026, 10, 16))
    assert [(w.watched, w.near_deadline, w.overdue) for w in near.windows] == [(2, 2, 0), (0, 0, 0)]
    town = await monitoring.overview(s, principal("ft_supervisor"), None, date(2026, 10, 20))
    assert town.windows == []


async def test_performance_per_department(world):
    s = world
    sup = principal("ng_supervisor")

    def figures(rows):
        return [(r.tenant_code, r.department_name, r.accepted, r.decided, r.on_time,
                 r.yellow_cards, r.red_cards, r.ratings, r.bad_ratings) for r in rows]

    rows = await analysis.department_performance(s, sup, None, date(2026, 9, 1),
                                                 date(2026, 10, 31))
    # accepted, decided, on time, yellow, red, ratings, bad ratings — by hand:
    assert figures(rows) == [
        # the three energy cases: one decided on time with steps skipped (red), two near their
        # deadline (yellow), two ratings of the decided one (one bad)
        ("341881", "宁国市数据资源管理局", 3, 1, 1, 2, 1, 2, 1),
        # 方塘乡 handles its own case (missing material, overdue, past the statutory limit) and
        # 方塘村's (overdue, past the statutory limit)
        ("341881204", "方塘乡人民政府", 2, 0, 0, 2, 5, 0, 0),
    ]
    october = await analysis.department_performance(s, sup, None, date(2026, 10, 1),
                                                    date(2026, 10, 31))
    assert figures(october) == [  # accepted in September; the missing material's card too
        ("341881", "宁国市数据资源管理局", 0, 1, 1, 2, 1, 2, 1),
        ("341881204", "方塘乡人民政府", 0, 0, 0, 2, 4, 0, 0),
    ]
    town = await analysis.department_performance(s, principal("ft_supervisor"), None,
                                                 date(2026, 9, 1), date(2026, 10, 31))
    assert figures(town) == [("341881204", "方塘乡人民政府", 2, 0, 0, 2, 5, 0, 0)]
    assert await analysis.department_performance(s, principal("gk_supervisor"), None,
                                                 date(2026, 9, 1), date(2026, 10, 31)) == []
    with pytest.raises(NotFound):
        await analysis.department_performance(s, principal("xz_supervisor"), "341881",
                                              date(2026, 9, 1), date(2026, 10, 31))
    with pytest.raises(PermissionDenied):
        await analysis.department_performance(s, principal("ng_assessor"), None,
                                              date(2026, 9, 1), date(2026, 10, 31))
