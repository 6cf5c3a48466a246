"""Section 二 figures of the annual report that the platform itself knows: 行政许可 decisions
(第二十条第（五）项) and 行政事业性收费 (第二十条第（八）项), taken from the intake plugin's metrics.

Plugins never import each other (architecture rule 1, the import-linter contract): the figures
come through the core's metrics hook (``current_host().metrics()``), by name —
``intake.licensing_decisions`` (件: cases of items of type 01 行政许可 decided in the year,
approved or denied, counted at the deciding tenant) and ``intake.handling_fees`` (元: fees
charged in the year on the cases the tenant decides; shown in 万元, 4 decimals). Without intake
installed, or where intake is not switched on, the cells stay hand-entered as before.
行政处罚 and 行政强制 are always hand-entered: they are not applications (intake's business),
whatever the catalog's item types can name.

**Own figures from subtree metrics.** A metric covers a subtree; the report of a tenant alone
(本级) needs its own decisions: ``m(tenant) − Σ m(child)`` over its direct children (one
metric statement per child; the report is a yearly document, not a hot path).

**Hand-entered values win** (``ReportInput.proactive``): a tenant that enters ``licensing`` or
``fees`` replaces its own platform figure (decisions made outside the platform). A subtree
report sums, per tenant, the entered value where there is one and the platform's own figure
elsewhere: ``m(root) + Σ (entered_t − own_t)`` over the tenants with an entry. Each figure
says where it came from (``origin``: ``platform``, ``entered`` or ``mixed``), and the table
notes say it in words (HTML, Excel, GraphQL).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.errors import Invalid
from zhengwu.core.plugin_api import MetricSpec, Period
from zhengwu.core.plugin_host import current_host
from zhengwu.plugins.disclosure.models import ReportInput
from zhengwu.tenants import enablement
from zhengwu.tenants.models import Tenant

__all__ = ["PLATFORM_METRICS", "SOURCE_PLUGIN", "Figure", "platform_metrics", "proactive_figures"]

SOURCE_PLUGIN = "intake"
PLATFORM_METRICS: Mapping[str, tuple[str, float]] = {
    "licensing": ("intake.licensing_decisions", 1.0),
    "fees": ("intake.handling_fees", 1 / 10_000),  # 元 → 万元
}
"""Report key → (metric name, factor to the report's unit)."""

PLATFORM, ENTERED, MIXED = "platform", "entered", "mixed"


@dataclass(frozen=True)
class Figure:
    """One section 二 cell: its ``value``, where it came from, the platform's own figure when
    there is one (``platform``; also when an entered value replaced it), and how many tenants
    entered theirs (``entered``)."""

    value: float
    origin: str
    platform: float | None = None
    entered: int = 0


def platform_metrics() -> dict[str, MetricSpec]:
    """The report keys whose metric is registered (intake installed), with their spec."""
    host = current_host()
    specs = host.metrics() if host is not None else {}
    return {key: specs[name] for key, (name, _) in PLATFORM_METRICS.items() if name in specs}


def _round(key: str, value: float) -> float:
    return round(value, 4) if key == "fees" else float(round(value))


async def _intake_runs(session: AsyncSession, tenant: Tenant, subtree: bool) -> bool:
    """Intake is switched on at the tenant (cascade) — or, for a subtree, anywhere in it."""
    try:
        scope = await enablement.enabled_scope(session, SOURCE_PLUGIN)
    except Invalid:  # plugin.unknown: registered metrics but not installed in this process
        return False
    if scope.is_enabled(tenant.path):
        return True
    return subtree and any(on and path.startswith(tenant.path + "/")
                           for path, on in scope.deciders)


async def _children(session: AsyncSession, ids: Sequence[uuid.UUID]
                    ) -> dict[uuid.UUID, list[str]]:
    """The paths of the direct children of ``ids`` (one statement; the directory is public)."""
    out: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    rows = await session.execute(select(Tenant.parent_id, Tenant.path)
                                 .where(Tenant.parent_id.in_(list(ids))))
    for parent, path in rows:
        if parent is not None:
            out[parent].append(path)
    return out


async def proactive_figures(session: AsyncSession, tenant: Tenant, year: int, subtree: bool,
                            inputs: Sequence[ReportInput], keys: Sequence[str],
                            metrics: Mapping[str, MetricSpec] | None = None
                            ) -> dict[str, Figure]:
    """The section 二 cells ``keys`` of ``tenant`` (or its subtree) for ``year``.

    ``inputs`` are the report inputs read for the report (the tenant's, or the subtree's).
    ``metrics`` defaults to ``platform_metrics()``.
    """
    specs = platform_metrics() if metrics is None else dict(metrics)
    if specs and not await _intake_runs(session, tenant, subtree):
        specs = {}
    period = Period(date(year, 1, 1), date(year, 12, 31))
    entries = {key: [(i, float(i.proactive[key])) for i in inputs
                     if key in (i.proactive or {})] for key in keys}
    needs_own = {tenant.id: tenant.path} if not subtree else {
        i.tenant_id: i.tenant_path for key in specs for i, _ in entries.get(key, ())}
    children = await _children(session, list(needs_own)) if specs and needs_own else {}
    out: dict[str, Figure] = {}
    for key in keys:
        entered = entries[key]
        spec = specs.get(key)
        if spec is None:
            out[key] = Figure(_round(key, sum(v for _, v in entered)), ENTERED,
                              entered=len(entered))
            continue
        factor = PLATFORM_METRICS[key][1]

        async def measure(path: str, spec: MetricSpec = spec, factor: float = factor) -> float:
            return float((await spec.compute(session, path, period)).value or 0) * factor

        async def own(tenant_id: uuid.UUID, path: str) -> float:
            value = await measure(path)
            for child in children.get(tenant_id, ()):
                value -= await measure(child)
            return value

        if not subtree:
            computed = _round(key, await own(tenant.id, tenant.path))
            out[key] = (Figure(_round(key, entered[0][1]), ENTERED, computed, 1) if entered
                        else Figure(computed, PLATFORM, computed))
            continue
        whole = await measure(tenant.path)
        total = whole
        for row, value in entered:
            total += value - await own(row.tenant_id, row.tenant_path)
        out[key] = Figure(_round(key, total), MIXED if entered else PLATFORM,
                          _round(key, whole), len(entered))
    return out
