"""Supervision's metrics for assessment (hook ``zhengwu_metrics``): each is one SQL statement
over the subtree and the period (the caller's session has the operator's scope).

* ``supervision.yellow_cards`` / ``supervision.red_cards`` — cards raised in the period (cleared
  cards, which no longer applied, are not counted);
* ``supervision.yellow_rate`` / ``supervision.red_rate`` — share of the cases accepted in the
  period that received at least one card of that colour;
* ``supervision.overdue_rate`` — share of the cases accepted in the period that went past their
  promised deadline (an ``overdue`` card: still open after the due date, or decided late);
* ``supervision.alert_closure_rate`` — share of the cards raised in the period that a
  supervisor has closed (办结);
* ``supervision.satisfaction_rate`` — share of the ratings given in the period at level 4 or 5
  (ratings excluded on appeal left out of both counts);
* ``supervision.rectification_rate`` — share of the period's bad ratings (levels 1–2, excluded
  ones left out) whose rectification closed (回访 done);
* ``supervision.complaint_reply_rate`` — complaints received in the period that were answered;
* ``supervision.complaint_on_time_rate`` — of the period's complaints answered or already due by
  the period's end, those answered on or before their due date;
* ``supervision.complaint_completion_rate`` — complaints received in the period now closed.

Lower is better for counts and colour rates; higher for the closure rate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.db import subtree_clause
from zhengwu.core.plugin_api import MetricSpec, MetricValue, Period
from zhengwu.plugins.supervision.models import Alert, WatchedCase

__all__ = ["metric_specs"]

Compute = Callable[[AsyncSession, str, Period], Awaitable[MetricValue]]


def _rate(num: int, den: int) -> MetricValue:
    return MetricValue(value=(num / den) if den else None, numerator=float(num),
                       denominator=float(den), unit="ratio")


def _cards(colour: str) -> Compute:
    async def compute(session: AsyncSession, tenant_path: str, period: Period) -> MetricValue:
        n = await session.scalar(select(func.count()).select_from(Alert).where(
            subtree_clause(Alert.tenant_path, tenant_path), Alert.colour == colour,
            Alert.raised_on >= period.start, Alert.raised_on <= period.end,
            Alert.status != "cleared"))
        return MetricValue(value=float(n or 0), unit="张")
    return compute


def _accepted(tenant_path: str, period: Period) -> Any:
    c = WatchedCase
    return and_(subtree_clause(c.tenant_path, tenant_path), c.accepted_on >= period.start,
                c.accepted_on <= period.end, ~c.is_parallel)


def _case_rate(**card: str) -> Compute:
    async def compute(session: AsyncSession, tenant_path: str, period: Period) -> MetricValue:
        c = WatchedCase
        den = await session.scalar(select(func.count()).select_from(c).where(
            _accepted(tenant_path, period)))
        conds = [getattr(Alert, k) == v for k, v in card.items()]
        num = await session.scalar(
            select(func.count(distinct(c.id))).select_from(c)
            .join(Alert, Alert.case_id == c.id)
            .where(_accepted(tenant_path, period), Alert.status != "cleared", *conds))
        return _rate(int(num or 0), int(den or 0))
    return compute


async def _closure_rate(session: AsyncSession, tenant_path: str, period: Period) -> MetricValue:
    raised = and_(subtree_clause(Alert.tenant_path, tenant_path), Alert.raised_on >= period.start,
                  Alert.raised_on <= period.end, Alert.status != "cleared")
    den = await session.scalar(select(func.count()).select_from(Alert).where(raised))
    num = await session.scalar(select(func.count()).select_from(Alert).where(
        raised, Alert.status == "closed"))
    return _rate(int(num or 0), int(den or 0))


def _ratings(num: str, den: str) -> Compute:
    async def compute(session: AsyncSession, tenant_path: str, period: Period) -> MetricValue:
        from zhengwu.plugins.supervision.ratings import rating_counts

        n = await rating_counts(session, tenant_path, period.start, period.end)
        return _rate(n[num], n[den])
    return compute


def _complaints(num: str, den: str) -> Compute:
    async def compute(session: AsyncSession, tenant_path: str, period: Period) -> MetricValue:
        from zhengwu.plugins.supervision.complaints import complaint_counts

        n = await complaint_counts(session, tenant_path, period.start, period.end)
        return _rate(n[num], n[den])
    return compute


_METRICS: tuple[tuple[str, str, str, Compute, bool], ...] = (
    ("yellow_cards", "黄牌数", "张", _cards("yellow"), False),
    ("red_cards", "红牌数", "张", _cards("red"), False),
    ("yellow_rate", "黄牌率（受理件中亮黄牌的比例）", "ratio", _case_rate(colour="yellow"), False),
    ("red_rate", "红牌率（受理件中亮红牌的比例）", "ratio", _case_rate(colour="red"), False),
    ("overdue_rate", "超期率（受理件中超过承诺期限的比例）", "ratio", _case_rate(reason="overdue"),
     False),
    ("alert_closure_rate", "预警办结率", "ratio", _closure_rate, True),
    ("satisfaction_rate", "满意率（评价 4–5 级的比例，申诉成立的除外）", "ratio",
     _ratings("satisfied", "rated"), True),
    ("rectification_rate", "差评整改率（整改办结的差评比例）", "ratio",
     _ratings("rectified", "bad"), True),
    ("complaint_reply_rate", "投诉答复率", "ratio", _complaints("replied", "received"), True),
    ("complaint_on_time_rate", "投诉按期答复率", "ratio", _complaints("on_time", "due"), True),
    ("complaint_completion_rate", "投诉办结率", "ratio", _complaints("closed", "received"), True),
)


def metric_specs(plugin: str = "supervision") -> list[MetricSpec]:
    out = []
    for name, title, unit, compute, higher in _METRICS:
        out.append(MetricSpec(name=f"{plugin}.{name}", plugin=plugin, title_zh=title,
                              compute=compute, unit=unit, higher_is_better=higher))
    return out
