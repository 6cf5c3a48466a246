"""The settings cascade: defaults, overrides down the tree, locks, validation and access."""

from __future__ import annotations

import uuid

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from tests.world import PATHS, build_world
from zhengwu.core.audit import AuditEntry
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.tenants import settings as cascade
from zhengwu.tenants.models import SettingOverride, Tenant
from zhengwu.tenants.settings import CoreSettings

SYSTEM = Principal.system()
CODES = {key: path.rsplit("/", 1)[-1] for key, path in PATHS.items()}
TIERS = {"province": "province", "city": "city", "county": "county", "township": "township",
         "village": "village", "sibling_county": "county", "sibling_township": "township",
         "sibling_village": "village", "other_province": "province", "other_county": "county"}


def at(place: str, role: str) -> Principal:
    """A principal acting at ``PATHS[place]`` with ``role`` granted there."""
    path = PATHS[place]
    return Principal(uuid.uuid4(), f"{role}@{place}", None, path, None, path, TIERS[place],
                     (GrantRef(role, path),))


CITY = at("city", "city_admin")
COUNTY = at("county", "county_admin")


@pytest.fixture
async def world(system_session):
    await build_world(system_session)
    return system_session


def by_key(items):
    return {(s.namespace, s.key): s for s in items}


async def one(session, place: str, key: str, principal: Principal | None = None):
    return await cascade.effective_setting(session, principal or SYSTEM, CODES[place], "core",
                                           key)


async def test_defaults_everywhere(world):
    items = await cascade.effective_settings(world, COUNTY, CODES["county"])
    view = by_key(items)
    assert set(CoreSettings.model_fields) == {k for ns, k in view if ns == "core"}
    hotline = view[("core", "hotline")]
    assert hotline.value == "12345" and hotline.default == "12345"
    assert hotline.source == cascade.DEFAULT_SOURCE and hotline.source_name is None
    assert not hotline.locked and hotline.locked_by is None and not hotline.overridden_here
    assert hotline.description  # Chinese description for the admin screen
    assert view[("core", "appointment_days_ahead")].value == 7
    assert view[("core", "contact_phone")].value is None
    only_core = await cascade.effective_settings(world, COUNTY, CODES["county"], "core")
    assert [s.key for s in only_core] == list(CoreSettings.model_fields)


async def test_county_override_reaches_its_townships_and_villages(world):
    changed = await cascade.set_setting(world, COUNTY, CODES["county"], "core", "hotline",
                                        "0563-4012345")
    assert changed.source == CODES["county"] and changed.overridden_here
    await world.commit()
    for place in ("township", "village", "sibling_township", "sibling_village"):
        s = await one(world, place, "hotline", at(place, "window_clerk"))
        assert (s.value, s.source, s.source_name) == ("0563-4012345", CODES["county"], "宁国市")
        assert not s.overridden_here and not s.locked
    assert (await one(world, "sibling_county", "hotline")).value == "12345"
    assert (await one(world, "city", "hotline")).source == "default"
    entry = await world.scalar(select(AuditEntry).where(AuditEntry.action == "setting.set"))
    assert entry.target_id == "core.hotline" and entry.tenant_path == PATHS["county"]
    assert entry.before is None and entry.after == {"value": "0563-4012345", "locked": False}


async def test_deeper_override_wins_and_typed_resolve(world):
    await cascade.set_setting(world, COUNTY, CODES["county"], "core", "appointment_days_ahead", 10)
    await cascade.set_setting(world, COUNTY, CODES["township"], "core", "appointment_days_ahead",
                              "14")  # lax: a numeric string is accepted and stored as a number
    village = await one(world, "village", "appointment_days_ahead")
    assert (village.value, village.source, village.source_name) == (14, CODES["township"], "方塘乡")
    assert (await one(world, "county", "appointment_days_ahead")).value == 10
    assert (await one(world, "sibling_township", "appointment_days_ahead")).value == 10
    tenant = await world.scalar(select(Tenant).where(Tenant.code == CODES["village"]))
    resolved = await cascade.resolve(world, tenant, CoreSettings)
    assert isinstance(resolved, CoreSettings)
    assert resolved.appointment_days_ahead == 14 and resolved.hotline == "12345"


async def test_override_with_null(world):
    await cascade.set_setting(world, COUNTY, CODES["county"], "core", "contact_phone",
                              "0563-4011111")
    await cascade.set_setting(world, COUNTY, CODES["township"], "core", "contact_phone", None)
    await world.commit()
    s = await one(world, "village", "contact_phone")
    assert s.value is None and s.source == CODES["township"]
    assert (await one(world, "county", "contact_phone")).value == "0563-4011111"


