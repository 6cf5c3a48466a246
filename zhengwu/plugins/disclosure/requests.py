"""Requests for disclosure (依申请公开): registration, correction, consultations, extension,
fees, the reply and withdrawal, each on the statutory clock (see ``clock`` for the days).

States (``status``): ``registered`` (being handled, the clock runs) → ``awaiting_correction``
(a correction notice is out; the clock does not run until the completed application
arrives, then restarts from that day) → ``registered``; ``consulting`` (a third party or a
co-producing agency was asked; back to ``registered`` when every consultation is closed);
``replied`` and ``withdrawn`` end a request. A withdrawal by the applicant is closed as the
reply other/other with the applicant's note, so the annual report counts it in row （六）3.

The annual report reads the rows: a request is *handled* in year Y iff ``replied_on`` lies in
Y, *open* at a date iff ``replied_on`` is null or later; ``requester_kind`` is its column.

Permissions (at the request's tenant; a grant covers the subtree): ``disclosure_request:
register`` to register, ``handle`` for every step of handling, ``extend`` to approve the one
extension (the head of the disclosure office, Art. 33 ¶2), ``read`` to read. The tenant must
have the plugin enabled. Every step writes a ``RequestHistory`` row (actor, time, detail);
services flush, the caller commits, and every check runs before anything changes.

What the consultations' answers mean for the reply (Arts. 32 and 34):

* co-producer (Art. 34): consent or silence at the limit = consent to disclose; an objection
  is recorded for the agency to weigh (the regulation gives it no binding force).
* third party (Art. 32): consent = may disclose; silence = the agency decides; a reasoned
  objection (the note is required) = withhold — a reply ``disclosed`` is then refused unless
  the agency states that withholding would seriously harm the public interest
  (``public_interest=True``), in which case the third party must be told in writing (recorded
  in the history).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock as core_clock
from zhengwu.core.calendar.service import Deadline, WorkCalendar, load_calendar
from zhengwu.core.catalog.codes import validate_credit_code
from zhengwu.core.config import get_settings
from zhengwu.core.db import new_id, subtree_clause
from zhengwu.core.errors import Conflict, Invalid, InvalidField, NotFound, PermissionDenied
from zhengwu.core.pii import PiiCipher, mask_id_number, mask_phone, validate_id_number, validate_phone
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.disclosure import clock, fees, replies
from zhengwu.plugins.disclosure.models import (
    Consultation,
    Counter,
    DisclosureRequest,
    RequestHistory,
)
from zhengwu.plugins.disclosure.settings import DisclosureSettings
from zhengwu.tenants import enablement
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "CONSULTATION_KINDS",
    "OUTCOMES",
    "REQUESTER_KINDS",
    "STATES",
    "NewRequest",
    "Reply",
    "RequestFilter",
    "RequestPage",
    "answer_consultation",
    "children_of",
    "extend_request",
    "get_request",
    "list_requests",
    "open_consultation",
    "record_correction",
    "record_fee_paid",
    "register_request",
    "reply_request",
    "send_correction_notice",
    "set_fee",
    "withdraw_request",
]

PLUGIN = "disclosure"
KIND = "disclosure_request"

STATES = {"registered": "办理中", "awaiting_correction": "待补正", "consulting": "征求意见中",
          "replied": "已答复", "withdrawn": "已撤回"}
OPEN_STATES = ("registered", "awaiting_correction", "consulting")
RUNNING = ("registered", "consulting")
"""States in which the reply clock runs (awaiting a correction it does not: it restarts)."""

REQUESTER_KINDS = ("natural_person", "commercial", "research", "public_interest",
                   "legal_service", "other")
"""The annual report's six requester columns: 自然人; 法人或其他组织 — 商业企业, 科研机构,
社会公益组织, 法律服务机构, 其他."""
CONSULTATION_KINDS = ("third_party", "co_producer")
OUTCOMES = ("consent", "objection", "silence")
_NEEDS_ZH = {"open": "办理中（无待补正、无未结征求意见）", "corrected": "已补正",
             "correction_overdue": "补正期限已过仍未补正",
             "fee_overdue": "收费通知逾期未缴费"}
MAX_TEXT = 5000


# ------------------------------------------------------------------------------ inputs

@dataclass(frozen=True)
class NewRequest:
    channel: str
    requester_kind: str
    requester_name: str
    description: str
    tenant_code: str | None = None
    requester_id: str | None = None  # ID number (natural person) or credit code (others)
    phone: str | None = None
    purpose: str | None = None
    submitted_on: date | None = None  # default: today
    signed_on: date | None = None  # registered mail
    confirmed_on: date | None = None  # letter, online, fax


@dataclass(frozen=True)
class Reply:
    type: str
    reason: str | None
    text: str
    public_interest: bool = False


@dataclass(frozen=True)
class RequestFilter:
    status: tuple[str, ...] = ()
    year: int | None = None
    open: bool | None = None
    overdue: bool | None = None
    requester_kind: str | None = None


@dataclass
class RequestPage:
    rows: list[DisclosureRequest]
    has_next: bool
    total: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def current_cipher() -> PiiCipher:
    return PiiCipher.from_settings(get_settings())


# ------------------------------------------------------------------------------ helpers

def _require(principal: Principal, action: str, path: str) -> None:
    if principal.is_anonymous or not can(principal, action, Resource(KIND, path)):
        raise PermissionDenied(f"{KIND}:{action}", path)


def _today() -> date:
    return core_clock.today_shanghai()


def _text(value: str | None, name: str, zh: str, en: str, max_len: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if not text or len(text) > max_len:
        raise Invalid(f"{KIND}.{_snake(name)}_required", f"{zh}不能为空（不超过{max_len}字）",
                      f"{en} is required (at most {max_len} characters)", field=name)
    return text


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _not_future(d: date, name: str) -> None:
    if d > _today():
        raise Invalid(f"{KIND}.date_in_future", f"{name} {d} 晚于今天",
                      f"{name} {d} is in the future", field=name)


async def _tenant_of(session: AsyncSession, req: DisclosureRequest) -> Tenant:
    tenant = await session.get(Tenant, req.tenant_id)
    assert tenant is not None
    return tenant


async def _require_enabled(session: AsyncSession, tenant: Tenant) -> None:
    if PLUGIN not in await enablement.active_plugins(session, tenant):
        raise Conflict("plugin.not_enabled", f"插件 disclosure 未在 {tenant.code} 启用",
                       f"plugin disclosure is not enabled here ({tenant.code})", plugin=PLUGIN)


async def _settings(session: AsyncSession, tenant: Tenant) -> DisclosureSettings:
    return await tenant_settings.resolve(session, tenant, DisclosureSettings)


async def _calendar(session: AsyncSession, path: str, first: date) -> WorkCalendar:
    last = max(first.year + 2, _today().year + 1)
    return await load_calendar(session, path, range(first.year, last + 1))


def _history(session: AsyncSession, req: DisclosureRequest, principal: Principal, action: str,
             from_status: str | None, **detail: Any) -> None:
    session.add(RequestHistory(
        id=new_id(), request_id=req.id, tenant_id=req.tenant_id, tenant_path=req.tenant_path,
        action=action, from_status=from_status, to_status=req.status, actor_id=principal.user_id,
        at=core_clock.now(), detail={"actor": principal.username, **detail}))


async def _next_number(session: AsyncSession, tenant: Tenant, year: int) -> str:
    """``<division code>-GK-<year>-<5 digits>`` (GK: 公开): per tenant and year, gap-free and
    race-free — one upsert on the ``request`` counter, RETURNING the new value."""
    pg = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if pg else sqlite.insert
    value = (await session.execute(insert(Counter).values(
        id=new_id(), tenant_id=tenant.id, tenant_path=tenant.path, kind="request", year=year,
        value=1).on_conflict_do_update(index_elements=[Counter.tenant_id, Counter.kind, Counter.year],
                                       set_={"value": Counter.value + 1})
        .returning(Counter.value))).scalar_one()
    return f"{tenant.code}-GK-{year}-{value:05d}"


async def _consultations(session: AsyncSession, req: DisclosureRequest) -> list[Consultation]:
    return list((await session.scalars(
        select(Consultation).where(Consultation.request_id == req.id)
        .order_by(Consultation.sent_on, Consultation.id))).all())


def _spans(cal: WorkCalendar, req: DisclosureRequest, consultations: Sequence[Consultation]
           ) -> list[clock.Span]:
    spans = []
    for c in consultations:
        if c.sent_on < req.clock_start:
            continue  # asked before the clock restarted: nothing to exclude
        answered = c.outcome in ("consent", "objection") and c.answered_on is not None
        end = min(c.answered_on, c.due_on) if answered and c.answered_on else c.due_on
        spans.append(clock.Span("consultation", c.sent_on, end, f"{c.kind}:{c.party_name}"))
    if req.fee_notice_on is not None and req.fee_notice_on >= req.clock_start:
        end = req.fee_paid_on or clock.fee_payment_due(cal, req.fee_notice_on, fees.PAYMENT_DAYS)
        spans.append(clock.Span("fee", req.fee_notice_on, end, "收费通知至缴费"))
    return spans


async def _refresh(session: AsyncSession, req: DisclosureRequest, conf: DisclosureSettings,
                   cal: WorkCalendar | None = None) -> Deadline:
    """Recompute ``due_on`` and its derivation from the clock start, the extension and the
    excluded spans (the one place that writes them)."""
    cal = cal or await _calendar(session, req.tenant_path, req.received_on)
    spans = _spans(cal, req, await _consultations(session, req))
    deadline = clock.reply_deadline(cal, req.clock_start, conf.reply_days, req.extended_days, spans)
    req.due_on = deadline.due
    req.due_derivation = {
        **deadline.to_dict(),
        "basis": {"clock_start": req.clock_start.isoformat(),
                  "restarted": req.corrected_on is not None,
                  "reply_days": conf.reply_days, "extension_days": req.extended_days,
                  "spans": [s.to_dict() for s in spans]}}
    return deadline


def _check_status(req: DisclosureRequest, allowed: Sequence[str], action_zh: str,
                  action: str) -> None:
    if req.status not in allowed:
        names = "、".join(STATES[s] for s in allowed)
        raise Conflict(f"{KIND}.transition_not_allowed",
                       f"申请 {req.request_no} 当前为“{STATES.get(req.status, req.status)}”，"
                       f"不能{action_zh}（仅限：{names}）",
                       f"request {req.request_no} is {req.status}: cannot {action} "
                       f"(allowed from: {', '.join(allowed)})",
                       field="status", status=req.status, action=action)


async def _load(session: AsyncSession, principal: Principal, request_id: uuid.UUID | str,
                action: str) -> tuple[DisclosureRequest, DisclosureSettings]:
    """The request in the principal's scope, ``action`` allowed there, the plugin enabled."""
    req = await _find(session, principal, request_id)
    _require(principal, action, req.tenant_path)
    tenant = await _tenant_of(session, req)
    await _require_enabled(session, tenant)
    return req, await _settings(session, tenant)


