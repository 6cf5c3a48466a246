"""Per-tenant plugin enablement: cascade, mandatory/forbidden locks, tiers, requirements."""

from __future__ import annotations

import pytest

from tests.plugins.fakes import AlphaSettings, make_plugin
from tests.world import PATHS, build_world
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.platform import boot
from zhengwu.tenants import enablement
from zhengwu.tenants.scope import access_tenant

SYSTEM = Principal.system()


def admin(key: str, role: str, tier: str) -> Principal:
    path = PATHS[key]
    return Principal(None, f"{role}@{key}", None, path, None, path, tier, (GrantRef(role, path),))


@pytest.fixture
async def world(system_session):
    boot([make_plugin("alpha", settings=AlphaSettings),
          make_plugin("beta", requires=("alpha",)),
          make_plugin("villageonly", tiers=("village",))], entry_points=False)
    await build_world(system_session)
    yield system_session
    boot([], entry_points=False)


async def _active(session, code):
    tenant = await access_tenant(session, SYSTEM, code)
    return await enablement.active_plugins(session, tenant)


async def test_enable_at_county_reaches_subtree_only(world):
    county = admin("county", "county_admin", "county")
    state = await enablement.enable_plugin(world, county, "341881", "alpha")
    await world.commit()
    assert state.active and state.source == "341881"
    assert "alpha" in await _active(world, "341881204200")
    assert "alpha" not in await _active(world, "341802")
    assert "alpha" not in await _active(world, "3418")


async def test_mandatory_and_forbidden_locks(world):
    city = admin("city", "city_admin", "city")
    county = admin("county", "county_admin", "county")
    await enablement.disable_plugin(world, city, "3418", "alpha", forbid=True)
    await world.commit()
    with pytest.raises(Conflict) as e:
        await enablement.enable_plugin(world, county, "341881", "alpha")
    assert e.value.code == "setting.locked"
    await world.rollback()
    await enablement.enable_plugin(world, city, "3418", "alpha", mandatory=True)
    await world.commit()
    with pytest.raises(Conflict):
        await enablement.disable_plugin(world, county, "341881", "alpha")
    await world.rollback()
    states = {s.name: s for s in await enablement.plugin_states(world, county, "341881")}
    assert states["alpha"].mandatory and states["alpha"].locked_by == "3418"
    assert not states["beta"].switched_on


async def test_requirements(world):
    county = admin("county", "county_admin", "county")
    with pytest.raises(Conflict) as e:
        await enablement.enable_plugin(world, county, "341881", "beta")
    assert e.value.code == "plugin.requirement_disabled"
    await world.rollback()
    await enablement.enable_plugin(world, county, "341881", "alpha")
    await enablement.enable_plugin(world, county, "341881", "beta")
    await world.commit()
    with pytest.raises(Conflict) as e:
        await enablement.disable_plugin(world, county, "341881", "alpha")
    assert e.value.code == "plugin.required_by"


async def test_tiers_served(world):
    county = admin("county", "county_admin", "county")
    state = await enablement.enable_plugin(world, county, "341881", "villageonly")
    await world.commit()
    assert state.switched_on and not state.active  # on for the subtree, not served at a county
    assert "villageonly" in await _active(world, "341881204200")
    assert "villageonly" not in await _active(world, "341881204")
    village = await enablement.enable_plugin(world, SYSTEM, "341881204200", "alpha")
    assert village.active  # alpha serves villages
    await world.rollback()
    boot([make_plugin("provonly", tiers=("province",))], entry_points=False)
    with pytest.raises(Invalid) as e:
        await enablement.enable_plugin(world, SYSTEM, "341881", "provonly")
    assert e.value.code == "plugin.tier_not_served"


async def test_isolation(world):
    sibling = admin("sibling_county", "county_admin", "county")
    clerk = Principal(None, "clerk", None, PATHS["county"], None, PATHS["county"], "county",
                      (GrantRef("window_clerk", PATHS["county"]),))
    with pytest.raises(NotFound):
        await enablement.enable_plugin(world, sibling, "341881", "alpha")
    with pytest.raises(PermissionDenied):
        await enablement.enable_plugin(world, clerk, "341881", "alpha")
    with pytest.raises(Invalid) as e:
        await enablement.enable_plugin(world, SYSTEM, "341881", "nosuch")
    assert e.value.code == "plugin.unknown"


async def test_plugin_settings_are_registered_and_cascade(world):
    from zhengwu.tenants import settings as tsettings

    county = admin("county", "county_admin", "county")
    await tsettings.set_setting(world, county, "341881", "alpha", "greeting", "欢迎")
    await world.commit()
    eff = await tsettings.effective_setting(world, SYSTEM, "341881204", "alpha", "greeting")
    assert eff.value == "欢迎" and eff.source == "341881"


async def test_enabled_scope_for_set_based_jobs(world):
    """Nested decisions: on at the county, off at a township, back on at one village."""
    from sqlalchemy import select

    from zhengwu.tenants.models import Tenant

    await enablement.enable_plugin(world, SYSTEM, "341881", "alpha")
    await enablement.disable_plugin(world, SYSTEM, "341881204", "alpha")
    await enablement.enable_plugin(world, SYSTEM, "341881204201", "alpha")
    await enablement.disable_plugin(world, SYSTEM, "15", "alpha", forbid=True)
    await world.commit()
    scope = await enablement.enabled_scope(world, "alpha")
    rows = (await world.execute(select(Tenant.code, Tenant.path, Tenant.tier))).all()
    via_sql = set((await world.scalars(select(Tenant.code).where(scope.clause(Tenant.path)))).all())
    assert via_sql == {"341881", "341881100", "341881204201"}
    assert via_sql == {c for c, p, _ in rows if scope.is_enabled(p)}
    # The same answer as the per-tenant resolution, for every tenant of a served tier.
    for code, _path, tier in rows:
        if tier in ("county", "township", "village"):
            assert ("alpha" in await _active(world, code)) == (code in via_sql), code
