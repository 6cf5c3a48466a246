"""Implementation lists (实施清单): a tenant adopts a published catalog item with its local
elements, which may only tighten the catalog's; drift review when the catalog moves on.

Rules checked on every adoption, edit and review confirmation (all violations collected
and raised together as ``implementation.invalid``, each an ``InvalidField`` naming its
element; nothing is written):

* the tenant's tier is among the item's exercising tiers, or a valid 下放/授权/委托 covers it
  (its power source is then 2/3/5) — ``implementation.level_not_exercised``;
* the department's unified social credit code passes its checksum;
* promised ≤ statutory days; visits ≤ the catalog's maximum; fees ≤ their standard;
  materials ⊆ the catalog's, required ones present and still required;
* not in the service hall needs a reason (应进必进); a window must be the tenant's.

Catalog fields (name, type, legal basis, codes, limits) are never copied or edited here:
an implementation stores only local elements and points at one catalog item version. When a
newer version is published the implementation is ``needs_review`` but keeps working until
``confirm_review`` re-points it. This module must never write catalog rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock, events
from zhengwu.core.catalog import codes
from zhengwu.core.catalog.access import (
    Problems,
    nearest_published,
    not_found,
    require,
    writable_tenant,
)
from zhengwu.core.catalog.delegation import entitlement
from zhengwu.core.catalog.inputs import LocalFee, LocalMaterial, NewImplementation
from zhengwu.core.catalog.models import (
    CatalogFee,
    CatalogItem,
    CatalogMaterial,
    Implementation,
    ImplementationFee,
    ImplementationMaterial,
)
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, Invalid
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import permitted_clause
from zhengwu.tenants.models import Tenant, Window
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "DriftRow",
    "LocalElements",
    "adopt_item",
    "confirm_review",
    "drift_report",
    "get_implementation",
    "list_implementations",
    "local_elements",
    "retire_implementation",
    "snapshot",
    "update_implementation",
]


@dataclass(frozen=True)
class LocalElements:
    """An implementation's chosen materials and applied fees, with their catalog rows."""

    materials: list[tuple[ImplementationMaterial, CatalogMaterial]]
    fees: list[tuple[ImplementationFee, CatalogFee]]


@dataclass(frozen=True)
class DriftRow:
    """One implementation pending review: where, what, which versions, since when."""

    implementation_id: uuid.UUID
    tenant_code: str
    tenant_name: str
    basic_code: str
    item_name: str
    adopted_version: int
    newest_version: int | None  # None: the item was retired with no newer version
    since: datetime | None
    reason: str | None


def snapshot(impl: Implementation) -> dict[str, Any]:
    return {"id": str(impl.id), "basic_code": impl.basic_code,
            "catalog_item_id": str(impl.catalog_item_id), "code": impl.implementation_code,
            "status": impl.status, "department": impl.department_name,
            "credit_code": impl.department_credit_code, "use_level": impl.use_level,
            "power_source": impl.power_source, "promised_days": impl.promised_days,
            "max_visits": impl.max_visits, "in_hall": impl.in_hall, "online": impl.online,
            "tenant": impl.tenant_path}


# -- the rules -------------------------------------------------------------------------------

_PEER_OR_STATUTORY = (codes.PowerSource.STATUTORY, codes.PowerSource.PEER_AUTHORISED,
                      codes.PowerSource.PEER_ENTRUSTED)


@dataclass
class _Checked:
    credit: str
    level: int
    power_source: int
    materials: list[tuple[CatalogMaterial, bool]]
    fees: list[tuple[CatalogFee, int | None]]