async def _find(session: AsyncSession, principal: Principal,
                request_id: uuid.UUID | str) -> DisclosureRequest:
    if principal.is_anonymous:
        raise NotFound(KIND, request_id)
    q = select(DisclosureRequest).where(
        subtree_clause(DisclosureRequest.tenant_path, principal.acting_path))
    try:
        key = request_id if isinstance(request_id, uuid.UUID) else uuid.UUID(str(request_id))
        q = q.where(DisclosureRequest.id == key)
    except ValueError:
        q = q.where(DisclosureRequest.request_no == str(request_id).strip())
    req = await session.scalar(q)
    if req is None:
        raise NotFound(KIND, request_id)
    return req


def _raise(problems: list[InvalidField]) -> None:
    if len(problems) == 1:
        p = problems[0]
        raise Invalid(p.code, p.zh, p.en, field=p.field, problems=problems)
    if problems:
        raise Invalid(f"{KIND}.invalid", "申请登记有误：" + "；".join(p.zh for p in problems),
                      "invalid request: " + "; ".join(p.en for p in problems),
                      field=problems[0].field, problems=problems)


def _problem(exc: Invalid, name: str | None = None) -> InvalidField:
    return InvalidField(exc.code, exc.zh, exc.en, field=name or exc.field)


# ------------------------------------------------------------------------------ reading

