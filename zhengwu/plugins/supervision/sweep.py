"""The sweep (巡检): every open watched case of every tenant where supervision is on, in a few
set-based statements — never a Python loop over cases.

1. **Thresholds**: rows whose ``yellow_on`` was computed with other thresholds than the ones
   now effective at their handling tenant (a tenant changed or locked ``yellow_days`` or
   ``yellow_share_percent``), or not yet computed (supervision enabled after the case was
   accepted, a calendar change), are grouped by (handling tenant, due date — and, where the
   share rule is on, day of acceptance and pauses); each group's day is computed once on that
   tenant's calendar and written by one executemany UPDATE. Usually there is nothing to do.
2. **Cards**: one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per rule — yellow when
   ``yellow_on <= today``, red when ``due_date < today``, red and escalated when the statutory
   limit has passed (``statutory_due < today``), yellow when the current step's
   ``step_due < today``, red when a supervision ticket is past its own deadline (the ticket
   itself is queued to be sent again, once) — over open,
   unpaused cases —, red when a complaint is still open (not answered) past ``due_on``, yellow
   when a bad rating's first contact (核实) is past ``contact_due``, red when its rectification
   is not closed past ``close_due``; a second run inserts nothing (the partial unique index
   over the live cards, ``ON CONFLICT DO NOTHING``). A complaint's card stands on the
   complaint (its id as ``case_id`` and ``ref``), a rating's on the rated case (``ref`` = the
   rating's id); replying to the complaint, recording the 核实 and closing (or voiding) the
   rectification clear them.
3. **Urging** (催办): cards still raised or notified ``urge_after_hours`` (a tenant setting)
   after they were raised or last urged get an ``urged`` history entry and are queued for
   notification again — one INSERT … SELECT and one UPDATE.
4. **Notification**: if any card or ticket waits to be sent, one ``supervision.notify`` job is deferred
   through the outbox (coalesced: one pending row at most).

The caller owns the transaction (the job and the CLI commit once). Ids of the inserted rows are
made in SQL in the uuid7 layout (48 bits of milliseconds, then random bits).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import events
from zhengwu.core.clock import SHANGHAI
from zhengwu.plugins.supervision.lifecycle import REASONS
from zhengwu.plugins.supervision.models import (
    Alert,
    AlertEntry,
    Complaint,
    Rating,
    SupervisionTicket,
    WatchedCase,
)
from zhengwu.plugins.supervision.projection import NOTIFY_JOB
from zhengwu.plugins.supervision.thresholds import CalendarCache, SettingRegions, spans
from zhengwu.tenants.enablement import EnabledScope
from zhengwu.tenants.provisioning import ensure_platform_root

__all__ = ["PHASES", "SweepReport", "recompute_thresholds", "sweep"]

Progress = Callable[[int, int, str], Awaitable[None]]
PHASES = 4


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did (counts of rows)."""

    today: date
    recomputed: int = 0
    near_deadline: int = 0
    overdue: int = 0
    statutory_overdue: int = 0
    step_over_limit: int = 0
    ticket_overdue: int = 0
    complaint_overdue: int = 0
    rectification_contact_overdue: int = 0
    rectification_overdue: int = 0
    urged: int = 0
    ticket_notices: int = 0
    """督办 tickets found overdue and queued to be sent again (once per ticket)."""
    notify_queued: bool = False

    @property
    def raised(self) -> int:
        return (self.near_deadline + self.overdue + self.statutory_overdue
                + self.step_over_limit + self.ticket_overdue
                + self.complaint_overdue + self.rectification_contact_overdue
                + self.rectification_overdue)

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "recomputed": self.recomputed,
                "near_deadline": self.near_deadline, "overdue": self.overdue,
                "statutory_overdue": self.statutory_overdue,
                "step_over_limit": self.step_over_limit, "ticket_overdue": self.ticket_overdue,
                "complaint_overdue": self.complaint_overdue,
                "rectification_contact_overdue": self.rectification_contact_overdue,
                "rectification_overdue": self.rectification_overdue,
                "urged": self.urged, "raised": self.raised,
                "ticket_notices": self.ticket_notices, "notify_queued": self.notify_queued}


