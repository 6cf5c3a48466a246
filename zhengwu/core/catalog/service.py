"""Catalog services (基本目录): create, edit, publish and retire item versions, and read them.

A catalog is owned by a province (the default) or by the platform root ``0`` (the national
catalog); a city or county never owns one. Each item is a row per *version*: ``draft →
published → retired``. Publishing version *n* retires the previous published version of
the same owner and code and flags every implementation of the older versions for review
(drift). Published rows are immutable. Lower tiers read the catalogs of their ancestors and
the national one; they never write them.

This module must never write implementation lists (beyond the drift flag), never know of
litestar or strawberry, and never leave half-written data: every input is validated in
full (all problems reported at once, ``catalog.invalid``) before anything is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock, events
from zhengwu.core.catalog import codes
from zhengwu.core.catalog.access import (
    Problems,
    catalog_readable,
    not_found,
    owner_clause,
    require,
    writable_tenant,
)
from zhengwu.core.catalog.inputs import NewItem
from zhengwu.core.catalog.models import (
    CatalogFee,
    CatalogItem,
    CatalogMaterial,
    CatalogStep,
    Implementation,
)
from zhengwu.core.db import new_id
from zhengwu.core.errors import Conflict, Invalid
from zhengwu.core.security.principal import Principal
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "APPLICANT_TYPES",
    "MATERIAL_FORMS",
    "ItemElements",
    "create_item",
    "get_item",
    "item_elements",
    "list_items",
    "publish_item",
    "retire_item",
    "snapshot",
    "update_item",
]

OWNER_TIERS = ("province", "platform")
MATERIAL_FORMS = ("paper", "electronic", "both")
APPLICANT_TYPES = (1, 2, 3, 4, 5, 6, 9)
"""服务对象: 自然人, 企业法人, 事业法人, 社会组织法人, 非法人企业, 行政机关, 其他组织."""


@dataclass(frozen=True)
class ItemElements:
    """The materials, fees and steps of one item version, in ``seq`` order."""

    materials: list[CatalogMaterial]
    fees: list[CatalogFee]
    steps: list[CatalogStep]


def snapshot(item: CatalogItem) -> dict[str, Any]:
    return {"id": str(item.id), "basic_code": item.basic_code, "version": item.version,
            "status": item.status, "name": item.name, "item_type": item.item_type,
            "use_levels": list(item.use_levels), "statutory_days": item.statutory_days,
            "case_type": item.case_type, "max_visits": item.max_visits,
            "online_depth": item.online_depth, "owner": item.tenant_path}


# -- validation ------------------------------------------------------------------------------

def _check(new: NewItem) -> tuple[str, Problems]:
    """Every problem of ``new`` (not touching the database). Returns the normalised code."""
    code = (new.basic_code or "").strip().upper()
    p = Problems("catalog.invalid", f"目录事项 {code} 的要素有误",
                 f"catalog item {code} has invalid elements", item=code)
    business = False
    try:
        code_type, _form, business = codes.parse_basic_code(code)
        if new.item_type != code_type:
            p.add("catalog.item_type_mismatch",
                  f"事项类型 {new.item_type} 与基本编码第 3–4 位 {code_type} 不一致",
                  f"item type {new.item_type} differs from the code's type digits {code_type}",
                  "item_type", value=new.item_type)
    except Invalid as exc:
        p.take(exc)
    if new.item_type not in codes.ITEM_TYPES:
        p.add("catalog.bad_item_type", f"事项类型 {new.item_type} 不在国家编码（01–10、20）中",
              f"item type {new.item_type} is not a national item type (01–10, 20)",
              "item_type", value=new.item_type)
    if not (new.name or "").strip():
        p.add("catalog.empty_name", "事项名称不能为空", "the item name must not be empty", "name")
    levels = set(new.use_levels)
    if not levels:
        p.add("catalog.use_levels_empty", "行使层级不能为空（1–6 中至少一个）",
              "at least one exercising tier (1–6) is needed", "use_levels")
    elif not levels <= {int(level) for level in codes.UseLevel}:
        p.add("catalog.bad_use_level", f"行使层级只能取 1–6：{sorted(levels)}",
              f"exercising tiers must be 1–6: {sorted(levels)}", "use_levels",
              value=sorted(levels))
    if new.case_type not in (codes.CaseType.INSTANT, codes.CaseType.PROMISED):
        p.add("catalog.bad_case_type", f"办件类型 {new.case_type} 应为 1（即办件）或 2（承诺件）",
              f"case type {new.case_type} must be 1 (instant) or 2 (promised)", "case_type")
    if new.statutory_days is not None and new.statutory_days < 0:
        p.add("catalog.negative_days", "法定办结时限不能为负", "the statutory limit must not be "
              "negative", "statutory_days", value=new.statutory_days)
    elif new.case_type == codes.CaseType.PROMISED and not new.statutory_days:
        p.add("catalog.statutory_days_missing", "承诺件须有法定办结时限（工作日，至少 1 天）",
              "a promised-deadline item needs a statutory limit of at least 1 working day",
              "statutory_days")
    if new.max_visits is not None and new.max_visits < 0:
        p.add("catalog.negative_visits", "到现场次数不能为负", "maximum visits must not be negative",
              "max_visits", value=new.max_visits)
    if new.online_depth is not None and not 1 <= new.online_depth <= 4:
        p.add("catalog.bad_online_depth", f"网上办理深度 {new.online_depth} 应为 1–4",
              f"online depth {new.online_depth} must be 1–4", "online_depth")
    bad_applicants = sorted(set(new.applicant_types) - set(APPLICANT_TYPES))
    if bad_applicants:
        p.add("catalog.bad_applicant_type", f"服务对象代码无效：{bad_applicants}",
              f"unknown applicant types: {bad_applicants}", "applicant_types",
              value=bad_applicants)
    _check_children(new, p)
    if business and not new.parent_code:
        p.add("catalog.parent_missing", f"业务办理项 {code} 须指明所属事项（前 12 位）",
              f"business-handling item {code} needs its parent item (its first 12 characters)",
              "parent_code")
    elif new.parent_code is not None and (not business or new.parent_code.strip().upper()
                                          != code[:12]):
        p.add("catalog.parent_mismatch",
              f"所属事项 {new.parent_code} 应为 14 位业务办理项编码的前 12 位",
              f"parent {new.parent_code} must be the first 12 characters of a 14-character "
              "business-handling code", "parent_code", value=new.parent_code)
    return code, p


def _check_children(new: NewItem, p: Problems) -> None:
    for i, m in enumerate(new.materials, 1):
        if not (m.name or "").strip():
            p.add("catalog.empty_material_name", f"第 {i} 项材料名称为空",
                  f"material {i} has no name", f"materials[{i}].name")
        if m.form not in MATERIAL_FORMS:
            p.add("catalog.bad_material_form", f"第 {i} 项材料形式 {m.form} 应为 paper/electronic/both",
                  f"material {i}: form {m.form} must be paper, electronic or both",
                  f"materials[{i}].form")
        if m.originals < 0 or m.copies < 0:
            p.add("catalog.negative_count", f"第 {i} 项材料的原件/复印件份数不能为负",
                  f"material {i}: originals and copies must not be negative",
                  f"materials[{i}].copies")
    for i, f in enumerate(new.fees, 1):
        if not (f.name or "").strip() or not (f.standard or "").strip():
            p.add("catalog.empty_fee", f"第 {i} 项收费须有名称和收费标准",
                  f"fee {i} needs a name and a standard", f"fees[{i}].standard")
        if f.max_amount_cents is not None and f.max_amount_cents < 0:
            p.add("catalog.negative_fee", f"第 {i} 项收费金额不能为负",
                  f"fee {i}: the amount must not be negative", f"fees[{i}].max_amount_cents")
    total = 0
    for i, s in enumerate(new.steps, 1):
        if not (s.name or "").strip():
            p.add("catalog.empty_step_name", f"第 {i} 个办理环节名称为空", f"step {i} has no name",
                  f"steps[{i}].name")
        if s.limit_days is not None and s.limit_days < 0:
            p.add("catalog.negative_days", f"第 {i} 个办理环节时限不能为负",
                  f"step {i}: the limit must not be negative", f"steps[{i}].limit_days")
        total += max(s.limit_days or 0, 0)
    if new.statutory_days is not None and total > new.statutory_days >= 0:
        p.add("catalog.steps_exceed_statutory",
              f"各环节时限之和 {total} 个工作日超过法定办结时限 {new.statutory_days}",
              f"the steps' limits add up to {total} working days, more than the statutory "
              f"{new.statutory_days}", "steps", total=total)


# -- writing ---------------------------------------------------------------------------------

def _fill(item: CatalogItem, new: NewItem) -> None:
    item.name = new.name.strip()
    item.item_type = new.item_type
    item.legal_basis = new.legal_basis
    item.use_levels = sorted(set(new.use_levels))
    item.statutory_days = new.statutory_days
    item.case_type = new.case_type
    item.conditions = new.conditions
    item.quantity_limit = new.quantity_limit
    item.max_visits = new.max_visits
    item.online_depth = new.online_depth
    item.applicant_types = sorted(set(new.applicant_types))
    item.result_type = new.result_type
    item.result_name = new.result_name
    item.is_free = new.is_free and not new.fees  # an item with fee items is not free


def _add_children(session: AsyncSession, item: CatalogItem, new: NewItem, owner_id: uuid.UUID,
                  owner_path: str) -> None:
    """Materials, fees and steps of ``item`` (flushed first: no ORM relationship orders them)."""
    own = {"tenant_id": owner_id, "tenant_path": owner_path, "item_id": item.id}
    for i, m in enumerate(new.materials, 1):
        session.add(CatalogMaterial(seq=i, name=m.name.strip(), form=m.form, originals=m.originals,
                                    copies=m.copies, required=m.required,
                                    blank_form_url=m.blank_form_url, sample_url=m.sample_url,
                                    legal_basis=m.legal_basis, **own))
    for i, f in enumerate(new.fees, 1):
        session.add(CatalogFee(seq=i, name=f.name.strip(), standard=f.standard.strip(),
                               max_amount_cents=f.max_amount_cents, basis=f.basis,
                               reducible=f.reducible, reduction_basis=f.reduction_basis, **own))
    for i, s in enumerate(new.steps, 1):
        session.add(CatalogStep(seq=i, name=s.name.strip(), limit_days=s.limit_days, role=s.role,
                                **own))


async def _owner(session: AsyncSession, principal: Principal, owner_code: str,
                 permission: str) -> Tenant:
    owner = await writable_tenant(session, principal, owner_code, permission)
    if owner.tier not in OWNER_TIERS:
        raise Invalid("catalog.owner_tier",
                      f"{owner.name}（{owner.code}）是{owner.tier}，不能拥有事项目录（省级或国家目录）",
                      f"{owner.code} is a {owner.tier}: only a province or the platform root "
                      "(national catalog) owns a catalog", field="owner_code", owner=owner.code)
    return owner


async def _parent(session: AsyncSession, owner: Tenant, code: str, p: Problems) -> uuid.UUID | None:
    parent_code = code[:12]
    parent_id: uuid.UUID | None = await session.scalar(
        select(CatalogItem.id).where(CatalogItem.tenant_id == owner.id,
                                     CatalogItem.basic_code == parent_code,
                                     CatalogItem.status != "retired")
        .order_by(CatalogItem.version.desc()).limit(1))
    if parent_id is None:
        p.add("catalog.parent_not_found", f"所属事项 {parent_code} 不在{owner.name}的目录中",
              f"parent item {parent_code} is not in the catalog of {owner.code}", "parent_code",
              value=parent_code)
    return parent_id


async def create_item(session: AsyncSession, principal: Principal, owner_code: str,
                      new: NewItem) -> CatalogItem:
    """A new draft version of ``new.basic_code`` in the catalog of ``owner_code``.

    Version 1, or the owner's highest version of that code + 1. One draft at a time per
    owner and code (``catalog.draft_exists``). Materials, fees and steps get ``seq`` 1..n.
    """
    owner = await _owner(session, principal, owner_code, "catalog:write")
    code, p = _check(new)
    parent_id = await _parent(session, owner, code, p) if len(code) == 14 and new.parent_code else None
    p.raise_if_any()
    rows = (await session.execute(
        select(CatalogItem.version, CatalogItem.status)
        .where(CatalogItem.tenant_id == owner.id, CatalogItem.basic_code == code))).all()
    if any(status == "draft" for _v, status in rows):
        raise Conflict("catalog.draft_exists", f"目录事项 {code} 已有草稿，请编辑该草稿",
                       f"catalog item {code} already has a draft; edit that one",
                       field="basic_code", item=code)
    version = max((v for v, _s in rows), default=0) + 1
    item = CatalogItem(id=new_id(), basic_code=code, version=version, status="draft",
                       parent_id=parent_id, tenant_id=owner.id, tenant_path=owner.path, extra={})
    _fill(item, new)
    session.add(item)
    await session.flush()
    _add_children(session, item, new, owner.id, owner.path)
    await session.flush()
    await audit.record(session, principal, "catalog.create", tenant_id=owner.id,
                       tenant_path=owner.path, target_type="catalog_item", target_id=item.id,
                       after=snapshot(item))
    await events.publish(session, "catalog.item_created", owner.id, owner.path,
                         {"code": code, "version": version, "owner": owner.code},
                         principal.username)
    return item


async def _load_for_write(session: AsyncSession, principal: Principal, item_id: uuid.UUID,
                          permission: str) -> CatalogItem:
    item = await session.get(CatalogItem, item_id)
    if item is None or not catalog_readable(principal, item.tenant_path):
        raise not_found("catalog_item", item_id)
    require(principal, permission, item.tenant_path)
    return item


async def update_item(session: AsyncSession, principal: Principal, item_id: uuid.UUID,
                      new: NewItem) -> CatalogItem:
    """Replace the elements of a *draft* (published rows are immutable: ``catalog.not_draft``).

    The basic code cannot change (``catalog.code_immutable``); materials, fees and steps are
    replaced by ``new``'s.
    """
    item = await _load_for_write(session, principal, item_id, "catalog:write")
    if item.status != "draft":
        raise Conflict("catalog.not_draft",
                       f"目录事项 {item.basic_code} 第 {item.version} 版已{_zh_status(item.status)}，"
                       "不能修改；请新建版本",
                       f"catalog item {item.basic_code} v{item.version} is {item.status} and "
                       "immutable; create a new version", field="status", item=item.basic_code)
    code, p = _check(new)
    if code != item.basic_code:
        p.add("catalog.code_immutable", f"基本编码不能修改（{item.basic_code} → {code}）",
              f"the basic code cannot change ({item.basic_code} → {code})", "basic_code")
    owner = await session.get(Tenant, item.tenant_id)
    assert owner is not None
    parent_id = await _parent(session, owner, code, p) if len(code) == 14 and new.parent_code else None
    p.raise_if_any()
    before = snapshot(item)
    for table in (CatalogMaterial, CatalogFee, CatalogStep):
        await session.execute(delete(table).where(table.item_id == item.id))
    item.parent_id = parent_id
    _fill(item, new)
    _add_children(session, item, new, item.tenant_id, item.tenant_path)
    await session.flush()
    await audit.record(session, principal, "catalog.update", tenant_id=item.tenant_id,
                       tenant_path=item.tenant_path, target_type="catalog_item",
                       target_id=item.id, before=before, after=snapshot(item))
    return item


def _zh_status(status: str) -> str:
    return {"draft": "为草稿", "published": "发布", "retired": "废止"}.get(status, status)


async def publish_item(session: AsyncSession, principal: Principal,
                       item_id: uuid.UUID) -> CatalogItem:
    """Publish a draft. The previous published version of the same owner and code is
    retired, and every implementation of an older version is flagged ``needs_review``
    (drift); those keep working until ``confirm_review``. Event ``catalog.item_published``."""
    item = await _load_for_write(session, principal, item_id, "catalog:publish")
    if item.status != "draft":
        raise Conflict("catalog.not_draft",
                       f"目录事项 {item.basic_code} 第 {item.version} 版不是草稿，不能发布",
                       f"catalog item {item.basic_code} v{item.version} is {item.status}, not a "
                       "draft", field="status", item=item.basic_code)
    now = clock.now()
    before = snapshot(item)
    older = select(CatalogItem.id).where(CatalogItem.tenant_id == item.tenant_id,
                                         CatalogItem.basic_code == item.basic_code,
                                         CatalogItem.version < item.version)
    retired = (await session.execute(
        update(CatalogItem).where(CatalogItem.id.in_(older), CatalogItem.status == "published")
        .values(status="retired", retired_at=now, updated_at=now)
        .returning(CatalogItem.version))).scalars().all()
    reason = (f"目录事项 {item.basic_code} 已发布第 {item.version} 版 / catalog item "
              f"{item.basic_code} v{item.version} published")
    flagged = await _flag(session, older, reason)
    item.status = "published"
    item.published_at = now
    await session.flush()
    await audit.record(session, principal, "catalog.publish", tenant_id=item.tenant_id,
                       tenant_path=item.tenant_path, target_type="catalog_item",
                       target_id=item.id, before=before,
                       after={**snapshot(item), "retired_versions": sorted(retired),
                              "flagged_implementations": flagged})
    await events.publish(session, "catalog.item_published", item.tenant_id, item.tenant_path,
                         {"code": item.basic_code, "version": item.version,
                          "retired_versions": sorted(retired), "flagged": flagged},
                         principal.username)
    return item


async def _flag(session: AsyncSession, item_ids: Any, reason: str) -> int:
    """Mark the live implementations of ``item_ids`` ``needs_review`` (those the session's
    scope reaches; the operator's scope reaches all). Returns how many changed."""
    res = await session.execute(
        update(Implementation)
        .where(Implementation.catalog_item_id.in_(item_ids), Implementation.status != "retired")
        .values(status="needs_review", review_reason=reason[:300], updated_at=clock.now())
        .execution_options(synchronize_session="fetch"))
    return int(res.rowcount)  # type: ignore[attr-defined]


async def retire_item(session: AsyncSession, principal: Principal,
                      item_id: uuid.UUID) -> CatalogItem:
    """Retire a published version (废止). Its implementations are flagged for review."""
    item = await _load_for_write(session, principal, item_id, "catalog:publish")
    if item.status != "published":
        raise Conflict("catalog.not_published",
                       f"目录事项 {item.basic_code} 第 {item.version} 版未发布，不能废止",
                       f"catalog item {item.basic_code} v{item.version} is {item.status}; only a "
                       "published version can be retired", field="status", item=item.basic_code)
    before = snapshot(item)
    item.status = "retired"
    item.retired_at = clock.now()
    await session.flush()
    flagged = await _flag(session, select(CatalogItem.id).where(CatalogItem.id == item.id),
                          f"目录事项 {item.basic_code} 第 {item.version} 版已废止 / catalog item "
                          f"{item.basic_code} v{item.version} retired")
    await audit.record(session, principal, "catalog.retire", tenant_id=item.tenant_id,
                       tenant_path=item.tenant_path, target_type="catalog_item",
                       target_id=item.id, before=before,
                       after={**snapshot(item), "flagged_implementations": flagged})
    await events.publish(session, "catalog.item_retired", item.tenant_id, item.tenant_path,
                         {"code": item.basic_code, "version": item.version, "flagged": flagged},
                         principal.username)
    return item


# -- reading ---------------------------------------------------------------------------------

async def list_items(session: AsyncSession, principal: Principal, *,
                     owner_code: str | None = None, search: str | None = None,
                     item_type: str | None = None, status: str | None = None,
                     ) -> list[CatalogItem]:
    """Item versions the principal may read: the catalogs of its acting tenant's ancestors
    (or itself) and the national catalog, filtered in SQL; ordered by code and version."""
    require(principal, "catalog:read", principal.acting_path)
    stmt = select(CatalogItem).where(owner_clause(principal))
    if owner_code is not None:
        owner = await access_tenant(session, principal, owner_code)
        if not catalog_readable(principal, owner.path):
            raise not_found("tenant", owner_code)
        stmt = stmt.where(CatalogItem.tenant_id == owner.id)
    if search:
        term = search.strip()
        stmt = stmt.where(or_(CatalogItem.name.contains(term, autoescape=True),
                              CatalogItem.basic_code.startswith(term.upper(), autoescape=True)))
    if item_type is not None:
        stmt = stmt.where(CatalogItem.item_type == item_type)
    if status is not None:
        stmt = stmt.where(CatalogItem.status == status)
    stmt = stmt.order_by(CatalogItem.basic_code, CatalogItem.tenant_path, CatalogItem.version)
    return list((await session.scalars(stmt)).all())


async def get_item(session: AsyncSession, principal: Principal,
                   item_id: uuid.UUID | None = None, *, code: str | None = None,
                   version: int | None = None) -> CatalogItem:
    """One item version by id, or by basic code (and version; without it the newest
    published one). Several owners may hold a code: the nearest to the acting tenant wins."""
    require(principal, "catalog:read", principal.acting_path)
    if item_id is not None:
        item = await session.get(CatalogItem, item_id)
        if item is None or not catalog_readable(principal, item.tenant_path):
            raise not_found("catalog_item", item_id)
        return item
    if code is None:
        raise Invalid("catalog.ref_missing", "须给出事项 id 或基本编码", "give an item id or a "
                      "basic code", field="code")
    code = code.strip().upper()
    stmt = select(CatalogItem).where(owner_clause(principal), CatalogItem.basic_code == code)
    stmt = stmt.where(CatalogItem.version == version) if version is not None else stmt.where(
        CatalogItem.status == "published")
    rows = (await session.scalars(stmt)).all()
    if not rows:
        raise not_found("catalog_item", f"{code} v{version}" if version else code)
    return max(rows, key=lambda r: (r.tenant_path.count("/") if r.tenant_path != "0" else -1,
                                    r.version))


async def item_elements(session: AsyncSession, item: CatalogItem) -> ItemElements:
    """The materials, fees and steps of an item already loaded through scoped access."""
    def by_item(model: Any) -> Any:
        return select(model).where(model.item_id == item.id).order_by(model.seq)

    return ItemElements(materials=list((await session.scalars(by_item(CatalogMaterial))).all()),
                        fees=list((await session.scalars(by_item(CatalogFee))).all()),
                        steps=list((await session.scalars(by_item(CatalogStep))).all()))

