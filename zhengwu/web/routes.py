"""Core HTTP routes: health, login, and the public directory of a tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu import __version__
from zhengwu.core.db import ALL_SCOPE
from zhengwu.core.security import authn
from zhengwu.core.security.principal import Principal
from zhengwu.tenants.provisioning import subtree_counts
from zhengwu.tenants.scope import access_tenant

__all__ = ["AuthController", "CoreController"]


@dataclass
class LoginRequest:
    username: str
    password: str


@dataclass
class LoginResponse:
    token: str
    token_type: str = "Bearer"


@dataclass
class Health:
    status: str
    version: str
    database: str


@dataclass
class TenantView:
    code: str
    name: str
    tier: str
    kind: str | None
    path: str
    status: str
    parent_code: str | None
    descendants: dict[str, int]


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/login", status_code=200, summary="Log in with a password and get a JWT")
    async def login(self, data: JSONBody[LoginRequest], state: State) -> LoginResponse:
        """Returns ``{"token": …}``; send it as ``Authorization: Bearer <token>``."""
        async with state.sessionmaker() as session:
            session.info["scope"] = ALL_SCOPE  # credential check is a system step
            token = await authn.login(session, state.settings, data.username, data.password)
        return LoginResponse(token=token)


class CoreController(Controller):
    tags = ["core"]

    @get("/health", summary="Liveness and database check")
    async def health(self, state: State) -> Health:
        async with state.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
        backend = "postgresql" if state.settings.is_postgres else "sqlite"
        return Health(status="ok", version=__version__, database=backend)

    @get("/api/v1/me", summary="The caller and its acting tenant")
    async def me(self, principal: NamedDependency[Principal]) -> dict[str, Any]:
        if principal.is_anonymous:
            from zhengwu.core.errors import AuthenticationFailed

            raise AuthenticationFailed("auth.required", "需要登录", "authentication required")
        return {"username": principal.username, "acting_path": principal.acting_path,
                "acting_tier": principal.acting_tier,
                "grants": [{"role": g.role, "tenant_path": g.tenant_path, "subtree": g.subtree}
                           for g in principal.grants]}

    @get("/api/v1/tenants/{code:str}", summary="One tenant in the caller's scope")
    async def tenant(self, code: FromPath[str], principal: NamedDependency[Principal],
                     db: NamedDependency[AsyncSession]) -> TenantView:
        tenant = await access_tenant(db, principal, code)
        parent_code = tenant.path.rsplit("/", 2)[-2] if "/" in tenant.path else None
        counts = await subtree_counts(db, tenant) if principal.sees(tenant.path) else {}
        return TenantView(code=tenant.code, name=tenant.name, tier=tenant.tier, kind=tenant.kind,
                          path=tenant.path, status=tenant.status, parent_code=parent_code,
                          descendants=counts)
