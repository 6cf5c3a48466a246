"""Helpers shared by the identity-and-access tests (this module holds no tests).

Users are created through the real services as the operator, and principals are built the
way a request builds them: log in (or take a JWT), then ``authn.principal_for_bearer`` in a
system-scoped session. Work is then done in a session scoped to ``principal.scope``, so on
PostgreSQL row-level security is part of every test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, scoped_session
from zhengwu.core.security import authn, grants, passwords, rbac, roles, tokens, users
from zhengwu.core.security.models import User
from zhengwu.core.security.principal import Principal

passwords.use_fast_parameters()

SYSTEM = Principal.system("tester")
PASSWORD = "Ningguo-Hall-2024!"

TOWN_ADMIN_PERMISSIONS = ("tenant:read", "tenant:create", "tenant:update", "user:read",
                          "user:create", "user:update", "grant:read", "grant:write", "role:read")


async def make_user(session: AsyncSession, settings: Settings, username: str, code: str,
                    roles_at: Iterable[tuple[str, str, bool]] = (), *,
                    password: str | None = PASSWORD, kind: str = "person") -> User:
    """Create a user at ``code`` with grants ``(role, code, subtree)``, as the operator; commit."""
    user = await users.create_user(
        session, SYSTEM, users.NewUser(username, code, password, kind=kind), settings=settings)
    for role, at, subtree in roles_at:
        await grants.grant_role(session, SYSTEM, user.id, role, at, subtree=subtree)
    await session.commit()
    return user


async def define_town_admin(session: AsyncSession) -> str:
    """A custom role defined by the operator at 宁国市 for its township admins; committed."""
    row = await roles.define_role(session, SYSTEM, "341881", "town_admin", "乡镇管理员",
                                  TOWN_ADMIN_PERMISSIONS)
    await session.commit()
    return row.name


async def principal_of(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings,
                       user: User, acting: str | None = None) -> Principal:
    """The principal a request with this user's JWT (and ``X-Zhengwu-Tenant: acting``) gets."""
    token = tokens.issue_jwt(settings, user.id)
    async with scoped_session(sessionmaker, ALL_SCOPE) as session:
        return await authn.principal_for_bearer(session, settings, token, acting)


@asynccontextmanager
async def acting_session(sessionmaker: async_sessionmaker[AsyncSession],
                         principal: Principal) -> AsyncIterator[AsyncSession]:
    """A request's session: scoped to the principal (RLS on PostgreSQL); rolled back after."""
    async with scoped_session(sessionmaker, principal.scope) as session:
        try:
            yield session
        finally:
            await session.rollback()


async def count(session: AsyncSession, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return int(await session.scalar(stmt) or 0)


def reset_custom_roles() -> None:
    """Forget custom roles (the database is truncated between tests; the policy is not)."""
    rbac.policy.set_custom_roles(())