async def test_lock_at_city_shadows_county_and_blocks_below(world):
    await cascade.set_setting(world, COUNTY, CODES["county"], "core", "hotline", "0563-4012345")
    locked = await cascade.lock_setting(world, CITY, CODES["city"], "core", "hotline")
    # The lock fixes the city's current effective value (here the default).
    assert (locked.value, locked.source, locked.locked_by) == ("12345", CODES["city"],
                                                                CODES["city"])
    assert locked.shadowed_below == (CODES["county"],) and locked.editable
    await world.commit()

    county = await one(world, "county", "hotline", COUNTY)
    assert county.value == "12345" and county.locked and county.locked_by == CODES["city"]
    assert county.overridden_here and county.shadowed and not county.editable
    village = await one(world, "village", "hotline")
    assert (village.value, village.source, village.locked_by) == ("12345", CODES["city"],
                                                                  CODES["city"])

    with pytest.raises(Conflict) as e:
        await cascade.set_setting(world, COUNTY, CODES["county"], "core", "hotline", "110")
    assert e.value.code == "setting.locked" and e.value.field == "hotline"
    assert e.value.params["locked_by"] == CODES["city"] and "宣城市" in e.value.zh
    with pytest.raises(Conflict):
        await cascade.set_setting(world, COUNTY, CODES["township"], "core", "hotline", "110")
    with pytest.raises(Conflict):  # cannot lock below a lock either
        await cascade.lock_setting(world, COUNTY, CODES["county"], "core", "hotline")
    # The shadowed row is kept, and may be cleaned up.
    rows = (await world.scalars(select(SettingOverride).where(
        SettingOverride.key == "hotline"))).all()
    assert {r.tenant_path for r in rows} == {PATHS["city"], PATHS["county"]}

    # Unlocking brings the county's own value back.
    unlocked = await cascade.unlock_setting(world, CITY, CODES["city"], "core", "hotline")
    assert not unlocked.locked and unlocked.value == "12345" and unlocked.overridden_here
    assert (await one(world, "village", "hotline")).value == "0563-4012345"
    actions = (await world.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions[-3:] == ["setting.set", "setting.lock", "setting.unlock"]


async def test_lock_fixes_the_inherited_value(world):
    province = at("province", "province_admin")
    await cascade.set_setting(world, province, CODES["province"], "core", "hotline", "0551-12345")
    await cascade.lock_setting(world, CITY, CODES["city"], "core", "hotline")
    await cascade.set_setting(world, province, CODES["province"], "core", "hotline", "0551-99999")
    assert (await one(world, "village", "hotline")).value == "0551-12345"
    assert (await one(world, "province", "hotline")).value == "0551-99999"
    # Locking with a value sets and locks in one step; the topmost lock wins.
    await cascade.lock_setting(world, province, CODES["province"], "core", "hotline", "0551-1")
    village = await one(world, "village", "hotline")
    assert (village.value, village.locked_by) == ("0551-1", CODES["province"])
    city = await one(world, "city", "hotline", CITY)
    assert city.shadowed and city.locked_by == CODES["province"]
    with pytest.raises(Conflict):
        await cascade.unlock_setting(world, CITY, CODES["city"], "core", "hotline")
    # The locking tenant itself may still change the locked value for its subtree.
    await cascade.set_setting(world, province, CODES["province"], "core", "hotline", "0551-2")
    village = await one(world, "village", "hotline")
    assert (village.value, village.locked) == ("0551-2", True)


async def test_validation_errors_write_nothing(world):
    cases = [("appointment_days_ahead", 0), ("appointment_days_ahead", 61),
             ("appointment_days_ahead", "abc"), ("public_portal_enabled", "perhaps"),
             ("service_hours", "whenever"), ("hotline", 12345)]
    for key, value in cases:
        with pytest.raises(Invalid) as e:
            await cascade.set_setting(world, COUNTY, CODES["county"], "core", key, value)
        assert e.value.code == "setting.invalid_value" and e.value.field == key
        assert e.value.params["reason"] and key in e.value.zh
    with pytest.raises(Invalid) as e:
        await cascade.set_setting(world, COUNTY, CODES["county"], "core", "no_such_key", 1)
    assert e.value.code == "setting.unknown_key" and e.value.field == "no_such_key"
    with pytest.raises(Invalid) as e:
        await cascade.set_setting(world, COUNTY, CODES["county"], "nope", "hotline", "1")
    assert e.value.code == "setting.unknown_key"
    with pytest.raises(Invalid):
        await cascade.effective_settings(world, COUNTY, CODES["county"], "nope")
    with pytest.raises(Invalid) as e:
        await cascade.set_setting(world, SYSTEM, "0", "core", "hotline", "1")
    assert e.value.code == "setting.platform_root"
    assert await world.scalar(select(SettingOverride.id)) is None


async def test_unset(world, monkeypatch):
    await cascade.set_setting(world, COUNTY, CODES["county"], "core", "hotline", "0563-1")
    await cascade.set_setting(world, COUNTY, CODES["township"], "core", "hotline", "0563-2")
    s = await cascade.unset_setting(world, COUNTY, CODES["township"], "core", "hotline")
    assert (s.value, s.source, s.overridden_here) == ("0563-1", CODES["county"], False)
    s = await cascade.unset_setting(world, COUNTY, CODES["county"], "core", "hotline")
    assert (s.value, s.source) == ("12345", "default")
    # Unsetting nothing is a no-op.
    await cascade.unset_setting(world, COUNTY, CODES["county"], "core", "hotline")
    actions = (await world.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "setting"))).all()
    assert actions.count("setting.unset") == 2
    # A locked row needs setting:lock to be removed (simulate a writer without it).
    await cascade.lock_setting(world, COUNTY, CODES["county"], "core", "hotline", "0563-3")
    real_can = cascade.can
    monkeypatch.setattr(cascade, "can", lambda p, action, r: action != "lock"
                        and real_can(p, action, r))
    with pytest.raises(PermissionDenied) as e:
        await cascade.unset_setting(world, COUNTY, CODES["county"], "core", "hotline")
    assert e.value.params["action"] == "setting:lock"
    await cascade.set_setting(world, COUNTY, CODES["county"], "core", "hotline", "0563-4")
    monkeypatch.setattr(cascade, "can", real_can)
    s = await cascade.unset_setting(world, COUNTY, CODES["county"], "core", "hotline")
    assert (s.value, s.locked) == ("12345", False)


