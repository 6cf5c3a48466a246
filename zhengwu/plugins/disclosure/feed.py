"""The public feed (政府信息公开目录): what anyone may read of a tenant's publications, no login.

**What is public.** An item is public iff ``attribute == "proactive"``, ``published_at`` is set
and ``withdrawn_at`` is not (the publications module's contract). The public reads the
*published* text (``published_title``/``published_body``): ``title``/``body`` may hold a
revision still in the review chain. Links (政策解读, 废止) are shown only when the item at the
other end is public too. Attachments are served only for public items, and only those added
before the item's last publication (``published_at``): a file added to a revision waits for
the revision to pass the review chain.

**Whose items.** A feed is one tenant's own items (``tenant_id``), not its subtree: 宁国市's
feed does not list 方塘乡's items (each government is its own 公开主体). With ``subtree`` (opt-in,
``?subtree=1``: a county portal showing its townships' items) it also lists the public items
of every tenant below that is **active** (status), of a tier the plugin serves and where the
plugin is switched on (``enablement.enabled_scope``, as SQL on the item's path) — one
statement, never a loop over tenants; each item then names its tenant (code and name) and
keeps its stable address under that tenant (``/public/{its code}/disclosure/{index_no}``).
Links of a listed item are those within its own tenant, as on that tenant's feed.

**One miss.** An unknown or inactive division, a division where the plugin is not enabled,
an unknown index number, an item that is unpublished, withdrawn, on request or not disclosed,
an attachment of such an item or of another item: all raise the same ``FeedMiss``
(``disclosure.not_found``, 404, same message), so the feed never tells what exists.

**Searching** (``FeedQuery``, every problem reported at once, ``disclosure_feed.*`` codes):

* ``category`` — a catalog code (``07``, ``07.01``); includes its sub-categories
  (``category_code = c OR category_code LIKE 'c.%'``);
* ``year`` — of publication (``published_on``, a Shanghai date);
* ``kind`` — one of the five disclosures (决策/执行/管理/服务/结果公开): only proactive items are
  public, so the issue's "attribute" filter is this one (``attribute`` itself is accepted
  only as ``proactive``);
* ``q`` — text in the published title or body, case-insensitive ``LIKE`` with ``%``, ``_`` and
  ``\\`` escaped (they match themselves), at most ``Q_MAX`` characters;
* ``subtree`` — ``1``/``true`` (``0``/``false``/empty: the tenant's own items only);
* ``page``/``per_page`` — offset pages (1 … ``PAGE_MAX``; ``per_page`` 1 … ``PER_PAGE_MAX``),
  newest first (``published_on``, then ``published_at``, then id). Offset pages, not a keyset
  cursor: a tenant's feed is small (hundreds to a few thousand items a year), the HTML page
  needs page numbers and a total, and ``PAGE_MAX`` bounds the offset.

**Cost.** A page is a constant number of statements whatever its size: the division (1), the
plugin switch (the settings cascade), the catalog names, the total (1), the page (1), its
attachments without their content (1) and its public links (1); with ``subtree`` one more for
the switches below (``enabled_scope``) and one for the names of sub-categories added below.

**Sessions.** The division directory is public (no row-level security on ``tenants``): it is
read with an empty scope; everything else in a session scoped to the division (``tenant.path``),
so on PostgreSQL row-level security itself keeps the feed inside it. No litestar here
(``routes.py`` is the HTTP side).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from zhengwu.core.db import scoped_session, subtree_clause
from zhengwu.core.errors import DomainError, Invalid, InvalidField, NotFound
from zhengwu.plugins.disclosure import catalog, publications
from zhengwu.plugins.disclosure.models import Attachment, Category, Publication, PublicationLink
from zhengwu.tenants import enablement
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import normalise_code

__all__ = [
    "INDEX_NO_MAX",
    "KINDS_ZH",
    "PAGE_MAX",
    "PER_PAGE_DEFAULT",
    "PER_PAGE_MAX",
    "Q_MAX",
    "FeedMiss",
    "FeedPage",
    "FeedQuery",
    "PublicAttachment",
    "PublicFile",
    "PublicItem",
    "PublicLink",
    "check_query",
    "feed_page",
    "is_public",
    "public_attachment",
    "public_feed",
    "public_item",
]

PLUGIN = "disclosure"
PER_PAGE_DEFAULT, PER_PAGE_MAX, PAGE_MAX = 20, 100, 500
Q_MAX = 50
INDEX_NO_MAX = 60
YEAR_MIN, YEAR_MAX = 2000, 2100
TIERS = ("province", "city", "county", "township")
"""The tiers the plugin serves (villages publish 村务公开 under other rules)."""
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_NO_SCOPE = ""  # row-level security shows nothing: only the public directory is read with it
_CATEGORY = re.compile(r"^[0-9A-Za-z]{1,10}(\.[0-9A-Za-z]{1,10}){0,5}$")
_KIND = re.compile(r"^[a-z_]{1,20}$")

KINDS_ZH = publications.DISCLOSURE_KINDS
"""The five disclosures (五公开) as the search form offers them (the publications' codes)."""

RELATIONS_ZH = {"interprets": "解读", "interpreted_by": "政策解读", "repeals": "废止",
                "repealed_by": "已被废止"}
"""How an item relates to a linked one, as the public page says it."""


class FeedMiss(NotFound):
    """The one answer for every miss of the public feed (see the module docstring)."""

    def __init__(self) -> None:
        DomainError.__init__(self, "disclosure.not_found", "未找到该公开信息",
                             "no such published information")


# ------------------------------------------------------------------------------ values

@dataclass(frozen=True)
class FeedQuery:
    """A checked search of the feed (build it with ``check_query``)."""

    category: str | None = None
    year: int | None = None
    kind: str | None = None
    q: str | None = None
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT
    subtree: bool = False

    def params(self, **override: Any) -> dict[str, str]:
        """The query as address parameters (for pagination links), empty ones left out."""
        values = {"category": self.category, "year": self.year, "kind": self.kind, "q": self.q,
                  "subtree": 1 if self.subtree else None, "page": self.page,
                  "per_page": self.per_page, **override}
        if values["per_page"] == PER_PAGE_DEFAULT:
            values.pop("per_page")
        if values["page"] == 1:
            values.pop("page")
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class PublicAttachment:
    id: uuid.UUID
    filename: str
    content_type: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "filename": self.filename, "content_type": self.content_type,
                "size": self.size}


