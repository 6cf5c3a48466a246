"""The tables behind jobs and the outbox: ``job_runs`` (one row per job id) and ``outbox``.

``job_runs`` is the durable record of a job: its status, progress, attempts, error and
result. It is what makes a job idempotent across backends (a ``done`` job id never runs
again) and what ``JobQueue.job_status`` reads. It is an operator table: no tenant path, no
RLS; jobs that work for a tenant say so in their arguments.

``outbox`` holds side effects that can wait, written by ``zhengwu.core.events.defer`` in the
caller's transaction and handed to the job queue by the ``outbox.drain`` job. Its rows are
tenant-owned (RLS on PostgreSQL; the drain runs with the operator scope).

This module must never hold behaviour beyond column defaults: the logic lives in
``zhengwu.core.jobs.base`` (runs), ``zhengwu.core.jobs.builtin`` (drain) and
``zhengwu.core.events`` (defer).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.core import clock
from zhengwu.core.db import Base, TenantOwned
from zhengwu.core.ids import uuid7

__all__ = ["JOB_STATUSES", "JobRun", "OutboxMessage"]

JOB_STATUSES = ("queued", "running", "done", "failed")


def _now() -> datetime:
    return clock.now()


class JobRun(Base):
    """One job id's life: queued → running → done | failed (→ queued again on retry)."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
    )

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None] = mapped_column(default=None)
    message: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[Any | None] = mapped_column(JSON, default=None)
    enqueued_at: Mapped[datetime] = mapped_column(default=_now)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


_PENDING = text("dispatched_at IS NULL")


class OutboxMessage(TenantOwned, Base):
    """A job to hand to the queue once the transaction that wrote it has committed.

    ``next_attempt_at`` is when the row is next due: its creation time, a lease while a
    drain is handing it over (so a drain that dies mid-way only delays it), or a backoff
    after a failed hand-over. ``key`` coalesces: while a row with the same ``job_name`` and
    ``key`` is undispatched, deferring again adds nothing.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "next_attempt_at", postgresql_where=_PENDING,
              sqlite_where=_PENDING),
        Index("uq_outbox_pending_key", "job_name", "key", unique=True,
              postgresql_where=_PENDING, sqlite_where=_PENDING),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    job_name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str | None] = mapped_column(String(200), default=None)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    next_attempt_at: Mapped[datetime] = mapped_column(default=_now)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
