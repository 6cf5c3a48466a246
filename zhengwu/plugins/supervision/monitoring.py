"""Live monitoring (实时监控) of a subtree from supervision's projection: how many watched cases
are open, paused, near their deadline, overdue or over a step's limit, the cards and 督办
tickets standing, the complaints not closed (and of them, open past their deadline) and the bad
ratings whose rectification is not closed (and of them, past ``close_due``) — for the tenant
itself (本级) and for each of its children.

Six statements whatever the size of the subtree: conditional aggregates over the watched
cases, the live cards, the open tickets, the complaints and the ratings, each grouped by the
child's path prefix (``substr(tenant_path, 1, len(child path))``), and the tenants; three more
for the windows (every window of the subtree with its open cases and live cards, grouped by the
projection's ``window_id``) and three for the departments (every department implementing an
item in the subtree, and any department named by an open case, with its open cases and live
cards, grouped by the projection's handling tenant and ``department_name``). Figures are as of
``today`` (Asia/Shanghai); scope and ``alert:read`` are checked once at the tenant asked about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.catalog.models import Implementation
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import NotFound
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.supervision.models import (
    Alert,
    Complaint,
    Rating,
    SupervisionTicket,
    WatchedCase,
)
from zhengwu.plugins.supervision.service import require
from zhengwu.tenants.models import Tenant, Window
from zhengwu.tenants.scope import access_tenant

__all__ = ["DepartmentFigures", "Figures", "Overview", "WindowFigures", "overview"]

_CHILD_CODE_LENGTH = {"province": 4, "city": 6, "county": 9, "township": 12}
_FIGURES = ("watched", "paused", "near_deadline", "overdue", "step_over_limit", "yellow_cards",
            "red_cards", "open_tickets", "open_complaints", "overdue_complaints",
            "open_rectifications", "overdue_rectifications")


@dataclass
class Figures:
    """One tenant's (or subtree's) figures as of a day."""

    tenant: Tenant
    subtree: bool  # False: the tenant's own cases (本级); True: the child's whole subtree
    watched: int = 0
    paused: int = 0
    near_deadline: int = 0
    overdue: int = 0
    step_over_limit: int = 0
    yellow_cards: int = 0
    red_cards: int = 0
    open_tickets: int = 0
    open_complaints: int = 0
    overdue_complaints: int = 0
    open_rectifications: int = 0
    overdue_rectifications: int = 0


@dataclass
class WindowFigures:
    """The live figures of the cases that came in through one window."""

    window: Window
    tenant_code: str
    watched: int = 0
    paused: int = 0
    near_deadline: int = 0
    overdue: int = 0
    yellow_cards: int = 0
    red_cards: int = 0


@dataclass
class DepartmentFigures:
    """The live figures of the open cases one department of one tenant handles."""

    tenant_code: str
    handling_path: str
    department_name: str
    watched: int = 0
    paused: int = 0
    near_deadline: int = 0
    overdue: int = 0
    yellow_cards: int = 0
    red_cards: int = 0


@dataclass
class Overview:
    tenant: Tenant
    as_of: date
    totals: Figures
    rows: list[Figures] = field(default_factory=list)  # 本级 first, then each child
    windows: list[WindowFigures] = field(default_factory=list)  # every window of the subtree
    departments: list[DepartmentFigures] = field(default_factory=list)  # by tenant, then name


def _count(cond: Any) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0).cast(Integer)


async def overview(session: AsyncSession, principal: Principal, under: str | None,
                   today: date) -> Overview:
    """The monitoring figures of ``under`` (default: the acting tenant) and of its children."""
    if principal.is_anonymous:
        raise NotFound("tenant", under)
    tenant = await access_tenant(session, principal, under or principal.acting_code)
    if not principal.sees(tenant.path):
        raise NotFound("tenant", under)
    require(principal, "read", tenant.path)
    width = _CHILD_CODE_LENGTH.get(tenant.tier)
    n = literal_column(str(len(tenant.path) + 1 + width if width else len(tenant.path)))

    c = WatchedCase
    prefix = func.substr(c.tenant_path, 1, n).label("prefix")
    running = and_(c.watching, ~c.paused)
    cases = (await session.execute(
        select(prefix, func.count().label("watched"), _count(c.paused).label("paused"),
               _count(and_(running, c.yellow_on <= today, c.due_date >= today))
               .label("near_deadline"),
               _count(and_(running, c.due_date < today)).label("overdue"),
               _count(and_(running, c.step_due < today)).label("step_over_limit"))
        .where(subtree_clause(c.tenant_path, tenant.path), c.watching)
        .group_by(prefix))).mappings().all()
    a_prefix = func.substr(Alert.tenant_path, 1, n).label("prefix")
    cards = (await session.execute(
        select(a_prefix, _count(Alert.colour == "yellow").label("yellow_cards"),
               _count(Alert.colour == "red").label("red_cards"))
        .where(subtree_clause(Alert.tenant_path, tenant.path),
               Alert.status.not_in(("closed", "cleared")))
        .group_by(a_prefix))).mappings().all()
    t = SupervisionTicket
    t_prefix = func.substr(t.tenant_path, 1, n).label("prefix")
    tickets = (await session.execute(
        select(t_prefix, func.count().label("open_tickets"))
        .where(subtree_clause(t.tenant_path, tenant.path), t.status == "open")
        .group_by(t_prefix))).mappings().all()
    q = Complaint
    q_prefix = func.substr(q.tenant_path, 1, n).label("prefix")
    complaints = (await session.execute(
        select(q_prefix, func.count().label("open_complaints"),
               _count(and_(q.status == "open", q.due_on < today)).label("overdue_complaints"))
        .where(subtree_clause(q.tenant_path, tenant.path), q.status != "closed")
        .group_by(q_prefix))).mappings().all()
    r = Rating
    r_prefix = func.substr(r.tenant_path, 1, n).label("prefix")
    rectifying = (await session.execute(
        select(r_prefix, func.count().label("open_rectifications"),
               _count(r.close_due < today).label("overdue_rectifications"))
        .where(subtree_clause(r.tenant_path, tenant.path), r.bad,
               r.rectification.not_in(("closed", "void")))
        .group_by(r_prefix))).mappings().all()
    children = (await session.scalars(
        select(Tenant).where(or_(Tenant.id == tenant.id,
                                 and_(Tenant.parent_id == tenant.id, Tenant.status != "merged")))
        .order_by(Tenant.depth, Tenant.path))).all()
    rows = {r.path: Figures(r, subtree=r.id != tenant.id) for r in children}
    for found in (cases, cards, tickets, complaints, rectifying):
        for m in found:
            row = rows.get(m["prefix"])
            if row is None:
                continue  # a merged child's leftovers are counted in the totals only
            for key in _FIGURES:
                if key in m:
                    setattr(row, key, int(m[key]))
    totals = Figures(tenant, subtree=True)
    for found in (cases, cards, tickets, complaints, rectifying):
        for m in found:
            for key in _FIGURES:
                if key in m:
                    setattr(totals, key, getattr(totals, key) + int(m[key]))
    return Overview(tenant=tenant, as_of=today, totals=totals, rows=list(rows.values()),
                    windows=await _windows(session, tenant.path, today),
                    departments=await _departments(session, tenant.path, today))


async def _windows(session: AsyncSession, path: str, today: date) -> list[WindowFigures]:
    """Every window of the subtree with its open cases' figures (three statements)."""
    windows = (await session.execute(
        select(Window, Tenant.code).join(Tenant, Tenant.id == Window.tenant_id)
        .where(subtree_clause(Tenant.path, path)).order_by(Tenant.path, Window.number))).all()
    out = {w.id: WindowFigures(w, code) for w, code in windows}
    if not out:
        return []
    c = WatchedCase
    running = and_(c.watching, ~c.paused)
    found = list((await session.execute(
        select(c.window_id, func.count().label("watched"), _count(c.paused).label("paused"),
               _count(and_(running, c.yellow_on <= today, c.due_date >= today))
               .label("near_deadline"),
               _count(and_(running, c.due_date < today)).label("overdue"))
        .where(subtree_clause(c.tenant_path, path), c.watching, c.window_id.is_not(None))
        .group_by(c.window_id))).mappings().all())
    found += (await session.execute(
        select(c.window_id, _count(Alert.colour == "yellow").label("yellow_cards"),
               _count(Alert.colour == "red").label("red_cards"))
        .select_from(Alert).join(c, c.id == Alert.case_id)
        .where(subtree_clause(Alert.tenant_path, path), c.window_id.is_not(None),
               Alert.status.not_in(("closed", "cleared")))
        .group_by(c.window_id))).mappings().all()
    for m in found:
        f = out.get(m["window_id"])
        if f is not None:
            for key, value in m.items():
                if key != "window_id":
                    setattr(f, key, int(value or 0))
    return list(out.values())


