"""The service guide (办事指南): everything an applicant must know in one go (一次性告知).

A guide is generated, never stored: it is read from one implementation (实施清单事项) of a
tenant, the catalog item version it adopted (with the chosen materials and applied fees,
and the catalog's procedure steps), the tenant's window or venue, and the tenant's resolved
``core`` settings (service hours, hotline, contact phone). ``Guide`` is a plain typed value;
the public pages, JSON and GraphQL render the same object, so they cannot disagree.

Public visibility (what ``public_tenant``, ``build_guide`` and ``search_guides`` show)
    * the tenant is *active* and its ``public_portal_enabled`` setting is on; otherwise it
      answers ``tenant.not_found`` (a suspended or merged tenant has no public guides);
    * the implementation belongs to *that* tenant (an implementation of another tenant asked
      under this tenant's code is ``guide.not_found``, never a redirect);
    * an ``active`` implementation shows when its catalog version is ``published``;
      a ``needs_review`` one (a newer catalog version was published) keeps working until it
      is confirmed, so it shows while its version is ``published`` or ``retired``;
      ``retired`` implementations and ``draft`` catalog versions never show.

Local elements win over catalog ones where the standard lets a tenant tighten them
(promised limit, visits, required-ness of a material, the fee amount). Materials and fees
are those the implementation chose (its ``implementation_materials``/``_fees`` rows are
authoritative: a catalog fee the tenant does not apply is not charged here).

Places, hours and contacts fall back in this order:
    address — implementation, its window's venue, the tenant's main venue (服务中心 first);
    hours — implementation, that venue, the tenant's ``service_hours`` setting;
    phone — implementation, the tenant's ``contact_phone`` setting, the venue's phone,
    the ``hotline`` setting. The hotline is always given as the complaint channel.

The functions take a session whose scope reaches the rows (the public pages use the
operator scope ``*``, which is safe because the rules above filter every query). Nothing
private leaves this module: no user names, no internal ids, only codes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.catalog.codes import ITEM_TYPES, PowerSource
from zhengwu.core.catalog.models import (
    CatalogFee,
    CatalogItem,
    CatalogMaterial,
    CatalogStep,
    Implementation,
    ImplementationFee,
    ImplementationMaterial,
)
from zhengwu.core.errors import DomainError, Invalid, NotFound
from zhengwu.tenants.codes import Tier
from zhengwu.tenants.models import Tenant, TenantStatus, Venue, VenueKind, Window
from zhengwu.tenants.scope import normalise_code
from zhengwu.tenants.settings import CoreSettings, resolve

__all__ = [
    "APPLICANT_TYPES",
    "CASE_TYPES",
    "MATERIAL_FORMS",
    "ONLINE_DEPTHS",
    "POWER_SOURCES",
    "Guide",
    "GuideContact",
    "GuideFee",
    "GuideMaterial",
    "GuideNotFound",
    "GuidePage",
    "GuidePlace",
    "GuideStep",
    "GuideSummary",
    "GuideTenant",
    "build_guide",
    "guide_of",
    "item_type_code",
    "public_tenant",
    "search_guides",
]

CASE_TYPES: dict[int, str] = {1: "即办件", 2: "承诺件"}
MATERIAL_FORMS: dict[str, str] = {"paper": "纸质", "electronic": "电子", "both": "纸质或电子"}
APPLICANT_TYPES: dict[int, str] = {1: "自然人", 2: "企业法人", 3: "事业法人", 4: "社会组织法人",
                                   5: "非法人企业", 6: "行政机关", 9: "其他组织"}
"""服务对象 (domain-reference §1.3)."""
ONLINE_DEPTHS: dict[int, str] = {1: "一级：网上公开办事指南、下载表格", 2: "二级：网上预约、在线申报",
                                 3: "三级：网上受理、预审，最多跑一次", 4: "四级：全程网办，零跑动"}
"""网上办理深度 1–4."""
POWER_SOURCES: dict[int, str] = {
    PowerSource.STATUTORY: "法定本级行使", PowerSource.DELEGATED: "上级下放",
    PowerSource.AUTHORISED: "上级授权", PowerSource.PEER_AUTHORISED: "同级授权",
    PowerSource.ENTRUSTED: "上级委托", PowerSource.PEER_ENTRUSTED: "同级委托",
}

PUBLIC_IMPLEMENTATION_STATUSES = ("active", "needs_review")
MAX_PAGE = 100
_CODE = re.compile(r"[0-9A-Z]{12,40}")
"""What an implementation code can look like; anything else is not looked up at all."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOURS_SETTING = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*$")


