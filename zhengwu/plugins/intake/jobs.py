"""Intake's jobs: recomputing open deadlines when the working-day calendar changes.

A notice imported or a regional override added announces ``calendar.changed``; the listener
defers ``intake.recompute_deadlines`` through the outbox (so it runs after the calendar change
commits, and a crash loses nothing). The job walks the open cases that can depend on the
changed years — accepted (or under review, suspended, waiting for a supplement) cases whose
clock started within a year before the change or later, in the changed subtree — in batches
keyed by id, recomputes each due date on the new calendar, and records every change in the
case history with an ``intake.deadline_changed`` event (Alaveteli never did this, #7292).
Idempotent: a second run finds nothing to change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import events
from zhengwu.core.calendar.service import CALENDAR_CHANGED
from zhengwu.core.db import subtree_clause
from zhengwu.core.plugin_api import Event, JobSpec
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.intake.deadlines import refresh_due
from zhengwu.plugins.intake.models import Case

__all__ = ["JOBS", "on_calendar_changed", "recompute_deadlines"]

RECOMPUTE = "intake.recompute_deadlines"
BATCH = 500
_CLOCKED = ("accepted", "in_review", "suspended", "needs_supplement")


async def on_calendar_changed(event: Event, session: AsyncSession) -> None:
    if event.name != CALENDAR_CHANGED:
        return
    years = sorted(int(y) for y in event.payload.get("years", []))
    await events.defer(session, RECOMPUTE, tenant_id=event.tenant_id, tenant_path=event.tenant_path,
                       under=event.tenant_path, years=years, cause=str(event.id))


async def recompute_deadlines(session: AsyncSession, *, under: str, years: list[int],
                              actor: str = "system", batch: int = BATCH,
                              on_batch: Callable[[int, int], Awaitable[None]] | None = None) -> int:
    """Recompute the due dates of open cases below ``under`` that may touch ``years``.

    ``under`` is ``0`` (the platform root: national calendar) or a tenant path. Returns how
    many due dates changed. The caller commits (batches are flushed, not committed, so a
    caller may commit per batch). ``on_batch(seen, changed)`` reports progress.
    """
    changed = seen = 0
    first = date(min(years) - 1, 1, 1) if years else date.min
    last_id = None
    while True:
        q = (select(Case).where(Case.status.in_(_CLOCKED), Case.accepted_on.is_not(None),
                                Case.accepted_on >= first, Case.is_parallel.is_(False))
             .order_by(Case.id).limit(batch))
        if under not in ("0", "*"):
            q = q.where(subtree_clause(Case.handling_path, under))
        if last_id is not None:
            q = q.where(Case.id > last_id)
        cases = (await session.scalars(q)).all()
        if not cases:
            break
        for case in cases:
            old = case.due_date
            await refresh_due(session, case, actor=actor, reason="节假日安排变更，重新计算期限")
            if case.due_date != old:
                changed += 1
        await session.flush()
        seen += len(cases)
        if on_batch is not None:
            await on_batch(seen, changed)
        last_id = cases[-1].id
        if len(cases) < batch:
            break
    return changed


async def _recompute_job(ctx: Any, *, under: str, years: list[int], cause: str = "") -> int:
    # No enablement filter: a case exists only where intake was enabled when it was accepted,
    # and its clock keeps running if the plugin is switched off later.
    async with ctx.session() as session:
        async def batch_done(seen: int, changed: int) -> None:
            await session.commit()  # one transaction per batch: progress is written beside it
            await ctx.progress(seen, None, f"{seen} open cases checked, {changed} deadlines changed")

        total = await recompute_deadlines(session, under=under, years=years,
                                          actor=Principal.system("calendar").username,
                                          on_batch=batch_done)
        await session.commit()
    await ctx.progress(total, total, f"{total} deadlines changed")
    return total


JOBS = (JobSpec(name=RECOMPUTE, fn=_recompute_job, plugin="intake",
                description="Recompute open case deadlines after a calendar change"),)
