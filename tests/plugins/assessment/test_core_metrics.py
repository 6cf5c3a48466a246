"""The ``core.*`` metrics against hand-counted venues and implementation-list items.

宁国市 has two townships (方塘乡 with a 便民服务中心, 港口镇 with none — 港口镇's only venue is
inactive) and two villages under 方塘乡 (方塘村 with a 代办点, 双村 without). Items: 宁国市 3
(2 in the hall, 1 online, plus a retired one that does not count), 方塘乡 1 (in the hall and
online, created after March: not counted for March), 宣州区 1 (another subtree).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.plugins.assessment.world import PATHS, SYSTEM, build_assessment_world
from zhengwu.core import clock
from zhengwu.core.catalog.models import CatalogItem, Implementation
from zhengwu.core.db import new_id
from zhengwu.core.plugin_api import Period
from zhengwu.plugins.assessment.core_metrics import metric_specs
from zhengwu.tenants import venues
from zhengwu.tenants.models import Tenant

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
SPECS = {s.name: s for s in metric_specs("assessment")}


async def _tenant(s, code):
    return await s.scalar(select(Tenant).where(Tenant.code == code))


async def _items(s):
    province = await _tenant(s, "34")
    item = CatalogItem(id=new_id(), basic_code="00000000000001", name="测试事项", item_type="01",
                       tenant_id=province.id, tenant_path=province.path)
    s.add(item)
    await s.flush()
    march, april = datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC)
    rows = [("341881", True, True, "active", march), ("341881", True, False, "needs_review", march),
            ("341881", False, False, "active", march), ("341881", False, True, "retired", march),
            ("341881204", True, True, "active", april), ("341802", True, True, "active", march)]
    for n, (code, hall, online, status, at) in enumerate(rows):
        t = await _tenant(s, code)
        s.add(Implementation(
            id=new_id(), catalog_item_id=item.id, basic_code=item.basic_code,
            implementation_code=f"impl-{n}", department_name="某局",
            department_credit_code=f"11341881{n:010d}", use_level=3, in_hall=hall, online=online,
            status=status, created_at=at, updated_at=at, tenant_id=t.id, tenant_path=t.path))


@pytest.fixture
async def world(system_session):
    s = system_session
    await build_assessment_world(s)
    with clock.freeze(datetime(2026, 2, 1, tzinfo=UTC)):
        for code, kind, name in (("341881204", "convenience_centre", "方塘乡便民服务中心"),
                                 ("341881100", "convenience_centre", "港口镇便民服务中心"),
                                 ("341881204200", "agent_point", "方塘村代办点")):
            await venues.create_venue(s, SYSTEM, code, venues.NewVenue(kind, name))
    gk = await _tenant(s, "341881100")
    from zhengwu.tenants.models import Venue

    for v in (await s.scalars(select(Venue).where(Venue.tenant_id == gk.id))).all():
        v.active = False
    await _items(s)
    await s.commit()
    return s


async def _value(s, name, path, period=MARCH):
    return await SPECS[name].compute(s, path, period)


async def test_convenience_centre_coverage(world):
    v = await _value(world, "core.convenience_centre_coverage", PATHS["341881"])
    assert (v.numerator, v.denominator, v.value) == (1, 2, 0.5)
    ft = await _value(world, "core.convenience_centre_coverage", PATHS["341881204"])
    assert ft.value == 1.0
    assert (await _value(world, "core.convenience_centre_coverage", PATHS["341802"])).value == 0.0
    # before the venues existed (created on 1 February 2026)
    early = Period(date(2020, 1, 1), date(2020, 1, 31))
    assert (await _value(world, "core.convenience_centre_coverage", PATHS["341881"], early)).value == 0.0


async def test_agent_point_coverage(world):
    v = await _value(world, "core.agent_point_coverage", PATHS["341881"])
    assert (v.numerator, v.denominator) == (1, 2)
    # 港口镇 has no villages in the world: nothing to rate
    assert (await _value(world, "core.agent_point_coverage", PATHS["341881100"])).value is None


async def test_items_in_hall_and_online(world):
    hall = await _value(world, "core.items_in_hall_rate", PATHS["341881"])
    online = await _value(world, "core.items_online_rate", PATHS["341881"])
    assert (hall.numerator, hall.denominator) == (2, 3)
    assert (online.numerator, online.denominator) == (1, 3)
    april = Period(date(2026, 4, 1), date(2026, 4, 30))
    assert (await _value(world, "core.items_in_hall_rate", PATHS["341881"], april)).denominator == 4
    assert (await _value(world, "core.items_online_rate", PATHS["341881204"])).value is None
