"""每日定时汇总 — the daily summary per centre, computed by the ``supervision.summarize`` job
shortly after midnight (Asia/Shanghai) for the day before, and kept.

One row per tenant and day (``supervision_daily_summaries``, unique on both) with the tenant's
own figures (本级 — each village agent point, township and county centre has its own row; a
subtree is the sum of its rows): cases received (accepted) and completed (decided) — from the
projection —, fees collected (``intake.fee_charged`` as seen by the projection), yellow and red
cards raised (cleared ones not counted), complaints received, ratings and bad ratings (excluded
on appeal left out). Every non-merged tenant where the plugin is on gets its row, zeros
included (so "nothing happened" differs from "not computed").

Set-based: one ``GROUP BY tenant_id`` statement per source, then the day's rows of the enabled
tenants are deleted and inserted again in the same transaction — running it again for the same
day keeps one row per tenant with the figures as of the new run.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.db import new_id, subtree_clause
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.supervision.analysis import check_period, scoped_tenant
from zhengwu.plugins.supervision.models import (
    Alert,
    Complaint,
    DailySummary,
    Rating,
    SupervisionFee,
    WatchedCase,
)
from zhengwu.tenants.enablement import EnabledScope
from zhengwu.tenants.models import Tenant

__all__ = ["FIGURES", "SummaryRow", "list_summaries", "summarize"]

FIGURES = ("received", "completed", "fees_cents", "yellow_cards", "red_cards", "complaints",
           "ratings", "bad_ratings")


def _count(cond: Any) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0).cast(Integer)


async def summarize(session: AsyncSession, enabled: EnabledScope, day: date,
                    now: datetime) -> int:
    """Compute and keep ``day``'s summary of every tenant where the plugin is on; the number of
    rows kept. Idempotent: the day's rows are replaced."""
    tenants = (await session.execute(
        select(Tenant.id, Tenant.path)
        .where(enabled.clause(Tenant.path), Tenant.status != "merged"))).all()
    figures: dict[uuid.UUID, dict[str, int]] = {
        t.id: dict.fromkeys(FIGURES, 0) for t in tenants}
    c = WatchedCase
    statements = [
        select(c.tenant_id, func.count().label("received"))
        .where(enabled.clause(c.tenant_path), c.accepted_on == day).group_by(c.tenant_id),
        select(c.tenant_id, func.count().label("completed"))
        .where(enabled.clause(c.tenant_path), c.decided_on == day).group_by(c.tenant_id),
        select(SupervisionFee.tenant_id,
               func.coalesce(func.sum(SupervisionFee.amount_cents), 0).label("fees_cents"))
        .where(enabled.clause(SupervisionFee.tenant_path), SupervisionFee.charged_on == day)
        .group_by(SupervisionFee.tenant_id),
        select(Alert.tenant_id, _count(Alert.colour == "yellow").label("yellow_cards"),
               _count(Alert.colour == "red").label("red_cards"))
        .where(enabled.clause(Alert.tenant_path), Alert.raised_on == day,
               Alert.cleared_at.is_(None)).group_by(Alert.tenant_id),
        select(Complaint.tenant_id, func.count().label("complaints"))
        .where(enabled.clause(Complaint.tenant_path), Complaint.received_on == day)
        .group_by(Complaint.tenant_id),
        select(Rating.tenant_id, func.count().label("ratings"),
               _count(Rating.bad).label("bad_ratings"))
        .where(enabled.clause(Rating.tenant_path), Rating.rated_on == day, ~Rating.excluded)
        .group_by(Rating.tenant_id),
    ]
    for statement in statements:
        for m in (await session.execute(statement)).mappings().all():
            row = figures.get(m["tenant_id"])
            if row is None:
                continue  # a merged tenant's leftovers
            for key, value in m.items():
                if key != "tenant_id":
                    row[key] += int(value or 0)
    await session.execute(delete(DailySummary).where(
        enabled.clause(DailySummary.tenant_path), DailySummary.day == day)
        .execution_options(synchronize_session=False))
    if tenants:
        await session.execute(insert(DailySummary), [
            {"id": new_id(), "tenant_id": t.id, "tenant_path": t.path, "day": day,
             "computed_at": now, **figures[t.id]} for t in tenants])
    return len(tenants)


@dataclass(frozen=True)
class SummaryRow:
    summary: DailySummary
    tenant_code: str
    tenant_name: str


async def list_summaries(session: AsyncSession, principal: Principal, under: str | None,
                         start: date, end: date) -> Sequence[SummaryRow]:
    """The kept summaries of ``under``'s subtree (default: the acting tenant) between ``start``
    and ``end``, by day then tenant (``alert:read``)."""
    check_period(start, end)
    tenant = await scoped_tenant(session, principal, under)
    rows = (await session.execute(
        select(DailySummary, Tenant.code, Tenant.name)
        .join(Tenant, Tenant.id == DailySummary.tenant_id)
        .where(subtree_clause(DailySummary.tenant_path, tenant.path),
               DailySummary.day.between(start, end))
        .order_by(DailySummary.day, DailySummary.tenant_path))).all()
    return [SummaryRow(r[0], r[1], r[2]) for r in rows]
