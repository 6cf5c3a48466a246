"""Publications (政府信息): drafting, attachments, links, the due date and the scoped list.

A publication is drafted (``publication:draft``) in its tenant's effective catalog and goes
through the review chain (``review``). Every field is checked at once: bad input is one
``publication.invalid`` error listing each problem (``problems``: ``publication.category_unknown``,
``publication.ground_required`` …), and nothing is written.

Rules:

* the five disclosures (五公开: decision/execution/management/service/result) — at least one;
* key areas (重点领域) from the fixed list ``KEY_AREAS``;
* attribute ``proactive`` | ``on_request`` | ``not_disclosed``; ``not_disclosed`` needs a legal
  ground of Arts. 14–16 (``GROUNDS``: the ground codes of ``replies``' not_disclosed reasons,
  without 36(7)'s administrative_query); the others may not carry one;
* ``formed_on`` (成文日期) is required and not in the future; ``valid_from`` ≤ ``valid_until``;
* proactive items are due ``proactive_days`` (setting, 20: Art. 26) working days after
  ``formed_on`` on the tenant's calendar (``due_on``, ``due_derivation``);
* links: a 政策解读 ``interprets`` a policy of the tenant (any not withdrawn) or a public item
  of an ancestor; a document ``repeals`` documents of its own tenant (they get ``repealed_on``
  when the repealing one is published);
* attachments: at most ``MAX_ATTACHMENT_BYTES`` (10 MB) each, ``MAX_ATTACHMENTS`` per item,
  stored in the row with their SHA-256.

Drafts are editable in ``draft`` and ``returned`` only (a published item is changed by
``review.revise``, which reopens a draft while the public keeps the published text).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from zhengwu.core import clock
from zhengwu.core.calendar.service import Deadline, load_calendar
from zhengwu.core.db import ALL_SCOPE, new_id, subtree_clause
from zhengwu.core.errors import Conflict, Invalid, InvalidField, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.disclosure import replies
from zhengwu.plugins.disclosure.catalog import disclosure_tenant, effective_codes
from zhengwu.plugins.disclosure.models import (
    Attachment,
    Counter,
    Publication,
    PublicationLink,
    ReviewStep,
)
from zhengwu.plugins.disclosure.settings import DisclosureSettings
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import ancestor_paths

__all__ = [
    "ATTRIBUTES",
    "DISCLOSURE_KINDS",
    "DOC_KINDS",
    "EDITABLE",
    "GROUNDS",
    "KEY_AREAS",
    "LINK_KINDS",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "TIMINGS",
    "PublicationFields",
    "PublicationFilter",
    "add_attachment",
    "attachments_for",
    "attachments_of",
    "create_publication",
    "get_publication",
    "is_overdue",
    "is_public",
    "links_for",
    "links_of",
    "list_publications",
    "next_index_no",
    "page_key",
    "readable_by",
    "remove_attachment",
    "review_steps_of",
    "steps_for",
    "update_publication",
]

DISCLOSURE_KINDS: dict[str, str] = {
    "decision": "决策公开", "execution": "执行公开", "management": "管理公开",
    "service": "服务公开", "result": "结果公开",
}
KEY_AREAS: dict[str, str] = {
    "budget": "预算决算", "three_public": "三公经费", "approval": "行政审批",
    "prices_fees": "价格收费", "procurement": "政府采购", "major_projects": "重大建设项目",
    "public_resources": "公共资源配置", "public_welfare": "社会公益事业",
    "housing": "保障性住房", "food_drugs": "食品药品安全", "environment": "环境保护",
    "work_safety": "安全生产", "expropriation": "征地拆迁", "state_enterprises": "国有企业",
    "poverty": "乡村振兴（扶贫）", "education": "教育", "health": "医疗卫生",
    "social_security": "社会保障（就业）",
}
"""重点领域 tags (documented, fixed): the areas the State Council's key-area disclosure notices
name; a publication may carry any of them."""
ATTRIBUTES: dict[str, str] = {"proactive": "主动公开", "on_request": "依申请公开",
                              "not_disclosed": "不予公开"}
GROUNDS: dict[str, str] = {r.code: f"{r.title_zh}（第{r.article}条）"
                           for r in replies.REASONS.values()
                           if r.type == "not_disclosed" and r.code != "administrative_query"}
"""Legal grounds of Arts. 14–16 for a ``not_disclosed`` item (codes shared with replies)."""
TIMINGS: dict[str, str] = {"long_term": "长期公开", "periodic": "定期公开", "ad_hoc": "及时公开"}
DOC_KINDS: dict[str, str] = {"rule": "规章", "normative": "行政规范性文件", "other": "其他"}
LINK_KINDS: dict[str, str] = {"interprets": "政策解读", "repeals": "废止"}
EDITABLE = frozenset({"draft", "returned"})
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20


@dataclass(frozen=True)
class PublicationFields:
    """What an editor fills in (the review chain's state is not here)."""

    title: str
    category_code: str
    formed_on: date | None
    disclosure_kinds: tuple[str, ...] = ()
    attribute: str = "proactive"
    timing: str = "ad_hoc"
    body: str = ""
    key_areas: tuple[str, ...] = ()
    withhold_ground: str | None = None
    doc_kind: str = "other"
    document_no: str | None = None
    department_name: str | None = None
    is_major: bool = False
    valid_from: date | None = None
    valid_until: date | None = None


_FIELD_NAMES = frozenset(f.name for f in fields(PublicationFields))
_CAMEL = {"title": "title", "category_code": "categoryCode", "formed_on": "formedOn",
          "disclosure_kinds": "disclosureKinds", "attribute": "attribute", "timing": "timing",
          "body": "body", "key_areas": "keyAreas", "withhold_ground": "withholdGround",
          "doc_kind": "docKind", "document_no": "documentNo", "department_name": "departmentName",
          "is_major": "isMajor", "valid_from": "validFrom", "valid_until": "validUntil"}


@dataclass(frozen=True)
class PublicationFilter:
    tenant_code: str | None = None
    status: tuple[str, ...] = ()
    category_code: str | None = None
    attribute: str | None = None
    year: int | None = None  # of formed_on
    text: str | None = None
    overdue: bool = False  # only unpublished proactive items past their due date (today)


def is_overdue(pub: Publication, today: date | None = None) -> bool:
    """An unpublished proactive item past its due date (lateness visible before publication)."""
    today = today or clock.today_shanghai()
    return (pub.attribute == "proactive" and pub.published_at is None
            and pub.status != "withdrawn" and pub.due_on is not None and pub.due_on < today)


def is_public(pub: Publication) -> bool:
    """The public-feed contract: proactive, published at least once, not withdrawn."""
    return pub.attribute == "proactive" and pub.published_at is not None and pub.withdrawn_at is None


# ------------------------------------------------------------------------------ access

def require(principal: Principal, action: str, path: str) -> None:
    if not can(principal, action, Resource("publication", path)):
        raise PermissionDenied(f"publication:{action}", path)


async def get_publication(session: AsyncSession, principal: Principal,
                          publication_id: uuid.UUID | str) -> Publication:
    """The publication if it lies in the principal's scope (by id or index number)."""
    if principal.is_anonymous:
        raise NotFound("publication", publication_id)
    q = select(Publication).where(subtree_clause(Publication.tenant_path, principal.acting_path))
    try:
        q = q.where(Publication.id == uuid.UUID(str(publication_id)))
    except ValueError:
        q = q.where(Publication.index_no == str(publication_id).strip())
    pub = await session.scalar(q)
    if pub is None:
        raise NotFound("publication", publication_id)
    require(principal, "read", pub.tenant_path)
    return pub


def _not_editable(pub: Publication, action: str) -> Conflict:
    from zhengwu.plugins.disclosure.review import STATES

    return Conflict("publication.transition_not_allowed",
                    f"信息当前为“{STATES[pub.status]}”，不能{action}（仅草稿或退回修改时可以）",
                    f"the publication is {pub.status}: cannot {action} (only in draft or returned)",
                    field="status", status=pub.status, action=action)


async def _editable(session: AsyncSession, principal: Principal,
                    publication_id: uuid.UUID | str, action: str) -> Publication:
    pub = await get_publication(session, principal, publication_id)
    require(principal, "draft", pub.tenant_path)
    if pub.status not in EDITABLE:
        raise _not_editable(pub, action)
    return pub


# ------------------------------------------------------------------------------ checks

def _p(problems: list[InvalidField], code: str, zh: str, en: str, name: str) -> None:
    problems.append(InvalidField(f"publication.{code}", zh, en, field=_CAMEL.get(name, name)))


def _clean(f: PublicationFields) -> PublicationFields:
    def opt(v: str | None) -> str | None:
        return (v or "").strip() or None

    return replace(f, title=(f.title or "").strip(), category_code=(f.category_code or "").strip(),
                   body=f.body or "", withhold_ground=opt(f.withhold_ground),
                   document_no=opt(f.document_no), department_name=opt(f.department_name),
                   disclosure_kinds=tuple(dict.fromkeys(f.disclosure_kinds)),
                   key_areas=tuple(dict.fromkeys(f.key_areas)))


def _check(f: PublicationFields, catalog_codes: set[str], today: date) -> list[InvalidField]:
    problems: list[InvalidField] = []
    if not f.title or len(f.title) > 300:
        _p(problems, "title_required", "标题不能为空（不超过300字）",
           "the title is required (at most 300 characters)", "title")
    if not f.category_code:
        _p(problems, "category_required", "必须选择目录类别", "a catalog category is required",
           "category_code")
    elif f.category_code not in catalog_codes:
        _p(problems, "category_unknown", f"目录类别 {f.category_code} 不在本单位的目录中",
           f"category {f.category_code} is not in this tenant's catalog", "category_code")
    if not f.disclosure_kinds:
        _p(problems, "disclosure_kinds_required", "至少选择一项“五公开”类型",
           "at least one of the five disclosures is required", "disclosure_kinds")
    bad = [k for k in f.disclosure_kinds if k not in DISCLOSURE_KINDS]
    if bad:
        _p(problems, "disclosure_kind_unknown", f"未知的“五公开”类型：{'、'.join(bad)}",
           f"unknown disclosure kinds: {', '.join(bad)} (use {', '.join(DISCLOSURE_KINDS)})",
           "disclosure_kinds")
    bad = [k for k in f.key_areas if k not in KEY_AREAS]
    if bad:
        _p(problems, "key_area_unknown", f"未知的重点领域：{'、'.join(bad)}",
           f"unknown key areas: {', '.join(bad)}", "key_areas")
    if f.attribute not in ATTRIBUTES:
        _p(problems, "attribute_unknown", "公开属性必须是 主动公开/依申请公开/不予公开",
           "the attribute must be proactive, on_request or not_disclosed", "attribute")
    elif f.attribute == "not_disclosed":
        if not f.withhold_ground:
            _p(problems, "ground_required", "不予公开必须注明条例第十四至十六条规定的理由",
               "a not-disclosed item needs a legal ground of Arts. 14–16", "withhold_ground")
        elif f.withhold_ground not in GROUNDS:
            _p(problems, "ground_unknown", f"不予公开的理由 {f.withhold_ground} 不是条例第十四至十六条的理由",
               f"{f.withhold_ground} is not a ground of Arts. 14–16 "
               f"({', '.join(GROUNDS)})", "withhold_ground")
    elif f.withhold_ground:
        _p(problems, "ground_not_allowed", "只有不予公开的信息才注明不予公开的理由",
           "only a not-disclosed item carries a withholding ground", "withhold_ground")
    if f.timing not in TIMINGS:
        _p(problems, "timing_unknown", "公开时限必须是 长期公开/定期公开/及时公开",
           "the timing must be long_term, periodic or ad_hoc", "timing")
    if f.doc_kind not in DOC_KINDS:
        _p(problems, "doc_kind_unknown", "文件类型必须是 规章/行政规范性文件/其他",
           "the document kind must be rule, normative or other", "doc_kind")
    if f.document_no and len(f.document_no) > 100:
        _p(problems, "document_no_too_long", "文号不超过100字", "the document number is at most 100 "
           "characters", "document_no")
    if f.department_name and len(f.department_name) > 200:
        _p(problems, "department_too_long", "发布机构不超过200字",
           "the department name is at most 200 characters", "department_name")
    if f.formed_on is None:
        _p(problems, "formed_on_required", "必须填写成文（形成）日期", "the date of formation is required",
           "formed_on")
    elif f.formed_on > today:
        _p(problems, "formed_in_future", f"成文日期 {f.formed_on} 晚于今天",
           f"the date of formation {f.formed_on} is in the future", "formed_on")
    if f.valid_from and f.valid_until and f.valid_until < f.valid_from:
        _p(problems, "validity_order", "有效期截止日期早于生效日期",
           "valid_until is before valid_from", "valid_until")
    return problems


def _raise(problems: list[InvalidField]) -> None:
    if problems:
        raise Invalid("publication.invalid", "信息有误：" + "；".join(p.zh for p in problems),
                      "invalid publication: " + "; ".join(p.en for p in problems),
                      field=problems[0].field, problems=problems)


async def settings_of(session: AsyncSession, tenant: Tenant) -> DisclosureSettings:
    return await tenant_settings.resolve(session, tenant, DisclosureSettings)


async def _due(session: AsyncSession, tenant: Tenant, f: PublicationFields) -> Deadline | None:
    """Proactive items: ``proactive_days`` working days after formation (Art. 26)."""
    if f.attribute != "proactive" or f.formed_on is None:
        return None
    days = (await settings_of(session, tenant)).proactive_days
    cal = await load_calendar(session, tenant.path, range(f.formed_on.year, f.formed_on.year + 2))
    return cal.add_working_days(f.formed_on, days)


def _apply(pub: Publication, f: PublicationFields, due: Deadline | None) -> None:
    pub.title, pub.body, pub.category_code = f.title, f.body, f.category_code
    pub.disclosure_kinds, pub.key_areas = list(f.disclosure_kinds), list(f.key_areas)
    pub.attribute, pub.withhold_ground, pub.timing = f.attribute, f.withhold_ground, f.timing
    pub.doc_kind, pub.document_no, pub.department_name = f.doc_kind, f.document_no, f.department_name
    pub.is_major = bool(f.is_major)
    assert f.formed_on is not None
    pub.formed_on, pub.valid_from, pub.valid_until = f.formed_on, f.valid_from, f.valid_until
    pub.due_on = due.due if due else None
    pub.due_derivation = due.to_dict() if due else None


async def _validated(session: AsyncSession, tenant: Tenant, f: PublicationFields
                     ) -> tuple[PublicationFields, Deadline | None]:
    f = _clean(f)
    codes = set(await effective_codes(session, tenant))
    _raise(_check(f, codes, clock.today_shanghai()))
    return f, await _due(session, tenant, f)


def fields_of(pub: Publication) -> PublicationFields:
    return PublicationFields(
        title=pub.title, category_code=pub.category_code, formed_on=pub.formed_on,
        disclosure_kinds=tuple(pub.disclosure_kinds or ()), attribute=pub.attribute,
        timing=pub.timing, body=pub.body, key_areas=tuple(pub.key_areas or ()),
        withhold_ground=pub.withhold_ground, doc_kind=pub.doc_kind, document_no=pub.document_no,
        department_name=pub.department_name, is_major=pub.is_major, valid_from=pub.valid_from,
        valid_until=pub.valid_until)


# ------------------------------------------------------------------------------ drafting

async def create_publication(session: AsyncSession, principal: Principal, tenant_code: str,
                             new: PublicationFields) -> Publication:
    """A new draft at ``tenant_code`` (``publication:draft``)."""
    tenant = await disclosure_tenant(session, principal, tenant_code)
    if not principal.sees(tenant.path):  # an ancestor is readable, not writable
        raise NotFound("tenant", tenant_code)
    require(principal, "draft", tenant.path)
    f, due = await _validated(session, tenant, new)
    pub = Publication(id=new_id(), tenant_id=tenant.id, tenant_path=tenant.path, status="draft",
                      version=1, created_by=principal.user_id)
    _apply(pub, f, due)
    session.add(pub)
    await session.flush()
    return pub


async def update_publication(session: AsyncSession, principal: Principal,
                             publication_id: uuid.UUID | str,
                             changes: Mapping[str, Any]) -> Publication:
    """Change a draft (or a returned item): ``changes`` maps field names of
    ``PublicationFields`` to their new values; the merged whole is checked again."""
    unknown = sorted(set(changes) - _FIELD_NAMES)
    if unknown:
        raise Invalid("publication.field_unknown", f"未知字段：{', '.join(unknown)}",
                      f"unknown fields: {', '.join(unknown)}", field=unknown[0])
    pub = await _editable(session, principal, publication_id, "edit")
    tenant = await session.get(Tenant, pub.tenant_id)
    assert tenant is not None
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v)
                              for k, v in changes.items()}
    if (pub.published_at is not None and "attribute" in values
            and values["attribute"] != pub.attribute):
        # The feed reads ``attribute`` of the row (not of the published version): changing it
        # in a revision would show a withheld item's published text at once, or take a public
        # one off the feed, without the review chain or the withdraw permission.
        raise Conflict("publication.attribute_locked",
                       "已发布过的信息不能更改公开属性（如需变更，请撤回后重新起草）",
                       "the attribute of a publication that has been published cannot change "
                       "(withdraw it and draft a new one)", field="attribute")
    merged = replace(fields_of(pub), **values)
    f, due = await _validated(session, tenant, merged)
    _apply(pub, f, due)
    await session.flush()
    return pub


