"""The intake services: a case's life from submission to delivery (受理 → 办结).

Every function reads like the rule it implements: it loads the case through the principal's
scope (``case.not_found`` for "does not exist" and "not yours" alike), checks the state and
the permission on the right side of the case (``lifecycle``), changes it, writes the history
row, announces the fact, and issues the act's printed notice or decision (``notices``:
受理通知书 … 送达回证, numbered and kept as a record). Functions flush; the caller commits
(GraphQL, CLI, jobs), so a failure leaves nothing half-written. No litestar, no strawberry
here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from zhengwu.core import clock, events
from zhengwu.core.catalog.delegation import who_handles
from zhengwu.core.catalog.models import (
    CatalogFee,
    CatalogItem,
    CatalogMaterial,
    CatalogStep,
    Implementation,
    ImplementationFee,
    ImplementationMaterial,
)
from zhengwu.core.config import get_settings
from zhengwu.core.db import new_id, subtree_clause
from zhengwu.core.errors import Conflict, Invalid, InvalidField, NotFound, PermissionDenied
from zhengwu.core.pii import PiiCipher
from zhengwu.core.security.models import User
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.intake import notices
from zhengwu.plugins.intake.applicants import ProtectedApplicant, check_hash, protect_applicant
from zhengwu.plugins.intake.deadlines import calendar_for, day_before, pause_spans, refresh_due
from zhengwu.plugins.intake.inputs import (
    CHANNELS,
    DELIVERY_METHODS,
    PAUSE_KINDS,
    NewCase,
    NewParallelCase,
    SubmittedMaterial,
    SupplementItem,
)
from zhengwu.plugins.intake.lifecycle import ACTIONS, OPEN, STATES
from zhengwu.plugins.intake.models import (
    Case,
    CaseCounter,
    CaseFee,
    CaseHistory,
    CaseMaterial,
    CaseStep,
    Pause,
    SupplementNotice,
)
from zhengwu.plugins.intake.settings import IntakeSettings
from zhengwu.tenants import enablement
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant, Window
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "PLUGIN",
    "accept_case",
    "assign_step",
    "charge_fee",
    "complete_instant",
    "current_cipher",
    "decide_case",
    "deliver_case",
    "extend_case",
    "finish_step",
    "get_case",
    "not_accept_case",
    "receive_supplement",
    "request_supplement",
    "resume_case",
    "start_step",
    "submit_case",
    "submit_parallel",
    "suspend_case",
    "withdraw_case",
]

PLUGIN = "intake"


def current_cipher() -> PiiCipher:
    """The process's personal-data cipher (key from ``ZHENGWU_PII_KEY``)."""
    return PiiCipher.from_settings(get_settings())


# ------------------------------------------------------------------------------ access

def _require(principal: Principal, action: str, path: str) -> None:
    if not can(principal, action, Resource("case", path)):
        raise PermissionDenied(f"case:{action}", path)


async def get_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str) -> Case:
    """The case if it lies in the principal's scope (by id, or by case number)."""
    if principal.is_anonymous:
        raise NotFound("case", case_id)
    q = select(Case).where(subtree_clause(Case.tenant_path, principal.acting_path))
    if isinstance(case_id, uuid.UUID):
        q = q.where(Case.id == case_id)
    else:
        try:
            q = q.where(Case.id == uuid.UUID(str(case_id)))
        except ValueError:
            q = q.where(Case.case_no == str(case_id).strip())
    case = await session.scalar(q)
    if case is None:
        raise NotFound("case", case_id)
    _require(principal, "read", case.tenant_path)
    return case


def _check(case: Case, principal: Principal, action_name: str) -> None:
    action = ACTIONS[action_name]
    path = case.tenant_path if action.side == "front" else case.handling_path
    _require(principal, action.permission, path)
    if case.status not in action.from_states:
        allowed = "、".join(STATES[s] for s in sorted(action.from_states))
        raise Conflict("case.transition_not_allowed",
                       f"办件 {case.case_no} 当前为“{STATES[case.status]}”，不能{action.title_zh}"
                       f"（仅限：{allowed}）",
                       f"case {case.case_no} is {case.status}: cannot {action_name} "
                       f"(allowed from: {', '.join(sorted(action.from_states))})",
                       field="status", status=case.status, action=action_name)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError as exc:
        raise Conflict("case.changed_concurrently", "办件已被他人同时修改，请刷新后重试",
                       "the case was changed by someone else at the same time; reload and retry"
                       ) from exc


def _history(session: AsyncSession, case: Case, principal: Principal, action: str,
             from_status: str | None, note: str | None = None,
             data: dict[str, Any] | None = None) -> None:
    session.add(CaseHistory(case_id=case.id, tenant_id=case.tenant_id, tenant_path=case.tenant_path,
                            at=clock.now(), actor=principal.username, action=action,
                            from_status=from_status, to_status=case.status, note=note,
                            data=data or {}))


def _payload(case: Case, **extra: Any) -> dict[str, Any]:
    """An event payload: ids, codes, dates, the handling department's name — never personal
    data."""
    return {"case_id": str(case.id), "case_no": case.case_no, "status": case.status,
            "basic_code": case.basic_code, "channel": case.channel,
            "handling_path": case.handling_path, "case_type": case.case_type,
            "parent_id": str(case.parent_id) if case.parent_id else None,
            "due_date": case.due_date.isoformat() if case.due_date else None,
            "statutory_due": case.statutory_due.isoformat() if case.statutory_due else None,
            "submitted_on": case.submitted_on.isoformat(),
            "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
            "window_id": str(case.window_id) if case.window_id else None,
            "department_name": case.department_name, **extra}


async def _announce(session: AsyncSession, case: Case, name: str, principal: Principal,
                    **extra: Any) -> None:
    await events.publish(session, f"intake.{name}", case.tenant_id, case.tenant_path,
                         _payload(case, **extra), principal.username)


def _text(value: str | None, field: str, zh: str, en: str, max_len: int = 2000) -> str:
    text = (value or "").strip()
    if not text or len(text) > max_len:
        raise Invalid(f"case.{field}_required", f"{zh}不能为空（不超过{max_len}字）",
                      f"{en} is required (at most {max_len} characters)", field=field)
    return text


