"""Provisioning of single tenants: create, suspend, reactivate, merge (撤并). Never delete.

Bulk import from the national table lives in ``zhengwu.tenants.importer``; both end in the
same rules: the tier follows from the code and must sit right below the parent's tier, and
(on creation) the parent's code is a prefix of the child's.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from zhengwu.core import audit, clock, events
from zhengwu.core.db import Base
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.models import Grant
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.tenants.codes import PLATFORM_CODE, Tier, kind_hint, parse_code
from zhengwu.tenants.models import SettingOverride, Tenant, TenantMerge, TenantStatus
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "create_tenant",
    "ensure_platform_root",
    "get_children",
    "merge_tenant",
    "reactivate_tenant",
    "snapshot",
    "subtree_counts",
    "subtree_counts_many",
    "suspend_tenant",
]

PLATFORM_NAME = "平台"


def snapshot(tenant: Tenant) -> dict[str, Any]:
    return {"code": tenant.code, "name": tenant.name, "tier": tenant.tier, "kind": tenant.kind,
            "path": tenant.path, "status": tenant.status}


async def ensure_platform_root(session: AsyncSession) -> Tenant:
    """The operator's root above the provinces (code ``0``); created on first use."""
    root = await session.scalar(select(Tenant).where(Tenant.code == PLATFORM_CODE))
    if root is None:
        root = Tenant(code=PLATFORM_CODE, name=PLATFORM_NAME, tier=Tier.PLATFORM.value,
                      kind=None, parent_id=None, path=PLATFORM_CODE, depth=0)
        session.add(root)
        await session.flush()
    return root


def _require(principal: Principal, action: str, path: str) -> None:
    if not can(principal, action, Resource("tenant", path)):
        raise PermissionDenied(f"tenant:{action}", path)


async def create_tenant(session: AsyncSession, principal: Principal, code: str, name: str,
                        parent_code: str | None = None) -> Tenant:
    """Create one tenant under its parent (implied by the code unless given)."""
    division = parse_code(code)
    name = (name or "").strip()
    if not name:
        raise Invalid("tenant.empty_name", "名称不能为空", "name must not be empty", field="name")
    implied = division.parent
    if parent_code is not None and str(parent_code).strip() not in ("", PLATFORM_CODE):
        given = parse_code(parent_code)
        if implied is None or given.short != implied.short:
            raise Invalid("tenant.wrong_parent",
                          f"{division.short} 的上级应为 {implied or '平台'}，而不是 {given.short}",
                          f"the parent of {division.short} must be {implied or 'the platform'}, "
                          f"not {given.short}", field="parent_code")
    if implied is None:
        parent = await ensure_platform_root(session)
    else:
        found = await session.scalar(select(Tenant).where(Tenant.code == implied.short))
        if found is None:
            raise Invalid("tenant.unknown_parent", f"上级区划 {implied} 不存在",
                          f"parent division {implied} does not exist", field="parent_code")
        parent = found
    if parent.tier != (division.tier.parent or Tier.PLATFORM).value:
        raise Invalid("tenant.wrong_tier",
                      f"{division.short} 是{division.tier.zh}，不能位于{parent.tier}之下",
                      f"{division.short} is {division.tier.value} and cannot sit under a "
                      f"{parent.tier}", field="parent_code")
    if parent.status != TenantStatus.ACTIVE.value:
        raise Invalid("tenant.parent_inactive", f"上级 {parent.code} 状态为 {parent.status}",
                      f"parent {parent.code} is {parent.status}", field="parent_code")
    path = division.short if parent.tier == Tier.PLATFORM.value else f"{parent.path}/{division.short}"
    _require(principal, "create", path)
    if await session.scalar(select(Tenant.id).where(Tenant.code == division.short)) is not None:
        raise Conflict("tenant.duplicate_code", f"区划代码 {division.short} 已存在",
                       f"division code {division.short} already exists", field="code")
    tenant = Tenant(code=division.short, name=name, tier=division.tier.value,
                    kind=kind_hint(division, name), parent_id=parent.id, path=path,
                    depth=division.tier.depth)
    session.add(tenant)
    await session.flush()
    await audit.record(session, principal, "tenant.create", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="tenant", target_id=tenant.code,
                       after=snapshot(tenant))
    await events.publish(session, "tenant.created", tenant.id, tenant.path,
                         {"code": tenant.code, "tier": tenant.tier}, principal.username)
    return tenant


