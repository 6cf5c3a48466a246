"""With every built-in plugin installed, each tier's admin can still appoint the staff of its
tier: granting a role needs every permission the role carries (no escalation), so a plugin
that gives a staff role a permission must give the admins it as well."""

from __future__ import annotations

import pytest

from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.core.security.rbac import check_no_escalation, policy
from zhengwu.platform import boot

DISCLOSURE_AND_SUPERVISION = ("disclosure_editor", "disclosure_reviewer", "disclosure_approver",
                              "supervisor", "assessor")
ADMINS = {
    # admin: (where, tier, the roles it must be able to grant there)
    "province_admin": ("34", "province", DISCLOSURE_AND_SUPERVISION),
    "city_admin": ("34/3418", "city", DISCLOSURE_AND_SUPERVISION),
    "county_admin": ("34/3418/341881", "county",
                     ("window_clerk", "approver", "agent", *DISCLOSURE_AND_SUPERVISION)),
}
"""Provinces and cities take no cases (intake's window roles are the counties' to give); every
tier discloses and supervises."""


@pytest.mark.parametrize("admin", sorted(ADMINS))
def test_every_admin_can_grant_every_staff_role(admin):
    host = boot()
    assert {"intake", "supervision", "disclosure"} <= set(host.infos)
    path, tier, roles = ADMINS[admin]
    who = Principal(None, admin, None, path, None, path, tier, (GrantRef(admin, path),))
    for role in roles:
        check_no_escalation(who, path, policy.role_permissions(role))