# ------------------------------------------------------------------------------ attachments

async def add_attachment(session: AsyncSession, principal: Principal,
                         publication_id: uuid.UUID | str, filename: str, content_type: str,
                         content: bytes) -> Attachment:
    pub = await _editable(session, principal, publication_id, "add an attachment")
    problems: list[InvalidField] = []
    name = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not name or len(name) > 255:
        _p(problems, "attachment_filename", "附件文件名不能为空（不超过255字）",
           "the attachment needs a file name (at most 255 characters)", "filename")
    ctype = (content_type or "").strip().lower()
    if not ctype or "/" not in ctype or len(ctype) > 100:
        _p(problems, "attachment_content_type", "附件类型无效（如 application/pdf）",
           "invalid content type (e.g. application/pdf)", "contentType")
    if not content:
        _p(problems, "attachment_empty", "附件内容为空", "the attachment is empty", "content")
    elif len(content) > MAX_ATTACHMENT_BYTES:
        _p(problems, "attachment_too_large",
           f"附件超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB",
           f"the attachment exceeds {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB", "content")
    count = await session.scalar(select(func.count()).select_from(Attachment)
                                 .where(Attachment.publication_id == pub.id)) or 0
    if count >= MAX_ATTACHMENTS:
        _p(problems, "attachments_too_many", f"每条信息最多 {MAX_ATTACHMENTS} 个附件",
           f"at most {MAX_ATTACHMENTS} attachments per publication", "content")
    _raise(problems)
    row = Attachment(publication_id=pub.id, tenant_id=pub.tenant_id, tenant_path=pub.tenant_path,
                     filename=name, content_type=ctype, size=len(content),
                     sha256=hashlib.sha256(content).hexdigest(), content=content,
                     created_at=clock.now())
    session.add(row)
    await session.flush()
    return row


