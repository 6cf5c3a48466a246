"""The isolation matrix of the core: who may read and change what at 宁国市 (341881).

The target is the county 宁国市 and a user homed there. Principals attack from every side:
its own county admin, the sibling county 宣州区, a child township (方塘乡, with the township
admin role 宁国市 defined), the parent city 宣城市, another province (内蒙古) and anonymous.
Each principal is built as a request builds it (JWT → ``principal_for_bearer``) and works in
a session scoped to ``principal.scope``, so on PostgreSQL row-level security is in play too.

Only the allowed ones succeed. A denied read is ``not_found`` exactly like a missing record;
a denied write leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.core.security_support import (
    acting_session,
    count,
    define_town_admin,
    make_user,
    principal_of,
    reset_custom_roles,
)
from tests.world import build_world
from zhengwu.core.errors import DomainError, NotFound, PermissionDenied
from zhengwu.core.security import grants, users
from zhengwu.core.security.models import Grant, User
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import policy
from zhengwu.tenants import provisioning
from zhengwu.tenants.models import Tenant

TARGET = "341881"
TARGET_USER = "target.user"
WHO = ("same", "sibling", "child", "parent", "other", "anonymous")


@pytest.fixture(autouse=True)
def _clean_policy():
    """The core's policy alone, whatever plugins an earlier test in this process loaded: this
    matrix is about the core. (With intake installed a city admin cannot appoint a county's
    window clerk — it holds no case permissions to hand on; tests/plugins/test_admin_grants.py
    covers the plugins' roles.)"""
    saved = policy.snapshot()
    policy.load()
    reset_custom_roles()
    yield
    reset_custom_roles()
    policy.load(*saved)


@pytest.fixture
async def principals(system_session, sessionmaker, settings) -> dict[str, Principal]:
    await build_world(system_session)
    town_admin = await define_town_admin(system_session)
    await make_user(system_session, settings, TARGET_USER, TARGET)
    spec = {
        "same": ("ng.admin", "341881", "county_admin"),
        "sibling": ("xz.admin", "341802", "county_admin"),
        "child": ("ft.admin", "341881204", town_admin),
        "parent": ("xc.admin", "3418", "city_admin"),
        "other": ("nm.admin", "15", "province_admin"),
    }
    out: dict[str, Principal] = {"anonymous": Principal.anonymous()}
    for who, (name, code, role) in spec.items():
        user = await make_user(system_session, settings, name, code, [(role, code, True)])
        out[who] = await principal_of(sessionmaker, settings, user)
    return out


Op = Callable[[Any, Principal, Any], Awaitable[object]]


async def _outcome(sessionmaker, settings, principal: Principal, op: Op) -> str:
    async with acting_session(sessionmaker, principal) as s:
        try:
            result = await op(s, principal, settings)
        except NotFound as e:
            return e.code
        except PermissionDenied as e:
            return e.code
        except DomainError as e:  # anything else is a failure of the test's design
            return f"unexpected {e.code}"
        return "ok" if result is not False else "invisible"


async def _matrix(sessionmaker, settings, principals, op: Op, who=WHO) -> dict[str, str]:
    return {w: await _outcome(sessionmaker, settings, principals[w], op) for w in who}


async def test_reading_a_user(principals, sessionmaker, settings):
    async def op(s, p, _):
        return await users.access_user(s, p, TARGET_USER)

    assert await _matrix(sessionmaker, settings, principals, op) == {
        "same": "ok", "parent": "ok", "sibling": "user.not_found", "child": "user.not_found",
        "other": "user.not_found", "anonymous": "user.not_found"}

    async def missing(s, p, _):
        return await users.access_user(s, p, uuid.uuid4())

    # Denied is indistinguishable from nonexistent.
    assert await _outcome(sessionmaker, settings, principals["parent"], missing) == \
        "user.not_found"


async def test_listing_users(principals, sessionmaker, settings):
    async def op(s, p, _):
        return TARGET_USER in {u.username for u in await users.list_users(s, p)}

    assert await _matrix(sessionmaker, settings, principals, op) == {
        "same": "ok", "parent": "ok", "sibling": "invisible", "child": "invisible",
        "other": "invisible", "anonymous": "invisible"}

    async def under(s, p, _):
        return TARGET_USER in {u.username for u in await users.list_users(s, p, under=TARGET)}

    assert await _matrix(sessionmaker, settings, principals, under) == {
        "same": "ok", "parent": "ok", "sibling": "tenant.not_found", "child": "tenant.not_found",
        "other": "tenant.not_found", "anonymous": "tenant.not_found"}


async def test_creating_a_user_there(principals, sessionmaker, settings, system_session):
    async def op(s, p, st):
        user = await users.create_user(s, p, users.NewUser(f"new.{p.username}", TARGET,
                                                           "Ningguo-New-2024!"), settings=st)
        assert user.tenant_path == "34/3418/341881"
        return user

    assert await _matrix(sessionmaker, settings, principals, op) == {
        "same": "ok", "parent": "ok", "sibling": "tenant.not_found",
        "child": "tenant.not_found", "other": "tenant.not_found",
        "anonymous": "tenant.not_found"}
    # Every attempt was rolled back; denied ones never wrote anything in the first place.
    assert await count(system_session, User) == 6


async def test_granting_a_role_there(principals, sessionmaker, settings, system_session):
    before = await count(system_session, Grant)

    async def op(s, p, _):
        return await grants.grant_role(s, p, TARGET_USER, "window_clerk", TARGET)

    assert await _matrix(sessionmaker, settings, principals, op) == {
        "same": "ok", "parent": "ok", "sibling": "tenant.not_found",
        "child": "tenant.not_found", "other": "tenant.not_found",
        "anonymous": "tenant.not_found"}

    async def by_id(s, p, _):  # naming a tenant it may act at does not help with a stranger
        return await grants.grant_role(s, p, TARGET_USER, "window_clerk", p.acting_path
                                       .rsplit("/", 1)[-1])

    assert await _matrix(sessionmaker, settings, principals, by_id,
                         ("sibling", "child", "other")) == {
        "sibling": "user.not_found", "child": "user.not_found", "other": "user.not_found"}
    assert await count(system_session, Grant) == before


async def test_creating_a_tenant_under_it(principals, sessionmaker, settings, system_session):
    async def op(s, p, _):
        return await provisioning.create_tenant(s, p, "341881205", "新设乡")

    assert await _matrix(sessionmaker, settings, principals, op) == {
        "same": "ok", "parent": "ok", "sibling": "auth.permission_denied",
        "child": "auth.permission_denied", "other": "auth.permission_denied",
        "anonymous": "auth.permission_denied"}
    assert await system_session.scalar(select(Tenant).where(Tenant.code == "341881205")) is None


async def test_suspending_it(principals, sessionmaker, settings, system_session):
    async def op(s, p, _):
        return await provisioning.suspend_tenant(s, p, TARGET)

    who = ("sibling", "child", "parent", "other", "anonymous")
    assert await _matrix(sessionmaker, settings, principals, op, who) == {
        "parent": "ok", "sibling": "tenant.not_found",
        # The township sees its ancestors as breadcrumbs, but may not act on them.
        "child": "auth.permission_denied",
        "other": "tenant.not_found", "anonymous": "tenant.not_found"}
    status = await system_session.scalar(select(Tenant.status).where(Tenant.code == TARGET))
    assert status == "active"
