"""Background and scheduled jobs behind one small interface, on arq or in-process.

``make_queue(settings, specs, sessionmaker)`` picks the backend: ``ArqQueue`` when
``Settings.redis_url`` is set (``zhengwu worker`` runs the jobs), ``EmbeddedQueue`` otherwise
(jobs and schedules on the server's own event loop). Both run every job through
``run_job``: recorded in ``job_runs``, idempotent by job id, with progress. The core's own
jobs (``CORE_JOBS``: the outbox drain, pruning) are always registered.

Nothing outside this package may import arq; callers hold a ``JobQueue``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhengwu.core.config import Settings
from zhengwu.core.jobs.base import (
    DuplicateJob,
    JobContext,
    JobQueue,
    JobRegistry,
    JobStatus,
    QueueUnavailable,
    UnknownJob,
)
from zhengwu.core.jobs.builtin import CORE_JOBS, DrainReport, drain_outbox
from zhengwu.core.jobs.cron import CronError, CronSchedule
from zhengwu.core.jobs.embedded import EmbeddedQueue
from zhengwu.core.plugin_api import JobSpec

__all__ = [
    "CORE_JOBS",
    "CronError",
    "CronSchedule",
    "DrainReport",
    "DuplicateJob",
    "EmbeddedQueue",
    "JobContext",
    "JobQueue",
    "JobRegistry",
    "JobStatus",
    "QueueUnavailable",
    "UnknownJob",
    "drain_outbox",
    "make_queue",
    "make_registry",
]


def make_registry(specs: Iterable[JobSpec] = ()) -> JobRegistry:
    """The core's jobs plus ``specs`` (e.g. everything ``pm.hook.zhengwu_jobs()`` returned)."""
    return JobRegistry([*CORE_JOBS, *specs])


def make_queue(settings: Settings, specs: Iterable[JobSpec],
               sessionmaker: async_sessionmaker[AsyncSession], **options: Any) -> JobQueue:
    """The job queue for this process: arq if ``settings.redis_url`` is set, else embedded.

    ``specs`` are the plugins' jobs (a ``JobRegistry`` works too); ``options`` go to the
    backend's constructor (e.g. ``concurrency`` for embedded, ``queue_name`` for arq).
    Call ``await queue.start()`` before use and ``await queue.close()`` at shutdown.
    """
    registry = make_registry(specs.values() if isinstance(specs, JobRegistry) else specs)
    if settings.redis_url:
        from zhengwu.core.jobs.arq_queue import ArqQueue

        return ArqQueue(settings, registry, sessionmaker, **options)
    return EmbeddedQueue(settings, registry, sessionmaker, **options)
