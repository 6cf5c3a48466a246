"""User accounts: creating, reading, listing, (de)activating and setting passwords.

What this module holds: the services on ``users`` rows, all of the form
``fn(session, principal, typed inputs)``. Every read is filtered in SQL by the principal's
scope (``subtree_clause(User.tenant_path, principal.scope)``) and checked with
``can(principal, "read", Resource("user", path))``; by-id and by-name access goes through
``access_user``, which answers the same ``user.not_found`` for "missing" and "not yours".

Usernames are global login names (one ``users.username`` unique index), compared in lower
case. A duplicate answers ``user.duplicate_username`` even when the other account lies
outside the caller's scope: a login name cannot be unique and secret at once.

It must never return or log a password hash, and never hash a password on the event loop
(``zhengwu.core.security.passwords`` runs argon2 in a thread).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit
from zhengwu.core.config import Settings
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security import passwords
from zhengwu.core.security.models import User
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can, permitted_clause
from zhengwu.tenants.models import Tenant, TenantStatus
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "USER_KINDS",
    "NewUser",
    "access_user",
    "change_own_password",
    "create_user",
    "get_user",
    "list_users",
    "normalise_username",
    "set_password",
    "set_user_active",
    "snapshot",
    "tenant_in_scope",
]

USER_KINDS = ("person", "service", "device")
_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{3,64}")


@dataclass(frozen=True, slots=True)
class NewUser:
    """Input of ``create_user``. ``password`` may be None for service and device accounts."""

    username: str
    tenant_code: str
    password: str | None
    display_name: str | None = None
    kind: str = "person"


def snapshot(user: User) -> dict[str, Any]:
    """What the audit log keeps of a user (never the password hash)."""
    return {"id": str(user.id), "username": user.username, "display_name": user.display_name,
            "kind": user.kind, "tenant_path": user.tenant_path, "is_active": user.is_active}


def normalise_username(username: str) -> str:
    """The stored form of a username (stripped, lower case) or ``user.bad_username``."""
    name = (username or "").strip()
    if not _USERNAME.fullmatch(name):
        raise Invalid("user.bad_username",
                      "用户名须为 3–64 个字符，只能包含字母、数字及 _ . @ -",
                      "a username has 3-64 characters: letters, digits and _ . @ -",
                      field="username")
    return name.lower()


async def tenant_in_scope(session: AsyncSession, principal: Principal, code: str) -> Tenant:
    """The tenant ``code`` if it lies in the principal's scope, else ``tenant.not_found``.

    Ancestors are readable as breadcrumbs (``access_tenant``) but are outside the scope:
    nothing can be done *at* them, so they answer not-found like strangers do.
    """
    tenant = await access_tenant(session, principal, code)
    if not principal.sees(tenant.path):
        raise NotFound("tenant", code)
    return tenant


async def create_user(session: AsyncSession, principal: Principal, data: NewUser, *,
                      settings: Settings) -> User:
    """Create a user at home tenant ``data.tenant_code``; needs ``user:create`` there.

    The password is checked against the policy and hashed (argon2id, in a thread) before
    anything is written. Nothing is committed: the caller's transaction decides.
    """
    username = normalise_username(data.username)
    if data.kind not in USER_KINDS:
        raise Invalid("user.bad_kind", f"未知的用户类型：{data.kind}",
                      f"unknown user kind: {data.kind}", field="kind")
    tenant = await tenant_in_scope(session, principal, data.tenant_code)
    if not can(principal, "create", Resource("user", tenant.path)):
        raise PermissionDenied("user:create", tenant.path)
    if tenant.status != TenantStatus.ACTIVE.value:
        raise Invalid("user.tenant_inactive",
                      f"{tenant.name}（{tenant.code}）状态为 {tenant.status}，不能新建用户",
                      f"tenant {tenant.code} is {tenant.status}", field="tenant")
    display_name = (data.display_name or "").strip() or username
    if len(display_name) > 100:
        raise Invalid("user.bad_display_name", "显示名称不能超过 100 个字符",
                      "the display name must not exceed 100 characters", field="display_name")
    if data.password is None:
        if data.kind == "person":
            raise Invalid("user.password_required", "必须设置密码", "a password is required",
                          field="password")
        password_hash = None
    else:
        passwords.check_password_policy(data.password, username=username,
                                        min_length=settings.password_min_length)
        password_hash = await passwords.hash_password(data.password)
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise _duplicate(username)
    user = User(username=username, display_name=display_name, kind=data.kind,
                password_hash=password_hash, tenant_id=tenant.id, tenant_path=tenant.path)
    session.add(user)
    try:
        # The unique index also catches a namesake that RLS hides from this scope (or a
        # concurrent insert); the transaction is then spoilt and the caller rolls back.
        await session.flush()
    except IntegrityError as exc:
        raise _duplicate(username) from exc
    await audit.record(session, principal, "user.create", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="user", target_id=user.id,
                       after=snapshot(user))
    return user


def _duplicate(username: str) -> Conflict:
    return Conflict("user.duplicate_username", f"用户名 {username} 已被使用",
                    f"the username {username} is already taken", field="username")


def _ref_condition(ref: uuid.UUID | str) -> Any:
    if isinstance(ref, uuid.UUID):
        return User.id == ref
    text = str(ref).strip()
    try:
        return User.id == uuid.UUID(text)
    except ValueError:
        return User.username == text.lower()


async def access_user(session: AsyncSession, principal: Principal,
                      ref: uuid.UUID | str) -> User:
    """The user ``ref`` (id or username) if the principal may read it, else ``user.not_found``.

    The one by-id path: filtered by scope in SQL, then ``can(read)`` at the user's home
    tenant (a principal may always read its own account). Missing and not-yours are the
    same error.
    """
    if principal.is_anonymous:
        raise NotFound("user", ref)
    user = await session.scalar(
        select(User).where(_ref_condition(ref), subtree_clause(User.tenant_path, principal.scope))
    )
    if user is None or not (user.id == principal.user_id
                            or can(principal, "read", Resource("user", user.tenant_path))):
        raise NotFound("user", ref)
    return user


async def get_user(session: AsyncSession, principal: Principal, ref: uuid.UUID | str) -> User:
    """Alias of ``access_user`` for readers of the API surface."""
    return await access_user(session, principal, ref)


async def list_users(session: AsyncSession, principal: Principal, *, under: str | None = None,
                     search: str | None = None, include_inactive: bool = True,
                     after: str | None = None, limit: int = 100) -> list[User]:
    """Users the principal may read, by username; keyset-paged with ``after`` (a username).

    ``under`` (a division code) narrows to that tenant's subtree; it must lie in the scope
    (else ``tenant.not_found``). Rows are filtered in SQL by scope and by the principal's
    grants that allow ``user:read`` (a local grant reaches its own tenant only).
    """
    if principal.is_anonymous:
        if under is not None:
            raise NotFound("tenant", under)
        return []
    stmt = select(User).where(subtree_clause(User.tenant_path, principal.scope),
                              permitted_clause(User.tenant_path, principal, "user", "read"))
    if under is not None:
        tenant = await tenant_in_scope(session, principal, under)
        stmt = stmt.where(subtree_clause(User.tenant_path, tenant.path))
    if search:
        needle = search.strip().lower()
        stmt = stmt.where(User.username.contains(needle, autoescape=True)
                          | User.display_name.contains(search.strip(), autoescape=True))
    if not include_inactive:
        stmt = stmt.where(User.is_active.is_(True))
    if after is not None:
        stmt = stmt.where(User.username > after)
    stmt = stmt.order_by(User.username).limit(max(1, min(limit, 1000)))
    return list((await session.scalars(stmt)).all())


async def _writable_user(session: AsyncSession, principal: Principal,
                         ref: uuid.UUID | str) -> User:
    user = await access_user(session, principal, ref)
    if not can(principal, "update", Resource("user", user.tenant_path)):
        raise PermissionDenied("user:update", user.tenant_path)
    return user


async def set_user_active(session: AsyncSession, principal: Principal, ref: uuid.UUID | str,
                          active: bool) -> User:
    """Activate or deactivate a user (``user:update``). A deactivated user's tokens stop at once."""
    user = await _writable_user(session, principal, ref)
    if user.is_active == active:
        return user
    before = snapshot(user)
    user.is_active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    await session.flush()
    await audit.record(session, principal, "user.activate" if active else "user.deactivate",
                       tenant_id=user.tenant_id, tenant_path=user.tenant_path,
                       target_type="user", target_id=user.id, before=before,
                       after=snapshot(user))
    return user