async def remove_attachment(session: AsyncSession, principal: Principal,
                            attachment_id: uuid.UUID) -> Publication:
    row = await session.scalar(select(Attachment).where(
        Attachment.id == attachment_id,
        subtree_clause(Attachment.tenant_path, principal.acting_path)))
    if row is None or principal.is_anonymous:
        raise NotFound("publication_attachment", attachment_id)
    pub = await _editable(session, principal, row.publication_id, "remove an attachment")
    await session.delete(row)
    await session.flush()
    return pub


async def attachments_for(session: AsyncSession, ids: Sequence[uuid.UUID]
                          ) -> dict[uuid.UUID, list[Attachment]]:
    """The attachments of each publication, metadata only (the content is not loaded)."""
    found: dict[uuid.UUID, list[Attachment]] = {i: [] for i in ids}
    if ids:
        rows = await session.scalars(
            select(Attachment).options(defer(Attachment.content))
            .where(Attachment.publication_id.in_(list(ids)))
            .order_by(Attachment.created_at, Attachment.filename))
        for r in rows:
            found[r.publication_id].append(r)
    return found


async def attachments_of(session: AsyncSession, pub: Publication) -> list[Attachment]:
    return (await attachments_for(session, [pub.id]))[pub.id]


# ------------------------------------------------------------------------------ links

