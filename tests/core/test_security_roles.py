"""Roles and grants: custom roles, no escalation, tiers, revocation, policy reloads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.core.security_support import (
    SYSTEM,
    TOWN_ADMIN_PERMISSIONS,
    acting_session,
    count,
    define_town_admin,
    make_user,
    principal_of,
    reset_custom_roles,
)
from tests.world import build_world
from zhengwu.core import audit
from zhengwu.core.db import ALL_SCOPE, scoped_session
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security import grants, rbac, roles
from zhengwu.core.security.models import CustomRole, Grant
from zhengwu.core.security.rbac import Resource, RoleEscalation, can


@pytest.fixture(autouse=True)
def _clean_policy():
    reset_custom_roles()
    yield
    reset_custom_roles()


async def _admins(system_session, settings):
    await build_world(system_session)
    county = await make_user(system_session, settings, "ng.admin", "341881",
                             [("county_admin", "341881", True)])
    city = await make_user(system_session, settings, "xc.admin", "3418",
                           [("city_admin", "3418", True)])
    return county, city


# ----------------------------------------------------------------------- custom roles


async def test_define_role_prefixes_name_and_takes_effect_on_commit(system_session, sessionmaker,
                                                                    settings):
    county, _ = await _admins(system_session, settings)
    p = await principal_of(sessionmaker, settings, county)
    async with acting_session(sessionmaker, p) as s:
        row = await roles.define_role(s, p, "341881", "hall_lead", "大厅负责人",
                                      ["venue:read", "venue:write", "user:read"])
        assert row.name == "341881.hall_lead" and row.tenant_path == "34/3418/341881"
        assert "341881.hall_lead" not in rbac.policy.roles  # not before commit
        await s.commit()
    role = rbac.policy.roles["341881.hall_lead"]
    assert role.scope == "34/3418/341881" and role.permissions == ("user:read", "venue:read",
                                                                   "venue:write")
    assert rbac.policy.role_allows("341881.hall_lead", "venue", "write")
    entry = await system_session.scalar(select(audit.AuditEntry)
                                        .where(audit.AuditEntry.action == "role.define"))
    assert entry.target_id == "341881.hall_lead"


async def test_rolled_back_definition_never_reaches_the_policy(system_session, sessionmaker,
                                                               settings):
    county, _ = await _admins(system_session, settings)
    p = await principal_of(sessionmaker, settings, county)
    async with acting_session(sessionmaker, p) as s:
        await roles.define_role(s, p, "341881", "ghost", "幽灵", ["venue:read"])
        await s.rollback()
    assert "341881.ghost" not in rbac.policy.roles


async def test_admin_cannot_define_a_role_beyond_its_own_permissions(system_session,
                                                                     sessionmaker, settings):
    county, _ = await _admins(system_session, settings)
    p = await principal_of(sessionmaker, settings, county)
    async with acting_session(sessionmaker, p) as s:
        with pytest.raises(RoleEscalation) as e:
            await roles.define_role(s, p, "341881", "merger", "合并员",
                                    ["tenant:read", "tenant:merge", "tenant:import"])
        assert e.value.code == "role.escalation"
        assert e.value.params["permissions"] == ["tenant:import", "tenant:merge"]
        assert isinstance(e.value, PermissionDenied) and e.value.status == 403
        with pytest.raises(Invalid) as e2:
            await roles.define_role(s, p, "341881", "wild", "通配", ["user:*"])
        assert e2.value.code == "role.unknown_permission"
        with pytest.raises(Invalid) as e3:
            await roles.define_role(s, p, "341881", "Bad Name", "x", ["user:read"])
        assert e3.value.code == "role.bad_name"
        # Outside its scope the tenant does not exist for it.
        with pytest.raises(NotFound):
            await roles.define_role(s, p, "341802", "spy", "x", ["user:read"])
        with pytest.raises(NotFound):
            await roles.define_role(s, p, "3418", "up", "x", ["user:read"])
    assert await count(system_session, CustomRole) == 0


async def test_local_holder_cannot_define_for_the_subtree(system_session, sessionmaker,
                                                          settings):
    """A role applies below its tenant too, so local permissions do not suffice."""
    await build_world(system_session)
    lead = await make_user(system_session, settings, "ng.lead", "341881",
                           [("county_admin", "341881", False)])
    p = await principal_of(sessionmaker, settings, lead)
    async with acting_session(sessionmaker, p) as s:
        with pytest.raises(RoleEscalation):
            await roles.define_role(s, p, "341881", "hall_lead", "x", ["venue:read"])


async def test_custom_role_is_granted_only_in_its_subtree(system_session, sessionmaker,
                                                          settings):
    _, city = await _admins(system_session, settings)
    name = await define_town_admin(system_session)
    await make_user(system_session, settings, "town.head", "341881204")
    await make_user(system_session, settings, "xz.head", "341802001")
    cp = await principal_of(sessionmaker, settings, city)
    async with acting_session(sessionmaker, cp) as s:
        g = await grants.grant_role(s, cp, "town.head", name, "341881204")
        assert g.subtree and g.granted_by == "xc.admin"
        with pytest.raises(Invalid) as e:
            await grants.grant_role(s, cp, "xz.head", name, "341802001")
        assert e.value.code == "grant.outside_role_scope"
        await s.commit()
    head = await principal_of(sessionmaker, settings,
                              await _by_name(system_session, "town.head"))
    assert can(head, "create", Resource("user", "34/3418/341881/341881204"))
    assert not can(head, "merge", Resource("tenant", "34/3418/341881/341881204"))


async def _by_name(session, username):
    from zhengwu.core.security.models import User

    return (await session.scalars(select(User).where(User.username == username))).one()


async def test_update_and_delete_role(system_session, sessionmaker, settings):
    county, _ = await _admins(system_session, settings)
    await make_user(system_session, settings, "town.head", "341881204")
    p = await principal_of(sessionmaker, settings, county)
    async with acting_session(sessionmaker, p) as s:
        await roles.define_role(s, p, "341881", "hall_lead", "大厅负责人", ["venue:read"])
        await s.commit()
    async with acting_session(sessionmaker, p) as s:
        with pytest.raises(RoleEscalation):
            await roles.update_role(s, p, "341881.hall_lead", permissions=["tenant:merge"])
        await s.rollback()
        await roles.update_role(s, p, "341881.hall_lead", title="大厅主任",
                                permissions=["venue:read", "venue:write"])
        await grants.grant_role(s, p, "town.head", "341881.hall_lead", "341881204")
        await s.commit()
    assert rbac.policy.roles["341881.hall_lead"].title_zh == "大厅主任"
    assert rbac.policy.role_allows("341881.hall_lead", "venue", "write")
    async with acting_session(sessionmaker, p) as s:
        with pytest.raises(Conflict) as e:
            await roles.delete_role(s, p, "341881.hall_lead")
        assert e.value.code == "role.in_use"
        await grants.revoke_role(s, p, "town.head", "341881.hall_lead", "341881204")
        await roles.delete_role(s, p, "341881.hall_lead")
        await s.commit()
    assert "341881.hall_lead" not in rbac.policy.roles
    assert await count(system_session, CustomRole) == 0


async def test_reload_policy_loads_every_custom_role(system_session, sessionmaker, settings):
    await _admins(system_session, settings)
    await define_town_admin(system_session)
    reset_custom_roles()
    assert "341881.town_admin" not in rbac.policy.roles
    async with scoped_session(sessionmaker, ALL_SCOPE) as s:
        assert await roles.reload_policy(s) == 1
    assert rbac.policy.roles["341881.town_admin"].permissions == tuple(
        sorted(TOWN_ADMIN_PERMISSIONS))
    async with scoped_session(sessionmaker, "34/3418/341881") as s:
        with pytest.raises(RuntimeError):
            await roles.reload_policy(s)


async def test_list_roles_shows_builtin_and_reachable_custom_roles(system_session, sessionmaker,
                                                                   settings):
    county, _ = await _admins(system_session, settings)
    await define_town_admin(system_session)
    await roles.define_role(system_session, SYSTEM, "341802", "xz_role", "宣州角色",
                            ["venue:read"])
    await system_session.commit()
    p = await principal_of(sessionmaker, settings, county)
    names = [r.name for r in roles.list_roles(p)]
    assert "province_admin" in names and "341881.town_admin" in names
    assert "341802.xz_role" not in names


# ----------------------------------------------------------------------- grants


async def test_no_escalation_when_granting(system_session, sessionmaker, settings):
    county, _ = await _admins(system_session, settings)
    await make_user(system_session, settings, "ng.clerk", "341881")
    # The city defines a role with a permission county admins do not hold.
    await roles.define_role(system_session, SYSTEM, "3418", "merger", "区划调整员",
                            ["tenant:read", "tenant:merge"])
    await system_session.commit()
    p = await principal_of(sessionmaker, settings, county)
    async with acting_session(sessionmaker, p) as s:
        # province_admin at a county: wrong tier, whoever asks.
        with pytest.raises(Invalid) as e:
            await grants.grant_role(s, p, "ng.clerk", "province_admin", "341881")
        assert e.value.code == "grant.wrong_tier"
        with pytest.raises(Invalid):
            await grants.grant_role(s, p, "ng.clerk", "city_admin", "341881")
        with pytest.raises(RoleEscalation) as e2:
            await grants.grant_role(s, p, "ng.clerk", "3418.merger", "341881")
        assert e2.value.params["permissions"] == ["tenant:merge"]
        with pytest.raises(NotFound):
            await grants.grant_role(s, p, "ng.clerk", "no_such_role", "341881")
        g = await grants.grant_role(s, p, "ng.clerk", "auditor", "341881")  # *:read, all held
        with pytest.raises(Conflict):
            await grants.grant_role(s, p, "ng.clerk", "auditor", "341881")
        assert g.role == "auditor"
    async with scoped_session(sessionmaker, ALL_SCOPE) as s:
        with pytest.raises(Invalid) as e:
            await grants.grant_role(s, SYSTEM, "ng.clerk", "province_admin", "341881")
        assert e.value.code == "grant.wrong_tier"


async def test_grant_needs_grant_write_and_stays_below_the_home(system_session, sessionmaker,
                                                                settings):
    _, city = await _admins(system_session, settings)
    sup = await make_user(system_session, settings, "ng.sup", "341881",
                          [("supervisor", "341881", True)])
    await make_user(system_session, settings, "town.clerk", "341881204")
    p = await principal_of(sessionmaker, settings, sup)
    async with acting_session(sessionmaker, p) as s:
        with pytest.raises(PermissionDenied):
            await grants.grant_role(s, p, "town.clerk", "window_clerk", "341881204")
    cp = await principal_of(sessionmaker, settings, city)
    async with acting_session(sessionmaker, cp) as s:
        with pytest.raises(Invalid) as e:  # home is the township: a grant at the county is moot
            await grants.grant_role(s, cp, "town.clerk", "window_clerk", "341881")
        assert e.value.code == "grant.outside_home"
        with pytest.raises(NotFound):  # grantee outside the granter's scope
            await grants.grant_role(s, cp, "nobody", "window_clerk", "341881204")


async def test_local_grant_permissions_do_not_allow_subtree_grants(system_session,
                                                                   sessionmaker, settings):
    await build_world(system_session)
    lead = await make_user(system_session, settings, "ng.lead", "341881",
                           [("county_admin", "341881", False)])
    await make_user(system_session, settings, "ng.clerk", "341881")
    p = await principal_of(sessionmaker, settings, lead)
    async with acting_session(sessionmaker, p) as s:
        with pytest.raises(RoleEscalation):
            await grants.grant_role(s, p, "ng.clerk", "window_clerk", "341881")
        g = await grants.grant_role(s, p, "ng.clerk", "window_clerk", "341881", subtree=False)
        assert not g.subtree


async def test_revoke_and_list_grants(system_session, sessionmaker, settings):
    county, city = await _admins(system_session, settings)
    await make_user(system_session, settings, "ng.clerk", "341881",
                    [("window_clerk", "341881", True), ("approver", "341881204", False)])
    await make_user(system_session, settings, "xz.clerk", "341802",
                    [("window_clerk", "341802", True)])
    p = await principal_of(sessionmaker, settings, county)
    async with acting_session(sessionmaker, p) as s:
        listed = [(g.role, g.tenant_path) for g in await grants.list_grants(s, p)]
        assert ("window_clerk", "34/3418/341802") not in listed
        assert ("approver", "34/3418/341881/341881204") in listed
        mine = await grants.list_grants(s, p, user="ng.clerk")
        assert {g.role for g in mine} == {"window_clerk", "approver"}
        assert [g.role for g in await grants.list_grants(s, p, under="341881204")] == ["approver"]
        with pytest.raises(NotFound):
            await grants.list_grants(s, p, user="xz.clerk")
        await grants.revoke_role(s, p, "ng.clerk", "approver", "341881204")
        with pytest.raises(NotFound) as e:
            await grants.revoke_role(s, p, "ng.clerk", "approver", "341881204")
        assert e.value.code == "grant.not_found"
        await s.commit()
    assert await count(system_session, Grant, role="approver") == 0
    revoked = await system_session.scalar(select(audit.AuditEntry)
                                          .where(audit.AuditEntry.action == "grant.revoke"))
    assert revoked.before["role"] == "approver" and revoked.before["username"] == "ng.clerk"
    # The county admin cannot revoke what it could not have granted.
    await roles.define_role(system_session, SYSTEM, "3418", "merger", "区划调整员",
                            ["tenant:read", "tenant:merge"])
    await make_user(system_session, settings, "ng.merger", "341881",
                    [("3418.merger", "341881", True)])
    async with acting_session(sessionmaker, p) as s:
        with pytest.raises(RoleEscalation):
            await grants.revoke_role(s, p, "ng.merger", "3418.merger", "341881")
    cp = await principal_of(sessionmaker, settings, city)
    async with acting_session(sessionmaker, cp) as s:
        await grants.revoke_role(s, cp, "ng.merger", "3418.merger", "341881")
