"""Custom roles: roles an administrator defines for its subtree, and loading them into casbin.

What this module holds:

* ``define_role`` / ``update_role`` / ``delete_role`` — an admin with ``role:write`` at a
  tenant defines a role there from concrete permissions it holds itself across that
  tenant's subtree (``rbac.check_no_escalation``; otherwise ``role.escalation`` naming the
  missing permissions). The stored name is prefixed with the defining tenant's code
  (``3418.hall_lead``), so names never collide between tenants or with built-in roles, and
  the role can be granted only in that tenant's subtree (``RoleDef.scope``).
* ``list_roles`` — the roles a principal can see at its acting tenant (built-in roles and
  the custom roles defined at or above it, or below it).
* ``reload_policy`` — (re)load every custom role from the database into ``rbac.policy``:
  at start-up and in the CLI, with an operator-scoped session.

Changes made through this module reach ``rbac.policy`` of *this* process when the session's
transaction commits (nothing happens on rollback); until then the same session already sees
them through ``lookup_role`` (define a role and grant it in one transaction). Every change
also raises the counter in ``policy_version`` in the same transaction; other processes
compare it with the version they loaded and reload (``policy_sync``, at most every
``ZHENGWU_POLICY_REFRESH_SECONDS`` per process, checked before a request is authenticated).

It must never let a role carry a permission its author does not hold, and never touch
built-in roles (they live in ``rbac.BUILTIN_ROLES`` and plugin rules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from zhengwu.core import audit, clock
from zhengwu.core.db import ALL_SCOPE, subtree_clause
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security import rbac
from zhengwu.core.security.models import CustomRole, Grant, PolicyVersion
from zhengwu.core.security.principal import Principal, is_ancestor_or_self
from zhengwu.core.security.rbac import Resource, RoleDef, can, check_no_escalation
from zhengwu.core.security.users import tenant_in_scope
from zhengwu.tenants.codes import PLATFORM_CODE

__all__ = [
    "bump_policy_version",
    "define_role",
    "delete_role",
    "effective_path",
    "list_roles",
    "lookup_role",
    "read_policy_version",
    "reload_policy",
    "role_def",
    "update_role",
]

_SHORT_NAME = re.compile(r"[a-z][a-z0-9_]{1,39}")
_PENDING = "zhengwu.policy_changes"
_COMMITTED = "zhengwu.policy_committed"


def effective_path(path: str) -> str:
    """A tenant path as scopes see it: the platform root (``0``) reaches every province."""
    return ALL_SCOPE if path == PLATFORM_CODE else path


def role_def(row: CustomRole) -> RoleDef:
    """The policy's view of a stored custom role."""
    return RoleDef(row.name, row.title, tuple(row.permissions), (),
                   scope=effective_path(row.tenant_path))


def snapshot(row: CustomRole) -> dict[str, Any]:
    return {"name": row.name, "title": row.title, "permissions": list(row.permissions),
            "tenant_path": row.tenant_path}


# ------------------------------------------------------- apply to the policy on commit


async def _stage(session: AsyncSession, role: RoleDef | None, name: str) -> None:
    """Remember a change (``None``: dropped) to apply to the policy when the session commits,
    and raise the policy version in the same transaction (other processes reload on it)."""
    session.sync_session.info.setdefault(_PENDING, []).append((name, role))
    await bump_policy_version(session)


async def bump_policy_version(session: AsyncSession) -> None:
    """Raise the ``policy_version`` counter (creating its row if a database lacks it)."""
    result = await session.execute(update(PolicyVersion).where(PolicyVersion.id == 1).values(
        version=PolicyVersion.version + 1, changed_at=clock.now()))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(PolicyVersion(id=1, version=1, changed_at=clock.now()))
        await session.flush()


async def read_policy_version(session: AsyncSession) -> int:
    """The stored policy version (0 when the row does not exist yet)."""
    return int(await session.scalar(select(PolicyVersion.version)
                                    .where(PolicyVersion.id == 1)) or 0)


def lookup_role(session: AsyncSession, name: str) -> RoleDef | None:
    """The role ``name`` as this session sees it: its own uncommitted changes, else the policy."""
    staged: list[tuple[str, RoleDef | None]] = session.sync_session.info.get(_PENDING, [])
    for staged_name, role in reversed(staged):
        if staged_name == name:
            return role
    return rbac.policy.roles.get(name)


def _apply(changes: list[tuple[str, RoleDef | None]]) -> None:
    for name, role in changes:
        if role is None:
            rbac.policy.drop_role(name)
        else:
            rbac.policy.put_role(role)


@event.listens_for(Session, "after_commit")
def _mark_committed(session: Session) -> None:
    if session.info.get(_PENDING):
        session.info[_COMMITTED] = True


@event.listens_for(Session, "after_transaction_end")
def _apply_or_discard(session: Session, transaction: SessionTransaction) -> None:
    """On the end of the outermost transaction: apply pending changes if it committed.

    ``after_commit`` also fires when a savepoint is released, so the flag it sets is
    cleared at the end of every nested transaction and honoured only at the root.
    """
    if transaction.nested or transaction.parent is not None:
        session.info.pop(_COMMITTED, None)
        return
    changes = session.info.pop(_PENDING, None)
    committed = session.info.pop(_COMMITTED, False)
    if changes and committed:
        _apply(changes)


# ------------------------------------------------------------------------- services


def _validate_title(title: str) -> str:
    title = (title or "").strip()
    if not title or len(title) > 100:
        raise Invalid("role.bad_title", "角色名称须为 1–100 个字符",
                      "a role title has 1-100 characters", field="title")
    return title