async def link_publication(session: AsyncSession, principal: Principal,
                           publication_id: uuid.UUID | str, target_id: uuid.UUID | str,
                           kind: str) -> PublicationLink:
    """``publication_id`` interprets (政策解读) or repeals ``target_id``."""
    if kind not in LINK_KINDS:
        raise Invalid("publication.link_kind", "关联类型必须是 interprets（政策解读）或 repeals（废止）",
                      "the link kind must be interprets or repeals", field="kind")
    pub = await _editable(session, principal, publication_id, "link")
    try:
        tid = uuid.UUID(str(target_id))
    except ValueError as exc:
        raise NotFound("publication", target_id) from exc
    if tid == pub.id:
        raise Invalid("publication.link_self", "信息不能关联自身", "a publication cannot link to "
                      "itself", field="targetId")
    own = Publication.tenant_path == pub.tenant_path
    if kind == "interprets":
        above = and_(Publication.tenant_path.in_(ancestor_paths(pub.tenant_path)),
                     Publication.attribute == "proactive", Publication.published_at.is_not(None),
                     Publication.withdrawn_at.is_(None))
        where = or_(and_(own, Publication.withdrawn_at.is_(None)), above)
    else:
        where = own
    target = await session.scalar(select(Publication).where(Publication.id == tid, where))
    if target is None:
        raise NotFound("publication", target_id)
    exists = await session.scalar(select(PublicationLink).where(
        PublicationLink.publication_id == pub.id, PublicationLink.target_id == tid,
        PublicationLink.kind == kind))
    if exists is not None:
        return exists
    link = PublicationLink(publication_id=pub.id, target_id=tid, kind=kind,
                           tenant_id=pub.tenant_id, tenant_path=pub.tenant_path)
    session.add(link)
    await session.flush()
    return link


