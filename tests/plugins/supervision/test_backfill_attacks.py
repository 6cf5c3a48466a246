"""Attacks on the snapshot listener (``backfill.on_case_snapshot``): a snapshot is announced
by intake for one of its own cases, stamped with that case's tenant. A snapshot stamped with
one tenant must never change the projection row of a case of another tenant (a plugin, or a
bug, that announces one with a foreign ``case_id`` must not reach across the tree)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.plugins.intake.world import SIBLING_COUNTY
from tests.plugins.supervision.test_backfill import _accepted
from tests.plugins.supervision.world import MON, build_supervision_world
from zhengwu.core import clock, events
from zhengwu.plugins.intake import replay
from zhengwu.plugins.supervision import backfill
from zhengwu.plugins.supervision.models import WatchedCase
from zhengwu.tenants.models import Tenant


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def test_a_snapshot_stamped_with_another_tenant_changes_nothing(world):
    s = world
    with clock.freeze(MON):
        case_id = await _accepted(s)
    await s.execute(update(WatchedCase).where(WatchedCase.id == case_id)
                    .values(department_name=None))  # a row projected before s006
    await s.commit()
    other = await s.scalar(select(Tenant).where(Tenant.code == SIBLING_COUNTY))
    with clock.freeze(MON):
        forged = events.make_event(replay.SNAPSHOT, other.id, other.path, {
            "case_id": str(case_id), "department_name": "伪造部门"})
        await backfill.on_case_snapshot(forged, s)
        await s.commit()
    s.expire_all()
    row = await s.get(WatchedCase, case_id)
    assert row.department_name is None
