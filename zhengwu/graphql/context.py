"""The per-request GraphQL context: who asks, at which tenant, in which session.

Built by the controller's context dependency from the request principal (bearer token and
``X-Zhengwu-Tenant``) and a session scoped to the acting tenant. Resolvers read
``info.context``; plugins call ``require_plugin`` so that a tenant that has not enabled
them gets a typed ``plugin.not_enabled`` error instead of data.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.litestar.controller import BaseContext

from zhengwu.core.config import Settings
from zhengwu.core.errors import DomainError
from zhengwu.core.security.principal import Principal
from zhengwu.tenants import enablement
from zhengwu.tenants.scope import access_tenant

__all__ = ["GraphQLContext", "PluginNotEnabled"]


class PluginNotEnabled(DomainError):
    status = 403

    def __init__(self, plugin: str, tenant: str) -> None:
        super().__init__("plugin.not_enabled", f"插件 {plugin} 未在 {tenant} 启用",
                         f"plugin {plugin} is not enabled here ({tenant})", plugin=plugin)


class GraphQLContext(BaseContext, kw_only=True):
    """Context of one GraphQL request (a msgspec Struct, as strawberry's litestar wants)."""

    principal: Principal
    session: AsyncSession
    settings: Settings
    lang: str = "zh"
    tier: str = ""
    loaders: Any = None
    _active: frozenset[str] | None = msgspec.field(default=None, name="_active")

    async def active_plugins(self) -> frozenset[str]:
        """Plugins active at the acting tenant (resolved once per request)."""
        if self._active is None:
            if self.principal.is_anonymous or self.principal.acting_tenant_id is None:
                self._active = frozenset()
            else:
                tenant = await access_tenant(self.session, self.principal,
                                             self.principal.acting_code)
                self._active = await enablement.active_plugins(self.session, tenant)
        return self._active

    async def require_plugin(self, name: str) -> None:
        """Raise ``plugin.not_enabled`` unless ``name`` is active at the acting tenant."""
        if name not in await self.active_plugins():
            raise PluginNotEnabled(name, self.principal.acting_code)
