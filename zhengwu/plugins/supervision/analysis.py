"""Decision analysis (决策分析) and performance (绩效): trends of a subtree by week or month, and
each member of staff's figures for a period — from supervision's projection, cards, complaints
and ratings.

Set-based: one ``GROUP BY`` statement per source (cases received, cases completed, cards,
complaints, ratings), grouped by day (trends) or by username (performance); the days are folded
into weeks (Monday first) or calendar months in Python, so a result has at most one row per day
of the period whatever the number of cases. Scope and ``alert:read`` are checked once at the
tenant asked about (default: the acting tenant), like the live view.

* **Trends** — per bucket: cases received (accepted in it), completed (decided in it), yellow and
  red cards raised (cleared ones not counted), complaints received, ratings and of them satisfied
  (level 4–5; ratings excluded on appeal left out), satisfaction rate.
* **Performance per clerk** — ``accepted`` (cases the clerk accepted in the period, by
  ``accepted_by``), ``decided`` and ``on_time`` (cases decided in the period whose last actor —
  the projection's ``handler`` — was the clerk), yellow and red cards raised in the period on
  the clerk's cases (the card's ``handler``), ratings and bad ratings (level 1–2) of the cases the
  clerk accepted.
* **Performance per window** — the same figures grouped by the window the case came in through
  (the projection's ``window_id``, from intake's payloads): accepted, decided, on time, cards
  raised on the window's cases, ratings and bad ratings of its cases. Cases without a window
  (online, agent points) are left out.
* **Performance per department** — the same figures grouped by the department handling the case
  (the projection's handling tenant and ``department_name``, from intake's payloads since s006);
  every department implementing an active item at a tenant of the subtree is listed, zeros
  included. Cases projected before s006 without a later event are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.catalog.models import Implementation
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Invalid, NotFound
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.supervision.models import Alert, Complaint, Rating, WatchedCase
from zhengwu.plugins.supervision.service import require
from zhengwu.tenants.models import Tenant, Window
from zhengwu.tenants.scope import access_tenant

__all__ = ["ClerkFigures", "Performance", "TrendBucket", "Trends", "WindowFigures", "bucket_start",
           "check_period", "performance", "scoped_tenant", "trends", "window_performance"]

PERIODS = ("week", "month")
MAX_DAYS = 800


@dataclass
class TrendBucket:
    start: date
    end: date
    received: int = 0
    completed: int = 0
    yellow_cards: int = 0
    red_cards: int = 0
    complaints: int = 0
    ratings: int = 0
    satisfied: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        return round(self.satisfied / self.ratings, 4) if self.ratings else None


@dataclass
class Trends:
    tenant: Tenant
    period: str
    start: date
    end: date
    buckets: list[TrendBucket] = field(default_factory=list)


@dataclass
class ClerkFigures:
    clerk: str
    accepted: int = 0
    decided: int = 0
    on_time: int = 0
    yellow_cards: int = 0
    red_cards: int = 0
    ratings: int = 0
    bad_ratings: int = 0


@dataclass
class Performance:
    tenant: Tenant
    start: date
    end: date
    clerks: list[ClerkFigures] = field(default_factory=list)


def _count(cond: Any) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0).cast(Integer)


def bucket_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _bucket_end(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=6)
    nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


async def scoped_tenant(session: AsyncSession, principal: Principal, under: str | None) -> Tenant:
    if principal.is_anonymous:
        raise NotFound("tenant", under)
    tenant = await access_tenant(session, principal, under or principal.acting_code)
    if not principal.sees(tenant.path):
        raise NotFound("tenant", under)
    require(principal, "read", tenant.path)
    return tenant


def check_period(start: date, end: date) -> None:
    if end < start or (end - start).days > MAX_DAYS:
        raise Invalid("supervision.period", "统计期间无效", "invalid period (from ≤ to, at most "
                      f"{MAX_DAYS} days)", field="to")


async def trends(session: AsyncSession, principal: Principal, under: str | None, period: str,
                 start: date, end: date) -> Trends:
    """The figures of ``under``'s subtree per week (Monday first) or month between ``start`` and
    ``end`` (both included; the first and last buckets are clipped to the period)."""
    if period not in PERIODS:
        raise Invalid("supervision.period", "统计周期无效", "period is week or month",
                      field="period")
    check_period(start, end)
    tenant = await scoped_tenant(session, principal, under)
    path = tenant.path
    c = WatchedCase
    per_day: dict[date, dict[str, int]] = {}

    def add(rows: Any) -> None:
        for m in rows:
            figures = per_day.setdefault(m["day"], {})
            for key, value in m.items():
                if key != "day":
                    figures[key] = figures.get(key, 0) + int(value or 0)

    day = c.accepted_on.label("day")
    add((await session.execute(
        select(day, func.count().label("received"))
        .where(subtree_clause(c.tenant_path, path), c.accepted_on.between(start, end))
        .group_by(c.accepted_on))).mappings().all())
    day = c.decided_on.label("day")
    add((await session.execute(
        select(day, func.count().label("completed"))
        .where(subtree_clause(c.tenant_path, path), c.decided_on.between(start, end))
        .group_by(c.decided_on))).mappings().all())
    add((await session.execute(
        select(Alert.raised_on.label("day"), _count(Alert.colour == "yellow").label("yellow_cards"),
               _count(Alert.colour == "red").label("red_cards"))
        .where(subtree_clause(Alert.tenant_path, path), Alert.raised_on.between(start, end),
               Alert.cleared_at.is_(None))
        .group_by(Alert.raised_on))).mappings().all())
    add((await session.execute(
        select(Complaint.received_on.label("day"), func.count().label("complaints"))
        .where(subtree_clause(Complaint.tenant_path, path),
               Complaint.received_on.between(start, end))
        .group_by(Complaint.received_on))).mappings().all())
    add((await session.execute(
        select(Rating.rated_on.label("day"), func.count().label("ratings"),
               _count(Rating.level >= 4).label("satisfied"))
        .where(subtree_clause(Rating.tenant_path, path), Rating.rated_on.between(start, end),
               ~Rating.excluded)
        .group_by(Rating.rated_on))).mappings().all())

    buckets: list[TrendBucket] = []
    first = bucket_start(start, period)
    while first <= end:
        buckets.append(TrendBucket(start=max(first, start),
                                   end=min(_bucket_end(first, period), end)))
        first = _bucket_end(first, period) + timedelta(days=1)
    index = {bucket_start(b.start, period): b for b in buckets}
    for d, figures in per_day.items():
        if isinstance(d, str):  # SQLite may hand back text for a labelled date column
            d = date.fromisoformat(d)
        b = index[bucket_start(d, period)]
        for key, value in figures.items():
            setattr(b, key, getattr(b, key) + value)
    return Trends(tenant=tenant, period=period, start=start, end=end, buckets=buckets)


async def performance(session: AsyncSession, principal: Principal, under: str | None,
                      start: date, end: date) -> Performance:
    """Each member of staff's figures in ``under``'s subtree between ``start`` and ``end``."""
    check_period(start, end)
    tenant = await scoped_tenant(session, principal, under)
    path = tenant.path
    c = WatchedCase
    out: dict[str, ClerkFigures] = {}

    def add(rows: Any) -> None:
        for m in rows:
            if not m["clerk"]:
                continue
            f = out.setdefault(m["clerk"], ClerkFigures(m["clerk"]))
            for key, value in m.items():
                if key != "clerk":
                    setattr(f, key, getattr(f, key) + int(value or 0))

    add((await session.execute(
        select(c.accepted_by.label("clerk"), func.count().label("accepted"))
        .where(subtree_clause(c.tenant_path, path), c.accepted_on.between(start, end))
        .group_by(c.accepted_by))).mappings().all())
    add((await session.execute(
        select(c.handler.label("clerk"), func.count().label("decided"),
               _count(c.on_time.is_(True)).label("on_time"))
        .where(subtree_clause(c.tenant_path, path), c.decided_on.between(start, end))
        .group_by(c.handler))).mappings().all())
    add((await session.execute(
        select(Alert.handler.label("clerk"), _count(Alert.colour == "yellow").label("yellow_cards"),
               _count(Alert.colour == "red").label("red_cards"))
        .where(subtree_clause(Alert.tenant_path, path), Alert.raised_on.between(start, end),
               Alert.cleared_at.is_(None))
        .group_by(Alert.handler))).mappings().all())
    add((await session.execute(
        select(c.accepted_by.label("clerk"), func.count().label("ratings"),
               _count(Rating.bad).label("bad_ratings"))
        .select_from(Rating).join(c, and_(c.id == Rating.case_id))
        .where(subtree_clause(Rating.tenant_path, path), Rating.rated_on.between(start, end),
               ~Rating.excluded)
        .group_by(c.accepted_by))).mappings().all())
    return Performance(tenant=tenant, start=start, end=end,
                       clerks=[out[k] for k in sorted(out)])


@dataclass
class WindowFigures:
    window: Window
    tenant_code: str
    accepted: int = 0
    decided: int = 0
    on_time: int = 0
    yellow_cards: int = 0
    red_cards: int = 0
    ratings: int = 0
    bad_ratings: int = 0


async def window_performance(session: AsyncSession, principal: Principal, under: str | None,
                             start: date, end: date) -> list[WindowFigures]:
    """Each window's figures in ``under``'s subtree between ``start`` and ``end`` (windows with
    no case in the period included, with zeros), by tenant then window number."""
    check_period(start, end)
    tenant = await scoped_tenant(session, principal, under)
    path = tenant.path
    c = WatchedCase
    windows = (await session.execute(
        select(Window, Tenant.code).join(Tenant, Tenant.id == Window.tenant_id)
        .where(subtree_clause(Tenant.path, path))
        .order_by(Tenant.path, Window.number))).all()
    out = {w.id: WindowFigures(w, code) for w, code in windows}
    scoped = subtree_clause(c.tenant_path, path)
    statements = [
        select(c.window_id, func.count().label("accepted"))
        .where(scoped, c.window_id.is_not(None), c.accepted_on.between(start, end))
        .group_by(c.window_id),
        select(c.window_id, func.count().label("decided"),
               _count(c.on_time.is_(True)).label("on_time"))
        .where(scoped, c.window_id.is_not(None), c.decided_on.between(start, end))
        .group_by(c.window_id),
        select(c.window_id, _count(Alert.colour == "yellow").label("yellow_cards"),
               _count(Alert.colour == "red").label("red_cards"))
        .select_from(Alert).join(c, c.id == Alert.case_id)
        .where(subtree_clause(Alert.tenant_path, path), c.window_id.is_not(None),
               Alert.raised_on.between(start, end), Alert.cleared_at.is_(None))
        .group_by(c.window_id),
        select(c.window_id, func.count().label("ratings"), _count(Rating.bad).label("bad_ratings"))
        .select_from(Rating).join(c, c.id == Rating.case_id)
        .where(subtree_clause(Rating.tenant_path, path), c.window_id.is_not(None),
               Rating.rated_on.between(start, end), ~Rating.excluded)
        .group_by(c.window_id),
    ]
    for statement in statements:
        for m in (await session.execute(statement)).mappings().all():
            f = out.get(m["window_id"])
            if f is None:
                continue  # a window of another tenant (a case's window moved): not listed
            for key, value in m.items():
                if key != "window_id":
                    setattr(f, key, getattr(f, key) + int(value or 0))
    return list(out.values())


@dataclass
class DepartmentFigures:
    tenant_code: str
    handling_path: str
    department_name: str
    accepted: int = 0
    decided: int = 0
    on_time: int = 0
    yellow_cards: int = 0
    red_cards: int = 0
    ratings: int = 0
    bad_ratings: int = 0


async def department_performance(session: AsyncSession, principal: Principal,
                                 under: str | None, start: date,
                                 end: date) -> list[DepartmentFigures]:
    """Each department's figures in ``under``'s subtree between ``start`` and ``end`` (the
    departments implementing an active item there included with zeros, and any other named by a
    case of the period), by handling tenant then name (five statements)."""
    check_period(start, end)
    tenant = await scoped_tenant(session, principal, under)
    path = tenant.path
    out: dict[tuple[str, str], DepartmentFigures] = {}

    def row(handling_path: str, name: str) -> DepartmentFigures:
        key = (handling_path, name)
        if key not in out:
            out[key] = DepartmentFigures(handling_path.rsplit("/", 1)[-1], handling_path, name)
        return out[key]

    i = Implementation
    for handling_path, name in (await session.execute(
            select(i.tenant_path, i.department_name).distinct()
            .where(subtree_clause(i.tenant_path, path), i.status == "active"))).all():
        row(handling_path, name)
    c = WatchedCase
    scoped = and_(subtree_clause(c.tenant_path, path), c.department_name.is_not(None))
    keys = (c.handling_path, c.department_name)
    statements = [
        select(*keys, func.count().label("accepted"))
        .where(scoped, c.accepted_on.between(start, end)).group_by(*keys),
        select(*keys, func.count().label("decided"), _count(c.on_time.is_(True)).label("on_time"))
        .where(scoped, c.decided_on.between(start, end)).group_by(*keys),
        select(*keys, _count(Alert.colour == "yellow").label("yellow_cards"),
               _count(Alert.colour == "red").label("red_cards"))
        .select_from(Alert).join(c, c.id == Alert.case_id)
        .where(subtree_clause(Alert.tenant_path, path), c.department_name.is_not(None),
               Alert.raised_on.between(start, end), Alert.cleared_at.is_(None))
        .group_by(*keys),
        select(*keys, func.count().label("ratings"), _count(Rating.bad).label("bad_ratings"))
        .select_from(Rating).join(c, c.id == Rating.case_id)
        .where(subtree_clause(Rating.tenant_path, path), c.department_name.is_not(None),
               Rating.rated_on.between(start, end), ~Rating.excluded)
        .group_by(*keys),
    ]
    for statement in statements:
        for m in (await session.execute(statement)).mappings().all():
            f = row(m["handling_path"], m["department_name"])
            for key, value in m.items():
                if key not in ("handling_path", "department_name"):
                    setattr(f, key, getattr(f, key) + int(value or 0))
    return [out[key] for key in sorted(out)]
