"""The job interface every backend implements, the job registry, and the one job runner.

Holds ``JobQueue`` (the small protocol the server, services and the CLI talk to),
``JobRegistry`` (name → ``JobSpec``; duplicate names are an error), ``JobContext`` (what a
job function receives), ``JobStatus`` (what ``job_status`` answers) and ``run_job``, which
both backends call so that a job behaves the same in-process and on arq: its ``job_runs``
row makes it idempotent (a ``done`` job id is a no-op that returns the stored result; a
``failed`` one runs again) and carries its progress.

This module must never import arq, litestar or strawberry, and never decides *where* a job
runs: that is the backends' business (``embedded``, ``arq_queue``).
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhengwu.core import clock
from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, scoped_session
from zhengwu.core.ids import uuid7
from zhengwu.core.jobs.cron import CronSchedule
from zhengwu.core.jobs.models import JobRun
from zhengwu.core.plugin_api import JobSpec

__all__ = [
    "DuplicateJob",
    "JobContext",
    "JobQueue",
    "JobRegistry",
    "JobStatus",
    "QueueUnavailable",
    "UnknownJob",
    "new_job_id",
    "read_status",
    "record_queued",
    "run_job",
    "undo_queued",
]

log = logging.getLogger("zhengwu.jobs")

_ERROR_LIMIT = 8000
_PROGRESS_MIN_INTERVAL = 0.5  # seconds between two persisted progress updates of one job


class DuplicateJob(ValueError):
    """Two different ``JobSpec`` share a name."""


class UnknownJob(LookupError):
    """No registered job has this name."""


class QueueUnavailable(RuntimeError):
    """The backend could not take the job (Redis down, queue closed). Nothing was enqueued."""


def new_job_id() -> str:
    """A fresh, time-ordered job id."""
    return uuid7().hex


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class JobRegistry(Mapping[str, JobSpec]):
    """The jobs a process knows, by name. Cron strings are parsed (and checked) on register."""

    def __init__(self, specs: Iterable[JobSpec] = ()) -> None:
        self._specs: dict[str, JobSpec] = {}
        self._schedules: dict[str, CronSchedule] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: JobSpec) -> None:
        existing = self._specs.get(spec.name)
        if existing is spec:
            return  # the same spec handed over twice (e.g. CORE_JOBS) is harmless
        if existing is not None:
            raise DuplicateJob(
                f"job {spec.name!r} is declared twice ({existing.plugin} and {spec.plugin})")
        if spec.cron is not None:
            self._schedules[spec.name] = CronSchedule.parse(spec.cron)
        self._specs[spec.name] = spec

    def __getitem__(self, name: str) -> JobSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownJob(f"no job named {name!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    @property
    def schedules(self) -> Mapping[str, CronSchedule]:
        """Name → schedule, for the jobs that have a ``cron``."""
        return self._schedules


@dataclass(frozen=True)
class JobStatus:
    """What is known about one job id (read from ``job_runs``)."""

    job_id: str
    name: str
    status: str  # queued | running | done | failed
    done: int
    total: int | None
    message: str
    attempts: int
    error: str | None
    result: Any
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


@runtime_checkable
class JobQueue(Protocol):
    """Where jobs go. ``EmbeddedQueue`` (in-process) and ``ArqQueue`` (Redis) implement it.

    ``enqueue`` returns the job id; enqueueing an id that is queued or running adds nothing,
    and running an id that is ``done`` is a no-op. Keyword arguments must be JSON values.
    It raises ``UnknownJob`` for a name not in the registry and ``QueueUnavailable`` when the
    backend cannot take the job.
    """

    registry: JobRegistry

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def enqueue(self, name: str, *, job_id: str | None = None, **kwargs: Any) -> str: ...

    async def job_status(self, job_id: str) -> JobStatus | None: ...


@dataclass
class JobContext:
    """What a job function ``fn(ctx, **kwargs)`` gets.

    ``session()`` opens a session with the operator scope (or the tenant path given);
    ``progress(done, total, message)`` persists progress to ``job_runs`` (at most twice a
    second, always when ``done >= total``); ``queue`` enqueues follow-up work.
    """

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    job_id: str
    job_name: str
    queue: JobQueue
    attempt: int = 1
    _last_progress: float | None = field(default=None, repr=False)

    def session(self, scope: str = ALL_SCOPE) -> AbstractAsyncContextManager[AsyncSession]:
        """``async with ctx.session() as s:`` — a session scoped to ``scope`` (default ``*``)."""
        return scoped_session(self.sessionmaker, scope)

    async def enabled_scope(self, plugin: str) -> Any:
        """Where ``plugin`` is switched on: an ``EnabledScope`` whose ``clause(column)``
        filters a set-based job's rows to the tenants that enabled it (the rest are skipped).
        """
        from zhengwu.tenants.enablement import enabled_scope  # the tree lives in tenants

        async with self.session() as s:
            return await enabled_scope(s, plugin)

    async def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if (not final and self._last_progress is not None
                and now - self._last_progress < _PROGRESS_MIN_INTERVAL):
            return
        self._last_progress = now
        async with scoped_session(self.sessionmaker, ALL_SCOPE) as s, s.begin():
            await s.execute(
                update(JobRun).where(JobRun.job_id == self.job_id).values(
                    progress_done=done, progress_total=total, message=message[:500],
                    updated_at=clock.now()))


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(JobRun)


def check_json(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` as a plain JSON object, or ``TypeError``: both backends must see the same."""
    try:
        return dict(json.loads(json.dumps(dict(kwargs))))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"job arguments must be JSON values: {exc}") from exc


