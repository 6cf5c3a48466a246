"""Scoped access shared by the catalog services: permission checks, tenant lookup, which
catalogs a tenant reads, the item a tenant sees for a basic code, and problem collection.

Catalog rows belong to their owner (a province, or the platform root ``0`` for the national
catalog) and are readable by every tenant below it; implementations and delegations stay
in their tenant's subtree for writing. This module must never change state, and never
decide a business rule of its own beyond "who may see what".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.catalog.models import CatalogItem
from zhengwu.core.db import ALL_SCOPE
from zhengwu.core.errors import Invalid, InvalidField, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal, is_ancestor_or_self
from zhengwu.core.security.rbac import Resource, can
from zhengwu.tenants.codes import PLATFORM_CODE
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant, ancestor_paths, normalise_code

__all__ = [
    "Problems",
    "catalog_paths",
    "catalog_readable",
    "nearest_published",
    "not_found",
    "owner_clause",
    "require",
    "tenant_by_code",
    "writable_tenant",
]

_ZH_KINDS = {"catalog_item": "目录事项", "implementation": "实施清单事项", "delegation": "委托/下放记录",
             "tenant": "行政区划（租户）"}


def not_found(kind: str, ref: object) -> NotFound:
    """``<kind>.not_found`` with a readable Chinese kind (never reveals foreign rows)."""
    err = NotFound(kind, ref)
    err.zh = f"未找到{_ZH_KINDS.get(kind, kind)}：{ref}"
    return err


def require(principal: Principal, permission: str, path: str) -> None:
    """``PermissionDenied`` unless ``can(principal, action, Resource(kind, path))``."""
    kind, _, action = permission.partition(":")
    if not can(principal, action, Resource(kind, path)):
        raise PermissionDenied(permission, path)


async def writable_tenant(session: AsyncSession, principal: Principal, code: str,
                          permission: str) -> Tenant:
    """The tenant ``code`` for a write: ``tenant.not_found`` if the principal cannot read it
    (sibling, other province), ``auth.permission_denied`` if it can read it (an ancestor, or
    its own subtree) but lacks ``permission`` there."""
    tenant = await access_tenant(session, principal, code)
    require(principal, permission, tenant.path)
    return tenant


async def tenant_by_code(session: AsyncSession, code: str) -> Tenant:
    """A tenant by division code from the public directory (no principal: pure questions)."""
    try:
        short = normalise_code(code)
    except Exception as exc:
        raise not_found("tenant", code) from exc
    tenant = await session.scalar(select(Tenant).where(Tenant.code == short))
    if tenant is None:
        raise not_found("tenant", code)
    return tenant


def catalog_paths(path: str) -> list[str]:
    """Owner paths whose catalogs a tenant at ``path`` reads, nearest first: itself, its
    ancestors, then the national catalog (``0``)."""
    if path in (ALL_SCOPE, PLATFORM_CODE):
        return [PLATFORM_CODE]
    return [path, *reversed(ancestor_paths(path)), PLATFORM_CODE]


def owner_clause(principal: Principal) -> Any:
    """SQL condition on ``CatalogItem.tenant_path``: the catalogs ``principal`` may read."""
    if principal.acting_path == ALL_SCOPE:
        return true()
    return CatalogItem.tenant_path.in_(catalog_paths(principal.acting_path))


def catalog_readable(principal: Principal, owner_path: str) -> bool:
    """Whether a catalog owned at ``owner_path`` is readable by ``principal``."""
    return (principal.acting_path == ALL_SCOPE or owner_path == PLATFORM_CODE
            or is_ancestor_or_self(owner_path, principal.acting_path))


async def nearest_published(session: AsyncSession, tenant_path: str,
                            basic_codes: Iterable[str]) -> dict[str, CatalogItem]:
    """For each basic code, the newest *published* version in the catalogs a tenant at
    ``tenant_path`` reads; the nearest owner wins (the province's over the national)."""
    codes = sorted({c.strip().upper() for c in basic_codes})
    if not codes:
        return {}
    paths = catalog_paths(tenant_path)
    rank = {p: i for i, p in enumerate(paths)}
    rows = (await session.scalars(
        select(CatalogItem).where(CatalogItem.basic_code.in_(codes),
                                  CatalogItem.status == "published",
                                  CatalogItem.tenant_path.in_(paths)))).all()
    best: dict[str, CatalogItem] = {}
    for row in rows:
        cur = best.get(row.basic_code)
        if cur is None or (rank[row.tenant_path], -row.version) < (rank[cur.tenant_path],
                                                                   -cur.version):
            best[row.basic_code] = row
    return best


class Problems:
    """Collects every violation of one input, then raises one ``Invalid`` listing them all
    (``params["problems"]``: ``InvalidField`` each), the way the importer reports rows."""

    def __init__(self, code: str, zh: str, en: str, **params: Any) -> None:
        self.code, self.zh, self.en, self.params = code, zh, en, params
        self.items: list[InvalidField] = []

    def add(self, code: str, zh: str, en: str, field: str, **params: Any) -> None:
        self.items.append(InvalidField(code, zh, en, field, params={**self.params, **params}))

    def take(self, error: Invalid) -> None:
        """Record an ``Invalid`` raised by a checker (codes, credit codes)."""
        self.items.append(InvalidField(error.code, error.zh, error.en, error.field,
                                       params={**self.params, **error.params}))

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def codes(self) -> Sequence[str]:
        return [p.code for p in self.items]

    def raise_if_any(self) -> None:
        if not self.items:
            return
        listed_zh = "；".join(p.zh for p in self.items)
        listed_en = "; ".join(p.en for p in self.items)
        raise Invalid(self.code, f"{self.zh}：{listed_zh}", f"{self.en}: {listed_en}",
                      field=self.items[0].field, problems=list(self.items), **self.params)
