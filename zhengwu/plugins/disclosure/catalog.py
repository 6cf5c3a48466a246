"""The disclosure catalog (统一组织、统一编码、统一目录): a coded tree, national at the top,
extended below.

**Built-in (national) categories** — data, not rows (``NATIONAL``):

* ``01``–``15``: Art. 20's fifteen categories, in the article's order, for every tier;
* ``16``–``22``: Art. 21 ¶1's additions for 设区的市 and 县级 governments (市政建设, 公共服务,
  公益事业, 土地征收, 房屋征收, 治安管理, 社会救助) — tiers city, county and township (a township
  inherits its county's catalog);
* ``30``–``34``: Art. 21 ¶2's additions for 乡（镇） governments that the county's list does not
  already hold (贯彻落实农业农村政策, 农田水利工程建设运营, 农村土地承包经营权流转, 宅基地使用情况审核,
  筹资筹劳); its 土地征收, 房屋征收 and 社会救助 are ``19``, ``20`` and ``22``, inherited.

A province sees ``01``–``15``; a city or county ``01``–``22``; a township ``01``–``22`` and
``30``–``34``. ``required_codes(tier)`` is that list: the top-level categories a tenant must
fill (the "catalog completeness" metric).

**Sub-categories** (``models.Category`` rows): any tier may add one (``disclosure_catalog:write``)
under a category it sees — built-in, inherited from an ancestor, or its own. The code is the
parent's code, a dot and two digits (``07.01``, ``07.01.02``); it is unique along the tenant's
line (its ancestors and its whole subtree), names are unique among siblings. A tenant sees the
built-in categories of its tier, its ancestors' sub-categories and its own
(``effective_catalog``); it may rename or delete only its own sub-categories, only while no
publication of its subtree uses them, and delete only one without sub-categories below it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.disclosure.models import Category, Publication
from zhengwu.tenants import enablement
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant, ancestor_paths

__all__ = [
    "NATIONAL",
    "PLUGIN",
    "BuiltIn",
    "CatalogEntry",
    "add_category",
    "builtin_for",
    "delete_category",
    "disclosure_tenant",
    "effective_catalog",
    "effective_codes",
    "flatten",
    "rename_category",
    "required_codes",
]

PLUGIN = "disclosure"

_ALL = ("province", "city", "county", "township")
_LOCAL = ("city", "county", "township")


@dataclass(frozen=True)
class BuiltIn:
    """A national category: its code, name, the article that lists it and the tiers it binds."""

    code: str
    name: str
    article: str
    tiers: tuple[str, ...]


NATIONAL: tuple[BuiltIn, ...] = (
    # Art. 20 (every administrative agency)
    BuiltIn("01", "行政法规、规章和规范性文件", "20(1)", _ALL),
    BuiltIn("02", "机关职能、机构设置、办公地址、办公时间、联系方式、负责人姓名", "20(2)", _ALL),
    BuiltIn("03", "国民经济和社会发展规划、专项规划、区域规划及相关政策", "20(3)", _ALL),
    BuiltIn("04", "国民经济和社会发展统计信息", "20(4)", _ALL),
    BuiltIn("05", "办理行政许可和其他对外管理服务事项的依据、条件、程序以及办理结果", "20(5)", _ALL),
    BuiltIn("06", "实施行政处罚、行政强制的依据、条件、程序以及本行政机关认为具有一定社会影响的"
                  "行政处罚决定", "20(6)", _ALL),
    BuiltIn("07", "财政预算、决算信息", "20(7)", _ALL),
    BuiltIn("08", "行政事业性收费项目及其依据、标准", "20(8)", _ALL),
    BuiltIn("09", "政府集中采购项目的目录、标准及实施情况", "20(9)", _ALL),
    BuiltIn("10", "重大建设项目的批准和实施情况", "20(10)", _ALL),
    BuiltIn("11", "扶贫、教育、医疗、社会保障、促进就业等方面的政策、措施及其实施情况", "20(11)", _ALL),
    BuiltIn("12", "突发公共事件的应急预案、预警信息及应对情况", "20(12)", _ALL),
    BuiltIn("13", "环境保护、公共卫生、安全生产、食品药品、产品质量的监督检查情况", "20(13)", _ALL),
    BuiltIn("14", "公务员招考的职位、名额、报考条件等事项以及录用结果", "20(14)", _ALL),
    BuiltIn("15", "法律、法规、规章和国家有关规定规定应当主动公开的其他政府信息", "20(15)", _ALL),
    # Art. 21 ¶1 (设区的市级、县级人民政府及其部门; a township inherits its county's catalog)
    BuiltIn("16", "市政建设", "21", _LOCAL),
    BuiltIn("17", "公共服务", "21", _LOCAL),
    BuiltIn("18", "公益事业", "21", _LOCAL),
    BuiltIn("19", "土地征收", "21", _LOCAL),
    BuiltIn("20", "房屋征收", "21", _LOCAL),
    BuiltIn("21", "治安管理", "21", _LOCAL),
    BuiltIn("22", "社会救助", "21", _LOCAL),
    # Art. 21 ¶2 (乡（镇）人民政府), those not already above
    BuiltIn("30", "贯彻落实农业农村政策", "21", ("township",)),
    BuiltIn("31", "农田水利工程建设运营", "21", ("township",)),
    BuiltIn("32", "农村土地承包经营权流转", "21", ("township",)),
    BuiltIn("33", "宅基地使用情况审核", "21", ("township",)),
    BuiltIn("34", "筹资筹劳", "21", ("township",)),
)
_BY_CODE = {b.code: b for b in NATIONAL}

_CODE = re.compile(r"^\d{2}(\.\d{2})*$")


def builtin_for(tier: str) -> tuple[BuiltIn, ...]:
    """The national categories binding a tenant of ``tier`` (empty for tiers that do not
    disclose under the regulation, e.g. villages)."""
    return tuple(b for b in NATIONAL if tier in b.tiers)


def required_codes(tier: str) -> tuple[str, ...]:
    """The top-level built-in codes a tenant of ``tier`` must fill (catalog completeness)."""
    return tuple(b.code for b in builtin_for(tier))


@dataclass
class CatalogEntry:
    """One node of a tenant's effective catalog.

    ``source``: ``national`` (built in), ``inherited`` (a sub-category an ancestor added) or
    ``own`` (the tenant's). ``owner_code`` is the division code of the tenant that added it
    (None for national ones); ``id`` the row's id (None for national ones).
    """

    code: str
    name: str
    parent_code: str | None
    source: str
    article: str | None = None
    owner_code: str | None = None
    id: uuid.UUID | None = None
    description: str | None = None
    children: list[CatalogEntry] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.code.count(".")


def flatten(tree: list[CatalogEntry]) -> list[CatalogEntry]:
    """The tree's nodes depth-first in code order."""
    out: list[CatalogEntry] = []
    for node in tree:
        out.append(node)
        out.extend(flatten(node.children))
    return out


# ------------------------------------------------------------------------------ access

async def disclosure_tenant(session: AsyncSession, principal: Principal, code: str) -> Tenant:
    """The tenant ``code`` if the principal may read it and disclosure is enabled there
    (``tenant.not_found`` for "does not exist" and "not yours" alike)."""
    if principal.is_anonymous:
        raise NotFound("tenant", code)
    tenant = await access_tenant(session, principal, code)
    if PLUGIN not in await enablement.active_plugins(session, tenant):
        raise Conflict("plugin.not_enabled", f"插件 disclosure 未在 {tenant.code} 启用",
                       f"plugin disclosure is not enabled here ({tenant.code})", plugin=PLUGIN)
    return tenant


def _line_paths(tenant: Tenant) -> list[str]:
    return [*ancestor_paths(tenant.path), tenant.path]


async def _rows_seen(session: AsyncSession, tenant: Tenant) -> list[Category]:
    """Sub-categories the tenant sees: its ancestors' and its own."""
    rows = await session.scalars(select(Category).where(Category.tenant_path.in_(_line_paths(tenant)))
                                 .order_by(Category.code))
    return list(rows)


def _require_read(principal: Principal, tenant: Tenant) -> None:
    # An ancestor's catalog is readable by its descendants (they inherit it): the read
    # permission is then checked where the principal acts.
    path = tenant.path if principal.sees(tenant.path) else principal.acting_path
    if not can(principal, "read", Resource("publication", path)):
        raise PermissionDenied("publication:read", tenant.path)


async def _tree(session: AsyncSession, tenant: Tenant) -> list[CatalogEntry]:
    owners: dict[str, str] = {}
    rows = await _rows_seen(session, tenant)
    paths = {r.tenant_path for r in rows}
    if paths:
        result = await session.execute(select(Tenant.path, Tenant.code).where(Tenant.path.in_(paths)))
        owners = {path: code for path, code in result}
    nodes: dict[str, CatalogEntry] = {}
    roots: list[CatalogEntry] = []
    for b in builtin_for(tenant.tier):
        node = CatalogEntry(b.code, b.name, None, "national", article=b.article)
        nodes[b.code] = node
        roots.append(node)
    for r in sorted(rows, key=lambda r: (r.code.count("."), r.code)):
        parent = nodes.get(r.parent_code)
        if parent is None:  # its parent is not part of this tier's catalog: not seen here
            continue
        node = CatalogEntry(r.code, r.name, r.parent_code,
                            "own" if r.tenant_path == tenant.path else "inherited",
                            owner_code=owners.get(r.tenant_path), id=r.id,
                            description=r.description)
        nodes[r.code] = node
        parent.children.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: n.code)
    return roots


