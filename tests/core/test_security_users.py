"""Users: creation with validation and audit, scoped reads and lists, activation, passwords."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from tests.core.security_support import (
    PASSWORD,
    SYSTEM,
    acting_session,
    count,
    make_user,
    principal_of,
)
from tests.world import build_world
from zhengwu.core import audit
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security import passwords, users
from zhengwu.core.security.models import User
from zhengwu.core.security.users import NewUser


async def test_create_user_hashes_password_and_audits_without_secrets(system_session, settings):
    await build_world(system_session)
    user = await users.create_user(system_session, SYSTEM,
                                   NewUser("Wang.Fang", "341881", PASSWORD, "王芳"),
                                   settings=settings)
    await system_session.commit()
    assert user.username == "wang.fang"  # stored in lower case
    assert user.tenant_path == "34/3418/341881" and user.display_name == "王芳"
    assert user.password_hash and PASSWORD not in user.password_hash
    assert await passwords.verify_password(user.password_hash, PASSWORD)
    entry = await system_session.scalar(select(audit.AuditEntry)
                                        .where(audit.AuditEntry.action == "user.create"))
    assert entry is not None and entry.target_id == str(user.id)
    assert entry.tenant_path == "34/3418/341881" and entry.actor == "tester"
    assert "password_hash" not in entry.after and "$argon2" not in str(entry.after)


@pytest.mark.parametrize("name", ["ab", "x" * 65, "has space", "semi;colon", "中文名", ""])
async def test_bad_usernames_are_refused(system_session, settings, name):
    await build_world(system_session)
    with pytest.raises(Invalid) as e:
        await users.create_user(system_session, SYSTEM, NewUser(name, "341881", PASSWORD),
                                settings=settings)
    assert e.value.code == "user.bad_username" and e.value.field == "username"


async def test_weak_password_writes_nothing(system_session, settings):
    await build_world(system_session)
    with pytest.raises(Invalid) as e:
        await users.create_user(system_session, SYSTEM, NewUser("li.lei", "341881", "password1"),
                                settings=settings)
    assert e.value.code == "user.weak_password"
    await system_session.rollback()
    assert await count(system_session, User) == 0


async def test_person_needs_a_password_service_does_not(system_session, settings):
    await build_world(system_session)
    with pytest.raises(Invalid) as e:
        await users.create_user(system_session, SYSTEM, NewUser("li.lei", "341881", None),
                                settings=settings)
    assert e.value.code == "user.password_required"
    svc = await users.create_user(system_session, SYSTEM,
                                  NewUser("kiosk-client", "341881", None, kind="service"),
                                  settings=settings)
    assert svc.password_hash is None and svc.kind == "service"


async def test_duplicate_username_conflicts_case_insensitively(system_session, settings):
    await build_world(system_session)
    await make_user(system_session, settings, "zhao.lei", "341881")
    with pytest.raises(Conflict) as e:
        await users.create_user(system_session, SYSTEM, NewUser("Zhao.Lei", "341802", PASSWORD),
                                settings=settings)
    assert e.value.code == "user.duplicate_username" and e.value.field == "username"


async def test_duplicate_hidden_by_scope_still_conflicts(system_session, sessionmaker, settings):
    """The namesake lives in another county; the admin cannot see it but cannot take its name."""
    await build_world(system_session)
    await make_user(system_session, settings, "zhao.lei", "341802")
    admin = await make_user(system_session, settings, "ng.admin", "341881",
                            [("county_admin", "341881", True)])
    p = await principal_of(sessionmaker, settings, admin)
    async with acting_session(sessionmaker, p) as s:
        with pytest.raises(Conflict) as e:
            await users.create_user(s, p, NewUser("zhao.lei", "341881", PASSWORD),
                                    settings=settings)
        assert e.value.code == "user.duplicate_username"
    assert await count(system_session, User, username="zhao.lei") == 1


async def test_access_user_missing_and_foreign_are_the_same_not_found(system_session,
                                                                     sessionmaker, settings):
    await build_world(system_session)
    foreign = await make_user(system_session, settings, "xz.clerk", "341802")
    admin = await make_user(system_session, settings, "ng.admin", "341881",
                            [("county_admin", "341881", True)])
    own = await make_user(system_session, settings, "ng.clerk", "341881204")
    p = await principal_of(sessionmaker, settings, admin)
    async with acting_session(sessionmaker, p) as s:
        assert (await users.access_user(s, p, own.id)).username == "ng.clerk"
        assert (await users.get_user(s, p, "NG.CLERK")).id == own.id
        errors = []
        for ref in (foreign.id, "xz.clerk", uuid.uuid4(), "nobody"):
            with pytest.raises(NotFound) as e:
                await users.access_user(s, p, ref)
            errors.append(e.value.code)
        assert set(errors) == {"user.not_found"}


async def test_staff_read_only_themselves(system_session, sessionmaker, settings):
    await build_world(system_session)
    clerk = await make_user(system_session, settings, "ng.clerk", "341881",
                            [("window_clerk", "341881", True)])
    await make_user(system_session, settings, "ng.other", "341881")
    p = await principal_of(sessionmaker, settings, clerk)
    async with acting_session(sessionmaker, p) as s:
        assert (await users.access_user(s, p, "ng.clerk")).id == clerk.id
        with pytest.raises(NotFound):
            await users.access_user(s, p, "ng.other")
        assert await users.list_users(s, p) == []


async def test_list_users_is_scoped_and_honours_local_grants(system_session, sessionmaker,
                                                             settings):
    await build_world(system_session)
    for name, code in [("a.city", "3418"), ("b.county", "341881"), ("c.town", "341881204"),
                       ("d.sibling", "341802"), ("e.other", "152501")]:
        await make_user(system_session, settings, name, code)
    city = await make_user(system_session, settings, "xc.admin", "3418",
                           [("city_admin", "3418", True)])
    local = await make_user(system_session, settings, "xc.local", "3418",
                            [("supervisor", "3418", False)])
    p = await principal_of(sessionmaker, settings, city)
    async with acting_session(sessionmaker, p) as s:
        names = [u.username for u in await users.list_users(s, p)]
        assert names == ["a.city", "b.county", "c.town", "d.sibling", "xc.admin", "xc.local"]
        under = [u.username for u in await users.list_users(s, p, under="341881")]
        assert under == ["b.county", "c.town"]
        page = await users.list_users(s, p, after="b.county", limit=2)
        assert [u.username for u in page] == ["c.town", "d.sibling"]
        assert [u.username for u in await users.list_users(s, p, search="SIB")] == ["d.sibling"]
        with pytest.raises(NotFound):
            await users.list_users(s, p, under="152501")
    # A local grant at the city reads the city's own users, not the counties below.
    lp = await principal_of(sessionmaker, settings, local)
    async with acting_session(sessionmaker, lp) as s:
        names = [u.username for u in await users.list_users(s, lp)]
        assert names == ["a.city", "xc.admin", "xc.local"]
        with pytest.raises(NotFound):
            await users.access_user(s, lp, "b.county")


async def test_deactivate_and_reset_password(system_session, sessionmaker, settings):
    await build_world(system_session)
    admin = await make_user(system_session, settings, "ng.admin", "341881",
                            [("county_admin", "341881", True)])
    clerk = await make_user(system_session, settings, "ng.clerk", "341881204")
    p = await principal_of(sessionmaker, settings, admin)
    async with acting_session(sessionmaker, p) as s:
        u = await users.set_user_active(s, p, "ng.clerk", False)
        assert not u.is_active
        await users.set_password(s, p, clerk.id, "Fangtang-Office-77", settings=settings)
        with pytest.raises(Invalid):
            await users.set_password(s, p, clerk.id, "short", settings=settings)
        await s.commit()
    await system_session.refresh(clerk)
    assert not clerk.is_active
    assert await passwords.verify_password(clerk.password_hash, "Fangtang-Office-77")
    actions = set((await system_session.scalars(select(audit.AuditEntry.action))).all())
    assert {"user.deactivate", "user.set_password"} <= actions


async def test_update_needs_permission(system_session, sessionmaker, settings):
    await build_world(system_session)
    sup = await make_user(system_session, settings, "ng.sup", "341881",
                          [("supervisor", "341881", True)])
    await make_user(system_session, settings, "ng.clerk", "341881")
    p = await principal_of(sessionmaker, settings, sup)
    async with acting_session(sessionmaker, p) as s:
        assert (await users.access_user(s, p, "ng.clerk")).username == "ng.clerk"  # user:read
        with pytest.raises(PermissionDenied):
            await users.set_user_active(s, p, "ng.clerk", False)


async def test_change_own_password_needs_the_current_one(system_session, sessionmaker, settings):
    await build_world(system_session)
    me = await make_user(system_session, settings, "ng.clerk", "341881",
                         [("window_clerk", "341881", True)])
    p = await principal_of(sessionmaker, settings, me)
    async with acting_session(sessionmaker, p) as s:
        with pytest.raises(Invalid) as e:
            await users.change_own_password(s, p, "wrong", "Another-Good-One-9",
                                            settings=settings)
        assert e.value.code == "user.wrong_password"
        await users.change_own_password(s, p, PASSWORD, "Another-Good-One-9", settings=settings)
        await s.commit()
    await system_session.refresh(me)
    assert await passwords.verify_password(me.password_hash, "Another-Good-One-9")