async def _check(session: AsyncSession, tenant: Tenant, item: CatalogItem,
                 new: NewImplementation) -> _Checked:
    """Every violation of ``new`` against ``item`` at ``tenant``; raises them together."""
    code = item.basic_code
    p = Problems("implementation.invalid", f"{tenant.name} 实施事项 {code} 的要素有误",
                 f"implementation of {code} at {tenant.code} has invalid elements", item=code,
                 tenant=tenant.code)
    # Tier, or a delegation covering it.
    level = int(codes.UseLevel.of_tier(tenant.tier))
    power_source = new.power_source
    ent = await entitlement(session, tenant, item, clock.today_shanghai())
    if ent is None:
        p.add("implementation.level_not_exercised",
              f"事项 {code} 的行使层级为 {item.use_levels}，{tenant.name}（{level}）不在其中，"
              "且无有效的下放/授权/委托",
              f"item {code} is exercised at tiers {item.use_levels}; {tenant.code} (tier {level}) "
              "is not among them and no valid delegation covers it", "use_level",
              level=level, use_levels=list(item.use_levels))
    elif ent.power_source != codes.PowerSource.STATUTORY:
        power_source = ent.power_source  # from the delegation that covers the tenant
    elif power_source not in {int(ps) for ps in codes.PowerSource}:
        p.add("implementation.bad_power_source", f"权力来源 {power_source} 应为 1–6",
              f"power source {power_source} must be 1–6", "power_source")
    elif power_source not in _PEER_OR_STATUTORY:
        power_source = codes.PowerSource.STATUTORY  # exercised at its tier: no upper source
    # Department.
    credit = (new.department_credit_code or "").strip().upper()
    try:
        credit = codes.validate_credit_code(credit, field="department_credit_code")
    except Invalid as exc:
        p.take(exc)
    if not (new.department_name or "").strip():
        p.add("implementation.empty_department", "实施主体名称不能为空",
              "the implementing department needs a name", "department_name")
    # Limits.
    if new.promised_days is not None:
        if new.promised_days < 0:
            p.add("implementation.negative_days", "承诺办结时限不能为负",
                  "the promised limit must not be negative", "promised_days")
        elif item.statutory_days is not None and new.promised_days > item.statutory_days:
            p.add("implementation.promised_exceeds_statutory",
                  f"承诺办结时限 {new.promised_days} 个工作日超过法定时限 {item.statutory_days}",
                  f"promised {new.promised_days} working days exceeds the statutory "
                  f"{item.statutory_days}", "promised_days", promised=new.promised_days,
                  statutory=item.statutory_days)
    if new.max_visits is not None:
        if new.max_visits < 0:
            p.add("implementation.negative_visits", "到现场次数不能为负",
                  "visits must not be negative", "max_visits")
        elif item.max_visits is not None and new.max_visits > item.max_visits:
            p.add("implementation.visits_exceed_standard",
                  f"到现场次数 {new.max_visits} 超过目录标准 {item.max_visits}",
                  f"{new.max_visits} visits exceed the catalog's {item.max_visits}", "max_visits",
                  visits=new.max_visits, standard=item.max_visits)
    if not new.in_hall and not (new.not_in_hall_reason or "").strip():
        p.add("implementation.not_in_hall_reason_missing",
              "未进驻政务服务大厅须说明理由（应进必进）",
              "an item not handled in the service hall needs a reason", "not_in_hall_reason")
    if new.window_id is not None:
        window = await session.get(Window, new.window_id)
        if window is None or window.tenant_id != tenant.id:
            p.add("implementation.foreign_window", f"窗口 {new.window_id} 不属于{tenant.name}",
                  f"window {new.window_id} does not belong to {tenant.code}", "window_id")
    materials = await _check_materials(session, item, new.materials, p)
    fees = await _check_fees(session, item, new.fees, p)
    p.raise_if_any()
    return _Checked(credit, level, power_source, materials, fees)


async def _check_materials(session: AsyncSession, item: CatalogItem,
                           chosen: Sequence[LocalMaterial] | None,
                           p: Problems) -> list[tuple[CatalogMaterial, bool]]:
    catalog = {m.seq: m for m in (await session.scalars(
        select(CatalogMaterial).where(CatalogMaterial.item_id == item.id))).all()}
    if chosen is None:
        return [(m, m.required) for _seq, m in sorted(catalog.items())]
    picked: dict[int, bool] = {}
    for lm in chosen:
        m = catalog.get(lm.seq)
        if m is None:
            p.add("implementation.unknown_material", f"材料 {lm.seq} 不在目录事项的材料中（不得新增材料）",
                  f"material {lm.seq} is not one of the catalog item's (no materials may be added)",
                  f"materials[{lm.seq}]", seq=lm.seq)
        elif lm.seq in picked:
            p.add("implementation.duplicate_material", f"材料「{m.name}」重复",
                  f"material '{m.name}' is listed twice", f"materials[{lm.seq}]", seq=lm.seq)
        else:
            picked[lm.seq] = lm.required
            if m.required and not lm.required:
                p.add("implementation.material_made_optional",
                      f"必要材料「{m.name}」不能改为非必要", f"required material '{m.name}' cannot "
                      "become optional", f"materials[{lm.seq}].required", seq=lm.seq,
                      material=m.name)
    for seq, m in sorted(catalog.items()):
        if m.required and seq not in picked:
            p.add("implementation.required_material_dropped",
                  f"必要材料「{m.name}」不能删除", f"required material '{m.name}' cannot be dropped",
                  f"materials[{seq}]", seq=seq, material=m.name)
    return [(catalog[seq], req) for seq, req in picked.items()]


