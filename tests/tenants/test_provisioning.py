"""Creating, suspending and merging single tenants."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from zhengwu.core import audit
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.tenants import provisioning
from zhengwu.tenants.models import Tenant

SYSTEM = Principal.system()


async def _make(session, *rows):
    for code, name in rows:
        await provisioning.create_tenant(session, SYSTEM, code, name)
    await session.commit()


def admin_at(path: str, role: str, tier: str) -> Principal:
    return Principal(None, f"{role}@{path}", None, path, None, path, tier, (GrantRef(role, path),))


async def test_create_chain_builds_paths_and_kinds(system_session):
    await _make(system_session, ("34", "安徽省"), ("3418", "宣城市"), ("341881", "宁国市"),
                ("341881204", "方塘乡"), ("341881204201", "方塘村委会"))
    t = await system_session.scalar(select(Tenant).where(Tenant.code == "341881204201"))
    assert t.path == "34/3418/341881/341881204/341881204201"
    assert t.tier == "village" and t.kind == "村委会" and t.depth == 5
    root = await system_session.scalar(select(Tenant).where(Tenant.code == "0"))
    prov = await system_session.scalar(select(Tenant).where(Tenant.code == "34"))
    assert prov.parent_id == root.id and prov.path == "34"


async def test_padded_code_accepted(system_session):
    await _make(system_session, ("340000000000", "安徽省"), ("341800000000", "宣城市"))
    codes = set((await system_session.scalars(select(Tenant.code))).all())
    assert {"34", "3418"} <= codes


async def test_bad_inputs_write_nothing(system_session):
    await _make(system_session, ("34", "安徽省"))
    with pytest.raises(Invalid) as e:
        await provisioning.create_tenant(system_session, SYSTEM, "341881", "宁国市")
    assert e.value.code == "tenant.unknown_parent"
    with pytest.raises(Invalid) as e:
        await provisioning.create_tenant(system_session, SYSTEM, "3418", "  ")
    assert e.value.code == "tenant.empty_name"
    with pytest.raises(Invalid) as e:
        await provisioning.create_tenant(system_session, SYSTEM, "34x", "坏")
    assert e.value.code == "tenant.bad_code"
    with pytest.raises(Conflict):
        await provisioning.create_tenant(system_session, SYSTEM, "34", "安徽省")
    with pytest.raises(Invalid) as e:
        await provisioning.create_tenant(system_session, SYSTEM, "3418", "宣城市", parent_code="35")
    assert e.value.code == "tenant.wrong_parent"


async def test_county_admin_cannot_create_in_sibling(system_session):
    await _make(system_session, ("34", "安徽省"), ("3418", "宣城市"), ("341881", "宁国市"),
                ("341802", "宣州区"))
    county = admin_at("34/3418/341881", "county_admin", "county")
    t = await provisioning.create_tenant(system_session, county, "341881204", "方塘乡")
    assert t.path == "34/3418/341881/341881204"
    with pytest.raises(PermissionDenied):
        await provisioning.create_tenant(system_session, county, "341802001", "某街道")
    with pytest.raises(NotFound):
        await provisioning.suspend_tenant(system_session, county, "341802")


async def test_merge_moves_children_and_records(system_session):
    await _make(system_session, ("34", "安徽省"), ("3418", "宣城市"), ("341881", "宁国市"),
                ("341881204", "方塘乡"), ("341881205", "另一乡"), ("341881204201", "方塘村委会"))
    trace = await provisioning.merge_tenant(system_session, SYSTEM, "341881204", "341881205")
    await system_session.commit()
    village = await system_session.scalar(select(Tenant).where(Tenant.code == "341881204201"))
    target = await system_session.scalar(select(Tenant).where(Tenant.code == "341881205"))
    source = await system_session.scalar(select(Tenant).where(Tenant.code == "341881204"))
    assert village.parent_id == target.id
    assert village.path == "34/3418/341881/341881205/341881204201"
    assert source.status == "merged" and source.merged_into_id == target.id
    assert trace.moved["children"] == 1
    checked, breaks = await audit.verify(system_session)
    assert checked >= 7 and breaks == []


async def test_merge_keeps_target_value_when_both_override_a_setting(system_session):
    from zhengwu.tenants import settings as tsettings

    await _make(system_session, ("34", "安徽省"), ("3418", "宣城市"), ("341881", "宁国市"),
                ("341881204", "方塘乡"), ("341881205", "另一乡"))
    await tsettings.set_setting(system_session, SYSTEM, "341881204", "core", "hotline", "0563-1")
    await tsettings.set_setting(system_session, SYSTEM, "341881205", "core", "hotline", "0563-2")
    await tsettings.set_setting(system_session, SYSTEM, "341881204", "core", "contact_phone", "110")
    await system_session.commit()
    trace = await provisioning.merge_tenant(system_session, SYSTEM, "341881204", "341881205")
    await system_session.commit()
    assert trace.moved["setting_overrides.dropped_as_duplicate"] == 1
    assert trace.moved["setting_overrides"] == 1
    eff = {e.key: e for e in await tsettings.effective_settings(system_session, SYSTEM, "341881205", "core")}
    assert eff["hotline"].value == "0563-2" and eff["contact_phone"].value == "110"


async def test_provisioning_announces_facts_inside_the_transaction(system_session):
    from zhengwu.core.hooks import hookimpl
    from zhengwu.core.plugin_api import PluginInfo
    from zhengwu.platform import boot

    heard = []

    class Listener:
        @hookimpl
        def zhengwu_plugin_info(self):
            return PluginInfo(name="listener", version="1", title_zh="监听", title_en="listener")

        @hookimpl
        def zhengwu_event(self, event, session):
            heard.append((event.name, dict(event.payload), session is system_session))

    boot([Listener()], entry_points=False)
    try:
        await _make(system_session, ("34", "安徽省"), ("3418", "宣城市"))
        await provisioning.suspend_tenant(system_session, SYSTEM, "3418")
        await system_session.rollback()  # the facts roll back with the changes
    finally:
        boot([], entry_points=False)
    assert heard[0] == ("tenant.created", {"code": "34", "tier": "province"}, True)
    assert [h[0] for h in heard] == ["tenant.created", "tenant.created", "tenant.suspended"]