async def get_request(session: AsyncSession, principal: Principal,
                      request_id: uuid.UUID | str) -> DisclosureRequest:
    """One request (by id or number) for reading: ``read`` at the acting tenant first, so a
    principal without it learns nothing; not found and not yours are one answer."""
    _require(principal, "read", principal.acting_path)
    return await _find(session, principal, request_id)


def page_key(req: DisclosureRequest) -> str:
    return f"{req.received_on.isoformat()}|{req.request_no}"


async def list_requests(session: AsyncSession, principal: Principal, filter: RequestFilter | None,
                        first: int, after: str | None = None) -> RequestPage:
    """Requests of the acting tenant's subtree, newest receipt first (then by number,
    descending), keyset-paged in SQL after ``after`` (see ``page_key``).

    ``open``: not replied (``replied_on`` null); ``overdue``: the clock runs (registered or
    consulting) and the due date is before today — a request awaiting correction is not
    overdue (its clock restarts with the completed application).
    """
    _require(principal, "read", principal.acting_path)
    f = filter or RequestFilter()
    R = DisclosureRequest
    q = select(R).where(subtree_clause(R.tenant_path, principal.acting_path))
    bad = [s for s in f.status if s not in STATES]
    if bad:
        raise Invalid(f"{KIND}.status_unknown", f"未知状态 {bad}", f"unknown status {bad}",
                      field="filter.status")
    if f.status:
        q = q.where(R.status.in_(f.status))
    if f.year is not None:
        if not 1949 <= f.year <= 2100:  # date() of a year outside 1–9999 would fail
            raise Invalid(f"{KIND}.filter_year", "年份应在 1949–2100 之间",
                          "the year lies in 1949–2100", field="filter.year")
        q = q.where(R.received_on >= date(f.year, 1, 1), R.received_on <= date(f.year, 12, 31))
    if f.open is not None:
        q = q.where(R.replied_on.is_(None) if f.open else R.replied_on.is_not(None))
    today = _today()
    if f.overdue is not None:
        cond = and_(R.status.in_(RUNNING), R.due_on < today)
        q = q.where(cond if f.overdue else ~cond)
    if f.requester_kind is not None:
        if f.requester_kind not in REQUESTER_KINDS:
            raise Invalid(f"{KIND}.requester_kind", "未知申请人类型", "unknown requester kind",
                          field="filter.requesterKind")
        q = q.where(R.requester_kind == f.requester_kind)
    if after is not None:
        try:
            raw_day, number = after.split("|", 1)
            day = date.fromisoformat(raw_day)
        except ValueError as exc:
            raise Invalid("pagination.bad_cursor", "分页游标无效", "invalid pagination cursor",
                          field="after") from exc
        q = q.where(or_(R.received_on < day, and_(R.received_on == day, R.request_no < number)))
    rows = list((await session.scalars(
        q.order_by(R.received_on.desc(), R.request_no.desc()).limit(first + 1))).all())
    return RequestPage(rows=rows[:first], has_next=len(rows) > first)