async def _check_fees(session: AsyncSession, item: CatalogItem, applied: Sequence[LocalFee] | None,
                      p: Problems) -> list[tuple[CatalogFee, int | None]]:
    catalog = {f.seq: f for f in (await session.scalars(
        select(CatalogFee).where(CatalogFee.item_id == item.id))).all()}
    if applied is None:
        return [(f, f.max_amount_cents) for _seq, f in sorted(catalog.items())]
    out: dict[int, tuple[CatalogFee, int | None]] = {}
    for lf in applied:
        f = catalog.get(lf.seq)
        if f is None:
            p.add("implementation.unknown_fee", f"收费项目 {lf.seq} 不在目录事项中（不得新增收费）",
                  f"fee {lf.seq} is not one of the catalog item's (no fees may be added)",
                  f"fees[{lf.seq}]", seq=lf.seq)
            continue
        amount = f.max_amount_cents if lf.amount_cents is None else lf.amount_cents
        if amount is not None and amount < 0:
            p.add("implementation.negative_fee", f"收费「{f.name}」金额不能为负",
                  f"fee '{f.name}' must not be negative", f"fees[{lf.seq}].amount_cents")
        elif (amount is not None and f.max_amount_cents is not None
              and amount > f.max_amount_cents):
            p.add("implementation.fee_exceeds_standard",
                  f"收费「{f.name}」{amount / 100:.2f} 元超过标准 {f.max_amount_cents / 100:.2f} 元",
                  f"fee '{f.name}' {amount / 100:.2f} yuan exceeds the standard "
                  f"{f.max_amount_cents / 100:.2f}", f"fees[{lf.seq}].amount_cents",
                  seq=lf.seq, amount_cents=amount, standard_cents=f.max_amount_cents)
        out[lf.seq] = (f, amount)
    return list(out.values())


# -- writing ---------------------------------------------------------------------------------

def _apply(impl: Implementation, new: NewImplementation, checked: _Checked,
           item: CatalogItem) -> None:
    impl.catalog_item_id = item.id
    impl.basic_code = item.basic_code
    impl.department_name = new.department_name.strip()
    impl.department_credit_code = checked.credit
    impl.use_level = checked.level
    impl.power_source = checked.power_source
    impl.implementation_code = codes.implementation_code(checked.credit, checked.level,
                                                         item.basic_code)
    impl.local_code = new.local_code
    impl.window_id = new.window_id
    impl.promised_days = new.promised_days
    impl.max_visits = new.max_visits
    impl.online = new.online
    impl.online_url = new.online_url
    impl.in_hall = new.in_hall
    impl.not_in_hall_reason = new.not_in_hall_reason if not new.in_hall else None
    impl.appointment = new.appointment
    impl.courier = new.courier
    impl.address = new.address
    impl.hours = new.hours
    impl.phone = new.phone


async def _replace_children(session: AsyncSession, impl: Implementation,
                            checked: _Checked) -> None:
    await session.execute(delete(ImplementationMaterial)
                          .where(ImplementationMaterial.implementation_id == impl.id))
    await session.execute(delete(ImplementationFee)
                          .where(ImplementationFee.implementation_id == impl.id))
    own = {"implementation_id": impl.id, "tenant_id": impl.tenant_id,
           "tenant_path": impl.tenant_path}
    for m, required in checked.materials:
        session.add(ImplementationMaterial(catalog_material_id=m.id, required=required, **own))
    for f, amount in checked.fees:
        session.add(ImplementationFee(catalog_fee_id=f.id, amount_cents=amount, **own))
    await session.flush()


async def _duplicate(session: AsyncSession, tenant: Tenant, code: str, credit: str,
                     but: uuid.UUID | None = None) -> None:
    stmt = select(Implementation.id).where(Implementation.tenant_id == tenant.id,
                                           Implementation.basic_code == code,
                                           Implementation.department_credit_code == credit)
    if but is not None:
        stmt = stmt.where(Implementation.id != but)
    if await session.scalar(stmt) is not None:
        raise Conflict("implementation.duplicate",
                       f"{tenant.name} 的实施主体 {credit} 已实施事项 {code}",
                       f"{tenant.code}: department {credit} already implements {code}",
                       field="basic_code", item=code, tenant=tenant.code)