LinkView = tuple[PublicationLink, Publication | None, str]


def readable_by(root: str) -> Any:
    """SQL: a publication a principal acting at ``root`` may read — its subtree's, or an
    ancestor's public item (what row-level security allows, also off PostgreSQL)."""
    if root == ALL_SCOPE:
        return subtree_clause(Publication.tenant_path, root)
    return or_(subtree_clause(Publication.tenant_path, root),
               and_(Publication.tenant_path.in_(ancestor_paths(root)),
                    Publication.attribute == "proactive", Publication.published_at.is_not(None),
                    Publication.withdrawn_at.is_(None)))


async def links_for(session: AsyncSession, ids: Sequence[uuid.UUID], root: str = ALL_SCOPE
                    ) -> dict[uuid.UUID, list[LinkView]]:
    """Links from and to each publication: ``(link, the other publication or None when it is
    not readable at ``root`` (see ``readable_by``), direction)``, direction ``out`` (it →
    other) or ``in`` (other → it). An ancestor's item is shown by its published title only
    (its ``title`` may be a revision in its review chain)."""
    found: dict[uuid.UUID, list[LinkView]] = {i: [] for i in ids}
    if not ids:
        return found
    wanted = list(ids)
    rows = list(await session.scalars(select(PublicationLink).where(or_(
        PublicationLink.publication_id.in_(wanted), PublicationLink.target_id.in_(wanted)))
        .order_by(PublicationLink.kind, PublicationLink.id)))
    other_ids = {r.target_id for r in rows} | {r.publication_id for r in rows}
    others = {p.id: p for p in await session.scalars(select(Publication).where(
        Publication.id.in_(other_ids), readable_by(root)))} if other_ids else {}
    for r in rows:
        if r.publication_id in found:
            found[r.publication_id].append((r, others.get(r.target_id), "out"))
        if r.target_id in found:
            found[r.target_id].append((r, others.get(r.publication_id), "in"))
    return found


