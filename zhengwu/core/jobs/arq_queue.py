"""The arq adapter: ``ArqQueue`` enqueues on Redis; ``worker_settings``/``run_worker`` run them.

This is the only module that imports arq (in maintenance mode since 2025-10: keep it behind
``JobQueue`` so it can be replaced). Jobs are serialised as JSON, not pickle, so whoever can
write to Redis cannot make a worker execute code. A job id is arq's ``_job_id``: while a job
is queued or running on Redis, enqueueing the same id adds nothing; results are not kept in
Redis (``keep_result=0``) because ``job_runs`` is the record, which also lets a failed id be
enqueued again. Cron strings become ``arq.cron`` jobs read in Asia/Shanghai, named
``<job>@cron`` so they never shadow the plain function of the same job.

It must never hold job logic (that is ``run_job`` in ``zhengwu.core.jobs.base``) and never
import litestar or strawberry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.cron import cron
from arq.typing import WorkerCoroutine
from arq.worker import Worker, func
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from zhengwu.core.clock import SHANGHAI
from zhengwu.core.config import Settings
from zhengwu.core.db import make_engine, make_sessionmaker
from zhengwu.core.jobs.base import (
    JobRegistry,
    JobStatus,
    QueueUnavailable,
    check_json,
    new_job_id,
    read_status,
    record_queued,
    run_job,
    undo_queued,
)
from zhengwu.core.plugin_api import JobSpec

__all__ = ["DEFAULT_QUEUE_NAME", "ArqQueue", "redis_settings", "run_worker", "worker_settings"]

log = logging.getLogger("zhengwu.jobs.arq")

DEFAULT_QUEUE_NAME = "zhengwu:jobs"
JOB_TIMEOUT_SECONDS = 3600
"""arq's default (300 s) is too short for imports and sweeps over a province."""

_REDIS_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=str, ensure_ascii=False).encode()


def _loads(data: bytes) -> Any:
    return json.loads(data)


def redis_settings(url: str, *, conn_retries: int = 0) -> RedisSettings:
    """arq connection settings for ``url``; by default fail at once instead of retrying."""
    settings = RedisSettings.from_dsn(url)
    settings.conn_retries = conn_retries
    return settings


async def _connect(url: str, queue_name: str, *, conn_retries: int = 0) -> ArqRedis:
    return await create_pool(redis_settings(url, conn_retries=conn_retries),
                             job_serializer=_dumps, job_deserializer=_loads,
                             default_queue_name=queue_name)


class ArqQueue:
    """``JobQueue`` on Redis through arq. A worker (``zhengwu worker``) runs the jobs.

    ``start()`` connects but does not fail when Redis is down (the server must still start;
    the outbox keeps what cannot be enqueued); ``enqueue`` then raises ``QueueUnavailable``.
    """

    def __init__(
        self,
        settings: Settings,
        registry: JobRegistry,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        queue_name: str = DEFAULT_QUEUE_NAME,
        redis_url: str | None = None,
        pool: ArqRedis | None = None,
    ) -> None:
        url = redis_url or settings.redis_url
        if pool is None and not url:
            raise ValueError("ArqQueue needs a Redis URL (ZHENGWU_REDIS_URL) or a pool")
        self.settings = settings
        self.registry = registry
        self.sessionmaker = sessionmaker
        self.queue_name = queue_name
        self._url = url
        self._pool = pool
        self._owns_pool = pool is None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        try:
            await self._connection()
        except _REDIS_ERRORS as exc:
            log.warning("Redis is unreachable (%s); jobs will be enqueued once it is back", exc)

    async def close(self) -> None:
        if self._pool is not None and self._owns_pool:
            await self._pool.aclose(close_connection_pool=True)
        if self._owns_pool:
            self._pool = None

    async def _connection(self) -> ArqRedis:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    assert self._url is not None
                    self._pool = await _connect(self._url, self.queue_name)
        return self._pool

    async def enqueue(self, name: str, *, job_id: str | None = None, **kwargs: Any) -> str:
        self.registry[name]  # raises UnknownJob
        payload = check_json(kwargs)
        job_id = job_id or new_job_id()
        previous = await record_queued(self.sessionmaker, job_id, name, payload)
        if previous == "done":
            return job_id  # the worker would find it done and do nothing
        try:
            pool = await self._connection()
            await pool.enqueue_job(name, _job_id=job_id, _queue_name=self.queue_name, **payload)
        except _REDIS_ERRORS as exc:
            if previous in (None, "failed"):
                await undo_queued(self.sessionmaker, job_id, previous, repr(exc))
            raise QueueUnavailable(f"Redis refused job {name} ({job_id}): {exc}") from exc
        return job_id

    async def job_status(self, job_id: str) -> JobStatus | None:
        return await read_status(self.sessionmaker, job_id)


