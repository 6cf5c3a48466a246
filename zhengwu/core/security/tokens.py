"""Bearer credentials: session JWTs for people, API tokens for service clients.

What this module holds:

* ``issue_jwt`` / ``decode_jwt`` — HS256 JWTs signed with ``Settings.secret_key``: ``sub``
  (the user id), ``iat``, ``exp`` (``Settings.jwt_ttl_seconds``), ``jti``, ``iss``. Time
  comes from ``zhengwu.core.clock`` (PyJWT's own clock checks are switched off and done
  here), so tests can freeze it. An expired token answers ``auth.token_expired``; anything
  else wrong (signature, algorithm, claims, shape) ``auth.token_invalid``.
* API tokens ``zw_<lookup>_<secret>``: ``lookup`` (12 hex digits) finds the row, only the
  SHA-256 of ``secret`` is stored (the secret has 256 bits of entropy, so a fast hash is
  enough), compared in constant time. Optional expiry, revocation, ``last_used_at``
  (written at most once a minute per token). The plain token exists only in the
  ``IssuedToken`` returned at creation.
* Services ``create_api_token``, ``revoke_api_token``, ``list_api_tokens`` (a user for
  itself, or anyone with ``user:update`` at the user's home tenant), audited.

It must never store, log or audit a token secret, and never accept ``alg: none``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock
from zhengwu.core.config import Settings
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import AuthenticationFailed, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.models import ApiToken, User
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.core.security.users import access_user

__all__ = [
    "API_TOKEN_PREFIX",
    "JWT_ALGORITHM",
    "JWT_ISSUER",
    "IssuedToken",
    "JwtClaims",
    "as_utc",
    "check_api_token",
    "create_api_token",
    "decode_jwt",
    "expired",
    "invalid",
    "issue_jwt",
    "list_api_tokens",
    "parse_api_token",
    "revoke_api_token",
    "touch_api_token",
]

JWT_ALGORITHM = "HS256"
JWT_ISSUER = "zhengwu"
API_TOKEN_PREFIX = "zw"
LAST_USED_RESOLUTION = timedelta(seconds=60)
"""``last_used_at`` is rewritten only when older than this (saves a write per request)."""
_LEEWAY = timedelta(seconds=0)


def invalid() -> AuthenticationFailed:
    return AuthenticationFailed("auth.token_invalid", "令牌无效", "the token is invalid")


def expired() -> AuthenticationFailed:
    return AuthenticationFailed("auth.token_expired", "令牌已过期，请重新登录",
                                "the token has expired; log in again")


def as_utc(at: datetime) -> datetime:
    """A datetime read back from SQLite has no offset; it was written in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# ---------------------------------------------------------------- JWT


@dataclass(frozen=True, slots=True)
class JwtClaims:
    user_id: uuid.UUID
    jti: str
    issued_at: datetime
    expires_at: datetime


def issue_jwt(settings: Settings, user_id: uuid.UUID) -> str:
    """A signed session token for ``user_id``, valid for ``settings.jwt_ttl_seconds``."""
    now = clock.now()
    iat = int(now.timestamp())
    payload = {
        "iss": JWT_ISSUER,
        "sub": str(user_id),
        "iat": iat,
        "exp": iat + settings.jwt_ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, settings.secret_key.get_secret_value(), algorithm=JWT_ALGORITHM)


def decode_jwt(settings: Settings, token: str) -> JwtClaims:
    """Verify signature, issuer and expiry (against ``clock.now()``); return the claims."""
    try:
        payload: dict[str, Any] = jwt.decode(
            token, settings.secret_key.get_secret_value(), algorithms=[JWT_ALGORITHM],
            issuer=JWT_ISSUER,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                     "require": ["exp", "iat", "sub", "jti", "iss"]},
        )
        exp = int(payload["exp"])
        iat = int(payload["iat"])
        user_id = uuid.UUID(str(payload["sub"]))
        jti = str(payload["jti"])
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise invalid() from exc
    expires_at = datetime.fromtimestamp(exp, UTC)
    if clock.now() >= expires_at + _LEEWAY:
        raise expired()
    return JwtClaims(user_id, jti, datetime.fromtimestamp(iat, UTC), expires_at)


