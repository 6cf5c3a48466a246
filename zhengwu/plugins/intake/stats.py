"""Case statistics (办件统计) over a tenant subtree and a period, and daily fee totals.

Every figure is computed in **one** set-based SQL statement (conditional aggregates,
``count(*) FILTER (WHERE …)``, which SQLite ≥ 3.30 and PostgreSQL both run), never by
loading cases. A case belongs to the subtree of its **accepting** tenant (``tenant_path``:
the window, township centre or village agent point where it was handed in), filtered by the
index-served range of ``subtree_clause``; a village agent case therefore counts at the village,
its township, its county and upwards, but never at a sibling. The period is a closed interval
of Asia/Shanghai dates ``[start, end]`` (the ``*_on`` columns are Shanghai dates).

**Which rows count.** Single cases and the sub-cases of parallel approvals (并联审批). A
parallel-approval parent (``is_parallel``) is a container: it is never counted itself, its
sub-cases are (one application for three items counts as three received, three accepted …),
because each sub-case carries its own item, clock, decision and handling days. Fees are
charged on sub-cases only, so nothing is counted twice.

**Figures** (``P`` is the period, "decided" means a decision was made: approved or denied):

* ``received`` 收件 — cases submitted in P (``submitted_on`` in P).
* ``accepted`` 受理 — cases accepted in P (``accepted_on`` in P; an instant item completed on the
  spot is accepted and decided that day).
* ``not_accepted`` 不予受理 — cases refused acceptance in P (``not_accepted_on`` in P).
* ``completed`` 办结 — cases decided in P (``decided_on`` in P), whenever they were accepted.
* ``accepted_completed`` — cases accepted in P and decided by the end of P.
* ``completion_rate`` 办结率 = ``accepted_completed / accepted``: of the cases accepted in P,
  the share already decided when P ends. A cohort rate, so it stays within 0–1 (the flow ratio
  ``completed / accepted`` mixes cases accepted before P and can exceed 1).
* ``instant_completion_rate`` 即办件办结率 and ``promised_completion_rate`` 承诺件办结率 — the same
  cohort rate restricted to instant items (``case_type`` 1, 即办件) and promised items
  (``case_type`` 2, 承诺件): ``instant_completed / instant_accepted`` and
  ``promised_completed / promised_accepted``.
* ``on_time_rate`` 按时办结率 = ``on_time / completed``: of the cases decided in P, the share
  decided on or before their due date (the ``on_time`` flag stored at the decision: decided day
  ≤ due date, or no due date; instant items are on time).
* ``on_the_spot_rate`` 现场办结率 = ``on_the_spot / completed``: of the cases decided in P, the
  share decided the same day they were accepted (``decided_on = accepted_on``).
* ``average_handling_days`` 平均办理时长 = ``handling_days / handling_days_cases``: the mean of the
  working days from acceptance to decision (pauses excluded, stored per case at the decision)
  over the cases decided in P that carry it.
* ``channels`` — cases received in P per channel (``window`` 窗口, ``online`` 网上, ``agent``
  代办点, ``kiosk`` 自助终端).
* ``fees_cents`` 收费 — the sum of the fees charged in P (``intake_fees.charged_on`` in P) in the
  subtree (``fees_yuan`` in yuan).

Every rate is a fraction between 0 and 1, and ``None`` when its denominator is 0 (no case to
rate is not a rate of 0).

**Metrics** (``zhengwu_metrics``, for assessment): ``intake.received``, ``intake.accepted``,
``intake.completed`` (件), ``intake.completion_rate``, ``intake.on_time_rate``,
``intake.on_the_spot_rate``, ``intake.instant_completion_rate``,
``intake.promised_completion_rate`` (unit ``ratio``: a fraction 0–1 with its numerator and
denominator), ``intake.average_handling_days`` (工作日, lower is better) and ``intake.fees``
(元) — the figures above, each computed by the same one statement (``subtree_figures``).

Two metrics count at the **deciding** tenant instead (``handling_path``: the agency that
decides, the one whose annual disclosure report states them; one statement,
``decider_figures``): ``intake.licensing_decisions`` (件) — cases of items of type 01 行政许可
(``item_type``, from the catalog) decided in P (``decided_on``; approved or denied; no
parallel parent) — and ``intake.handling_fees`` (元) — fees charged in P (``charged_on``) on
cases decided by a tenant of the subtree, wherever the window that took them. The disclosure
plugin reads them through the metrics hook for its annual report (section 二).

``statistics_by_tenant`` breaks the same figures down by the children of a tenant (one
statement grouping on the child's path prefix), plus a row of the cases accepted at the tenant
itself; the rows add up to the subtree. ``daily_fee_totals`` gives the fees per day per window
and per venue (centre) from ``intake_fees``. ``subtree_figures`` is the unchecked core the
metrics hook reuses (its caller has the operator's scope and no principal).

Access: statistics need ``case_stats:read`` on the tenant (assessors, supervisors and admins
have it; assessors see aggregates only, never a case); the tenant must lie in the caller's
subtree — an ancestor, readable for breadcrumbs, is ``tenant.not_found`` here because its figures
would include other subtrees. Fee totals accept ``case_stats:read`` or ``case:fee`` (the window
staff's daily reconciliation, 日结). No litestar, no strawberry here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.db import ALL_SCOPE, subtree_clause
from zhengwu.core.errors import Invalid, NotFound, PermissionDenied
from zhengwu.core.plugin_api import MetricSpec, MetricValue, Period
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.intake.inputs import CHANNELS
from zhengwu.plugins.intake.models import Case, CaseFee
from zhengwu.tenants.codes import PLATFORM_CODE
from zhengwu.tenants.models import Tenant, Venue, Window
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "INSTANT",
    "MAX_FEE_DAYS",
    "PROMISED",
    "CaseStatistics",
    "DayFeeTotal",
    "FeeTotals",
    "VenueFeeTotal",
    "WindowFeeTotal",
    "case_statistics",
    "daily_fee_totals",
    "decider_figures",
    "figures_statement",
    "metric_specs",
    "statistics_by_tenant",
    "subtree_figures",
]

INSTANT, PROMISED = 1, 2  # case_type: 即办件, 承诺件
LICENSING = "01"  # item_type 行政许可 (core.catalog.codes.ITEM_TYPES)
MAX_FEE_DAYS = 92
"""Longest span of daily fee totals (a quarter): rows are per day × window."""

_CHILD_CODE_LENGTH = {"platform": 2, "province": 4, "city": 6, "county": 9, "township": 12}
"""Length of a child's code by the parent's tier (a child's path is parent path/child code)."""


def _rate(numerator: int | float, denominator: int | float) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class CaseStatistics:
    """The figures of a subtree for a period (see the module docstring for each definition).

    ``subtree`` is False for the row of ``statistics_by_tenant`` that holds only the cases
    accepted at the tenant itself (本级), True for a whole subtree.
    """

    tenant_code: str
    tenant_name: str
    period: Period
    received: int = 0
    accepted: int = 0
    not_accepted: int = 0
    completed: int = 0
    accepted_completed: int = 0
    on_time: int = 0
    on_the_spot: int = 0
    instant_accepted: int = 0
    instant_completed: int = 0
    promised_accepted: int = 0
    promised_completed: int = 0
    handling_days: int = 0
    handling_days_cases: int = 0
    channels: Mapping[str, int] = field(default_factory=dict)
    fees_cents: int = 0
    subtree: bool = True

    @property
    def completion_rate(self) -> float | None:
        """办结率: accepted in the period and decided by its end / accepted in the period."""
        return _rate(self.accepted_completed, self.accepted)

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率: decided in the period on or before the due date / decided in the period."""
        return _rate(self.on_time, self.completed)

    @property
    def on_the_spot_rate(self) -> float | None:
        """现场办结率: decided the day they were accepted / decided in the period."""
        return _rate(self.on_the_spot, self.completed)

    @property
    def instant_completion_rate(self) -> float | None:
        """即办件办结率: the completion rate of instant items (case_type 1)."""
        return _rate(self.instant_completed, self.instant_accepted)

    @property
    def promised_completion_rate(self) -> float | None:
        """承诺件办结率: the completion rate of promised items (case_type 2)."""
        return _rate(self.promised_completed, self.promised_accepted)

    @property
    def average_handling_days(self) -> float | None:
        """Mean working days from acceptance to decision of the cases decided in the period."""
        return _rate(self.handling_days, self.handling_days_cases)

    @property
    def fees_yuan(self) -> float:
        return self.fees_cents / 100


# ------------------------------------------------------------------------- the statement

_START = bindparam("period_start", type_=Date)
_END = bindparam("period_end", type_=Date)
"""The period's bounds: two parameters shared by every condition (not forty), given at execution
(``_period``), so the aggregates are built once per process."""


def _period(start: date, end: date) -> dict[str, date]:
    return {"period_start": start, "period_end": end}


@cache
def _aggregates() -> tuple[ColumnElement[Any], ...]:
    """The conditional aggregates of every figure, labelled with the dataclass's names.

    In a ``FILTER`` the cheap and selective test comes first (channel, case type): PostgreSQL
    evaluates an ``AND`` left to right, so most rows skip the date comparisons (bench P6: 1.56×
    → 1.48× a three-figure baseline). A ``GROUP BY channel, case_type`` instead was tried:
    under row-level security the planner underestimates the rows, sorts them (on disk)
    instead of hashing, and is slower.
    """
    start, end = _START, _END
    received = Case.submitted_on.between(start, end)
    accepted = Case.accepted_on.between(start, end)
    decided = Case.decided_on.between(start, end)
    done = and_(accepted, Case.decided_on <= end)  # the cohort: accepted in P, decided by its end
    count = func.count
    cols: list[ColumnElement[Any]] = [
        count().filter(received).label("received"),
        count().filter(accepted).label("accepted"),
        count().filter(Case.not_accepted_on.between(start, end)).label("not_accepted"),
        count().filter(decided).label("completed"),
        count().filter(done).label("accepted_completed"),
        count().filter(and_(decided, Case.on_time.is_(True))).label("on_time"),
        count().filter(and_(decided, Case.decided_on == Case.accepted_on)).label("on_the_spot"),
        count().filter(and_(Case.case_type == INSTANT, accepted)).label("instant_accepted"),
        count().filter(and_(Case.case_type == INSTANT, done)).label("instant_completed"),
        count().filter(and_(Case.case_type == PROMISED, accepted)).label("promised_accepted"),
        count().filter(and_(Case.case_type == PROMISED, done)).label("promised_completed"),
        func.sum(Case.handling_days).filter(decided).label("handling_days"),
        count(Case.handling_days).filter(decided).label("handling_days_cases"),
    ]
    cols += [count().filter(and_(Case.channel == ch, received)).label(f"channel_{ch}")
             for ch in CHANNELS]
    return tuple(cols)


def _counted(path: str) -> list[ColumnElement[bool]]:
    """WHERE of the statement: the subtree, no parallel parent, touched by the period."""
    start, end = _START, _END
    return [subtree_clause(Case.tenant_path, path), Case.is_parallel == false(),
            or_(Case.submitted_on.between(start, end), Case.accepted_on.between(start, end),
                Case.not_accepted_on.between(start, end), Case.decided_on.between(start, end))]


def _fees_where(path: str) -> list[ColumnElement[bool]]:
    return [subtree_clause(CaseFee.tenant_path, path), CaseFee.charged_on.between(_START, _END)]


_COUNT_FIELDS = ("received", "accepted", "not_accepted", "completed", "accepted_completed",
                 "on_time", "on_the_spot", "instant_accepted", "instant_completed",
                 "promised_accepted", "promised_completed", "handling_days",
                 "handling_days_cases")


def _from_row(row: Mapping[Any, Any], code: str, name: str, period: Period, *,
              subtree: bool = True) -> CaseStatistics:
    counts = {k: int(row[k] or 0) for k in _COUNT_FIELDS}
    return CaseStatistics(
        tenant_code=code, tenant_name=name, period=period, **counts,
        channels={ch: int(row[f"channel_{ch}"] or 0) for ch in CHANNELS},
        fees_cents=int(row["fees_cents"] or 0), subtree=subtree)


def _scope(path: str) -> str:
    """The subtree filter's path: the platform root (``0``) means every case."""
    return ALL_SCOPE if path in (PLATFORM_CODE, ALL_SCOPE) else path


async def _custom_plan(session: AsyncSession) -> None:
    """PostgreSQL: plan the statistics for their actual parameters, every time.

    asyncpg prepares every statement; from its sixth execution PostgreSQL may switch a
    prepared statement to a *generic* plan, blind to the subtree and the period. For these
    statements that plan is measured 2× (``subtree_figures``) to 4.5× (``statistics_by_tenant``)
    slower on a province (bench P6). ``SET LOCAL`` ends with the transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def figures_statement(path: str) -> Select[Any]:
    """The one statement of ``subtree_figures``: every aggregate over the counted cases, the
    fees a scalar subquery; execute it with ``_period(start, end)`` (exposed for
    ``bench/p6_stats.py``'s plan)."""
    fees = (select(func.coalesce(func.sum(CaseFee.amount_cents), 0))
            .where(*_fees_where(path)).scalar_subquery().label("fees_cents"))
    return select(*_aggregates(), fees).select_from(Case).where(*_counted(path))


async def subtree_figures(session: AsyncSession, path: str, period: Period, *,
                          code: str = "", name: str = "") -> CaseStatistics:
    """The figures of the subtree at ``path`` — ONE statement, no permission check.

    For callers that already decided access: ``case_statistics`` (after its checks) and the
    metrics hook (operator scope, a tenant path, no principal).
    """
    path = _scope(path)
    await _custom_plan(session)
    row = (await session.execute(figures_statement(path), _period(period.start, period.end))
           ).mappings().one()
    if not code:
        code = PLATFORM_CODE if path == ALL_SCOPE else path.rsplit("/", 1)[-1]
    return _from_row(row, code, name, period)


async def decider_figures(session: AsyncSession, path: str, period: Period) -> tuple[int, int]:
    """Licensing decisions and fees (cents) of the cases **decided** by the subtree at ``path``
    (``handling_path``) — ONE statement, no permission check (see the module docstring)."""
    path = _scope(path)
    fees = (select(func.coalesce(func.sum(CaseFee.amount_cents), 0))
            .join(Case, Case.id == CaseFee.case_id)
            .where(subtree_clause(Case.handling_path, path),
                   CaseFee.charged_on.between(period.start, period.end))
            .scalar_subquery())
    stmt = select(
        select(func.count()).select_from(Case)
        .where(subtree_clause(Case.handling_path, path), Case.is_parallel == false(),
               Case.item_type == LICENSING, Case.decided_on.between(period.start, period.end),
               Case.decision.in_(("approved", "denied")))
        .scalar_subquery(), fees)
    decisions, cents = (await session.execute(stmt)).one()
    return int(decisions or 0), int(cents or 0)


# ------------------------------------------------------------------------------ access

def _check_period(start: date, end: date, max_days: int | None = None) -> None:
    if start > end:
        raise Invalid("case_stats.period", f"统计期间的开始日期 {start} 晚于结束日期 {end}",
                      f"the period starts ({start}) after it ends ({end})", field="from")
    if max_days is not None and (end - start).days + 1 > max_days:
        raise Invalid("case_stats.period_too_long", f"按日收费汇总的期间不超过 {max_days} 天",
                      f"daily fee totals cover at most {max_days} days", field="to",
                      max_days=max_days)


async def _subtree_tenant(session: AsyncSession, principal: Principal,
                          tenant_code: str | None, permissions: Sequence[tuple[str, str]]
                          ) -> Tenant:
    """The tenant whose subtree is asked for, checked: in scope, and one permission held.

    ``tenant_code`` defaults to the acting tenant. An ancestor of the acting tenant is readable
    (breadcrumbs) but its figures would cover other subtrees: ``tenant.not_found``, as for a
    tenant that does not exist.
    """
    code = principal.acting_code if tenant_code is None else tenant_code
    tenant = await access_tenant(session, principal, code)
    if not principal.sees(tenant.path):
        raise NotFound("tenant", code)
    if not any(can(principal, action, Resource(kind, tenant.path)) for kind, action in permissions):
        kind, action = permissions[0]
        raise PermissionDenied(f"{kind}:{action}", tenant.path)
    return tenant


_STATS = (("case_stats", "read"),)
_FEES = (("case_stats", "read"), ("case", "fee"))


async def case_statistics(session: AsyncSession, principal: Principal, tenant_code: str | None,
                          period: Period) -> CaseStatistics:
    """办件统计: the figures of ``tenant_code``'s subtree (default: the acting tenant) for
    ``period``. Needs ``case_stats:read``; one statement."""
    _check_period(period.start, period.end)
    tenant = await _subtree_tenant(session, principal, tenant_code, _STATS)
    return await subtree_figures(session, tenant.path, period, code=tenant.code,
                                 name=tenant.name)


async def statistics_by_tenant(session: AsyncSession, principal: Principal,
                               tenant_code: str | None, period: Period) -> list[CaseStatistics]:
    """The figures of each child subtree of a tenant (for rankings), plus the tenant's own row.

    The first row (``subtree=False``) holds the cases accepted at the tenant itself (本级, e.g.
    the county's hall); then one row per child (merged children left out), in path order,
    with zeros for a child without cases. The rows add up to ``case_statistics`` of the
    tenant. One statement: the aggregates grouped by the child's path prefix
    (``substr(tenant_path, 1, len(child path))``), outer-joined to the children.
    """
    _check_period(period.start, period.end)
    tenant = await _subtree_tenant(session, principal, tenant_code, _STATS)
    path = _scope(tenant.path)
    width = _CHILD_CODE_LENGTH.get(tenant.tier)
    if width is None:  # a village has no children: its own row is its subtree
        own = await subtree_figures(session, tenant.path, period, code=tenant.code,
                                    name=tenant.name)
        return [replace(own, subtree=False)]
    n: ColumnElement[Any] = literal_column(
        str(width if path == ALL_SCOPE else len(tenant.path) + 1 + width))
    case_prefix = func.substr(Case.tenant_path, 1, n).label("prefix")
    cases = (select(case_prefix, *_aggregates()).where(*_counted(path))
             .group_by(case_prefix).subquery("cases"))
    fee_prefix = func.substr(CaseFee.tenant_path, 1, n).label("prefix")
    fees = (select(fee_prefix, func.sum(CaseFee.amount_cents).label("fees_cents"))
            .where(*_fees_where(path)).group_by(fee_prefix).subquery("fees"))
    stmt = (select(Tenant.id.label("tenant_id"), Tenant.code.label("tenant_code"),
                   Tenant.name.label("tenant_name"), cases, fees.c.fees_cents)
            .outerjoin(cases, cases.c.prefix == Tenant.path)
            .outerjoin(fees, fees.c.prefix == Tenant.path)
            .where(or_(Tenant.id == tenant.id,
                       and_(Tenant.parent_id == tenant.id, Tenant.status != "merged")))
            .order_by(Tenant.depth, Tenant.path))
    await _custom_plan(session)
    rows = (await session.execute(stmt, _period(period.start, period.end))).mappings().all()
    return [_from_row(r, r["tenant_code"], r["tenant_name"], period,
                      subtree=r["tenant_id"] != tenant.id) for r in rows]


# -------------------------------------------------------------------------- fee totals

@dataclass(frozen=True)
class WindowFeeTotal:
    """Fees charged on one day at one window (``window_id`` None: charged without a window)."""

    day: date
    tenant_code: str
    venue_id: uuid.UUID | None
    venue_name: str | None
    window_id: uuid.UUID | None
    window_number: str | None
    window_name: str | None
    fees: int
    amount_cents: int


@dataclass(frozen=True)
class VenueFeeTotal:
    """Fees charged on one day at one venue (centre: 政务服务中心, 便民服务中心, 代办点)."""

    day: date
    tenant_code: str
    venue_id: uuid.UUID | None
    venue_name: str | None
    fees: int
    amount_cents: int


@dataclass(frozen=True)
class DayFeeTotal:
    day: date
    fees: int
    amount_cents: int


@dataclass(frozen=True)
class FeeTotals:
    """Daily fee totals of a subtree: per window, per venue, per day, and the whole span."""

    tenant_code: str
    tenant_name: str
    day_from: date
    day_to: date
    windows: list[WindowFeeTotal]
    venues: list[VenueFeeTotal]
    days: list[DayFeeTotal]
    fees: int
    amount_cents: int


async def daily_fee_totals(session: AsyncSession, principal: Principal, tenant_code: str | None,
                           day_from: date, day_to: date) -> FeeTotals:
    """收费日结: fees per day per window and per venue in a subtree (at most ``MAX_FEE_DAYS``).

    One statement groups ``intake_fees`` by day, accepting tenant, venue and window (names
    joined after grouping); venue and day totals are sums of those rows. Needs
    ``case_stats:read`` or ``case:fee`` on the tenant.
    """
    _check_period(day_from, day_to, MAX_FEE_DAYS)
    tenant = await _subtree_tenant(session, principal, tenant_code, _FEES)
    path = _scope(tenant.path)
    grouped = (select(CaseFee.charged_on, CaseFee.tenant_path, CaseFee.venue_id, CaseFee.window_id,
                      func.count().label("fees"), func.sum(CaseFee.amount_cents).label("amount"))
               .where(*_fees_where(path))
               .group_by(CaseFee.charged_on, CaseFee.tenant_path, CaseFee.venue_id,
                         CaseFee.window_id).subquery("grouped"))
    stmt = (select(grouped, Venue.name.label("venue_name"), Window.number.label("window_number"),
                   Window.name.label("window_name"))
            .outerjoin(Venue, Venue.id == grouped.c.venue_id)
            .outerjoin(Window, Window.id == grouped.c.window_id))
    windows = sorted((WindowFeeTotal(
        day=r["charged_on"], tenant_code=r["tenant_path"].rsplit("/", 1)[-1],
        venue_id=r["venue_id"], venue_name=r["venue_name"], window_id=r["window_id"],
        window_number=r["window_number"], window_name=r["window_name"], fees=int(r["fees"]),
        amount_cents=int(r["amount"] or 0))
        for r in (await session.execute(stmt, _period(day_from, day_to))).mappings()),
        key=lambda w: (w.day, w.tenant_code, w.venue_name or "", w.window_number or ""))
    venues: dict[tuple[date, str, uuid.UUID | None], VenueFeeTotal] = {}
    days: dict[date, DayFeeTotal] = {}
    for w in windows:
        key = (w.day, w.tenant_code, w.venue_id)
        v = venues.get(key)
        venues[key] = VenueFeeTotal(w.day, w.tenant_code, w.venue_id, w.venue_name,
                                    (v.fees if v else 0) + w.fees,
                                    (v.amount_cents if v else 0) + w.amount_cents)
        d = days.get(w.day)
        days[w.day] = DayFeeTotal(w.day, (d.fees if d else 0) + w.fees,
                                  (d.amount_cents if d else 0) + w.amount_cents)
    return FeeTotals(tenant_code=tenant.code, tenant_name=tenant.name, day_from=day_from,
                     day_to=day_to, windows=windows, venues=list(venues.values()),
                     days=list(days.values()), fees=sum(w.fees for w in windows),
                     amount_cents=sum(w.amount_cents for w in windows))


# ----------------------------------------------------------------------------- metrics

Pick = Callable[[CaseStatistics], MetricValue]


def _count(figure: str) -> Pick:
    def pick(s: CaseStatistics) -> MetricValue:
        return MetricValue(value=float(getattr(s, figure)), unit="件")
    return pick


def _ratio(numerator: str, denominator: str) -> Pick:
    def pick(s: CaseStatistics) -> MetricValue:
        num, den = getattr(s, numerator), getattr(s, denominator)
        return MetricValue(value=_rate(num, den), numerator=float(num), denominator=float(den),
                           unit="ratio")
    return pick


def _average_days(s: CaseStatistics) -> MetricValue:
    return MetricValue(value=s.average_handling_days, numerator=float(s.handling_days),
                       denominator=float(s.handling_days_cases), unit="工作日")


def _fees(s: CaseStatistics) -> MetricValue:
    return MetricValue(value=s.fees_yuan, unit="元")


_METRICS: tuple[tuple[str, str, str, Pick, bool], ...] = (
    ("received", "收件量", "件", _count("received"), True),
    ("accepted", "受理量", "件", _count("accepted"), True),
    ("completed", "办结量", "件", _count("completed"), True),
    ("completion_rate", "办结率", "ratio", _ratio("accepted_completed", "accepted"), True),
    ("on_time_rate", "按时办结率", "ratio", _ratio("on_time", "completed"), True),
    ("on_the_spot_rate", "现场办结率", "ratio", _ratio("on_the_spot", "completed"), True),
    ("instant_completion_rate", "即办件办结率", "ratio",
     _ratio("instant_completed", "instant_accepted"), True),
    ("promised_completion_rate", "承诺件办结率", "ratio",
     _ratio("promised_completed", "promised_accepted"), True),
    ("average_handling_days", "平均办理时长（工作日）", "工作日", _average_days, False),
    ("fees", "收费金额", "元", _fees, True),
)


def _metric(plugin: str, name: str, title_zh: str, unit: str, pick: Pick,
            higher_is_better: bool) -> MetricSpec:
    async def compute(session: Any, tenant_path: str, period: Period) -> MetricValue:
        return pick(await subtree_figures(session, tenant_path, period))

    compute.__name__ = compute.__qualname__ = f"intake_{name}"
    return MetricSpec(name=f"{plugin}.{name}", plugin=plugin, title_zh=title_zh, compute=compute,
                      unit=unit, higher_is_better=higher_is_better)


def _decider_metric(plugin: str, name: str, title_zh: str, unit: str, fees: bool) -> MetricSpec:
    async def compute(session: Any, tenant_path: str, period: Period) -> MetricValue:
        decisions, cents = await decider_figures(session, tenant_path, period)
        return MetricValue(value=cents / 100 if fees else float(decisions), unit=unit)

    compute.__name__ = compute.__qualname__ = f"intake_{name}"
    return MetricSpec(name=f"{plugin}.{name}", plugin=plugin, title_zh=title_zh, compute=compute,
                      unit=unit)


def metric_specs(plugin: str = "intake") -> list[MetricSpec]:
    """The intake metrics: each ``compute(session, tenant_path, period)`` runs the statistics
    statement for the subtree (the caller's session has the operator's scope) and picks its
    figure; rates come with numerator and denominator. The last two count at the deciding
    tenant (``decider_figures``)."""
    return [*(_metric(plugin, *m) for m in _METRICS),
            _decider_metric(plugin, "licensing_decisions", "行政许可决定数", "件", fees=False),
            _decider_metric(plugin, "handling_fees", "收费金额（按办理机关）", "元", fees=True)]