async def links_of(session: AsyncSession, pub: Publication) -> list[LinkView]:
    return (await links_for(session, [pub.id]))[pub.id]


async def steps_for(session: AsyncSession, ids: Sequence[uuid.UUID]
                    ) -> dict[uuid.UUID, list[ReviewStep]]:
    """The review history of each publication, oldest first."""
    found: dict[uuid.UUID, list[ReviewStep]] = {i: [] for i in ids}
    if ids:
        rows = await session.scalars(select(ReviewStep).where(
            ReviewStep.publication_id.in_(list(ids))).order_by(ReviewStep.at, ReviewStep.id))
        for r in rows:
            found[r.publication_id].append(r)
    return found


async def review_steps_of(session: AsyncSession, pub: Publication) -> list[ReviewStep]:
    return (await steps_for(session, [pub.id]))[pub.id]


# ------------------------------------------------------------------------------ index number

async def next_index_no(session: AsyncSession, pub: Publication, tenant: Tenant, year: int) -> str:
    """索引号 ``<division code>-<category code without dots>-<year>-<5-digit sequence>``, e.g.
    ``341881-0701-2026-00012``: the sequence runs per tenant and year (one atomic upsert of the
    ``index`` counter), whatever the category."""
    pg = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if pg else sqlite.insert
    value = (await session.execute(insert(Counter).values(
        id=new_id(), tenant_id=tenant.id, tenant_path=tenant.path, kind="index", year=year, value=1)
        .on_conflict_do_update(index_elements=[Counter.tenant_id, Counter.kind, Counter.year],
                               set_={"value": Counter.value + 1})
        .returning(Counter.value))).scalar_one()
    return f"{tenant.code}-{pub.category_code.replace('.', '')}-{year}-{value:05d}"


