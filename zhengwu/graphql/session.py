"""One database session shared safely by concurrently resolved GraphQL fields.

graphql-core resolves the fields of a selection set concurrently (``asyncio.gather``),
but an ``AsyncSession`` allows one operation at a time ("This session is provisioning a
new connection; concurrent operations are not permitted"). ``SerialSession`` wraps the
request's session and lets one I/O call through at a time; everything else passes
straight to the session, so services take it as they take an ``AsyncSession``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["SerialSession"]

_IO = frozenset({"execute", "scalar", "scalars", "get", "get_one", "flush", "commit", "rollback",
                 "refresh", "delete", "merge", "close", "connection", "run_sync", "stream",
                 "stream_scalars", "invalidate", "reset"})


class SerialSession:
    """An ``AsyncSession`` proxy whose I/O methods take turns (an ``asyncio.Lock``)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._lock = asyncio.Lock()

    @property
    def wrapped(self) -> AsyncSession:
        return self._session

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._session, name)
        if name not in _IO:
            return attr
        return self._locked(attr)

    def _locked(self, method: Callable[..., Any]) -> Callable[..., Any]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            async with self._lock:
                return await method(*args, **kwargs)

        return call
