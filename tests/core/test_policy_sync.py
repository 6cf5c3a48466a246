"""Custom-role changes made by another process reach this one (``policy_sync``).

"Another process" is played by writing the database directly — the role row and the
``policy_version`` counter, as ``roles`` does in the other process's transaction — while this
process's in-memory policy keeps what it loaded."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.core.security_support import (
    acting_session,
    define_town_admin,
    make_user,
    principal_of,
    reset_custom_roles,
)
from tests.world import build_world
from zhengwu.core.security import rbac, roles
from zhengwu.core.security.models import CustomRole
from zhengwu.core.security.policy_sync import PolicySync
from zhengwu.core.security.rbac import Resource, can


@pytest.fixture(autouse=True)
def _clean_policy():
    reset_custom_roles()
    rbac.policy.version = None
    yield
    reset_custom_roles()
    rbac.policy.version = None


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _viewer(system_session, sessionmaker, settings):
    """A county admin defines ``341881.viewer`` (user:read) and grants it to ng.viewer."""
    await build_world(system_session)
    admin = await make_user(system_session, settings, "ng.admin", "341881",
                            [("county_admin", "341881", True)])
    p = await principal_of(sessionmaker, settings, admin)
    async with acting_session(sessionmaker, p) as s:
        await roles.define_role(s, p, "341881", "viewer", "查看人员", ["user:read"])
        await s.commit()
    viewer = await make_user(system_session, settings, "ng.viewer", "341881",
                             [("341881.viewer", "341881", True)])
    return await principal_of(sessionmaker, settings, viewer)


async def _other_process_sets(system_session, permissions: list[str]) -> None:
    await system_session.execute(update(CustomRole).where(CustomRole.name == "341881.viewer")
                                 .values(permissions=permissions))
    await roles.bump_policy_version(system_session)
    await system_session.commit()


async def test_every_role_change_raises_the_version_in_its_transaction(system_session,
                                                                        sessionmaker, settings):
    before = await roles.read_policy_version(system_session)
    await _viewer(system_session, sessionmaker, settings)
    assert await roles.read_policy_version(system_session) == before + 1
    await roles.reload_policy(system_session)
    assert rbac.policy.version == before + 1


async def test_a_permission_removed_elsewhere_stops_working_within_the_interval(
        system_session, sessionmaker, settings):
    viewer = await _viewer(system_session, sessionmaker, settings)
    await roles.reload_policy(system_session)
    clock = FakeClock()
    sync = PolicySync(sessionmaker, 1.0, monotonic=clock)
    user_here = Resource("user", "34/3418/341881")
    assert can(viewer, "read", user_here)

    await _other_process_sets(system_session, ["venue:read"])
    assert await sync.refresh() is False  # checked less than a second ago
    assert can(viewer, "read", user_here)  # stale for at most the interval
    clock.now += 1.0
    assert await sync.refresh() is True
    assert not can(viewer, "read", user_here)
    assert can(viewer, "read", Resource("venue", "34/3418/341881"))
    assert sync.reloads == 1

    clock.now += 5.0
    assert await sync.refresh() is False  # nothing changed: one read, no reload
    assert sync.reloads == 1


async def test_a_role_defined_and_deleted_elsewhere_appears_and_disappears(
        system_session, sessionmaker):
    await build_world(system_session)
    await roles.reload_policy(system_session)
    loaded = rbac.policy.version
    clock = FakeClock()
    sync = PolicySync(sessionmaker, 0.5, monotonic=clock)
    town = await define_town_admin(system_session)  # raises the version in its transaction
    rbac.policy.set_custom_roles(())  # this process plays the one that did not define it
    rbac.policy.version = loaded
    clock.now += 0.5
    assert await sync.refresh() is True
    assert town in rbac.policy.roles

    await system_session.execute(CustomRole.__table__.delete())  # deleted elsewhere
    await roles.bump_policy_version(system_session)
    await system_session.commit()
    clock.now += 0.5
    assert await sync.refresh() is True
    assert town not in rbac.policy.roles