# ---------------------------------------------------------------- API tokens


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token: the row and the plain token, shown to its owner exactly once."""

    token: ApiToken
    plaintext: str


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_token(token: str) -> tuple[str, str] | None:
    """``zw_<lookup>_<secret>`` → ``(lookup, secret)``; None when it is not an API token."""
    prefix, _, rest = token.partition("_")
    lookup, _, secret = rest.partition("_")
    if prefix != API_TOKEN_PREFIX or len(lookup) != 12 or len(secret) < 20:
        return None
    return lookup, secret


def check_api_token(row: ApiToken, secret: str) -> None:
    """Raise unless ``secret`` matches ``row`` and the token is neither revoked nor expired."""
    if not hmac.compare_digest(row.secret_hash, _secret_hash(secret)):
        raise invalid()
    if row.revoked_at is not None:
        raise invalid()
    if row.expires_at is not None and clock.now() >= as_utc(row.expires_at):
        raise expired()


async def touch_api_token(session: AsyncSession, row: ApiToken) -> bool:
    """Record use (``last_used_at``), at most once per ``LAST_USED_RESOLUTION``; True if written."""
    now = clock.now()
    if row.last_used_at is not None and now - as_utc(row.last_used_at) < LAST_USED_RESOLUTION:
        return False
    await session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now)
                          .execution_options(synchronize_session=False))
    row.last_used_at = now
    return True


def _token_snapshot(row: ApiToken) -> dict[str, Any]:
    return {"id": str(row.id), "user_id": str(row.user_id), "name": row.name,
            "lookup": row.lookup, "expires_at": row.expires_at, "revoked_at": row.revoked_at}


async def _manageable_owner(session: AsyncSession, principal: Principal,
                            user_ref: uuid.UUID | str) -> User:
    user = await access_user(session, principal, user_ref)
    if user.id != principal.user_id and not can(principal, "update",
                                                Resource("user", user.tenant_path)):
        raise PermissionDenied("user:update", user.tenant_path)
    return user


async def create_api_token(session: AsyncSession, principal: Principal,
                           user_ref: uuid.UUID | str, name: str, *,
                           expires_at: datetime | None = None) -> IssuedToken:
    """Issue an API token for a user: the user itself, or ``user:update`` at its tenant."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("token.bad_name", "令牌名称须为 1–100 个字符",
                      "a token name has 1-100 characters", field="name")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise Invalid("token.naive_expiry", "过期时间须带时区", "the expiry needs a timezone",
                          field="expires_at")
        if expires_at <= clock.now():
            raise Invalid("token.expiry_in_past", "过期时间须晚于当前时间",
                          "the expiry must lie in the future", field="expires_at")
    user = await _manageable_owner(session, principal, user_ref)
    if not user.is_active:
        raise Invalid("token.user_inactive", "用户已停用", "the user is inactive", field="user")
    lookup = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, lookup=lookup, secret_hash=_secret_hash(secret),
                   expires_at=expires_at, tenant_id=user.tenant_id, tenant_path=user.tenant_path)
    session.add(row)
    await session.flush()
    await audit.record(session, principal, "token.create", tenant_id=user.tenant_id,
                       tenant_path=user.tenant_path, target_type="api_token", target_id=row.id,
                       after=_token_snapshot(row))
    return IssuedToken(row, f"{API_TOKEN_PREFIX}_{lookup}_{secret}")


async def list_api_tokens(session: AsyncSession, principal: Principal,
                          user_ref: uuid.UUID | str) -> list[ApiToken]:
    """A user's tokens (never their secrets), newest first."""
    user = await _manageable_owner(session, principal, user_ref)
    rows = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id,
                               subtree_clause(ApiToken.tenant_path, principal.scope))
        .order_by(ApiToken.created_at.desc()))
    return list(rows.all())


async def revoke_api_token(session: AsyncSession, principal: Principal,
                           token_id: uuid.UUID) -> ApiToken:
    """Revoke a token at once (idempotent). Unknown or not-yours: ``api_token.not_found``."""
    row = await session.scalar(select(ApiToken).where(
        ApiToken.id == token_id, subtree_clause(ApiToken.tenant_path, principal.scope)))
    if row is None or principal.is_anonymous:
        raise NotFound("api_token", token_id)
    try:
        await _manageable_owner(session, principal, row.user_id)
    except NotFound as exc:
        raise NotFound("api_token", token_id) from exc
    if row.revoked_at is None:
        before = _token_snapshot(row)
        row.revoked_at = clock.now()
        await session.flush()
        await audit.record(session, principal, "token.revoke", tenant_id=row.tenant_id,
                           tenant_path=row.tenant_path, target_type="api_token",
                           target_id=row.id, before=before, after=_token_snapshot(row))
    return row
