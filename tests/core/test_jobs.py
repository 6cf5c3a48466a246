"""Jobs: the same behaviour in-process and on arq — progress, idempotency, failure and retry,
bounded concurrency, graceful shutdown, and cron schedules (driven without waiting).

Tests that need Redis are marked ``redis``: they skip when Redis is unreachable, except
under ``CI=true`` where they fail. ``ZHENGWU_TEST_REDIS_URL`` overrides the URL. Every arq
test uses its own queue name, so parallel test processes never take each other's jobs, and
runs the worker in-process (burst mode, no schedules).
"""

from __future__ import annotations

import asyncio
import doctest
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import typer
from click.testing import Result
from redis import Redis
from redis.exceptions import RedisError
from typer.testing import CliRunner

from tests.conftest import CI
from zhengwu.cli.worker import worker
from zhengwu.core.config import Settings
from zhengwu.core.jobs import (
    CORE_JOBS,
    CronError,
    CronSchedule,
    DuplicateJob,
    EmbeddedQueue,
    JobContext,
    JobQueue,
    JobRegistry,
    QueueUnavailable,
    UnknownJob,
    cron,
    make_queue,
    make_registry,
)
from zhengwu.core.jobs.arq_queue import ArqQueue, run_worker, worker_settings
from zhengwu.core.jobs.base import record_queued, run_job
from zhengwu.core.plugin_api import JobSpec