async def effective_catalog(session: AsyncSession, principal: Principal,
                            tenant_code: str) -> list[CatalogEntry]:
    """The catalog tree tenant ``tenant_code`` sees: the built-in categories of its tier, the
    sub-categories its ancestors added and its own (roots in code order, children nested)."""
    tenant = await disclosure_tenant(session, principal, tenant_code)
    _require_read(principal, tenant)
    return await _tree(session, tenant)


async def effective_codes(session: AsyncSession, tenant: Tenant) -> dict[str, CatalogEntry]:
    """Every code in ``tenant``'s effective catalog (no access check: the caller did it)."""
    return {n.code: n for n in flatten(await _tree(session, tenant))}


# ------------------------------------------------------------------------------ changes

def _require_write(principal: Principal, tenant: Tenant) -> None:
    if not can(principal, "write", Resource("disclosure_catalog", tenant.path)):
        raise PermissionDenied("disclosure_catalog:write", tenant.path)


MAX_DESCRIPTION = 2000


def _description(value: str | None) -> str | None:
    text = (value or "").strip() or None
    if text is not None and len(text) > MAX_DESCRIPTION:
        raise Invalid("disclosure_catalog.description_too_long",
                      f"类目说明不超过{MAX_DESCRIPTION}字",
                      f"the description is at most {MAX_DESCRIPTION} characters",
                      field="description")
    return text


