"""Sending cards to people: the notification adapter and the job that feeds it.

A card goes to the member of staff who acted on the case last (the responsible clerk or
approver), to the head of the window the case came in through (the projection keeps intake's
``window_id``; the head is the window's chief representative, 首席代表, or failing an active
one its post holder, A岗) and to the supervisors of the handling tenant and every tier above it
(users holding the ``supervisor`` role by a grant that covers the handling tenant). An
escalated card (``lifecycle.ESCALATED``: past the statutory limit) goes in addition to the
supervisors of the tier directly above the handling tenant whose grant is on that tenant
alone (not its subtree) — the superior organ is told, not only those watching the subtree.
``Notifier`` is the one small protocol an SMS, mail or instant-message adapter implements;
``LoggingNotifier`` (the default) writes one log line per card. Never personal data: a card
names a case number, a reason and usernames.

``notify_pending`` sends every card waiting to be sent (raised, or urged again) in batches and
marks them notified, with a ``notified`` entry naming the recipients in each card's history;
then every 督办 ticket waiting to be sent (``notify_tickets``: opened, or found overdue by the
sweep) to the supervisors of its handling tenant and above and the responsible member of staff,
with a ``notified`` entry in the ticket's history (``supervision_ticket_actions``).
It runs as the ``supervision.notify`` job, deferred through the outbox by whatever raised or
urged a card, so a card raised in a transaction that rolls back is never sent. Delivery is at
least once: a batch sent just before a crash is sent again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from zhengwu.core.security.models import Grant, User
from zhengwu.plugins.supervision.lifecycle import ESCALATED, REASONS
from zhengwu.plugins.supervision.models import (
    Alert,
    AlertEntry,
    SupervisionTicket,
    TicketEntry,
    WatchedCase,
)
from zhengwu.tenants.models import Window
from zhengwu.tenants.scope import ancestor_paths

__all__ = ["TICKET_NOTICES", "LoggingNotifier", "Notification", "Notifier", "current_notifier",
           "notify_pending", "notify_tickets", "use_notifier"]

log = logging.getLogger("zhengwu.supervision.notify")
BATCH = 500
SUPERVISOR_ROLE = "supervisor"


@dataclass(frozen=True)
class Notification:
    """One card — or one 督办 ticket (``ticket_id`` set, ``alert_id`` None, ``reason``
    ``ticket_opened`` or ``ticket_overdue``) — for its recipients (usernames)."""

    alert_id: uuid.UUID | None
    case_no: str
    colour: str
    reason: str
    title_zh: str
    tenant_path: str
    handling_path: str
    due_date: date | None
    urge_count: int
    recipients: tuple[str, ...]
    ticket_id: uuid.UUID | None = None

    @property
    def is_ticket(self) -> bool:
        return self.ticket_id is not None


TICKET_NOTICES = {"opened": ("ticket_opened", "督办", ""),
                  "overdue": ("ticket_overdue", "督办逾期", "red")}
"""A ticket's notice → (reason, Chinese title, colour) of its notification."""


@runtime_checkable
class Notifier(Protocol):
    """Where notifications go (SMS gateway, mail, the government IM …)."""

    async def send(self, notifications: Sequence[Notification]) -> None: ...


