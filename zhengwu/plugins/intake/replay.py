"""Announcing the open cases again, for listeners that came after them (``intake.case_snapshot``).

Plugins that follow cases keep their own projection from intake's events (e-supervision, say).
Cases they never heard of stay invisible to them: cases accepted before such a plugin was
installed, and historical cases brought in by ``zhengwu intake import`` (the importer announces
nothing — history is not news). ``replay_open_cases`` announces one ``intake.case_snapshot`` per
open accepted case of a subtree: the usual payload (ids, codes, dates, the department's name;
never personal data) plus the state a listener cannot rebuild from the events it missed —
whether the clock is paused and since when, the finished pauses, the active step with its limit
and due date. The event's actor is the last member of staff who acted on the case (a
supervision card goes to that person).

A listener must treat a snapshot as "make sure you know this case": a listener that knows the
case already ignores it, so replaying is idempotent and safe at any time. Batches are keyset
pages by case id; the caller commits between batches (``zhengwu intake replay``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import events
from zhengwu.core.db import subtree_clause
from zhengwu.plugins.intake.models import Case, CaseHistory, CaseStep, Pause
from zhengwu.plugins.intake.service import _payload

__all__ = ["REPLAYED_STATES", "SNAPSHOT", "ReplayBatch", "announce_snapshots", "count_open_cases",
           "is_replayed", "replay_batch", "replay_open_cases", "snapshot_payload"]

SNAPSHOT = "intake.case_snapshot"
REPLAYED_STATES = ("accepted", "in_review", "suspended", "needs_supplement")
"""Open states of an accepted case (a case waiting for a supplement before its acceptance has no
clock yet and is not replayed: ``accepted_on`` is required too)."""
DEFAULT_BATCH = 500


@dataclass(frozen=True)
class ReplayBatch:
    announced: int
    last_id: uuid.UUID | None  # the keyset cursor for the next batch (None: nothing was left)


def _open_cases(under_path: str | None, after: uuid.UUID | None, limit: int) -> Any:
    q = (select(Case).where(Case.status.in_(REPLAYED_STATES), Case.accepted_on.is_not(None))
         .order_by(Case.id).limit(limit))
    if under_path is not None:
        q = q.where(subtree_clause(Case.tenant_path, under_path))
    if after is not None:
        q = q.where(Case.id > after)
    return q


async def _states(session: AsyncSession, ids: Sequence[uuid.UUID]) -> tuple[
        dict[uuid.UUID, list[Pause]], dict[uuid.UUID, CaseStep], dict[uuid.UUID, str],
        dict[uuid.UUID, int]]:
    """Pauses, the active step, the last actor and the number of parts of each case: four
    statements per batch, whatever its size."""
    pauses: dict[uuid.UUID, list[Pause]] = {}
    for p in (await session.scalars(select(Pause).where(Pause.case_id.in_(ids))
                                    .order_by(Pause.case_id, Pause.start_day))).all():
        pauses.setdefault(p.case_id, []).append(p)
    steps = {s.case_id: s for s in (await session.scalars(
        select(CaseStep).where(CaseStep.case_id.in_(ids), CaseStep.status == "active")
        .order_by(CaseStep.case_id, CaseStep.seq))).all()}
    last = (select(CaseHistory.case_id, CaseHistory.actor,
                   func.row_number().over(partition_by=CaseHistory.case_id,
                                          order_by=(CaseHistory.at.desc(), CaseHistory.id.desc()))
                   .label("n"))
            .where(CaseHistory.case_id.in_(ids)).subquery())
    actors = {cid: actor for cid, actor in (await session.execute(
        select(last.c.case_id, last.c.actor).where(last.c.n == 1))).all()}
    parts = {pid: n for pid, n in (await session.execute(
        select(Case.parent_id, func.count()).where(Case.parent_id.in_(ids))
        .group_by(Case.parent_id))).all() if pid is not None}
    return pauses, steps, actors, parts


def snapshot_payload(case: Case, pauses: Sequence[Pause], step: CaseStep | None,
                     parts: int) -> dict[str, Any]:
    """The case's usual payload plus its clock state (see the module docstring)."""
    open_pause = next((p for p in pauses if p.end_day is None), None)
    extra: dict[str, Any] = {
        "paused": open_pause is not None,
        "paused_since": open_pause.start_day.isoformat() if open_pause else None,
        "pauses": [[p.start_day.isoformat(), p.end_day.isoformat()]
                   for p in pauses if p.end_day is not None and p.end_day >= p.start_day],
        "step": None if step is None else {
            "seq": step.seq, "name": step.name, "limit": step.limit_days,
            "started_on": step.started_on.isoformat() if step.started_on else None,
            "due": step.due_date.isoformat() if step.due_date else None},
    }
    if case.is_parallel:
        extra["parts"] = parts
    return _payload(case, **extra)


async def replay_batch(session: AsyncSession, *, under_path: str | None = None,
                       after: uuid.UUID | None = None,
                       limit: int = DEFAULT_BATCH) -> ReplayBatch:
    """Announce one batch of snapshots (cases after ``after`` by id) in ``session``'s
    transaction."""
    cases = list((await session.scalars(_open_cases(under_path, after, limit))).all())
    if not cases:
        return ReplayBatch(0, None)
    await announce_snapshots(session, cases)
    return ReplayBatch(len(cases), cases[-1].id)


def is_replayed(case: Case) -> bool:
    """Whether ``case`` is open and accepted (what a replay announces)."""
    return case.status in REPLAYED_STATES and case.accepted_on is not None


async def announce_snapshots(session: AsyncSession, cases: Sequence[Case]) -> None:
    """Announce a snapshot of each of ``cases`` (flushed, open and accepted) in ``session``'s
    transaction — the replay's batches, and the importer for the open cases it brings in."""
    if not cases:
        return
    pauses, steps, actors, parts = await _states(session, [c.id for c in cases])
    for case in cases:
        await events.publish(session, SNAPSHOT, case.tenant_id, case.tenant_path,
                             snapshot_payload(case, pauses.get(case.id, []), steps.get(case.id),
                                              parts.get(case.id, 0)),
                             actors.get(case.id, case.created_by))


async def count_open_cases(session: AsyncSession, under_path: str | None = None) -> int:
    """How many cases a replay of ``under_path`` (None: everywhere) announces."""
    q = select(func.count()).select_from(Case).where(Case.status.in_(REPLAYED_STATES),
                                                     Case.accepted_on.is_not(None))
    if under_path is not None:
        q = q.where(subtree_clause(Case.tenant_path, under_path))
    return int(await session.scalar(q) or 0)


async def replay_open_cases(session: AsyncSession, *, under_path: str | None = None,
                            batch: int = DEFAULT_BATCH,
                            on_batch: Callable[[int], Any] | None = None) -> int:
    """Announce every open accepted case of the subtree in ``session``'s transaction (tests and
    small subtrees; the CLI commits per batch). Returns how many were announced."""
    total, after = 0, None
    while True:
        done = await replay_batch(session, under_path=under_path, after=after, limit=batch)
        if done.last_id is None:
            return total
        total, after = total + done.announced, done.last_id
        if on_batch is not None:
            on_batch(total)