# -------------------------------------------------------------------------- submission

async def _settings(session: AsyncSession, case_or_tenant: Case | Tenant) -> IntakeSettings:
    if isinstance(case_or_tenant, Tenant):
        tenant = case_or_tenant
    else:
        found = await session.get(Tenant, case_or_tenant.handling_tenant_id)
        assert found is not None
        tenant = found
    return await tenant_settings.resolve(session, tenant, IntakeSettings)


async def _next_case_no(session: AsyncSession, tenant: Tenant, year: int) -> str:
    """``<division code>-<year>-<six digits>``: per tenant and year, gap-free, race-free (one
    upsert: the year's counter row is created at 1 or incremented atomically, RETURNING it)."""
    pg = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if pg else sqlite.insert
    last = (await session.execute(insert(CaseCounter).values(
        id=new_id(), tenant_id=tenant.id, tenant_path=tenant.path, year=year, last=1)
        .on_conflict_do_update(index_elements=[CaseCounter.tenant_id, CaseCounter.year],
                               set_={"last": CaseCounter.last + 1})
        .returning(CaseCounter.last))).scalar_one()
    return f"{tenant.code}-{year}-{last:06d}"


class _Item:
    """What a submission needs to know about the item at the accepting tenant."""

    def __init__(self, impl: Implementation, catalog: CatalogItem, decider: Tenant, basis: str,
                 materials: list[tuple[CatalogMaterial, bool]]) -> None:
        self.impl, self.catalog, self.decider, self.basis = impl, catalog, decider, basis
        self.materials = materials


async def _resolve_item(session: AsyncSession, tenant: Tenant, basic_code: str,
                        problems: list[InvalidField], field: str) -> _Item | None:
    answer = await who_handles(session, tenant.code, basic_code)
    if not answer.accepts:
        where_zh = f"，请到{answer.handled_by_name}办理" if answer.handled_by_name else ""
        problems.append(InvalidField(
            "case.item_not_handled_here", f"{tenant.name}不受理事项 {basic_code}{where_zh}",
            f"{tenant.code} does not accept item {basic_code}: {answer.note_en}", field=field,
            params={"handled_by": answer.handled_by_code}))
        return None
    # The decider, the implementation and the catalog version it adopted in one statement
    # (who_handles read them, but hands back only their ids).
    impl_on = and_(Implementation.basic_code == answer.basic_code, Implementation.status != "retired",
                   Implementation.id == answer.implementation_id
                   if answer.implementation_id is not None
                   # 代办: the decider's implementation (readable below it: guides are public)
                   else Implementation.tenant_id == Tenant.id)
    found = (await session.execute(
        select(Tenant, Implementation, CatalogItem).select_from(Tenant)
        .outerjoin(Implementation, impl_on)
        .outerjoin(CatalogItem, CatalogItem.id == Implementation.catalog_item_id)
        .where(Tenant.code == answer.decider_code)
        .order_by(Implementation.created_at).limit(1))).first()
    assert found is not None
    decider, impl, catalog = found
    if impl is None:
        problems.append(InvalidField(
            "case.item_not_implemented", f"{decider.name}尚未将事项 {basic_code} 纳入实施清单",
            f"{decider.code} has not adopted item {basic_code}", field=field))
        return None
    assert catalog is not None
    rows = (await session.execute(
        select(CatalogMaterial, ImplementationMaterial.required)
        .join(ImplementationMaterial, ImplementationMaterial.catalog_material_id == CatalogMaterial.id)
        .where(ImplementationMaterial.implementation_id == impl.id)
        .order_by(CatalogMaterial.seq))).all()
    materials = [(m, bool(m.required or required)) for m, required in rows]
    return _Item(impl, catalog, decider, answer.basis, materials)


def _check_materials(item: _Item, given: Sequence[SubmittedMaterial], problems: list[InvalidField],
                     prefix: str) -> None:
    known = {m.seq for m, _ in item.materials}
    seen: set[int] = set()
    for i, m in enumerate(given):
        field = f"{prefix}materials[{i}]"
        if m.seq not in known:
            problems.append(InvalidField(
                "case.material_not_in_list",
                f"材料序号 {m.seq} 不在事项“{item.catalog.name}”的材料清单中",
                f"material {m.seq} is not in the list of item {item.impl.basic_code}", field=field))
        if m.seq in seen:
            problems.append(InvalidField("case.material_twice", f"材料序号 {m.seq} 重复提交",
                                         f"material {m.seq} is listed twice", field=field))
        if m.status not in ("ok", "faulty"):
            problems.append(InvalidField("case.material_status", "材料状态必须是 ok 或 faulty",
                                         "material status must be ok or faulty", field=field))
        if m.originals < 0 or m.copies < 0:
            problems.append(InvalidField("case.material_count", "份数不能为负数",
                                         "counts must not be negative", field=field))
        seen.add(m.seq)


def _material_rows(case: Case, item: _Item, given: Sequence[SubmittedMaterial]) -> list[CaseMaterial]:
    by_seq = {m.seq: m for m in given}
    rows = []
    for m, required in item.materials:
        g = by_seq.get(m.seq)
        rows.append(CaseMaterial(
            case_id=case.id, tenant_id=case.tenant_id, tenant_path=case.tenant_path, seq=m.seq,
            name=m.name, required=required, status=g.status if g else "missing",
            originals=g.originals if g else 0, copies=g.copies if g else 0,
            note=g.note if g else None))
    return rows


async def _accepting_tenant(session: AsyncSession, principal: Principal, code: str) -> Tenant:
    tenant = await access_tenant(session, principal, code)
    _require(principal, "submit", tenant.path)
    if tenant.status != "active":
        raise Conflict("case.tenant_not_active", f"{tenant.name}已{tenant.status}，不能受理新办件",
                       f"{tenant.code} is {tenant.status}: no new cases", field="tenantCode")
    if PLUGIN not in await enablement.active_plugins(session, tenant):
        raise Conflict("plugin.not_enabled", f"插件 intake 未在 {tenant.code} 启用",
                       f"plugin intake is not enabled here ({tenant.code})", plugin=PLUGIN)
    return tenant


