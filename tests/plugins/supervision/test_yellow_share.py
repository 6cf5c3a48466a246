"""The share-of-limit yellow rule (``yellow_share_percent``): the working day on which that
share of a case's working days has elapsed — rounded up, paused days not counted — or the
days-left rule's day, whichever comes first; kept by the projection, recomputed by the sweep
when the setting changes or is locked above, and the card raised on that day.

宁国市's 新建供电项目 case accepted on Mon 28 Sep 2026 is due Sat 10 Oct (a make-up working
day): its five working days are 29 and 30 Sep, 8, 9 and 10 Oct — the National Day holiday
(1–7 Oct) in between does not count. One working day left (the default ``yellow_days``) comes
on Fri 9 Oct."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import COUNTY, ENERGY, SYSTEM, new_case
from tests.plugins.supervision.test_thresholds import CAL
from tests.plugins.supervision.world import (
    MON,
    PATHS,
    at,
    build_supervision_world,
    cards,
    principal,
    watched,
)
from zhengwu.core import clock
from zhengwu.core.errors import Conflict
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import jobs
from zhengwu.plugins.supervision.settings import SupervisionSettings
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.plugins.supervision.thresholds import (
    SettingRegions,
    share_elapsed_on,
    yellow_day,
)
from zhengwu.tenants import enablement
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant

CLERK, APPROVER = principal("ng_clerk"), principal("ng_approver")
SEP28, OCT10 = date(2026, 9, 28), date(2026, 10, 10)


# ------------------------------------------------------------------ arithmetic (no database)

def test_the_share_is_counted_in_working_days_and_rounded_up():
    # 29, 30 Sep | holiday 1–7 Oct | 8, 9, 10 Oct: five working days
    assert share_elapsed_on(CAL, SEP28, OCT10, 20) == date(2026, 9, 29)   # 1 of 5
    assert share_elapsed_on(CAL, SEP28, OCT10, 40) == date(2026, 9, 30)   # 2 of 5
    assert share_elapsed_on(CAL, SEP28, OCT10, 41) == date(2026, 10, 8)   # 2.05 → the 3rd
    assert share_elapsed_on(CAL, SEP28, OCT10, 50) == date(2026, 10, 8)   # 2.5 → the 3rd
    assert share_elapsed_on(CAL, SEP28, OCT10, 80) == date(2026, 10, 9)   # 4 of 5
    assert share_elapsed_on(CAL, SEP28, OCT10, 99) == OCT10               # 4.95 → the 5th
    assert share_elapsed_on(CAL, SEP28, OCT10, 1) == date(2026, 9, 29)
    # due on the day of acceptance: no working day to share, yellow at once
    assert share_elapsed_on(CAL, SEP28, SEP28, 50) == SEP28


def test_paused_days_do_not_count():
    # paused 29 Sep – 8 Oct: the due date moved to Wed 14 Oct; working days 9, 10, 12, 13, 14
    pause = ((date(2026, 9, 29), date(2026, 10, 8)),)
    assert share_elapsed_on(CAL, SEP28, date(2026, 10, 14), 50, pause) == date(2026, 10, 12)
    assert share_elapsed_on(CAL, SEP28, date(2026, 10, 14), 50) == date(2026, 10, 9)  # 29, 30, 8…


def test_the_earlier_of_the_two_rules():
    assert yellow_day(CAL, OCT10, 1) == date(2026, 10, 9)  # the share rule off
    assert yellow_day(CAL, OCT10, 1, percent=50, accepted=SEP28) == date(2026, 10, 8)
    assert yellow_day(CAL, OCT10, 1, percent=90, accepted=SEP28) == date(2026, 10, 9)  # days
    assert yellow_day(CAL, OCT10, 1, percent=50, accepted=None) == date(2026, 10, 9)


# ------------------------------------------------------------------------- with the database

@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def _run(s):
    report = await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
    await s.commit()
    return report


async def _accept(s, n=1):
    ids = []
    with clock.freeze(MON):
        for _ in range(n):
            case = await intake.submit_case(s, CLERK, new_case(ENERGY))
            await intake.accept_case(s, CLERK, case.id)
            ids.append(case.id)
        await s.commit()
    return ids


async def test_the_projection_applies_the_share_at_acceptance(world):
    s = world
    await tenant_settings.set_setting(s, SYSTEM, COUNTY, "supervision", "yellow_share_percent", 50)
    await s.commit()
    [case_id] = await _accept(s)
    row = await watched(s, case_id)
    assert (row.due_date, row.yellow_days, row.yellow_share, row.yellow_on) == (
        OCT10, 1, 50, date(2026, 10, 8))
    with at(2026, 10, 7):
        assert (await _run(s)).near_deadline == 0
    with at(2026, 10, 8):
        r = await _run(s)
        assert (r.recomputed, r.near_deadline) == (0, 1)
        assert (await _run(s)).raised == 0
    assert await cards(s, case_id) == [("near_deadline", "")]


async def test_a_pause_moves_the_share_day(world):
    s = world
    await tenant_settings.set_setting(s, SYSTEM, COUNTY, "supervision", "yellow_share_percent", 50)
    await s.commit()
    [case_id] = await _accept(s)
    with at(2026, 9, 29):
        await intake.suspend_case(s, APPROVER, case_id, "hearing", "听证")
        await s.commit()
    with at(2026, 10, 9):
        await intake.resume_case(s, APPROVER, case_id)
        await s.commit()
    row = await watched(s, case_id)
    pause = (date.fromisoformat(row.pauses[0][0]), date.fromisoformat(row.pauses[0][1]))
    assert pause == (date(2026, 9, 29), date(2026, 10, 8))
    # 29 Sep to 8 Oct paused: the five working days are 9, 10, 12, 13 and 14 Oct (intake moved
    # the due date past the pause), half of them elapsed on the 3rd, Mon 12 Oct
    assert row.due_date == date(2026, 10, 14)
    assert row.yellow_on == date(2026, 10, 12) == share_elapsed_on(
        CAL, SEP28, row.due_date, 50, (pause,))
    # the sweep, recomputing from scratch (a calendar change forgets the day), agrees
    await jobs.forget_thresholds(s, PATHS[COUNTY], [2026])
    await s.commit()
    with at(2026, 10, 10):
        r = await _run(s)
    assert (r.recomputed, r.near_deadline) == (1, 0)
    assert (await watched(s, case_id)).yellow_on == date(2026, 10, 12)
    with at(2026, 10, 12):
        assert (await _run(s)).near_deadline == 1


async def test_the_sweep_follows_a_setting_and_a_provincial_lock(world):
    s = world
    ids = await _accept(s, 2)
    assert (await watched(s, ids[0])).yellow_on == date(2026, 10, 9)  # days left only
    await tenant_settings.set_setting(s, SYSTEM, COUNTY, "supervision", "yellow_share_percent", 80)
    await s.commit()
    with at(2026, 9, 29):
        r = await _run(s)
    assert r.recomputed == 2
    row = await watched(s, ids[0])
    assert (row.yellow_share, row.yellow_on) == (80, date(2026, 10, 9))  # 4 of 5: the 9th too
    # the province locks 40 % for every tenant below it: the county's 80 is shadowed
    await tenant_settings.lock_setting(s, SYSTEM, "34", "supervision", "yellow_share_percent", 40)
    await s.commit()
    with pytest.raises(Conflict) as refused:
        await tenant_settings.set_setting(s, SYSTEM, COUNTY, "supervision",
                                          "yellow_share_percent", 90)
    assert refused.value.code == "setting.locked"
    await s.rollback()
    regions = await SettingRegions.load(s, "yellow_share_percent")
    for path in (*PATHS.values(), "34"):
        tenant = await s.scalar(select(Tenant).where(Tenant.path == path))
        resolved = await tenant_settings.resolve(s, tenant, SupervisionSettings)
        assert regions.at(path) == resolved.yellow_share_percent, path
    assert regions.at(PATHS[COUNTY]) == 40 and regions.at("15/1525") is None
    with at(2026, 9, 29):
        r = await _run(s)
        assert (r.recomputed, r.near_deadline) == (2, 0)
        assert (await _run(s)).recomputed == 0  # idempotent
    assert (await watched(s, ids[0])).yellow_on == date(2026, 9, 30)  # 2 of 5
    with at(2026, 9, 30):
        assert (await _run(s)).near_deadline == 2  # the card on the right day
    # the lock lifted and the county's own override gone: back to the days-left rule
    await tenant_settings.unset_setting(s, SYSTEM, "34", "supervision", "yellow_share_percent")
    await tenant_settings.unset_setting(s, SYSTEM, COUNTY, "supervision", "yellow_share_percent")
    await s.commit()
    with at(2026, 9, 30):
        assert (await _run(s)).recomputed == 2
    row = await watched(s, ids[0])
    assert (row.yellow_share, row.yellow_on) == (None, date(2026, 10, 9))


async def test_the_setting_is_bounded(world):
    from zhengwu.core.errors import Invalid

    s = world
    for bad in (0, 100, "half"):
        with pytest.raises(Invalid) as refused:
            await tenant_settings.set_setting(s, SYSTEM, COUNTY, "supervision",
                                              "yellow_share_percent", bad)
        assert refused.value.code == "setting.invalid_value"