async def record_queued(sessionmaker: async_sessionmaker[AsyncSession], job_id: str,
                        name: str, kwargs: Mapping[str, Any]) -> str | None:
    """Record that ``job_id`` is queued. Returns the status it had before (None: new row).

    A ``failed`` run goes back to ``queued`` (a retry); ``queued``, ``running`` and ``done``
    rows are left alone.
    """
    async with scoped_session(sessionmaker, ALL_SCOPE) as s, s.begin():
        # Write first: on SQLite a transaction that reads and then writes can lose its
        # snapshot to a concurrent writer (SQLITE_BUSY_SNAPSHOT).
        inserted = await s.execute(
            _insert(s).values(job_id=job_id, name=name, status="queued", kwargs=dict(kwargs),
                              enqueued_at=clock.now(), updated_at=clock.now())
            .on_conflict_do_nothing())
        if inserted.rowcount == 1:  # type: ignore[attr-defined]
            return None
        retried = await s.execute(
            update(JobRun).where(JobRun.job_id == job_id, JobRun.status == "failed")
            .values(status="queued", kwargs=dict(kwargs), enqueued_at=clock.now(),
                    updated_at=clock.now()))
        if retried.rowcount == 1:  # type: ignore[attr-defined]
            return "failed"
        return (await s.execute(select(JobRun.status).where(JobRun.job_id == job_id))
                ).scalar_one_or_none()


async def undo_queued(sessionmaker: async_sessionmaker[AsyncSession], job_id: str,
                      previous: str | None, error: str) -> None:
    """The backend refused the job after ``record_queued``: put the row back as it was."""
    async with scoped_session(sessionmaker, ALL_SCOPE) as s, s.begin():
        row = await s.get(JobRun, job_id, with_for_update=True)
        if row is None or row.status != "queued":
            return
        if previous is None:
            await s.delete(row)
        elif previous == "failed":
            row.status = "failed"
            row.error = f"retry not enqueued: {error}"[:_ERROR_LIMIT]


async def read_status(sessionmaker: async_sessionmaker[AsyncSession],
                      job_id: str) -> JobStatus | None:
    async with scoped_session(sessionmaker, ALL_SCOPE) as s:
        row = await s.get(JobRun, job_id)
        if row is None:
            return None
        return JobStatus(
            job_id=row.job_id, name=row.name, status=row.status, done=row.progress_done,
            total=row.progress_total, message=row.message, attempts=row.attempts,
            error=row.error, result=row.result, enqueued_at=_aware(row.enqueued_at) or clock.now(),
            started_at=_aware(row.started_at), finished_at=_aware(row.finished_at))


@dataclass(frozen=True)
class RunOutcome:
    """What ``run_job`` did: ran it (``ran``) or found it done; its result."""

    ran: bool
    result: Any


async def run_job(spec: JobSpec, *, job_id: str, kwargs: Mapping[str, Any],
                  sessionmaker: async_sessionmaker[AsyncSession], settings: Settings,
                  queue: JobQueue) -> RunOutcome:
    """Run ``spec.fn`` as ``job_id`` unless that id is already ``done``; record everything.

    The job's exception is recorded (status ``failed``, the traceback in ``error``) and
    re-raised, so a backend can log or retry it. A ``running`` row is run again: it is a
    run whose process died (the backends never run one id twice at the same time).
    """
    started = clock.now()
    async with scoped_session(sessionmaker, ALL_SCOPE) as s, s.begin():
        await s.execute(
            _insert(s).values(job_id=job_id, name=spec.name, status="queued",
                              kwargs=dict(kwargs), enqueued_at=started, updated_at=started)
            .on_conflict_do_nothing())
        claimed = await s.execute(
            update(JobRun).where(JobRun.job_id == job_id, JobRun.status != "done")
            .values(status="running", attempts=JobRun.attempts + 1, started_at=started,
                    finished_at=None, error=None, progress_done=0, progress_total=None,
                    message="", updated_at=started)
            .returning(JobRun.attempts))
        attempt = claimed.scalar_one_or_none()
        if attempt is None:
            stored = (await s.execute(select(JobRun.result).where(JobRun.job_id == job_id))
                      ).scalar_one_or_none()
            log.info("job %s (%s) is already done; not run again", job_id, spec.name)
            return RunOutcome(ran=False, result=stored)

    ctx = JobContext(sessionmaker=sessionmaker, settings=settings, job_id=job_id,
                     job_name=spec.name, queue=queue, attempt=attempt)
    try:
        result = await spec.fn(ctx, **kwargs)
    except BaseException as exc:
        error = "".join(traceback.format_exception(exc))[-_ERROR_LIMIT:]
        async with scoped_session(sessionmaker, ALL_SCOPE) as s, s.begin():
            await s.execute(
                update(JobRun).where(JobRun.job_id == job_id).values(
                    status="failed", error=error, finished_at=clock.now(),
                    updated_at=clock.now()))
        raise
    stored = json.loads(json.dumps(result, default=str))
    async with scoped_session(sessionmaker, ALL_SCOPE) as s, s.begin():
        await s.execute(
            update(JobRun).where(JobRun.job_id == job_id).values(
                status="done", result=stored, finished_at=clock.now(), updated_at=clock.now()))
    return RunOutcome(ran=True, result=result)