async def test_sibling_county_never_reads_or_writes(world):
    await cascade.set_setting(world, COUNTY, CODES["county"], "core", "hotline", "0563-1")
    sibling = at("sibling_county", "county_admin")
    other = at("other_county", "county_admin")
    for who in (sibling, other):
        for code in (CODES["county"], CODES["township"]):
            with pytest.raises(NotFound) as e:
                await cascade.effective_settings(world, who, code)
            assert e.value.code == "tenant.not_found"
            with pytest.raises(NotFound):
                await cascade.set_setting(world, who, code, "core", "hotline", "1")
            with pytest.raises(NotFound):
                await cascade.lock_setting(world, who, code, "core", "hotline")
            with pytest.raises(NotFound):
                await cascade.unset_setting(world, who, code, "core", "hotline")
    assert (await one(world, "county", "hotline")).value == "0563-1"


async def test_lower_tiers_cannot_write_upwards_or_without_permission(world):
    clerk = at("village", "window_clerk")
    assert (await one(world, "village", "hotline", clerk)).value == "12345"  # may read
    with pytest.raises(PermissionDenied):  # but not write, even at home
        await cascade.set_setting(world, clerk, CODES["village"], "core", "hotline", "1")
    with pytest.raises(PermissionDenied):  # an ancestor is known but not writable
        await cascade.set_setting(world, clerk, CODES["county"], "core", "hotline", "1")
    # Even with admin permissions at the village, the county stays out of reach.
    village_admin = at("village", "county_admin")
    await cascade.set_setting(world, village_admin, CODES["village"], "core", "hotline", "0563-2")
    with pytest.raises(PermissionDenied):
        await cascade.set_setting(world, village_admin, CODES["county"], "core", "hotline", "1")
    with pytest.raises(PermissionDenied):
        await cascade.lock_setting(world, village_admin, CODES["township"], "core", "hotline")
    with pytest.raises(PermissionDenied):  # a lower tier never reads an upper tier's view
        await cascade.effective_settings(world, clerk, CODES["county"])
    # Locking needs setting:lock; window clerks have none of it.
    with pytest.raises(PermissionDenied):
        await cascade.lock_setting(world, at("county", "window_clerk"), CODES["county"], "core",
                                   "hotline")


async def test_stale_override_is_ignored(world):
    tenant = await world.scalar(select(Tenant).where(Tenant.code == CODES["county"]))
    world.add(SettingOverride(tenant_id=tenant.id, tenant_path=tenant.path, namespace="core",
                              key="appointment_days_ahead", value=999, locked=True))
    world.add(SettingOverride(tenant_id=tenant.id, tenant_path=tenant.path, namespace="core",
                              key="retired_key", value="x", locked=False))
    await world.commit()
    s = await one(world, "township", "appointment_days_ahead")
    assert (s.value, s.source, s.locked) == (7, "default", False)
    assert (await cascade.resolve(world, tenant, CoreSettings)).appointment_days_ahead == 7


