"""好差评 summed per service item (政务服务事项): for a tenant of the principal's subtree and a
period, each item's ratings per level (5 非常满意 … 1 非常不满意), its satisfaction rate, its bad
ratings (差评, level 1–2) and how many of those were rectified (整改 closed by the 回访).

The item is the rated case's ``basic_code`` in the projection (intake's payloads carry it; a
case projected without one is counted under ``None``); ratings excluded on appeal (malicious,
upheld) are left out of every figure, as in the rates. One ``GROUP BY`` statement, whatever the
number of ratings; the item's name is read in the same statement from a published catalog the
tenant reads (the deepest, latest version). Scope and
``alert:read`` are checked at the tenant asked about, like the other rating queries: a tenant
outside the principal's subtree and one that does not exist are one answer (``tenant.not_found``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.catalog.models import CatalogItem
from zhengwu.core.db import subtree_clause
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.supervision.analysis import check_period, scoped_tenant
from zhengwu.plugins.supervision.models import Rating, WatchedCase
from zhengwu.tenants.scope import ancestor_paths

__all__ = ["ItemRatings", "ratings_by_item"]


@dataclass(frozen=True)
class ItemRatings:
    """One service item's ratings in the period."""

    basic_code: str | None
    item_name: str | None
    levels: tuple[int, int, int, int, int]
    """Ratings at level 1, 2, 3, 4 and 5 (in that order)."""
    bad: int
    rectified: int

    @property
    def rated(self) -> int:
        return sum(self.levels)

    @property
    def satisfied(self) -> int:
        return self.levels[3] + self.levels[4]

    @property
    def satisfaction_rate(self) -> float | None:
        """Level 4–5 / all ratings (None without ratings)."""
        return round(self.satisfied / self.rated, 4) if self.rated else None

    @property
    def rectification_rate(self) -> float | None:
        """Bad ratings whose rectification closed / bad ratings (None without bad ratings)."""
        return round(self.rectified / self.bad, 4) if self.bad else None


def _count(cond: Any) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0).cast(Integer)


async def ratings_by_item(session: AsyncSession, principal: Principal, under: str | None,
                          start: date, end: date) -> list[ItemRatings]:
    """Each item's ratings in ``under``'s subtree (default: the acting tenant's) rated between
    ``start`` and ``end`` (both included), most rated first, then by code."""
    check_period(start, end)
    tenant = await scoped_tenant(session, principal, under)
    r, c = Rating, WatchedCase
    # The name from a published catalog the asked tenant reads (its own and its ancestors',
    # or one below it), the deepest and latest version: another province's catalog reuses the
    # national code with its own name and must never name the item here.
    cat = CatalogItem
    readable = (cat.tenant_path.in_([*ancestor_paths(tenant.path), tenant.path])
                | subtree_clause(cat.tenant_path, tenant.path))
    name = (select(cat.name)
            .where(cat.basic_code == c.basic_code, cat.status == "published", readable)
            .order_by(func.length(cat.tenant_path).desc(), cat.version.desc()).limit(1)
            .correlate(c).scalar_subquery())
    rows = (await session.execute(
        select(c.basic_code, name, *(_count(r.level == n) for n in range(1, 6)),
               _count(r.bad), _count(r.bad & (r.rectification == "closed")))
        .select_from(r).join(c, c.id == r.case_id)
        .where(subtree_clause(r.tenant_path, tenant.path), r.rated_on >= start,
               r.rated_on <= end, ~r.excluded)
        .group_by(c.basic_code))).all()
    items = [ItemRatings(basic_code=row[0], item_name=row[1],
                         levels=(int(row[2]), int(row[3]), int(row[4]), int(row[5]), int(row[6])),
                         bad=int(row[7]), rectified=int(row[8])) for row in rows]
    return sorted(items, key=lambda i: (-i.rated, i.basic_code or ""))
