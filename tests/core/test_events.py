"""Events inside the announcing transaction, and the outbox that outlives a Redis outage.

Listeners are real pluggy plugins of the ``zhengwu_event`` hook. The outbox is drained the
way production drains it: through a ``JobQueue`` (arq on a dead port to simulate the outage,
then the embedded queue, or arq on a live Redis for the ``redis``-marked variant).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pluggy
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.core.test_jobs import DEAD_REDIS_URL, GUARD, REDIS_URL, redis_url  # noqa: F401
from tests.world import PATHS
from zhengwu.core import clock, hooks
from zhengwu.core.config import Settings
from zhengwu.core.db import scoped_session
from zhengwu.core.events import announce, defer, make_event
from zhengwu.core.hooks import hookimpl
from zhengwu.core.jobs import (
    EmbeddedQueue,
    JobContext,
    JobRegistry,
    JobStatus,
    drain_outbox,
    make_registry,
)
from zhengwu.core.jobs.arq_queue import ArqQueue, run_worker
from zhengwu.core.jobs.builtin import OUTBOX_LEASE, backoff
from zhengwu.core.jobs.models import JobRun, OutboxMessage
from zhengwu.core.plugin_api import Event, JobSpec

COUNTY = PATHS["county"]
COUNTY_ID = uuid.UUID("00000000-0000-7000-8000-000000341881")
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


# ----------------------------------------------------------------------- plugins ---

class Notifier:
    """A plugin: on ``case_accepted`` it defers a notification (a listener's write)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def zhengwu_event(self, event: Event, session: AsyncSession) -> Any:
        self.seen.append(event.name)
        if event.name != "case_accepted":
            return None
        return defer(session, "test.record", tenant_id=event.tenant_id,
                     tenant_path=event.tenant_path, case=event.payload["case"])


class Bystander:
    """A plugin that listens synchronously and writes nothing."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def zhengwu_event(self, event: Event, session: AsyncSession) -> None:
        self.seen.append(event.name)


class Grumpy:
    """A plugin whose listener fails: the announcing transaction must fail with it."""

    @hookimpl
    def zhengwu_event(self, event: Event, session: AsyncSession) -> Any:
        async def refuse() -> None:
            raise ValueError("不接受 refused")

        return refuse()


def _plugins(*plugins: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hooks.PROJECT)
    pm.add_hookspecs(hooks)
    for plugin in plugins:
        pm.register(plugin)
    return pm


def _accepted(case: str = "C-1", path: str = COUNTY) -> Event:
    return make_event("case_accepted", COUNTY_ID, path, {"case": case}, actor="窗口 clerk")


async def _outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with scoped_session(sessionmaker, "*") as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


# ------------------------------------------------------------------------ events ---

def test_make_event_stamps_id_and_time() -> None:
    with clock.freeze(T0):
        event = _accepted()
    assert event.occurred_at == T0 and event.id.version == 7
    assert (event.name, event.tenant_id, event.tenant_path, event.actor) == (
        "case_accepted", COUNTY_ID, COUNTY, "窗口 clerk")
    assert dict(event.payload) == {"case": "C-1"}
    assert _accepted().id != event.id


async def test_listener_writes_commit_with_the_fact(system_session: AsyncSession,
                                                    sessionmaker: Any) -> None:
    notifier, bystander = Notifier(), Bystander()
    pm = _plugins(notifier, bystander)
    await defer(system_session, "test.record", tenant_id=COUNTY_ID, tenant_path=COUNTY,
                case="the fact itself")
    await announce(system_session, pm, _accepted("C-1"))
    await announce(system_session, pm.hook, make_event("case_closed", COUNTY_ID, COUNTY, {}))
    await system_session.commit()
    assert notifier.seen == bystander.seen == ["case_accepted", "case_closed"]
    rows = await _outbox(sessionmaker)
    assert [r.kwargs for r in rows] == [{"case": "the fact itself"}, {"case": "C-1"}]
    assert all(r.dispatched_at is None and r.attempts == 0 for r in rows)


async def test_listener_writes_roll_back_with_the_fact(system_session: AsyncSession,
                                                       sessionmaker: Any) -> None:
    pm = _plugins(Notifier())
    await defer(system_session, "test.record", tenant_id=COUNTY_ID, tenant_path=COUNTY,
                case="the fact itself")
    await announce(system_session, pm, _accepted("C-2"))
    await system_session.rollback()
    assert await _outbox(sessionmaker) == []


async def test_a_failing_listener_fails_the_announcement(system_session: AsyncSession,
                                                         sessionmaker: Any) -> None:
    pm = _plugins(Notifier(), Grumpy())
    with pytest.raises(ValueError, match="refused"):
        await announce(system_session, pm, _accepted("C-3"))
    await system_session.rollback()
    assert await _outbox(sessionmaker) == []


# ------------------------------------------------------------------------- defer ---

async def test_defer_coalesces_on_key_while_pending(system_session: AsyncSession,
                                                    sessionmaker: Any) -> None:
    first = await defer(system_session, "test.record", tenant_id=COUNTY_ID, tenant_path=COUNTY,
                        key="stats:341881", case="a")
    again = await defer(system_session, "test.record", tenant_id=COUNTY_ID, tenant_path=COUNTY,
                        key="stats:341881", case="b")
    other = await defer(system_session, "test.record", tenant_id=COUNTY_ID, tenant_path=COUNTY,
                        key="stats:341802", case="c")
    await system_session.commit()
    assert first is not None and again == first and other not in (None, first)
    assert [r.kwargs["case"] for r in await _outbox(sessionmaker)] == ["a", "c"]

    # Once handed over, the same key makes new work.
    queue = RecordingQueue()
    await drain_outbox(sessionmaker, queue)
    later = await defer(system_session, "test.record", tenant_id=COUNTY_ID, tenant_path=COUNTY,
                        key="stats:341881", case="d")
    await system_session.commit()
    assert later not in (None, first)
    assert len(await _outbox(sessionmaker)) == 3


async def test_defer_takes_json_only(system_session: AsyncSession) -> None:
    with pytest.raises(TypeError, match="JSON"):
        await defer(system_session, "test.record", tenant_id=COUNTY_ID, tenant_path=COUNTY,
                    when=datetime.now(UTC))


@pytest.mark.pg_only
async def test_outbox_rows_are_kept_apart_by_rls(sessionmaker: Any) -> None:
    other = PATHS["other_county"]
    async with scoped_session(sessionmaker, COUNTY) as s:
        await defer(s, "test.record", tenant_id=COUNTY_ID, tenant_path=COUNTY, case="mine")
        await defer(s, "test.record", tenant_id=COUNTY_ID, tenant_path=PATHS["township"],
                    case="my township's")
        await s.commit()
        with pytest.raises(Exception, match="row-level security"):
            await defer(s, "test.record", tenant_id=uuid.uuid4(), tenant_path=other,
                        case="not mine")
        await s.rollback()
    async with scoped_session(sessionmaker, other) as s:
        await defer(s, "test.record", tenant_id=uuid.uuid4(), tenant_path=other, case="theirs")
        await s.commit()
        seen = (await s.scalars(select(OutboxMessage.kwargs))).all()
        assert [k["case"] for k in seen] == ["theirs"]
    async with scoped_session(sessionmaker, PATHS["township"]) as s:
        count = (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar()
        assert count == 1
    # The drain runs with the operator scope and sees every tenant's rows.
    queue = RecordingQueue()
    assert (await drain_outbox(sessionmaker, queue)).dispatched == 3


# ------------------------------------------------------------------------- drain ---

class RecordingQueue:
    """A ``JobQueue`` that only records what it was given (or fails, or crashes)."""

    def __init__(self, registry: JobRegistry | None = None, *,
                 error: BaseException | None = None) -> None:
        self.registry = registry or make_registry([JobSpec("test.record", _record)])
        self.error = error
        self.enqueued: Counter[str] = Counter()

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def enqueue(self, name: str, *, job_id: str | None = None, **kwargs: Any) -> str:
        await asyncio.sleep(0)  # let concurrent drains interleave
        if self.error is not None:
            raise self.error
        assert job_id is not None
        self.enqueued[job_id] += 1
        return job_id

    async def job_status(self, job_id: str) -> JobStatus | None:
        return None


runs: Counter[str] = Counter()


async def _record(ctx: JobContext, case: str) -> str:
    runs[ctx.job_id] += 1
    return f"notified about {case}"


class Crash(BaseException):
    """The process dies in the middle of a drain."""


@pytest.fixture
def registry() -> JobRegistry:
    runs.clear()
    return make_registry([JobSpec("test.record", _record)])


@pytest.fixture
async def embedded(settings: Settings, registry: JobRegistry,
                   sessionmaker: Any) -> AsyncIterator[EmbeddedQueue]:
    queue = EmbeddedQueue(settings, registry, sessionmaker, run_schedules=False)
    await queue.start()
    yield queue
    await queue.close()


async def _defer_cases(sessionmaker: Any, *cases: str) -> list[str]:
    async with scoped_session(sessionmaker, COUNTY) as s:
        ids = [await defer(s, "test.record", tenant_id=COUNTY_ID, tenant_path=COUNTY, case=c)
               for c in cases]
        await s.commit()
    return [str(i) for i in ids]


async def test_outbox_survives_a_redis_outage(settings: Settings, registry: JobRegistry,
                                              sessionmaker: Any,
                                              embedded: EmbeddedQueue) -> None:
    with clock.freeze(T0):
        ids = await _defer_cases(sessionmaker, "C-10", "C-11")
        redis_down = ArqQueue(settings, registry, sessionmaker, redis_url=DEAD_REDIS_URL)
        report = await drain_outbox(sessionmaker, redis_down)
    assert (report.dispatched, report.failed) == (0, 2)
    rows = await _outbox(sessionmaker)
    assert [str(r.id) for r in rows] == ids
    for row in rows:
        assert row.dispatched_at is None and row.attempts == 1
        assert row.last_error is not None and "QueueUnavailable" in row.last_error
        assert _aware(row.next_attempt_at) == T0 + backoff(1)
    async with scoped_session(sessionmaker, "*") as s:  # nothing half-enqueued
        assert (await s.execute(select(func.count()).select_from(JobRun))).scalar() == 0

    # Redis is back, but the rows wait out their backoff …
    with clock.freeze(T0 + timedelta(seconds=5)):
        assert (await drain_outbox(sessionmaker, embedded)).dispatched == 0
    # … and are then delivered exactly once.
    with clock.freeze(T0 + timedelta(minutes=1)):
        assert (await drain_outbox(sessionmaker, embedded)).dispatched == 2
        assert (await drain_outbox(sessionmaker, embedded)).dispatched == 0
    await asyncio.wait_for(embedded.join(), GUARD)
    assert runs == Counter({ids[0]: 1, ids[1]: 1})
    for job_id, case in zip(ids, ["C-10", "C-11"], strict=True):
        status = await embedded.job_status(job_id)
        assert status is not None and status.status == "done"
        assert status.result == f"notified about {case}"
    rows = await _outbox(sessionmaker)
    assert all(r.dispatched_at is not None and r.attempts == 2 and r.last_error is None
               for r in rows)


@pytest.mark.redis
@pytest.mark.usefixtures("redis_url")  # skips, or fails under CI, when Redis is unreachable
async def test_outbox_survives_a_redis_outage_on_arq(settings: Settings, registry: JobRegistry,
                                                     sessionmaker: Any) -> None:
    live = settings.model_copy(update={"redis_url": REDIS_URL})
    queue_name = f"zhengwu-test:{uuid.uuid4().hex}"
    with clock.freeze(T0):
        ids = await _defer_cases(sessionmaker, "C-20")
        redis_down = ArqQueue(settings, registry, sessionmaker, redis_url=DEAD_REDIS_URL,
                              queue_name=queue_name)
        assert (await drain_outbox(sessionmaker, redis_down)).failed == 1
    queue = ArqQueue(live, registry, sessionmaker, queue_name=queue_name)
    try:
        with clock.freeze(T0 + timedelta(minutes=1)):
            assert (await drain_outbox(sessionmaker, queue)).dispatched == 1
        # A drain that hands the same row over again (it died before settling) adds nothing.
        await queue.enqueue("test.record", job_id=ids[0], case="C-20")
        await asyncio.wait_for(
            run_worker(live, registry, sessionmaker=sessionmaker, queue_name=queue_name,
                       burst=True, poll_delay=0.01, conn_retries=0), GUARD)
    finally:
        await queue.close()
    assert runs == Counter({ids[0]: 1})
    status = await queue.job_status(ids[0])
    assert status is not None and status.status == "done" and status.attempts == 1


async def test_a_drain_that_dies_midway_loses_nothing(sessionmaker: Any) -> None:
    with clock.freeze(T0):
        ids = await _defer_cases(sessionmaker, "C-30")
        with pytest.raises(Crash):
            await drain_outbox(sessionmaker, RecordingQueue(error=Crash()))
    (row,) = await _outbox(sessionmaker)
    assert row.dispatched_at is None and row.attempts == 0
    assert _aware(row.next_attempt_at) == T0 + OUTBOX_LEASE  # leased, not lost

    queue = RecordingQueue()
    with clock.freeze(T0 + timedelta(minutes=1)):
        assert (await drain_outbox(sessionmaker, queue)).dispatched == 0  # lease still held
    with clock.freeze(T0 + OUTBOX_LEASE + timedelta(seconds=1)):
        assert (await drain_outbox(sessionmaker, queue)).dispatched == 1
    assert queue.enqueued == Counter({ids[0]: 1})


async def test_concurrent_drains_hand_each_row_over_once(sessionmaker: Any) -> None:
    ids = await _defer_cases(sessionmaker, *[f"C-{i}" for i in range(40)])
    queue = RecordingQueue()
    reports = await asyncio.wait_for(asyncio.gather(
        *[drain_outbox(sessionmaker, queue, limit=15) for _ in range(4)]), GUARD)
    assert sum(r.dispatched for r in reports) <= 40
    while (await drain_outbox(sessionmaker, queue, limit=15)).dispatched:
        pass
    assert queue.enqueued == Counter(dict.fromkeys(ids, 1))


async def test_the_drain_job_delivers_through_the_queue(embedded: EmbeddedQueue,
                                                         sessionmaker: Any) -> None:
    ids = await _defer_cases(sessionmaker, "C-40", "C-41")
    drain_id = await embedded.enqueue("outbox.drain")
    await asyncio.wait_for(embedded.join(), GUARD)
    status = await embedded.job_status(drain_id)
    assert status is not None and status.status == "done"
    assert status.result == {"dispatched": 2, "failed": 0}
    assert runs == Counter(dict.fromkeys(ids, 1))


async def test_the_drain_records_unknown_jobs_and_keeps_them(sessionmaker: Any,
                                                             embedded: EmbeddedQueue) -> None:
    async with scoped_session(sessionmaker, COUNTY) as s:
        await defer(s, "gone.plugin_job", tenant_id=COUNTY_ID, tenant_path=COUNTY)
        await s.commit()
    assert (await drain_outbox(sessionmaker, embedded)).failed == 1
    (row,) = await _outbox(sessionmaker)
    assert row.dispatched_at is None and row.last_error is not None
    assert "UnknownJob" in row.last_error


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff(n) for n in range(1, 12)]
    assert delays[0] == timedelta(seconds=15) and delays[1] == timedelta(seconds=30)
    assert delays == sorted(delays) and delays[-1] == timedelta(minutes=30)
