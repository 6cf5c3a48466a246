"""Per-request DataLoaders: every relation is fetched in one batch per level.

ORM relationships are ``lazy="raise"``; resolvers that follow a relation go through these
loaders, so a page of N objects costs a constant number of statements.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from zhengwu.core.security.models import Grant
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant

__all__ = ["Loaders"]


class Loaders:
    """The loaders of one request (they cache for its duration only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.tenant_by_id: DataLoader[uuid.UUID, Tenant | None] = DataLoader(self._tenants)
        self.grants_by_user: DataLoader[uuid.UUID, list[Grant]] = DataLoader(self._grants)
        self.settings_by_tenant: DataLoader[tuple[uuid.UUID, str | None], list[Any]] = (
            DataLoader(self._settings))

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

    async def _settings(self, keys: Sequence[tuple[uuid.UUID, str | None]]) -> list[list[Any]]:
        tenants = {t.id: t for t in await self.tenant_by_id.load_many([k[0] for k in keys])
                   if t is not None}
        out: dict[tuple[uuid.UUID, str | None], list[Any]] = {}
        for namespace in {k[1] for k in keys}:
            wanted = [tenants[k[0]] for k in keys if k[1] == namespace and k[0] in tenants]
            batch = await tenant_settings.effective_settings_many(self.session, wanted, namespace)
            out.update({(tid, namespace): items for tid, items in batch.items()})
        return [out.get(k, []) for k in keys]