async def _set_status(session: AsyncSession, principal: Principal, code: str, action: str,
                      status: TenantStatus, allowed_from: set[str], fact: str) -> Tenant:
    tenant = await access_tenant(session, principal, code)
    _require(principal, "suspend", tenant.path)
    if tenant.status not in allowed_from:
        raise Conflict(f"tenant.cannot_{action}",
                       f"{tenant.name}（{tenant.code}）当前状态为 {tenant.status}，不能执行此操作",
                       f"{tenant.code} is {tenant.status}; cannot {action}", field="code")
    before = snapshot(tenant)
    tenant.status = status.value
    await session.flush()
    await audit.record(session, principal, f"tenant.{action}", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="tenant", target_id=tenant.code,
                       before=before, after=snapshot(tenant))
    await events.publish(session, fact, tenant.id, tenant.path, {"code": tenant.code},
                         principal.username)
    return tenant


async def suspend_tenant(session: AsyncSession, principal: Principal, code: str) -> Tenant:
    """Suspend a tenant: no new business, all data kept."""
    return await _set_status(session, principal, code, "suspend", TenantStatus.SUSPENDED,
                             {TenantStatus.ACTIVE.value}, "tenant.suspended")


async def reactivate_tenant(session: AsyncSession, principal: Principal, code: str) -> Tenant:
    return await _set_status(session, principal, code, "reactivate", TenantStatus.ACTIVE,
                             {TenantStatus.SUSPENDED.value}, "tenant.reactivated")


def _movable_tables() -> list[Any]:
    """Tenant-owned tables whose rows follow a merge. The audit log stays as written."""
    return [t for t in Base.metadata.sorted_tables
            if "tenant_path" in t.c and "tenant_id" in t.c and t.name != "audit_log"]


async def merge_tenant(session: AsyncSession, principal: Principal, source_code: str,
                       target_code: str) -> TenantMerge:
    """Merge ``source`` into ``target`` (撤并): records and children move, with a trace.

    Both must be active and of the same tier, and neither inside the other. The source is
    kept with status ``merged``; its own records are re-owned by the target, its children
    move under the target (their codes stay, their paths change), and every tenant-owned
    row below is re-pathed. The audit log is history and is not rewritten.
    """
    source = await access_tenant(session, principal, source_code)
    target = await access_tenant(session, principal, target_code)
    for t in (source, target):
        _require(principal, "merge", t.path)
    if source.id == target.id:
        raise Invalid("tenant.merge_into_self", "不能合并到自身", "cannot merge a tenant into itself",
                      field="target")
    if source.tier != target.tier:
        raise Invalid("tenant.merge_tier_mismatch",
                      f"只能合并同一层级的区划（{source.tier} ≠ {target.tier}）",
                      f"can only merge tenants of the same tier ({source.tier} != {target.tier})",
                      field="target")
    for t in (source, target):
        if t.status != TenantStatus.ACTIVE.value:
            raise Conflict("tenant.merge_inactive", f"{t.code} 状态为 {t.status}，不能合并",
                           f"{t.code} is {t.status}; cannot merge", field="target")
    old_prefix, new_prefix = source.path + "/", target.path + "/"
    moved: Counter[str] = Counter()
    children = await session.execute(
        update(Tenant).where(Tenant.parent_id == source.id).values(parent_id=target.id)
    )
    moved["children"] = children.rowcount  # type: ignore[attr-defined]
    # Re-path the subtree below the source, in the directory and in every tenant-owned table.
    n = len(old_prefix) + 1
    for table, column in [(Tenant.__table__, "path")] + [(t, "tenant_path") for t in _movable_tables()]:
        col = table.c[column]
        res = await session.execute(
            table.update()
            .where((col >= old_prefix) & (col < source.path + "0"))
            .values({column: new_prefix + func.substr(col, n)})
        )
        if res.rowcount:  # type: ignore[attr-defined]
            moved[f"{table.name}.subtree"] += res.rowcount  # type: ignore[attr-defined]
    await _drop_colliding_rows(session, source, target, moved)
    for table in _movable_tables():
        res = await session.execute(
            table.update().where(table.c.tenant_id == source.id)
            .values(tenant_id=target.id, tenant_path=target.path)
        )
        if res.rowcount:  # type: ignore[attr-defined]
            moved[table.name] += res.rowcount  # type: ignore[attr-defined]
    before = snapshot(source)
    source.status = TenantStatus.MERGED.value
    source.merged_into_id = target.id
    trace = TenantMerge(source_id=source.id, target_id=target.id, source_path=source.path,
                        target_path=target.path, actor=principal.username, at=clock.now(),
                        moved=dict(moved))
    session.add(trace)
    await audit.record(session, principal, "tenant.merge", tenant_id=target.id,
                       tenant_path=target.path, target_type="tenant", target_id=source.code,
                       before=before, after={"merged_into": target.code, "moved": dict(moved)})
    await events.publish(session, "tenant.merged", target.id, target.path,
                         {"source": source.code, "target": target.code, "moved": dict(moved)},
                         principal.username)
    # Bulk updates bypassed the identity map: make loaded objects reload what moved.
    session.expire_all()
    await session.refresh(trace)
    return trace


