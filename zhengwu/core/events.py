"""Events and the outbox: facts announced inside their transaction, work deferred past it.

``announce(session, hook, event)`` calls every plugin's ``zhengwu_event`` hook with the
announcing session and awaits what they return, one after the other, before the caller
commits: a listener's writes commit or roll back with the fact. ``defer(session, job, ...)``
writes an ``outbox`` row in the same transaction for work that can wait (notifications,
reports, sweeps); the ``outbox.drain`` job hands it to the job queue after the commit, so
neither a Redis outage nor a crash between commit and enqueue loses it, and a rolled-back
transaction defers nothing.

This module must never commit, roll back or open a transaction of its own (the caller owns
the transaction), never talk to the job queue directly, and never import a plugin.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock
from zhengwu.core.ids import uuid7
from zhengwu.core.jobs.base import check_json
from zhengwu.core.jobs.models import OutboxMessage
from zhengwu.core.plugin_api import Event

__all__ = ["CORE_EVENTS", "announce", "defer", "make_event", "publish"]

CORE_EVENTS = ("tenant.created", "tenant.suspended", "tenant.reactivated", "tenant.merged")
"""Facts the core announces (payload: the tenant's code, and for merges source, target and
what moved)."""


def make_event(name: str, tenant_id: uuid.UUID, tenant_path: str,
               payload: Mapping[str, Any] | None = None, actor: str = "system") -> Event:
    """A new ``Event`` with a time-ordered id, stamped with the (injectable) clock."""
    return Event(name=name, tenant_id=tenant_id, tenant_path=tenant_path,
                 payload=dict(payload or {}), occurred_at=clock.now(), id=uuid7(), actor=actor)


async def announce(session: AsyncSession, hook: Any, event: Event) -> None:
    """Tell every listener about ``event``, inside ``session``'s transaction.

    ``hook`` is the plugin manager or its ``hook`` relay (``pm`` or ``pm.hook``). Listeners'
    awaitables run in plugin order, one at a time (they share the session); an exception
    from a listener propagates, so the caller's transaction fails with the fact.
    """
    relay = getattr(hook, "hook", hook)
    for answer in relay.zhengwu_event(event=event, session=session):
        if inspect.isawaitable(answer):
            await answer


async def publish(session: AsyncSession, name: str, tenant_id: uuid.UUID, tenant_path: str,
                  payload: Mapping[str, Any] | None = None, actor: str = "system") -> Event:
    """Announce a fact through the plugins loaded in this process (``current_host``).

    What services call: ``announce`` with the process's host, a no-op for listeners when
    no plugins are loaded (tools, some tests).
    """
    from zhengwu.core.plugin_host import current_host

    event = make_event(name, tenant_id, tenant_path, payload, actor)
    host = current_host()
    if host is not None:
        await announce(session, host, event)
    return event


async def defer(session: AsyncSession, job_name: str, *, tenant_id: uuid.UUID,
                tenant_path: str, key: str | None = None, **kwargs: Any) -> uuid.UUID | None:
    """Queue ``job_name(**kwargs)`` to run after ``session``'s transaction commits.

    The row belongs to the tenant (``tenant_id``, ``tenant_path``; RLS checks it is in the
    session's scope). ``key`` coalesces: while an undispatched row with the same job and key
    exists, nothing is added and that row's id is returned (its arguments win). The job
    runs with the outbox row's id as job id. ``kwargs`` must be JSON values; ``tenant_id``,
    ``tenant_path`` and ``key`` are this function's own, so a job cannot receive them
    through here (pass e.g. ``tenant=...``).
    Returns the outbox row's id (None if coalesced into a row outside the session's scope).
    """
    payload = check_json(kwargs)
    now = clock.now()
    values = {"id": uuid7(), "job_name": job_name, "key": key, "kwargs": payload,
              "created_at": now, "next_attempt_at": now, "attempts": 0,
              "tenant_id": tenant_id, "tenant_path": tenant_path}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(OutboxMessage).values(**values)
    if key is not None:
        stmt = stmt.on_conflict_do_nothing()
    row_id: uuid.UUID | None = (
        await session.execute(stmt.returning(OutboxMessage.id))).scalar_one_or_none()
    if row_id is None:
        row_id = (await session.execute(
            select(OutboxMessage.id).where(OutboxMessage.job_name == job_name,
                                           OutboxMessage.key == key,
                                           OutboxMessage.dispatched_at.is_(None))
        )).scalar_one_or_none()
    return row_id
