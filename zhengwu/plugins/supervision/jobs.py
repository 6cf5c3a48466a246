"""Supervision's jobs: the scheduled sweep, sending notifications, and recomputing thresholds
after a calendar change.

* ``supervision.sweep`` (every 10 minutes): ``sweep.sweep`` over the tenants where the plugin is
  on (``ctx.enabled_scope``); each phase is committed before its progress is reported (SQLite
  allows one writer: progress is written by another connection), which is safe because every
  phase is idempotent. Its result is the ``SweepReport``.
* ``supervision.notify``: ``notify.notify_tickets`` and ``notify.notify_pending``, deferred
  through the outbox by whatever raised or urged a card or opened a 督办 ticket (one pending
  row at most, coalesced by key); the sweep defers it when an overdue ticket waits too.
* ``supervision.recompute_thresholds``: deferred by the ``calendar.changed`` listener; forgets
  ``yellow_on`` of the open cases below the changed tenant whose due dates lie in the changed
  years, and computes it again on the new calendar (intake moves the due dates themselves and
  announces each move, which the projection follows at once; this catches a change that moves
  ``yellow_on`` without moving the due date).

* ``supervision.summarize`` (cron ``10 0 * * *``, read in Asia/Shanghai: 00:10 China time):
  ``summary.summarize`` of the day before (or of ``day``) for the tenants where the plugin is
  on — 每日定时汇总, one kept row per tenant and day, replaced when run again.

All four are idempotent.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock, events
from zhengwu.core.calendar.service import CALENDAR_CHANGED
from zhengwu.core.db import subtree_clause
from zhengwu.core.plugin_api import Event, JobSpec
from zhengwu.plugins.supervision.models import WatchedCase
from zhengwu.plugins.supervision.notify import notify_pending, notify_tickets
from zhengwu.plugins.supervision.projection import NOTIFY_JOB, PLUGIN
from zhengwu.plugins.supervision.summary import summarize
from zhengwu.plugins.supervision.sweep import PHASES, recompute_thresholds, sweep

__all__ = ["JOBS", "NOTIFY", "RECOMPUTE", "SUMMARIZE", "SWEEP", "forget_thresholds",
           "on_calendar_changed", "summarize_day"]

SWEEP = "supervision.sweep"
NOTIFY = NOTIFY_JOB
RECOMPUTE = "supervision.recompute_thresholds"
SWEEP_CRON = "*/10 * * * *"
SUMMARIZE = "supervision.summarize"
SUMMARIZE_CRON = "10 0 * * *"  # cron is read in Asia/Shanghai (zhengwu.core.jobs.cron)


async def _sweep_job(ctx: Any) -> dict[str, Any]:
    enabled = await ctx.enabled_scope(PLUGIN)
    async with ctx.session() as session:
        async def progress(done: int, total: int, message: str) -> None:
            await session.commit()
            await ctx.progress(done, total, message)

        report = await sweep(session, enabled, clock.now(), progress)
        await session.commit()
    await ctx.progress(PHASES, PHASES, f"{report.raised} cards raised, {report.urged} urged")
    return report.as_dict()


async def _notify_job(ctx: Any) -> int:
    async with ctx.session() as session:
        tickets = await notify_tickets(session, clock.now())
        sent = await notify_pending(session, clock.now())
        await session.commit()
    await ctx.progress(sent, sent, f"{sent} cards sent"
                       + (f", {tickets} 督办 tickets sent" if tickets else ""))
    return sent


async def on_calendar_changed(event: Event, session: AsyncSession) -> None:
    if event.name != CALENDAR_CHANGED:
        return
    years = sorted(int(y) for y in event.payload.get("years", []))
    await events.defer(session, RECOMPUTE, tenant_id=event.tenant_id, tenant_path=event.tenant_path,
                       under=event.tenant_path, years=years)


async def forget_thresholds(session: AsyncSession, under: str, years: list[int]) -> int:
    """Mark ``yellow_on`` stale for open cases below ``under`` (``0``: everywhere) due in or
    after the first changed year."""
    q = update(WatchedCase).where(WatchedCase.watching, WatchedCase.due_date.is_not(None))
    if years:
        q = q.where(WatchedCase.due_date >= date(min(years), 1, 1))
    if under not in ("0", "*"):
        q = q.where(subtree_clause(WatchedCase.handling_path, under))
    result = await session.execute(q.values(yellow_days=None)
                                   .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _recompute_job(ctx: Any, *, under: str, years: list[int]) -> int:
    enabled = await ctx.enabled_scope(PLUGIN)
    async with ctx.session() as session:
        await forget_thresholds(session, under, years)
        done = await recompute_thresholds(session, enabled.clause(WatchedCase.handling_path))
        await session.commit()
    await ctx.progress(done, done, f"{done} yellow days recomputed")
    return done


async def summarize_day(session: AsyncSession, day: date | None = None) -> tuple[date, int]:
    """每日定时汇总 of ``day`` (default: yesterday in Asia/Shanghai) where the plugin is on."""
    from zhengwu.tenants.enablement import enabled_scope

    day = day or clock.today_shanghai() - timedelta(days=1)
    rows = await summarize(session, await enabled_scope(session, PLUGIN), day, clock.now())
    return day, rows


async def _summarize_job(ctx: Any, *, day: str | None = None) -> dict[str, Any]:
    enabled = await ctx.enabled_scope(PLUGIN)
    the_day = date.fromisoformat(day) if day else clock.today_shanghai() - timedelta(days=1)
    async with ctx.session() as session:
        rows = await summarize(session, enabled, the_day, clock.now())
        await session.commit()
    await ctx.progress(rows, rows, f"{rows} daily summaries kept for {the_day.isoformat()}")
    return {"day": the_day.isoformat(), "rows": rows}


JOBS = (
    JobSpec(name=SWEEP, fn=_sweep_job, cron=SWEEP_CRON, plugin=PLUGIN,
            description="E-supervision sweep: raise yellow/red cards, urge, queue notifications"),
    JobSpec(name=NOTIFY, fn=_notify_job, plugin=PLUGIN,
            description="Send the cards waiting to be sent (notification adapter)"),
    JobSpec(name=RECOMPUTE, fn=_recompute_job, plugin=PLUGIN,
            description="Recompute when open cases turn yellow after a calendar change"),
    JobSpec(name=SUMMARIZE, fn=_summarize_job, cron=SUMMARIZE_CRON, plugin=PLUGIN,
            description="每日定时汇总: keep yesterday's figures per tenant (cases, fees, cards, "
                        "complaints, ratings)"),
)
