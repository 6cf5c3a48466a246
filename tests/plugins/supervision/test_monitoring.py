"""Live monitoring of a subtree: the figures of the tenant itself (本级) and of each child,
hand-counted against cases driven through intake's services."""

from __future__ import annotations

from datetime import date

import pytest

from tests.plugins.intake.world import ENERGY, MIGRANT, TOWNSHIP, VILLAGE, new_case
from tests.plugins.supervision.world import MON, at, build_supervision_world, principal
from zhengwu.core import clock
from zhengwu.core.errors import NotFound, PermissionDenied
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import monitoring, service
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.tenants import enablement


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


def _figures(f):
    return (f.tenant.code, f.watched, f.paused, f.near_deadline, f.overdue, f.step_over_limit,
            f.yellow_cards, f.red_cards, f.open_tickets)


async def _scenario(s) -> None:
    """宁国市: three energy cases (one paused, one decided with steps skipped), 方塘乡: one
    accepted with a material missing, 方塘村: one agent case; swept and 督办 on 9 Oct."""
    clerk, approver = principal("ng_clerk"), principal("ng_approver")
    ft_clerk, agent = principal("ft_clerk"), principal("ft_agent")
    with clock.freeze(MON):
        county = []
        for _ in range(3):  # due Sat 10 Oct
            case = await intake.submit_case(s, clerk, new_case(ENERGY))
            await intake.accept_case(s, clerk, case.id)
            county.append(case.id)
        town = await intake.submit_case(s, ft_clerk, new_case(MIGRANT, TOWNSHIP, materials=(1, 2)))
        await intake.accept_case(s, ft_clerk, town.id, tolerate_missing=True)  # red at once
        village = await intake.submit_case(s, agent, new_case(MIGRANT, VILLAGE, materials=(1, 2, 3)))
        await intake.accept_case(s, agent, village.id)  # due Wed 30 Sep, handled by 方塘乡
        await s.commit()
        town_no = town.case_no
    with at(2026, 9, 29):
        await intake.suspend_case(s, approver, county[1], "hearing", "听证")
        await s.commit()
    with at(2026, 10, 9):
        await intake.decide_case(s, approver, county[2], approved=True)  # steps skipped: red
        await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
        await service.supervise_case(s, principal("ng_supervisor"), case_no=town_no,
                                     instructions="督办")
        await s.commit()


async def test_figures_of_a_county_and_its_townships(world):
    s = world
    await _scenario(s)
    with at(2026, 10, 9):
        o = await monitoring.overview(s, principal("ng_supervisor"), None, clock.today_shanghai())
    assert o.as_of == date(2026, 10, 9) and o.tenant.code == "341881"
    # code, watched, paused, near, overdue, step, yellow, red, tickets
    assert [_figures(r) for r in o.rows] == [
        ("341881", 2, 1, 1, 0, 0, 1, 1, 0),      # 本级: one near its deadline, one paused
        ("341881100", 0, 0, 0, 0, 0, 0, 0, 0),   # 港口镇: nothing
        # 方塘乡 and its village: both overdue, and both past the statutory limit (3 working
        # days: due Thu 8 Oct) — a second, escalated red card each
        ("341881204", 2, 0, 0, 2, 0, 2, 5, 1),
    ]
    assert [r.subtree for r in o.rows] == [False, True, True]
    assert _figures(o.totals) == ("341881", 4, 1, 1, 2, 0, 3, 6, 1)
    town_view = await monitoring.overview(s, principal("ft_supervisor"), None, date(2026, 10, 9))
    assert [_figures(r) for r in town_view.rows] == [
        ("341881204", 1, 0, 0, 1, 0, 1, 3, 1),    # the township's own case
        ("341881204200", 1, 0, 0, 1, 0, 1, 2, 0),  # 方塘村's agent case
        ("341881204201", 0, 0, 0, 0, 0, 0, 0, 0),  # 双村
    ]
    with pytest.raises(NotFound):
        await monitoring.overview(s, principal("xz_supervisor"), "341881", date(2026, 10, 9))
    with pytest.raises(NotFound):  # an ancestor: readable as a tenant, not monitored from below
        await monitoring.overview(s, principal("ft_supervisor"), "341881", date(2026, 10, 9))
    with pytest.raises(PermissionDenied):
        await monitoring.overview(s, principal("ng_assessor"), None, date(2026, 10, 9))


def _departments(o):
    return [(d.tenant_code, d.department_name, d.watched, d.paused, d.near_deadline, d.overdue,
             d.yellow_cards, d.red_cards) for d in o.departments]


async def test_figures_per_department(world):
    from tests.plugins.intake.world import COUNTY, PROPERTY, SYSTEM, credit
    from zhengwu.core.catalog import implementation
    from zhengwu.core.catalog.inputs import NewImplementation

    s = world
    await implementation.adopt_item(s, SYSTEM, COUNTY, NewImplementation(  # no case: zeros
        basic_code=PROPERTY, department_name="宁国市自然资源和规划局",
        department_credit_code=credit(3), promised_days=10))
    await _scenario(s)
    o = await monitoring.overview(s, principal("ng_supervisor"), None, date(2026, 10, 9))
    # handling tenant, department, watched, paused, near, overdue, yellow, red — by hand:
    assert _departments(o) == [
        # two open energy cases (one paused, one near its deadline: yellow), and the decided
        # one's red skipped-steps card standing
        ("341881", "宁国市数据资源管理局", 2, 1, 1, 0, 1, 1),
        ("341881", "宁国市自然资源和规划局", 0, 0, 0, 0, 0, 0),
        # 方塘乡 handles its own case and 方塘村's agent case: both overdue, each with a yellow
        # and a red deadline card, plus the missing material's red card
        ("341881204", "方塘乡人民政府", 2, 0, 0, 2, 2, 5),
    ]
    town = await monitoring.overview(s, principal("ft_supervisor"), None, date(2026, 10, 9))
    assert _departments(town) == [("341881204", "方塘乡人民政府", 2, 0, 0, 2, 2, 5)]
    village = await monitoring.overview(s, principal("ft_supervisor"), VILLAGE, date(2026, 10, 9))
    # 方塘村 implements nothing; its agent case is counted at the department handling it
    assert _departments(village) == [("341881204", "方塘乡人民政府", 1, 0, 0, 1, 1, 2)]
    sibling = await monitoring.overview(s, principal("gk_supervisor"), None, date(2026, 10, 9))
    assert sibling.departments == []


async def test_the_overview_costs_a_constant_number_of_statements(world):
    from sqlalchemy import event

    s = world
    engine = s.bind
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        if "set_config('zhengwu.scope'" not in statement:
            seen.append(statement)

    counts = []
    for rounds in (1, 4):
        with clock.freeze(MON):
            for _ in range(rounds):
                case = await intake.submit_case(s, principal("ng_clerk"), new_case(ENERGY))
                await intake.accept_case(s, principal("ng_clerk"), case.id)
                town = await intake.submit_case(s, principal("ft_clerk"),
                                                new_case(MIGRANT, TOWNSHIP, materials=(1, 2)))
                await intake.accept_case(s, principal("ft_clerk"), town.id, tolerate_missing=True)
            await s.commit()
        seen.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", before)
        try:
            o = await monitoring.overview(s, principal("ng_supervisor"), None, date(2026, 10, 9))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", before)
        counts.append(len(seen))
        assert o.totals.watched == 2 * (1 if rounds == 1 else 5)
    assert counts[0] == counts[1], counts
