"""Printed notices and decisions (文书) of a case, issued as records.

Every lifecycle act the applicant must be told of in writing gets its document, issued by
the service in the act's own transaction (so there is never an act without its notice, nor a
notice of an act that was rolled back):

========================  ==================================  ===========  =================
kind                      document                            issued by    on
========================  ==================================  ===========  =================
``acceptance``            受理通知书                            accepting    ``accept`` (and 即办件)
``non_acceptance``        不予受理通知书                        accepting    ``not_accept``
``supplement``            补正材料通知书 (one per round)         accepting    ``request_supplement``
``approval``              准予（行政许可）决定书                  handling     ``decide`` (and 即办件)
``denial``                不予（行政许可）决定书                  handling     ``decide`` (and 即办件)
``delivery``              送达回证                              accepting    ``deliver``
``suspension``            特别程序（暂停计时）告知书             handling     ``suspend`` (each)
``extension``             延期告知书                            handling     ``extend``
``withdrawal``            撤回申请确认书                        accepting    ``withdraw``
========================  ==================================  ===========  =================

**Numbers** are ``<issuing division code>-<kind code>-<year>-<6 digits>`` (kind codes in
``KINDS``: SL 受理, BSL 不予受理, BZ 补正, ZY 准予, BY 不予, SD 送达, TB 特别程序,
YQ 延期, CH 撤回), e.g.
``341881-SL-2026-000001``: per issuing tenant, kind and year, gap-free and race-free (the same
atomic upsert as case numbers). The issuing tenant is the one whose act it is: the accepting
tenant (window, centre, agent point) for the front-desk documents, the handling tenant for
decisions.

**Stamped as record.** A notice stores the *facts* it was rendered from (a JSON snapshot:
names, dates, the deadline's derivation, materials, reasons; the applicant's ID number only
as masked) and the SHA-256 of the rendering. ``render`` rebuilds the page from the stored
facts alone, byte for byte, so ``verify`` can show years later that the record is the
document that was handed out. Nothing here decrypts personal data.

**Idempotent**: one notice per case, kind and event (``event_key``: ``accept``,
``supplement:<round>``, ``suspend:<n>``, ``decide`` …); issuing again returns the existing one.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock
from zhengwu.core.db import new_id, subtree_clause
from zhengwu.core.errors import Conflict, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.intake.inputs import PAUSE_KINDS
from zhengwu.plugins.intake.lifecycle import STATES
from zhengwu.plugins.intake.models import (
    Case,
    CaseMaterial,
    CaseNotice,
    NoticeCounter,
    Pause,
    SupplementNotice,
)
from zhengwu.plugins.intake.notice_render import TEMPLATE_VERSION, render_notice, title_of
from zhengwu.plugins.intake.settings import IntakeSettings
from zhengwu.tenants import enablement
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant, Venue, Window
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "KINDS",
    "NoticeKind",
    "digest",
    "get_notice",
    "issue_acceptance",
    "issue_decision",
    "issue_delivery",
    "issue_extension",
    "issue_non_acceptance",
    "issue_supplement",
    "issue_suspension",
    "issue_withdrawal",
    "notice_path",
    "render",
    "title_of",
    "verify",
]


@dataclass(frozen=True)
class NoticeKind:
    code: str  # in the number
    title_zh: str


KINDS: dict[str, NoticeKind] = {
    "acceptance": NoticeKind("SL", "受理通知书"),
    "non_acceptance": NoticeKind("BSL", "不予受理通知书"),
    "supplement": NoticeKind("BZ", "补正材料通知书"),
    "approval": NoticeKind("ZY", "准予决定书"),
    "denial": NoticeKind("BY", "不予决定书"),
    "delivery": NoticeKind("SD", "送达回证"),
    "suspension": NoticeKind("TB", "特别程序告知书"),
    "extension": NoticeKind("YQ", "延期告知书"),
    "withdrawal": NoticeKind("CH", "撤回申请确认书"),
}
"""The documents; a licensing item's decisions print as 准予/不予行政许可决定书."""

NOTICE_ROUTE = "/api/v1/intake/notices/{number}"


def notice_path(number: str) -> str:
    """Where staff fetch a notice as HTML (the route of ``routes.CaseNoticeController``)."""
    return NOTICE_ROUTE.format(number=number)


# ----------------------------------------------------------------------- rendering

def render(notice: CaseNotice) -> str:
    """The notice's HTML page, from its stored number, kind and facts only."""
    return render_notice(notice.kind, notice.number, notice.template_version, notice.facts)