async def _duplicate(session: AsyncSession, tenant: Tenant, key: str | None) -> None:
    if not key:
        return
    if len(key) > 100:
        raise Invalid("case.idempotency_key", "幂等键不超过100字符",
                      "the idempotency key is at most 100 characters", field="idempotencyKey")
    found = await session.scalar(select(Case.case_no).where(Case.tenant_id == tenant.id,
                                                            Case.idempotency_key == key))
    if found is not None:
        raise Conflict("case.duplicate_submission", f"该申请已提交过（办件编号 {found}），未重复创建",
                       f"this submission was already made (case {found}); nothing was created",
                       field="idempotencyKey", case_no=found)


def _check_channel(channel: str, problems: list[InvalidField]) -> None:
    if channel not in CHANNELS:
        problems.append(InvalidField("case.channel", f"渠道必须是 {'/'.join(CHANNELS)}",
                                     f"channel must be one of {', '.join(CHANNELS)}", field="channel"))


async def _window(session: AsyncSession, tenant: Tenant, window_id: uuid.UUID | None,
                  problems: list[InvalidField]) -> None:
    if window_id is None:
        return
    w = await session.get(Window, window_id)
    if w is None or w.tenant_id != tenant.id:
        problems.append(InvalidField("case.window_unknown", "窗口不属于受理单位",
                                     "the window does not belong to the accepting tenant",
                                     field="windowId"))


def _raise(problems: list[InvalidField]) -> None:
    if problems:
        raise Invalid("case.invalid", "申请有误：" + "；".join(p.zh for p in problems),
                      "invalid application: " + "; ".join(p.en for p in problems),
                      field=problems[0].field, problems=problems)


def _new_case(tenant: Tenant, principal: Principal, who: ProtectedApplicant, *, channel: str,
              window_id: uuid.UUID | None, key: str | None, case_no: str) -> Case:
    now = clock.now()
    return Case(
        id=new_id(), tenant_id=tenant.id, tenant_path=tenant.path,
        province_code=tenant.path.split("/")[0][:2], case_no=case_no, channel=channel,
        window_id=window_id, status="submitted", applicant_kind=who.kind, applicant_name=who.name,
        applicant_code=who.code, applicant_id_enc=who.id_enc, applicant_id_hash=who.id_hash,
        applicant_id_masked=who.id_masked, contact_name=who.contact_name,
        phone_enc=who.phone_enc, phone_hash=who.phone_hash, phone_masked=who.phone_masked,
        idempotency_key=key, submitted_at=now, submitted_on=clock.today_shanghai(),
        created_by=principal.username, handling_tenant_id=tenant.id, handling_path=tenant.path,
        item_name="", lookup_checks=[])


def _fill_item(case: Case, item: _Item) -> None:
    case.handling_tenant_id = item.decider.id
    case.handling_path = item.decider.path
    case.implementation_id = item.impl.id
    case.basic_code = item.impl.basic_code
    case.implementation_code = item.impl.implementation_code
    case.item_name = item.catalog.name
    case.item_type = item.catalog.item_type
    case.department_name = item.impl.department_name
    case.case_type = item.catalog.case_type
    case.statutory_days = item.catalog.statutory_days
    case.promised_days = item.impl.promised_days
    case.basis = item.basis
    if item.basis == "agent":
        case.channel = "agent"


async def submit_case(session: AsyncSession, principal: Principal, new: NewCase, *,
                      cipher: PiiCipher | None = None) -> Case:
    """收件: register an application at the accepting tenant; every problem reported at once."""
    tenant = await _accepting_tenant(session, principal, new.tenant_code)
    await _duplicate(session, tenant, new.idempotency_key)
    cipher = cipher or current_cipher()
    problems: list[InvalidField] = []
    _check_channel(new.channel, problems)
    await _window(session, tenant, new.window_id, problems)
    item = await _resolve_item(session, tenant, new.basic_code.strip().upper(), problems, "basicCode")
    if item is not None:
        _check_materials(item, new.materials, problems, "")
    who = protect_applicant(new.applicant, cipher, problems)
    _raise(problems)
    assert item is not None and who is not None
    case_no = await _next_case_no(session, tenant, clock.today_shanghai().year)
    case = _new_case(tenant, principal, who, channel=new.channel, window_id=new.window_id,
                     key=new.idempotency_key, case_no=case_no)
    _fill_item(case, item)
    case.lookup_checks = [check_hash(cipher, case_no, t) for t in who.tails]
    session.add(case)
    session.add_all(_material_rows(case, item, new.materials))
    _history(session, case, principal, "submit", None, data={"channel": case.channel})
    await _flush(session)
    await _announce(session, case, "case_submitted", principal)
    return case