def _validate_permissions(permissions: Iterable[str]) -> tuple[str, ...]:
    perms = tuple(sorted({p.strip() for p in permissions if p and p.strip()}))
    if not perms:
        raise Invalid("role.no_permissions", "角色至少需要一项权限",
                      "a role needs at least one permission", field="permissions")
    unknown = [p for p in perms if p not in rbac.policy.permissions]
    if unknown:
        listed = ", ".join(unknown)
        raise Invalid("role.unknown_permission",
                      f"未知的权限：{listed}（须为具体权限，不可使用通配符）",
                      f"unknown permissions: {listed} (name concrete permissions, no wildcards)",
                      field="permissions", permissions=unknown)
    return perms


async def define_role(session: AsyncSession, principal: Principal, tenant_code: str,
                      name: str, title: str, permissions: Iterable[str]) -> CustomRole:
    """Define the custom role ``<tenant code>.<name>`` at a tenant (``role:write`` there).

    ``permissions`` are concrete permissions (``user:read``…, no wildcards) that the
    principal holds across the tenant's whole subtree. Takes effect on commit.
    """
    tenant = await tenant_in_scope(session, principal, tenant_code)
    if not can(principal, "write", Resource("role", tenant.path)):
        raise PermissionDenied("role:write", tenant.path)
    short = (name or "").strip()
    if not _SHORT_NAME.fullmatch(short):
        raise Invalid("role.bad_name",
                      "角色标识须以小写字母开头，由 2–40 个小写字母、数字或下划线组成",
                      "a role name has 2-40 lower-case letters, digits or underscores and "
                      "starts with a letter", field="name")
    title = _validate_title(title)
    perms = _validate_permissions(permissions)
    check_no_escalation(principal, tenant.path, perms, throughout=True)
    full = f"{tenant.code}.{short}"
    if await session.scalar(select(CustomRole.id).where(CustomRole.name == full)) is not None:
        raise Conflict("role.duplicate_name", f"角色 {full} 已存在", f"role {full} already exists",
                       field="name")
    row = CustomRole(name=full, title=title, permissions=list(perms),
                     created_by=principal.username, tenant_id=tenant.id,
                     tenant_path=tenant.path)
    session.add(row)
    await session.flush()
    await audit.record(session, principal, "role.define", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="role", target_id=full,
                       after=snapshot(row))
    await _stage(session, role_def(row), row.name)
    return row


async def _writable_role(session: AsyncSession, principal: Principal, name: str) -> CustomRole:
    row = None
    if not principal.is_anonymous:
        row = await session.scalar(select(CustomRole).where(
            CustomRole.name == name, subtree_clause(CustomRole.tenant_path, principal.scope)))
    if row is None or not can(principal, "read", Resource("role", row.tenant_path)):
        raise NotFound("role", name)
    if not can(principal, "write", Resource("role", row.tenant_path)):
        raise PermissionDenied("role:write", row.tenant_path)
    return row


async def update_role(session: AsyncSession, principal: Principal, name: str, *,
                      title: str | None = None,
                      permissions: Iterable[str] | None = None) -> CustomRole:
    """Change a custom role's title or permissions (same rules as ``define_role``)."""
    row = await _writable_role(session, principal, name)
    before = snapshot(row)
    if title is not None:
        row.title = _validate_title(title)
    if permissions is not None:
        perms = _validate_permissions(permissions)
        check_no_escalation(principal, row.tenant_path, perms, throughout=True)
        row.permissions = list(perms)
    await session.flush()
    await audit.record(session, principal, "role.update", tenant_id=row.tenant_id,
                       tenant_path=row.tenant_path, target_type="role", target_id=row.name,
                       before=before, after=snapshot(row))
    await _stage(session, role_def(row), row.name)
    return row


async def delete_role(session: AsyncSession, principal: Principal, name: str) -> None:
    """Delete a custom role that nobody holds any more (else ``role.in_use``)."""
    row = await _writable_role(session, principal, name)
    held = await session.scalar(select(func.count()).select_from(Grant).where(Grant.role == name))
    if held:
        raise Conflict("role.in_use", f"角色 {name} 仍有 {held} 项授权，请先撤销",
                       f"role {name} is still granted {held} time(s); revoke those first",
                       field="name", grants=held)
    before = snapshot(row)
    await session.execute(delete(CustomRole).where(CustomRole.id == row.id))
    await audit.record(session, principal, "role.delete", tenant_id=row.tenant_id,
                       tenant_path=row.tenant_path, target_type="role", target_id=name,
                       before=before)
    await _stage(session, None, name)


def list_roles(principal: Principal) -> list[RoleDef]:
    """Roles the principal can see: built-in ones, and custom roles defined at its acting
    tenant, above it (grantable here) or below it. From the in-memory policy."""
    if principal.is_anonymous:
        return []
    scope = principal.acting_path
    out = [r for r in rbac.policy.roles.values()
           if r.scope is None or is_ancestor_or_self(r.scope, scope)
           or is_ancestor_or_self(scope, r.scope)]
    return sorted(out, key=lambda r: (r.is_custom, r.name))


async def reload_policy(session: AsyncSession) -> int:
    """Load every custom role from the database into ``rbac.policy``; return how many.

    Needs an operator-scoped session (``session.info["scope"] == "*"``): on PostgreSQL,
    row-level security would otherwise hide the roles of other tenants and the policy would
    silently lose them.
    """
    if session.info.get("scope") != ALL_SCOPE:
        raise RuntimeError("reload_policy needs a session with the operator's scope ('*')")
    # The version first: a change committed between the two reads is loaded now and seen
    # as a change once more by the next check (one reload too many, never one too few).
    version = await read_policy_version(session)
    rows = (await session.scalars(select(CustomRole).order_by(CustomRole.name))).all()
    rbac.policy.set_custom_roles(role_def(r) for r in rows)
    rbac.policy.version = version
    return len(rows)
