"""Tables of the e-supervision plugin (电子监察).

Every row is owned by the watched case's **accepting** tenant (``tenant_id``/``tenant_path``, as
intake's case is), so the handling tenant and the supervisors above both see it under the scope
filters and row-level security, and siblings never do. ``handling_path`` is the tenant whose
clock, settings and enablement apply.

* ``supervision_cases`` — the projection of intake's cases that supervision watches, kept from
  intake's events inside the announcing transaction (this plugin never reads intake's tables):
  status, due date, current step and its due date, pause, and ``yellow_on`` — the day the case
  turns yellow, computed in Python on the handling tenant's calendar whenever the due date or
  the threshold changes, so that the sweep is plain SQL over dates.
* ``supervision_alerts`` — yellow and red cards (黄牌/红牌). One live card per
  ``(case, kind, reason, ref)`` (a partial unique index over the cards not cleared): a sweep
  inserts with ``ON CONFLICT DO NOTHING``, so running it again raises nothing twice.
* ``supervision_alert_actions`` — each card's history: notified, urged (催办), acknowledged,
  explained, corrected, closed, cleared, supervised — with actor and time.
* ``supervision_tickets`` — 督办单: a supervisor's ticket on a case, with its own deadline;
  sent to people when opened and when it falls overdue (``notify_pending``).
* ``supervision_ticket_actions`` — each ticket's history: opened, notified (recipients), closed.

This module holds tables only; the rules live in ``projection``, ``sweep`` and ``service``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.core.db import Base, PathString, TenantOwned, Timestamped, new_id

__all__ = ["TABLES", "Alert", "AlertEntry", "Complaint", "DailySummary", "Rating", "RatingStep",
           "SupervisionFee", "SupervisionTicket", "TicketEntry", "WatchedCase"]

_WATCHING = text("watching")
_LIVE = text("cleared_at IS NULL")


class WatchedCase(Base, TenantOwned, Timestamped):
    """An intake case as supervision sees it (id = intake's case id)."""

    __tablename__ = "supervision_cases"
    __table_args__ = (
        Index("ix_supervision_cases_yellow_on", "yellow_on", postgresql_where=_WATCHING,
              sqlite_where=_WATCHING),
        Index("ix_supervision_cases_due_date", "due_date", postgresql_where=_WATCHING,
              sqlite_where=_WATCHING),
        Index("ix_supervision_cases_step_due", "step_due", postgresql_where=_WATCHING,
              sqlite_where=_WATCHING),
        Index("ix_supervision_cases_accepted", "tenant_path", "accepted_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(40))
    basic_code: Mapped[str | None] = mapped_column(String(14))
    channel: Mapped[str | None] = mapped_column(String(16))
    window_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    """The window the case came in through (intake's payloads carry it)."""
    department_name: Mapped[str | None] = mapped_column(String(200))
    """The department handling the case's item (intake's payloads carry it since s006)."""
    case_type: Mapped[int | None]
    parent_id: Mapped[uuid.UUID | None]
    is_parallel: Mapped[bool] = mapped_column(default=False)
    handling_path: Mapped[str] = mapped_column(PathString, index=True)
    status: Mapped[str] = mapped_column(String(20))
    watching: Mapped[bool] = mapped_column(default=False)
    """The clock runs for supervision: accepted and not yet decided (nor withdrawn)."""
    accepted_on: Mapped[date | None]
    accepted_by: Mapped[str | None] = mapped_column(String(100))
    handler: Mapped[str | None] = mapped_column(String(100))
    """Who acted on the case last (the responsible member of staff a card is sent to)."""
    due_date: Mapped[date | None]
    statutory_due: Mapped[date | None]
    """The end of the statutory limit (法定时限, plus an approved extension) from intake's
    payloads; past it an escalated red card (``statutory_overdue``) stands."""
    yellow_days: Mapped[int | None]
    """The threshold ``yellow_on`` was computed with (NULL: to be computed by the next sweep)."""
    yellow_share: Mapped[int | None]
    """The ``yellow_share_percent`` ``yellow_on`` was computed with (NULL: the rule was off)."""
    yellow_on: Mapped[date | None]
    step_seq: Mapped[int | None]
    step_name: Mapped[str | None] = mapped_column(String(200))
    step_started_on: Mapped[date | None]
    step_limit: Mapped[int | None]
    step_due: Mapped[date | None]
    paused: Mapped[bool] = mapped_column(default=False)
    paused_since: Mapped[date | None]
    pauses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """Finished pauses as ``[first day, last day]`` pairs (a step's due date skips them)."""
    decided_on: Mapped[date | None]
    on_time: Mapped[bool | None]
    closed_on: Mapped[date | None]
    last_event: Mapped[str | None] = mapped_column(String(60))
    last_event_at: Mapped[datetime | None]


class Alert(Base, TenantOwned):
    """A yellow or red card (预警) on a case."""

    __tablename__ = "supervision_alerts"
    __table_args__ = (
        Index("uq_supervision_alerts_live", "case_id", "kind", "reason", "ref", unique=True,
              postgresql_where=_LIVE, sqlite_where=_LIVE),
        Index("ix_supervision_alerts_raised", "tenant_path", "raised_on"),
        Index("ix_supervision_alerts_pending", "id", postgresql_where=text("notify_pending"),
              sqlite_where=text("notify_pending")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID]  # served by the live-card index (its first column)
    case_no: Mapped[str] = mapped_column(String(40))
    handling_path: Mapped[str] = mapped_column(PathString)
    colour: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(40), default="")
    """What within the case (a step's or a fee's number, a ticket id); empty for the case."""
    due_date: Mapped[date | None]
    """The case's (or the step's, the ticket's) due date when the card was raised."""
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    status: Mapped[str] = mapped_column(String(16), default="raised")
    handler: Mapped[str | None] = mapped_column(String(100))
    raised_at: Mapped[datetime]
    raised_on: Mapped[date]
    notify_pending: Mapped[bool] = mapped_column(default=True)
    notified_at: Mapped[datetime | None]
    urge_count: Mapped[int] = mapped_column(default=0)
    last_urged_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    explanation: Mapped[str | None] = mapped_column(Text)
    explained_at: Mapped[datetime | None]
    explained_by: Mapped[str | None] = mapped_column(String(100))
    correction: Mapped[str | None] = mapped_column(Text)
    corrected_at: Mapped[datetime | None]
    corrected_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    close_note: Mapped[str | None] = mapped_column(Text)
    cleared_at: Mapped[datetime | None]
    cleared_reason: Mapped[str | None] = mapped_column(String(300))


class AlertEntry(Base, TenantOwned):
    """One entry of a card's history (actor and time; no personal data)."""

    __tablename__ = "supervision_alert_actions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    alert_id: Mapped[uuid.UUID] = mapped_column(index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class SupervisionTicket(Base, TenantOwned, Timestamped):
    """督办单: opened by a supervisor on a case (optionally for one of its cards), with its own
    deadline in working days; closed with the result."""

    __tablename__ = "supervision_tickets"
    __table_args__ = (
        Index("ix_supervision_tickets_open", "status", "due_on"),
        Index("ix_supervision_tickets_pending", "id", postgresql_where=text("notify_pending"),
              sqlite_where=text("notify_pending")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    case_no: Mapped[str] = mapped_column(String(40))
    handling_path: Mapped[str] = mapped_column(PathString)
    alert_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    instructions: Mapped[str] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime]
    opened_on: Mapped[date]
    days: Mapped[int]
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    result: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    notify_pending: Mapped[bool] = mapped_column(default=False)
    """The ticket waits to be sent (opened, or fallen overdue)."""
    notice: Mapped[str | None] = mapped_column(String(16))
    """What is (or was last) sent: ``opened`` or ``overdue``."""
    notified_at: Mapped[datetime | None]
    overdue_on: Mapped[date | None]
    """The day the sweep found the ticket overdue and queued its overdue notice (once)."""


class TicketEntry(Base, TenantOwned):
    """One entry of a 督办 ticket's history: opened, notified (with its recipients), closed."""

    __tablename__ = "supervision_ticket_actions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class Rating(Base, TenantOwned, Timestamped):
    """好差评: one rating of a case on one channel (``pad`` window rating pad, ``online``,
    ``sms``). ``round`` counts the ratings of the same case and channel: a later one (the
    follow-up rating) is allowed only after the previous bad rating's rectification closed.
    A bad rating (level 1–2) carries its rectification (核实 → 整改 → 反馈 → 回访) and, when
    the handling unit appeals it as malicious, the appeal and the supervisor's decision."""

    __tablename__ = "supervision_ratings"
    __table_args__ = (
        Index("uq_supervision_ratings_round", "case_id", "channel", "round", unique=True),
        Index("ix_supervision_ratings_rated", "tenant_path", "rated_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID]
    case_no: Mapped[str] = mapped_column(String(40))
    handling_path: Mapped[str] = mapped_column(PathString)
    channel: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(default=1)
    level: Mapped[int]
    bad: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str] = mapped_column(String(100))
    rated_at: Mapped[datetime]
    rated_on: Mapped[date]
    rectification: Mapped[str | None] = mapped_column(String(16))
    """None (a good rating) | verify | rectify | feedback | callback (the step due next) |
    closed | void (the rating was excluded on appeal)."""
    contact_due: Mapped[date | None]
    close_due: Mapped[date | None]
    contacted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    appeal: Mapped[str | None] = mapped_column(String(16))
    """None | pending | upheld | rejected."""
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    appealed_by: Mapped[str | None] = mapped_column(String(100))
    appealed_at: Mapped[datetime | None]
    appeal_decided_by: Mapped[str | None] = mapped_column(String(100))
    appeal_decided_at: Mapped[datetime | None]
    appeal_note: Mapped[str | None] = mapped_column(Text)
    excluded: Mapped[bool] = mapped_column(default=False)
    """Removed from the rates (a malicious rating, appeal upheld)."""


class RatingStep(Base, TenantOwned):
    """One recorded step of a bad rating's rectification or appeal (actor and time)."""

    __tablename__ = "supervision_rating_steps"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    rating_id: Mapped[uuid.UUID] = mapped_column(index=True)
    step: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)


class Complaint(Base, TenantOwned, Timestamped):
    """投诉: from the hall, online, or a 12345 hotline ticket (``source`` ``hotline`` with the
    ticket's own id in ``external_id``: one row per ticket, so a re-import adds nothing). Owned
    by the tenant it is assigned to (``department`` within it); deadline ``due_on`` in working
    days on that tenant's calendar. Status: open → replied → called_back → closed."""

    __tablename__ = "supervision_complaints"
    __table_args__ = (
        Index("uq_supervision_complaints_external", "source", "external_id", unique=True),
        Index("ix_supervision_complaints_received", "tenant_path", "received_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(100))
    case_no: Mapped[str | None] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date]
    days: Mapped[int]
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")
    filed_by: Mapped[str] = mapped_column(String(100))
    assigned_by: Mapped[str | None] = mapped_column(String(100))
    assigned_at: Mapped[datetime | None]
    reply: Mapped[str | None] = mapped_column(Text)
    replied_on: Mapped[date | None]
    replied_at: Mapped[datetime | None]
    replied_by: Mapped[str | None] = mapped_column(String(100))
    callback_note: Mapped[str | None] = mapped_column(Text)
    callback_satisfied: Mapped[bool | None]
    called_back_at: Mapped[datetime | None]
    called_back_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    close_note: Mapped[str | None] = mapped_column(Text)


class SupervisionFee(Base, TenantOwned):
    """A fee charged on a case, as ``intake.fee_charged`` announced it (one row per event)."""

    __tablename__ = "supervision_fees"
    __table_args__ = (Index("ix_supervision_fees_charged", "tenant_path", "charged_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID]
    fee_seq: Mapped[int | None]
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    charged_on: Mapped[date]


class DailySummary(Base, TenantOwned):
    """每日定时汇总: one tenant's own figures (本级) of one day, kept by the daily job (one row
    per tenant and day; running the job again for the day replaces the figures)."""

    __tablename__ = "supervision_daily_summaries"
    __table_args__ = (Index("uq_supervision_daily_summaries_day", "tenant_id", "day",
                            unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    day: Mapped[date]
    received: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    fees_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    yellow_cards: Mapped[int] = mapped_column(default=0)
    red_cards: Mapped[int] = mapped_column(default=0)
    complaints: Mapped[int] = mapped_column(default=0)
    ratings: Mapped[int] = mapped_column(default=0)
    bad_ratings: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime]


TABLES = ("supervision_cases", "supervision_alerts", "supervision_alert_actions",
          "supervision_tickets", "supervision_ticket_actions", "supervision_ratings",
          "supervision_rating_steps", "supervision_complaints", "supervision_fees",
          "supervision_daily_summaries")
