"""Disclosure's metrics for assessment (hook ``zhengwu_metrics``) over a tenant subtree and a
period ``[start, end]`` of Asia/Shanghai dates. The caller's session has the operator's scope;
rows are filtered by ``subtree_clause`` on ``tenant_path``, so a sibling's rows never count.

Each figure group is ONE set-based statement (conditional aggregates, ``count(*) FILTER``):

**Publications** (``publication_figures``; only ``attribute = proactive`` items: the 20-working-
day rule of Art. 26 binds proactive disclosure only):

* ``disclosure.publications_published`` 主动公开信息数 — items first published in P
  (``published_on`` in P; an item withdrawn later still counts: it was published);
* ``disclosure.publications_on_time_rate`` 主动公开及时率 — of those, the share not
  ``published_late`` (published on or before ``due_on``);
* ``disclosure.publications_overdue`` 逾期未公开数 — items due before P's end (``due_on <
  end``) and not published by then (no ``published_on``, or one after the end), not withdrawn:
  the backlog at the end of the period (lower is better).

**Requests** (``request_figures``):

* ``disclosure.requests_answered`` 依申请公开答复数 — requests replied to in P (``replied_on``);
* ``disclosure.requests_on_time_rate`` 依申请公开按期答复率 — of those, the share
  ``replied_on_time``;
* ``disclosure.replies_<type>`` (one per reply type of ``replies.REPLY_TYPES``: ``disclosed``,
  ``partly_disclosed``, ``not_disclosed``, ``cannot_provide``, ``not_processed``, ``other``)
  — the share of the replies of P of that type; the count is the numerator, the replies of P the
  denominator. Neither direction is better (``higher_is_better`` True only for ``disclosed``).

**Catalog completeness** (``catalog_completeness``; ``disclosure.catalog_completeness``
目录完整率): for each tenant of the subtree where disclosure is active at P's end (switched on
through the cascade — ``enablement.enabled_scope`` — and of a tier the plugin serves, status
active), the share of its required top-level categories (``catalog.required_codes(tier)``)
that hold at least one public item of that tenant published on or before P's end (an item in a
sub-category, ``07.01``, fills its top-level category ``07``); the metric is the mean over
those tenants (numerator: the sum of the shares, denominator: the number of tenants). "Public"
is the feed's rule as it stands now (proactive, published, not withdrawn): an item withdrawn
after P no longer fills its category. Two statements (the tenants, the distinct pairs of
tenant and top-level category).

Every rate is None when its denominator is 0 (nothing to rate is not a rate of 0).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.db import ALL_SCOPE, subtree_clause
from zhengwu.core.plugin_api import MetricSpec, MetricValue, Period
from zhengwu.plugins.disclosure import catalog, replies
from zhengwu.plugins.disclosure.feed import is_public
from zhengwu.plugins.disclosure.models import DisclosureRequest, Publication
from zhengwu.tenants.codes import PLATFORM_CODE
from zhengwu.tenants.enablement import enabled_scope
from zhengwu.tenants.models import Tenant

__all__ = ["PublicationFigures", "RequestFigures", "catalog_completeness", "metric_specs",
           "publication_figures", "request_figures"]

PLUGIN = "disclosure"
TIERS = ("province", "city", "county", "township")

Compute = Callable[[AsyncSession, str, Period], Awaitable[MetricValue]]


def _scope(path: str) -> str:
    """The subtree filter's path: the platform root (``0``) means every tenant."""
    return ALL_SCOPE if path in (PLATFORM_CODE, ALL_SCOPE) else path


def _rate(num: float, den: float) -> MetricValue:
    return MetricValue(value=(num / den) if den else None, numerator=float(num),
                       denominator=float(den), unit="ratio")


@dataclass(frozen=True)
class PublicationFigures:
    published: int = 0
    on_time: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class RequestFigures:
    answered: int = 0
    on_time: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


async def publication_figures(session: AsyncSession, tenant_path: str,
                              period: Period) -> PublicationFigures:
    """The proactive publications of the subtree for ``period``: one statement."""
    tenant_path, p = _scope(tenant_path), Publication
    published = p.published_on.between(period.start, period.end)
    overdue = and_(p.due_on < period.end,
                   or_(p.published_on.is_(None), p.published_on > period.end),
                   p.withdrawn_at.is_(None))
    row = (await session.execute(
        select(func.count().filter(published).label("published"),
               func.count().filter(and_(published, p.published_late.is_not(True))).label("on_time"),
               func.count().filter(overdue).label("overdue"))
        .where(subtree_clause(p.tenant_path, tenant_path), p.attribute == "proactive",
               or_(published, overdue)))).one()
    return PublicationFigures(int(row.published or 0), int(row.on_time or 0),
                              int(row.overdue or 0))