async def _drop_colliding_rows(session: AsyncSession, source: Tenant, target: Tenant,
                               moved: Counter[str]) -> None:
    """Rows of the source that would duplicate one of the target's: the target's wins.

    A setting both override keeps the target's value; a role a user holds at both keeps
    the target's grant. What is dropped is counted in the merge trace and the audit entry.
    """
    tables: list[tuple[Table, tuple[str, ...]]] = [
        (SettingOverride.__table__, ("namespace", "key")),  # type: ignore[list-item]
        (Grant.__table__, ("user_id", "role")),  # type: ignore[list-item]
    ]
    for table, keys in tables:
        src = table.alias("src")
        tgt = table.alias("tgt")
        clash = select(tgt.c.id).where(tgt.c.tenant_id == target.id,
                                       *[tgt.c[k] == src.c[k] for k in keys])
        ids = (await session.execute(
            select(src.c.id).where(src.c.tenant_id == source.id, clash.exists())
        )).scalars().all()
        if ids:
            await session.execute(table.delete().where(table.c.id.in_(ids)))
            moved[f"{table.name}.dropped_as_duplicate"] += len(ids)


async def subtree_counts(session: AsyncSession, tenant: Tenant) -> dict[str, int]:
    """Number of descendants per tier (the tenant itself not counted)."""
    return (await subtree_counts_many(session, [tenant]))[tenant.id]


async def subtree_counts_many(session: AsyncSession,
                              tenants: Sequence[Tenant]) -> dict[uuid.UUID, dict[str, int]]:
    """Descendants per tier of many tenants in one statement (a range join on the path).

    The platform root counts every tenant but itself (provinces' paths do not start with it).
    """
    out = {t.id: {tier.value: 0 for tier in Tier if tier.depth > Tier(t.tier).depth}
           for t in tenants}
    inner = [t for t in tenants if t.tier != Tier.PLATFORM.value]
    if inner:
        below = aliased(Tenant)
        rows = await session.execute(
            select(Tenant.id, below.tier, func.count())
            .join(below, (below.path > Tenant.path + "/") & (below.path < Tenant.path + "0"))
            .where(Tenant.id.in_([t.id for t in inner]))
            .group_by(Tenant.id, below.tier))
        for tenant_id, tier, n in rows.all():
            out[tenant_id][tier] = n
    for root in (t for t in tenants if t.tier == Tier.PLATFORM.value):
        per_tier = await session.execute(select(Tenant.tier, func.count())
                                         .where(Tenant.code != PLATFORM_CODE).group_by(Tenant.tier))
        out[root.id].update({tier: n for tier, n in per_tier.all()})
    return out


async def get_children(session: AsyncSession, principal: Principal, code: str) -> list[Tenant]:
    parent = await access_tenant(session, principal, code)
    if not principal.sees(parent.path):
        raise NotFound("tenant", code)
    rows = await session.scalars(select(Tenant).where(Tenant.parent_id == parent.id)
                                 .order_by(Tenant.code))
    return list(rows.all())
