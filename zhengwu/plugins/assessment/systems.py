"""Indicator systems (考核指标体系): save a draft, publish a version, read them.

A system is identified by its ``code`` within the assessing tenant; each version is a row.
``save_system`` edits the latest version while it is a draft, and starts the next version
(a new draft) when the latest is published — a published version never changes, so a run made
with it stays explainable. ``publish_system`` validates again (a metric may have been
uninstalled since the draft was saved) and freezes the version. Every problem of the tree is
reported at once (``assessment.invalid_system``) and nothing is written. Audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock
from zhengwu.core.db import new_id
from zhengwu.core.errors import Conflict, Invalid
from zhengwu.core.plugin_host import current_host
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.assessment import indicators
from zhengwu.plugins.assessment.access import assessing_tenant, load_owned, readable_clause
from zhengwu.plugins.assessment.models import AssessmentSystem

__all__ = ["SystemDraft", "get_system", "list_systems", "metric_direction", "publish_system",
           "published_version",
           "save_system", "system_tree"]


@dataclass(frozen=True)
class SystemDraft:
    code: str
    name: str
    tree: Any  # the JSON list of indicator objects (see ``indicators``)
    tenant_code: str | None = None


def metric_direction(name: str) -> bool | None:
    """``higher_is_better`` of a registered metric; None when no installed plugin has it."""
    host = current_host()
    spec = host.metrics().get(name) if host is not None else None
    return None if spec is None else spec.higher_is_better


def system_tree(system: AssessmentSystem) -> tuple[indicators.Indicator, ...]:
    return indicators.parse_system(system.tree)


def _check_code(code: str) -> str:
    code = (code or "").strip()
    if not code or len(code) > 40:
        raise Invalid("assessment.system_code", "体系代码须为1–40个字符",
                      "the system code must have 1–40 characters", field="code")
    return code


async def save_system(session: AsyncSession, principal: Principal,
                      draft: SystemDraft) -> AssessmentSystem:
    tenant = await assessing_tenant(session, principal, draft.tenant_code, "write")
    code = _check_code(draft.code)
    name = (draft.name or "").strip()
    if not name or len(name) > 200:
        raise Invalid("assessment.system_name", "体系名称须为1–200个字符",
                      "the system name must have 1–200 characters", field="name")
    tree = indicators.parse_system(draft.tree)
    indicators.validate_system(tree, metric_direction)
    latest = await session.scalar(
        select(AssessmentSystem).where(AssessmentSystem.tenant_id == tenant.id,
                                       AssessmentSystem.code == code)
        .order_by(AssessmentSystem.version.desc()).limit(1))
    stored = indicators.tree_to_json(tree)
    if latest is not None and latest.status == "draft":
        before: dict[str, Any] | None = _snapshot(latest)
        latest.name, latest.tree = name, stored
        row = latest
    else:
        before = None
        row = AssessmentSystem(id=new_id(), code=code, name=name,
                               version=(latest.version + 1) if latest is not None else 1,
                               status="draft", tree=stored, created_by=principal.username,
                               tenant_id=tenant.id, tenant_path=tenant.path)
        session.add(row)
    await session.flush()
    await audit.record(session, principal, "assessment.system_saved", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="assessment_system",
                       target_id=row.id, before=before, after=_snapshot(row))
    return row


async def publish_system(session: AsyncSession, principal: Principal,
                         system_id: Any) -> AssessmentSystem:
    row = await load_owned(session, principal, AssessmentSystem, system_id,
                           "assessment_system", "write")
    if row.status != "draft":
        raise Conflict("assessment.already_published",
                       f"指标体系 {row.code} 第{row.version}版已发布，不能再改；修改将生成新版本",
                       f"system {row.code} version {row.version} is already published",
                       field="id")
    indicators.validate_system(system_tree(row), metric_direction)
    before = _snapshot(row)
    row.status, row.published_at = "published", clock.now()
    await session.flush()
    await audit.record(session, principal, "assessment.system_published",
                       tenant_id=row.tenant_id, tenant_path=row.tenant_path,
                       target_type="assessment_system", target_id=row.id, before=before,
                       after=_snapshot(row))
    return row


async def get_system(session: AsyncSession, principal: Principal,
                     system_id: Any) -> AssessmentSystem:
    return await load_owned(session, principal, AssessmentSystem, system_id, "assessment_system")


async def list_systems(session: AsyncSession, principal: Principal,
                       tenant_code: str | None = None) -> Sequence[AssessmentSystem]:
    """Every version of every system the caller may read (optionally of one tenant), newest
    version first per code."""
    stmt = select(AssessmentSystem).where(readable_clause(AssessmentSystem, principal))
    if tenant_code is not None:
        tenant = await assessing_tenant(session, principal, tenant_code, "read")
        stmt = stmt.where(AssessmentSystem.tenant_id == tenant.id)
    stmt = stmt.order_by(AssessmentSystem.tenant_path, AssessmentSystem.code,
                         AssessmentSystem.version.desc())
    return (await session.scalars(stmt)).all()


def _snapshot(row: AssessmentSystem) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "version": row.version, "status": row.status,
            "tree": row.tree}


async def published_version(session: AsyncSession, principal: Principal, tenant_code: str,
                            code: str) -> AssessmentSystem:
    """The latest published version of the system ``code`` of a tenant (``assessment:read``)."""
    from zhengwu.core.errors import NotFound

    tenant = await assessing_tenant(session, principal, tenant_code, "read")
    row = await session.scalar(
        select(AssessmentSystem).where(AssessmentSystem.tenant_id == tenant.id,
                                       AssessmentSystem.code == code,
                                       AssessmentSystem.status == "published")
        .order_by(AssessmentSystem.version.desc()).limit(1))
    if row is None:
        raise NotFound("assessment_system", code)
    return row
