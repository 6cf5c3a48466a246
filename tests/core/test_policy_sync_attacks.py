"""Attacks on the policy version (``policy_sync``, ``roles``): who can raise it, and what a
failed reload leaves behind."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.core.security_support import acting_session, reset_custom_roles
from tests.core.test_policy_sync import FakeClock, _viewer
from zhengwu.core.errors import NotFound, PermissionDenied
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


async def test_a_principal_without_role_write_cannot_raise_the_version(system_session,
                                                                      sessionmaker, settings):
    """Only a role change raises the version; a refused one raises nothing (no reload storm
    for every process by whoever can call the API)."""
    viewer = await _viewer(system_session, sessionmaker, settings)
    before = await roles.read_policy_version(system_session)
    async with acting_session(sessionmaker, viewer) as s:
        with pytest.raises(PermissionDenied):
            await roles.define_role(s, viewer, "341881", "mine", "我的", ["user:read"])
        with pytest.raises((NotFound, PermissionDenied)):
            await roles.update_role(s, viewer, "341881.viewer", permissions=["user:read"])
        with pytest.raises((NotFound, PermissionDenied)):
            await roles.delete_role(s, viewer, "341881.viewer")
        await s.commit()
    assert await roles.read_policy_version(system_session) == before


async def test_a_rolled_back_change_leaves_version_and_policy_alone(system_session, sessionmaker,
                                                                    settings):
    viewer = await _viewer(system_session, sessionmaker, settings)
    await roles.reload_policy(system_session)
    before = await roles.read_policy_version(system_session)
    await system_session.execute(update(CustomRole).where(CustomRole.name == "341881.viewer")
                                 .values(permissions=["venue:read"]))
    await roles.bump_policy_version(system_session)
    await system_session.rollback()
    assert await roles.read_policy_version(system_session) == before
    sync = PolicySync(sessionmaker, 1.0, monotonic=FakeClock())
    sync._checked_at = None
    assert await sync.refresh() is False
    assert can(viewer, "read", Resource("user", "34/3418/341881"))


async def test_a_failed_check_keeps_the_loaded_policy_and_retries(system_session, sessionmaker,
                                                                   settings, monkeypatch):
    """A database error during the check fails that request only: the policy stays the one
    loaded (not half-replaced, not emptied), and the next check after the interval reloads."""
    viewer = await _viewer(system_session, sessionmaker, settings)
    await roles.reload_policy(system_session)
    loaded = rbac.policy.version
    clock = FakeClock()
    sync = PolicySync(sessionmaker, 1.0, monotonic=clock)
    await system_session.execute(update(CustomRole).where(CustomRole.name == "341881.viewer")
                                 .values(permissions=["venue:read"]))
    await roles.bump_policy_version(system_session)
    await system_session.commit()

    real = roles.reload_policy

    async def broken(session):
        raise ConnectionError("database went away")

    monkeypatch.setattr(roles, "reload_policy", broken)
    clock.now += 1.0
    with pytest.raises(ConnectionError):
        await sync.refresh()
    assert rbac.policy.version == loaded
    assert "341881.viewer" in rbac.policy.roles  # the loaded roles, intact
    assert can(viewer, "read", Resource("user", "34/3418/341881"))
    monkeypatch.setattr(roles, "reload_policy", real)
    assert await sync.refresh() is False  # within the interval of the failed check
    clock.now += 1.0
    assert await sync.refresh() is True
    assert not can(viewer, "read", Resource("user", "34/3418/341881"))
    assert rbac.policy.version != loaded