async def submit_parallel(session: AsyncSession, principal: Principal, new: NewParallelCase, *,
                          cipher: PiiCipher | None = None) -> Case:
    """并联审批: one parent case and a sub-case per item, each with its own clock."""
    tenant = await _accepting_tenant(session, principal, new.tenant_code)
    await _duplicate(session, tenant, new.idempotency_key)
    cipher = cipher or current_cipher()
    problems: list[InvalidField] = []
    _check_channel(new.channel, problems)
    await _window(session, tenant, new.window_id, problems)
    title = (new.title or "").strip()
    if not title or len(title) > 300:
        problems.append(InvalidField("case.title_required", "并联审批需要名称（不超过300字）",
                                     "a parallel approval needs a title (at most 300 characters)",
                                     field="title"))
    if len(new.parts) < 2:
        problems.append(InvalidField("case.parallel_parts", "并联审批至少包含两个事项",
                                     "a parallel approval has at least two items", field="parts"))
    codes = [p.basic_code.strip().upper() for p in new.parts]
    if len(set(codes)) != len(codes):
        problems.append(InvalidField("case.parallel_duplicate_item", "并联审批中事项重复",
                                     "an item appears twice in the parallel approval", field="parts"))
    items: list[_Item | None] = []
    for i, part in enumerate(new.parts):
        item = await _resolve_item(session, tenant, codes[i], problems, f"parts[{i}].basicCode")
        if item is not None:
            _check_materials(item, part.materials, problems, f"parts[{i}].")
        items.append(item)
    who = protect_applicant(new.applicant, cipher, problems)
    _raise(problems)
    assert who is not None
    case_no = await _next_case_no(session, tenant, clock.today_shanghai().year)
    parent = _new_case(tenant, principal, who, channel=new.channel, window_id=new.window_id,
                       key=new.idempotency_key, case_no=case_no)
    parent.is_parallel = True
    parent.item_name = title
    parent.case_type = 2
    parent.lookup_checks = [check_hash(cipher, case_no, t) for t in who.tails]
    session.add(parent)
    _history(session, parent, principal, "submit", None, data={"parts": codes})
    for i, (item, part) in enumerate(zip(items, new.parts, strict=True), start=1):
        assert item is not None
        child = _new_case(tenant, principal, who, channel=new.channel, window_id=new.window_id,
                          key=None, case_no=f"{case_no}-{i}")
        child.parent_id = parent.id
        _fill_item(child, item)
        child.lookup_checks = [check_hash(cipher, child.case_no, t) for t in who.tails]
        session.add(child)
        session.add_all(_material_rows(child, item, part.materials))
        _history(session, child, principal, "submit", None, data={"parent": case_no})
    await _flush(session)
    await _announce(session, parent, "case_submitted", principal, parts=codes)
    return parent


async def parts_of(session: AsyncSession, parent: Case) -> list[Case]:
    return list((await session.scalars(select(Case).where(Case.parent_id == parent.id)
                                       .order_by(Case.case_no))).all())


# ------------------------------------------------------------------------- supplements

async def request_supplement(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str,
                             items: Sequence[SupplementItem], note: str | None = None
                             ) -> SupplementNotice:
    """一次性告知: ONE notice listing every missing or faulty material; the clock stops."""
    case = await get_case(session, principal, case_id)
    if case.is_parallel:
        raise Conflict("case.parallel_parent", "并联审批请对各子办件分别告知补正",
                       "request supplements on the sub-cases of a parallel approval",
                       field="caseId")
    _check(case, principal, "request_supplement")
    materials = {m.seq: m for m in (await session.scalars(
        select(CaseMaterial).where(CaseMaterial.case_id == case.id))).all()}
    problems: list[InvalidField] = []
    if not items:
        problems.append(InvalidField("case.supplement_empty", "补正通知须列明需补正的材料",
                                     "a supplement notice must list the materials", field="items"))
    seen: set[int] = set()
    for i, it in enumerate(items):
        if it.seq not in materials:
            problems.append(InvalidField("case.material_not_in_list", f"材料序号 {it.seq} 不在材料清单中",
                                         f"material {it.seq} is not in the list", field=f"items[{i}]"))
        if it.seq in seen:
            problems.append(InvalidField("case.material_twice", f"材料序号 {it.seq} 重复",
                                         f"material {it.seq} is listed twice", field=f"items[{i}]"))
        if it.problem not in ("missing", "faulty"):
            problems.append(InvalidField("case.supplement_problem", "问题类型必须是 missing 或 faulty",
                                         "problem must be missing or faulty", field=f"items[{i}]"))
        seen.add(it.seq)
    # one notice lists everything: every required material still missing must be on it
    forgotten = [m for m in materials.values()
                 if m.required and m.status != "ok" and m.seq not in seen]
    for m in forgotten:
        problems.append(InvalidField(
            "case.supplement_incomplete", f"一次性告知须列出所有缺失材料：{m.name}（序号 {m.seq}）未列入",
            f"the notice must list every missing material: {m.seq} is not on it", field="items"))
    _raise(problems)
    today = clock.today_shanghai()
    cfg = await _settings(session, case)
    round_no = 1 + len((await session.scalars(select(SupplementNotice.id).where(
        SupplementNotice.case_id == case.id))).all())
    notify_by = None
    late = False
    if case.status == "submitted":
        cal = await calendar_for(session, case)
        notify_by = cal.add_working_days(case.submitted_on, cfg.supplement_notice_days).due
        late = today > notify_by
    notice = SupplementNotice(
        case_id=case.id, tenant_id=case.tenant_id, tenant_path=case.tenant_path, round=round_no,
        items=[{"seq": it.seq, "name": materials[it.seq].name, "problem": it.problem,
                "note": it.note} for it in items],
        issued_at=clock.now(), issued_on=today, notify_by=notify_by, late=late)
    session.add(notice)
    for it in items:
        materials[it.seq].status = "missing" if it.problem == "missing" else "faulty"
    before = case.status
    case.resume_status = before
    case.status = "needs_supplement"
    if before in ("accepted", "in_review"):
        session.add(Pause(case_id=case.id, tenant_id=case.tenant_id, tenant_path=case.tenant_path,
                          kind="supplement", reason=note, started_at=clock.now(), start_day=today))
    _history(session, case, principal, "request_supplement", before, note,
             {"round": round_no, "items": [it.seq for it in items], "late": late})
    await _flush(session)
    await _announce(session, case, "supplement_requested", principal, round=round_no, late=late)
    await notices.issue_supplement(session, principal, case, notice, note)
    return notice