def digest(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def verify(notice: CaseNotice) -> bool:
    """Whether rendering the stored facts again gives the document whose digest was stored."""
    return digest(render(notice)) == notice.sha256


# ------------------------------------------------------------------------- reading

async def get_notice(session: AsyncSession, principal: Principal, number: str) -> CaseNotice:
    """One notice by its number, for a reader of its case (``case:read``), in the acting
    subtree. A notice of another subtree and one that does not exist are the same
    ``notice.not_found`` — the answer never tells whether a number exists elsewhere."""
    if principal.is_anonymous:
        raise NotFound("notice", number)
    if not can(principal, "read", Resource("case", principal.acting_path)):
        raise PermissionDenied("case:read", principal.acting_path)
    notice = await session.scalar(select(CaseNotice).where(
        CaseNotice.number == number.strip(),
        subtree_clause(CaseNotice.tenant_path, principal.acting_path)))
    if notice is None:
        raise NotFound("notice", number)
    # Only for a notice of its own subtree (elsewhere the answer stays the one 404): where
    # intake is switched off, as GraphQL's guard answers for every intake field.
    acting = await access_tenant(session, principal, principal.acting_code)
    if "intake" not in await enablement.active_plugins(session, acting):
        raise Conflict("plugin.not_enabled", f"插件 intake 未在 {acting.code} 启用",
                       f"plugin intake is not enabled here ({acting.code})", plugin="intake")
    return notice


# ------------------------------------------------------------------------- issuing

async def _next_number(session: AsyncSession, issuer: Tenant, kind: str, year: int) -> str:
    pg = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if pg else sqlite.insert
    last = (await session.execute(insert(NoticeCounter).values(
        id=new_id(), tenant_id=issuer.id, tenant_path=issuer.path, kind=kind, year=year, last=1)
        .on_conflict_do_update(
            index_elements=[NoticeCounter.tenant_id, NoticeCounter.kind, NoticeCounter.year],
            set_={"last": NoticeCounter.last + 1})
        .returning(NoticeCounter.last))).scalar_one()
    return f"{issuer.code}-{KINDS[kind].code}-{year}-{last:06d}"


async def _tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    assert tenant is not None  # a case's tenants exist (merges re-point, never delete)
    return tenant


async def _common(session: AsyncSession, case: Case, issuer: Tenant) -> dict[str, Any]:
    """What every document states: who issues it, the case, the item, the applicant."""
    accepting = issuer if issuer.id == case.tenant_id else await _tenant(session, case.tenant_id)
    venue = window = None
    if case.window_id is not None:
        row = (await session.execute(select(Venue.name, Window.number).join(
            Window, Window.venue_id == Venue.id).where(Window.id == case.window_id))).first()
        if row is not None:
            venue, window = row
    return {
        "issuer": issuer.name, "issuer_code": issuer.code, "accepting": accepting.name,
        "venue": venue, "window": window, "department": case.department_name,
        "case_no": case.case_no, "item_name": case.item_name, "basic_code": case.basic_code,
        "implementation_code": case.implementation_code, "item_type": case.item_type,
        "licensing": case.item_type == "01", "case_type": case.case_type,
        "is_parallel": case.is_parallel,
        "applicant": {"kind": case.applicant_kind, "name": case.applicant_name,
                      "id_number": case.applicant_id_masked, "credit_code": case.applicant_code},
        "submitted_on": case.submitted_on.isoformat(),
        "issued_on": clock.today_shanghai().isoformat(),
    }


async def _issue(session: AsyncSession, principal: Principal, case: Case, kind: str, key: str,
                 issuer: Tenant, facts: dict[str, Any]) -> CaseNotice:
    existing = await session.scalar(select(CaseNotice).where(
        CaseNotice.case_id == case.id, CaseNotice.kind == kind, CaseNotice.event_key == key))
    if existing is not None:
        return existing
    today = clock.today_shanghai()
    notice = CaseNotice(
        id=new_id(), case_id=case.id, tenant_id=case.tenant_id, tenant_path=case.tenant_path,
        kind=kind, event_key=key, number=await _next_number(session, issuer, kind, today.year),
        issuer_tenant_id=issuer.id, issued_at=clock.now(), issued_on=today,
        issued_by=principal.username, template_version=TEMPLATE_VERSION, facts=facts)
    notice.sha256 = digest(render(notice))
    session.add(notice)
    await session.flush()
    return notice


def _derivation(case: Case) -> dict[str, Any] | None:
    """The due date's derivation, summarised for print: the span, the holidays skipped by
    name (first and last day), the weekend and paused days counted out."""
    d = case.due_derivation
    if not d:
        return None
    holidays: dict[str, dict[str, Any]] = {}
    weekends = paused = 0
    for s in d.get("skipped", []):
        if s["reason"] == "holiday":
            h = holidays.setdefault(s["name"], {"name": s["name"], "from": s["day"], "days": 0})
            h["to"] = s["day"]
            h["days"] += 1
        elif s["reason"] == "weekend":
            weekends += 1
        else:
            paused += 1
    return {"start": d["start"], "limit": d["limit"], "due": d["due"],
            "holidays": list(holidays.values()), "weekend_days": weekends,
            "paused_days": paused, "provisional": bool(d.get("provisional"))}


async def _rights(session: AsyncSession, case: Case) -> dict[str, str]:
    """The remedies a refusal must name (ALL art. 38; 行政复议法 art. 20, 行政诉讼法 art. 46):
    the review body and court where the tenant configured them."""
    handling = await _tenant(session, case.handling_tenant_id)
    cfg = await tenant_settings.resolve(session, handling, IntakeSettings)
    return {"review_body": cfg.review_body, "court": cfg.court}


async def issue_acceptance(session: AsyncSession, principal: Principal, case: Case,
                           parts: Sequence[Case] = (), *, deemed: bool = False) -> CaseNotice:
    """受理通知书 (ALL art. 32): accepted on which day, by whom, the promised limit and due
    date with its derivation, the materials received, what was accepted with gaps (容缺), and
    for a parallel approval each part's item, department and due date. ``deemed``: the
    supplement notice was late, so acceptance counts from the day of receipt (art. 32)."""
    issuer = await _tenant(session, case.tenant_id)
    facts = await _common(session, case, issuer)
    materials = (await session.scalars(select(CaseMaterial).where(
        CaseMaterial.case_id.in_([case.id, *(p.id for p in parts)]))
        .order_by(CaseMaterial.case_id, CaseMaterial.seq))).all()
    assert case.accepted_on is not None
    facts.update({
        "accepted_on": case.accepted_on.isoformat(),
        "deemed_from_receipt": deemed,
        "statutory_days": case.statutory_days, "promised_days": case.promised_days,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "due_provisional": case.due_provisional, "derivation": _derivation(case),
        "tolerated_missing": list(case.tolerated_missing or []),
        "materials": [{"name": m.name, "originals": m.originals, "copies": m.copies}
                      for m in materials if m.status == "ok"],
        "parts": [{"case_no": p.case_no, "item_name": p.item_name,
                   "department": p.department_name,
                   "due_date": p.due_date.isoformat() if p.due_date else None} for p in parts],
    })
    return await _issue(session, principal, case, "acceptance", "accept", issuer, facts)


async def issue_non_acceptance(session: AsyncSession, principal: Principal,
                               case: Case) -> CaseNotice:
    """不予受理通知书 (ALL art. 32): the reason, its legal basis, and the applicant's right to
    administrative review or litigation."""
    issuer = await _tenant(session, case.tenant_id)
    facts = await _common(session, case, issuer)
    assert case.not_accepted_on is not None
    facts.update({"not_accepted_on": case.not_accepted_on.isoformat(),
                  "reason": case.not_accepted_reason, "basis": case.not_accepted_basis,
                  "rights": await _rights(session, case)})
    return await _issue(session, principal, case, "non_acceptance", "not_accept", issuer, facts)


async def issue_supplement(session: AsyncSession, principal: Principal, case: Case,
                           request: SupplementNotice, note: str | None) -> CaseNotice:
    """补正材料通知书 (ALL art. 32, 一次性告知): every material to bring in one list, why, and
    that the clock does not run meanwhile."""
    issuer = await _tenant(session, case.tenant_id)
    facts = await _common(session, case, issuer)
    facts.update({"round": request.round, "note": note,
                  "after_acceptance": case.resume_status in ("accepted", "in_review"),
                  "notify_by": request.notify_by.isoformat() if request.notify_by else None,
                  "late": request.late,
                  "items": [{"seq": i["seq"], "name": i["name"], "problem": i["problem"],
                             "note": i.get("note")} for i in request.items]})
    return await _issue(session, principal, case, "supplement", f"supplement:{request.round}",
                        issuer, facts)


async def issue_decision(session: AsyncSession, principal: Principal, case: Case) -> CaseNotice:
    """准予 / 不予（行政许可）决定书 (ALL arts. 38, 44): the decision, by the handling tenant
    and department; a denial with its reason and the applicant's rights."""
    issuer = await _tenant(session, case.handling_tenant_id)
    facts = await _common(session, case, issuer)
    assert case.decided_on is not None
    approved = case.decision == "approved"
    facts.update({
        "decided_on": case.decided_on.isoformat(),
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "reason": case.decision_reason,
        "rights": None if approved else await _rights(session, case),
    })
    return await _issue(session, principal, case, "approval" if approved else "denial", "decide",
                        issuer, facts)


async def issue_delivery(session: AsyncSession, principal: Principal, case: Case,
                         parts: Sequence[Case] = ()) -> CaseNotice:
    """送达回证: which documents were delivered (the decisions of the case or of its parts,
    by number), to whom, how, when and by whom, with room for the recipient's signature."""
    issuer = await _tenant(session, case.tenant_id)
    facts = await _common(session, case, issuer)
    decisions = (await session.scalars(select(CaseNotice).where(
        CaseNotice.case_id.in_([case.id, *(p.id for p in parts)]),
        CaseNotice.kind.in_(("approval", "denial"))).order_by(CaseNotice.number))).all()
    assert case.delivered_on is not None
    facts.update({
        "delivered_on": case.delivered_on.isoformat(), "method": case.delivery_method,
        "note": case.delivery_note, "delivered_by": principal.username,
        "documents": [{"title": _decision_title(n), "number": n.number}
                      for n in decisions],
    })
    return await _issue(session, principal, case, "delivery", "deliver", issuer, facts)


def _decision_title(notice: CaseNotice) -> str:
    return title_of(notice.kind, notice.facts)


async def issue_suspension(session: AsyncSession, principal: Principal, case: Case,
                           pause: Pause) -> CaseNotice:
    """特别程序告知书 (ALL art. 45): which procedure (hearing, tender, auction, testing,
    inspection, expert review …), why, from which day, that its time is not counted in the
    limit, and the due date as it stood (it moves by the paused working days on resumption).
    One per suspension (``suspend:<n>``, the n-th special procedure of the case)."""
    issuer = await _tenant(session, case.handling_tenant_id)
    facts = await _common(session, case, issuer)
    seq = len((await session.scalars(select(Pause.id).where(
        Pause.case_id == case.id, Pause.kind != "supplement"))).all())
    facts.update({
        "seq": seq, "pause_kind": pause.kind, "procedure": PAUSE_KINDS.get(pause.kind, pause.kind),
        "reason": pause.reason, "suspended_on": pause.start_day.isoformat(),
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "statutory_days": case.statutory_days, "promised_days": case.promised_days,
        "due_date": case.due_date.isoformat() if case.due_date else None,
    })
    return await _issue(session, principal, case, "suspension", f"suspend:{seq}", issuer, facts)


async def issue_extension(session: AsyncSession, principal: Principal, case: Case,
                          due_before: str | None) -> CaseNotice:
    """延期告知书 (ALL art. 42): the extension's working days and reason, approved by the
    head of the organ (the principal holding ``case:extend`` at the handling tenant, named as
    approver), the due date before and after. Once: a case is extended at most once."""
    issuer = await _tenant(session, case.handling_tenant_id)
    facts = await _common(session, case, issuer)
    facts.update({
        "days": case.extension_days, "reason": case.extension_reason,
        "approved_by": principal.username, "extended_on": clock.today_shanghai().isoformat(),
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "statutory_days": case.statutory_days, "promised_days": case.promised_days,
        "due_before": due_before,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "due_provisional": case.due_provisional,
    })
    return await _issue(session, principal, case, "extension", "extend", issuer, facts)


async def issue_withdrawal(session: AsyncSession, principal: Principal, case: Case,
                           status_before: str, parts: Sequence[Case] = ()) -> CaseNotice:
    """撤回申请确认书: that the application was withdrawn at the applicant's request, on which
    day, at which stage, the reason given, and for a parallel approval the parts withdrawn with
    it. Issued by the accepting tenant, whose window records the withdrawal."""
    issuer = await _tenant(session, case.tenant_id)
    facts = await _common(session, case, issuer)
    facts.update({
        "withdrawn_on": clock.today_shanghai().isoformat(), "reason": case.withdraw_reason,
        "status_before": status_before, "stage": STATES.get(status_before, status_before),
        "accepted": case.accepted_on is not None,
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "recorded_by": principal.username,
        "parts": [{"case_no": p.case_no, "item_name": p.item_name,
                   "department": p.department_name} for p in parts],
    })
    return await _issue(session, principal, case, "withdrawal", "withdraw", issuer, facts)
