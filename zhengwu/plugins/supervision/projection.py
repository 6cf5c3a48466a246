"""Supervision's view of intake's cases, kept from intake's events, and the cards events raise.

Intake announces every fact of a case's life (``intake.case_accepted``, ``intake.step_started``,
``intake.deadline_changed`` …) inside the transaction that made it true; ``on_intake_event``
runs in that transaction, so the projection (``WatchedCase``) and any card commit or roll back
with the fact. This module never imports intake: it reads event payloads (ids, case number,
status, handling tenant, dates; never personal data).

What the events do here:

* acceptance brings a case in (a submission is not watched); every later event brings the row
  up to date (status, due date, handling tenant, the last actor);
* acceptance starts the watch; a decision, delivery, withdrawal or refusal ends it;
* suspension and a supplement request after acceptance pause it (no deadline card while
  paused); resumption ends the pause, recomputes the step's due date without the paused days
  and re-assesses the cards at once;
* the statutory due date (``statutory_due``, 法定时限) rides along every payload; past it a
  second, escalated red card ``statutory_overdue`` stands beside ``overdue`` (sent to the
  supervisors of the tier above as well, see ``notify``), raised at once by a re-assessment or
  a decision made after it, and by the sweep;
* a changed due date recomputes ``yellow_on`` and re-assesses at once: a card that no longer
  applies is cleared, one that now applies is raised (the sweep would raise it later anyway);
* irregularities are red cards at once: acceptance with a required material missing, an in-hall
  item accepted through a channel outside the hall, a decision with steps skipped, a late
  decision, a fee above the standard.

The projection is kept wherever intake runs (so enabling supervision later finds the open
cases); thresholds are computed and cards raised only where supervision is enabled at the
handling tenant (elsewhere ``yellow_days`` stays NULL and the first sweep after enabling
computes it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import events
from zhengwu.core.calendar.service import load_calendar
from zhengwu.core.clock import SHANGHAI
from zhengwu.core.db import new_id
from zhengwu.core.errors import Invalid
from zhengwu.core.plugin_api import Event
from zhengwu.plugins.supervision.lifecycle import REASONS
from zhengwu.plugins.supervision.models import (
    Alert,
    AlertEntry,
    SupervisionFee,
    SupervisionTicket,
    WatchedCase,
)
from zhengwu.plugins.supervision.settings import SupervisionSettings
from zhengwu.plugins.supervision.thresholds import spans, yellow_day
from zhengwu.tenants import enablement
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant

__all__ = ["NOTIFY_JOB", "PLUGIN", "clear_cards", "is_enabled", "on_intake_event",
           "on_tenant_merged", "raise_card", "reassess", "settings_at"]

PLUGIN = "supervision"
NOTIFY_JOB = "supervision.notify"
_DEADLINE_REASONS = ("near_deadline", "overdue", "statutory_overdue", "step_over_limit")
_ENDS_WATCH = {"case_decided", "case_delivered", "case_withdrawn", "case_not_accepted"}
_CLOCKED = frozenset({"accepted", "in_review"})
_STARTS_ROW = frozenset({"case_accepted", "case_decided", "fee_charged"})
"""Events that bring a case into the projection; before acceptance nothing is watched, and
the other events of a case never seen (accepted before supervision was installed) are
ignored, except a decision and a fee (their irregularities need no history)."""
_REASSESS = {"case_accepted", "deadline_changed", "case_resumed", "supplement_received",
             "case_extended", "step_started"}


def _day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def is_enabled(session: AsyncSession, path: str) -> bool:
    """Whether supervision is switched on at ``path`` (the cascade of the plugin switch)."""
    try:
        scope = await enablement.enabled_scope(session, PLUGIN)
    except Invalid:  # not installed in this process (a tool that loaded other plugins)
        return False
    return scope.is_enabled(path)


async def settings_at(session: AsyncSession, path: str) -> SupervisionSettings:
    """The effective supervision settings of the tenant at ``path`` (defaults if unknown)."""
    tenant = await session.scalar(select(Tenant).where(Tenant.path == path))
    if tenant is None:
        return SupervisionSettings()
    return await tenant_settings.resolve(session, tenant, SupervisionSettings)


# ---------------------------------------------------------------------------- cards

async def raise_card(session: AsyncSession, row: WatchedCase, reason: str, at: datetime, *,
                     ref: str = "", due: date | None = None,
                     detail: dict[str, Any] | None = None) -> bool:
    """Raise a card on the case unless the same one stands already; True if raised."""
    r = REASONS[reason]
    stmt = _insert(session)(Alert).values(
        id=new_id(), tenant_id=row.tenant_id, tenant_path=row.tenant_path, case_id=row.id,
        case_no=row.case_no, handling_path=row.handling_path, colour=r.colour, kind=r.kind,
        reason=reason, ref=ref, due_date=due, detail=detail, status="raised", handler=row.handler,
        raised_at=at, raised_on=_day(at), notify_pending=True, urge_count=0,
    ).on_conflict_do_nothing()
    raised = bool((await session.execute(stmt)).rowcount == 1)  # type: ignore[attr-defined]
    if raised:
        await events.defer(session, NOTIFY_JOB, tenant_id=row.tenant_id,
                           tenant_path=row.tenant_path, key=NOTIFY_JOB)
    return raised


async def clear_cards(session: AsyncSession, case_id: uuid.UUID, reasons: Iterable[str],
                      at: datetime, why: str, *, ref: Any = None) -> int:
    """Clear the live (not closed) cards of ``reasons`` on the case: they no longer apply
    (``ref``: only the card about that — a string, or an SQL expression)."""
    q = select(Alert).where(Alert.case_id == case_id, Alert.reason.in_(list(reasons)),
                            Alert.cleared_at.is_(None), Alert.status != "closed")
    if ref is not None:
        q = q.where(Alert.ref == ref)
    cleared = 0
    for alert in (await session.scalars(q)).all():
        if alert.cleared_at is not None:
            continue  # cleared by an earlier event of this transaction, not flushed yet
        session.add(AlertEntry(alert_id=alert.id, tenant_id=alert.tenant_id,
                               tenant_path=alert.tenant_path, at=at, actor="system",
                               action="cleared", from_status=alert.status, to_status="cleared",
                               note=why))
        alert.status, alert.cleared_at, alert.cleared_reason = "cleared", at, why[:300]
        alert.notify_pending = False
        cleared += 1
    if cleared:
        await session.flush()  # the key is free now: a card raised later in the transaction
    return cleared             # must not conflict with the row as the database still has it


async def reassess(session: AsyncSession, row: WatchedCase, at: datetime, why: str, *,
                   fresh: bool = False) -> None:
    """Bring the case's deadline and step cards in line with its dates, at once (``fresh``: the
    case has just come into the projection, so it has no card to clear)."""
    if not row.watching or row.paused:
        return  # paused time never counts: a paused case raises no deadline card
    day = _day(at)
    want = {
        "near_deadline": row.yellow_on is not None and day >= row.yellow_on,
        "overdue": row.due_date is not None and day > row.due_date,
        "statutory_overdue": row.statutory_due is not None and day > row.statutory_due,
    }
    step = str(row.step_seq) if row.step_seq is not None else None
    over = step is not None and row.step_due is not None and day > row.step_due
    gone = [reason for reason, on in want.items() if not on]
    if gone and not fresh:
        await clear_cards(session, row.id, gone, at, why)
    if step is not None and not over and not fresh:
        await clear_cards(session, row.id, ["step_over_limit"], at, why, ref=step)
    if want["near_deadline"]:
        await raise_card(session, row, "near_deadline", at, due=row.due_date)
    if want["overdue"]:
        await raise_card(session, row, "overdue", at, due=row.due_date)
    if want["statutory_overdue"]:
        await raise_card(session, row, "statutory_overdue", at, due=row.statutory_due)
    if over and step is not None:
        await raise_card(session, row, "step_over_limit", at, ref=step, due=row.step_due,
                         detail={"step": row.step_name})


# ------------------------------------------------------------------------ projection

def _refresh(row: WatchedCase, event: Event, name: str) -> None:
    p = event.payload
    row.case_no = p.get("case_no") or row.case_no
    row.handling_path = p.get("handling_path") or row.handling_path
    for key in ("basic_code", "channel", "case_type", "status"):
        if p.get(key) is not None:
            setattr(row, key, p[key])
    if p.get("window_id"):
        row.window_id = uuid.UUID(str(p["window_id"]))
    if p.get("department_name"):
        row.department_name = str(p["department_name"])[:200]
    if "statutory_due" in p:  # intake's payloads carry it (NULL: the item has no statutory limit)
        row.statutory_due = _date(p["statutory_due"])
    if "parent_id" in p:
        row.parent_id = uuid.UUID(p["parent_id"]) if p["parent_id"] else None
    if "parts" in p:
        row.is_parallel = True  # a parallel approval's parent: its parts carry the clocks
    if name != "deadline_changed":
        row.handler = event.actor
    row.last_event, row.last_event_at = name, event.occurred_at


async def _load(session: AsyncSession, event: Event, name: str) -> WatchedCase | None:
    p = event.payload
    try:
        case_id = uuid.UUID(str(p["case_id"]))
    except (KeyError, ValueError):
        return None
    row = await session.get(WatchedCase, case_id)
    if row is None and name in _STARTS_ROW:
        row = WatchedCase(id=case_id, tenant_id=event.tenant_id, tenant_path=event.tenant_path,
                          case_no=p.get("case_no") or str(case_id),
                          handling_path=p.get("handling_path") or event.tenant_path,
                          status=p.get("status") or "submitted", watching=False, paused=False,
                          is_parallel=False, pauses=[])
        session.add(row)
    return row


def _end_pause(row: WatchedCase, day: date) -> None:
    """The pause covered its first day through the day before the clock resumed (intake's
    convention); one started and ended the same day covers nothing."""
    if row.paused_since is not None and row.paused_since < day:
        row.pauses = [*row.pauses, [row.paused_since.isoformat(),
                                    date.fromordinal(day.toordinal() - 1).isoformat()]]
    row.paused, row.paused_since = False, None


async def _step_due(session: AsyncSession, row: WatchedCase) -> date | None:
    if row.step_started_on is None or row.step_limit is None:
        return row.step_due
    start = row.step_started_on
    cal = await load_calendar(session, row.handling_path, range(start.year, start.year + 3))
    return cal.add_working_days(start, row.step_limit, list(spans(row.pauses))).due


async def _set_due(session: AsyncSession, row: WatchedCase, due: date | None,
                   cfg: SupervisionSettings | None, *, paused_more: bool = False) -> None:
    """A new due date (or a pause just ended, ``paused_more``: the share-of-limit rule does not
    count it): ``yellow_on`` follows where supervision is on (else the sweep's job)."""
    changed = due != row.due_date or paused_more
    row.due_date = due
    if due is None:
        row.yellow_on = row.yellow_days = row.yellow_share = None
        return
    if cfg is None:
        if changed:
            row.yellow_days = None  # computed by the first sweep where supervision is on
        return
    share = cfg.yellow_share_percent
    if (changed or row.yellow_days != cfg.yellow_days or row.yellow_share != share
            or row.yellow_on is None):
        first = min(due.year, row.accepted_on.year if row.accepted_on else due.year)
        cal = await load_calendar(session, row.handling_path, range(first - 1, due.year + 1))
        row.yellow_on = yellow_day(cal, due, cfg.yellow_days, percent=share,
                                   accepted=row.accepted_on, pauses=spans(row.pauses))
        row.yellow_days, row.yellow_share = cfg.yellow_days, share


async def on_intake_event(event: Event, session: AsyncSession) -> None:
    """Keep the projection of the case named by ``event`` and raise or clear its cards."""
    name = event.name.removeprefix("intake.")
    if name == "case_submitted":
        return  # nothing to watch before acceptance (and intake's P5 path stays short)
    row = await _load(session, event, name)  # (autoflush: a row added by an earlier event of
    if row is None:                            # this transaction is found, not made twice)
        return
    # Our other reads (switch, settings, calendar, cards) never depend on the row being
    # written: no autoflush, so a new row is one INSERT with its final values.
    with session.no_autoflush:
        await _apply(session, row, event, name)


async def _apply(session: AsyncSession, row: WatchedCase, event: Event, name: str) -> None:
    fresh = row in session.new
    p, at, day = event.payload, event.occurred_at, _day(event.occurred_at)
    paused_more = False
    _refresh(row, event, name)
    if name == "fee_charged" and isinstance(p.get("amount_cents"), int):  # for the daily summary
        session.add(SupervisionFee(case_id=row.id, tenant_id=row.tenant_id,
                                   tenant_path=row.tenant_path, fee_seq=p.get("fee_seq"),
                                   amount_cents=p["amount_cents"], charged_on=day))
    if row.is_parallel:
        row.watching = False  # the parts are watched, each on its own clock
        return
    on = await is_enabled(session, row.handling_path)
    cfg = await settings_at(session, row.handling_path) if on else None
    if name == "case_accepted":
        # an instant item (即办件) is announced accepted and decided at once: never watched
        row.watching = row.status in _CLOCKED
        row.accepted_on, row.accepted_by, row.closed_on = day, event.actor, None
    elif name == "supplement_requested":
        if row.watching and not row.paused:
            row.paused, row.paused_since = True, day
    elif name in ("supplement_received", "case_resumed"):
        if row.paused:
            before = len(row.pauses)
            _end_pause(row, day)
            paused_more = len(row.pauses) != before
            row.step_due = await _step_due(session, row)
    elif name == "case_suspended":
        row.paused, row.paused_since = True, day
    elif name == "step_started":
        row.step_seq, row.step_name = p.get("seq"), p.get("step")
        row.step_started_on, row.step_limit = day, p.get("step_limit")
        row.step_due = _date(p.get("step_due"))
    elif name == "step_finished":
        if p.get("over_limit") and on and p.get("seq") is not None:
            await raise_card(session, row, "step_over_limit", at, ref=str(p["seq"]),
                             due=row.step_due if row.step_seq == p["seq"] else None,
                             detail={"step": p.get("step")})
        if row.step_seq == p.get("seq"):
            row.step_seq = row.step_name = row.step_started_on = None
            row.step_limit = row.step_due = None
    elif name == "case_decided":
        row.decided_on, row.on_time = day, p.get("on_time")
    if name in _ENDS_WATCH:
        row.watching, row.paused, row.paused_since = False, False, None
        row.step_seq = row.step_name = row.step_started_on = row.step_limit = row.step_due = None
        row.closed_on = row.closed_on or day
    due = _date(p["to"]) if name == "deadline_changed" else (
        _date(p["due_date"]) if "due_date" in p else row.due_date)
    await _set_due(session, row, due, cfg, paused_more=paused_more)
    if not on:
        return
    assert cfg is not None
    await _irregularities(session, row, name, p, at, cfg)
    if name in _REASSESS:
        why = {"deadline_changed": f"期限变更：{p.get('from')} → {p.get('to')}（{p.get('reason', '')}）",
               "case_resumed": "恢复计时", "supplement_received": "补正后恢复计时",
               "case_extended": "批准延期"}.get(name, name)
        await reassess(session, row, at, why, fresh=fresh)


async def _irregularities(session: AsyncSession, row: WatchedCase, name: str,
                          p: dict[str, Any] | Any, at: datetime, cfg: SupervisionSettings) -> None:
    if name == "case_accepted":
        missing = list(p.get("missing_required") or ())
        if missing:
            await raise_card(session, row, "missing_required", at,
                             detail={"materials": missing, "tolerated": bool(p.get("tolerated"))})
        channel = p.get("channel")
        if p.get("item_in_hall") and channel and channel not in cfg.hall_channels:
            await raise_card(session, row, "outside_hall", at, detail={"channel": channel})
    elif name == "case_decided":
        skipped = list(p.get("skipped_steps") or ())
        if skipped:
            await raise_card(session, row, "skipped_steps", at, detail={"steps": skipped})
        if p.get("on_time") is False:
            await raise_card(session, row, "overdue", at, due=row.due_date)
        if row.statutory_due is not None and _day(at) > row.statutory_due:
            await raise_card(session, row, "statutory_overdue", at, due=row.statutory_due)
    elif name == "fee_charged":
        amount, standard = p.get("amount_cents"), p.get("standard_cents")
        if isinstance(amount, int) and isinstance(standard, int) and amount > standard:
            await raise_card(session, row, "fee_above_standard", at, ref=str(p.get("fee_seq", "")),
                             detail={"amount_cents": amount, "standard_cents": standard})


async def on_tenant_merged(event: Event, session: AsyncSession) -> None:
    """撤并: the core re-paths ``tenant_path``; the handling paths are ours to follow."""
    source = await session.scalar(select(Tenant).where(Tenant.code == event.payload["source"]))
    target = await session.scalar(select(Tenant).where(Tenant.code == event.payload["target"]))
    if source is None or target is None:
        return
    old, new = source.path, target.path
    for model in (WatchedCase, Alert, SupervisionTicket):
        col = model.handling_path
        await session.execute(update(model).where(col == old).values(handling_path=new))
        await session.execute(
            update(model).where(col >= old + "/", col < old + "0")
            .values(handling_path=new + "/" + func.substr(col, len(old) + 2)))
