"""Manual scores and runs (考核运行): evaluate a published indicator system for a period over the
targets below the assessing tenant, and store the result as an immutable snapshot.

**Targets**: every active tenant of one tier below the assessing tenant's subtree (default:
the next tier — a county's townships, a province's cities; ``tier`` may name a lower one, e.g.
a province's counties), optionally narrowed to some of them (``target_codes``; a code outside
that set is ``assessment.target_outside``). Targets are always inside the assessor's subtree.

**Inputs**: for every target and every metric leaf, ``spec.compute(session, target.path,
period)`` (one call per distinct metric per target: each metric is per subtree); the manual
scores entered for the system's code and the period. A target with no value (None) or no
manual score scores 0 on that leaf and is listed in ``missing`` — the run is not refused: a
bulletin must come out on the day, and the missing list says what to chase (the assessor can
enter the score and run again; the new run supersedes nothing, both are kept).

**Scores** (``score_inputs``, pure): each leaf's points are its share of 100 by the relative
weights along its path; the rule gives the fraction earned (``indicators``); groups sum their
children; the total sums the top level; ranks by total, ties share the best rank (1, 1, 3).
Numbers are rounded to 4 decimals in the snapshot.

**Snapshot**: ``inputs`` (system id, code, version and tree, period, tier, targets, each
metric's direction, raw values, manual scores used), ``results`` and ``missing``; ``digest`` is
the SHA-256 of the canonical JSON of ``inputs`` (sorted keys, no spaces), so the same inputs
give the same digest and, scoring being a pure function of the inputs, the same results. A
run is one transaction: nothing is written unless everything was computed. Runs are never
updated (``models._refuse_update`` and a PostgreSQL trigger).

Statements: 1 per distinct metric leaf per target for the metrics of this plugin (the other
plugins' metrics cost what they cost: intake's and supervision's are one statement per call,
disclosure's catalog completeness two), plus a constant 11–12 per run (access and enablement
checks, system, targets, manual scores, insert, audit; measured by
``test_statements_per_target_are_one_per_distinct_metric``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock
from zhengwu.core.db import new_id, subtree_clause
from zhengwu.core.errors import Conflict, Invalid, InvalidField
from zhengwu.core.plugin_api import MetricSpec
from zhengwu.core.plugin_host import current_host
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.assessment import indicators
from zhengwu.plugins.assessment.access import (
    assessing_tenant,
    load_owned,
    readable_clause,
)
from zhengwu.plugins.assessment.models import AssessmentRun, AssessmentSystem, ManualScore
from zhengwu.plugins.assessment.periods import AssessmentPeriod, parse_period
from zhengwu.plugins.assessment.systems import system_tree
from zhengwu.tenants.codes import Tier
from zhengwu.tenants.models import Tenant, TenantStatus

__all__ = ["ManualEntry", "RunRequest", "digest_of", "enter_manual_scores", "get_run",
           "list_manual_scores", "list_runs", "score_inputs", "start_run"]

Progress = Callable[[int, int], None]
ORDER = [t.value for t in Tier]


@dataclass(frozen=True)
class ManualEntry:
    target_code: str
    indicator_key: str
    score: float
    note: str | None = None


@dataclass(frozen=True)
class RunRequest:
    system_id: Any
    period: str
    tier: str | None = None
    target_codes: Sequence[str] | None = None


def _problems(code: str, zh: str, en: str, problems: list[InvalidField]) -> Invalid:
    return Invalid(code, zh + "：" + "；".join(p.zh for p in problems),
                   en + ": " + "; ".join(p.en for p in problems),
                   field=problems[0].field, problems=problems)


async def _system_for(session: AsyncSession, principal: Principal, system_id: Any,
                      action: str) -> tuple[AssessmentSystem, Tenant]:
    system = await load_owned(session, principal, AssessmentSystem, system_id,
                              "assessment_system", action)
    tenant = await assessing_tenant(session, principal, system.tenant_path.rsplit("/", 1)[-1],
                                    action)
    return system, tenant


def _target_tier(tenant: Tenant, tier: str | None) -> str:
    below = ORDER[ORDER.index(tenant.tier) + 1:] if tenant.tier in ORDER else []
    if not below:
        raise Invalid("assessment.bad_tier", f"{tenant.name}没有下级可考核",
                      f"{tenant.code} has no tier below it to assess", field="tier")
    if tier is None:
        return below[0]
    if tier not in below:
        raise Invalid("assessment.bad_tier", f"考核对象层级须低于{tenant.name}：{'、'.join(below)}",
                      f"the targets' tier must be below {tenant.tier}: {', '.join(below)}",
                      field="tier")
    return tier


async def _targets(session: AsyncSession, tenant: Tenant, tier: str) -> list[Tenant]:
    """The active tenants of ``tier`` in the subtree (strictly below ``tenant``), by code."""
    rows = await session.scalars(select(Tenant).where(
        subtree_clause(Tenant.path, tenant.path), Tenant.id != tenant.id, Tenant.tier == tier,
        Tenant.status == TenantStatus.ACTIVE.value).order_by(Tenant.code))
    return list(rows)


def _manual_leaves(system: AssessmentSystem) -> dict[str, float]:
    return {leaf.key: float(leaf.manual_max) for leaf in indicators.leaves(system_tree(system))
            if leaf.manual_max is not None}


async def enter_manual_scores(session: AsyncSession, principal: Principal, system_id: Any,
                              period: str, entries: Sequence[ManualEntry]) -> list[ManualScore]:
    """Enter (or replace) manual scores of targets for the system's code and the period.

    Every problem is reported at once and nothing is written: an unknown target (or one outside
    the assessor's subtree: the same answer), an indicator that is not a manual leaf of this
    version, a score below 0 or above the indicator's maximum. Needs ``assessment:write``."""
    system, tenant = await _system_for(session, principal, system_id, "write")
    p = parse_period(period)
    maxima = _manual_leaves(system)
    codes = sorted({e.target_code for e in entries})
    below = {t.code: t for t in (await session.scalars(select(Tenant).where(
        Tenant.code.in_(codes), subtree_clause(Tenant.path, tenant.path),
        Tenant.id != tenant.id))).all()}
    problems: list[InvalidField] = []
    if not entries:
        problems.append(InvalidField("assessment.no_scores", "没有评分", "no scores given",
                                     field="scores"))
    seen: set[tuple[str, str]] = set()
    for i, e in enumerate(entries):
        where = f"scores[{i}]"
        if e.target_code not in below:
            problems.append(InvalidField(
                "assessment.target_outside", f"{where}：考核对象 {e.target_code} 不在本级所辖范围",
                f"{where}: target {e.target_code} is not below the assessing tenant",
                field=f"{where}.targetCode"))
        if e.indicator_key not in maxima:
            problems.append(InvalidField(
                "assessment.not_manual_indicator",
                f"{where}：指标 {e.indicator_key} 不是本体系的人工评分指标",
                f"{where}: {e.indicator_key} is not a manual indicator of this system",
                field=f"{where}.indicatorKey"))
        elif not (isinstance(e.score, int | float) and 0 <= e.score <= maxima[e.indicator_key]):
            problems.append(InvalidField(
                "assessment.score_out_of_range",
                f"{where}：指标 {e.indicator_key} 的评分须在 0–{maxima[e.indicator_key]:g} 之间",
                f"{where}: the score of {e.indicator_key} must be between 0 and "
                f"{maxima[e.indicator_key]:g}", field=f"{where}.score"))
        if (e.target_code, e.indicator_key) in seen:
            problems.append(InvalidField(
                "assessment.duplicate_score", f"{where}：同一对象同一指标重复评分",
                f"{where}: the same target and indicator twice", field=where))
        seen.add((e.target_code, e.indicator_key))
    if problems:
        raise _problems("assessment.invalid_scores", "人工评分有误", "invalid manual scores",
                        problems)
    existing = {(r.target_code, r.indicator_key): r for r in (await session.scalars(
        select(ManualScore).where(ManualScore.tenant_id == tenant.id,
                                  ManualScore.system_code == system.code,
                                  ManualScore.period_start == p.start,
                                  ManualScore.period_end == p.end,
                                  ManualScore.target_code.in_(codes)))).all()}
    out = []
    for e in entries:
        row = existing.get((e.target_code, e.indicator_key))
        if row is None:
            target = below[e.target_code]
            row = ManualScore(id=new_id(), system_code=system.code, period_start=p.start,
                              period_end=p.end, target_tenant_id=target.id,
                              target_code=target.code, indicator_key=e.indicator_key,
                              tenant_id=tenant.id, tenant_path=tenant.path)
            session.add(row)
        row.score, row.note, row.entered_by = float(e.score), e.note, principal.username
        out.append(row)
    await session.flush()
    await audit.record(session, principal, "assessment.manual_scores", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="assessment_system",
                       target_id=system.id, after={
                           "period": p.label, "scores": [
                               [e.target_code, e.indicator_key, float(e.score)] for e in entries]})
    return out


async def list_manual_scores(session: AsyncSession, principal: Principal, system_id: Any,
                             period: str) -> list[ManualScore]:
    system = await load_owned(session, principal, AssessmentSystem, system_id, "assessment_system")
    p = parse_period(period)
    return list((await session.scalars(select(ManualScore).where(
        ManualScore.tenant_id == system.tenant_id, ManualScore.system_code == system.code,
        ManualScore.period_start == p.start, ManualScore.period_end == p.end)
        .order_by(ManualScore.target_code, ManualScore.indicator_key))).all())


def digest_of(inputs: dict[str, Any]) -> str:
    canonical = json.dumps(inputs, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _r(x: float) -> float:
    return round(x + 0.0, 4)


def score_inputs(inputs: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(results, missing) from a run's inputs — a pure function (see the module docstring)."""
    tree = indicators.parse_system(inputs["system"]["tree"])
    points = indicators.full_points(tree)
    higher = {name: m["higher_is_better"] for name, m in inputs["metrics"].items()}
    targets = [t["code"] for t in inputs["targets"]]
    values, manual = inputs["values"], inputs["manual"]
    leaf_scores: dict[str, dict[str, float]] = {t: {} for t in targets}
    missing: list[dict[str, Any]] = []
    for leaf in indicators.leaves(tree):
        full = points[leaf.key]
        if leaf.manual_max is not None:
            for t in targets:
                s = manual.get(t, {}).get(leaf.key)
                if s is None:
                    missing.append({"target": t, "indicator": leaf.key, "reason": "no_manual_score"})
                leaf_scores[t][leaf.key] = full * (s or 0.0) / leaf.manual_max
            continue
        assert leaf.metric is not None and leaf.rule is not None
        got = {t: values[t][leaf.metric] for t in targets if values[t].get(leaf.metric) is not None}
        for t in targets:
            if t not in got:
                missing.append({"target": t, "indicator": leaf.key, "reason": "no_value"})
        if leaf.rule.kind == "rank":
            fractions = indicators.rank_fractions(
                got, indicators.direction_of(leaf.rule, higher[leaf.metric]))
        else:
            fractions = {t: indicators.rule_fraction(leaf.rule, v, higher[leaf.metric], full)
                         for t, v in got.items()}
        for t in targets:
            leaf_scores[t][leaf.key] = full * fractions.get(t, 0.0)

    def node(t: str, ind: indicators.Indicator, out: dict[str, float]) -> float:
        s = (sum(node(t, c, out) for c in ind.children) if ind.children
             else leaf_scores[t][ind.key])
        out[ind.key] = _r(s)
        return s

    names = {t["code"]: t["name"] for t in inputs["targets"]}
    rows = []
    for t in targets:
        scores: dict[str, float] = {}
        total = _r(sum(node(t, ind, scores) for ind in tree))
        rows.append({"code": t, "name": names[t], "total": total, "scores": scores})
    ranks = indicators.competition_ranks((r["total"] for r in rows), reverse=True)
    for r in rows:
        r["rank"] = ranks[r["total"]]
    rows.sort(key=lambda r: (r["rank"], r["code"]))
    return rows, missing


async def start_run(session: AsyncSession, principal: Principal, request: RunRequest,
                    progress: Progress | None = None) -> AssessmentRun:
    """Run a published system version (``assessment:run`` at its tenant); flushes, the caller
    commits (one transaction)."""
    system, tenant = await _system_for(session, principal, request.system_id, "run")
    if system.status != "published":
        raise Conflict("assessment.system_not_published",
                       f"指标体系 {system.code} 第{system.version}版尚未发布，不能考核",
                       f"system {system.code} version {system.version} is not published",
                       field="systemId")
    period: AssessmentPeriod = parse_period(request.period)
    tier = _target_tier(tenant, request.tier)
    targets = await _targets(session, tenant, tier)
    if request.target_codes is not None:
        by_code = {t.code: t for t in targets}
        outside = [c for c in request.target_codes if c not in by_code]
        if outside:
            raise Invalid("assessment.target_outside",
                          f"考核对象不在{tenant.name}所辖{tier}范围：{'、'.join(outside)}",
                          f"targets not among the {tier} tenants below {tenant.code}: "
                          f"{', '.join(outside)}", field="targetCodes", codes=outside)
        targets = [by_code[c] for c in sorted(set(request.target_codes))]
    if not targets:
        raise Invalid("assessment.no_targets", f"{tenant.name}所辖没有{tier}级考核对象",
                      f"no {tier} tenants below {tenant.code}", field="tier")
    tree = system_tree(system)
    host = current_host()
    registry: dict[str, MetricSpec] = host.metrics() if host is not None else {}
    names = sorted({leaf.metric for leaf in indicators.leaves(tree) if leaf.metric})
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise Conflict("assessment.unknown_metric",
                       f"指标数据已不可用（插件未安装）：{'、'.join(unknown)}",
                       f"metrics no longer available: {', '.join(unknown)}", field="systemId",
                       metrics=unknown)
    values: dict[str, dict[str, float | None]] = {}
    for i, target in enumerate(targets):
        row: dict[str, float | None] = {}
        for name in names:
            mv = await registry[name].compute(session, target.path, period.period)
            row[name] = None if mv.value is None else float(mv.value)
        values[target.code] = row
        if progress is not None:
            progress(i + 1, len(targets))
    manual: dict[str, dict[str, float]] = {}
    manual_keys = _manual_leaves(system)
    if manual_keys:
        for m in (await session.scalars(select(ManualScore).where(
                ManualScore.tenant_id == tenant.id, ManualScore.system_code == system.code,
                ManualScore.period_start == period.start, ManualScore.period_end == period.end,
                ManualScore.indicator_key.in_(list(manual_keys))))).all():
            if m.target_code in values:
                manual.setdefault(m.target_code, {})[m.indicator_key] = float(m.score)
    inputs = {
        "system": {"id": str(system.id), "code": system.code, "name": system.name,
                   "version": system.version, "tree": system.tree},
        "tenant": {"code": tenant.code, "name": tenant.name},
        "period": {"kind": period.kind, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "tier": tier,
        "targets": [{"code": t.code, "name": t.name} for t in targets],
        "metrics": {n: {"higher_is_better": registry[n].higher_is_better,
                        "title": registry[n].title_zh, "unit": registry[n].unit} for n in names},
        "values": values,
        "manual": manual,
    }
    results, missing = score_inputs(inputs)
    run = AssessmentRun(
        id=new_id(), system_id=system.id, system_code=system.code, system_name=system.name,
        system_version=system.version, period_kind=period.kind, period_start=period.start,
        period_end=period.end, target_tier=tier, target_count=len(targets),
        digest=digest_of(inputs), inputs=inputs, results=results, missing=missing,
        created_by=principal.username, created_at=clock.now(),
        tenant_id=tenant.id, tenant_path=tenant.path)
    session.add(run)
    await session.flush()
    await audit.record(session, principal, "assessment.run", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="assessment_run", target_id=run.id,
                       after={"system": system.code, "version": system.version,
                              "period": period.label, "tier": tier, "targets": len(targets),
                              "digest": run.digest})
    return run


async def get_run(session: AsyncSession, principal: Principal, run_id: Any) -> AssessmentRun:
    return await load_owned(session, principal, AssessmentRun, run_id, "assessment_run")


async def list_runs(session: AsyncSession, principal: Principal, tenant_code: str | None = None,
                    system_code: str | None = None) -> list[AssessmentRun]:
    """Runs the caller may read (its subtree, ``assessment:read``), newest first."""
    stmt = select(AssessmentRun).where(readable_clause(AssessmentRun, principal))
    if tenant_code is not None:
        tenant = await assessing_tenant(session, principal, tenant_code, "read")
        stmt = stmt.where(AssessmentRun.tenant_id == tenant.id)
    if system_code is not None:
        stmt = stmt.where(AssessmentRun.system_code == system_code)
    stmt = stmt.order_by(AssessmentRun.created_at.desc(), AssessmentRun.id.desc()).limit(500)
    return list((await session.scalars(stmt)).all())


def may_read(principal: Principal, run: AssessmentRun) -> bool:
    return can(principal, "read", Resource("assessment", run.tenant_path))