async def _newest(session: AsyncSession, tenant: Tenant, code: str) -> CatalogItem:
    item = (await nearest_published(session, tenant.path, [code])).get(code)
    if item is None:
        raise not_found("catalog_item", code)
    return item


async def adopt_item(session: AsyncSession, principal: Principal, tenant_code: str,
                     new: NewImplementation) -> Implementation:
    """Adopt the newest published version of ``new.basic_code`` visible to the tenant (the
    nearest owner's: the province's over the national) with the local elements of ``new``.

    The implementation code is derived: credit code + the tenant's exercising-level digit +
    basic code. ``materials``/``fees`` None: the catalog's as they are.
    """
    tenant = await writable_tenant(session, principal, tenant_code, "implementation:write")
    code = (new.basic_code or "").strip().upper()
    item = await _newest(session, tenant, code)
    checked = await _check(session, tenant, item, new)
    await _duplicate(session, tenant, code, checked.credit)
    impl = Implementation(status="active", tenant_id=tenant.id, tenant_path=tenant.path)
    _apply(impl, new, checked, item)
    session.add(impl)
    await session.flush()
    await _replace_children(session, impl, checked)
    await audit.record(session, principal, "implementation.adopt", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="implementation",
                       target_id=impl.id, after=snapshot(impl))
    await events.publish(session, "implementation.adopted", tenant.id, tenant.path,
                         {"code": code, "version": item.version, "tenant": tenant.code,
                          "implementation_code": impl.implementation_code},
                         principal.username)
    return impl


async def get_implementation(session: AsyncSession, principal: Principal,
                             implementation_id: uuid.UUID, *,
                             permission: str = "implementation:read") -> Implementation:
    """One implementation in the principal's subtree (``implementation.not_found`` else)."""
    impl = await session.get(Implementation, implementation_id)
    if impl is None or not principal.sees(impl.tenant_path):
        raise not_found("implementation", implementation_id)
    require(principal, permission, impl.tenant_path)
    return impl


async def _tenant_of(session: AsyncSession, impl: Implementation) -> Tenant:
    tenant = await session.get(Tenant, impl.tenant_id)
    assert tenant is not None
    return tenant


def _not_retired(impl: Implementation) -> None:
    if impl.status == "retired":
        raise Conflict("implementation.retired", f"实施事项 {impl.implementation_code} 已废止",
                       f"implementation {impl.implementation_code} is retired", field="status",
                       item=impl.basic_code)


async def update_implementation(session: AsyncSession, principal: Principal,
                                implementation_id: uuid.UUID,
                                new: NewImplementation) -> Implementation:
    """Replace the local elements (checked against the version it points at). The basic
    code cannot change; a new department credit code re-derives the implementation code."""
    impl = await get_implementation(session, principal, implementation_id,
                                    permission="implementation:write")
    _not_retired(impl)
    if (new.basic_code or "").strip().upper() != impl.basic_code:
        raise Invalid("implementation.code_immutable",
                      f"基本编码不能修改（{impl.basic_code}）；请另行实施",
                      f"the basic code of an implementation cannot change ({impl.basic_code})",
                      field="basic_code", item=impl.basic_code)
    tenant = await _tenant_of(session, impl)
    item = await session.get(CatalogItem, impl.catalog_item_id)
    assert item is not None
    checked = await _check(session, tenant, item, new)
    await _duplicate(session, tenant, impl.basic_code, checked.credit, but=impl.id)
    before = snapshot(impl)
    _apply(impl, new, checked, item)
    await session.flush()
    await _replace_children(session, impl, checked)
    await audit.record(session, principal, "implementation.update", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="implementation",
                       target_id=impl.id, before=before, after=snapshot(impl))
    return impl


async def local_elements(session: AsyncSession, impl: Implementation) -> LocalElements:
    """The materials and fees of an implementation already loaded through scoped access."""
    mats = (await session.execute(
        select(ImplementationMaterial, CatalogMaterial)
        .join(CatalogMaterial, CatalogMaterial.id == ImplementationMaterial.catalog_material_id)
        .where(ImplementationMaterial.implementation_id == impl.id)
        .order_by(CatalogMaterial.seq))).all()
    fees = (await session.execute(
        select(ImplementationFee, CatalogFee)
        .join(CatalogFee, CatalogFee.id == ImplementationFee.catalog_fee_id)
        .where(ImplementationFee.implementation_id == impl.id)
        .order_by(CatalogFee.seq))).all()
    return LocalElements([(im, cm) for im, cm in mats], [(f, cf) for f, cf in fees])


