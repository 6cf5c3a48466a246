"""The e-supervision services: acting on cards (签收, 情况说明, 纠正, 办结) and supervising cases
(督办: a ticket is queued to be sent to people when opened, and its history kept).

Every function loads through the principal's scope (``alert.not_found`` / ``case.not_found``
for "does not exist" and "not yours" alike), checks the permission at the case's tenant
(``alert:act`` for the staff answering a card, ``alert:supervise`` for supervisors), checks the
card's state (``lifecycle.ACTIONS``), changes it, writes the card's history, and announces
the fact. Functions flush; the caller commits, so a refused action leaves nothing written.
No litestar, no strawberry here.

Who may act follows the tenant tree: a grant at a county covers its townships and villages,
so a county supervisor acts on its townships' cards and a township's never on a sibling's.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock, events
from zhengwu.core.calendar.service import load_calendar
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.supervision.lifecycle import ACTIONS, STATES
from zhengwu.plugins.supervision.models import (
    Alert,
    AlertEntry,
    SupervisionTicket,
    TicketEntry,
    WatchedCase,
)
from zhengwu.plugins.supervision.projection import NOTIFY_JOB, settings_at

__all__ = [
    "EVENTS",
    "acknowledge_alert",
    "act_on_alert",
    "close_alert",
    "close_ticket",
    "correct_alert",
    "explain_alert",
    "get_alert",
    "get_ticket",
    "require",
    "supervise_case",
]

EVENTS = ("supervision.alert_acknowledged", "supervision.alert_explained",
          "supervision.alert_corrected", "supervision.alert_closed", "supervision.case_supervised",
          "supervision.ticket_closed")
"""Facts supervision announces (payload: ids, case number, card reason and colour). Cards
raised by the sweep are not announced one by one (the sweep is set-based)."""


def require(principal: Principal, action: str, path: str) -> None:
    if not can(principal, action, Resource("alert", path)):
        raise PermissionDenied(f"alert:{action}", path)


def _key(value: uuid.UUID | str, kind: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(kind, value) from None


def _text(value: str | None, field: str, zh: str, en: str, max_len: int = 2000) -> str:
    text = (value or "").strip()
    if not text or len(text) > max_len:
        raise Invalid(f"alert.{field}_required", f"{zh}不能为空（不超过{max_len}字）",
                      f"{en} is required (at most {max_len} characters)", field=field)
    return text


async def get_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID | str, *,
                    for_update: bool = False) -> Alert:
    """The card if it lies in the principal's scope and the principal may read cards there."""
    if principal.is_anonymous:
        raise NotFound("alert", alert_id)
    q = select(Alert).where(Alert.id == _key(alert_id, "alert"),
                            subtree_clause(Alert.tenant_path, principal.acting_path))
    if for_update:
        q = q.with_for_update()
    alert = await session.scalar(q)
    if alert is None:
        raise NotFound("alert", alert_id)
    require(principal, "read", alert.tenant_path)
    return alert


def _entry(alert: Alert, principal: Principal, action: str, before: str | None,
           note: str | None = None, data: dict[str, Any] | None = None) -> AlertEntry:
    return AlertEntry(alert_id=alert.id, tenant_id=alert.tenant_id, tenant_path=alert.tenant_path,
                      at=clock.now(), actor=principal.username, action=action, from_status=before,
                      to_status=alert.status, note=note, data=data)


def _payload(alert: Alert, **extra: Any) -> dict[str, Any]:
    return {"alert_id": str(alert.id), "case_id": str(alert.case_id), "case_no": alert.case_no,
            "colour": alert.colour, "kind": alert.kind, "reason": alert.reason,
            "status": alert.status, "handling_path": alert.handling_path, **extra}