def _name(value: str | None, fld: str = "name") -> str:
    name = (value or "").strip()
    if not name or len(name) > 200:
        raise Invalid("disclosure_catalog.name_required", "类目名称不能为空（不超过200字）",
                      "the category name is required (at most 200 characters)", field=fld)
    return name


async def _sibling_names(session: AsyncSession, tenant: Tenant, parent_code: str,
                         nodes: dict[str, CatalogEntry]) -> set[str]:
    parent = nodes.get(parent_code)
    seen = {c.name for c in parent.children} if parent else set()
    # siblings added below (in the subtree) under the same parent count too: a name must not
    # clash wherever the two would meet in one tenant's view.
    below = await session.scalars(select(Category.name).where(
        Category.parent_code == parent_code, subtree_clause(Category.tenant_path, tenant.path)))
    return seen | set(below)


async def _next_code(session: AsyncSession, tenant: Tenant, parent_code: str) -> str:
    """The next free ``<parent>.NN`` along the tenant's line (ancestors and subtree)."""
    taken = set(await session.scalars(select(Category.code).where(
        Category.parent_code == parent_code,
        or_(Category.tenant_path.in_(ancestor_paths(tenant.path)),
            subtree_clause(Category.tenant_path, tenant.path)))))
    for n in range(1, 100):
        code = f"{parent_code}.{n:02d}"
        if code not in taken:
            return code
    raise Conflict("disclosure_catalog.full", f"类目 {parent_code} 下已无可用编码（最多99个）",
                   f"category {parent_code} has no free code left (99 at most)",
                   field="parentCode")