class GuideNotFound(NotFound):
    """No public guide with this implementation code at this tenant."""

    def __init__(self, tenant_code: str, implementation_code: str) -> None:
        DomainError.__init__(
            self, "guide.not_found",
            f"未找到办事指南：{tenant_code} / {implementation_code}",
            f"service guide not found: {tenant_code} / {implementation_code}",
            kind="guide")


# ---------------------------------------------------------------- the guide


@dataclass(frozen=True, slots=True)
class GuideTenant:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class GuideMaterial:
    """申请材料: counts of originals and copies, form, required or optional."""

    seq: int
    name: str
    form: str  # paper | electronic | both
    form_name: str
    originals: int
    copies: int
    required: bool
    blank_form_url: str | None
    sample_url: str | None
    legal_basis: str | None

    @property
    def counts_text(self) -> str:
        """``原件 1 份；复印件 2 份`` (or ``—`` when the catalog gives no count)."""
        parts = [f"{label} {n} 份" for label, n in (("原件", self.originals), ("复印件", self.copies))
                 if n]
        return "；".join(parts) or "—"


@dataclass(frozen=True, slots=True)
class GuideFee:
    """收费项目: the catalog's standard and basis; ``amount_yuan`` when set locally."""

    name: str
    standard: str
    amount_yuan: str | None
    basis: str | None
    reducible: bool
    reduction_basis: str | None


@dataclass(frozen=True, slots=True)
class GuideStep:
    """办理环节 with its limit in working days (None: no separate limit)."""

    seq: int
    name: str
    limit_days: int | None
    role: str | None


@dataclass(frozen=True, slots=True)
class GuidePlace:
    """办理地点和时间."""

    venue: str | None
    address: str | None
    window: str | None
    hours: str


@dataclass(frozen=True, slots=True)
class GuideContact:
    """咨询方式 (``phone``) and the complaint hotline (监督投诉, ``hotline``)."""

    phone: str
    hotline: str