async def act_on_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID | str,
                       action: str, text: str | None = None) -> Alert:
    """Move a card along its lifecycle (``lifecycle.ACTIONS``)."""
    step = ACTIONS[action]
    alert = await get_alert(session, principal, alert_id, for_update=True)
    require(principal, step.permission, alert.tenant_path)
    if alert.status not in step.from_states:
        allowed = "、".join(STATES[s] for s in sorted(step.from_states))
        raise Conflict("alert.transition_not_allowed",
                       f"预警当前为“{STATES[alert.status]}”，不能{step.title_zh}（仅限：{allowed}）",
                       f"the alert is {alert.status}: cannot {action} "
                       f"(allowed from: {', '.join(sorted(step.from_states))})",
                       field="status", status=alert.status, action=action)
    if step.needs_text:
        what = {"explain": ("情况说明", "an explanation"), "correct": ("纠正情况", "the correction")}
        zh, en = what[action]
        text = _text(text, "text", zh, en)
    elif text is not None:
        text = text.strip()[:2000] or None
    now, who = clock.now(), principal.username
    before = alert.status
    alert.status = step.to_state
    if action == "acknowledge":
        alert.acknowledged_at, alert.acknowledged_by = now, who
        alert.notify_pending = False  # acknowledged: no more reminders
    elif action == "explain":
        alert.explanation, alert.explained_at, alert.explained_by = text, now, who
    elif action == "correct":
        alert.correction, alert.corrected_at, alert.corrected_by = text, now, who
    elif action == "close":
        alert.close_note, alert.closed_at, alert.closed_by = text, now, who
    session.add(_entry(alert, principal, action, before, text))
    await session.flush()
    await events.publish(session, f"supervision.alert_{step.to_state}", alert.tenant_id,
                         alert.tenant_path, _payload(alert), who)
    return alert


async def acknowledge_alert(session: AsyncSession, principal: Principal,
                            alert_id: uuid.UUID | str, note: str | None = None) -> Alert:
    """签收: the responsible staff has seen the card (no more automatic reminders)."""
    return await act_on_alert(session, principal, alert_id, "acknowledge", note)


async def explain_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID | str,
                        explanation: str) -> Alert:
    """情况说明: why it happened (e.g. 容缺受理 on the applicant's commitment)."""
    return await act_on_alert(session, principal, alert_id, "explain", explanation)


async def correct_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID | str,
                        correction: str) -> Alert:
    """纠正: what was put right (the fee refunded, the step done …)."""
    return await act_on_alert(session, principal, alert_id, "correct", correction)


async def close_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID | str,
                      note: str | None = None) -> Alert:
    """办结: a supervisor accepts the explanation or the correction."""
    return await act_on_alert(session, principal, alert_id, "close", note)


# ---------------------------------------------------------------------------- 督办

async def _watched(session: AsyncSession, principal: Principal, case_no: str) -> WatchedCase:
    row = await session.scalar(select(WatchedCase).where(
        WatchedCase.case_no == case_no.strip(),
        subtree_clause(WatchedCase.tenant_path, principal.acting_path)))
    if row is None:
        raise NotFound("case", case_no)
    return row