class DemoSettings(BaseModel):
    yellow_ratio: float = Field(0.8, gt=0, lt=1, description="黄牌预警比例")
    enabled: bool = Field(False, description="是否启用")


async def test_registry_for_plugins(world):
    cascade.register("demo", DemoSettings)
    try:
        cascade.register("demo", DemoSettings)  # idempotent
        with pytest.raises(ValueError):
            cascade.register("demo", CoreSettings)
        with pytest.raises(ValueError):
            cascade.register("Bad Name", DemoSettings)

        class NoDefault(BaseModel):
            x: int

        with pytest.raises(ValueError):
            cascade.register("nodefault", NoDefault)
        assert cascade.registered()["demo"] is DemoSettings
        assert cascade.namespace_of(DemoSettings) == "demo"
        await cascade.lock_setting(world, CITY, CODES["city"], "demo", "yellow_ratio", 0.75)
        with pytest.raises(Invalid):
            await cascade.set_setting(world, CITY, CODES["city"], "demo", "yellow_ratio", 1.5)
        tenant = await world.scalar(select(Tenant).where(Tenant.code == CODES["village"]))
        demo = await cascade.resolve(world, tenant, DemoSettings)
        assert demo == DemoSettings(yellow_ratio=0.75, enabled=False)
        keys = [s.key for s in await cascade.effective_settings(world, COUNTY, CODES["county"])]
        assert "yellow_ratio" in keys and "hotline" in keys
    finally:
        cascade.unregister("demo")
    assert "demo" not in cascade.registered()


async def test_scoped_session_reads_the_cascade(world, sessionmaker):
    """Through a session scoped like a request (RLS on PostgreSQL), ancestors are readable."""
    await cascade.set_setting(world, CITY, CODES["city"], "core", "hotline", "0563-3")
    await cascade.set_setting(world, COUNTY, CODES["county"], "core", "appointment_days_ahead", 9)
    await cascade.lock_setting(world, CITY, CODES["city"], "core", "hotline")
    await world.commit()
    clerk = at("township", "window_clerk")
    async with sessionmaker() as s:
        s.info["scope"] = clerk.scope
        view = by_key(await cascade.effective_settings(s, clerk, CODES["township"]))
        assert view[("core", "hotline")].value == "0563-3"
        assert view[("core", "hotline")].locked_by == CODES["city"]
        assert view[("core", "appointment_days_ahead")].source == CODES["county"]
    admin = at("county", "county_admin")
    async with sessionmaker() as s:
        s.info["scope"] = admin.scope
        await cascade.set_setting(s, admin, CODES["township"], "core",
                                  "public_portal_enabled", False)
        await s.commit()
    assert (await one(world, "village", "public_portal_enabled")).value is False


@pytest.mark.pg_only
async def test_rls_township_reads_county_but_cannot_write_it(world, sessionmaker):
    await cascade.set_setting(world, COUNTY, CODES["county"], "core", "hotline", "0563-1")
    await world.commit()
    county = await world.scalar(select(Tenant).where(Tenant.code == CODES["county"]))
    async with sessionmaker() as s:
        s.info["scope"] = PATHS["township"]
        rows = (await s.scalars(select(SettingOverride))).all()  # no filter: RLS decides
        assert [(r.tenant_path, r.value) for r in rows] == [(PATHS["county"], "0563-1")]
    async with sessionmaker() as s:
        s.info["scope"] = PATHS["township"]
        # The pooled connection of the read above ended in a rollback; it must still run as
        # the RLS-bound app role (zhengwu.core.db must not lose its SET ROLE on rollback).
        role = (await s.execute(text("SELECT current_user"))).scalar()
        assert role == "zhengwu_app", f"pooled connection runs as {role!r}: RLS is bypassed"
        s.add(SettingOverride(tenant_id=county.id, tenant_path=county.path, namespace="core",
                              key="contact_phone", value="1", locked=True))
        with pytest.raises(DBAPIError, match="row-level security"):
            await s.flush()
        await s.rollback()
    async with sessionmaker() as s:  # nor change the county's row
        s.info["scope"] = PATHS["township"]
        row = (await s.scalars(select(SettingOverride))).one()
        row.value = "hacked"
        with pytest.raises(StaleDataError):  # the UPDATE matches no row it may write
            await s.flush()
        await s.rollback()
    async with sessionmaker() as s:  # a sibling county reads none of it
        s.info["scope"] = PATHS["sibling_county"]
        assert (await s.scalars(select(SettingOverride))).all() == []
    assert (await one(world, "county", "hotline")).value == "0563-1"
