"""Per-request DataLoaders: every relation is fetched in one batch per level.

ORM relationships are ``lazy="raise"``; resolvers that follow a relation go through these
loaders, so a page of N objects costs a constant number of statements.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from zhengwu.core.catalog.models import CatalogFee, CatalogItem, CatalogMaterial, CatalogStep
from zhengwu.core.catalog.service import ItemElements
from zhengwu.core.security.models import Grant
from zhengwu.core.security.principal import Principal
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.provisioning import subtree_counts_many

__all__ = ["Loaders"]

T = TypeVar("T")


class Loaders:
    """The loaders of one request (they cache for its duration only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.tenant_by_id: DataLoader[uuid.UUID, Tenant | None] = DataLoader(self._tenants)
        self.grants_by_user: DataLoader[uuid.UUID, list[Grant]] = DataLoader(self._grants)
        self.settings_by_tenant: DataLoader[tuple[uuid.UUID, str | None], list[Any]] = (
            DataLoader(self._settings))
        self.catalog_item_by_id: DataLoader[uuid.UUID, CatalogItem | None] = DataLoader(
            self._catalog_items)
        self.catalog_elements: DataLoader[uuid.UUID, ItemElements] = DataLoader(self._elements)
        self.descendant_counts: DataLoader[uuid.UUID, dict[str, int]] = DataLoader(
            self._descendant_counts)
        self.children_page: DataLoader[tuple[uuid.UUID, int, str | None], list[Tenant]] = (
            DataLoader(self._children))
        self._plugins: dict[Callable[..., Any], Any] = {}

    def plugin(self, factory: Callable[[AsyncSession, Principal], T], principal: Principal) -> T:
        """A plugin's loaders for this request: made once by ``factory(session, principal)``
        and kept with the core's (gone with the request)."""
        found = self._plugins.get(factory)
        if found is None:
            found = self._plugins[factory] = factory(self.session, principal)
        return cast(T, found)

    async def _tenants(self, ids: Sequence[uuid.UUID]) -> list[Tenant | None]:
        rows = await self.session.scalars(select(Tenant).where(Tenant.id.in_(list(ids))))
        found = {t.id: t for t in rows}
        return [found.get(i) for i in ids]

    async def _grants(self, user_ids: Sequence[uuid.UUID]) -> list[list[Grant]]:
        rows = await self.session.scalars(
            select(Grant).where(Grant.user_id.in_(list(user_ids))).order_by(Grant.tenant_path))
        out: dict[uuid.UUID, list[Grant]] = {i: [] for i in user_ids}
        for grant in rows:
            out[grant.user_id].append(grant)
        return [out[i] for i in user_ids]

    async def _catalog_items(self, ids: Sequence[uuid.UUID]) -> list[CatalogItem | None]:
        rows = await self.session.scalars(select(CatalogItem).where(CatalogItem.id.in_(list(ids))))
        found = {r.id: r for r in rows}
        return [found.get(i) for i in ids]

    async def _elements(self, ids: Sequence[uuid.UUID]) -> list[ItemElements]:
        """Materials, fees and steps of many item versions: three statements in all."""
        wanted = list(ids)
        out: dict[uuid.UUID, ItemElements] = {i: ItemElements([], [], []) for i in wanted}
        for model, attr in ((CatalogMaterial, "materials"), (CatalogFee, "fees"),
                            (CatalogStep, "steps")):
            rows = await self.session.scalars(
                select(model).where(model.item_id.in_(wanted)).order_by(model.seq))
            for row in rows:
                getattr(out[row.item_id], attr).append(row)
        return [out[i] for i in wanted]

    async def _descendant_counts(self, ids: Sequence[uuid.UUID]) -> list[dict[str, int]]:
        tenants = [t for t in await self.tenant_by_id.load_many(list(ids)) if t is not None]
        counts = await subtree_counts_many(self.session, tenants)
        return [counts.get(i, {}) for i in ids]

    async def _children(self, keys: Sequence[tuple[uuid.UUID, int, str | None]]
                        ) -> list[list[Tenant]]:
        """Pages of children for many parents: one windowed statement per (size, cursor)."""
        out: dict[tuple[uuid.UUID, int, str | None], list[Tenant]] = {k: [] for k in keys}
        groups: dict[tuple[int, str | None], list[uuid.UUID]] = {}
        for parent_id, size, after in keys:
            groups.setdefault((size, after), []).append(parent_id)
        for (size, after), parents in groups.items():
            rank = func.row_number().over(partition_by=Tenant.parent_id,
                                          order_by=Tenant.path).label("rank")
            inner = select(Tenant.id, rank).where(Tenant.parent_id.in_(parents))
            if after is not None:
                inner = inner.where(Tenant.path > after)
            sub = inner.subquery()
            rows = await self.session.scalars(
                select(Tenant).join(sub, sub.c.id == Tenant.id)
                .where(sub.c.rank <= size + 1).order_by(Tenant.path))
            for tenant in rows:
                self.tenant_by_id.prime(tenant.id, tenant)
                if tenant.parent_id is not None:
                    out[(tenant.parent_id, size, after)].append(tenant)
        return [out[k] for k in keys]

    async def _settings(self, keys: Sequence[tuple[uuid.UUID, str | None]]) -> list[list[Any]]:
        tenants = {t.id: t for t in await self.tenant_by_id.load_many([k[0] for k in keys])
                   if t is not None}
        out: dict[tuple[uuid.UUID, str | None], list[Any]] = {}
        for namespace in {k[1] for k in keys}:
            wanted = [tenants[k[0]] for k in keys if k[1] == namespace and k[0] in tenants]
            batch = await tenant_settings.effective_settings_many(self.session, wanted, namespace)
            out.update({(tid, namespace): items for tid, items in batch.items()})
        return [out.get(k, []) for k in keys]