# ------------------------------------------------------------------------- worker ---

@dataclass
class _Runtime:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    queue: ArqQueue
    engine: AsyncEngine | None  # ours to dispose, when the worker made it


def _arq_function(spec: JobSpec) -> WorkerCoroutine:
    async def run(ctx: dict[str, Any], **kwargs: Any) -> None:
        runtime: _Runtime = ctx["zhengwu"]
        # The result stays in job_runs; arq keeps none (keep_result=0).
        await run_job(spec, job_id=ctx["job_id"], kwargs=kwargs,
                      sessionmaker=runtime.sessionmaker, settings=runtime.settings,
                      queue=runtime.queue)

    run.__qualname__ = run.__name__ = spec.name.replace(".", "_")
    return run


def worker_settings(
    settings: Settings,
    registry: JobRegistry,
    *,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    queue_name: str = DEFAULT_QUEUE_NAME,
    with_cron: bool = True,
    max_jobs: int = 10,
) -> dict[str, Any]:
    """Keyword arguments of ``arq.worker.Worker`` for every job in ``registry``.

    Without ``sessionmaker`` the worker opens its own engine at start-up and disposes of it
    at shutdown. ``with_cron=False`` leaves the schedules out (burst mode never exits while
    a cron job is defined).
    """
    if not settings.redis_url:
        raise ValueError("no Redis configured (ZHENGWU_REDIS_URL): jobs run in the server")

    async def on_startup(ctx: dict[str, Any]) -> None:
        engine = None
        sm = sessionmaker
        if sm is None:
            engine = make_engine(settings)
            sm = make_sessionmaker(engine)
        queue = ArqQueue(settings, registry, sm, queue_name=queue_name, pool=ctx["redis"])
        ctx["zhengwu"] = _Runtime(settings=settings, sessionmaker=sm, queue=queue, engine=engine)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        runtime: _Runtime | None = ctx.pop("zhengwu", None)
        if runtime is not None and runtime.engine is not None:
            await runtime.engine.dispose()

    functions = [func(_arq_function(spec), name=spec.name) for spec in registry.values()]
    cron_jobs = [
        cron(_arq_function(registry[name]), name=f"{name}@cron", **schedule.arq_options())
        for name, schedule in registry.schedules.items()
    ] if with_cron else []
    return {
        "functions": functions,
        "cron_jobs": cron_jobs,
        "queue_name": queue_name,
        "redis_settings": redis_settings(settings.redis_url, conn_retries=5),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "keep_result": 0,
        "max_jobs": max_jobs,
        "job_timeout": JOB_TIMEOUT_SECONDS,
        "timezone": SHANGHAI,
        "job_serializer": _dumps,
        "job_deserializer": _loads,
    }


async def run_worker(
    settings: Settings,
    registry: JobRegistry,
    *,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    queue_name: str = DEFAULT_QUEUE_NAME,
    burst: bool = False,
    max_jobs: int = 10,
    handle_signals: bool = False,
    poll_delay: float = 0.5,
    conn_retries: int = 5,
) -> Worker:
    """Run an arq worker on the current loop until it stops (burst: queue empty; signal;
    or cancellation), then close it cleanly. Burst mode runs without the schedules."""
    kwargs = worker_settings(settings, registry, sessionmaker=sessionmaker,
                             queue_name=queue_name, with_cron=not burst, max_jobs=max_jobs)
    assert settings.redis_url is not None
    pool = await _connect(settings.redis_url, queue_name, conn_retries=conn_retries)
    worker = Worker(**kwargs, redis_pool=pool, burst=burst, handle_signals=handle_signals,
                    job_completion_wait=30 if handle_signals else 0, poll_delay=poll_delay)
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        if not handle_signals:
            raise
    finally:
        await asyncio.shield(_shutdown(worker, pool))
    return worker


async def _shutdown(worker: Worker, pool: ArqRedis) -> None:
    # Worker.close() calls redis' deprecated close(); do its work with aclose().
    tasks = list(worker.tasks.values())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    try:
        if worker.on_shutdown is not None:
            await worker.on_shutdown(worker.ctx)
        with contextlib.suppress(*_REDIS_ERRORS):
            await pool.delete(worker.health_check_key)
    finally:
        await pool.aclose(close_connection_pool=True)