async def receive_supplement(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str,
                             materials: Sequence[SubmittedMaterial]) -> Case:
    """The applicant brings the supplement: materials updated, the clock runs again."""
    case = await get_case(session, principal, case_id)
    _check(case, principal, "receive_supplement")
    rows = {m.seq: m for m in (await session.scalars(
        select(CaseMaterial).where(CaseMaterial.case_id == case.id))).all()}
    problems: list[InvalidField] = []
    if not materials:
        problems.append(InvalidField("case.supplement_empty", "请登记补正的材料",
                                     "list the materials brought", field="materials"))
    for i, m in enumerate(materials):
        if m.seq not in rows:
            problems.append(InvalidField("case.material_not_in_list", f"材料序号 {m.seq} 不在材料清单中",
                                         f"material {m.seq} is not in the list",
                                         field=f"materials[{i}]"))
        elif m.status not in ("ok", "faulty"):
            problems.append(InvalidField("case.material_status", "材料状态必须是 ok 或 faulty",
                                         "material status must be ok or faulty",
                                         field=f"materials[{i}]"))
    _raise(problems)
    for m in materials:
        row = rows[m.seq]
        row.status, row.originals, row.copies = m.status, m.originals, m.copies
        row.note = m.note
    notice = await session.scalar(select(SupplementNotice).where(
        SupplementNotice.case_id == case.id, SupplementNotice.fulfilled_at.is_(None))
        .order_by(SupplementNotice.round.desc()).limit(1))
    if notice is not None:
        notice.fulfilled_at = clock.now()
    before = case.status
    case.status = case.resume_status or "submitted"
    case.resume_status = None
    await _end_pause(session, case, "supplement")
    _history(session, case, principal, "receive_supplement", before,
             data={"materials": [m.seq for m in materials]})
    await _flush(session)
    await refresh_due(session, case, actor=principal.username, reason="补正材料已收到，恢复计时")
    await _announce(session, case, "supplement_received", principal)
    return case


async def _end_pause(session: AsyncSession, case: Case, kind: str | None) -> Pause | None:
    q = select(Pause).where(Pause.case_id == case.id, Pause.end_day.is_(None))
    if kind is not None:
        q = q.where(Pause.kind == kind)
    pause = await session.scalar(q.order_by(Pause.started_at.desc()).limit(1))
    if pause is None:
        return None
    today = clock.today_shanghai()
    pause.ended_at = clock.now()
    pause.end_day = day_before(today)  # may precede start_day: the pause then covers nothing
    return pause


# -------------------------------------------------------------------------- acceptance

async def _missing_required(session: AsyncSession, case: Case) -> list[CaseMaterial]:
    return [m for m in (await session.scalars(
        select(CaseMaterial).where(CaseMaterial.case_id == case.id).order_by(CaseMaterial.seq))).all()
        if m.required and m.status != "ok"]


async def _accept_one(session: AsyncSession, principal: Principal, case: Case,
                      tolerate_missing: bool, note: str | None, *, notice: bool = True) -> None:
    """Accept one case; ``notice``: issue its 受理通知书 (a parallel approval's parts are
    listed on their parent's one notice instead)."""
    missing = await _missing_required(session, case)
    if missing and not tolerate_missing:
        names = "、".join(m.name for m in missing)
        raise Conflict("case.materials_incomplete",
                       f"办件 {case.case_no} 缺少必要材料：{names}；请一次性告知补正，或按容缺受理",
                       f"case {case.case_no} lacks required materials "
                       f"({', '.join(str(m.seq) for m in missing)}): request a supplement, or "
                       "accept with tolerance (容缺受理)", field="materials",
                       missing=[m.seq for m in missing])
    today = clock.today_shanghai()
    late_notice = await session.scalar(select(SupplementNotice).where(
        SupplementNotice.case_id == case.id, SupplementNotice.late.is_(True)).limit(1))
    before = case.status
    case.status = "accepted"
    case.accepted_at = clock.now()
    # ALL art. 32: a supplement notice given late means acceptance from the day of receipt
    case.accepted_on = case.submitted_on if late_notice is not None else today
    case.tolerated_missing = [m.name for m in missing]
    # the item's steps and its in-hall flag (for the event) in one statement
    rows = (await session.execute(
        select(Implementation.in_hall, CatalogStep).select_from(Implementation)
        .outerjoin(CatalogStep, CatalogStep.item_id == Implementation.catalog_item_id)
        .where(Implementation.id == case.implementation_id).order_by(CatalogStep.seq))).all()
    in_hall = rows[0][0] if rows else None
    session.add_all(CaseStep(case_id=case.id, tenant_id=case.tenant_id, tenant_path=case.tenant_path,
                             seq=s.seq, name=s.name, limit_days=s.limit_days, role=s.role)
                    for _, s in rows if s is not None)
    await _flush(session)
    await refresh_due(session, case, actor=principal.username, reason="受理")
    _history(session, case, principal, "accept", before, note,
             {"due_date": case.due_date.isoformat() if case.due_date else None,
              "tolerated_missing": [m.seq for m in missing],
              "accepted_on": case.accepted_on.isoformat()})
    await _announce(session, case, "case_accepted", principal,
                    missing_required=[m.seq for m in missing], item_in_hall=in_hall,
                    tolerated=bool(missing))
    if notice:
        await notices.issue_acceptance(session, principal, case, deemed=late_notice is not None)


async def accept_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str, *,
                      tolerate_missing: bool = False, note: str | None = None) -> Case:
    """受理: the receipt number is the case number; the due date follows the promised limit.

    ``tolerate_missing`` is 容缺受理: accept although required materials are missing, against
    the applicant's commitment to bring them before the decision (recorded on the case). A
    parallel approval is accepted as a whole (一窗受理): every sub-case gets its own clock.
    """
    case = await get_case(session, principal, case_id)
    _check(case, principal, "accept")
    if case.parent_id is not None:
        raise Conflict("case.accept_through_parent", "并联审批的子办件随主办件一并受理",
                       "sub-cases of a parallel approval are accepted with their parent",
                       field="caseId")
    if case.is_parallel:
        parts = await parts_of(session, case)
        for part in parts:
            _check(part, principal, "accept")
        for part in parts:
            await _accept_one(session, principal, part, tolerate_missing, note, notice=False)
        before = case.status
        case.status = "accepted"
        case.accepted_at = clock.now()
        case.accepted_on = clock.today_shanghai()
        _rollup_due(case, parts)
        _history(session, case, principal, "accept", before, note)
        await _flush(session)
        await _announce(session, case, "case_accepted", principal, parts=len(parts))
        await notices.issue_acceptance(session, principal, case, parts)
        return case
    await _accept_one(session, principal, case, tolerate_missing, note)
    return case


