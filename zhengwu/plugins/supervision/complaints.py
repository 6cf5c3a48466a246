"""投诉 (complaints): from the hall, online, and imported 12345 hotline tickets; classification,
assignment to a tenant and department, a deadline in working days, reply, callback (回访) and
closure, and the rates behind the metrics.

* **Sources**: ``hall`` and ``online`` are filed by staff (``file_complaint``); ``hotline``
  tickets come from the 12345 platform's export (``import_tickets``: CSV or JSON, each ticket
  with its own id — one row per ticket id, so importing a file again adds nothing).
* **Import is all or nothing**: every row is checked first (ticket id present and not repeated
  in the file, tenant code known, category known, content present, date valid); if any row is
  bad, every bad row is reported and nothing is written.
* **Deadline**: ``complaint_days`` working days (tenant setting, default 5) from the day it was
  received, on the assigned tenant's calendar; reassigning keeps the deadline.
* **Life**: open → replied (答复, ``alert:act``) → called_back (回访, ``alert:supervise``, with the
  complainant's satisfaction) → closed (办结, ``alert:supervise``). Assignment (交办) to a
  tenant of one's subtree and a department: ``alert:supervise``.

A complaint is owned by the tenant it is assigned to, so the tenant tree decides who sees it.
No personal data is kept: the complaint's text and ids only. Functions flush; the caller
commits.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock, events
from zhengwu.core.calendar.service import WorkCalendar, load_calendar
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, Invalid, NotFound
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.supervision.models import Complaint
from zhengwu.plugins.supervision.projection import clear_cards, settings_at
from zhengwu.plugins.supervision.service import require
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant

__all__ = ["CATEGORIES", "EVENTS", "ImportReport", "assign_complaint", "callback_complaint",
           "close_complaint", "complaint_counts", "file_complaint", "get_complaint",
           "import_tickets", "parse_tickets", "reply_complaint"]

CATEGORIES = {"attitude": "服务态度", "efficiency": "办事效率", "process": "办事流程",
              "fees": "收费", "integrity": "廉政作风", "facilities": "设施环境", "other": "其他"}
SOURCES = {"hall": "大厅", "online": "网上", "hotline": "12345热线"}
CARD = "complaint_overdue"
"""The sweep's red card on a complaint still open past ``due_on`` (on the complaint: its id as
``case_id``); answering the complaint clears it."""
EVENTS = ("supervision.complaint_received", "supervision.complaint_replied",
          "supervision.complaint_closed")


def _text(value: Any, field: str, zh: str, en: str, *, required: bool = True,
          max_len: int = 4000) -> str | None:
    text = str(value or "").strip()
    if len(text) > max_len or (required and not text):
        raise Invalid(f"complaint.{field}_required", f"{zh}不能为空（不超过{max_len}字）",
                      f"{en} is required (at most {max_len} characters)", field=field)
    return text or None


def _category(value: str) -> str:
    if value not in CATEGORIES:
        raise Invalid("complaint.category", f"投诉类别须为：{'、'.join(CATEGORIES)}",
                      f"the category is one of {', '.join(CATEGORIES)}", field="category")
    return value


async def _calendar(session: AsyncSession, path: str, day: date) -> WorkCalendar:
    return await load_calendar(session, path, range(day.year, day.year + 2))


async def file_complaint(session: AsyncSession, principal: Principal, *, tenant_code: str,
                         source: str, category: str, content: str,
                         department: str | None = None, case_no: str | None = None) -> Complaint:
    """A complaint made in the hall or online, filed by staff (``alert:act`` at the tenant)."""
    if source not in ("hall", "online"):
        raise Invalid("complaint.source", "投诉来源须为 hall 或 online（热线工单请导入）",
                      "the source is hall or online (hotline tickets are imported)",
                      field="source")
    tenant = await access_tenant(session, principal, tenant_code)
    if not principal.sees(tenant.path):
        raise NotFound("tenant", tenant_code)
    require(principal, "act", tenant.path)
    today = clock.today_shanghai()
    days = (await settings_at(session, tenant.path)).complaint_days
    due = (await _calendar(session, tenant.path, today)).add_working_days(today, days).due
    row = Complaint(tenant_id=tenant.id, tenant_path=tenant.path, source=source,
                    category=_category(category),
                    content=_text(content, "content", "投诉内容", "the complaint"),
                    department=_text(department, "department", "部门", "the department",
                                     required=False, max_len=100),
                    case_no=_text(case_no, "case_no", "办件编号", "the case number",
                                  required=False, max_len=40),
                    received_on=today, days=days, due_on=due, status="open",
                    filed_by=principal.username)
    session.add(row)
    await session.flush()
    await _announce(session, row, "received", principal.username)
    return row


async def _announce(session: AsyncSession, row: Complaint, what: str, actor: str) -> None:
    await events.publish(session, f"supervision.complaint_{what}", row.tenant_id, row.tenant_path,
                         {"complaint_id": str(row.id), "source": row.source,
                          "external_id": row.external_id, "category": row.category,
                          "status": row.status}, actor)


async def get_complaint(session: AsyncSession, principal: Principal,
                        complaint_id: uuid.UUID | str) -> Complaint:
    try:
        key = complaint_id if isinstance(complaint_id, uuid.UUID) else uuid.UUID(str(complaint_id))
    except ValueError:
        raise NotFound("complaint", complaint_id) from None
    if principal.is_anonymous:
        raise NotFound("complaint", complaint_id)
    row = await session.scalar(select(Complaint).where(
        Complaint.id == key, subtree_clause(Complaint.tenant_path, principal.acting_path))
        .with_for_update())
    if row is None:
        raise NotFound("complaint", complaint_id)
    require(principal, "read", row.tenant_path)
    return row


def _state(row: Complaint, allowed: tuple[str, ...], action: str) -> None:
    if row.status not in allowed:
        raise Conflict("complaint.transition_not_allowed",
                       f"投诉当前状态为 {row.status}，不能{action}",
                       f"the complaint is {row.status}: cannot {action}", field="status",
                       status=row.status)


async def assign_complaint(session: AsyncSession, principal: Principal,
                           complaint_id: uuid.UUID | str, tenant_code: str,
                           department: str | None = None,
                           category: str | None = None) -> Complaint:
    """交办: assign (or reassign, reclassify) to a tenant of the principal's subtree and a
    department; the deadline stays."""
    row = await get_complaint(session, principal, complaint_id)
    require(principal, "supervise", row.tenant_path)
    _state(row, ("open",), "交办")
    tenant = await access_tenant(session, principal, tenant_code)
    if not principal.sees(tenant.path):
        raise NotFound("tenant", tenant_code)
    if tenant.path != row.tenant_path:  # the sweep raises it again at the new tenant if late
        await clear_cards(session, row.id, [CARD], clock.now(), f"reassigned to {tenant.code}")
    row.tenant_id, row.tenant_path = tenant.id, tenant.path
    row.department = _text(department, "department", "部门", "the department", required=False,
                           max_len=100)
    if category is not None:
        row.category = _category(category)
    row.assigned_by, row.assigned_at = principal.username, clock.now()
    await session.flush()
    return row


async def reply_complaint(session: AsyncSession, principal: Principal,
                          complaint_id: uuid.UUID | str, reply: str) -> Complaint:
    """答复: the handling unit's answer (on time if on or before ``due_on``)."""
    row = await get_complaint(session, principal, complaint_id)
    require(principal, "act", row.tenant_path)
    _state(row, ("open",), "答复")
    row.reply = _text(reply, "reply", "答复内容", "the reply")
    row.status, row.replied_by = "replied", principal.username
    row.replied_at, row.replied_on = clock.now(), clock.today_shanghai()
    await session.flush()
    await clear_cards(session, row.id, [CARD], clock.now(), "complaint answered")
    await _announce(session, row, "replied", principal.username)
    return row


