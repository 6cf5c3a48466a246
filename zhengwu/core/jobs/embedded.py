"""The in-process job queue: jobs as asyncio tasks and cron schedules on the server's loop.

Used when no Redis is configured (``Settings.redis_url`` unset), so the demo needs nothing
but the server: ``EmbeddedQueue.start()`` in the app's startup, ``close()`` at shutdown.
Jobs run through the same ``run_job`` as on arq, so they are recorded in ``job_runs``,
idempotent by job id and report progress the same way. At most ``concurrency`` jobs run at
once; ``close()`` stops the schedules, refuses new jobs and waits for the running ones.
Rows still ``queued`` or ``running`` when the process died are run again by the next
``start()`` (``resume=True``).

Embedded mode is for one server process: this module must never be used by several
processes sharing a database (they would each run the schedules); that is what arq is for.
It must never block the event loop, and never import arq, litestar or strawberry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhengwu.core import clock
from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, scoped_session
from zhengwu.core.jobs.base import (
    JobRegistry,
    JobStatus,
    QueueUnavailable,
    check_json,
    new_job_id,
    read_status,
    record_queued,
    run_job,
)
from zhengwu.core.jobs.models import JobRun
from zhengwu.core.plugin_api import JobSpec

__all__ = ["EmbeddedQueue"]

log = logging.getLogger("zhengwu.jobs.embedded")


class EmbeddedQueue:
    """``JobQueue`` on the running event loop.

    ``now`` and ``sleep`` are injectable so tests drive the scheduler without waiting;
    ``tick(at)`` fires the schedules due at ``at`` directly.
    """

    def __init__(
        self,
        settings: Settings,
        registry: JobRegistry,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        concurrency: int = 4,
        run_schedules: bool = True,
        resume: bool = True,
        shutdown_timeout: float | None = 30.0,
        now: Callable[[], datetime] = clock.now,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.settings = settings
        self.registry = registry
        self.sessionmaker = sessionmaker
        self.concurrency = concurrency
        self.run_schedules = run_schedules
        self.resume = resume
        self.shutdown_timeout = shutdown_timeout
        self._now = now
        self._sleep = sleep
        self._slots = asyncio.Semaphore(concurrency)
        # job id → its task; None while the id is reserved but its task not yet created
        self._tasks: dict[str, asyncio.Task[None] | None] = {}
        self._running = 0
        self._scheduler: asyncio.Task[None] | None = None
        self._started = False
        self._closing = False

    # ------------------------------------------------------------------ lifecycle ---

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.resume:
            await self._resume_interrupted()
        if self.run_schedules and self.registry.schedules:
            self._scheduler = asyncio.create_task(self._schedule_loop(),
                                                  name="zhengwu-job-scheduler")

    async def close(self) -> None:
        """Stop the schedules, refuse new jobs, wait for running ones (then cancel them)."""
        self._closing = True
        if self._scheduler is not None:
            self._scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduler
            self._scheduler = None
        tasks = [t for t in self._tasks.values() if t is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.shutdown_timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("%d job(s) cancelled at shutdown", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    async def __aenter__(self) -> EmbeddedQueue:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def join(self) -> None:
        """Wait until no job is queued or running here (including jobs those jobs enqueue)."""
        while self._tasks:
            tasks = [t for t in self._tasks.values() if t is not None]
            if tasks:
                await asyncio.wait(tasks)
            else:
                await asyncio.sleep(0)

    # ------------------------------------------------------------------------ jobs ---

    async def enqueue(self, name: str, *, job_id: str | None = None, **kwargs: Any) -> str:
        if self._closing:
            raise QueueUnavailable("the embedded job queue is shutting down")
        spec = self.registry[name]
        payload = check_json(kwargs)
        job_id = job_id or new_job_id()
        if job_id in self._tasks:
            return job_id  # already queued or running here
        self._tasks[job_id] = None
        try:
            previous = await record_queued(self.sessionmaker, job_id, name, payload)
        except BaseException:
            del self._tasks[job_id]
            raise
        if previous == "done":
            del self._tasks[job_id]
            return job_id
        if self._closing:  # close() began while we were recording: the next start() resumes it
            del self._tasks[job_id]
            raise QueueUnavailable("the embedded job queue is shutting down")
        self._spawn(spec, job_id, payload)
        return job_id

    async def job_status(self, job_id: str) -> JobStatus | None:
        return await read_status(self.sessionmaker, job_id)

    @property
    def in_flight(self) -> int:
        """How many jobs are queued or running in this process."""
        return len(self._tasks)

    @property
    def running(self) -> int:
        """How many jobs are running now (at most ``concurrency``)."""
        return self._running

    def _spawn(self, spec: JobSpec, job_id: str, payload: dict[str, Any]) -> None:
        task = asyncio.create_task(self._run(spec, job_id, payload),
                                   name=f"zhengwu-job:{spec.name}:{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda t: self._forget(job_id, t))

    def _forget(self, job_id: str, task: asyncio.Task[Any] | None) -> None:
        if task is not None and self._tasks.get(job_id) is task:
            del self._tasks[job_id]

    async def _run(self, spec: JobSpec, job_id: str, payload: dict[str, Any]) -> None:
        try:
            async with self._slots:
                self._running += 1
                try:
                    await run_job(spec, job_id=job_id, kwargs=payload,
                                  sessionmaker=self.sessionmaker, settings=self.settings,
                                  queue=self)
                finally:
                    self._running -= 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s (%s) failed", job_id, spec.name)
        finally:
            # Forget the id as soon as the job ends, so a retry enqueued right after a
            # failure is not mistaken for the run that just finished.
            self._forget(job_id, asyncio.current_task())

    async def _resume_interrupted(self) -> None:
        async with scoped_session(self.sessionmaker, ALL_SCOPE) as s:
            rows = (await s.execute(
                select(JobRun.job_id, JobRun.name, JobRun.kwargs)
                .where(JobRun.status.in_(("queued", "running")))
                .order_by(JobRun.enqueued_at))).all()
        for job_id, name, kwargs in rows:
            if name not in self.registry:
                log.warning("not resuming job %s: no job named %r here", job_id, name)
                continue
            if job_id not in self._tasks:
                log.info("resuming interrupted job %s (%s)", job_id, name)
                self._spawn(self.registry[name], job_id, dict(kwargs or {}))

    # ------------------------------------------------------------------- schedules ---

    async def tick(self, at: datetime) -> list[str]:
        """Enqueue every scheduled job whose schedule matches the minute of ``at``.

        The job id names the job and the minute, so a second tick for the same minute (two
        wake-ups, a restart) adds nothing. Returns the job ids enqueued.
        """
        minute = at.astimezone(UTC).replace(second=0, microsecond=0)
        fired: list[str] = []
        for name, schedule in self.registry.schedules.items():
            if not schedule.matches(minute):
                continue
            job_id = f"{name}@{minute:%Y%m%dT%H%MZ}"
            try:
                fired.append(await self.enqueue(name, job_id=job_id))
            except Exception:
                log.exception("scheduled job %s could not be enqueued", job_id)
        return fired

    async def _schedule_loop(self) -> None:
        schedules = list(self.registry.schedules.values())
        last = self._now()
        while True:
            due = min(s.next_after(last) for s in schedules)
            delay = (due - self._now()).total_seconds()
            if delay > 0:
                await self._sleep(delay)
            await self.tick(due)
            # A late wake-up fires the missed minute once, then carries on from now.
            last = max(due, self._now() - timedelta(seconds=1))