def _rollup_due(parent: Case, parts: Sequence[Case]) -> None:
    dues = [p.due_date for p in parts if p.due_date is not None]
    parent.due_date = max(dues) if dues else None
    parent.due_provisional = any(p.due_provisional for p in parts)
    latest = max((p for p in parts if p.due_date is not None), key=lambda p: p.due_date or date.min,
                 default=None)
    parent.due_derivation = latest.due_derivation if latest is not None else None
    statutory = [p.statutory_due for p in parts if p.statutory_due is not None]
    parent.statutory_due = max(statutory) if statutory else None


async def not_accept_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str,
                          reason: str, legal_basis: str) -> Case:
    """不予受理: with the reason and its legal basis (written notice)."""
    case = await get_case(session, principal, case_id)
    _check(case, principal, "not_accept")
    reason = _text(reason, "reason", "不予受理理由", "the reason")
    basis = _text(legal_basis, "legalBasis", "法律依据", "the legal basis")
    before = case.status
    case.status = "not_accepted"
    case.not_accepted_on = clock.today_shanghai()
    case.not_accepted_reason, case.not_accepted_basis = reason, basis
    if case.is_parallel:
        for part in await parts_of(session, case):
            if part.status in ("submitted", "needs_supplement"):
                part.status = "not_accepted"
                part.not_accepted_on = case.not_accepted_on
                part.not_accepted_reason, part.not_accepted_basis = reason, basis
                _history(session, part, principal, "not_accept", "submitted", reason)
    _history(session, case, principal, "not_accept", before, reason, {"basis": basis})
    await _flush(session)
    await _announce(session, case, "case_not_accepted", principal)
    await notices.issue_non_acceptance(session, principal, case)
    return case


async def complete_instant(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str, *,
                           approved: bool = True, reason: str | None = None) -> Case:
    """即办件: accepted and decided in one step, the same day."""
    case = await get_case(session, principal, case_id)
    _check(case, principal, "complete_instant")
    if case.case_type != 1 or case.is_parallel:
        raise Conflict("case.not_instant", f"办件 {case.case_no} 不是即办件，须受理后按承诺时限办理",
                       f"case {case.case_no} is not an instant item", field="caseId")
    missing = await _missing_required(session, case)
    if missing:
        raise Conflict("case.materials_incomplete", "即办件材料不齐，不能当场办结",
                       "an instant item cannot be completed with required materials missing",
                       field="materials", missing=[m.seq for m in missing])
    if not approved:
        reason = _text(reason, "reason", "不予决定的理由", "the reason for denial")
    now, today = clock.now(), clock.today_shanghai()
    before = case.status
    case.status = "approved" if approved else "denied"
    case.accepted_at, case.accepted_on = now, today
    case.decided_at, case.decided_on = now, today
    case.decision, case.decision_reason = case.status, reason
    case.due_date, case.handling_days, case.on_time = today, 0, True
    case.due_derivation = {"start": today.isoformat(), "limit": 0, "due": today.isoformat(),
                           "skipped": [], "paused": [], "provisional": False,
                           "provisional_years": []}
    _history(session, case, principal, "complete_instant", before, reason)
    await _flush(session)
    await _announce(session, case, "case_accepted", principal, missing_required=[])
    await _announce(session, case, "case_decided", principal, decision=case.decision,
                    on_time=True, skipped_steps=[])
    await notices.issue_acceptance(session, principal, case)
    await notices.issue_decision(session, principal, case)
    return case


# ---------------------------------------------------------------------------- review

async def _step(session: AsyncSession, case: Case, seq: int) -> CaseStep:
    step = await session.scalar(select(CaseStep).where(CaseStep.case_id == case.id,
                                                       CaseStep.seq == seq))
    if step is None:
        raise NotFound("case_step", f"{case.case_no}#{seq}")
    return step


async def assign_step(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str,
                      seq: int, assignee: str) -> CaseStep:
    """Assign a step to a member of staff of the handling tenant (by username)."""
    case = await get_case(session, principal, case_id)
    _check(case, principal, "assign_step")
    step = await _step(session, case, seq)
    if step.status in ("done", "skipped"):
        raise Conflict("case.step_closed", f"环节“{step.name}”已结束", f"step {seq} is closed",
                       field="seq")
    user = await session.scalar(select(User).where(User.username == assignee.strip()))
    if user is None or not (user.tenant_path == case.handling_path
                            or case.handling_path.startswith(user.tenant_path + "/")):
        raise NotFound("user", assignee)
    step.assignee_id, step.assignee_name = user.id, user.username
    _history(session, case, principal, "assign_step", case.status, None,
             {"seq": seq, "assignee": user.username})
    await _flush(session)
    return step


async def start_step(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str,
                     seq: int) -> CaseStep:
    case = await get_case(session, principal, case_id)
    _check(case, principal, "start_step")
    step = await _step(session, case, seq)
    if step.status != "pending":
        raise Conflict("case.step_not_pending", f"环节“{step.name}”不是待办状态",
                       f"step {seq} is {step.status}, not pending", field="seq")
    active = await session.scalar(select(CaseStep.seq).where(CaseStep.case_id == case.id,
                                                             CaseStep.status == "active"))
    if active is not None:
        raise Conflict("case.step_active", f"环节 {active} 尚未完成", f"step {active} is still active",
                       field="seq")
    today = clock.today_shanghai()
    step.status, step.started_at, step.started_on = "active", clock.now(), today
    before = case.status
    case.status = "in_review"
    await _flush(session)
    await refresh_due(session, case, actor=principal.username, reason="环节开始")
    _history(session, case, principal, "start_step", before, None,
             {"seq": seq, "step_due": step.due_date.isoformat() if step.due_date else None})
    await _announce(session, case, "step_started", principal, seq=seq, step=step.name,
                    step_limit=step.limit_days,
                    step_due=step.due_date.isoformat() if step.due_date else None)
    return step


