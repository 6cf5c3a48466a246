"""Request dependencies: the principal (from the bearer token) and a scoped DB session.

The acting tenant is chosen by one header, ``X-Zhengwu-Tenant: <division code>``; without
it a request acts at the user's home tenant. The session's scope is the acting tenant's
path, so every query (and, on PostgreSQL, every RLS policy) sees that subtree only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE
from zhengwu.core.security import authn
from zhengwu.core.security.principal import Principal

__all__ = ["TENANT_HEADER", "provide_db", "provide_principal", "resolve_principal"]

TENANT_HEADER = "X-Zhengwu-Tenant"


async def resolve_principal(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings,
                            authorization: str | None, tenant: str | None) -> Principal:
    """Principal of a request: anonymous without a bearer token, else authenticated."""
    if not authorization:
        return Principal.anonymous()
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        from zhengwu.core.errors import AuthenticationFailed

        raise AuthenticationFailed("auth.token_invalid", "令牌格式无效", "malformed bearer token")
    async with sessionmaker() as session:
        session.info["scope"] = ALL_SCOPE  # credential lookup is a system step
        return await authn.principal_for_bearer(session, settings, token.strip(), tenant)


async def provide_principal(request: Request[Any, Any, Any], state: State) -> Principal:
    authorization = request.headers.get("authorization")
    sync = getattr(state, "policy_sync", None)
    if authorization and sync is not None:
        await sync.refresh()  # another process may have changed a custom role
    return await resolve_principal(state.sessionmaker, state.settings, authorization,
                                   request.headers.get(TENANT_HEADER.lower()))


async def provide_db(state: State, principal: NamedDependency[Principal]) -> AsyncIterator[AsyncSession]:
    """A session scoped to the principal's acting tenant; committed by the handler."""
    async with state.sessionmaker() as session:
        session.info["scope"] = principal.scope
        yield session