async def callback_complaint(session: AsyncSession, principal: Principal,
                             complaint_id: uuid.UUID | str, satisfied: bool,
                             note: str | None = None) -> Complaint:
    """回访: the complainant asked whether the reply settled it."""
    row = await get_complaint(session, principal, complaint_id)
    require(principal, "supervise", row.tenant_path)
    _state(row, ("replied",), "回访")
    row.callback_satisfied = satisfied
    row.callback_note = _text(note, "note", "回访情况", "the note", required=False)
    row.status, row.called_back_by, row.called_back_at = "called_back", principal.username, \
        clock.now()
    await session.flush()
    return row


async def close_complaint(session: AsyncSession, principal: Principal,
                          complaint_id: uuid.UUID | str, note: str | None = None) -> Complaint:
    """办结 after the callback."""
    row = await get_complaint(session, principal, complaint_id)
    require(principal, "supervise", row.tenant_path)
    _state(row, ("called_back",), "办结")
    row.close_note = _text(note, "note", "办结说明", "the note", required=False)
    row.status, row.closed_by, row.closed_at = "closed", principal.username, clock.now()
    await session.flush()
    await _announce(session, row, "closed", principal.username)
    return row


# ---------------------------------------------------------------------------- 12345 import

FIELDS = ("id", "tenant_code", "category", "content", "received_on", "department", "case_no")
"""The columns of a ticket file (CSV header, or keys of each JSON object); the first four are
required, ``received_on`` (YYYY-MM-DD) defaults to today."""


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    skipped: int = 0
    """Tickets already imported (same id): left as they are."""
    errors: list[dict[str, Any]] = field(default_factory=list)
    """Every bad row: ``{"row": n (1-based), "id": …, "code": …, "message": …}``."""

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "added": self.added, "skipped": self.skipped,
                "errors": self.errors}