async def finish_step(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str,
                      seq: int, opinion: str) -> CaseStep:
    case = await get_case(session, principal, case_id)
    _check(case, principal, "finish_step")
    step = await _step(session, case, seq)
    if step.status != "active":
        raise Conflict("case.step_not_active", f"环节“{step.name}”未开始或已结束",
                       f"step {seq} is {step.status}, not active", field="seq")
    opinion = _text(opinion, "opinion", "办理意见", "an opinion")
    today = clock.today_shanghai()
    step.status, step.finished_at, step.finished_on, step.opinion = "done", clock.now(), today, opinion
    over = step.due_date is not None and today > step.due_date
    _history(session, case, principal, "finish_step", case.status, opinion,
             {"seq": seq, "over_limit": over})
    await _flush(session)
    await _announce(session, case, "step_finished", principal, seq=seq, step=step.name,
                    over_limit=over)
    return step


async def decide_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str, *,
                      approved: bool, reason: str | None = None) -> Case:
    """准予 / 不予: a denial needs its reason. Unfinished steps are closed as skipped and the
    decision's event names them (e-supervision treats a skipped required step as irregular)."""
    case = await get_case(session, principal, case_id)
    if case.is_parallel:
        raise Conflict("case.parallel_parent", "并联审批由各子办件分别决定",
                       "the sub-cases of a parallel approval are decided one by one", field="caseId")
    _check(case, principal, "decide")
    if not approved:
        reason = _text(reason, "reason", "不予许可的理由", "the reason for denial")
    skipped = []
    for step in (await session.scalars(select(CaseStep).where(
            CaseStep.case_id == case.id, CaseStep.status.in_(("pending", "active"))))).all():
        step.status = "skipped"
        skipped.append(step.seq)
    now, today = clock.now(), clock.today_shanghai()
    before = case.status
    case.status = "approved" if approved else "denied"
    case.decision, case.decision_reason = case.status, reason
    case.decided_at, case.decided_on = now, today
    cal = await calendar_for(session, case)
    spans = pause_spans((await session.scalars(select(Pause).where(Pause.case_id == case.id))).all(),
                        today)
    assert case.accepted_on is not None
    case.handling_days = cal.count_working_days(case.accepted_on, today, spans)
    case.on_time = case.due_date is None or today <= case.due_date
    _history(session, case, principal, "decide", before, reason,
             {"decision": case.decision, "skipped_steps": skipped, "on_time": case.on_time})
    await _flush(session)
    await _announce(session, case, "case_decided", principal, decision=case.decision,
                    on_time=case.on_time, skipped_steps=skipped)
    await notices.issue_decision(session, principal, case)
    if case.parent_id is not None:
        await _maybe_complete_parent(session, principal, case.parent_id)
    return case


async def _maybe_complete_parent(session: AsyncSession, principal: Principal,
                                 parent_id: uuid.UUID) -> None:
    parent = await session.get(Case, parent_id)
    if parent is None or parent.status not in ("accepted", "in_review"):
        return
    parts = await parts_of(session, parent)
    live = [p for p in parts if p.status not in ("withdrawn", "not_accepted")]
    if any(p.status not in ("approved", "denied") for p in live):
        return
    denied = [p.case_no for p in live if p.status == "denied"]
    before = parent.status
    parent.status = "denied" if denied or not live else "approved"
    parent.decision = parent.status
    parent.decision_reason = ("子办件不予：" + "、".join(denied)) if denied else None
    parent.decided_at, parent.decided_on = clock.now(), clock.today_shanghai()
    parent.on_time = all(p.on_time for p in live)
    _rollup_due(parent, live)
    _history(session, parent, principal, "decide", before, parent.decision_reason,
             {"parts": [p.case_no for p in live], "denied": denied})
    await _flush(session)
    await _announce(session, parent, "case_decided", principal, decision=parent.decision,
                    on_time=parent.on_time, skipped_steps=[])


# --------------------------------------------------------------------------- delivery

async def deliver_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str, *,
                       method: str = "pickup", note: str | None = None) -> Case:
    """送达/办结: the result handed over (for agent cases: picked up at the village point).
    A parallel approval delivers its one result through one window (一窗出件)."""
    case = await get_case(session, principal, case_id)
    if case.parent_id is not None:
        raise Conflict("case.deliver_through_parent", "并联审批结果由主办件统一出件",
                       "the result of a parallel approval is delivered through its parent",
                       field="caseId")
    _check(case, principal, "deliver")
    if method not in DELIVERY_METHODS:
        raise Invalid("case.delivery_method", f"送达方式必须是 {'/'.join(DELIVERY_METHODS)}",
                      f"method must be one of {', '.join(DELIVERY_METHODS)}", field="method")
    now, today = clock.now(), clock.today_shanghai()
    targets = [case]
    if case.is_parallel:
        targets += [p for p in await parts_of(session, case) if p.status in ("approved", "denied")]
    for c in targets:
        before = c.status
        c.status = "delivered"
        c.delivered_at, c.delivered_on, c.delivery_method, c.delivery_note = now, today, method, note
        _history(session, c, principal, "deliver", before, note, {"method": method})
    await _flush(session)
    await _announce(session, case, "case_delivered", principal, method=method,
                    decision=case.decision)
    await notices.issue_delivery(session, principal, case, targets[1:])
    return case


async def withdraw_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str,
                        reason: str) -> Case:
    """撤回 at the applicant's request (recorded by the window or agent)."""
    case = await get_case(session, principal, case_id)
    _check(case, principal, "withdraw")
    reason = _text(reason, "reason", "撤回理由", "the reason")
    targets = [case]
    if case.is_parallel:
        targets += [p for p in await parts_of(session, case) if p.status in OPEN]
    case_before = case.status
    for c in targets:
        before = c.status
        c.status = "withdrawn"
        c.withdrawn_at, c.withdraw_reason = clock.now(), reason
        await _end_pause(session, c, None)
        _history(session, c, principal, "withdraw", before, reason)
    await _flush(session)
    await notices.issue_withdrawal(session, principal, case, case_before, targets[1:])
    await _announce(session, case, "case_withdrawn", principal)
    if case.parent_id is not None:
        await _maybe_complete_parent(session, principal, case.parent_id)
    return case


# -------------------------------------------------------------- suspension, extension

