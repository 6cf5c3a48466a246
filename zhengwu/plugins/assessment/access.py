"""Who may do what in assessment, and the one scoped way to load the plugin's rows.

Permissions (resource ``assessment``): ``read`` (systems, manual scores, runs, bulletins),
``write`` (systems and manual scores), ``run`` (start a run). Every check is ``can()`` at the
assessing tenant, which must lie in the caller's acting subtree and have the plugin enabled.
Rows are loaded with ``subtree_clause`` on the acting path: a row of a sibling or of an
ancestor answers ``NotFound`` exactly like a row that does not exist (the Zulip rule).
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can, permitted_clause
from zhengwu.tenants import enablement
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant

__all__ = ["KIND", "PLUGIN", "assessing_tenant", "load_owned", "readable_clause"]

PLUGIN = "assessment"
KIND = "assessment"
T = TypeVar("T")


async def assessing_tenant(session: AsyncSession, principal: Principal, code: str | None,
                           action: str) -> Tenant:
    """The tenant that assesses (default: the acting tenant): in the caller's subtree,
    ``assessment:<action>`` held there, the plugin enabled."""
    code = principal.acting_code if code is None else code
    tenant = await access_tenant(session, principal, code)
    if not principal.sees(tenant.path):
        raise NotFound("tenant", code)
    if not can(principal, action, Resource(KIND, tenant.path)):
        raise PermissionDenied(f"{KIND}:{action}", tenant.path)
    if PLUGIN not in await enablement.active_plugins(session, tenant):
        raise Conflict("plugin.not_enabled", f"插件 {PLUGIN} 未在 {tenant.code} 启用",
                       f"plugin {PLUGIN} is not enabled here ({tenant.code})", plugin=PLUGIN)
    return tenant


def readable_clause(model: Any, principal: Principal) -> Any:
    """Rows of ``model`` the principal may read: in its acting subtree, ``assessment:read``."""
    return (subtree_clause(model.tenant_path, principal.acting_path)
            & permitted_clause(model.tenant_path, principal, KIND, "read"))


async def load_owned(session: AsyncSession, principal: Principal, model: type[T], row_id: Any,
                     kind: str, action: str = "read") -> T:
    """The row ``row_id`` of ``model`` if it lies in the caller's subtree and the caller holds
    ``assessment:<action>`` there; else ``<kind>.not_found`` (also for a malformed id)."""
    try:
        key = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(str(row_id))
    except ValueError as exc:
        raise NotFound(kind, row_id) from exc
    m: Any = model
    row: Any = await session.scalar(select(model).where(
        m.id == key, subtree_clause(m.tenant_path, principal.acting_path)))
    if row is None or not can(principal, "read", Resource(KIND, row.tenant_path)):
        raise NotFound(kind, row_id)
    if action != "read" and not can(principal, action, Resource(KIND, row.tenant_path)):
        raise PermissionDenied(f"{KIND}:{action}", row.tenant_path)
    if PLUGIN not in await enablement.active_plugins(session, await _tenant(session, row)):
        raise Conflict("plugin.not_enabled", f"插件 {PLUGIN} 未启用",
                       f"plugin {PLUGIN} is not enabled here", plugin=PLUGIN)
    result: T = row
    return result


async def _tenant(session: AsyncSession, row: Any) -> Tenant:
    tenant = await session.get(Tenant, row.tenant_id)
    assert tenant is not None
    return tenant