def parse_tickets(text: str, fmt: str) -> list[dict[str, Any]]:
    """The rows of a ticket file: ``csv`` (a header naming ``FIELDS``) or ``json`` (a list of
    objects, or ``{"tickets": [...]}``)."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise Invalid("complaint.import_format", "JSON 格式错误", f"invalid JSON: {exc}",
                          field="file") from exc
        if isinstance(data, dict):
            data = data.get("tickets")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise Invalid("complaint.import_format", "JSON 须为工单对象列表",
                          "JSON must be a list of ticket objects", field="file")
        return [{k: (str(v) if v is not None else None) for k, v in r.items()} for r in data]
    if fmt == "csv":
        return [dict(r) for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))]
    raise Invalid("complaint.import_format", "文件格式须为 csv 或 json",
                  "the file format is csv or json", field="file")


async def import_tickets(session: AsyncSession, rows: list[dict[str, Any]],
                         actor: str = "12345") -> ImportReport:
    """Import 12345 hotline tickets (an operator's act: the caller's session decides what it
    may see). All or nothing: with any bad row, ``errors`` lists every one and nothing is
    written. Tickets imported before (same id) are skipped."""
    report = ImportReport(rows=len(rows))
    codes = {str(r.get("tenant_code") or "").strip() for r in rows}
    tenants = {t.code: t for t in (await session.scalars(
        select(Tenant).where(Tenant.code.in_(codes)))).all()}
    seen: dict[str, int] = {}
    good: list[tuple[dict[str, Any], Tenant, date]] = []
    today = clock.today_shanghai()

    def bad(n: int, ticket: str, code: str, message: str) -> None:
        report.errors.append({"row": n, "id": ticket, "code": code, "message": message})

    for n, r in enumerate(rows, start=1):
        ticket = str(r.get("id") or "").strip()
        ok = True
        if not ticket or len(ticket) > 64:
            bad(n, ticket, "complaint.ticket_id", "工单编号缺失或过长 / ticket id missing or too long")
            ok = False
        elif ticket in seen:
            bad(n, ticket, "complaint.duplicate_id",
                f"工单编号与第 {seen[ticket]} 行重复 / duplicate ticket id (row {seen[ticket]})")
            ok = False
        else:
            seen[ticket] = n
        tenant = tenants.get(str(r.get("tenant_code") or "").strip())
        if tenant is None:
            bad(n, ticket, "tenant.not_found",
                f"未知单位 / unknown tenant {r.get('tenant_code')!r}")
            ok = False
        if str(r.get("category") or "").strip() not in CATEGORIES:
            bad(n, ticket, "complaint.category", f"未知类别 / unknown category "
                                                 f"{r.get('category')!r}")
            ok = False
        content = str(r.get("content") or "").strip()
        if not content or len(content) > 4000:
            bad(n, ticket, "complaint.content_required", "投诉内容缺失 / content missing")
            ok = False
        received = today
        if r.get("received_on"):
            try:
                received = date.fromisoformat(str(r["received_on"]).strip())
            except ValueError:
                bad(n, ticket, "complaint.received_on", "日期格式须为 YYYY-MM-DD / bad date")
                ok = False
        if ok and tenant is not None:
            good.append((r, tenant, received))
    if report.errors:
        return report
    existing = set((await session.scalars(select(Complaint.external_id).where(
        Complaint.source == "hotline", Complaint.external_id.in_(list(seen))))).all())
    calendars: dict[str, WorkCalendar] = {}
    days_at: dict[str, int] = {}
    for r, tenant, received in good:
        ticket = str(r["id"]).strip()
        if ticket in existing:
            report.skipped += 1
            continue
        if tenant.path not in calendars:
            calendars[tenant.path] = await load_calendar(
                session, tenant.path, range(received.year - 1, today.year + 2))
            days_at[tenant.path] = (await settings_at(session, tenant.path)).complaint_days
        days = days_at[tenant.path]
        session.add(Complaint(
            tenant_id=tenant.id, tenant_path=tenant.path, source="hotline", external_id=ticket,
            category=str(r["category"]).strip(), content=str(r["content"]).strip(),
            department=(str(r.get("department") or "").strip()[:100] or None),
            case_no=(str(r.get("case_no") or "").strip()[:40] or None), received_on=received,
            days=days, due_on=calendars[tenant.path].add_working_days(received, days).due,
            status="open", filed_by=actor))
        report.added += 1
    await session.flush()
    return report


async def complaint_counts(session: AsyncSession, tenant_path: str, start: date, end: date
                           ) -> dict[str, int]:
    """Over the complaints of the subtree received in [start, end]: ``received``, ``replied``,
    ``due`` (replied, or due on or before ``end``), ``on_time`` (replied on or before the due
    date), ``closed``."""
    c = Complaint
    row = (await session.execute(select(
        func.count(), func.count().filter(c.replied_on.is_not(None)),
        func.count().filter((c.replied_on.is_not(None)) | (c.due_on <= end)),
        func.count().filter(c.replied_on <= c.due_on),
        func.count().filter(c.status == "closed")).where(
        subtree_clause(c.tenant_path, tenant_path), c.received_on >= start,
        c.received_on <= end))).one()
    return {"received": row[0], "replied": row[1], "due": row[2], "on_time": row[3],
            "closed": row[4]}