@dataclass(frozen=True, slots=True)
class Guide:
    """办事指南 of one implementation: every element the applicant must know."""

    tenant: GuideTenant
    name: str
    basic_code: str
    implementation_code: str
    local_code: str | None
    version: int
    published_on: date | None
    under_review: bool
    item_type: str
    item_type_name: str
    legal_basis: str | None
    power_source: int
    power_source_name: str
    department_name: str
    department_credit_code: str
    applicant_types: tuple[str, ...]
    conditions: str | None
    quantity_limit: str | None
    materials: tuple[GuideMaterial, ...]
    is_free: bool
    fees: tuple[GuideFee, ...]
    statutory_days: int | None
    promised_days: int | None
    case_type: int
    case_type_name: str
    steps: tuple[GuideStep, ...]
    place: GuidePlace
    contact: GuideContact
    max_visits: int | None
    online: bool
    online_url: str | None
    online_depth: int | None
    online_depth_name: str | None
    appointment: bool
    courier: bool
    in_hall: bool
    not_in_hall_reason: str | None
    result_type: str | None
    result_name: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO 8601)."""
        data = asdict(self)
        data["published_on"] = self.published_on.isoformat() if self.published_on else None
        return data


@dataclass(frozen=True, slots=True)
class GuideSummary:
    """One row of the guide list."""

    name: str
    basic_code: str
    implementation_code: str
    item_type: str
    item_type_name: str
    department_name: str
    case_type_name: str
    promised_days: int | None
    max_visits: int | None
    online: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class GuidePage:
    """A page of guides; ``next_after`` is the cursor of the next page (None: last page)."""

    tenant: GuideTenant
    items: tuple[GuideSummary, ...]
    total: int
    next_after: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"tenant": asdict(self.tenant), "items": [i.to_dict() for i in self.items],
                "total": self.total, "next_after": self.next_after}


# ---------------------------------------------------------------- lookup


async def public_tenant(session: AsyncSession, code: str) -> tuple[Tenant, CoreSettings]:
    """The tenant with ``code`` (any accepted form) if it publishes guides, and its settings.

    ``tenant.not_found`` for a malformed or unknown code, the platform root (no division, no
    hall), a tenant that is not active, or one whose public portal is switched off.
    """
    try:
        short = normalise_code(code)
    except DomainError as exc:
        raise NotFound("tenant", code) from exc
    tenant = await session.scalar(select(Tenant).where(Tenant.code == short))
    if (tenant is None or tenant.status != TenantStatus.ACTIVE.value
            or tenant.tier == Tier.PLATFORM.value):
        raise NotFound("tenant", code)
    settings = await resolve(session, tenant, CoreSettings)
    if not settings.public_portal_enabled:
        raise NotFound("tenant", code)
    return tenant, settings


def _public() -> ColumnElement[bool]:
    """SQL: the implementation and its catalog version may be shown to the public."""
    return or_(
        and_(Implementation.status == "active", CatalogItem.status == "published"),
        and_(Implementation.status == "needs_review",
             CatalogItem.status.in_(("published", "retired"))),
    )


async def build_guide(session: AsyncSession, tenant_code: str, implementation_code: str) -> Guide:
    """The public guide of ``implementation_code`` at the tenant ``tenant_code``.

    ``tenant.not_found`` or ``guide.not_found`` (see the module docstring for the rules).
    """
    tenant, settings = await public_tenant(session, tenant_code)
    ref = (implementation_code or "").strip().upper()
    if not _CODE.fullmatch(ref):
        raise GuideNotFound(tenant.code, _CONTROL.sub("", ref)[:40])
    row = (await session.execute(
        select(Implementation, CatalogItem)
        .join(CatalogItem, CatalogItem.id == Implementation.catalog_item_id)
        .where(Implementation.tenant_id == tenant.id,
               Implementation.implementation_code == ref, _public())
        .order_by(case((Implementation.status == "active", 0), else_=1))
        .limit(1)
    )).first()
    if row is None:
        raise GuideNotFound(tenant.code, ref)
    implementation, item = row
    return await guide_of(session, tenant, implementation, item, settings=settings)


async def guide_of(session: AsyncSession, tenant: Tenant, implementation: Implementation,
                   item: CatalogItem, *, settings: CoreSettings | None = None) -> Guide:
    """The guide of an implementation the caller already holds (no visibility check).

    For staff views (GraphQL) that reached ``implementation`` through their own scope.
    """
    if settings is None:
        settings = await resolve(session, tenant, CoreSettings)
    materials = await _materials(session, implementation)
    fees = () if item.is_free else await _fees(session, implementation)
    steps = (await session.scalars(
        select(CatalogStep).where(CatalogStep.item_id == item.id).order_by(CatalogStep.seq))).all()
    window, venue = await _window_and_venue(session, tenant, implementation.window_id)
    hours = implementation.hours or (venue.hours if venue else None) or settings.service_hours
    phone = (implementation.phone or settings.contact_phone or (venue.phone if venue else None)
             or settings.hotline)
    return Guide(
        tenant=GuideTenant(tenant.code, tenant.name),
        name=item.name,
        basic_code=item.basic_code,
        implementation_code=implementation.implementation_code,
        local_code=implementation.local_code,
        version=item.version,
        published_on=item.published_at.date() if item.published_at else None,
        under_review=implementation.status == "needs_review",
        item_type=item.item_type,
        item_type_name=ITEM_TYPES.get(item.item_type, item.item_type),
        legal_basis=item.legal_basis,
        power_source=implementation.power_source,
        power_source_name=POWER_SOURCES.get(implementation.power_source, "—"),
        department_name=implementation.department_name,
        department_credit_code=implementation.department_credit_code,
        applicant_types=tuple(APPLICANT_TYPES.get(t, str(t)) for t in item.applicant_types or ()),
        conditions=item.conditions,
        quantity_limit=item.quantity_limit,
        materials=materials,
        is_free=not fees,
        fees=fees,
        statutory_days=item.statutory_days,
        promised_days=(implementation.promised_days if implementation.promised_days is not None
                       else item.statutory_days),
        case_type=item.case_type,
        case_type_name=CASE_TYPES.get(item.case_type, "—"),
        steps=tuple(GuideStep(s.seq, s.name, s.limit_days, s.role) for s in steps),
        place=GuidePlace(
            venue=venue.name if venue else None,
            address=implementation.address or (venue.address if venue else None),
            window=f"{window.number} 号窗口（{window.name}）" if window else None,
            hours=_hours_text(hours)),
        contact=GuideContact(phone=phone, hotline=settings.hotline),
        max_visits=(implementation.max_visits if implementation.max_visits is not None
                    else item.max_visits),
        online=implementation.online,
        online_url=implementation.online_url if implementation.online else None,
        online_depth=item.online_depth,
        online_depth_name=ONLINE_DEPTHS.get(item.online_depth) if item.online_depth else None,
        appointment=implementation.appointment,
        courier=implementation.courier,
        in_hall=implementation.in_hall,
        not_in_hall_reason=None if implementation.in_hall else implementation.not_in_hall_reason,
        result_type=item.result_type,
        result_name=item.result_name,
    )


async def _materials(session: AsyncSession, implementation: Implementation
                     ) -> tuple[GuideMaterial, ...]:
    rows = (await session.execute(
        select(CatalogMaterial, ImplementationMaterial.required)
        .join(ImplementationMaterial, ImplementationMaterial.catalog_material_id == CatalogMaterial.id)
        .where(ImplementationMaterial.implementation_id == implementation.id,
               CatalogMaterial.item_id == implementation.catalog_item_id)
        .order_by(CatalogMaterial.seq)
    )).all()
    return tuple(
        GuideMaterial(seq=m.seq, name=m.name, form=m.form, form_name=MATERIAL_FORMS.get(m.form, m.form),
                      originals=m.originals, copies=m.copies, required=m.required or required,
                      blank_form_url=m.blank_form_url, sample_url=m.sample_url,
                      legal_basis=m.legal_basis)
        for m, required in rows)


async def _fees(session: AsyncSession, implementation: Implementation) -> tuple[GuideFee, ...]:
    rows = (await session.execute(
        select(CatalogFee, ImplementationFee.amount_cents)
        .join(ImplementationFee, ImplementationFee.catalog_fee_id == CatalogFee.id)
        .where(ImplementationFee.implementation_id == implementation.id,
               CatalogFee.item_id == implementation.catalog_item_id)
        .order_by(CatalogFee.seq)
    )).all()
    return tuple(
        GuideFee(name=f.name, standard=f.standard,
                 amount_yuan=None if cents is None else f"{cents // 100}.{cents % 100:02d}",
                 basis=f.basis, reducible=f.reducible,
                 reduction_basis=f.reduction_basis if f.reducible else None)
        for f, cents in rows)


_VENUE_ORDER = case(
    (Venue.kind == VenueKind.SERVICE_CENTRE.value, 0),
    (Venue.kind == VenueKind.CONVENIENCE_CENTRE.value, 1),
    (Venue.kind == VenueKind.SPECIALISED_HALL.value, 2),
    else_=3)


async def _window_and_venue(session: AsyncSession, tenant: Tenant, window_id: uuid.UUID | None
                            ) -> tuple[Window | None, Venue | None]:
    if window_id is not None:
        row = (await session.execute(
            select(Window, Venue).join(Venue, Venue.id == Window.venue_id)
            .where(Window.id == window_id, Window.active, Venue.active)
        )).first()
        if row is not None:
            return row[0], row[1]
    venue = await session.scalar(
        select(Venue).where(Venue.tenant_id == tenant.id, Venue.active)
        .order_by(_VENUE_ORDER, Venue.created_at).limit(1))
    return None, venue


def _hours_text(hours: str) -> str:
    """``09:00-12:00,13:30-17:30`` → ``工作日 09:00-12:00、13:30-17:30（法定节假日除外）``."""
    if _HOURS_SETTING.fullmatch(hours):
        return f"工作日 {hours.replace(',', '、')}（法定节假日除外）"
    return hours


# ---------------------------------------------------------------- search


def item_type_code(value: str) -> str:
    """An item type given as its code (``01``, ``1``) or its Chinese name (``行政许可``)."""
    text = _CONTROL.sub("", value or "").strip()
    if text.isdigit() and text.zfill(2) in ITEM_TYPES:
        return text.zfill(2)
    for code, name in ITEM_TYPES.items():
        if text == name:
            return code
    raise Invalid("guide.bad_item_type", f"事项类型 {text} 无效",
                  f"unknown item type {text}", field="type", value=text)


async def search_guides(session: AsyncSession, tenant_code: str, *, q: str | None = None,
                        item_type: str | None = None, limit: int = 20,
                        after: str | None = None) -> GuidePage:
    """The tenant's public guides ordered by basic code, ``limit`` at a time (1–100).

    ``q`` matches a part of the item name, or a basic or implementation code exactly;
    ``item_type`` is a code or a Chinese type name; ``after`` is the implementation code of
    the previous page's last row (``GuidePage.next_after``).
    """
    tenant, _ = await public_tenant(session, tenant_code)
    limit = max(1, min(int(limit), MAX_PAGE))
    filters: list[ColumnElement[bool]] = [Implementation.tenant_id == tenant.id, _public()]
    text = _CONTROL.sub("", q or "").strip()
    if text:
        code = text.upper()
        filters.append(or_(CatalogItem.name.contains(text, autoescape=True),
                           CatalogItem.basic_code == code,
                           Implementation.implementation_code == code))
    if item_type:
        filters.append(CatalogItem.item_type == item_type_code(item_type))
    base = (select(Implementation, CatalogItem)
            .join(CatalogItem, CatalogItem.id == Implementation.catalog_item_id)
            .where(*filters))
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = base
    if after:
        cursor = after.strip().upper()
        last = None if not _CODE.fullmatch(cursor) else await session.scalar(
            select(Implementation.basic_code)
            .where(Implementation.tenant_id == tenant.id,
                   Implementation.implementation_code == cursor).limit(1))
        if last is None:
            shown = _CONTROL.sub("", cursor)[:40]
            raise Invalid("guide.bad_cursor", f"分页游标 {shown} 无效", f"bad cursor {shown}",
                          field="after", value=shown)
        page = page.where(or_(
            Implementation.basic_code > last,
            and_(Implementation.basic_code == last, Implementation.implementation_code > cursor)))
    rows: Sequence[Any] = (await session.execute(
        page.order_by(Implementation.basic_code, Implementation.implementation_code)
        .limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = tuple(
        GuideSummary(name=item.name, basic_code=item.basic_code,
                     implementation_code=impl.implementation_code, item_type=item.item_type,
                     item_type_name=ITEM_TYPES.get(item.item_type, item.item_type),
                     department_name=impl.department_name,
                     case_type_name=CASE_TYPES.get(item.case_type, "—"),
                     promised_days=(impl.promised_days if impl.promised_days is not None
                                    else item.statutory_days),
                     max_visits=impl.max_visits if impl.max_visits is not None else item.max_visits,
                     online=impl.online)
        for impl, item in rows)
    return GuidePage(tenant=GuideTenant(tenant.code, tenant.name), items=items, total=total,
                     next_after=items[-1].implementation_code if more and items else None)
