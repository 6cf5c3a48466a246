"""The core's own jobs: ``outbox.drain`` (hand deferred work to the queue) and ``jobs.prune``.

``drain_outbox`` moves due ``outbox`` rows to the job queue in three short steps, so that no
database transaction stays open while Redis is called: claim (a lease on ``next_attempt_at``;
``FOR UPDATE SKIP LOCKED`` on PostgreSQL so concurrent drains take different rows), enqueue
each row with the row id as job id (a row handed over twice is still one job), settle
(``dispatched_at`` on success; ``attempts``, ``last_error`` and a backoff on failure). A drain
that dies between the steps leaves rows whose lease runs out and which the next drain takes.

This module must never be imported by a plugin (plugins defer through
``zhengwu.core.events.defer``) and never talks to a backend except through ``JobQueue``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhengwu.core import clock
from zhengwu.core.db import ALL_SCOPE, scoped_session
from zhengwu.core.jobs.base import JobContext, JobQueue
from zhengwu.core.jobs.models import JobRun, OutboxMessage
from zhengwu.core.plugin_api import JobSpec

__all__ = ["CORE_JOBS", "OUTBOX_LEASE", "DrainReport", "backoff", "drain_outbox", "prune"]

log = logging.getLogger("zhengwu.outbox")

OUTBOX_BATCH = 200
OUTBOX_LEASE = timedelta(minutes=5)
"""How long a claimed row is hidden from other drains while it is handed over."""
_BACKOFF_FIRST = timedelta(seconds=15)
_BACKOFF_MAX = timedelta(minutes=30)


def backoff(attempts: int) -> timedelta:
    """Delay before the next hand-over after ``attempts`` failed ones: 15 s, 30 s, … ≤ 30 min."""
    delay: timedelta = _BACKOFF_FIRST * (2 ** max(attempts - 1, 0))
    return min(delay, _BACKOFF_MAX)


@dataclass(frozen=True)
class DrainReport:
    dispatched: int
    failed: int


@dataclass(frozen=True)
class _Claimed:
    id: uuid.UUID
    job_name: str
    kwargs: dict[str, Any]
    attempts: int


async def _claim(sessionmaker: async_sessionmaker[AsyncSession], now: datetime,
                 limit: int) -> list[_Claimed]:
    async with scoped_session(sessionmaker, ALL_SCOPE) as s, s.begin():
        due = (select(OutboxMessage.id)
               .where(OutboxMessage.dispatched_at.is_(None),
                      OutboxMessage.next_attempt_at <= now)
               .order_by(OutboxMessage.next_attempt_at)
               .limit(limit))
        if s.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        # One UPDATE (a write first: SQLite then serialises drains instead of failing them).
        rows = (await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due), OutboxMessage.dispatched_at.is_(None))
            .values(next_attempt_at=now + OUTBOX_LEASE)
            .returning(OutboxMessage.id, OutboxMessage.job_name, OutboxMessage.kwargs,
                       OutboxMessage.attempts)
            .execution_options(synchronize_session=False))).all()
    claimed = [_Claimed(r[0], r[1], dict(r[2] or {}), r[3]) for r in rows]
    return sorted(claimed, key=lambda c: c.id)  # uuid7: the order they were deferred


async def drain_outbox(sessionmaker: async_sessionmaker[AsyncSession], queue: JobQueue, *,
                       limit: int = OUTBOX_BATCH) -> DrainReport:
    """Hand up to ``limit`` due outbox rows to ``queue``. Safe to run concurrently."""
    claimed = await _claim(sessionmaker, clock.now(), limit)
    delivered: list[uuid.UUID] = []
    failed: list[tuple[_Claimed, str]] = []
    for row in claimed:
        try:
            await queue.enqueue(row.job_name, job_id=str(row.id), **row.kwargs)
        except Exception as exc:
            failed.append((row, f"{type(exc).__name__}: {exc}"[:2000]))
        else:
            delivered.append(row.id)
    now = clock.now()
    async with scoped_session(sessionmaker, ALL_SCOPE) as s, s.begin():
        if delivered:
            await s.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(delivered))
                .values(dispatched_at=now, attempts=OutboxMessage.attempts + 1, last_error=None)
                .execution_options(synchronize_session=False))
        for row, error in failed:
            await s.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id)
                .values(attempts=OutboxMessage.attempts + 1, last_error=error,
                        next_attempt_at=now + backoff(row.attempts + 1))
                .execution_options(synchronize_session=False))
    if failed:
        log.warning("outbox: %d row(s) not handed over, first error: %s", len(failed),
                    failed[0][1])
    return DrainReport(dispatched=len(delivered), failed=len(failed))


async def _drain_job(ctx: JobContext, limit: int = OUTBOX_BATCH) -> dict[str, int]:
    dispatched = failed = 0
    while True:
        report = await drain_outbox(ctx.sessionmaker, ctx.queue, limit=limit)
        dispatched += report.dispatched
        failed += report.failed
        if report.dispatched + report.failed < limit or report.dispatched == 0:
            break
        await ctx.progress(dispatched, None, "draining")
    return {"dispatched": dispatched, "failed": failed}


async def prune(sessionmaker: async_sessionmaker[AsyncSession], *, days: int = 30) -> int:
    """Delete finished job runs and dispatched outbox rows older than ``days``."""
    cutoff = clock.now() - timedelta(days=days)
    async with scoped_session(sessionmaker, ALL_SCOPE) as s, s.begin():
        runs = await s.execute(delete(JobRun).where(
            JobRun.status.in_(("done", "failed")), JobRun.finished_at < cutoff))
        sent = await s.execute(delete(OutboxMessage).where(OutboxMessage.dispatched_at < cutoff))
    return int(runs.rowcount or 0) + int(sent.rowcount or 0)  # type: ignore[attr-defined]


async def _prune_job(ctx: JobContext, days: int = 30) -> dict[str, int]:
    return {"deleted": await prune(ctx.sessionmaker, days=days)}


CORE_JOBS: tuple[JobSpec, ...] = (
    JobSpec(name="outbox.drain", fn=_drain_job, cron="* * * * *",
            description="Hand deferred work (the outbox) to the job queue."),
    JobSpec(name="jobs.prune", fn=_prune_job, cron="17 3 * * *",
            description="Forget finished job runs and dispatched outbox rows after 30 days."),
)
"""The core's jobs; ``make_queue`` always registers them."""