async def suspend_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str,
                       kind: str, reason: str) -> Case:
    """特别程序 (hearing, inspection, expert review …): the clock stops (ALL art. 45)."""
    case = await get_case(session, principal, case_id)
    _check(case, principal, "suspend")
    if kind not in PAUSE_KINDS:
        raise Invalid("case.pause_kind", f"特别程序类型必须是 {'/'.join(PAUSE_KINDS)}",
                      f"kind must be one of {', '.join(PAUSE_KINDS)}", field="kind")
    reason = _text(reason, "reason", "暂停理由", "the reason")
    before = case.status
    case.resume_status, case.status = before, "suspended"
    pause = Pause(case_id=case.id, tenant_id=case.tenant_id, tenant_path=case.tenant_path,
                  kind=kind, reason=reason, started_at=clock.now(), start_day=clock.today_shanghai())
    session.add(pause)
    _history(session, case, principal, "suspend", before, reason, {"kind": kind})
    await _flush(session)
    await notices.issue_suspension(session, principal, case, pause)
    await _announce(session, case, "case_suspended", principal, kind=kind)
    return case


async def resume_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str) -> Case:
    case = await get_case(session, principal, case_id)
    _check(case, principal, "resume")
    before = case.status
    case.status, case.resume_status = case.resume_status or "accepted", None
    pause = await _end_pause(session, case, None)
    await _flush(session)
    deadline = await refresh_due(session, case, actor=principal.username, reason="特别程序结束，恢复计时")
    _history(session, case, principal, "resume", before, None,
             {"paused_kind": pause.kind if pause else None,
              "due_date": deadline.due.isoformat() if deadline else None})
    await _announce(session, case, "case_resumed", principal)
    return case


async def extend_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str,
                      days: int, reason: str) -> Case:
    """延期: once, approved by someone with ``case:extend``, within the statute's limit."""
    case = await get_case(session, principal, case_id)
    _check(case, principal, "extend")
    cfg = await _settings(session, case)
    if case.extension_days:
        raise Conflict("case.already_extended", f"办件 {case.case_no} 已延期一次，不得再次延期",
                       f"case {case.case_no} was already extended once", field="days")
    if case.item_type not in cfg.extension_item_types:
        raise Conflict("case.extension_not_allowed", "该类事项法律未规定可以延期",
                       f"items of type {case.item_type} may not be extended", field="days")
    if not 1 <= days <= cfg.max_extension_days:
        raise Invalid("case.extension_days", f"延期天数须在 1–{cfg.max_extension_days} 个工作日之间",
                      f"an extension is 1–{cfg.max_extension_days} working days", field="days")
    reason = _text(reason, "reason", "延期理由", "the reason")
    case.extension_days, case.extension_reason = days, reason
    due_before = case.due_date.isoformat() if case.due_date else None
    await _flush(session)
    deadline = await refresh_due(session, case, actor=principal.username, reason=f"批准延期 {days} 个工作日")
    await notices.issue_extension(session, principal, case, due_before)
    _history(session, case, principal, "extend", case.status, reason,
             {"days": days, "due_date": deadline.due.isoformat() if deadline else None})
    await _announce(session, case, "case_extended", principal, days=days)
    return case


# --------------------------------------------------------------------------------- fees

async def charge_fee(session: AsyncSession, principal: Principal, case_id: uuid.UUID | str, *,
                     fee_seq: int, amount_cents: int, window_id: uuid.UUID | None = None) -> CaseFee:
    """Charge a fee of the item at or below its standard (above: ``case.fee_above_standard``)."""
    case = await get_case(session, principal, case_id)
    _check(case, principal, "charge_fee")
    if case.implementation_id is None:
        raise Conflict("case.parallel_parent", "请对子办件收费", "charge fees on the sub-cases",
                       field="caseId")
    row = (await session.execute(
        select(CatalogFee, ImplementationFee.amount_cents)
        .join(ImplementationFee, ImplementationFee.catalog_fee_id == CatalogFee.id)
        .where(ImplementationFee.implementation_id == case.implementation_id,
               CatalogFee.seq == fee_seq))).first()
    if row is None:
        raise Invalid("case.fee_unknown", f"收费项目 {fee_seq} 不在该事项的收费清单中（或该事项不收费）",
                      f"fee {fee_seq} is not charged for this item", field="feeSeq")
    fee, local = row
    standard = local if local is not None else fee.max_amount_cents
    if amount_cents <= 0:
        raise Invalid("case.fee_amount", "收费金额必须大于零", "the amount must be positive",
                      field="amountCents")
    if standard is None:
        raise Conflict("case.fee_standard_unknown", f"收费项目“{fee.name}”未设定金额标准，不能收费",
                       f"fee {fee_seq} has no amount standard", field="feeSeq")
    if amount_cents > standard:
        raise Invalid("case.fee_above_standard",
                      f"收费 {amount_cents / 100:.2f} 元高于标准 {standard / 100:.2f} 元（{fee.standard}）",
                      f"{amount_cents} cents is above the standard of {standard} cents",
                      field="amountCents", standard=standard)
    window = case.window_id if window_id is None else window_id
    venue_id = None
    if window is not None:
        w = await session.get(Window, window)
        if w is None or w.tenant_id != case.tenant_id:
            raise Invalid("case.window_unknown", "窗口不属于受理单位",
                          "the window does not belong to the accepting tenant", field="windowId")
        venue_id = w.venue_id
    charged = CaseFee(case_id=case.id, tenant_id=case.tenant_id, tenant_path=case.tenant_path,
                      fee_seq=fee_seq, name=fee.name, amount_cents=amount_cents, window_id=window,
                      venue_id=venue_id, charged_at=clock.now(), charged_on=clock.today_shanghai(),
                      charged_by=principal.username)
    session.add(charged)
    case.fees_cents += amount_cents
    _history(session, case, principal, "charge_fee", case.status, None,
             {"fee_seq": fee_seq, "amount_cents": amount_cents})
    await _flush(session)
    await _announce(session, case, "fee_charged", principal, fee_seq=fee_seq,
                    amount_cents=amount_cents, standard_cents=standard)
    return charged
