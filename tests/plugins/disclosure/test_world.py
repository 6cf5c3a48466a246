"""The disclosure world builds: the plugin is enabled at the city's subtree, not elsewhere."""

from __future__ import annotations

from tests.plugins.disclosure.world import (
    COUNTY,
    OTHER_COUNTY,
    SYSTEM,
    TOWNSHIP,
    build_disclosure_world,
)
from zhengwu.tenants import enablement
from zhengwu.tenants.scope import access_tenant


async def test_world_enables_disclosure_below_the_city(system_session, settings):
    await build_disclosure_world(system_session, settings, with_users=True)
    for code in (COUNTY, TOWNSHIP):
        tenant = await access_tenant(system_session, SYSTEM, code)
        assert "disclosure" in await enablement.active_plugins(system_session, tenant)
    other = await access_tenant(system_session, SYSTEM, OTHER_COUNTY)
    assert "disclosure" not in await enablement.active_plugins(system_session, other)
