"""``can()``, ``permissions_at`` and the policy object, without a database."""

from __future__ import annotations

import pytest

from tests.core.security_support import reset_custom_roles
from zhengwu.core.security import rbac
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.core.security.rbac import Resource, RoleDef, RoleEscalation, can

COUNTY = "34/3418/341881"
TOWN = "34/3418/341881/341881204"


def at(path: str, tier: str, *grants: GrantRef, acting: str | None = None) -> Principal:
    return Principal(None, "p", None, path, None, acting or path, tier, grants)


@pytest.fixture(autouse=True)
def _clean_policy():
    reset_custom_roles()
    yield
    reset_custom_roles()


def test_subtree_and_local_grants():
    sub = at(COUNTY, "county", GrantRef("county_admin", COUNTY))
    assert can(sub, "create", Resource("user", TOWN))
    assert not can(sub, "create", Resource("user", "34/3418/341802"))  # sibling
    assert not can(sub, "create", Resource("user", "34/3418"))  # parent
    local = at(COUNTY, "county", GrantRef("county_admin", COUNTY, subtree=False))
    assert can(local, "create", Resource("user", COUNTY))
    assert not can(local, "create", Resource("user", TOWN))
    assert not can(Principal.anonymous(), "read", Resource("tenant", COUNTY))
    assert can(Principal.system(), "merge", Resource("tenant", "15"))


def test_acting_scope_limits_even_wider_grants():
    city_admin_at_county = at("34/3418", "county", GrantRef("city_admin", "34/3418"),
                              acting=COUNTY)
    assert can(city_admin_at_county, "update", Resource("user", TOWN))
    assert not can(city_admin_at_county, "update", Resource("user", "34/3418/341802"))


def test_deny_by_default_for_unknown_kinds_and_actions():
    p = at(COUNTY, "county", GrantRef("window_clerk", COUNTY))
    assert can(p, "read", Resource("venue", COUNTY))
    assert not can(p, "write", Resource("venue", COUNTY))
    assert not can(p, "read", Resource("case", COUNTY))  # no plugin rule grants it


def test_permissions_at_throughout_ignores_local_grants():
    p = at(COUNTY, "county", GrantRef("county_admin", COUNTY, subtree=False),
           GrantRef("window_clerk", COUNTY))
    assert "user:create" in rbac.permissions_at(p, COUNTY)
    assert "user:create" not in rbac.permissions_at(p, COUNTY, throughout=True)
    assert rbac.permissions_at(p, COUNTY, throughout=True) == {
        "tenant:read", "setting:read", "venue:read", "catalog:read", "implementation:read",
        "delegation:read"}
    with pytest.raises(RoleEscalation) as e:
        rbac.check_no_escalation(p, COUNTY, ["venue:read", "user:create"])
    assert e.value.params["permissions"] == ["user:create"]
    rbac.check_no_escalation(p, COUNTY, ["user:create"], throughout=False)


def test_policy_keeps_plugin_rules_when_custom_roles_change():
    saved = (tuple(rbac.policy._extra_roles.values()), rbac.policy._extra_permissions,
             dict(rbac.policy._plugin_grants))
    try:
        rbac.policy.load(extra_permissions=["case:read", "case:accept"],
                         plugin_grants={"window_clerk": ["case:read", "case:accept"]})
        rbac.policy.set_custom_roles([RoleDef("3418.lead", "负责人", ("case:read",),
                                              scope="34/3418")])
        assert rbac.policy.role_allows("window_clerk", "case", "accept")
        assert rbac.policy.role_allows("3418.lead", "case", "read")
        assert "case:accept" in rbac.policy.permissions
        rbac.policy.drop_role("3418.lead")
        assert "3418.lead" not in rbac.policy.roles
        assert rbac.policy.role_allows("window_clerk", "case", "read")
        role = RoleDef("3418.lead", "x", ("venue:read",), scope="34/3418")
        assert role.grantable_in(COUNTY) and not role.grantable_in("15")
    finally:
        rbac.policy.load(saved[0], saved[1], saved[2])
