"""Authentication: from credentials to a ``Principal`` (who acts, where, with which grants).

What this module holds:

* ``login(session, settings, username, password) -> str`` — checks a password and returns a
  session JWT. Unknown user and wrong password give the same ``auth.invalid_credentials``
  after the same work (an unknown user is verified against a dummy hash). After
  ``Settings.login_max_failures`` consecutive failures the account is locked for
  ``Settings.login_lockout_seconds`` (``AccountLocked``); a success resets the count. The
  failure count is incremented atomically in SQL and **committed** before the error is
  raised, so it survives the caller's rollback; ``login`` owns its session's transaction.
* ``principal_for_bearer(session, settings, token, acting_code) -> Principal`` — accepts a
  JWT or an API token (``zw_…``), loads the user with all its grants in one query, and picks
  the acting tenant: the home tenant, or ``acting_code`` (the ``X-Zhengwu-Tenant`` header)
  when that tenant is the home tenant or a descendant covered by one of the user's grants;
  anything else is ``tenant.not_found`` (existence is never revealed).

**Both are system steps.** Authentication runs before any scope is known, and on PostgreSQL
row-level security hides ``users``, ``grants`` and ``api_tokens`` unless the transaction's
scope is ``*``. Call them with a session whose ``session.info["scope"] == ALL_SCOPE`` and
use that session for nothing else (they refuse any other session). Do the request's work
in a session scoped to ``principal.scope``. ``principal_for_bearer`` commits only when it
records an API token's use (at most once a minute per token).

Tenants at the platform root (code ``0``) reach every province: their path becomes ``*``.

It must never log a password or a token, nor tell "no such user" from "wrong password".
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock
from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE
from zhengwu.core.errors import AccountLocked, AuthenticationFailed, Invalid, NotFound
from zhengwu.core.security import passwords, tokens
from zhengwu.core.security.grants import grant_ref
from zhengwu.core.security.models import ApiToken, Grant, User
from zhengwu.core.security.principal import GrantRef, Principal, covers, is_ancestor_or_self
from zhengwu.core.security.roles import effective_path
from zhengwu.core.security.users import normalise_username
from zhengwu.tenants.codes import PLATFORM_CODE, Tier, tier_of_length
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import normalise_code

__all__ = ["TENANT_HEADER", "build_principal", "login", "principal_for_bearer", "principals_of"]

TENANT_HEADER = "X-Zhengwu-Tenant"
"""The request header that names the acting tenant (a division code)."""
_CODE_LENGTHS = (2, 4, 6, 9, 12)


def _require_system_scope(session: AsyncSession) -> None:
    if session.info.get("scope") != ALL_SCOPE:
        raise RuntimeError(
            "authentication is a system step: use a session with info['scope'] == '*'")


def _inactive() -> AuthenticationFailed:
    return AuthenticationFailed("auth.account_inactive", "账户已停用", "the account is disabled")


def _locked(until: Any) -> AccountLocked:
    return AccountLocked(tokens.as_utc(until).isoformat(timespec="seconds"))


async def login(session: AsyncSession, settings: Settings, username: str, password: str) -> str:
    """Check ``username``/``password`` and return a session JWT. Commits its session."""
    _require_system_scope(session)
    try:
        name = normalise_username(username)
    except Invalid:
        name = None
    user = None
    if name is not None:
        user = await session.scalar(select(User).where(User.username == name))
    if user is None:
        await passwords.verify_dummy(password)
        raise AuthenticationFailed()
    now = clock.now()
    if user.locked_until is not None and tokens.as_utc(user.locked_until) > now:
        raise _locked(user.locked_until)
    if not await passwords.verify_password(user.password_hash, password):
        locked_until = await _count_failure(session, settings, user)
        await session.commit()
        if locked_until is not None:
            raise _locked(locked_until)
        raise AuthenticationFailed()
    if not user.is_active:
        await session.rollback()
        raise _inactive()
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    await session.commit()
    return tokens.issue_jwt(settings, user.id)


async def _count_failure(session: AsyncSession, settings: Settings, user: User) -> Any:
    """Count one failed login atomically; lock the account when the limit is reached.

    Returns the lock's end when this failure locked the account, else None. Locking
    restarts the count, so the account gets a fresh set of attempts when the lock ends.
    """
    now = clock.now()
    until = now + timedelta(seconds=settings.login_lockout_seconds)
    reached = User.failed_logins + 1 >= settings.login_max_failures
    row = (await session.execute(
        update(User).where(User.id == user.id)
        .values(failed_logins=case((reached, 0), else_=User.failed_logins + 1),
                locked_until=case((reached, until), else_=User.locked_until))
        .returning(User.failed_logins, User.locked_until)
        .execution_options(synchronize_session=False)
    )).one()
    session.expire(user, ["failed_logins", "locked_until"])
    if row.failed_logins == 0 and row.locked_until is not None:
        system = Principal.system("authn")
        await audit.record(session, system, "user.locked", tenant_id=user.tenant_id,
                           tenant_path=user.tenant_path, target_type="user", target_id=user.id,
                           after={"username": user.username, "locked_until": until,
                                  "failures": settings.login_max_failures})
        return row.locked_until
    return None


def _tier_of_path(path: str) -> str:
    code = path.rsplit("/", 1)[-1]
    if code == PLATFORM_CODE:
        return Tier.PLATFORM.value
    tier = tier_of_length(len(code))
    return tier.value if tier is not None else ""


def build_principal(user: User, grants: Sequence[GrantRef], *,
                    acting: tuple[uuid.UUID, str, str] | None = None) -> Principal:
    """The principal of ``user`` acting at its home tenant or at ``acting`` (id, path, tier)."""
    home_path = effective_path(user.tenant_path)
    if acting is None:
        acting = (user.tenant_id, home_path, _tier_of_path(user.tenant_path))
    return Principal(user.id, user.username, user.tenant_id, home_path, acting[0], acting[1],
                     acting[2], tuple(grants), kind=user.kind)


async def principals_of(session: AsyncSession, usernames: Sequence[str]) -> dict[str, Principal]:
    """The principals of ``usernames`` at their home tenants with all their grants, for the
    operator's scripted work (``zhengwu demo``); users missing or without grants are left out."""
    rows = (await session.execute(
        select(User, Grant.role, Grant.tenant_path, Grant.subtree)
        .join(Grant, Grant.user_id == User.id).where(User.username.in_(list(usernames))))).all()
    users: dict[str, User] = {}
    refs: dict[str, list[GrantRef]] = {}
    for user, role, path, subtree in rows:
        users[user.username] = user
        refs.setdefault(user.username, []).append(grant_ref(role, path, subtree))
    return {name: build_principal(users[name], refs[name]) for name in usernames if name in users}


