"""Public case lookup (办件进度查询): anyone holding a case number and its check value reads
the case's progress — and nothing else.

The check value is the last four characters of the applicant's ID number (or credit code) or
of the phone given on the application. Cases store only keyed hashes of those tails, bound
to the case number (``applicants.check_hash``); a lookup hashes what it was given and compares
digests (constant time). The answer (``CaseProgress``) carries the case number, the item,
the status (code and Chinese), and the submitted, due, decided and delivered dates: no name,
no number, no material, no opinion.

Existence never leaks: an unknown case number, a wrong check value, a case of another tenant
(one outside the subtree of the division in the address) and a division where intake is not
enabled (or that does not exist, or is not active) all raise the same ``LookupMiss``
(``case.not_found``, same message). Every attempt counts against two limits first — per
source (the client address) and per case number, ``lookup_per_minute`` each (tenant setting
``intake.lookup_per_minute``; the default where the division is unknown) — so guessing a
check value is slow, and being refused says nothing about the case either
(``RateLimited``, ``lookup.rate_limited``, with the seconds to wait).

Limiters: ``MemoryLimiter`` is a sliding window in this process (the embedded mode, tests);
``RedisLimiter`` shares fixed one-minute windows among API servers through Redis (``INCR``
and ``EXPIRE`` on a key per source or case number and minute) and falls back to an
in-process window while Redis is unreachable. Both take an injectable clock. Limiter keys
are keyed hashes (the client address is personal data), never the values themselves.

Sessions: the division directory is public (no row-level security on ``tenants``), read
with an empty scope; everything else runs in a session scoped to the division's subtree, so
on PostgreSQL row-level security itself keeps the lookup inside that subtree.

Nothing here logs; nothing here may ever log or return the check value or personal data.
No litestar here (``routes.py`` is the HTTP side).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhengwu.core.db import scoped_session, subtree_clause
from zhengwu.core.errors import DomainError, NotFound
from zhengwu.core.pii import PiiCipher
from zhengwu.plugins.intake.applicants import check_hash
from zhengwu.plugins.intake.lifecycle import STATES
from zhengwu.plugins.intake.models import Case
from zhengwu.plugins.intake.settings import IntakeSettings
from zhengwu.tenants import enablement
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import normalise_code

__all__ = [
    "CASE_NO_MAX",
    "CaseProgress",
    "LookupMiss",
    "MemoryLimiter",
    "RateLimited",
    "RateLimiter",
    "RedisLimiter",
    "find_public_tenant",
    "lookup_case",
    "make_limiter",
    "public_lookup",
]

log = logging.getLogger("zhengwu.intake.lookup")

PLUGIN = "intake"
WINDOW_SECONDS = 60
CASE_NO_MAX = 60
_NO_SCOPE = ""  # row-level security shows nothing: only the public directory is read with it


class LookupMiss(NotFound):
    """The one answer for: unknown number, wrong check value, other tenant, not enabled."""

    def __init__(self) -> None:
        DomainError.__init__(self, "case.not_found", "未查到该办件：请核对办件编号和查询码",
                             "no case matches this case number and check value")


class RateLimited(DomainError):
    """Too many lookups from one source or for one case number within a minute."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("lookup.rate_limited",
                         f"查询过于频繁，请 {retry_after} 秒后再试",
                         f"too many lookups; try again in {retry_after} seconds",
                         retry_after=retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class CaseProgress:
    """What the public may read of a case: progress only, nothing personal."""

    case_no: str
    item_name: str
    status: str
    status_zh: str
    submitted_on: date
    due_date: date | None
    due_provisional: bool
    decided_on: date | None
    delivered_on: date | None

    @classmethod
    def of(cls, case: Case) -> CaseProgress:
        return cls(case_no=case.case_no, item_name=case.item_name, status=case.status,
                   status_zh=STATES.get(case.status, case.status), submitted_on=case.submitted_on,
                   due_date=case.due_date, due_provisional=bool(case.due_provisional),
                   decided_on=case.decided_on, delivered_on=case.delivered_on)

    def to_dict(self) -> dict[str, Any]:
        def day(d: date | None) -> str | None:
            return d.isoformat() if d is not None else None

        return {"case_no": self.case_no, "item_name": self.item_name, "status": self.status,
                "status_zh": self.status_zh, "submitted_on": day(self.submitted_on),
                "due_date": day(self.due_date), "due_provisional": self.due_provisional,
                "decided_on": day(self.decided_on), "delivered_on": day(self.delivered_on)}


# ---------------------------------------------------------------------------- limiters

Clock = Callable[[], float]


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int) -> int | None:
        """Count one attempt under ``key``; None when within ``limit`` per minute, else the
        whole seconds to wait (at least 1)."""
        ...

    async def close(self) -> None: ...


class MemoryLimiter:
    """A sliding one-minute window per key, in this process (embedded mode, tests).

    Refused attempts are not recorded (a client hammering while refused does not extend its
    own wait). ``clock`` returns seconds (monotonic); ``reset()`` forgets everything.
    """

    def __init__(self, clock: Clock = time.monotonic, window: float = WINDOW_SECONDS,
                 max_keys: int = 100_000) -> None:
        self.clock, self.window, self.max_keys = clock, window, max_keys
        self._hits: dict[str, deque[float]] = {}

    async def hit(self, key: str, limit: int) -> int | None:
        now = self.clock()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._prune(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= limit:
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        return None

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]

    def reset(self) -> None:
        self._hits.clear()

    async def close(self) -> None:
        return None