@dataclass(frozen=True)
class PublicLink:
    """``relation``: ``interprets``/``repeals`` (this item → the other), ``interpreted_by``/
    ``repealed_by`` (the other → this item)."""

    relation: str
    index_no: str
    title: str

    @property
    def relation_zh(self) -> str:
        return RELATIONS_ZH.get(self.relation, self.relation)

    def to_dict(self) -> dict[str, Any]:
        return {"relation": self.relation, "index_no": self.index_no, "title": self.title}


def _day(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


@dataclass(frozen=True)
class PublicItem:
    """What the public reads of one published item (the published text, never a draft)."""

    id: uuid.UUID
    index_no: str
    title: str
    body: str
    category_code: str
    category_name: str | None
    published_on: date | None
    formed_on: date
    document_no: str | None
    department_name: str | None
    disclosure_kinds: tuple[str, ...]
    key_areas: tuple[str, ...]
    timing: str
    valid_from: date | None
    valid_until: date | None
    repealed_on: date | None
    attachments: tuple[PublicAttachment, ...] = ()
    links: tuple[PublicLink, ...] = ()
    tenant_code: str | None = None  # set on subtree pages: whose item it is
    tenant_name: str | None = None

    def to_dict(self, *, body: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index_no": self.index_no, "title": self.title, "category_code": self.category_code,
            "category_name": self.category_name, "published_on": _day(self.published_on),
            "formed_on": _day(self.formed_on), "document_no": self.document_no,
            "department_name": self.department_name,
            "disclosure_kinds": list(self.disclosure_kinds), "key_areas": list(self.key_areas),
            "timing": self.timing, "valid_from": _day(self.valid_from),
            "valid_until": _day(self.valid_until), "repealed_on": _day(self.repealed_on),
            "attachments": [a.to_dict() for a in self.attachments],
            "links": [link.to_dict() for link in self.links]}
        if self.tenant_code is not None:
            out["tenant"] = {"code": self.tenant_code, "name": self.tenant_name}
        if body:
            out["body"] = self.body
        return out


@dataclass(frozen=True)
class FeedPage:
    tenant_code: str
    tenant_name: str
    query: FeedQuery
    items: tuple[PublicItem, ...]
    total: int
    categories: tuple[tuple[str, str], ...] = field(default=())  # (code, name) for the form

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    def to_dict(self) -> dict[str, Any]:
        q = self.query
        return {"tenant": {"code": self.tenant_code, "name": self.tenant_name},
                "query": {"category": q.category, "year": q.year, "kind": q.kind, "q": q.q,
                          "subtree": q.subtree},
                "page": q.page, "per_page": q.per_page, "total": self.total, "pages": self.pages,
                "items": [i.to_dict(body=False) for i in self.items]}


@dataclass(frozen=True)
class PublicFile:
    filename: str
    content_type: str
    content: bytes


# ---------------------------------------------------------------------------- checking

def _text(value: str | None) -> str | None:
    value = unicodedata.normalize("NFKC", value or "").strip()
    return value or None


def _integer(value: int | str | None) -> int | bool | None:
    """An integer from a parameter; None when empty; False when not an integer."""
    if value is None or isinstance(value, int):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else False


def check_query(*, category: str | None = None, year: int | str | None = None,
                kind: str | None = None, attribute: str | None = None, q: str | None = None,
                page: int | str | None = None, per_page: int | str | None = None,
                subtree: bool | str | None = None) -> FeedQuery:
    """A ``FeedQuery`` from raw parameters (as given in an address: strings, empty ones
    ignored), or ``Invalid`` listing every problem."""
    problems: list[InvalidField] = []
    category, kind, q, attribute = _text(category), _text(kind), _text(q), _text(attribute)
    year, page, per_page = _integer(year), _integer(page), _integer(per_page)
    if category is not None and (len(category) > 40 or not _CATEGORY.match(category)):
        problems.append(InvalidField("disclosure_feed.category_invalid",
                                     "目录分类代码格式不正确（如 07 或 07.01）",
                                     "a category code looks like 07 or 07.01", "category"))
    if year is False or (year is not None and not YEAR_MIN <= year <= YEAR_MAX):
        problems.append(InvalidField("disclosure_feed.year_invalid",
                                     f"年份应在 {YEAR_MIN}–{YEAR_MAX} 之间",
                                     f"the year lies in {YEAR_MIN}–{YEAR_MAX}", "year"))
    if kind is not None and (kind not in KINDS_ZH or not _KIND.match(kind)):
        problems.append(InvalidField(
            "disclosure_feed.kind_invalid", f"“五公开”类别应为 {'、'.join(KINDS_ZH)} 之一",
            f"kind is one of the five disclosures: {', '.join(KINDS_ZH)}", "kind"))
    if attribute is not None and attribute != "proactive":
        problems.append(InvalidField(
            "disclosure_feed.attribute_not_public", "公开目录只列主动公开的信息（attribute=proactive）",
            "the public feed lists proactive items only (attribute=proactive)", "attribute"))
    if q is not None and len(q) > Q_MAX:
        problems.append(InvalidField("disclosure_feed.q_too_long", f"检索词不超过 {Q_MAX} 个字符",
                                     f"the search text is at most {Q_MAX} characters", "q"))
    page = 1 if page is None else page
    per_page = PER_PAGE_DEFAULT if per_page is None else per_page
    if page is False or not 1 <= page <= PAGE_MAX:
        problems.append(InvalidField("disclosure_feed.page_invalid", f"页码应在 1–{PAGE_MAX} 之间",
                                     f"the page lies in 1–{PAGE_MAX}", "page"))
    if per_page is False or not 1 <= per_page <= PER_PAGE_MAX:
        problems.append(InvalidField("disclosure_feed.per_page_invalid",
                                     f"每页条数应在 1–{PER_PAGE_MAX} 之间",
                                     f"per_page lies in 1–{PER_PAGE_MAX}", "per_page"))
    wide = _flag(subtree)
    if wide is None:
        problems.append(InvalidField("disclosure_feed.subtree_invalid",
                                     "subtree 应为 1（含下级）或 0（仅本级）",
                                     "subtree is 1 (with the tenants below) or 0 (own items)",
                                     "subtree"))
    if problems:
        first = problems[0]
        raise Invalid("disclosure_feed.invalid_query",
                      "检索条件有误：" + "；".join(p.zh for p in problems),
                      "bad search: " + "; ".join(p.en for p in problems),
                      field=first.field, problems=problems)
    assert not isinstance(year, bool) and not isinstance(page, bool)
    assert not isinstance(per_page, bool)
    return FeedQuery(category=category, year=year, kind=kind, q=q, page=page, per_page=per_page,
                     subtree=bool(wide))


def _flag(value: bool | str | None) -> bool | None:
    """A yes/no parameter: False when empty, None when it is neither."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = unicodedata.normalize("NFKC", value).strip().lower()
    if not text or text in _NO:
        return False
    return True if text in _YES else None


def _like_escaped(text: str) -> str:
    """``text`` as a LIKE pattern that matches it literally anywhere (escape character ``\\``)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ----------------------------------------------------------------------------- queries

def is_public(p: type[Publication] | Any = Publication) -> ColumnElement[bool]:
    """The public-feed contract as SQL (for ``Publication`` or an alias of it)."""
    return and_(p.attribute == "proactive", p.published_at.is_not(None), p.withdrawn_at.is_(None))


def _reviewed(a: type[Attachment]) -> ColumnElement[bool]:
    """An attachment that went through the review chain: added before the item's last
    publication (one added while a revision is being drafted waits for its republication)."""
    return a.created_at <= Publication.published_at


def _where(tenant: Tenant, query: FeedQuery, enabled: enablement.EnabledScope | None = None
           ) -> list[ColumnElement[bool]]:
    """The page's conditions; with ``enabled`` (subtree pages) the subtree's public items of
    active tenants where the plugin is on — the statement joins ``Tenant`` for that."""
    p = Publication
    conds: list[ColumnElement[bool]] = [is_public(p)]
    if enabled is None:
        conds.append(p.tenant_id == tenant.id)
    else:
        conds += [subtree_clause(p.tenant_path, tenant.path), Tenant.id == p.tenant_id,
                  Tenant.status == "active", Tenant.tier.in_(TIERS), enabled.clause(p.tenant_path)]
    if query.category is not None:
        conds.append(or_(p.category_code == query.category,
                         p.category_code.like(query.category + ".%")))
    if query.year is not None:
        conds.append(p.published_on.between(date(query.year, 1, 1), date(query.year, 12, 31)))
    if query.kind is not None:
        # JSON array of codes: the serialised text holds '"kind"' (the code is [a-z_], no
        # LIKE wildcard but "_", escaped); the same on SQLite and PostgreSQL (JSON, not JSONB).
        conds.append(cast(p.disclosure_kinds, String).like(
            '%"' + query.kind.replace("_", "\\_") + '"%', escape="\\"))
    if query.q is not None:
        pattern = _like_escaped(query.q)
        conds.append(or_(func.lower(p.published_title).like(pattern, escape="\\"),
                         func.lower(p.published_body).like(pattern, escape="\\")))
    return conds


_ITEM_COLUMNS = (Publication.id, Publication.index_no, Publication.published_title,
                 Publication.category_code, Publication.published_on, Publication.formed_on,
                 Publication.document_no, Publication.department_name,
                 Publication.disclosure_kinds, Publication.key_areas, Publication.timing,
                 Publication.valid_from, Publication.valid_until, Publication.repealed_on)


async def _attachments(session: AsyncSession, ids: Sequence[uuid.UUID]
                       ) -> dict[uuid.UUID, list[PublicAttachment]]:
    """The attachments of ``ids`` (public items), without their content: one statement."""
    out: dict[uuid.UUID, list[PublicAttachment]] = {}
    if not ids:
        return out
    a = Attachment
    rows = await session.execute(
        select(a.publication_id, a.id, a.filename, a.content_type, a.size)
        .join(Publication, Publication.id == a.publication_id)
        .where(a.publication_id.in_(ids), _reviewed(a))
        .order_by(a.publication_id, a.created_at, a.filename))
    for pid, aid, filename, content_type, size in rows:
        out.setdefault(pid, []).append(PublicAttachment(aid, filename, content_type, size))
    return out


async def _links(session: AsyncSession, tenant: Tenant, ids: Sequence[uuid.UUID], *,
                 subtree: bool = False) -> dict[uuid.UUID, list[PublicLink]]:
    """The links of ``ids`` both ways whose other end is public: one statement. On a subtree
    page an item's links within its own tenant (the item is the tenant's, listed because that
    tenant is active and enabled). A link is the source's tenant's (``link.tenant_id``); a
    township's 政策解读 of its county's item points across tenants, so on a subtree page the
    target's tenant is checked too — else the county's item would name the township's
    interpretation, even a suspended or switched-off township's."""
    out: dict[uuid.UUID, list[PublicLink]] = {}
    if not ids:
        return out
    link, other, target = PublicationLink, aliased(Publication), aliased(Publication)
    outgoing = and_(link.publication_id.in_(ids), other.id == link.target_id)
    incoming = and_(link.target_id.in_(ids), other.id == link.publication_id)
    rows = await session.execute(
        select(link.publication_id, link.target_id, link.kind, other.id, other.index_no,
               other.published_title)
        .join(other, or_(outgoing, incoming))
        .join(target, target.id == link.target_id)
        .where(*([subtree_clause(link.tenant_path, tenant.path),
                  other.tenant_id == link.tenant_id, target.tenant_id == link.tenant_id]
                 if subtree
                 else [link.tenant_id == tenant.id, other.tenant_id == tenant.id]),
               is_public(other))
        .order_by(other.published_on, other.index_no))
    wanted = set(ids)
    for source, target, kind, other_id, index_no, title in rows:
        if other_id == target and source in wanted:
            out.setdefault(source, []).append(PublicLink(kind, index_no or "", title or ""))
        if other_id == source and target in wanted:
            relation = {"interprets": "interpreted_by", "repeals": "repealed_by"}.get(kind, kind)
            out.setdefault(target, []).append(PublicLink(relation, index_no or "", title or ""))
    return out


def _item(row: Any, names: Mapping[str, str], body: str = "",
          attachments: Sequence[PublicAttachment] = (), links: Sequence[PublicLink] = (),
          tenant: tuple[str, str] | None = None) -> PublicItem:
    return PublicItem(
        id=row.id, index_no=row.index_no or "", title=row.published_title or "", body=body,
        category_code=row.category_code, category_name=names.get(row.category_code),
        published_on=row.published_on, formed_on=row.formed_on, document_no=row.document_no,
        department_name=row.department_name,
        disclosure_kinds=tuple(row.disclosure_kinds or ()), key_areas=tuple(row.key_areas or ()),
        timing=row.timing, valid_from=row.valid_from, valid_until=row.valid_until,
        repealed_on=row.repealed_on, attachments=tuple(attachments), links=tuple(links),
        tenant_code=tenant[0] if tenant else None, tenant_name=tenant[1] if tenant else None)


async def category_names(session: AsyncSession, tenant: Tenant) -> tuple[tuple[str, str], ...]:
    """The tenant's effective catalog as (code, name), depth-first in code order (built-in,
    inherited and its own sub-categories)."""
    return tuple((code, entry.name)
                 for code, entry in (await catalog.effective_codes(session, tenant)).items())


async def _names_below(session: AsyncSession, tenant: Tenant, rows: Sequence[Any],
                       known: Mapping[str, str]) -> dict[uuid.UUID, str]:
    """Category names of subtree items whose code the asking tenant's catalog lacks: the
    sub-categories a tenant below added (one statement). Two siblings may use the same code
    for different names, so the name is the one on the item's own line (its tenant or an
    ancestor between it and ``tenant``)."""
    missing = {r.category_code for r in rows if r.category_code not in known}
    if not missing:
        return {}
    found = (await session.execute(
        select(Category.code, Category.tenant_path, Category.name)
        .where(Category.code.in_(missing), subtree_clause(Category.tenant_path, tenant.path)))
             ).all()
    out: dict[uuid.UUID, str] = {}
    for r in rows:
        for code, owner, name in found:
            if code == r.category_code and (r.tenant_path == owner
                                            or r.tenant_path.startswith(owner + "/")):
                out[r.id] = name
    return out


async def feed_page(session: AsyncSession, tenant: Tenant, query: FeedQuery) -> FeedPage:
    """One page of ``tenant``'s public items — with ``query.subtree`` those of its active,
    enabled tenants below too (``session`` scoped to the tenant; the tenant already checked
    by ``open_tenant``)."""
    enabled = await enablement.enabled_scope(session, PLUGIN) if query.subtree else None
    conds = _where(tenant, query, enabled)
    categories = await category_names(session, tenant)
    names = dict(categories)
    total = int(await session.scalar(select(func.count()).select_from(Publication).where(*conds))
                or 0)
    extra = (Publication.tenant_path, Tenant.code.label("tenant_code"),
             Tenant.name.label("tenant_name")) if query.subtree else ()
    rows = (await session.execute(
        select(*_ITEM_COLUMNS, *extra).where(*conds)
        .order_by(Publication.published_on.desc(), Publication.published_at.desc(),
                  Publication.id.desc())
        .limit(query.per_page).offset((query.page - 1) * query.per_page))).all()
    ids = [r.id for r in rows]
    files = await _attachments(session, ids)
    links = await _links(session, tenant, ids, subtree=query.subtree)
    below = await _names_below(session, tenant, rows, names) if query.subtree else {}
    items = tuple(_item(r, {**names, r.category_code: below[r.id]} if r.id in below else names,
                        attachments=files.get(r.id, ()), links=links.get(r.id, ()),
                        tenant=(r.tenant_code, r.tenant_name) if query.subtree else None)
                  for r in rows)
    return FeedPage(tenant.code, tenant.name, query, items, total, categories)


async def item_by_index(session: AsyncSession, tenant: Tenant, index_no: str) -> PublicItem:
    """The public item ``index_no`` of ``tenant`` with its attachments and public links."""
    index_no = (index_no or "").strip()
    if not index_no or len(index_no) > INDEX_NO_MAX:
        raise FeedMiss()
    row = (await session.execute(
        select(*_ITEM_COLUMNS, Publication.published_body)
        .where(Publication.tenant_id == tenant.id, Publication.index_no == index_no,
               is_public()))).first()
    if row is None:
        raise FeedMiss()
    names = dict(await category_names(session, tenant))
    files = await _attachments(session, [row.id])
    links = await _links(session, tenant, [row.id])
    return _item(row, names, row.published_body or "", files.get(row.id, ()),
                 links.get(row.id, ()))


async def attachment_file(session: AsyncSession, tenant: Tenant, index_no: str,
                          attachment_id: uuid.UUID) -> PublicFile:
    """Attachment ``attachment_id`` of the public item ``index_no``, else ``FeedMiss``."""
    if not index_no or len(index_no) > INDEX_NO_MAX:
        raise FeedMiss()
    row = (await session.execute(
        select(Attachment.filename, Attachment.content_type, Attachment.content)
        .join(Publication, Publication.id == Attachment.publication_id)
        .where(Attachment.id == attachment_id, Publication.tenant_id == tenant.id,
               Publication.index_no == index_no, is_public(), _reviewed(Attachment)))).first()
    if row is None:
        raise FeedMiss()
    return PublicFile(row.filename, row.content_type, bytes(row.content))


# ----------------------------------------------------------------------- entry points

async def find_tenant(session: AsyncSession, code: str) -> Tenant | None:
    """The active division ``code`` names (any accepted form), or None. Directory only."""
    try:
        short = normalise_code(code)
    except Exception:
        return None
    tenant = await session.scalar(select(Tenant).where(Tenant.code == short))
    return tenant if tenant is not None and tenant.status == "active" else None


async def _open(sessionmaker: async_sessionmaker[AsyncSession], code: str) -> Tenant:
    async with scoped_session(sessionmaker, _NO_SCOPE) as session:
        tenant = await find_tenant(session, code)
    if tenant is None:
        raise FeedMiss()
    return tenant


async def _require_enabled(session: AsyncSession, tenant: Tenant) -> None:
    if PLUGIN not in await enablement.active_plugins(session, tenant):
        raise FeedMiss()


async def public_feed(sessionmaker: async_sessionmaker[AsyncSession], code: str,
                      query: FeedQuery) -> FeedPage:
    """A page of the feed at ``/public/{code}/disclosure``; ``FeedMiss`` for any miss."""
    tenant = await _open(sessionmaker, code)
    async with scoped_session(sessionmaker, tenant.path) as session:
        await _require_enabled(session, tenant)
        return await feed_page(session, tenant, query)


async def public_item(sessionmaker: async_sessionmaker[AsyncSession], code: str,
                      index_no: str) -> tuple[str, PublicItem]:
    """The tenant's name and its public item ``index_no``; ``FeedMiss`` for any miss."""
    tenant = await _open(sessionmaker, code)
    async with scoped_session(sessionmaker, tenant.path) as session:
        await _require_enabled(session, tenant)
        return tenant.name, await item_by_index(session, tenant, index_no)


async def public_attachment(sessionmaker: async_sessionmaker[AsyncSession], code: str,
                            index_no: str, attachment_id: uuid.UUID) -> PublicFile:
    """An attachment of a public item; ``FeedMiss`` for any miss."""
    tenant = await _open(sessionmaker, code)
    async with scoped_session(sessionmaker, tenant.path) as session:
        await _require_enabled(session, tenant)
        return await attachment_file(session, tenant, index_no, attachment_id)

