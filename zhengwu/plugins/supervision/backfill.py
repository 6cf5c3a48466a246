"""Learning of open cases supervision never heard of, from intake's replayed snapshots.

The projection (``projection``) is built from intake's events as they happen, so a case
accepted before this plugin was installed, or imported by ``zhengwu intake import`` (which
announces nothing), is not watched. ``zhengwu intake replay`` announces one
``intake.case_snapshot`` per open accepted case, carrying its clock state (pauses, the active
step). ``on_case_snapshot`` brings such a case into the projection as if it had been watched
all along: due date, ``yellow_on`` where supervision is on, the pause state, the step's due
date; and its deadline cards are raised at once (the sweep would raise them anyway).

A case the projection knows already is left alone — its own events have kept it current —
except that a row projected before migrations s005/s006 gets the window and department it
lacks. That makes a replay idempotent. The irregularities of the
case's past (a required material missing at acceptance, a fee above the standard) are not
raised from a snapshot: they are facts of events supervision did not see.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.plugin_api import Event
from zhengwu.plugins.supervision.models import WatchedCase
from zhengwu.plugins.supervision.projection import (
    _refresh,
    _set_due,
    is_enabled,
    reassess,
    settings_at,
)

__all__ = ["on_case_snapshot"]

WHY = "补录：电子监察此前未见的在办件（intake replay）"


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _fill_in(row: WatchedCase, p: Any) -> None:
    """Only what a row projected before s005/s006 lacks: its window and its department."""
    if row.window_id is None and p.get("window_id"):
        row.window_id = uuid.UUID(str(p["window_id"]))
    if row.department_name is None and p.get("department_name"):
        row.department_name = str(p["department_name"])[:200]


async def on_case_snapshot(event: Event, session: AsyncSession) -> None:
    """Bring an open case into the projection unless it is there already."""
    p = event.payload
    try:
        case_id = uuid.UUID(str(p["case_id"]))
    except (KeyError, ValueError):
        return
    known = await session.get(WatchedCase, case_id)
    if known is not None:
        if known.tenant_id == event.tenant_id:  # a snapshot speaks only for its own tenant
            _fill_in(known, p)
        return
    with session.no_autoflush:
        row = WatchedCase(id=case_id, tenant_id=event.tenant_id, tenant_path=event.tenant_path,
                          case_no=p.get("case_no") or str(case_id),
                          handling_path=p.get("handling_path") or event.tenant_path,
                          status=p.get("status") or "accepted", watching=True,
                          paused=bool(p.get("paused")), paused_since=_day(p.get("paused_since")),
                          is_parallel=False, accepted_on=_day(p.get("accepted_on")),
                          pauses=[[a, b] for a, b in (p.get("pauses") or [])
                                  if _day(a) is not None and _day(b) is not None])
        session.add(row)
        _refresh(row, event, "case_snapshot")
        if row.paused and row.paused_since is None:
            row.paused = False  # a pause without its first day cannot be reckoned: run the clock
        step = p.get("step") or None
        if isinstance(step, dict) and isinstance(step.get("seq"), int):
            row.step_seq, row.step_name = step["seq"], (step.get("name") or "")[:200] or None
            row.step_started_on, row.step_due = _day(step.get("started_on")), _day(step.get("due"))
            row.step_limit = step.get("limit") if isinstance(step.get("limit"), int) else None
        if row.is_parallel:
            row.watching = False  # the parts are watched, each on its own clock
            return
        on = await is_enabled(session, row.handling_path)
        cfg = await settings_at(session, row.handling_path) if on else None
        await _set_due(session, row, _day(p.get("due_date")), cfg)
        if on:
            await reassess(session, row, event.occurred_at, WHY, fresh=True)
