"""assessment's part of ``zhengwu demo`` (hook ``zhengwu_cli``): 宣城市's assessor (the demo
user ``xuancheng_assessor``, acting at 宁国市 341881, which its city grant covers) defines a
small indicator system at 宁国市, publishes it, enters on-site inspection scores for two
townships, runs it for the current month over 宁国市's townships, and writes the bulletin
(HTML and Excel) into ``demo-bulletins/``, beside the disclosure demo's ``demo-reports/``
(a folder of its own: the end-to-end demo test lists ``demo-reports/`` exactly).

Indicators: convenience-centre and agent-point coverage (``core.*``, linear 0→100%), and —
where intake is installed — cases received (rank) and the on-time rate (linear 80%→100%);
an on-site inspection (现场检查, manual, out of 10). Idempotent: the system is created once
and a run of the same version and month is reused.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock
from zhengwu.core.security.authn import principals_of
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.assessment import bulletin, runs, systems
from zhengwu.plugins.assessment.models import AssessmentRun, AssessmentSystem
from zhengwu.plugins.assessment.periods import month
from zhengwu.tenants.models import Tenant

__all__ = ["REPORTS_DIR", "demo_month"]

COUNTY = "341881"
ASSESSOR = "xuancheng_assessor"
SYSTEM_CODE = "NG-MONTHLY"
REPORTS_DIR = Path("demo-bulletins")
INSPECTED = {"341881204": 9.0, "341881100": 7.5}  # 方塘乡, 港口镇


def _tree(metrics: set[str]) -> list[dict[str, Any]]:
    linear = {"kind": "linear", "zero_at": 0.0, "full_at": 1.0}
    tree: list[dict[str, Any]] = [
        {"key": "venues", "name": "便民服务体系", "weight": 40, "children": [
            {"key": "centres", "name": "便民服务大厅覆盖率", "weight": 1,
             "metric": "core.convenience_centre_coverage", "rule": linear},
            {"key": "agent_points", "name": "代办点覆盖率", "weight": 1,
             "metric": "core.agent_point_coverage", "rule": linear}]},
        {"key": "inspection", "name": "现场检查", "weight": 20, "manual_max": 10},
    ]
    if {"intake.received", "intake.on_time_rate"} <= metrics:
        tree.insert(1, {"key": "service", "name": "办件服务", "weight": 40, "children": [
            {"key": "received", "name": "收件量", "weight": 1, "metric": "intake.received",
             "rule": {"kind": "rank"}},
            {"key": "on_time", "name": "按时办结率", "weight": 1,
             "metric": "intake.on_time_rate",
             "rule": {"kind": "linear", "zero_at": 0.8, "full_at": 1.0}}]})
    return tree


async def _principal(session: AsyncSession) -> Principal:
    found = await principals_of(session, [ASSESSOR])
    if ASSESSOR not in found:
        raise RuntimeError(f"the assessment demo needs the demo user {ASSESSOR}")
    county = await session.scalar(select(Tenant).where(Tenant.code == COUNTY))
    assert county is not None
    return dataclasses.replace(found[ASSESSOR], acting_path=county.path,
                               acting_tenant_id=county.id, acting_tier=county.tier)


def _write(files: dict[Path, bytes]) -> None:
    REPORTS_DIR.mkdir(exist_ok=True)
    for path, data in files.items():
        path.write_bytes(data)


async def demo_month(session: AsyncSession) -> str:
    from zhengwu.core.plugin_host import current_host

    assessor = await _principal(session)
    host = current_host()
    metrics = set(host.metrics()) if host is not None else set()
    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    period = month(today.year, today.month)
    system = await session.scalar(
        select(AssessmentSystem).where(AssessmentSystem.tenant_path == assessor.acting_path,
                                       AssessmentSystem.code == SYSTEM_CODE,
                                       AssessmentSystem.status == "published")
        .order_by(AssessmentSystem.version.desc()).limit(1))
    if system is None:
        draft = await systems.save_system(session, assessor, systems.SystemDraft(
            code=SYSTEM_CODE, name="宁国市乡镇政务服务月度考核", tree=_tree(metrics)))
        system = await systems.publish_system(session, assessor, draft.id)
        await session.commit()
    run = await session.scalar(select(AssessmentRun).where(
        AssessmentRun.system_id == system.id, AssessmentRun.period_start == period.start,
        AssessmentRun.period_end == period.end).limit(1))
    if run is None:
        await runs.enter_manual_scores(session, assessor, system.id, period.label, [
            runs.ManualEntry(code, "inspection", score, "现场检查")
            for code, score in INSPECTED.items()])
        run = await runs.start_run(session, assessor, runs.RunRequest(system.id, period.label))
        await session.commit()
    stem = REPORTS_DIR / f"assessment-{COUNTY}-{period.label}"
    files = {stem.with_suffix(".html"): bulletin.render_html(run).encode(),
             stem.with_suffix(".xlsx"): bulletin.render_xlsx(run)}
    await asyncio.to_thread(_write, files)
    best = run.results[0] if run.results else None
    lead = f"; first: {best['name']} {best['total']:.2f}" if best else ""
    return (f"assessment of 宁国市's {run.target_count} townships for {period.label} "
            f"(system {SYSTEM_CODE} v{system.version}{lead}); bulletin: "
            + ", ".join(str(p) for p in files))