async def set_password(session: AsyncSession, principal: Principal, ref: uuid.UUID | str,
                       new_password: str, *, settings: Settings) -> User:
    """An administrator sets (resets) a user's password: needs ``user:update``.

    Also clears a lockout. The audit entry says that the password changed, nothing more.
    """
    user = await _writable_user(session, principal, ref)
    return await _store_password(session, principal, user, new_password, settings)


async def change_own_password(session: AsyncSession, principal: Principal,
                              current_password: str, new_password: str, *,
                              settings: Settings) -> User:
    """The principal changes its own password, proving the current one.

    The user's home tenant must be in the session's scope (act at the home tenant).
    """
    if principal.user_id is None:
        raise NotFound("user", principal.username)
    user = await access_user(session, principal, principal.user_id)
    if not await passwords.verify_password(user.password_hash, current_password):
        raise Invalid("user.wrong_password", "当前密码不正确", "the current password is wrong",
                      field="current_password")
    return await _store_password(session, principal, user, new_password, settings)


async def _store_password(session: AsyncSession, principal: Principal, user: User,
                          new_password: str, settings: Settings) -> User:
    passwords.check_password_policy(new_password, username=user.username,
                                    min_length=settings.password_min_length)
    user.password_hash = await passwords.hash_password(new_password)
    user.failed_logins, user.locked_until = 0, None
    await session.flush()
    await audit.record(session, principal, "user.set_password", tenant_id=user.tenant_id,
                       tenant_path=user.tenant_path, target_type="user", target_id=user.id,
                       after={"password": "changed"})
    return user