async def _carried_over(session: AsyncSession, impl: Implementation,
                        newest: CatalogItem) -> NewImplementation:
    """The implementation's current local elements, expressed against ``newest``: materials
    and fees are matched by name (their ``seq`` may move between versions); a material or
    fee the new version no longer has is passed as an unknown ``seq`` so the rules name it."""
    current = await local_elements(session, impl)
    new_mats = {m.name: m.seq for m in (await session.scalars(
        select(CatalogMaterial).where(CatalogMaterial.item_id == newest.id))).all()}
    new_fees = {f.name: f.seq for f in (await session.scalars(
        select(CatalogFee).where(CatalogFee.item_id == newest.id))).all()}
    gone = -1
    materials: list[LocalMaterial] = []
    for im, cm in current.materials:
        seq = new_mats.get(cm.name)
        if seq is None:
            seq, gone = gone, gone - 1
        materials.append(LocalMaterial(seq, im.required))
    fees: list[LocalFee] = []
    for fee, cf in current.fees:
        seq = new_fees.get(cf.name)
        if seq is None:
            seq, gone = gone, gone - 1
        fees.append(LocalFee(seq, fee.amount_cents))
    return NewImplementation(
        basic_code=impl.basic_code, department_name=impl.department_name,
        department_credit_code=impl.department_credit_code, promised_days=impl.promised_days,
        max_visits=impl.max_visits, materials=tuple(materials), fees=tuple(fees),
        window_id=impl.window_id, online=impl.online, online_url=impl.online_url,
        in_hall=impl.in_hall, not_in_hall_reason=impl.not_in_hall_reason,
        appointment=impl.appointment, courier=impl.courier, address=impl.address,
        hours=impl.hours, phone=impl.phone, local_code=impl.local_code,
        power_source=impl.power_source)


async def confirm_review(session: AsyncSession, principal: Principal,
                         implementation_id: uuid.UUID,
                         changes: NewImplementation | None = None) -> Implementation:
    """Re-point a ``needs_review`` implementation at the newest published version.

    Its local elements (or ``changes``, when the tenant adjusts them in the same step) are
    re-checked against that version; if a rule fails the problems are raised
    (``implementation.invalid``) and it stays ``needs_review``, still working on its old
    version.
    """
    impl = await get_implementation(session, principal, implementation_id,
                                    permission="implementation:write")
    if impl.status != "needs_review":
        raise Conflict("implementation.not_in_review",
                       f"实施事项 {impl.implementation_code} 无待确认的目录变更",
                       f"implementation {impl.implementation_code} is not pending review",
                       field="status", item=impl.basic_code)
    tenant = await _tenant_of(session, impl)
    newest = await _newest(session, tenant, impl.basic_code)
    new = changes if changes is not None else await _carried_over(session, impl, newest)
    if changes is not None and (changes.basic_code or "").strip().upper() != impl.basic_code:
        raise Invalid("implementation.code_immutable",
                      f"基本编码不能修改（{impl.basic_code}）", f"the basic code of an "
                      f"implementation cannot change ({impl.basic_code})", field="basic_code")
    checked = await _check(session, tenant, newest, new)
    await _duplicate(session, tenant, impl.basic_code, checked.credit, but=impl.id)
    before = snapshot(impl)
    _apply(impl, new, checked, newest)
    impl.status = "active"
    impl.review_reason = None
    await session.flush()
    await _replace_children(session, impl, checked)
    await audit.record(session, principal, "implementation.confirm_review",
                       tenant_id=tenant.id, tenant_path=tenant.path,
                       target_type="implementation", target_id=impl.id, before=before,
                       after={**snapshot(impl), "version": newest.version})
    await events.publish(session, "implementation.reviewed", tenant.id, tenant.path,
                         {"code": impl.basic_code, "version": newest.version,
                          "tenant": tenant.code}, principal.username)
    return impl