async def supervise_case(session: AsyncSession, principal: Principal, *, instructions: str,
                         case_no: str | None = None, alert_id: uuid.UUID | str | None = None,
                         days: int | None = None) -> SupervisionTicket:
    """督办: open a ticket on a case (by its number, or through one of its cards) with its own
    deadline — ``days`` working days from today on the handling tenant's calendar (default:
    the ``supervision_days`` setting). A ticket past its deadline raises a red card."""
    if principal.is_anonymous:
        raise NotFound("case", case_no or alert_id)
    alert = None
    if alert_id is not None:
        alert = await get_alert(session, principal, alert_id, for_update=True)
        row = await session.get(WatchedCase, alert.case_id)
        if row is None:
            raise NotFound("case", alert.case_no)
    elif case_no:
        row = await _watched(session, principal, case_no)
    else:
        raise Invalid("supervision.case_required", "请指定办件编号或预警",
                      "name the case (its number) or one of its alerts", field="caseNo")
    require(principal, "supervise", row.tenant_path)
    text = _text(instructions, "instructions", "督办要求", "the instructions")
    if days is None:
        days = (await settings_at(session, row.handling_path)).supervision_days
    if not 1 <= days <= 60:
        raise Invalid("supervision.days", "督办期限须在 1–60 个工作日之间",
                      "a supervision ticket's deadline is 1–60 working days", field="days")
    today = clock.today_shanghai()
    cal = await load_calendar(session, row.handling_path, range(today.year, today.year + 2))
    ticket = SupervisionTicket(
        tenant_id=row.tenant_id, tenant_path=row.tenant_path, case_id=row.id, case_no=row.case_no,
        handling_path=row.handling_path, alert_id=alert.id if alert else None,
        instructions=text, opened_by=principal.username, opened_at=clock.now(), opened_on=today,
        days=days, due_on=cal.add_working_days(today, days).due, status="open",
        notify_pending=True, notice="opened")
    session.add(ticket)
    await session.flush()
    session.add(_ticket_entry(ticket, principal.username, "opened", text,
                              {"due_on": ticket.due_on.isoformat(), "days": days}))
    # sent to the handling tenant's supervisors and the responsible clerk by the notify job,
    # deferred through the outbox: a ticket whose transaction rolls back is never sent
    await events.defer(session, NOTIFY_JOB, tenant_id=ticket.tenant_id,
                       tenant_path=ticket.tenant_path, key=NOTIFY_JOB)
    if alert is not None:
        session.add(_entry(alert, principal, "supervised", alert.status, text,
                           {"ticket_id": str(ticket.id), "due_on": ticket.due_on.isoformat()}))
    await session.flush()
    await events.publish(session, "supervision.case_supervised", row.tenant_id, row.tenant_path,
                         {"ticket_id": str(ticket.id), "case_id": str(row.id),
                          "case_no": row.case_no, "due_on": ticket.due_on.isoformat(),
                          "alert_id": str(alert.id) if alert else None}, principal.username)
    return ticket


def _ticket_entry(ticket: SupervisionTicket, actor: str, action: str, note: str | None = None,
                  data: dict[str, Any] | None = None) -> TicketEntry:
    return TicketEntry(ticket_id=ticket.id, tenant_id=ticket.tenant_id,
                       tenant_path=ticket.tenant_path, at=clock.now(), actor=actor,
                       action=action, note=note, data=data)


async def get_ticket(session: AsyncSession, principal: Principal,
                     ticket_id: uuid.UUID | str) -> SupervisionTicket:
    if principal.is_anonymous:
        raise NotFound("supervision_ticket", ticket_id)
    ticket = await session.scalar(select(SupervisionTicket).where(
        SupervisionTicket.id == _key(ticket_id, "supervision_ticket"),
        subtree_clause(SupervisionTicket.tenant_path, principal.acting_path)))
    if ticket is None:
        raise NotFound("supervision_ticket", ticket_id)
    require(principal, "read", ticket.tenant_path)
    return ticket


async def close_ticket(session: AsyncSession, principal: Principal, ticket_id: uuid.UUID | str,
                       result: str) -> SupervisionTicket:
    """Close a 督办 ticket with its result (a supervisor's act)."""
    ticket = await get_ticket(session, principal, ticket_id)
    require(principal, "supervise", ticket.tenant_path)
    if ticket.status != "open":
        raise Conflict("supervision.ticket_closed", "督办单已办结", "the ticket is already closed",
                       field="ticketId")
    ticket.result = _text(result, "result", "督办结果", "the result")
    ticket.status, ticket.closed_at, ticket.closed_by = "closed", clock.now(), principal.username
    ticket.notify_pending = False  # closed: a notice not sent yet has nothing left to ask for
    session.add(_ticket_entry(ticket, principal.username, "closed", ticket.result))
    await session.flush()
    await events.publish(session, "supervision.ticket_closed", ticket.tenant_id, ticket.tenant_path,
                         {"ticket_id": str(ticket.id), "case_id": str(ticket.case_id),
                          "case_no": ticket.case_no}, principal.username)
    return ticket
