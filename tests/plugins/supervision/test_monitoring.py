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


async def test_figures_of_a_county_and_its_townships(world):
    s = world
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
        o = await monitoring.overview(s, principal("ng_supervisor"), None, clock.today_shanghai())
    assert o.as_of == date(2026, 10, 9) and o.tenant.code == "341881"
    # code, watched, paused, near, overdue, step, yellow, red, tickets
    assert [_figures(r) for r in o.rows] == [
        ("341881", 2, 1, 1, 0, 0, 1, 1, 0),      # 本级: one near its deadline, one paused
        ("341881100", 0, 0, 0, 0, 0, 0, 0, 0),   # 港口镇: nothing
        ("341881204", 2, 0, 0, 2, 0, 2, 3, 1),   # 方塘乡 and its village: both overdue
    ]
    assert [r.subtree for r in o.rows] == [False, True, True]
    assert _figures(o.totals) == ("341881", 4, 1, 1, 2, 0, 3, 4, 1)
    town_view = await monitoring.overview(s, principal("ft_supervisor"), None, date(2026, 10, 9))
    assert [_figures(r) for r in town_view.rows] == [
        ("341881204", 1, 0, 0, 1, 0, 1, 2, 1),    # the township's own case
        ("341881204200", 1, 0, 0, 1, 0, 1, 1, 0),  # 方塘村's agent case
        ("341881204201", 0, 0, 0, 0, 0, 0, 0, 0),  # 双村
    ]
    with pytest.raises(NotFound):
        await monitoring.overview(s, principal("xz_supervisor"), "341881", date(2026, 10, 9))
    with pytest.raises(NotFound):  # an ancestor: readable as a tenant, not monitored from below
        await monitoring.overview(s, principal("ft_supervisor"), "341881", date(2026, 10, 9))
    with pytest.raises(PermissionDenied):
        await monitoring.overview(s, principal("ng_assessor"), None, date(2026, 10, 9))