def _new_id(dialect: str, now: datetime) -> Any:
    """A fresh uuid7 per row, made by the database (the timestamp is the sweep's)."""
    ts = f"{(int(now.timestamp() * 1000)) & ((1 << 48) - 1):012x}"
    if dialect == "postgresql":
        return literal_column(
            f"CAST('{ts}7' || substr(md5(random()::text), 1, 3) || "
            f"substr(replace(gen_random_uuid()::text, '-', ''), 17, 16) AS uuid)")
    return literal_column(
        f"'{ts}7' || substr(lower(hex(randomblob(2))), 1, 3) || "
        f"substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(8))), 1, 15)")


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


_ALERT_COLUMNS = ("id", "tenant_id", "tenant_path", "case_id", "case_no", "handling_path", "colour",
                  "kind", "reason", "ref", "due_date", "status", "handler", "raised_at",
                  "raised_on", "notify_pending", "urge_count")


async def _raise_from(session: AsyncSession, dialect: str, now: datetime, today: date,
                      reason: str, source: Any, *, case_id: Any, tenant_id: Any, tenant_path: Any,
                      case_no: Any, handling_path: Any, ref: Any, due: Any, handler: Any,
                      where: Any) -> int:
    """INSERT the cards of ``reason`` for the rows of ``source`` matching ``where``; a row that
    carries a live card already conflicts with the partial unique index and is skipped (``ON
    CONFLICT DO NOTHING``), so a second run — or a concurrent one — inserts nothing.

    No anti-join: on a table whose statistics say it is empty (the first sweep after enabling)
    PostgreSQL may probe the table being inserted into with a sequential scan per row, which
    rescans the rows the statement has just added (measured: quadratic, 21 s for 60k cards)."""
    r = REASONS[reason]
    rows = select(
        _new_id(dialect, now), tenant_id, tenant_path, case_id, case_no, handling_path,
        literal(r.colour), literal(r.kind), literal(reason), ref, due, literal("raised"), handler,
        literal(now, DateTime(timezone=True)), literal(today, Date), literal(True), literal(0),
    ).select_from(source).where(where)
    stmt = _insert(dialect)(Alert).from_select(list(_ALERT_COLUMNS), rows).on_conflict_do_nothing()
    return int((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def recompute_thresholds(session: AsyncSession, on: Any) -> int:
    """Recompute ``yellow_on`` where it was computed with other settings than the effective
    ones (or not yet): grouped by handling tenant and due date — and, where the share-of-limit
    rule is on, by the day of acceptance and the pauses too, which that rule reads — each
    group's day computed once in Python, written by one executemany UPDATE."""
    c = WatchedCase
    days = (await SettingRegions.load(session, "yellow_days")).case(c.handling_path)
    share = cast((await SettingRegions.load(session, "yellow_share_percent"))
                 .case(c.handling_path), Integer)
    stale = and_(c.watching, c.due_date.is_not(None), on,
                 or_(c.yellow_days.is_(None), c.yellow_days != days,
                     c.yellow_share.is_distinct_from(share)))
    pauses = cast(c.pauses, String)
    plain = (await session.execute(
        select(c.handling_path, c.due_date, func.min(days), func.count())  # one value per path
        .where(stale, share.is_(None)).group_by(c.handling_path, c.due_date))).all()
    shared = (await session.execute(
        select(c.handling_path, c.due_date, func.min(days), func.count(), func.min(share),
               c.accepted_on, pauses)
        .where(stale, share.is_not(None))
        .group_by(c.handling_path, c.due_date, c.accepted_on, pauses))).all()
    cals = CalendarCache(session)
    t = c.__table__
    target = and_(t.c.handling_path == bindparam("b_path"), t.c.due_date == bindparam("b_due"),
                  t.c.watching,
                  or_(t.c.yellow_days.is_(None), t.c.yellow_days != bindparam("b_n"),
                      t.c.yellow_share.is_distinct_from(bindparam("b_s"))))
    values = {"yellow_days": bindparam("b_n"), "yellow_share": bindparam("b_s"),
              "yellow_on": bindparam("b_on")}
    if plain:
        await session.execute(update(t).where(target).values(**values), [
            {"b_path": path, "b_due": due, "b_n": n, "b_s": None,
             "b_on": await cals.yellow_on(path, due, n)} for path, due, n, _ in plain])
    if shared:
        await session.execute(
            update(t).where(target, t.c.accepted_on.is_not_distinct_from(bindparam("b_acc")),
                            cast(t.c.pauses, String) == bindparam("b_pauses"))
            .values(**values),
            [{"b_path": path, "b_due": due, "b_n": n, "b_s": p, "b_acc": acc, "b_pauses": text,
              "b_on": await cals.yellow_on(path, due, n, percent=p, accepted=acc,
                                           pauses=spans(json.loads(text) if text else None))}
             for path, due, n, _, p, acc, text in shared])
    return sum(int(g[3]) for g in (*plain, *shared))


async def _queue_overdue_tickets(session: AsyncSession, today: date, on: Any) -> int:
    """Open 督办 tickets past their deadline, not yet queued for it: queue their overdue notice
    (one UPDATE; ``overdue_on`` marks it done, so a later sweep queues nothing again)."""
    t = SupervisionTicket
    result = await session.execute(
        update(t).where(t.status == "open", t.due_on < today, t.overdue_on.is_(None), on)
        .values(notify_pending=True, notice="overdue", overdue_on=today)
        .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _urge(session: AsyncSession, dialect: str, now: datetime, on: Any) -> int:
    regions = await SettingRegions.load(session, "urge_after_hours")
    cutoff = regions.case(Alert.handling_path,
                          {h: now - timedelta(hours=h) for h in regions.values()})
    due = and_(Alert.status.in_(("raised", "notified")), Alert.cleared_at.is_(None), on,
               func.coalesce(Alert.last_urged_at, Alert.raised_at) <= cutoff)
    entries = select(
        _new_id(dialect, now), Alert.tenant_id, Alert.tenant_path, Alert.id,
        literal(now, DateTime(timezone=True)), literal("system"), literal("urged"), Alert.status,
        Alert.status, cast(Alert.urge_count + 1, String),
    ).where(due)
    await session.execute(_insert(dialect)(AlertEntry).from_select(
        ["id", "tenant_id", "tenant_path", "alert_id", "at", "actor", "action", "from_status",
         "to_status", "note"], entries))
    result = await session.execute(
        update(Alert).where(due).values(urge_count=Alert.urge_count + 1, last_urged_at=now,
                                        notify_pending=True)
        .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def sweep(session: AsyncSession, enabled: EnabledScope, now: datetime,
                progress: Progress | None = None) -> SweepReport:
    """Run the four phases over every tenant where supervision is on (``enabled``)."""
    dialect = session.get_bind().dialect.name
    today = now.astimezone(SHANGHAI).date()

    async def step(done: int, message: str) -> None:
        if progress is not None:
            await progress(done, PHASES, message)

    c = WatchedCase
    cases_on = enabled.clause(c.handling_path)
    recomputed = await recompute_thresholds(session, cases_on)
    await step(1, f"{recomputed} thresholds recomputed")

    open_cases = and_(c.watching, ~c.paused, cases_on)
    common = dict(case_id=c.id, tenant_id=c.tenant_id, tenant_path=c.tenant_path,
                  case_no=c.case_no, handling_path=c.handling_path, handler=c.handler)
    near = await _raise_from(session, dialect, now, today, "near_deadline", c, ref=literal(""),
                             due=c.due_date, where=and_(open_cases, c.yellow_on <= today),
                             **common)
    overdue = await _raise_from(session, dialect, now, today, "overdue", c, ref=literal(""),
                                due=c.due_date, where=and_(open_cases, c.due_date < today),
                                **common)
    statutory = await _raise_from(session, dialect, now, today, "statutory_overdue", c,
                                  ref=literal(""), due=c.statutory_due,
                                  where=and_(open_cases, c.statutory_due < today), **common)
    steps = await _raise_from(session, dialect, now, today, "step_over_limit", c,
                              ref=cast(c.step_seq, String), due=c.step_due,
                              where=and_(open_cases, c.step_seq.is_not(None), c.step_due < today),
                              **common)
    t = SupervisionTicket
    tickets = await _raise_from(
        session, dialect, now, today, "ticket_overdue",
        t.__table__.outerjoin(c.__table__, c.id == t.case_id),
        case_id=t.case_id, tenant_id=t.tenant_id, tenant_path=t.tenant_path, case_no=t.case_no,
        handling_path=t.handling_path, ref=cast(t.id, String), due=t.due_on,
        handler=c.handler,
        where=and_(t.status == "open", t.due_on < today, enabled.clause(t.handling_path)))
    ticket_notices = await _queue_overdue_tickets(session, today, enabled.clause(t.handling_path))
    q = Complaint
    complaints = await _raise_from(
        session, dialect, now, today, "complaint_overdue", q,
        case_id=q.id, tenant_id=q.tenant_id, tenant_path=q.tenant_path,
        case_no=func.coalesce(q.case_no, literal("")), handling_path=q.tenant_path,
        ref=cast(q.id, String), due=q.due_on, handler=literal(None, String),
        where=and_(q.status == "open", q.due_on < today, enabled.clause(q.tenant_path)))
    r = Rating
    rating = dict(case_id=r.case_id, tenant_id=r.tenant_id, tenant_path=r.tenant_path,
                  case_no=r.case_no, handling_path=r.handling_path, ref=cast(r.id, String))
    rated = r.__table__.outerjoin(c.__table__, c.id == r.case_id)
    contact = await _raise_from(
        session, dialect, now, today, "rectification_contact_overdue", rated, due=r.contact_due,
        handler=c.handler, where=and_(r.bad, r.rectification == "verify", r.contact_due < today,
                                      enabled.clause(r.handling_path)), **rating)
    rectify = await _raise_from(
        session, dialect, now, today, "rectification_overdue", rated, due=r.close_due,
        handler=c.handler,
        where=and_(r.bad, r.rectification.in_(("verify", "rectify", "feedback", "callback")),
                   r.close_due < today, enabled.clause(r.handling_path)), **rating)
    await step(2, f"cards raised: {near} near deadline, {overdue} overdue, {statutory} past "
                  f"the statutory limit, {steps} steps over "
                  f"limit, {tickets} supervision tickets overdue, {complaints} complaints "
                  f"overdue, {contact} bad ratings not contacted, {rectify} rectifications "
                  f"overdue")

    urged = await _urge(session, dialect, now, enabled.clause(Alert.handling_path))
    await step(3, f"{urged} cards urged")

    queued = False
    if await session.scalar(select(or_(exists().where(Alert.notify_pending),
                                       exists().where(SupervisionTicket.notify_pending)))):
        root = await ensure_platform_root(session)
        await events.defer(session, NOTIFY_JOB, tenant_id=root.id, tenant_path=root.path,
                           key=NOTIFY_JOB)
        queued = True
    report = SweepReport(today=today, recomputed=recomputed, near_deadline=near, overdue=overdue,
                         statutory_overdue=statutory,
                         step_over_limit=steps, ticket_overdue=tickets,
                         complaint_overdue=complaints, rectification_contact_overdue=contact,
                         rectification_overdue=rectify, urged=urged,
                         ticket_notices=ticket_notices, notify_queued=queued)
    await step(4, f"{report.raised} cards raised, {urged} urged"
                  + (", notifications queued" if queued else ""))
    return report