async def _departments(session: AsyncSession, path: str,
                       today: date) -> list[DepartmentFigures]:
    """Every department of the subtree with its open cases' figures (three statements): the
    departments implementing an active item at a tenant of the subtree (zeros included) and
    any other named by an open case or a live card (a department since renamed, say); keyed by
    the handling tenant and the name, as intake's payloads carry it."""
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
    running = and_(c.watching, ~c.paused)
    found = list((await session.execute(
        select(c.handling_path, c.department_name, func.count().label("watched"),
               _count(c.paused).label("paused"),
               _count(and_(running, c.yellow_on <= today, c.due_date >= today))
               .label("near_deadline"),
               _count(and_(running, c.due_date < today)).label("overdue"))
        .where(subtree_clause(c.tenant_path, path), c.watching, c.department_name.is_not(None))
        .group_by(c.handling_path, c.department_name))).mappings().all())
    found += (await session.execute(
        select(c.handling_path, c.department_name,
               _count(Alert.colour == "yellow").label("yellow_cards"),
               _count(Alert.colour == "red").label("red_cards"))
        .select_from(Alert).join(c, c.id == Alert.case_id)
        .where(subtree_clause(Alert.tenant_path, path), c.department_name.is_not(None),
               Alert.status.not_in(("closed", "cleared")))
        .group_by(c.handling_path, c.department_name))).mappings().all()
    for m in found:
        f = row(m["handling_path"], m["department_name"])
        for key, value in m.items():
            if key not in ("handling_path", "department_name"):
                setattr(f, key, int(value or 0))
    return [out[key] for key in sorted(out)]
