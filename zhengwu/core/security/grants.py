"""Grants: a role given to a user at a tenant, for its subtree or for that tenant only.

What this module holds: ``grant_role``, ``revoke_role`` and ``list_grants`` over the
``grants`` table, and ``grant_ref`` (the row as a principal carries it). The rules:

* the granter needs ``grant:write`` at the tenant, and the tenant lies in its scope;
* no escalation: the granter holds every permission of the role at that tenant — across
  the tenant's whole subtree when the grant is a subtree grant (``rbac.check_no_escalation``);
* the role is grantable at the tenant's tier (``RoleDef.tiers``: no ``province_admin`` at a
  county) and, for a custom role, inside the subtree of the tenant that defined it;
* the grantee's home tenant lies in the granter's scope (``access_user``), and the grant's
  tenant is the grantee's home tenant or below it: a user acts only at its home tenant or
  a descendant, so a grant elsewhere could never be used;
* revoking follows the same rules as granting (nobody removes what they could not give).

Every change is audited. Grants take effect on the grantee's next request (principals are
built per request from the table). It must never decide access itself: that is ``can()``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.models import Grant, User
from zhengwu.core.security.principal import GrantRef, Principal, is_ancestor_or_self
from zhengwu.core.security.rbac import (
    Resource,
    RoleDef,
    can,
    check_no_escalation,
    permitted_clause,
    policy,
)
from zhengwu.core.security.roles import effective_path, lookup_role
from zhengwu.core.security.users import access_user, tenant_in_scope
from zhengwu.tenants.models import Tenant

__all__ = ["grant_ref", "grant_role", "list_grants", "revoke_role", "snapshot"]


def grant_ref(role: str, tenant_path: str, subtree: bool) -> GrantRef:
    """A grant as a principal carries it (the platform root's grants reach every tenant)."""
    return GrantRef(role, effective_path(tenant_path), subtree)


def snapshot(grant: Grant, username: str | None = None) -> dict[str, Any]:
    return {"id": str(grant.id), "user_id": str(grant.user_id), "username": username,
            "role": grant.role, "tenant_path": grant.tenant_path, "subtree": grant.subtree,
            "granted_by": grant.granted_by}


def _role(session: AsyncSession, name: str) -> RoleDef:
    role = lookup_role(session, name)
    if role is None:
        raise NotFound("role", name)
    return role


def _permissions(role: RoleDef) -> frozenset[str]:
    """Concrete permissions of a role (custom roles hold concrete ones by construction)."""
    return frozenset(role.permissions) if role.is_custom else policy.role_permissions(role.name)


async def _checked(session: AsyncSession, principal: Principal, user_ref: uuid.UUID | str,
                   role_name: str, tenant_code: str, subtree: bool) -> tuple[User, Tenant,
                                                                            RoleDef]:
    """Every rule shared by granting and revoking; returns the grantee, tenant and role."""
    tenant = await tenant_in_scope(session, principal, tenant_code)
    if not can(principal, "write", Resource("grant", tenant.path)):
        raise PermissionDenied("grant:write", tenant.path)
    user = await access_user(session, principal, user_ref)
    role = _role(session, role_name)
    path = effective_path(tenant.path)
    if not is_ancestor_or_self(effective_path(user.tenant_path), path):
        raise Invalid("grant.outside_home",
                      f"只能在用户 {user.username} 的所属单位或其下级授权",
                      f"{user.username} can only be granted roles at its home tenant or below",
                      field="tenant")
    if not role.grantable_at(tenant.tier):
        allowed = "、".join(role.tiers)
        raise Invalid("grant.wrong_tier",
                      f"角色 {role.name}（{role.title_zh}）只能在 {allowed} 级授予",
                      f"role {role.name} can be granted only at tier(s) {', '.join(role.tiers)}, "
                      f"not at {tenant.tier}", field="role", tier=tenant.tier)
    if not role.grantable_in(path):
        raise Invalid("grant.outside_role_scope",
                      f"自定义角色 {role.name} 只能在定义它的单位及其下级授予",
                      f"custom role {role.name} can be granted only in the subtree of the "
                      "tenant that defined it", field="tenant")
    check_no_escalation(principal, tenant.path, _permissions(role),
                        throughout=subtree)
    return user, tenant, role


async def grant_role(session: AsyncSession, principal: Principal, user_ref: uuid.UUID | str,
                     role: str, tenant_code: str, *, subtree: bool = True) -> Grant:
    """Grant ``role`` to a user at ``tenant_code`` (for its subtree unless ``subtree=False``)."""
    user, tenant, _ = await _checked(session, principal, user_ref, role, tenant_code, subtree)
    existing = await session.scalar(select(Grant).where(
        Grant.user_id == user.id, Grant.role == role, Grant.tenant_id == tenant.id))
    if existing is not None:
        raise Conflict("grant.duplicate", f"{user.username} 已在 {tenant.name} 拥有角色 {role}",
                       f"{user.username} already holds {role} at {tenant.code}", field="role")
    grant = Grant(user_id=user.id, role=role, subtree=subtree, granted_by=principal.username,
                  tenant_id=tenant.id, tenant_path=tenant.path)
    session.add(grant)
    await session.flush()
    await audit.record(session, principal, "grant.create", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="grant", target_id=grant.id,
                       after=snapshot(grant, user.username))
    return grant


async def revoke_role(session: AsyncSession, principal: Principal, user_ref: uuid.UUID | str,
                      role: str, tenant_code: str) -> None:
    """Revoke ``role`` from a user at ``tenant_code`` (``grant.not_found`` if not held there)."""
    tenant = await tenant_in_scope(session, principal, tenant_code)
    user = await access_user(session, principal, user_ref)
    grant = await session.scalar(select(Grant).where(
        Grant.user_id == user.id, Grant.role == role, Grant.tenant_id == tenant.id,
        subtree_clause(Grant.tenant_path, principal.scope)))
    if grant is None:
        raise NotFound("grant", f"{user.username} {role} @ {tenant.code}")
    if lookup_role(session, role) is not None:
        await _checked(session, principal, user.id, role, tenant.code, grant.subtree)
    elif not can(principal, "write", Resource("grant", tenant.path)):
        # A custom role deleted elsewhere: nothing to escalate, but the right is still needed.
        raise PermissionDenied("grant:write", tenant.path)
    before = snapshot(grant, user.username)
    await session.execute(delete(Grant).where(Grant.id == grant.id))
    await audit.record(session, principal, "grant.revoke", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="grant", target_id=grant.id,
                       before=before)


async def list_grants(session: AsyncSession, principal: Principal, *,
                      user: uuid.UUID | str | None = None, under: str | None = None,
                      role: str | None = None, limit: int = 500) -> list[Grant]:
    """Grants the principal may read (``grant:read``), filtered in SQL by scope.

    ``user`` narrows to one grantee (``user.not_found`` if not readable), ``under`` (a
    division code in scope) to a subtree, ``role`` to one role.
    """
    if principal.is_anonymous:
        if user is not None:
            raise NotFound("user", user)
        if under is not None:
            raise NotFound("tenant", under)
        return []
    stmt = select(Grant).where(subtree_clause(Grant.tenant_path, principal.scope),
                               permitted_clause(Grant.tenant_path, principal, "grant", "read"))
    if user is not None:
        grantee = await access_user(session, principal, user)
        stmt = stmt.where(Grant.user_id == grantee.id)
    if under is not None:
        tenant = await tenant_in_scope(session, principal, under)
        stmt = stmt.where(subtree_clause(Grant.tenant_path, tenant.path))
    if role is not None:
        stmt = stmt.where(Grant.role == role)
    stmt = stmt.order_by(Grant.tenant_path, Grant.role, Grant.id).limit(max(1, min(limit, 5000)))
    return list((await session.scalars(stmt)).all())
