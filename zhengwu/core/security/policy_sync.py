"""Keeping this process's policy in step with custom-role changes made by other processes.

Every process (servers behind a load balancer, job workers) holds the policy in memory
(``rbac.policy``). A change to a custom role raises ``policy_version`` in its transaction
(``roles``); ``PolicySync.refresh`` reads that one integer at most every ``interval`` seconds
and reloads the custom roles when it differs from the version the policy was loaded at. So a
permission taken out of a role stops working everywhere within the interval (default 1 s), at
the cost of one primary-key read per interval per process.

The check runs before a bearer request is authenticated (``zhengwu.web.deps``); concurrent
requests share one check (a lock). Jobs act as the system principal and consult no custom
role; one-off CLI commands load the policy when they start. A check that cannot read the database
fails its request, like the authentication that follows it would.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhengwu.core.db import ALL_SCOPE
from zhengwu.core.security import rbac, roles

__all__ = ["PolicySync"]

log = logging.getLogger("zhengwu.security.policy")


class PolicySync:
    """One per process: ``await sync.refresh()`` before relying on ``rbac.policy``."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float = 1.0,
                 *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._sessionmaker = sessionmaker
        self._interval = interval
        self._monotonic = monotonic
        self._checked_at: float | None = monotonic()  # made right after the start-up load
        self._lock = asyncio.Lock()
        self.reloads = 0
        """How many times this process reloaded the custom roles (for tests and logs)."""

    def _due(self) -> bool:
        return self._checked_at is None or self._monotonic() - self._checked_at >= self._interval

    async def refresh(self) -> bool:
        """Reload the custom roles if another process changed one; True if reloaded."""
        if not self._due():
            return False
        async with self._lock:
            if not self._due():  # another request checked while this one waited
                return False
            self._checked_at = self._monotonic()
            async with self._sessionmaker() as session:
                session.info["scope"] = ALL_SCOPE
                version = await roles.read_policy_version(session)
                if version == rbac.policy.version:
                    return False
                count = await roles.reload_policy(session)
            self.reloads += 1
            log.info("custom roles reloaded: policy version %s, %d custom role(s)",
                     rbac.policy.version, count)
            return True
