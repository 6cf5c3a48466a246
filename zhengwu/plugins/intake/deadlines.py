"""A case's clock: its due date on the handling tenant's working-day calendar, with the
derivation a clerk or applicant can read.

Conventions (see ``zhengwu.core.calendar.service``): the due date is the n-th working day
strictly after the day of acceptance (the statutes count from the next day), n being the
promised limit plus any approved extension. A pause (补正 after acceptance, or a special
procedure — hearing, inspection, expert review …, ALL art. 45) covers the days from the day
it starts through the day before the clock resumes; a pause started and ended on the same day
covers nothing. While a pause is open, the due date is reckoned as if it ended today (so it
only moves later). Pauses never make a deadline earlier.

``refresh_due`` is the one place that writes ``due_date``; it records a change in the case
history and announces ``intake.deadline_changed`` (payload: old and new date, reason, and the
new ``statutory_due``). It writes ``statutory_due`` too: the statutory limit (法定时限, plus an
extension) on the same calendar with the same pauses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock, events
from zhengwu.core.calendar.service import Deadline, WorkCalendar, load_calendar
from zhengwu.plugins.intake.models import Case, CaseHistory, CaseStep, Pause

__all__ = ["calendar_for", "compute_due", "compute_statutory_due", "pause_spans", "refresh_due",
           "step_due"]

Span = tuple[date, date]


async def calendar_for(session: AsyncSession, case: Case, *, extra_years: int = 3) -> WorkCalendar:
    """The calendar of the handling tenant (regional overrides apply) around the case."""
    first = case.accepted_on or case.submitted_on
    last = max(first.year + extra_years, clock.today_shanghai().year + 1)
    return await load_calendar(session, case.handling_path, range(first.year, last + 1))


def pause_spans(rows: Sequence[Pause], today: date) -> list[Span]:
    """Inclusive day spans of the pauses (open ones as if they ended today)."""
    spans: list[Span] = []
    for p in rows:
        end = p.end_day if p.end_day is not None else today
        if end >= p.start_day:
            spans.append((p.start_day, end))
    return spans


async def _pauses(session: AsyncSession, case: Case) -> list[Pause]:
    return list((await session.scalars(
        select(Pause).where(Pause.case_id == case.id).order_by(Pause.started_at))).all())


def compute_due(cal: WorkCalendar, case: Case, spans: Sequence[Span]) -> Deadline | None:
    if case.accepted_on is None:
        return None
    limit = (case.promised_days if case.promised_days is not None else case.statutory_days) or 0
    return cal.add_working_days(case.accepted_on, limit + case.extension_days, spans)


def compute_statutory_due(cal: WorkCalendar, case: Case, spans: Sequence[Span]) -> date | None:
    """The end of the statutory limit (法定时限): ``statutory_days`` plus an approved extension
    (ALL art. 42 extends the statutory limit itself), counted like the promised one — the same
    calendar, the same pauses (ALL art. 45: special procedures are not counted). None for an
    item without a statutory limit or a case not accepted."""
    if case.accepted_on is None or case.statutory_days is None:
        return None
    return cal.add_working_days(case.accepted_on, case.statutory_days + case.extension_days,
                                spans).due


def step_due(cal: WorkCalendar, step: CaseStep, spans: Sequence[Span]) -> date | None:
    if step.started_on is None or step.limit_days is None:
        return None
    return cal.add_working_days(step.started_on, step.limit_days, spans).due


async def refresh_due(session: AsyncSession, case: Case, *, actor: str, reason: str,
                      cal: WorkCalendar | None = None) -> Deadline | None:
    """Recompute the case's due date (and its active steps'); record and announce a change."""
    if case.accepted_on is None or case.is_parallel:
        return None
    cal = cal or await calendar_for(session, case)
    spans = pause_spans(await _pauses(session, case), clock.today_shanghai())
    deadline = compute_due(cal, case, spans)
    if deadline is None:
        return None
    old, old_statutory = case.due_date, case.statutory_due
    case.due_date = deadline.due
    case.statutory_due = compute_statutory_due(cal, case, spans)
    case.due_provisional = deadline.provisional
    case.due_derivation = deadline.to_dict()
    steps = (await session.scalars(select(CaseStep).where(
        CaseStep.case_id == case.id, CaseStep.status == "active"))).all()
    for step in steps:
        step.due_date = step_due(cal, step, spans)
    if old is not None and (old != deadline.due or old_statutory != case.statutory_due):
        session.add(CaseHistory(
            case_id=case.id, tenant_id=case.tenant_id, tenant_path=case.tenant_path,
            at=clock.now(), actor=actor, action="deadline_changed", from_status=case.status,
            to_status=case.status, note=reason,
            data={"from": old.isoformat(), "to": deadline.due.isoformat(), "reason": reason}))
        await events.publish(session, "intake.deadline_changed", case.tenant_id, case.tenant_path,
                             {"case_id": str(case.id), "case_no": case.case_no,
                              "handling_path": case.handling_path, "from": old.isoformat(),
                              "to": deadline.due.isoformat(), "reason": reason,
                              "provisional": deadline.provisional,
                              "statutory_due": _iso(case.statutory_due)}, actor)
    return deadline


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def day_before(d: date) -> date:
    return d - timedelta(days=1)
