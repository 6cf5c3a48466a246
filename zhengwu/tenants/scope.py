"""Scoped access to tenants: the one way request code reads the directory.

A principal reads its acting tenant, everything below it, and the chain of its ancestors
(for breadcrumbs); siblings and other provinces are invisible. "Not found" and "not yours"
are the same ``tenant.not_found`` error, so existence never leaks.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.db import ALL_SCOPE, subtree_clause
from zhengwu.core.errors import NotFound
from zhengwu.core.security.principal import Principal
from zhengwu.tenants.codes import PLATFORM_CODE, parse_code
from zhengwu.tenants.models import Tenant

__all__ = ["access_tenant", "ancestor_paths", "normalise_code", "readable", "visible_tenants"]


def ancestor_paths(path: str) -> list[str]:
    """``34/3418/341802`` → ``['34', '34/3418']`` (strict ancestors, top first)."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def readable(principal: Principal, path: str) -> bool:
    """Whether ``principal`` may read the tenant at ``path``."""
    if principal.is_anonymous:
        return False
    if principal.acting_path == ALL_SCOPE or principal.sees(path):
        return True
    return path in ancestor_paths(principal.acting_path) or path == PLATFORM_CODE


def visible_tenants(principal: Principal) -> Select[Tenant]:
    """SELECT of the tenants in the principal's subtree (ancestors not included)."""
    return select(Tenant).where(subtree_clause(Tenant.path, principal.acting_path))


def normalise_code(code: str) -> str:
    code = str(code).strip()
    return PLATFORM_CODE if code == PLATFORM_CODE else parse_code(code).short


async def access_tenant(session: AsyncSession, principal: Principal, code: str) -> Tenant:
    """The tenant with ``code`` if the principal may read it, else ``tenant.not_found``."""
    try:
        short = normalise_code(code)
    except Exception as exc:
        raise NotFound("tenant", code) from exc
    tenant = await session.scalar(select(Tenant).where(Tenant.code == short))
    if tenant is None or not readable(principal, tenant.path):
        raise NotFound("tenant", code)
    return tenant