async def children_of(session: AsyncSession, principal: Principal, model: Any,
                      request_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """Consultations or history rows of many requests in one statement, scoped."""
    out: dict[uuid.UUID, list[Any]] = {i: [] for i in request_ids}
    if not request_ids:
        return out
    order = ((Consultation.sent_on, Consultation.id) if model is Consultation
             else (RequestHistory.at, RequestHistory.id))
    rows = await session.scalars(
        select(model).where(model.request_id.in_(list(set(request_ids))),
                            subtree_clause(model.tenant_path, principal.acting_path))
        .order_by(model.request_id, *order))
    for row in rows:
        out[row.request_id].append(row)
    return out


# ------------------------------------------------------------------------------ register

def _protect_requester(new: NewRequest, cipher: PiiCipher, problems: list[InvalidField]
                       ) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    enc = index = masked = phone_enc = phone_masked = None
    if new.requester_id:
        try:
            if new.requester_kind == "natural_person":
                value = validate_id_number(new.requester_id, field="requesterId")
                index = cipher.blind_index("id_number", value)
            else:
                try:
                    value = validate_credit_code(new.requester_id, field="requesterId")
                except Invalid as bad:
                    # the core's message quotes the value, which may be a person's ID number
                    # typed under another requester kind: never echo it
                    raise Invalid(bad.code, "统一社会信用代码无效（18 位，不含 I O Z S V，校验位正确）",
                                  "invalid unified social credit code (18 characters of the "
                                  "GB 32100 alphabet with a valid check character)",
                                  field="requesterId") from None
                index = cipher.blind_index("credit_code", value)
            enc = cipher.encrypt(value, context="disclosure.requester_id")
            masked = mask_id_number(value)
        except Invalid as exc:
            problems.append(InvalidField(exc.code, exc.zh, exc.en, field="requesterId"))
    if new.phone:
        try:
            phone = validate_phone(new.phone, field="phone")
            phone_enc = cipher.encrypt(phone, context="disclosure.phone")
            phone_masked = mask_phone(phone)
        except Invalid as exc:
            problems.append(_problem(exc, "phone"))
    return enc, index, masked, phone_enc, phone_masked


async def register_request(session: AsyncSession, principal: Principal, new: NewRequest, *,
                           cipher: PiiCipher | None = None) -> DisclosureRequest:
    """Register an application received through any channel, with its date of receipt
    (Art. 31), its number and its reply clock (receipt + 20 working days)."""
    tenant = await access_tenant(session, principal, new.tenant_code or principal.acting_code)
    if not principal.sees(tenant.path):  # an ancestor is readable (breadcrumbs), not ours
        raise NotFound("tenant", new.tenant_code)
    _require(principal, "register", tenant.path)
    await _require_enabled(session, tenant)
    conf = await _settings(session, tenant)
    cipher = cipher or current_cipher()
    today = _today()
    problems: list[InvalidField] = []
    if new.requester_kind not in REQUESTER_KINDS:
        problems.append(InvalidField(
            f"{KIND}.requester_kind", f"申请人类型必须是 {'/'.join(REQUESTER_KINDS)}（年度报告的六栏）",
            f"requester kind must be one of {', '.join(REQUESTER_KINDS)}", field="requesterKind"))
    name = (new.requester_name or "").strip()
    if not name or len(name) > 200:
        problems.append(InvalidField(f"{KIND}.requester_name_required",
                                     "申请人姓名或名称不能为空（不超过200字）",
                                     "the requester's name is required (at most 200 characters)",
                                     field="requesterName"))
    description = (new.description or "").strip()
    if not description or len(description) > MAX_TEXT:
        problems.append(InvalidField(f"{KIND}.description_required",
                                     f"所需政府信息的描述不能为空（不超过{MAX_TEXT}字）",
                                     f"a description of the information is required (at most "
                                     f"{MAX_TEXT} characters)", field="description"))
    purpose = (new.purpose or "").strip() or None
    if purpose is not None and len(purpose) > MAX_TEXT:
        problems.append(InvalidField(f"{KIND}.purpose_too_long", f"用途不超过{MAX_TEXT}字",
                                     f"the purpose is at most {MAX_TEXT} characters",
                                     field="purpose"))
    submitted_on = new.submitted_on or today
    received_on: date | None = None
    if submitted_on > today:
        problems.append(InvalidField(f"{KIND}.date_in_future", f"提交日期 {submitted_on} 晚于今天",
                                     f"submittedOn {submitted_on} is in the future",
                                     field="submittedOn"))
    else:
        try:
            received_on = clock.receipt_date(new.channel, submitted_on, signed_on=new.signed_on,
                                             confirmed_on=new.confirmed_on)
            if received_on > today:
                problems.append(InvalidField(f"{KIND}.date_in_future", f"收到日期 {received_on} 晚于今天",
                                             f"the date of receipt {received_on} is in the future",
                                             field="signedOn" if new.signed_on else "confirmedOn"))
                received_on = None
        except Invalid as exc:
            problems.append(_problem(exc))
    protected = _protect_requester(new, cipher, problems)
    _raise(problems)
    assert received_on is not None
    enc, index, masked, phone_enc, phone_masked = protected
    number = await _next_number(session, tenant, received_on.year)
    submitted_at = (core_clock.now() if new.submitted_on is None else
                    datetime.combine(submitted_on, time(0), core_clock.SHANGHAI).astimezone(UTC))
    req = DisclosureRequest(
        id=new_id(), tenant_id=tenant.id, tenant_path=tenant.path, request_no=number,
        channel=new.channel, requester_kind=new.requester_kind, requester_name=name,
        requester_id_enc=enc, requester_id_hash=index, requester_id_masked=masked,
        phone_enc=phone_enc, phone_masked=phone_masked, description=description,
        purpose=purpose, submitted_at=submitted_at,
        received_on=received_on, status="registered", clock_start=received_on,
        due_on=received_on, due_derivation={}, extended_days=0, created_by=principal.user_id)
    session.add(req)
    await session.flush()
    deadline = await _refresh(session, req, conf)
    _history(session, req, principal, "register", None, channel=new.channel,
             received_on=received_on.isoformat(), due_on=deadline.due.isoformat())
    await session.flush()
    return req


# ------------------------------------------------------------------------------ correction

async def send_correction_notice(session: AsyncSession, principal: Principal,
                                 request_id: uuid.UUID | str, items: Sequence[str],
                                 respond_by: date | None = None) -> DisclosureRequest:
    """The one correction notice (补正, Art. 30) listing everything to add, sent today: at
    most once, within 7 working days of receipt (later: refused, naming the last allowed day).

    ``respond_by``: the applicant's deadline (after today); the regulation sets none, the
    default is 15 working days from the notice (the agency's practice, documented).
    """
    req, conf = await _load(session, principal, request_id, "handle")
    _check_status(req, ("registered",), "告知补正", "send a correction notice")
    if req.correction_notice_on is not None:
        raise Conflict(f"{KIND}.correction_already_sent",
                       f"申请 {req.request_no} 已于 {req.correction_notice_on} 告知补正，只能一次性告知",
                       f"request {req.request_no} already had its correction notice on "
                       f"{req.correction_notice_on}: one notice only (Art. 30)", field="items")
    clean = [i.strip() for i in items if i and i.strip()]
    if not clean:
        raise Invalid(f"{KIND}.correction_items_required", "补正告知须一次性列明全部需补正的内容",
                      "the notice must list everything to add", field="items")
    if len(clean) > 50 or len("\n".join(clean)) > MAX_TEXT:
        raise Invalid(f"{KIND}.correction_items_too_long",
                      f"补正事项最多50项、合计不超过{MAX_TEXT}字",
                      f"at most 50 items and {MAX_TEXT} characters in all", field="items")
    today = _today()
    cal = await _calendar(session, req.tenant_path, req.received_on)
    last = clock.correction_notice_last_day(cal, req.received_on, conf.correction_notice_days)
    if today > last:
        raise Conflict(f"{KIND}.correction_too_late",
                       f"补正告知须在收到申请之日起{conf.correction_notice_days}个工作日内发出，"
                       f"最后一天为 {last}",
                       f"the correction notice was due within {conf.correction_notice_days} "
                       f"working days of receipt; the last allowed day was {last}",
                       field="items", last_day=last.isoformat())
    deadline = respond_by or cal.add_working_days(today, 15).due
    if deadline <= today:
        raise Invalid(f"{KIND}.correction_deadline", f"补正期限 {deadline} 须晚于今天",
                      f"the correction deadline {deadline} must be after today",
                      field="respondBy")
    before = req.status
    req.status = "awaiting_correction"
    req.correction_notice_on = today
    req.correction_items = "\n".join(clean)
    req.correction_deadline = deadline
    _history(session, req, principal, "correction_notice", before, items=clean,
             respond_by=deadline.isoformat(), last_allowed=last.isoformat())
    await session.flush()
    return req


async def record_correction(session: AsyncSession, principal: Principal,
                            request_id: uuid.UUID | str, corrected_on: date | None = None
                            ) -> DisclosureRequest:
    """The completed application arrived (on ``corrected_on``, default today): the reply
    clock restarts from that day (Art. 30). A correction after the applicant's deadline is
    still recorded (a good reason), marked late in the history."""
    req, conf = await _load(session, principal, request_id, "handle")
    _check_status(req, ("awaiting_correction",), "登记补正", "record a correction")
    day = corrected_on or _today()
    _not_future(day, "correctedOn")
    assert req.correction_notice_on is not None
    if day < req.correction_notice_on:
        raise Invalid(f"{KIND}.correction_before_notice",
                      f"补正日期 {day} 早于补正告知日 {req.correction_notice_on}",
                      f"correctedOn {day} is before the notice of {req.correction_notice_on}",
                      field="correctedOn")
    before = req.status
    req.status = "registered"
    req.corrected_on = day
    req.clock_start = day
    deadline = await _refresh(session, req, conf)
    late = req.correction_deadline is not None and day > req.correction_deadline
    _history(session, req, principal, "correction", before, corrected_on=day.isoformat(),
             late=late, due_on=deadline.due.isoformat())
    await session.flush()
    return req


# ------------------------------------------------------------------------------ consultations

async def open_consultation(session: AsyncSession, principal: Principal,
                            request_id: uuid.UUID | str, kind: str, party_name: str,
                            sent_on: date | None = None) -> Consultation:
    """Ask a third party (Art. 32) or a co-producing agency (Art. 34) in writing; they have
    15 working days; the reply clock stops from ``sent_on`` (default today)."""
    req, conf = await _load(session, principal, request_id, "handle")
    _check_status(req, RUNNING, "征求意见", "open a consultation")
    if kind not in CONSULTATION_KINDS:
        raise Invalid(f"{KIND}.consultation_kind", "征求意见对象必须是第三方或共同制作机关",
                      "kind must be third_party or co_producer", field="kind")
    party = _text(party_name, "partyName", "被征求意见方名称", "the party's name", 200)
    day = sent_on or _today()
    _not_future(day, "sentOn")
    if day < req.clock_start:
        raise Invalid(f"{KIND}.consultation_before_start",
                      f"征求意见日期 {day} 早于计时起点 {req.clock_start}",
                      f"sentOn {day} is before the clock start {req.clock_start}", field="sentOn")
    cal = await _calendar(session, req.tenant_path, req.received_on)
    row = Consultation(id=new_id(), request_id=req.id, tenant_id=req.tenant_id,
                       tenant_path=req.tenant_path, kind=kind, party_name=party, sent_on=day,
                       due_on=clock.consultation_due(cal, day, conf.consultation_days))
    session.add(row)
    await session.flush()
    before = req.status
    req.status = "consulting"
    deadline = await _refresh(session, req, conf, cal)
    _history(session, req, principal, "consultation_open", before, consultation=str(row.id),
             kind=kind, sent_on=day.isoformat(), answer_due=row.due_on.isoformat(),
             due_on=deadline.due.isoformat())
    await session.flush()
    return row


async def answer_consultation(session: AsyncSession, principal: Principal,
                              consultation_id: uuid.UUID | str, outcome: str,
                              answered_on: date | None = None, note: str | None = None
                              ) -> Consultation:
    """Record a consulted party's answer: ``consent``, ``objection`` (reasons in ``note``,
    required) on ``answered_on`` (default today), or ``silence`` — only once the 15 working
    days have passed. When no consultation stays open the request is back to registered."""
    try:
        key = consultation_id if isinstance(consultation_id, uuid.UUID) else uuid.UUID(str(consultation_id))
    except ValueError as exc:
        raise NotFound("disclosure_consultation", consultation_id) from exc
    row = await session.scalar(select(Consultation).where(
        Consultation.id == key,
        subtree_clause(Consultation.tenant_path, principal.acting_path)))
    if row is None or principal.is_anonymous:
        raise NotFound("disclosure_consultation", consultation_id)
    req, conf = await _load(session, principal, row.request_id, "handle")
    if row.outcome is not None:
        raise Conflict(f"{KIND}.consultation_closed", f"该征求意见已记录结果（{row.outcome}）",
                       f"this consultation is already closed ({row.outcome})", field="outcome")
    _check_status(req, ("consulting",), "记录意见", "answer a consultation")
    if outcome not in OUTCOMES:
        raise Invalid(f"{KIND}.outcome", "意见必须是 consent/objection/silence",
                      "outcome must be consent, objection or silence", field="outcome")
    today = _today()
    day: date | None = None
    if outcome == "silence":
        if today <= row.due_on:
            raise Conflict(f"{KIND}.silence_too_early",
                           f"征求意见期限至 {row.due_on}，期满后方可按逾期未答复处理",
                           f"the party has until {row.due_on}; silence only after that",
                           field="outcome", due_on=row.due_on.isoformat())
    else:
        day = answered_on or today
        _not_future(day, "answeredOn")
        if day < row.sent_on:
            raise Invalid(f"{KIND}.answer_before_sent", f"答复日期 {day} 早于征求意见日 {row.sent_on}",
                          f"answeredOn {day} is before sentOn {row.sent_on}", field="answeredOn")
    clean_note = (note or "").strip() or None
    if clean_note is not None and len(clean_note) > MAX_TEXT:
        raise Invalid(f"{KIND}.note_too_long", f"意见说明不超过{MAX_TEXT}字",
                      f"the note is at most {MAX_TEXT} characters", field="note")
    if outcome == "objection" and not clean_note:
        raise Invalid(f"{KIND}.objection_reason_required", "不同意公开须记录理由（条例第32条）",
                      "an objection needs its reasons (Art. 32)", field="note")
    row.outcome, row.answered_on, row.note = outcome, day, clean_note
    await session.flush()
    still_open = [c for c in await _consultations(session, req) if c.outcome is None]
    before = req.status
    if not still_open:
        req.status = "registered"
    deadline = await _refresh(session, req, conf)
    _history(session, req, principal, "consultation_answer", before, consultation=str(row.id),
             kind=row.kind, outcome=outcome, answered_on=day.isoformat() if day else None,
             due_on=deadline.due.isoformat())
    await session.flush()
    return row


# ------------------------------------------------------------------------------ extension

async def extend_request(session: AsyncSession, principal: Principal,
                         request_id: uuid.UUID | str, days: int, reason: str) -> DisclosureRequest:
    """The one extension (Art. 33 ¶2): at most ``max_extension_days`` (20) working days,
    approved by the head of the disclosure office (``disclosure_request:extend``), with a
    reason, before the due date passes."""
    req, conf = await _load(session, principal, request_id, "extend")
    _check_status(req, RUNNING, "延期", "extend")
    if req.extended_days:
        raise Conflict(f"{KIND}.already_extended",
                       f"申请 {req.request_no} 已延期 {req.extended_days} 个工作日，只能延期一次",
                       f"request {req.request_no} was already extended by {req.extended_days} "
                       "working days: one extension only (Art. 33)", field="days")
    if days < 1 or days > conf.max_extension_days:
        raise Invalid(f"{KIND}.extension_too_long",
                      f"延长期限须为 1 至 {conf.max_extension_days} 个工作日（条例第33条）",
                      f"an extension is 1 to {conf.max_extension_days} working days (Art. 33)",
                      field="days", max=conf.max_extension_days)
    text = _text(reason, "reason", "延期理由", "the reason for the extension", 2000)
    today = _today()
    if today > req.due_on:
        raise Conflict(f"{KIND}.extension_too_late",
                       f"答复期限已于 {req.due_on} 届满，不能再延期",
                       f"the reply was due on {req.due_on}: too late to extend",
                       field="days", due_on=req.due_on.isoformat())
    old = req.due_on
    req.extended_days = days
    req.extension_reason = text
    req.extension_approved_by = principal.user_id
    req.extension_approved_on = today
    deadline = await _refresh(session, req, conf)
    _history(session, req, principal, "extend", req.status, days=days, reason=text,
             approved_by=principal.username, due_from=old.isoformat(),
             due_on=deadline.due.isoformat())
    await session.flush()
    return req


# ------------------------------------------------------------------------------ fees

def _same_requester(req: DisclosureRequest) -> Any:
    R = DisclosureRequest
    if req.requester_id_hash is not None:
        return R.requester_id_hash == req.requester_id_hash
    return and_(R.requester_id_hash.is_(None), R.requester_name == req.requester_name)


async def month_ordinal(session: AsyncSession, req: DisclosureRequest) -> int:
    """Which request of its requester's calendar month (at its tenant) ``req`` is, 1-based:
    ordered by date of receipt, then registration time, then number."""
    R = DisclosureRequest
    first = req.received_on.replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    earlier = or_(R.received_on < req.received_on,
                  and_(R.received_on == req.received_on,
                       or_(R.submitted_at < req.submitted_at,
                           and_(R.submitted_at == req.submitted_at,
                                R.request_no <= req.request_no))))
    count = await session.scalar(select(func.count()).select_from(R).where(
        R.tenant_id == req.tenant_id, R.received_on >= first, R.received_on < nxt,
        _same_requester(req), earlier))
    return int(count or 0)


async def set_fee(session: AsyncSession, principal: Principal,
                  request_id: uuid.UUID | str) -> DisclosureRequest:
    """Send the fee notice (收费通知) today, the amount per 国办函〔2020〕109号 (``fees``): the
    request's place in its requester's month decides it; a free request is refused."""
    req, conf = await _load(session, principal, request_id, "handle")
    _check_status(req, RUNNING, "发出收费通知", "send a fee notice")
    if req.fee_notice_on is not None:
        raise Conflict(f"{KIND}.fee_already_set", f"已于 {req.fee_notice_on} 发出收费通知",
                       f"a fee notice was already sent on {req.fee_notice_on}", field="fee")
    n = await month_ordinal(session, req)
    amount = fees.fee_for(n, free=conf.free_requests_per_month,
                          base_cents=conf.fee_per_request_cents)
    if amount == 0:
        raise Conflict(f"{KIND}.fee_not_chargeable",
                       f"这是该申请人本月第 {n} 件申请，每月前 {conf.free_requests_per_month} 件免费",
                       f"this is the requester's request no. {n} of the month; the first "
                       f"{conf.free_requests_per_month} are free", field="fee", ordinal=n)
    req.fee_cents = amount
    req.fee_notice_on = _today()
    deadline = await _refresh(session, req, conf)
    cal = await _calendar(session, req.tenant_path, req.received_on)
    _history(session, req, principal, "fee_notice", req.status, amount_cents=amount, ordinal=n,
             pay_by=clock.fee_payment_due(cal, req.fee_notice_on, fees.PAYMENT_DAYS).isoformat(),
             due_on=deadline.due.isoformat())
    await session.flush()
    return req


async def record_fee_paid(session: AsyncSession, principal: Principal,
                          request_id: uuid.UUID | str, paid_on: date | None = None
                          ) -> DisclosureRequest:
    """The applicant paid (on ``paid_on``, default today): the clock runs again from the day
    after. A payment after the limit is still recorded, marked late."""
    req, conf = await _load(session, principal, request_id, "handle")
    _check_status(req, RUNNING, "登记缴费", "record a payment")
    if req.fee_notice_on is None or req.fee_paid_on is not None:
        raise Conflict(f"{KIND}.no_fee_outstanding", "没有待缴的收费通知",
                       "no fee notice is outstanding", field="paidOn")
    day = paid_on or _today()
    _not_future(day, "paidOn")
    if day < req.fee_notice_on:
        raise Invalid(f"{KIND}.paid_before_notice", f"缴费日期 {day} 早于收费通知日 {req.fee_notice_on}",
                      f"paidOn {day} is before the notice of {req.fee_notice_on}", field="paidOn")
    cal = await _calendar(session, req.tenant_path, req.received_on)
    limit = clock.fee_payment_due(cal, req.fee_notice_on, fees.PAYMENT_DAYS)
    req.fee_paid_on = day
    deadline = await _refresh(session, req, conf, cal)
    _history(session, req, principal, "fee_paid", req.status, paid_on=day.isoformat(),
             late=day > limit, due_on=deadline.due.isoformat())
    await session.flush()
    return req


# ------------------------------------------------------------------------------ reply

async def _fits(session: AsyncSession, req: DisclosureRequest, needs: str, today: date) -> bool:
    if needs == "open":
        return req.status == "registered"
    if needs == "corrected":
        return req.status == "registered" and req.corrected_on is not None
    if needs == "correction_overdue":
        return (req.status == "awaiting_correction" and req.correction_deadline is not None
                and today > req.correction_deadline)
    if needs == "fee_overdue":
        if req.status != "registered" or req.fee_notice_on is None or req.fee_paid_on is not None:
            return False
        cal = await _calendar(session, req.tenant_path, req.received_on)
        return today > clock.fee_payment_due(cal, req.fee_notice_on, fees.PAYMENT_DAYS)
    raise AssertionError(needs)


def _on_time(req: DisclosureRequest, today: date) -> bool:
    """Closed on or before the due date — or while awaiting a correction: the clock does not
    run then (Art. 30: it restarts with the completed application), so the stored due date
    of the incomplete one cannot make the closing late."""
    return req.status == "awaiting_correction" or today <= req.due_on


async def reply_request(session: AsyncSession, principal: Principal,
                        request_id: uuid.UUID | str, reply: Reply) -> DisclosureRequest:
    """Reply today with a type and reason of ``replies`` that fit the request's state;
    withholding replies name their legal ground as reason. ``replied_on_time``: replied on or
    before the due date, or while awaiting a correction (``_on_time``)."""
    req, _ = await _load(session, principal, request_id, "handle")
    _check_status(req, OPEN_STATES, "答复", "reply")
    if reply.type not in replies.REPLY_TYPES:
        raise Invalid(f"{KIND}.reply_type_unknown", f"未知答复类型 {reply.type}",
                      f"unknown reply type {reply.type}", field="type")
    if not reply.reason:
        if reply.type in replies.WITHHOLDING_TYPES:
            raise Invalid(f"{KIND}.ground_required",
                          "不予公开或部分公开须载明法定理由（条例第14–16条、第36条第7项）",
                          "a reply that withholds must name its legal ground (Arts. 14–16, 36(7))",
                          field="reason")
        raise Invalid(f"{KIND}.reason_required", "须选择答复理由", "a reason is required",
                      field="reason")
    found = replies.reason(reply.type, reply.reason)
    if found is None:
        raise Invalid(f"{KIND}.reason_unknown",
                      f"答复类型 {reply.type} 没有理由 {reply.reason}",
                      f"reply type {reply.type} has no reason {reply.reason}", field="reason")
    text = _text(reply.text, "text", "答复内容", "the reply's text")
    today = _today()
    if not await _fits(session, req, found.needs, today):
        raise Conflict("disclosure_request.reply_does_not_fit",
                       f"答复“{found.title_zh}”要求申请处于：{_NEEDS_ZH[found.needs]}；"
                       f"申请 {req.request_no} 当前为“{STATES[req.status]}”",
                       f"the reply {reply.type}/{reply.reason} needs the request to be "
                       f"{found.needs}; request {req.request_no} is {req.status}",
                       field="reason", needs=found.needs, status=req.status)
    unpaid = req.fee_notice_on is not None and req.fee_paid_on is None
    if unpaid and reply.type in ("disclosed", "partly_disclosed"):
        raise Conflict(f"{KIND}.fee_outstanding", "收费通知尚未缴费，不能提供信息",
                       "a fee notice is unpaid: the information cannot be provided yet",
                       field="type")
    objections = [c for c in await _consultations(session, req)
                  if c.kind == "third_party" and c.outcome == "objection"]
    if objections and reply.type == "disclosed" and not reply.public_interest:
        raise Conflict(f"{KIND}.third_party_objection",
                       "第三方有合理理由不同意公开，不予公开；如不公开会对公共利益造成重大影响，"
                       "须注明公共利益并书面告知第三方（条例第32条）",
                       "a third party objected with reasons: withhold, unless withholding would "
                       "seriously harm the public interest (state it; the third party is told "
                       "in writing, Art. 32)", field="publicInterest")
    before = req.status
    req.replied_on_time = _on_time(req, today)
    req.status = "replied"
    req.reply_type, req.reply_reason, req.reply_text = reply.type, reply.reason, text
    req.replied_on = today
    req.replied_by = principal.user_id
    detail: dict[str, Any] = {"type": reply.type, "reason": reply.reason,
                              "replied_on": today.isoformat(), "due_on": req.due_on.isoformat(),
                              "on_time": req.replied_on_time}
    if objections and reply.public_interest:
        detail["public_interest"] = True
        detail["notify_third_parties"] = [c.party_name for c in objections]
    _history(session, req, principal, "reply", before, **detail)
    await session.flush()
    return req


async def withdraw_request(session: AsyncSession, principal: Principal,
                           request_id: uuid.UUID | str, note: str) -> DisclosureRequest:
    """The applicant withdrew: closed today as other/other (annual report （六）3) with the
    applicant's note."""
    req, _ = await _load(session, principal, request_id, "handle")
    _check_status(req, OPEN_STATES, "撤回", "withdraw")
    text = _text(note, "note", "撤回说明", "a note on the withdrawal", 2000)
    today = _today()
    before = req.status
    req.replied_on_time = _on_time(req, today)
    req.status = "withdrawn"
    req.reply_type, req.reply_reason = "other", "other"
    req.reply_text = f"申请人撤回申请：{text}"
    req.replied_on = today
    req.replied_by = principal.user_id
    _history(session, req, principal, "withdraw", before, note=text,
             replied_on=today.isoformat())
    await session.flush()
    return req