async def retire_implementation(session: AsyncSession, principal: Principal,
                                implementation_id: uuid.UUID) -> Implementation:
    """Take an item off the tenant's list (kept, status ``retired``)."""
    impl = await get_implementation(session, principal, implementation_id,
                                    permission="implementation:write")
    _not_retired(impl)
    before = snapshot(impl)
    impl.status = "retired"
    await session.flush()
    await audit.record(session, principal, "implementation.retire", tenant_id=impl.tenant_id,
                       tenant_path=impl.tenant_path, target_type="implementation",
                       target_id=impl.id, before=before, after=snapshot(impl))
    await events.publish(session, "implementation.retired", impl.tenant_id, impl.tenant_path,
                         {"code": impl.basic_code, "implementation_code": impl.implementation_code},
                         principal.username)
    return impl


# -- reading ---------------------------------------------------------------------------------

async def _scope_tenant(session: AsyncSession, principal: Principal, code: str) -> Tenant:
    tenant = await access_tenant(session, principal, code)
    if not principal.sees(tenant.path):
        raise not_found("tenant", code)
    return tenant


def _readable(principal: Principal) -> Any:
    return (subtree_clause(Implementation.tenant_path, principal.acting_path)
            & permitted_clause(Implementation.tenant_path, principal, "implementation", "read"))


async def list_implementations(session: AsyncSession, principal: Principal, *,
                               tenant_code: str | None = None, status: str | None = None,
                               search: str | None = None,
                               after: tuple[str, str, str] | None = None,
                               limit: int | None = None) -> list[Implementation]:
    """Implementations in the principal's subtree it may read (filtered in SQL); ``search``
    matches the item name, the basic or implementation code, or the department.

    Ordered by (tenant path, basic code, department credit code); ``after`` is such a key
    and ``limit`` caps the rows, so a province pages through its whole tree in SQL.
    """
    stmt = select(Implementation).where(_readable(principal))
    if tenant_code is not None:
        tenant = await _scope_tenant(session, principal, tenant_code)
        stmt = stmt.where(Implementation.tenant_id == tenant.id)
    if status is not None:
        stmt = stmt.where(Implementation.status == status)
    if search:
        term = search.strip()
        stmt = stmt.join(CatalogItem, CatalogItem.id == Implementation.catalog_item_id).where(
            or_(CatalogItem.name.contains(term, autoescape=True),
                Implementation.basic_code.startswith(term.upper(), autoescape=True),
                Implementation.implementation_code.startswith(term.upper(), autoescape=True),
                Implementation.department_name.contains(term, autoescape=True)))
    key = (Implementation.tenant_path, Implementation.basic_code,
           Implementation.department_credit_code)
    if after is not None:
        stmt = stmt.where(tuple_(*key) > tuple_(*after))
    stmt = stmt.order_by(*key)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.scalars(stmt)).all())


async def drift_report(session: AsyncSession, principal: Principal, *,
                       under: str | None = None) -> list[DriftRow]:
    """What is pending review where (in the principal's subtree, or below ``under``):
    tenant, item, the adopted and the newest published version, and since when."""
    stmt = (select(Implementation, Tenant, CatalogItem)
            .join(Tenant, Tenant.id == Implementation.tenant_id)
            .join(CatalogItem, CatalogItem.id == Implementation.catalog_item_id)
            .where(_readable(principal), Implementation.status == "needs_review"))
    if under is not None:
        root = await _scope_tenant(session, principal, under)
        stmt = stmt.where(subtree_clause(Implementation.tenant_path, root.path))
    rows = (await session.execute(stmt.order_by(Implementation.tenant_path,
                                                Implementation.basic_code))).all()
    out: list[DriftRow] = []
    newest_cache: dict[tuple[str, str], CatalogItem | None] = {}
    for impl, tenant, adopted in rows:
        key = (tenant.path, impl.basic_code)
        if key not in newest_cache:
            newest_cache[key] = (await nearest_published(session, tenant.path,
                                                         [impl.basic_code])).get(impl.basic_code)
        newest = newest_cache[key]
        since = await session.scalar(
            select(func.min(CatalogItem.published_at)).where(
                CatalogItem.tenant_id == adopted.tenant_id,
                CatalogItem.basic_code == adopted.basic_code,
                CatalogItem.version > adopted.version))
        out.append(DriftRow(
            implementation_id=impl.id, tenant_code=tenant.code, tenant_name=tenant.name,
            basic_code=impl.basic_code, item_name=adopted.name,
            adopted_version=adopted.version,
            newest_version=newest.version if newest is not None else None,
            since=since or adopted.retired_at or impl.updated_at, reason=impl.review_reason))
    return out