class RedisLimiter:
    """Fixed one-minute windows shared through Redis: ``INCR`` the key of (key, minute) and
    ``EXPIRE`` it, in one transaction. While Redis is unreachable the in-process
    ``fallback`` limits instead (logged once per outage, without keys)."""

    PREFIX = "zhengwu:intake:lookup"

    def __init__(self, url: str, clock: Clock = time.time, window: int = WINDOW_SECONDS,
                 prefix: str = PREFIX, fallback: MemoryLimiter | None = None) -> None:
        from redis.asyncio import Redis

        self.client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.clock, self.window, self.prefix = clock, window, prefix
        self.fallback = fallback or MemoryLimiter(clock=clock, window=window)
        self._degraded = False

    async def hit(self, key: str, limit: int) -> int | None:
        from redis.exceptions import RedisError

        now = self.clock()
        bucket = int(now // self.window)
        name = f"{self.prefix}:{key}:{bucket}"
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, self.window + 5)
                count, _ = await pipe.execute()
        except (RedisError, OSError):
            if not self._degraded:
                log.warning("lookup rate limiter: Redis unreachable, limiting in this process")
                self._degraded = True
            return await self.fallback.hit(key, limit)
        self._degraded = False
        if int(count) <= limit:
            return None
        return max(1, math.ceil((bucket + 1) * self.window - now))

    async def reset(self) -> None:
        """Forget every window under this limiter's prefix (tests, operators)."""
        keys = [k async for k in self.client.scan_iter(match=f"{self.prefix}:*")]
        if keys:
            await self.client.delete(*keys)
        self.fallback.reset()

    async def close(self) -> None:
        await self.client.aclose()


def make_limiter(redis_url: str | None) -> RateLimiter:
    """Redis-backed when the deployment has Redis (several API servers), else in-process."""
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()


# ------------------------------------------------------------------------------ lookup

def _normalise_case_no(case_no: str) -> str:
    return unicodedata.normalize("NFKC", case_no or "").strip()


def _check_value(check: str | None) -> str | None:
    """Four letters or digits (full-width forms and case forgiven), else None."""
    value = unicodedata.normalize("NFKC", check or "").strip().upper()
    return value if len(value) == 4 and value.isascii() and value.isalnum() else None


async def find_public_tenant(session: AsyncSession, code: str) -> Tenant | None:
    """The active division ``code`` names (any accepted form), or None. Directory only."""
    try:
        short = normalise_code(code)
    except Exception:
        return None
    tenant = await session.scalar(select(Tenant).where(Tenant.code == short))
    return tenant if tenant is not None and tenant.status == "active" else None


async def _limit_of(session: AsyncSession, tenant: Tenant | None) -> int:
    if tenant is None:
        return int(IntakeSettings.model_fields["lookup_per_minute"].default)
    return (await tenant_settings.resolve(session, tenant, IntakeSettings)).lookup_per_minute


async def _enforce(limiter: RateLimiter, cipher: PiiCipher, limit: int, source: str,
                   case_no: str) -> None:
    waits = await asyncio.gather(
        limiter.hit("src:" + cipher.blind_index("lookup_source", source or "-"), limit),
        limiter.hit("case:" + cipher.blind_index("lookup_case", case_no), limit))
    worst = max((w for w in waits if w is not None), default=None)
    if worst is not None:
        raise RateLimited(worst)


async def lookup_case(session: AsyncSession, tenant: Tenant | None, case_no: str,
                      check: str | None, cipher: PiiCipher) -> CaseProgress:
    """The case ``case_no`` in ``tenant``'s subtree if ``check`` matches, else ``LookupMiss``.

    ``session`` must be scoped to ``tenant``'s subtree. No rate limit here (see
    ``public_lookup``).
    """
    case_no = _normalise_case_no(case_no)
    value = _check_value(check)
    # Hash whatever was given, so a malformed value costs what a wrong one does.
    given = check_hash(cipher, case_no, value or "----")
    if tenant is None or not case_no or len(case_no) > CASE_NO_MAX:
        raise LookupMiss()
    if PLUGIN not in await enablement.active_plugins(session, tenant):
        raise LookupMiss()
    case = await session.scalar(select(Case).where(
        Case.case_no == case_no, subtree_clause(Case.tenant_path, tenant.path)))
    if case is None:
        raise LookupMiss()
    matched = False
    for stored in case.lookup_checks or []:
        matched |= hmac.compare_digest(given, str(stored))
    if value is None or not matched:
        raise LookupMiss()
    return CaseProgress.of(case)


async def public_lookup(sessionmaker: async_sessionmaker[AsyncSession], limiter: RateLimiter,
                        cipher: PiiCipher, *, code: str, case_no: str, check: str | None,
                        source: str) -> CaseProgress:
    """An anonymous lookup at ``/public/{code}``: limits first, then ``lookup_case``.

    ``source`` is the client's address (as the server saw it, after trusted proxies).
    Raises ``RateLimited`` or ``LookupMiss``; returns ``CaseProgress``.
    """
    case_no = _normalise_case_no(case_no)
    async with scoped_session(sessionmaker, _NO_SCOPE) as session:
        tenant = await find_public_tenant(session, code)
    async with scoped_session(sessionmaker, tenant.path if tenant else _NO_SCOPE) as session:
        limit = await _limit_of(session, tenant)
        await _enforce(limiter, cipher, limit, source, case_no)
        return await lookup_case(session, tenant, case_no, check, cipher)


async def public_title(sessionmaker: async_sessionmaker[AsyncSession], code: str) -> str | None:
    """The name of the active division ``code`` (public directory), for page titles."""
    async with scoped_session(sessionmaker, _NO_SCOPE) as session:
        tenant = await find_public_tenant(session, code)
    return tenant.name if tenant is not None else None