async def _acting(session: AsyncSession, user: User, grants: Sequence[GrantRef],
                  acting_code: str | None) -> tuple[uuid.UUID, str, str] | None:
    """The acting tenant named by ``acting_code``; None for the home tenant."""
    if acting_code is None or not acting_code.strip():
        return None
    home_code = user.tenant_path.rsplit("/", 1)[-1]
    try:
        short = normalise_code(acting_code)
    except Exception as exc:
        # The national table has county-level placeholders such as 东莞市 441900 that the
        # strict parser refuses; look such a code up as written.
        short = acting_code.strip()
        if not (short.isdigit() and len(short) in _CODE_LENGTHS):
            raise NotFound("tenant", acting_code) from exc
    if short == home_code:
        return None
    tenant = await session.scalar(select(Tenant).where(Tenant.code == short))
    if tenant is None:
        raise NotFound("tenant", acting_code)
    path = effective_path(tenant.path)
    if not (is_ancestor_or_self(effective_path(user.tenant_path), path) and covers(tuple(grants),
                                                                                  path)):
        raise NotFound("tenant", acting_code)
    return tenant.id, path, tenant.tier


async def principal_for_bearer(session: AsyncSession, settings: Settings, token: str,
                               acting_code: str | None = None) -> Principal:
    """The principal of a bearer token (JWT or ``zw_`` API token) acting at ``acting_code``.

    A system step: ``session`` must have the operator's scope (see the module docstring).
    One query loads the user (and the API token) with every grant; naming an acting tenant
    other than the home tenant costs one more. Raises ``AuthenticationFailed``
    (``auth.token_invalid``, ``auth.token_expired``, ``auth.account_inactive``) or
    ``NotFound("tenant")``.
    """
    _require_system_scope(session)
    token = (token or "").strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    grant_cols = (Grant.role, Grant.tenant_path, Grant.subtree)
    api_row: ApiToken | None = None
    grant_rows: list[tuple[str | None, str | None, bool | None]]
    parsed = tokens.parse_api_token(token)
    if parsed is not None:
        lookup, secret = parsed
        token_rows = (await session.execute(
            select(ApiToken, User, *grant_cols).join(User, User.id == ApiToken.user_id)
            .outerjoin(Grant, Grant.user_id == User.id).where(ApiToken.lookup == lookup)
        )).all()
        if not token_rows:
            raise tokens.invalid()
        api_row, user = token_rows[0][0], token_rows[0][1]
        tokens.check_api_token(api_row, secret)
        grant_rows = [(r[2], r[3], r[4]) for r in token_rows]
    else:
        claims = tokens.decode_jwt(settings, token)
        user_rows = (await session.execute(
            select(User, *grant_cols).outerjoin(Grant, Grant.user_id == User.id)
            .where(User.id == claims.user_id)
        )).all()
        if not user_rows:
            raise tokens.invalid()
        user = user_rows[0][0]
        grant_rows = [(r[1], r[2], r[3]) for r in user_rows]
    if not user.is_active:
        raise _inactive()
    grants = tuple(grant_ref(role, path, bool(subtree)) for role, path, subtree in grant_rows
                   if role is not None and path is not None)
    acting = await _acting(session, user, grants, acting_code)
    if api_row is not None and await tokens.touch_api_token(session, api_row):
        await session.commit()
    return build_principal(user, grants, acting=acting)
