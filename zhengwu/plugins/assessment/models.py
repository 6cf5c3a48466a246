"""Tables of the assessment plugin (考核评估). Every row is owned by the assessing tenant
(``tenant_id``/``tenant_path``) and scoped by row-level security like the core's subtree
tables: the assessor's tenant and its ancestors read them, a sibling or a lower tier never.

* ``assessment_systems`` — one row per version of an indicator system (考核指标体系): the
  weighted tree as JSON (``indicators.tree_to_json``). ``draft`` rows are edited in place;
  publishing freezes a version; editing a published system makes the next draft version.
* ``assessment_manual_scores`` — a score an assessor enters for one target, one manual
  indicator, one system (by code) and one period, before the run.
* ``assessment_runs`` — a run's immutable snapshot: the inputs (system version and tree,
  targets, raw metric values, manual scores used), each target's indicator scores, total and
  rank, what was missing, and the SHA-256 digest of the canonical inputs. Never updated: the
  ORM refuses it (``_refuse_update``) and, on PostgreSQL, a trigger (migration a001).

This module holds tables only; the rules live in ``systems`` and ``runs``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.core.db import Base, TenantOwned, Timestamped, new_id

__all__ = ["TABLES", "AssessmentRun", "AssessmentSystem", "ManualScore", "RunImmutable"]


class AssessmentSystem(Base, TenantOwned, Timestamped):
    __tablename__ = "assessment_systems"
    __table_args__ = (UniqueConstraint("tenant_id", "code", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | published
    tree: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(100))


class ManualScore(Base, TenantOwned, Timestamped):
    __tablename__ = "assessment_manual_scores"
    __table_args__ = (
        UniqueConstraint("tenant_id", "system_code", "period_start", "period_end",
                         "target_tenant_id", "indicator_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    system_code: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date]
    period_end: Mapped[date]
    target_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    target_code: Mapped[str] = mapped_column(String(12))
    indicator_key: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(500))
    entered_by: Mapped[str | None] = mapped_column(String(100))


class AssessmentRun(Base, TenantOwned):
    __tablename__ = "assessment_runs"
    __table_args__ = (Index("ix_assessment_runs_period", "tenant_path", "period_start"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    system_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessment_systems.id"), index=True)
    system_code: Mapped[str] = mapped_column(String(40))
    system_name: Mapped[str] = mapped_column(String(200))
    system_version: Mapped[int]
    period_kind: Mapped[str] = mapped_column(String(8))  # day | week | month | range
    period_start: Mapped[date]
    period_end: Mapped[date]
    target_tier: Mapped[str] = mapped_column(String(16))
    target_count: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    missing: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class RunImmutable(RuntimeError):
    """A run's snapshot was about to be changed (a programming error, never user input)."""


@event.listens_for(AssessmentRun, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: AssessmentRun) -> None:
    raise RunImmutable(f"assessment run {target.id} is immutable")


TABLES = ("assessment_systems", "assessment_manual_scores", "assessment_runs")