class LoggingNotifier:
    """The default adapter: one log line per card on ``zhengwu.supervision.notify``."""

    async def send(self, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if n.is_ticket:
                log.info("%s 办件 %s（期限 %s）→ %s", n.title_zh, n.case_no,
                         n.due_date.isoformat() if n.due_date else "—",
                         ", ".join(n.recipients) or "(无接收人)")
                continue
            colour = "黄牌" if n.colour == "yellow" else "红牌"
            urge = f"（第{n.urge_count}次催办）" if n.urge_count else ""
            log.info("预警%s %s 办件 %s：%s%s → %s", urge, colour, n.case_no, n.title_zh,
                     f"（期限 {n.due_date.isoformat()}）" if n.due_date else "",
                     ", ".join(n.recipients) or "(无接收人)")


_notifier: Notifier = LoggingNotifier()


def current_notifier() -> Notifier:
    return _notifier


def use_notifier(notifier: Notifier) -> Notifier:
    """Install ``notifier`` for this process; returns the previous one (tests, adapters)."""
    global _notifier
    previous, _notifier = _notifier, notifier
    return previous


async def _supervisors(session: AsyncSession, paths: set[str]) -> dict[str, list[str]]:
    """Handling path → usernames of the supervisors whose grant covers it."""
    chains = {p: [*ancestor_paths(p), p] for p in paths}
    wanted = {c for chain in chains.values() for c in chain}
    rows = (await session.execute(
        select(User.username, Grant.tenant_path, Grant.subtree)
        .join(User, User.id == Grant.user_id)
        .where(Grant.role == SUPERVISOR_ROLE, Grant.tenant_path.in_(sorted(wanted)),
               User.is_active))).all()
    out: dict[str, list[str]] = {}
    for path, chain in chains.items():
        out[path] = sorted({u for u, at, subtree in rows
                            if at == path or (subtree and at in chain)})
    return out


async def _escalation(session: AsyncSession, paths: set[str]) -> dict[str, list[str]]:
    """Handling path → usernames of the supervisors granted at the tenant directly above it
    (any reach of the grant): the superior organ an escalated card is also sent to."""
    parents = {p: ancestor_paths(p)[-1] for p in paths if ancestor_paths(p)}
    if not parents:
        return {}
    rows = (await session.execute(
        select(User.username, Grant.tenant_path).join(User, User.id == Grant.user_id)
        .where(Grant.role == SUPERVISOR_ROLE, Grant.tenant_path.in_(sorted(set(parents.values()))),
               User.is_active))).all()
    return {p: sorted({u for u, at in rows if at == parent}) for p, parent in parents.items()}


async def _window_heads(session: AsyncSession, case_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Case id → username of the head of the window it came in through (one statement): the
    chief representative (首席代表) if active, else the post holder (A岗) if active."""
    if not case_ids:
        return {}
    chief, holder = aliased(User), aliased(User)
    rows = (await session.execute(
        select(WatchedCase.id, chief.username, chief.is_active, holder.username, holder.is_active)
        .join(Window, Window.id == WatchedCase.window_id)
        .outerjoin(chief, chief.id == Window.chief_representative_id)
        .outerjoin(holder, holder.id == Window.holder_id)
        .where(WatchedCase.id.in_(sorted(case_ids))))).all()
    out: dict[uuid.UUID, str] = {}
    for case_id, chief_name, chief_active, holder_name, holder_active in rows:
        if chief_name and chief_active:
            out[case_id] = chief_name
        elif holder_name and holder_active:
            out[case_id] = holder_name
    return out


async def notify_pending(session: AsyncSession, now: datetime, *,
                         notifier: Notifier | None = None, batch: int = BATCH) -> int:
    """Send every card waiting to be sent, then every 督办 ticket (``notify_tickets``); returns
    how many cards. The caller commits."""
    notifier = notifier or _notifier
    sent = await _notify_cards(session, now, notifier, batch)
    await notify_tickets(session, now, notifier=notifier, batch=batch)
    return sent


async def notify_tickets(session: AsyncSession, now: datetime, *,
                         notifier: Notifier | None = None, batch: int = BATCH) -> int:
    """Send every 督办 ticket waiting to be sent — opened, or fallen overdue — to the
    supervisors whose grant covers its handling tenant and to the case's responsible member of
    staff (the projection's last actor), if known; mark it sent with a ``notified`` entry in
    its history naming the recipients. Returns how many. The caller commits."""
    notifier = notifier or _notifier
    sent, last = 0, None
    while True:
        q = (select(SupervisionTicket, WatchedCase.handler)
             .outerjoin(WatchedCase, WatchedCase.id == SupervisionTicket.case_id)
             .where(SupervisionTicket.notify_pending).order_by(SupervisionTicket.id).limit(batch)
             .execution_options(populate_existing=True))  # the sweep's UPDATE bypasses the ORM
        if last is not None:
            q = q.where(SupervisionTicket.id > last)
        rows = [(t, handler) for t, handler in (await session.execute(q)).all()]
        if not rows:
            break
        supervisors = await _supervisors(session, {t.handling_path for t, _ in rows})
        out = []
        for t, handler in rows:
            reason, title, colour = TICKET_NOTICES[t.notice or "opened"]
            people = ([handler] if handler else []) + supervisors.get(t.handling_path, [])
            out.append(Notification(
                alert_id=None, ticket_id=t.id, case_no=t.case_no, colour=colour, reason=reason,
                title_zh=title, tenant_path=t.tenant_path, handling_path=t.handling_path,
                due_date=t.due_on, urge_count=0, recipients=tuple(dict.fromkeys(people))))
        await notifier.send(out)
        session.add_all(TicketEntry(ticket_id=t.id, tenant_id=t.tenant_id,
                                    tenant_path=t.tenant_path, at=now, actor="system",
                                    action="notified", note=t.notice,
                                    data={"recipients": list(n.recipients), "notice": t.notice})
                        for (t, _), n in zip(rows, out, strict=True))
        for t, _ in rows:
            t.notify_pending, t.notified_at = False, now
        await session.flush()
        sent += len(rows)
        last = rows[-1][0].id
        if len(rows) < batch:
            break
    return sent


async def _notify_cards(session: AsyncSession, now: datetime, notifier: Notifier,
                        batch: int) -> int:
    sent, last = 0, None
    while True:
        q = (select(Alert).where(Alert.notify_pending).order_by(Alert.id).limit(batch)
             .execution_options(populate_existing=True))  # the sweep's UPDATEs bypass the ORM
        if last is not None:
            q = q.where(Alert.id > last)
        alerts = list((await session.scalars(q)).all())
        if not alerts:
            break
        supervisors = await _supervisors(session, {a.handling_path for a in alerts})
        heads = await _window_heads(session, {a.case_id for a in alerts})
        above = await _escalation(session, {a.handling_path for a in alerts
                                            if a.reason in ESCALATED})
        out = []
        for a in alerts:
            head = heads.get(a.case_id)
            people = (([a.handler] if a.handler else []) + ([head] if head else [])
                      + supervisors.get(a.handling_path, [])
                      + (above.get(a.handling_path, []) if a.reason in ESCALATED else []))
            recipients = tuple(dict.fromkeys(people))
            out.append(Notification(
                alert_id=a.id, case_no=a.case_no, colour=a.colour, reason=a.reason,
                title_zh=REASONS[a.reason].title_zh, tenant_path=a.tenant_path,
                handling_path=a.handling_path, due_date=a.due_date, urge_count=a.urge_count,
                recipients=recipients))
        await notifier.send(out)
        ids = [a.id for a in alerts]
        session.add_all(AlertEntry(alert_id=a.id, tenant_id=a.tenant_id, tenant_path=a.tenant_path,
                                   at=now, actor="system", action="notified", from_status=a.status,
                                   to_status="notified" if a.status == "raised" else a.status,
                                   data={"recipients": list(n.recipients),
                                         "urge_count": a.urge_count})
                        for a, n in zip(alerts, out, strict=True))
        for a in alerts:
            a.notify_pending, a.notified_at = False, now
            if a.status == "raised":
                a.status = "notified"
        await session.flush()
        sent += len(alerts)
        last = ids[-1]
        if len(alerts) < batch:
            break
    return sent
