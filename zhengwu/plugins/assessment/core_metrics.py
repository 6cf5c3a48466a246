"""Metrics of the core's own tables that assessment needs and no plugin provides, registered by
this plugin through the same hook (``zhengwu_metrics``) under the neutral prefix ``core.`` —
they describe the tenants' venues and implementation lists, not assessment.

* ``core.convenience_centre_coverage`` 便民服务大厅覆盖率 — of the township tenants of the
  subtree (tier ``township``, status active), the share with an active venue of kind
  ``convenience_centre`` (便民/民生服务中心);
* ``core.agent_point_coverage`` 代办点覆盖率 — the same for village tenants and venues of kind
  ``agent_point`` (代办点);
* ``core.items_in_hall_rate`` 应进必进率 — of the implementation-list items of the subtree
  (``implementations``, status ``active`` or ``needs_review``; ``retired`` items are off the
  list), the share with ``in_hall`` (handled in the hall; a reason is recorded when not);
* ``core.items_online_rate`` 网上可办率 — the share with ``online`` (available online).

Time: venues and implementations carry no history of their flags, so each metric is the state
as it stands now of the rows created by the end of the period (``created_at`` before the next
day, Asia/Shanghai). One statement each; the caller's session scope (RLS) applies. A rate is
None when there is nothing to rate (no townships, no items).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.catalog.models import Implementation
from zhengwu.core.db import ALL_SCOPE, subtree_clause
from zhengwu.core.plugin_api import MetricSpec, MetricValue, Period
from zhengwu.tenants.codes import PLATFORM_CODE
from zhengwu.tenants.models import Tenant, TenantStatus, Venue, VenueKind

__all__ = ["PREFIX", "metric_specs"]

PREFIX = "core"
SHANGHAI = ZoneInfo("Asia/Shanghai")
LISTED = ("active", "needs_review")


def _scope(path: str) -> str:
    return ALL_SCOPE if path in (PLATFORM_CODE, ALL_SCOPE) else path


def _cutoff(period: Period) -> datetime:
    """The first instant after the period's last day (Shanghai midnight)."""
    return datetime.combine(period.end + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)


def _rate(num: float, den: float) -> MetricValue:
    return MetricValue(value=(num / den) if den else None, numerator=float(num),
                       denominator=float(den), unit="ratio")


def _coverage(tier: str, kind: VenueKind):  # type: ignore[no-untyped-def]
    async def compute(session: AsyncSession, tenant_path: str, period: Period) -> MetricValue:
        path = _scope(tenant_path)
        venue = and_(Venue.tenant_id == Tenant.id, Venue.kind == kind.value,
                     Venue.active.is_(True), Venue.created_at < _cutoff(period))
        row = (await session.execute(
            select(func.count(distinct(Tenant.id)).label("tenants"),
                   func.count(distinct(Venue.tenant_id)).label("covered"))
            .select_from(Tenant).outerjoin(Venue, venue)
            .where(subtree_clause(Tenant.path, path), Tenant.tier == tier,
                   Tenant.status == TenantStatus.ACTIVE.value))).one()
        return _rate(row.covered or 0, row.tenants or 0)
    return compute


def _items(flag: str):  # type: ignore[no-untyped-def]
    column = getattr(Implementation, flag)

    async def compute(session: AsyncSession, tenant_path: str, period: Period) -> MetricValue:
        row = (await session.execute(
            select(func.count().label("items"), func.count().filter(column.is_(True)).label("yes"))
            .where(subtree_clause(Implementation.tenant_path, _scope(tenant_path)),
                   Implementation.status.in_(LISTED),
                   Implementation.created_at < _cutoff(period)))).one()
        return _rate(row.yes or 0, row.items or 0)
    return compute


def metric_specs(plugin: str) -> list[MetricSpec]:
    return [
        MetricSpec(f"{PREFIX}.convenience_centre_coverage", plugin, "便民服务大厅覆盖率",
                   _coverage("township", VenueKind.CONVENIENCE_CENTRE), "ratio", True),
        MetricSpec(f"{PREFIX}.agent_point_coverage", plugin, "代办点覆盖率",
                   _coverage("village", VenueKind.AGENT_POINT), "ratio", True),
        MetricSpec(f"{PREFIX}.items_in_hall_rate", plugin, "应进必进率（进驻大厅事项占比）",
                   _items("in_hall"), "ratio", True),
        MetricSpec(f"{PREFIX}.items_online_rate", plugin, "网上可办事项占比",
                   _items("online"), "ratio", True),
    ]