# ------------------------------------------------------------------------------ lists

def page_key(pub: Publication) -> str:
    at = pub.created_at if pub.created_at.tzinfo else pub.created_at.replace(tzinfo=UTC)
    return f"{at.astimezone(UTC).isoformat()}|{pub.id}"


def _after(key: str) -> Any:
    try:
        raw_at, raw_id = key.split("|")
        at, last = datetime.fromisoformat(raw_at), uuid.UUID(raw_id)
    except ValueError as exc:
        raise Invalid("pagination.bad_cursor", "分页游标无效", "invalid pagination cursor",
                      field="after") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return or_(Publication.created_at < at,
               and_(Publication.created_at == at, Publication.id < last))


FILTER_TEXT_MAX = 100
FILTER_YEARS = (1949, 2100)


def _check_filter(f: PublicationFilter) -> None:
    """Bounded searches: the text (a LIKE pattern, wildcards matched literally), the category
    code and the year (``date()`` of a year outside 1–9999 would fail)."""
    problems: list[InvalidField] = []
    if f.text and len(f.text.strip()) > FILTER_TEXT_MAX:
        problems.append(InvalidField("publication.filter_text_too_long",
                                     f"检索文字不超过{FILTER_TEXT_MAX}字",
                                     f"the search text is at most {FILTER_TEXT_MAX} characters",
                                     field="filter.text"))
    if f.category_code and len(f.category_code.strip()) > 40:
        problems.append(InvalidField("publication.filter_category", "目录类别编码不超过40字",
                                     "a category code is at most 40 characters",
                                     field="filter.categoryCode"))
    if f.year is not None and not FILTER_YEARS[0] <= f.year <= FILTER_YEARS[1]:
        problems.append(InvalidField("publication.filter_year",
                                     f"年份应在 {FILTER_YEARS[0]}–{FILTER_YEARS[1]} 之间",
                                     f"the year lies in {FILTER_YEARS[0]}–{FILTER_YEARS[1]}",
                                     field="filter.year"))
    _raise(problems)


@dataclass
class PublicationPage:
    items: list[Publication] = field(default_factory=list)
    has_next: bool = False


async def list_publications(session: AsyncSession, principal: Principal,
                            filter: PublicationFilter | None, first: int,
                            after: str | None = None) -> PublicationPage:
    """The publications of the principal's subtree (or of ``filter.tenant_code``'s, inside
    it) matching ``filter``, newest first, ``first`` after the keyset position ``after``."""
    if principal.is_anonymous:
        raise PermissionDenied("publication:read")
    f = filter or PublicationFilter()
    _check_filter(f)
    root = principal.acting_path
    if f.tenant_code:
        tenant = await disclosure_tenant(session, principal, f.tenant_code)
        if not principal.sees(tenant.path):  # an ancestor is readable, its items are not
            raise NotFound("tenant", f.tenant_code)
        root = tenant.path
    require(principal, "read", root)
    q = select(Publication).where(subtree_clause(Publication.tenant_path, root))
    if f.status:
        q = q.where(Publication.status.in_(f.status))
    if f.category_code:
        code = f.category_code.strip()
        q = q.where(or_(Publication.category_code == code,
                        Publication.category_code.startswith(code + ".")))
    if f.attribute:
        q = q.where(Publication.attribute == f.attribute)
    if f.year:
        q = q.where(Publication.formed_on >= date(f.year, 1, 1),
                    Publication.formed_on <= date(f.year, 12, 31))
    if f.text and f.text.strip():
        text = f.text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{text}%"
        q = q.where(or_(Publication.title.ilike(like, escape="\\"),
                        Publication.document_no.ilike(like, escape="\\"),
                        Publication.index_no.ilike(like, escape="\\")))
    if f.overdue:
        q = q.where(Publication.attribute == "proactive", Publication.published_at.is_(None),
                    Publication.status != "withdrawn", Publication.due_on < clock.today_shanghai())
    if after is not None:
        q = q.where(_after(after))
    q = q.order_by(Publication.created_at.desc(), Publication.id.desc()).limit(first + 1)
    rows = list(await session.scalars(q))
    return PublicationPage(items=rows[:first], has_next=len(rows) > first)