REDIS_URL = os.environ.get("ZHENGWU_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
DEAD_REDIS_URL = "redis://127.0.0.1:6390/0"  # nothing listens there
GUARD = 30  # seconds: only a guard against a hung test, never an assertion


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis: skip locally when there is none; under CI that is a failure."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (RedisError, OSError) as exc:
        message = f"Redis unreachable at {REDIS_URL}: {exc}"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    finally:
        client.close()
    return REDIS_URL


# --------------------------------------------------------------------- test jobs ---

@dataclass
class Probe:
    """What the test jobs did, seen from the test."""

    calls: Counter[str] = field(default_factory=Counter)
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    proceed: asyncio.Event = field(default_factory=asyncio.Event)
    started: Counter[str] = field(default_factory=Counter)


def _specs(probe: Probe) -> list[JobSpec]:
    async def count(ctx: JobContext, n: int = 1) -> dict[str, int]:
        probe.calls[ctx.job_id] += 1
        return {"n": n}

    async def long(ctx: JobContext, total: int = 4) -> str:
        probe.calls[ctx.job_id] += 1
        await ctx.progress(1, total, "第一步 first step")
        probe.reached.set()
        await probe.proceed.wait()
        await ctx.progress(total, total, "完成 done")
        return "ok"

    async def flaky(ctx: JobContext) -> str:
        probe.calls[ctx.job_id] += 1
        if ctx.attempt == 1:
            raise RuntimeError("第一次失败 boom")
        return "recovered"

    async def every_minute(ctx: JobContext) -> None:
        probe.calls[ctx.job_id] += 1
        probe.reached.set()

    async def nightly(ctx: JobContext) -> None:
        probe.calls[ctx.job_id] += 1

    return [
        JobSpec("test.count", count),
        JobSpec("test.long", long),
        JobSpec("test.flaky", flaky),
        JobSpec("test.every_minute", every_minute, cron="* * * * *"),
        JobSpec("test.nightly", nightly, cron="0 3 * * *"),
    ]


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def registry(probe: Probe) -> JobRegistry:
    return JobRegistry(_specs(probe))


# ----------------------------------------------------------------------- harness ---

@dataclass
class Harness:
    """One backend: ``queue`` takes jobs; ``run_all()`` runs everything queued to the end."""

    kind: str
    queue: JobQueue
    run_all: Callable[[], Awaitable[Any]]


@pytest.fixture(params=["embedded", pytest.param("arq", marks=pytest.mark.redis)])
async def harness(request: pytest.FixtureRequest, settings: Settings, registry: JobRegistry,
                  sessionmaker: Any) -> AsyncIterator[Harness]:
    if request.param == "embedded":
        queue = EmbeddedQueue(settings, registry, sessionmaker, run_schedules=False)
        await queue.start()
        yield Harness("embedded", queue, queue.join)
        await queue.close()
        return
    url = request.getfixturevalue("redis_url")
    arq_settings = settings.model_copy(update={"redis_url": url})
    queue_name = f"zhengwu-test:{os.getpid()}:{uuid.uuid4().hex}"
    arq_queue = ArqQueue(arq_settings, registry, sessionmaker, queue_name=queue_name)
    await arq_queue.start()

    async def burst() -> None:
        await run_worker(arq_settings, registry, sessionmaker=sessionmaker,
                         queue_name=queue_name, burst=True, poll_delay=0.01, conn_retries=0)

    yield Harness("arq", arq_queue, burst)
    await arq_queue.close()


async def _guarded(awaitable: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(awaitable, GUARD)


# ---------------------------------------------------------------- both backends ---

async def test_a_job_runs_and_reports_progress(harness: Harness, probe: Probe) -> None:
    job_id = await harness.queue.enqueue("test.long", total=4)
    status = await harness.queue.job_status(job_id)
    assert status is not None and status.status == "queued" and status.name == "test.long"

    worker = asyncio.create_task(harness.run_all())
    await _guarded(probe.reached.wait())
    status = await harness.queue.job_status(job_id)
    assert status is not None
    assert (status.status, status.done, status.total, status.message) == (
        "running", 1, 4, "第一步 first step")
    assert status.started_at is not None and status.finished_at is None

    probe.proceed.set()
    await _guarded(worker)
    status = await harness.queue.job_status(job_id)
    assert status is not None and status.finished
    assert (status.status, status.done, status.total, status.result) == ("done", 4, 4, "ok")
    assert status.attempts == 1 and status.error is None
    assert status.finished_at is not None and status.finished_at >= status.started_at
    assert probe.calls[job_id] == 1


async def test_the_same_job_id_runs_once(harness: Harness, probe: Probe) -> None:
    first = await harness.queue.enqueue("test.count", job_id="report-2026-03", n=7)
    second = await harness.queue.enqueue("test.count", job_id="report-2026-03", n=7)
    assert first == second == "report-2026-03"
    await _guarded(harness.run_all())
    assert probe.calls["report-2026-03"] == 1

    # Done is done: enqueueing it again later runs nothing and keeps the stored result.
    await harness.queue.enqueue("test.count", job_id="report-2026-03", n=7)
    await _guarded(harness.run_all())
    assert probe.calls["report-2026-03"] == 1
    status = await harness.queue.job_status("report-2026-03")
    assert status is not None
    assert (status.status, status.attempts, status.result) == ("done", 1, {"n": 7})


async def test_a_failed_job_is_recorded_and_can_be_retried(harness: Harness,
                                                           probe: Probe) -> None:
    job_id = await harness.queue.enqueue("test.flaky")
    await _guarded(harness.run_all())
    status = await harness.queue.job_status(job_id)
    assert status is not None
    assert status.status == "failed" and status.attempts == 1
    assert status.error is not None and "RuntimeError: 第一次失败 boom" in status.error
    assert status.finished_at is not None

    assert await harness.queue.enqueue("test.flaky", job_id=job_id) == job_id
    status = await harness.queue.job_status(job_id)
    assert status is not None and status.status == "queued"
    await _guarded(harness.run_all())
    status = await harness.queue.job_status(job_id)
    assert status is not None
    assert (status.status, status.attempts, status.result, status.error) == (
        "done", 2, "recovered", None)
    assert probe.calls[job_id] == 2


async def test_unknown_jobs_and_non_json_arguments_are_refused(harness: Harness) -> None:
    with pytest.raises(UnknownJob):
        await harness.queue.enqueue("test.nobody")
    with pytest.raises(TypeError, match="JSON"):
        await harness.queue.enqueue("test.count", n=object())
    assert await harness.queue.job_status("never-enqueued") is None


async def test_running_a_done_job_id_returns_the_stored_result(harness: Harness,
                                                               probe: Probe, settings: Settings,
                                                               sessionmaker: Any) -> None:
    spec = harness.queue.registry["test.count"]
    first = await run_job(spec, job_id="direct-1", kwargs={"n": 3}, sessionmaker=sessionmaker,
                          settings=settings, queue=harness.queue)
    again = await run_job(spec, job_id="direct-1", kwargs={"n": 99}, sessionmaker=sessionmaker,
                          settings=settings, queue=harness.queue)
    assert first.ran and first.result == {"n": 3}
    assert not again.ran and again.result == {"n": 3}
    assert probe.calls["direct-1"] == 1


# --------------------------------------------------------------------- embedded ---

@pytest.fixture
async def embedded(settings: Settings, registry: JobRegistry,
                   sessionmaker: Any) -> AsyncIterator[EmbeddedQueue]:
    queue = EmbeddedQueue(settings, registry, sessionmaker, run_schedules=False, concurrency=2)
    await queue.start()
    yield queue
    await queue.close()


async def test_embedded_runs_at_most_concurrency_jobs(settings: Settings, sessionmaker: Any,
                                                      embedded: EmbeddedQueue) -> None:
    started: list[str] = []
    both_in = asyncio.Event()
    gate = asyncio.Event()

    async def hold(ctx: JobContext) -> None:
        started.append(ctx.job_id)
        if len(started) == 2:
            both_in.set()
        await gate.wait()

    embedded.registry.register(JobSpec("test.hold", hold))
    ids = [await embedded.enqueue("test.hold") for _ in range(5)]
    await _guarded(both_in.wait())
    assert embedded.running == 2 and embedded.in_flight == 5 and len(started) == 2
    gate.set()
    await _guarded(embedded.join())
    assert sorted(started) == sorted(ids)
    for job_id in ids:
        status = await embedded.job_status(job_id)
        assert status is not None and status.status == "done"


async def test_embedded_close_waits_for_running_jobs(embedded: EmbeddedQueue,
                                                     probe: Probe) -> None:
    job_id = await embedded.enqueue("test.long")
    await _guarded(probe.reached.wait())
    closing = asyncio.create_task(embedded.close())
    await asyncio.sleep(0)
    with pytest.raises(QueueUnavailable):
        await embedded.enqueue("test.count")
    assert not closing.done()  # the job is still waiting for `proceed`
    probe.proceed.set()
    await _guarded(closing)
    status = await embedded.job_status(job_id)
    assert status is not None and status.status == "done"


async def test_embedded_close_cancels_after_its_timeout(settings: Settings, registry: JobRegistry,
                                                        sessionmaker: Any, probe: Probe) -> None:
    queue = EmbeddedQueue(settings, registry, sessionmaker, run_schedules=False,
                          shutdown_timeout=0.01)
    await queue.start()
    job_id = await queue.enqueue("test.long")
    await _guarded(probe.reached.wait())
    await _guarded(queue.close())  # `proceed` is never set
    status = await queue.job_status(job_id)
    assert status is not None and status.status == "failed"
    assert status.error is not None and "CancelledError" in status.error


async def test_embedded_start_resumes_jobs_a_dead_process_left(settings: Settings,
                                                               registry: JobRegistry,
                                                               sessionmaker: Any,
                                                               probe: Probe) -> None:
    # A previous process recorded the job and died before running it.
    await record_queued(sessionmaker, "left-behind", "test.count", {"n": 5})
    queue = EmbeddedQueue(settings, registry, sessionmaker, run_schedules=False)
    await queue.start()
    await _guarded(queue.join())
    await queue.close()
    status = await queue.job_status("left-behind")
    assert status is not None and (status.status, status.result) == ("done", {"n": 5})
    assert probe.calls["left-behind"] == 1


async def test_embedded_tick_fires_the_due_schedules_once(embedded: EmbeddedQueue,
                                                          probe: Probe) -> None:
    ten_past_ten_shanghai = datetime(2026, 3, 2, 2, 10, 42, tzinfo=UTC)
    fired = await embedded.tick(ten_past_ten_shanghai)
    assert fired == ["test.every_minute@20260302T0210Z"]
    assert await embedded.tick(ten_past_ten_shanghai) == fired  # same minute, same job id
    await _guarded(embedded.join())
    assert probe.calls["test.every_minute@20260302T0210Z"] == 1

    three_am_shanghai = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    assert sorted(await embedded.tick(three_am_shanghai)) == [
        "test.every_minute@20260302T1900Z", "test.nightly@20260302T1900Z"]
    await _guarded(embedded.join())
    assert probe.calls["test.nightly@20260302T1900Z"] == 1


async def test_embedded_scheduler_fires_on_the_running_loop(settings: Settings,
                                                            registry: JobRegistry,
                                                            sessionmaker: Any,
                                                            probe: Probe) -> None:
    # An injected clock and sleep: the scheduler "sleeps" by moving the clock, never waits.
    now = [datetime(2026, 3, 2, 2, 0, 30, tzinfo=UTC)]
    slept: list[float] = []
    parked = asyncio.Event()

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) > 1:
            await parked.wait()  # stay asleep after the first firing (cancelled by close())
        now[0] += timedelta(seconds=seconds)

    queue = EmbeddedQueue(settings, registry, sessionmaker, now=lambda: now[0],
                          sleep=fake_sleep)
    await queue.start()
    await _guarded(probe.reached.wait())
    await _guarded(queue.join())
    await queue.close()
    assert slept[0] == 30.0  # from 10:00:30 to 10:01:00 (Asia/Shanghai)
    assert probe.calls == Counter({"test.every_minute@20260302T0201Z": 1})
    status = await queue.job_status("test.every_minute@20260302T0201Z")
    assert status is not None and status.status == "done"


# -------------------------------------------------------------------------- arq ---

async def test_arq_queue_survives_a_redis_outage_at_start(settings: Settings,
                                                          registry: JobRegistry,
                                                          sessionmaker: Any) -> None:
    queue = ArqQueue(settings, registry, sessionmaker, redis_url=DEAD_REDIS_URL)
    await queue.start()  # logs, does not raise: the server must come up without Redis
    with pytest.raises(QueueUnavailable):
        await queue.enqueue("test.count", job_id="lost-1")
    assert await queue.job_status("lost-1") is None  # no stale "queued" record
    await queue.close()


def _plain_settings() -> Settings:
    return Settings(database_url="sqlite+aiosqlite://", _env_file=None)  # type: ignore[call-arg]


def test_worker_settings_come_from_the_registry() -> None:
    settings = _plain_settings()
    arq_settings = settings.model_copy(update={"redis_url": REDIS_URL})
    registry = make_registry(_specs(Probe()))
    kwargs = worker_settings(arq_settings, registry, queue_name="q")
    assert [f.name for f in kwargs["functions"]] == list(registry)
    crons = {c.name: c for c in kwargs["cron_jobs"]}
    assert set(crons) == {"outbox.drain@cron", "jobs.prune@cron", "test.every_minute@cron",
                          "test.nightly@cron"}
    nightly = crons["test.nightly@cron"]
    assert (nightly.hour, nightly.minute, nightly.second) == ({3}, {0}, 0)
    assert kwargs["queue_name"] == "q" and kwargs["keep_result"] == 0
    assert str(kwargs["timezone"]) == "Asia/Shanghai"
    assert worker_settings(arq_settings, registry, with_cron=False)["cron_jobs"] == []
    with pytest.raises(ValueError, match="no Redis"):
        worker_settings(settings, registry)


async def _invoke_worker(monkeypatch: pytest.MonkeyPatch, settings: Settings,
                         *args: str) -> Result:
    import zhengwu.cli._runtime as runtime

    app = typer.Typer()
    app.command()(worker)
    monkeypatch.setattr(runtime, "get_settings", lambda: settings)
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


@pytest.mark.redis
@pytest.mark.usefixtures("redis_url")
async def test_the_worker_command_runs_what_is_queued(settings: Settings, sessionmaker: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    live = settings.model_copy(update={"redis_url": REDIS_URL})
    queue_name = f"zhengwu-test:{os.getpid()}:{uuid.uuid4().hex}"
    queue = ArqQueue(live, make_registry(), sessionmaker, queue_name=queue_name)
    job_id = await queue.enqueue("jobs.prune", days=30)
    await queue.close()
    result = await _guarded(
        _invoke_worker(monkeypatch, live, "--burst", "--queue", queue_name))
    assert result.exit_code == 0, result.output
    assert "(burst)" in result.output
    status = await queue.job_status(job_id)
    assert status is not None and (status.status, status.result) == ("done", {"deleted": 0})


async def test_the_worker_command_needs_redis(settings: Settings,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    result = await _invoke_worker(monkeypatch, settings, "--burst")
    assert result.exit_code == 1
    assert "no Redis configured" in result.output


# ---------------------------------------------------------------- registry, etc. ---

def test_registry_refuses_duplicate_names() -> None:
    async def fn(ctx: JobContext) -> None: ...

    registry = JobRegistry([JobSpec("a.job", fn)])
    registry.register(registry["a.job"])  # the very same spec twice is harmless
    with pytest.raises(DuplicateJob, match=r"a\.job"):
        registry.register(JobSpec("a.job", fn, plugin="other"))
    with pytest.raises(UnknownJob):
        registry["b.job"]
    with pytest.raises(CronError):
        registry.register(JobSpec("c.job", fn, cron="61 * * * *"))
    assert list(make_registry([])) == [spec.name for spec in CORE_JOBS]


def test_make_queue_picks_the_backend_from_the_settings() -> None:
    settings = _plain_settings()
    embedded = make_queue(settings, [], sessionmaker=None)  # type: ignore[arg-type]
    assert isinstance(embedded, EmbeddedQueue) and "outbox.drain" in embedded.registry
    remote = make_queue(settings.model_copy(update={"redis_url": REDIS_URL}), [],
                        sessionmaker=None, queue_name="x")  # type: ignore[arg-type]
    assert isinstance(remote, ArqQueue) and remote.queue_name == "x"
    assert isinstance(remote, JobQueue) and isinstance(embedded, JobQueue)


@pytest.mark.parametrize(("expr", "after", "expected"), [
    ("* * * * *", "2026-03-02T02:00:30+00:00", "2026-03-02T02:01:00+00:00"),
    ("*/15 * * * *", "2026-03-02T02:00:00+00:00", "2026-03-02T02:15:00+00:00"),
    ("0 3 * * *", "2026-03-02T19:00:00+00:00", "2026-03-03T19:00:00+00:00"),
    ("0 9 1 * *", "2026-01-31T12:00:00+00:00", "2026-02-01T01:00:00+00:00"),
    ("0 0 29 2 *", "2026-03-01T00:00:00+00:00", "2028-02-28T16:00:00+00:00"),
    ("30 8 * * sat,sun", "2026-03-02T00:00:00+00:00", "2026-03-07T00:30:00+00:00"),
    ("0 12 * jun-aug 1-5", "2026-03-02T00:00:00+00:00", "2026-06-01T04:00:00+00:00"),
])
def test_cron_next_after(expr: str, after: str, expected: str) -> None:
    schedule = CronSchedule.parse(expr)
    at = schedule.next_after(datetime.fromisoformat(after))
    assert at.isoformat() == expected
    assert schedule.matches(at)
    assert schedule.next_after(at - timedelta(seconds=1)) == at  # nothing fires in between
    assert schedule.next_after(at) > at


def test_cron_refuses_what_it_cannot_mean() -> None:
    for bad in ["* * * *", "60 * * * *", "* 24 * * *", "0 0 31 2 *", "0 0 1 * mon",
                "*/0 * * * *", "x * * * *", "5-1 * * * *"]:
        with pytest.raises(CronError):
            CronSchedule.parse(bad)


def test_cron_weekdays_map_to_arq() -> None:
    # cron: 0 and 7 are Sunday; arq (like datetime.weekday): 0 is Monday, 6 is Sunday.
    options = CronSchedule.parse("0 8 * * 0,1,7").arq_options()
    assert options["weekday"] == {6, 0}
    assert options["day"] is None and options["month"] is None


def test_cron_docstring_examples() -> None:
    assert doctest.testmod(cron).failed == 0


async def test_job_context_enabled_scope_skips_tenants_that_did_not_enable(system_session, sessionmaker, settings):
    """A set-based job filters its rows to the tenants where its plugin is on."""
    from sqlalchemy import select

    from tests.plugins.fakes import make_plugin
    from tests.world import build_world
    from zhengwu.core.jobs.base import JobContext
    from zhengwu.core.security.principal import Principal
    from zhengwu.platform import boot
    from zhengwu.tenants import enablement
    from zhengwu.tenants.models import Tenant

    boot([make_plugin("alpha")], entry_points=False)
    try:
        await build_world(system_session)
        await enablement.enable_plugin(system_session, Principal.system(), "341881204", "alpha")
        await system_session.commit()
        ctx = JobContext(sessionmaker=sessionmaker, settings=settings, job_id="j1",
                         job_name="sweep", queue=None)  # type: ignore[arg-type]
        scope = await ctx.enabled_scope("alpha")
        codes = set((await system_session.scalars(
            select(Tenant.code).where(scope.clause(Tenant.path)))).all())
        assert codes == {"341881204", "341881204200", "341881204201"}
    finally:
        boot([], entry_points=False)