async def add_category(session: AsyncSession, principal: Principal, tenant_code: str,
                       parent_code: str, name: str, *, code: str | None = None,
                       description: str | None = None) -> Category:
    """Add a sub-category under ``parent_code`` (a category the tenant sees). ``code`` may be
    given (``<parent>.NN``) or is the next free one along the line."""
    tenant = await disclosure_tenant(session, principal, tenant_code)
    _require_write(principal, tenant)
    parent_code = (parent_code or "").strip()
    clean = _name(name)
    text = _description(description)
    nodes = await effective_codes(session, tenant)
    if parent_code not in nodes:
        raise Invalid("disclosure_catalog.parent_unknown",
                      f"上级类目 {parent_code or '（空）'} 不在本单位的目录中",
                      f"parent category {parent_code or '(empty)'} is not in this tenant's catalog",
                      field="parentCode")
    if clean in await _sibling_names(session, tenant, parent_code, nodes):
        raise Conflict("disclosure_catalog.name_taken", f"类目 {parent_code} 下已有名为“{clean}”的子类目",
                       f"category {parent_code} already has a sub-category named {clean!r}",
                       field="name")
    if code is None:
        code = await _next_code(session, tenant, parent_code)
    else:
        code = code.strip()
        if not _CODE.match(code) or code.rsplit(".", 1)[0] != parent_code or "." not in code:
            raise Invalid("disclosure_catalog.code_format",
                          f"类目编码须为上级编码加“.”和两位数字（如 {parent_code}.01）",
                          f"the code must be the parent's code, a dot and two digits "
                          f"(e.g. {parent_code}.01)", field="code")
        clash = await session.scalar(select(func.count()).select_from(Category).where(
            Category.code == code,
            or_(Category.tenant_path.in_(ancestor_paths(tenant.path)),
                subtree_clause(Category.tenant_path, tenant.path))))
        if clash:
            raise Conflict("disclosure_catalog.code_taken", f"类目编码 {code} 已被上级或下级单位使用",
                           f"category code {code} is already used along this line",
                           field="code")
    row = Category(tenant_id=tenant.id, tenant_path=tenant.path, code=code,
                   parent_code=parent_code, name=clean, description=text,
                   created_by=principal.user_id)
    session.add(row)
    await session.flush()
    return row


async def _own_category(session: AsyncSession, principal: Principal, tenant_code: str,
                        code: str) -> tuple[Tenant, Category]:
    tenant = await disclosure_tenant(session, principal, tenant_code)
    _require_write(principal, tenant)
    code = (code or "").strip()
    row = await session.scalar(select(Category).where(Category.tenant_id == tenant.id,
                                                      Category.code == code))
    if row is None:
        if code in _BY_CODE or code in await effective_codes(session, tenant):
            raise Conflict("disclosure_catalog.inherited",
                           f"类目 {code} 由国家或上级单位设定，本单位不能修改或删除",
                           f"category {code} is national or inherited: it cannot be renamed "
                           f"or removed here", field="code")
        raise NotFound("disclosure_category", code)
    return tenant, row


async def _unused(session: AsyncSession, tenant: Tenant, row: Category) -> None:
    """Refuse to rename or delete a sub-category a publication of the subtree uses (its
    published items carry its code and name in the public catalog)."""
    used = await session.scalar(select(func.count()).select_from(Publication).where(
        subtree_clause(Publication.tenant_path, tenant.path),
        or_(Publication.category_code == row.code,
            Publication.category_code.startswith(row.code + "."))))
    if used:
        raise Conflict("disclosure_catalog.in_use",
                       f"类目 {row.code} 已有 {used} 条信息使用，不能改名或删除",
                       f"category {row.code} is used by {used} publications: it cannot be "
                       f"renamed or deleted", field="code", count=used)


async def rename_category(session: AsyncSession, principal: Principal, tenant_code: str,
                          code: str, name: str, *, description: str | None = None) -> Category:
    """Rename one of the tenant's own sub-categories (not one in use; its description may
    always change)."""
    tenant, row = await _own_category(session, principal, tenant_code, code)
    clean = _name(name)
    text = _description(description)
    if clean != row.name:
        await _unused(session, tenant, row)
        nodes = await effective_codes(session, tenant)
        if clean in await _sibling_names(session, tenant, row.parent_code, nodes):
            raise Conflict("disclosure_catalog.name_taken",
                           f"类目 {row.parent_code} 下已有名为“{clean}”的子类目",
                           f"category {row.parent_code} already has a sub-category named {clean!r}",
                           field="name")
        row.name = clean
    if description is not None:
        row.description = text
    await session.flush()
    return row


async def delete_category(session: AsyncSession, principal: Principal, tenant_code: str,
                          code: str) -> str:
    """Delete one of the tenant's own sub-categories that nothing uses; returns its code."""
    tenant, row = await _own_category(session, principal, tenant_code, code)
    await _unused(session, tenant, row)
    below = await session.scalar(select(func.count()).select_from(Category).where(
        Category.parent_code == row.code, subtree_clause(Category.tenant_path, tenant.path)))
    if below:
        raise Conflict("disclosure_catalog.has_children", f"类目 {row.code} 下还有子类目，不能删除",
                       f"category {row.code} has sub-categories: it cannot be deleted",
                       field="code")
    await session.delete(row)
    await session.flush()
    return row.code