async def request_figures(session: AsyncSession, tenant_path: str,
                          period: Period) -> RequestFigures:
    """The requests of the subtree replied to in ``period``, by reply type: one statement."""
    tenant_path, r = _scope(tenant_path), DisclosureRequest
    cols = [func.count().label("answered"),
            func.count().filter(r.replied_on_time.is_(True)).label("on_time"),
            *(func.count().filter(r.reply_type == t).label(f"type_{t}")
              for t in replies.REPLY_TYPES)]
    row = (await session.execute(
        select(*cols).where(subtree_clause(r.tenant_path, tenant_path),
                            r.replied_on.between(period.start, period.end)))).mappings().one()
    return RequestFigures(int(row["answered"] or 0), int(row["on_time"] or 0),
                          {t: int(row[f"type_{t}"] or 0) for t in replies.REPLY_TYPES})


async def catalog_completeness(session: AsyncSession, tenant_path: str,
                               period: Period) -> MetricValue:
    """The mean share of required categories filled, over the subtree's active tenants."""
    tenant_path = _scope(tenant_path)
    enabled = await enabled_scope(session, PLUGIN)
    tenants = (await session.execute(
        select(Tenant.path, Tenant.tier).where(
            subtree_clause(Tenant.path, tenant_path), Tenant.tier.in_(TIERS),
            Tenant.status == "active", enabled.clause(Tenant.path)))).all()
    if not tenants:
        return _rate(0, 0)
    p = Publication
    top = func.substr(p.category_code, 1, 2)  # built-in codes are two digits: 07, 07.01 → 07
    filled: dict[str, set[str]] = {}
    rows = await session.execute(
        select(p.tenant_path, top).where(
            subtree_clause(p.tenant_path, tenant_path), is_public(p),
            p.published_on <= period.end).group_by(p.tenant_path, top))
    for path, code in rows:
        filled.setdefault(path, set()).add(code)
    shares = []
    for path, tier in tenants:
        required = set(catalog.required_codes(tier))
        if required:
            shares.append(len(required & filled.get(path, set())) / len(required))
    return _rate(sum(shares), len(shares))


def _publications(pick: Callable[[PublicationFigures], MetricValue]) -> Compute:
    async def compute(session: AsyncSession, tenant_path: str, period: Period) -> MetricValue:
        return pick(await publication_figures(session, tenant_path, period))
    return compute


def _requests(pick: Callable[[RequestFigures], MetricValue]) -> Compute:
    async def compute(session: AsyncSession, tenant_path: str, period: Period) -> MetricValue:
        return pick(await request_figures(session, tenant_path, period))
    return compute


def _count(n: int) -> MetricValue:
    return MetricValue(value=float(n), unit="件")


def _share_of(type_: str) -> Callable[[RequestFigures], MetricValue]:
    def pick(f: RequestFigures) -> MetricValue:
        return _rate(f.by_type.get(type_, 0), f.answered)
    return pick


_METRICS: tuple[tuple[str, str, str, Compute, bool], ...] = (
    ("publications_published", "主动公开信息数", "件",
     _publications(lambda f: _count(f.published)), True),
    ("publications_on_time_rate", "主动公开及时率（20个工作日内公开的比例）", "ratio",
     _publications(lambda f: _rate(f.on_time, f.published)), True),
    ("publications_overdue", "逾期未公开的主动公开信息数（期末）", "件",
     _publications(lambda f: _count(f.overdue)), False),
    ("requests_answered", "依申请公开答复数", "件", _requests(lambda f: _count(f.answered)), True),
    ("requests_on_time_rate", "依申请公开按期答复率", "ratio",
     _requests(lambda f: _rate(f.on_time, f.answered)), True),
    *((f"replies_{t.code}", f"答复类型占比：{t.title_zh}", "ratio", _requests(_share_of(t.code)),
       t.code == "disclosed") for t in replies.REPLY_TYPES.values()),
    ("catalog_completeness", "公开目录完整率（必设栏目有内容的比例，各单位平均）", "ratio",
     catalog_completeness, True),
)


def _spec(plugin: str, name: str, title_zh: str, unit: str, compute: Compute,
          higher_is_better: bool) -> MetricSpec:
    async def run(session: Any, tenant_path: str, period: Period) -> MetricValue:
        return await compute(session, tenant_path, period)

    run.__name__ = run.__qualname__ = f"disclosure_{name}"
    return MetricSpec(name=f"{plugin}.{name}", plugin=plugin, title_zh=title_zh, compute=run,
                      unit=unit, higher_is_better=higher_is_better)


def metric_specs(plugin: str = PLUGIN) -> list[MetricSpec]:
    """The disclosure metrics (see the module docstring for each definition)."""
    return [_spec(plugin, *m) for m in _METRICS]
