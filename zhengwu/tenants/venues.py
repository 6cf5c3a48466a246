"""Service venues (服务场所) and their windows (窗口): the services that run a hall.

This module holds the services that create, change, deactivate and list a tenant's venues —
政务服务中心 and 专业分厅 at county tier and above, 便民服务中心 at township tier, 代办点 at
village tier — and the windows of a venue with their chief representative (首席代表), post
holder and backup (AB岗), plus the AB岗 takeover rule (``on_duty``). It never knows about
litestar, typer or strawberry, never filters rows in Python what SQL can filter by scope,
and never deletes: venues and windows are deactivated.

Decisions where the brief was silent, written down here:

* Hours: when a venue is created (or updated with ``hours=None``) without hours, the
  tenant's effective ``core.service_hours`` setting is copied in; later changes of the
  setting do not rewrite existing venues (a venue's hours are its own data).
* Deactivating a venue deactivates its windows too (they cannot serve); reactivating a
  venue leaves its windows inactive until each is reactivated. An inactive window keeps its
  number, so a new window cannot reuse it (``window.duplicate_number``).
* Window staff (chief representative, holder, backup) must be active person accounts the
  principal can see (homed in its scope; else ``user.not_found``) and either be homed in the
  venue tenant's subtree or hold a grant that covers the venue's tenant (granted at it, or
  at an ancestor within the principal's scope with subtree effect) — so a county can send
  its own staff to a township's centre. Holder and backup must differ; the chief
  representative may also be the holder. Windows use the ``venue`` permissions.
* ``on_duty`` takes the principal too (house rule: every query goes through a scope). The
  holder serves unless absent or deactivated; then the backup takes over; a window with
  neither (or an inactive window) has nobody on duty.
* By-id access: one helper per kind answers ``venue.not_found`` / ``window.not_found`` both
  for a missing row and for one outside the principal's scope or read permission; a
  principal who may read but not write gets ``auth.permission_denied``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Literal

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.models import Grant, User
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.tenants.codes import Tier
from zhengwu.tenants.models import Tenant, TenantStatus, Venue, VenueKind, Window, WindowKind
from zhengwu.tenants.scope import access_tenant, ancestor_paths
from zhengwu.tenants.settings import CoreSettings, resolve

__all__ = [
    "KEEP",
    "VENUE_TIERS",
    "NewVenue",
    "NewWindow",
    "OnDuty",
    "VenuePatch",
    "WindowPatch",
    "create_venue",
    "create_window",
    "deactivate_venue",
    "deactivate_window",
    "get_venue",
    "get_window",
    "list_venues",
    "list_windows",
    "on_duty",
    "reactivate_venue",
    "reactivate_window",
    "update_venue",
    "update_window",
]


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""Patch value meaning "leave this field as it is" (``None`` clears an optional field)."""

_COUNTY_AND_ABOVE = frozenset({Tier.PROVINCE.value, Tier.CITY.value, Tier.COUNTY.value})
VENUE_TIERS: Final[dict[VenueKind, frozenset[str]]] = {
    VenueKind.SERVICE_CENTRE: _COUNTY_AND_ABOVE,
    VenueKind.SPECIALISED_HALL: _COUNTY_AND_ABOVE,
    VenueKind.CONVENIENCE_CENTRE: frozenset({Tier.TOWNSHIP.value}),
    VenueKind.AGENT_POINT: frozenset({Tier.VILLAGE.value}),
}
"""The tiers at which each kind of venue may exist."""

_VENUE_ZH = {
    VenueKind.SERVICE_CENTRE: "政务服务中心",
    VenueKind.SPECIALISED_HALL: "专业分厅",
    VenueKind.CONVENIENCE_CENTRE: "便民服务中心",
    VenueKind.AGENT_POINT: "代办点",
}
_TIERS_ZH = {Tier.PROVINCE.value: "省级", Tier.CITY.value: "地级", Tier.COUNTY.value: "县级",
             Tier.TOWNSHIP.value: "乡级", Tier.VILLAGE.value: "村级",
             Tier.PLATFORM.value: "平台"}


# ---------------------------------------------------------------- inputs and outputs


@dataclass(frozen=True, slots=True)
class NewVenue:
    kind: VenueKind | str
    name: str
    address: str | None = None
    phone: str | None = None
    hours: str | None = None  # None: the tenant's effective service_hours


@dataclass(frozen=True, slots=True)
class VenuePatch:
    kind: VenueKind | str | _Keep = KEEP
    name: str | _Keep = KEEP
    address: str | _Keep | None = KEEP
    phone: str | _Keep | None = KEEP
    hours: str | _Keep | None = KEEP  # None: copy the tenant's effective service_hours again


@dataclass(frozen=True, slots=True)
class NewWindow:
    number: str
    name: str
    kind: WindowKind | str = WindowKind.COMPREHENSIVE
    department: str | None = None  # required for a dedicated window
    chief_representative_id: uuid.UUID | None = None
    holder_id: uuid.UUID | None = None
    backup_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class WindowPatch:
    number: str | _Keep = KEEP
    name: str | _Keep = KEEP
    kind: WindowKind | str | _Keep = KEEP
    department: str | _Keep | None = KEEP
    chief_representative_id: uuid.UUID | _Keep | None = KEEP
    holder_id: uuid.UUID | _Keep | None = KEEP
    backup_id: uuid.UUID | _Keep | None = KEEP


@dataclass(frozen=True, slots=True)
class OnDuty:
    """Who serves at a window now: the holder, or the backup taking over (AB岗)."""

    window_id: uuid.UUID
    user_id: uuid.UUID | None
    post: Literal["holder", "backup"] | None
    takeover: bool


# ---------------------------------------------------------------- validation helpers


def _text(value: str | None, field: str, max_len: int, *, prefix: str,
          required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise Invalid(f"{prefix}.{field}_required", f"{field} 不能为空",
                          f"{field} must not be empty", field=field)
        return None
    if len(text) > max_len:
        raise Invalid(f"{prefix}.too_long", f"{field} 不能超过 {max_len} 个字符",
                      f"{field} must be at most {max_len} characters", field=field)
    return text


def _required(value: str, field: str, max_len: int, *, prefix: str) -> str:
    text = _text(value, field, max_len, prefix=prefix, required=True)
    assert text is not None
    return text


def _venue_kind(kind: VenueKind | str) -> VenueKind:
    try:
        return VenueKind(kind)
    except ValueError as exc:
        raise Invalid("venue.unknown_kind", f"未知的服务场所类型：{kind}",
                      f"unknown venue kind: {kind}", field="kind") from exc


def _window_kind(kind: WindowKind | str) -> WindowKind:
    try:
        return WindowKind(kind)
    except ValueError as exc:
        raise Invalid("window.unknown_kind", f"未知的窗口类型：{kind}",
                      f"unknown window kind: {kind}", field="kind") from exc


def _check_tier(kind: VenueKind, tenant: Tenant) -> None:
    allowed = VENUE_TIERS[kind]
    if tenant.tier not in allowed:
        tiers_zh = "、".join(_TIERS_ZH[t] for t in sorted(allowed, key=_tier_order))
        raise Invalid(
            "venue.wrong_tier",
            f"{_VENUE_ZH[kind]}只能设在{tiers_zh}，{tenant.name}（{tenant.code}）是"
            f"{_TIERS_ZH.get(tenant.tier, tenant.tier)}",
            f"a {kind.value} belongs at {', '.join(sorted(allowed, key=_tier_order))} tier; "
            f"{tenant.code} is {tenant.tier}",
            field="kind", tier=tenant.tier,
        )


def _tier_order(tier: str) -> int:
    return list(Tier).index(Tier(tier))


def _check_tenant_open(tenant: Tenant) -> None:
    if tenant.status == TenantStatus.MERGED.value:
        raise Conflict("tenant.merged", f"{tenant.name}（{tenant.code}）已撤并",
                       f"{tenant.code} has been merged", field="tenant")


def _venue_snapshot(v: Venue) -> dict[str, Any]:
    return {"kind": v.kind, "name": v.name, "address": v.address, "phone": v.phone,
            "hours": v.hours, "active": v.active}


def _window_snapshot(w: Window) -> dict[str, Any]:
    return {"venue_id": w.venue_id, "number": w.number, "name": w.name, "kind": w.kind,
            "department": w.department, "chief_representative_id": w.chief_representative_id,
            "holder_id": w.holder_id, "backup_id": w.backup_id, "active": w.active}


def _require(principal: Principal, action: str, path: str) -> None:
    if not can(principal, action, Resource("venue", path)):
        raise PermissionDenied(f"venue:{action}", path)


async def _default_hours(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    tenant = await session.get(Tenant, tenant_id)
    assert tenant is not None
    return (await resolve(session, tenant, CoreSettings)).service_hours


# ---------------------------------------------------------------- by-id access


async def _venue(session: AsyncSession, principal: Principal, venue_id: uuid.UUID,
                 action: str = "read") -> Venue:
    """The venue if the principal may read it (else ``venue.not_found``) and do ``action``."""
    venue = None
    if not principal.is_anonymous:
        venue = await session.scalar(select(Venue).where(
            Venue.id == venue_id, subtree_clause(Venue.tenant_path, principal.scope)))
    if venue is None or not can(principal, "read", Resource("venue", venue.tenant_path)):
        raise NotFound("venue", venue_id)
    if action != "read":
        _require(principal, action, venue.tenant_path)
    return venue


async def _window(session: AsyncSession, principal: Principal, window_id: uuid.UUID,
                  action: str = "read") -> tuple[Window, Venue]:
    """The window and its venue, with the same rules as ``_venue``."""
    row = None
    if not principal.is_anonymous:
        row = (await session.execute(
            select(Window, Venue).join(Venue, Venue.id == Window.venue_id)
            .where(Window.id == window_id, subtree_clause(Window.tenant_path, principal.scope))
        )).first()
    if row is None or not can(principal, "read", Resource("venue", row[0].tenant_path)):
        raise NotFound("window", window_id)
    window, venue = row
    if action != "read":
        _require(principal, action, window.tenant_path)
    return window, venue


async def get_venue(session: AsyncSession, principal: Principal, venue_id: uuid.UUID) -> Venue:
    return await _venue(session, principal, venue_id)


async def get_window(session: AsyncSession, principal: Principal,
                     window_id: uuid.UUID) -> Window:
    return (await _window(session, principal, window_id))[0]


# ---------------------------------------------------------------- venues


async def create_venue(session: AsyncSession, principal: Principal, tenant_code: str,
                       data: NewVenue) -> Venue:
    """Create a venue of the tenant; its kind must fit the tenant's tier."""
    tenant = await access_tenant(session, principal, tenant_code)
    _require(principal, "write", tenant.path)
    _check_tenant_open(tenant)
    kind = _venue_kind(data.kind)
    _check_tier(kind, tenant)
    name = _required(data.name, "name", 200, prefix="venue")
    hours = _text(data.hours, "hours", 200, prefix="venue")
    if hours is None:
        hours = (await resolve(session, tenant, CoreSettings)).service_hours
    venue = Venue(tenant_id=tenant.id, tenant_path=tenant.path, kind=kind.value, name=name,
                  address=_text(data.address, "address", 300, prefix="venue"),
                  phone=_text(data.phone, "phone", 40, prefix="venue"), hours=hours,
                  active=True)
    session.add(venue)
    await session.flush()
    await audit.record(session, principal, "venue.create", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="venue", target_id=venue.id,
                       after=_venue_snapshot(venue))
    return venue


async def update_venue(session: AsyncSession, principal: Principal, venue_id: uuid.UUID,
                       patch: VenuePatch) -> Venue:
    """Change a venue's fields; ``KEEP`` leaves a field, ``None`` clears an optional one."""
    venue = await _venue(session, principal, venue_id, "write")
    before = _venue_snapshot(venue)
    if not isinstance(patch.kind, _Keep):
        kind = _venue_kind(patch.kind)
        if kind.value != venue.kind:
            tenant = await session.get(Tenant, venue.tenant_id)
            assert tenant is not None
            _check_tier(kind, tenant)
            venue.kind = kind.value
    if not isinstance(patch.name, _Keep):
        venue.name = _required(patch.name, "name", 200, prefix="venue")
    if not isinstance(patch.address, _Keep):
        venue.address = _text(patch.address, "address", 300, prefix="venue")
    if not isinstance(patch.phone, _Keep):
        venue.phone = _text(patch.phone, "phone", 40, prefix="venue")
    if not isinstance(patch.hours, _Keep):
        hours = _text(patch.hours, "hours", 200, prefix="venue")
        venue.hours = hours if hours is not None else await _default_hours(session,
                                                                           venue.tenant_id)
    after = _venue_snapshot(venue)
    if after != before:
        await session.flush()
        await audit.record(session, principal, "venue.update", tenant_id=venue.tenant_id,
                           tenant_path=venue.tenant_path, target_type="venue",
                           target_id=venue.id, before=before, after=after)
    return venue


async def deactivate_venue(session: AsyncSession, principal: Principal,
                           venue_id: uuid.UUID) -> Venue:
    """Deactivate a venue and its windows (nothing is deleted)."""
    venue = await _venue(session, principal, venue_id, "write")
    if not venue.active:
        return venue
    before = _venue_snapshot(venue)
    venue.active = False
    result = await session.execute(
        update(Window)
        .where(Window.venue_id == venue.id, Window.active.is_(True),
               subtree_clause(Window.tenant_path, principal.scope))
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )
    closed: int = result.rowcount  # type: ignore[attr-defined]
    await session.flush()
    await audit.record(session, principal, "venue.deactivate", tenant_id=venue.tenant_id,
                       tenant_path=venue.tenant_path, target_type="venue", target_id=venue.id,
                       before=before,
                       after={**_venue_snapshot(venue), "windows_deactivated": closed})
    return venue


async def reactivate_venue(session: AsyncSession, principal: Principal,
                           venue_id: uuid.UUID) -> Venue:
    """Reactivate a venue (its windows stay inactive until reactivated one by one)."""
    venue = await _venue(session, principal, venue_id, "write")
    if venue.active:
        return venue
    tenant = await session.get(Tenant, venue.tenant_id)
    assert tenant is not None
    _check_tenant_open(tenant)
    before = _venue_snapshot(venue)
    venue.active = True
    await session.flush()
    await audit.record(session, principal, "venue.reactivate", tenant_id=venue.tenant_id,
                       tenant_path=venue.tenant_path, target_type="venue", target_id=venue.id,
                       before=before, after=_venue_snapshot(venue))
    return venue


async def list_venues(session: AsyncSession, principal: Principal, tenant_code: str, *,
                      subtree: bool = False, include_inactive: bool = False,
                      kind: VenueKind | str | None = None) -> list[Venue]:
    """The venues of a tenant (or of its whole subtree), filtered by scope in SQL."""
    tenant = await access_tenant(session, principal, tenant_code)
    _require(principal, "read", tenant.path)
    where = [subtree_clause(Venue.tenant_path, principal.scope),
             subtree_clause(Venue.tenant_path, tenant.path) if subtree
             else Venue.tenant_path == tenant.path]
    if not include_inactive:
        where.append(Venue.active.is_(True))
    if kind is not None:
        where.append(Venue.kind == _venue_kind(kind).value)
    stmt = select(Venue).where(*where).order_by(Venue.tenant_path, Venue.kind, Venue.name)
    return list((await session.scalars(stmt)).all())


# ---------------------------------------------------------------- windows


def _number_key(number: str) -> tuple[int, int, str]:
    return (0, int(number), number) if number.isdigit() else (1, 0, number)


async def list_windows(session: AsyncSession, principal: Principal, venue_id: uuid.UUID, *,
                       include_inactive: bool = False) -> list[Window]:
    """The windows of a venue, in natural number order (2 before 10)."""
    venue = await _venue(session, principal, venue_id)
    where = [Window.venue_id == venue.id, subtree_clause(Window.tenant_path, principal.scope)]
    if not include_inactive:
        where.append(Window.active.is_(True))
    windows = list((await session.scalars(select(Window).where(*where))).all())
    return sorted(windows, key=lambda w: _number_key(w.number))


async def _check_number_free(session: AsyncSession, venue: Venue, number: str,
                             window_id: uuid.UUID | None = None) -> None:
    stmt = select(Window.id).where(Window.venue_id == venue.id, Window.number == number)
    if window_id is not None:
        stmt = stmt.where(Window.id != window_id)
    if await session.scalar(stmt) is not None:
        raise Conflict("window.duplicate_number",
                       f"{venue.name}已有编号为 {number} 的窗口（含已停用的窗口）",
                       f"{venue.name} already has a window numbered {number} "
                       "(inactive windows included)", field="number")


async def _check_staff(session: AsyncSession, principal: Principal, venue: Venue,
                       staff: dict[str, uuid.UUID]) -> None:
    """Each user must be visible, an active person, and belong to the venue's tenant."""
    if not staff:
        return
    ids = set(staff.values())
    users = {u.id: u for u in (await session.scalars(select(User).where(
        User.id.in_(ids), subtree_clause(User.tenant_path, principal.scope)))).all()}
    path = venue.tenant_path
    granted = set((await session.scalars(select(Grant.user_id).where(
        Grant.user_id.in_(ids),
        subtree_clause(Grant.tenant_path, principal.scope),
        or_(Grant.tenant_path == path,
            and_(Grant.subtree.is_(True), Grant.tenant_path.in_(ancestor_paths(path))))))).all())
    for field, user_id in staff.items():
        user = users.get(user_id)
        if user is None:
            err = NotFound("user", user_id)
            err.field = field
            raise err
        if not user.is_active or user.kind != "person":
            raise Invalid("window.staff_inactive",
                          f"{user.display_name}（{user.username}）不是在用的人员账户",
                          f"{user.username} is not an active person account", field=field)
        homed_below = user.tenant_path == path or user.tenant_path.startswith(path + "/")
        if not homed_below and user_id not in granted:
            raise Invalid("window.staff_not_eligible",
                          f"{user.display_name}（{user.username}）不属于本场所所在区划，"
                          "也没有覆盖该区划的授权",
                          f"{user.username} neither belongs to the venue's tenant nor holds "
                          "a grant covering it", field=field)


def _check_posts(holder_id: uuid.UUID | None, backup_id: uuid.UUID | None) -> None:
    if holder_id is not None and holder_id == backup_id:
        raise Invalid("window.backup_is_holder", "A岗与B岗不能是同一人",
                      "the backup (B post) must not be the holder (A post)", field="backup_id")


def _check_department(kind: WindowKind, department: str | None) -> None:
    if kind is WindowKind.DEDICATED and department is None:
        raise Invalid("window.department_required", "专窗必须指定所属部门",
                      "a dedicated window needs a department", field="department")


async def create_window(session: AsyncSession, principal: Principal, venue_id: uuid.UUID,
                        data: NewWindow) -> Window:
    """Open a window at an active venue; its number is unique within the venue."""
    venue = await _venue(session, principal, venue_id, "write")
    if not venue.active:
        raise Conflict("venue.inactive", f"{venue.name}已停用，不能新增窗口",
                       f"{venue.name} is inactive; cannot add windows", field="venue_id")
    number = _required(data.number, "number", 20, prefix="window")
    name = _required(data.name, "name", 200, prefix="window")
    kind = _window_kind(data.kind)
    department = _text(data.department, "department", 200, prefix="window")
    _check_department(kind, department)
    _check_posts(data.holder_id, data.backup_id)
    staff = {f: uid for f, uid in (("chief_representative_id", data.chief_representative_id),
                                   ("holder_id", data.holder_id),
                                   ("backup_id", data.backup_id)) if uid is not None}
    await _check_staff(session, principal, venue, staff)
    await _check_number_free(session, venue, number)
    window = Window(tenant_id=venue.tenant_id, tenant_path=venue.tenant_path,
                    venue_id=venue.id, number=number, name=name, kind=kind.value,
                    department=department,
                    chief_representative_id=data.chief_representative_id,
                    holder_id=data.holder_id, backup_id=data.backup_id, active=True)
    session.add(window)
    await session.flush()
    await audit.record(session, principal, "window.create", tenant_id=venue.tenant_id,
                       tenant_path=venue.tenant_path, target_type="window",
                       target_id=window.id, after=_window_snapshot(window))
    return window


async def update_window(session: AsyncSession, principal: Principal, window_id: uuid.UUID,
                        patch: WindowPatch) -> Window:
    """Change a window; ``KEEP`` leaves a field, ``None`` clears an optional one."""
    window, venue = await _window(session, principal, window_id, "write")
    before = _window_snapshot(window)
    number = (window.number if isinstance(patch.number, _Keep)
              else _required(patch.number, "number", 20, prefix="window"))
    name = (window.name if isinstance(patch.name, _Keep)
            else _required(patch.name, "name", 200, prefix="window"))
    kind = _window_kind(window.kind if isinstance(patch.kind, _Keep) else patch.kind)
    department = (window.department if isinstance(patch.department, _Keep)
                  else _text(patch.department, "department", 200, prefix="window"))
    _check_department(kind, department)
    posts: dict[str, uuid.UUID | None] = {}
    changed: dict[str, uuid.UUID] = {}
    for field in ("chief_representative_id", "holder_id", "backup_id"):
        new = getattr(patch, field)
        old: uuid.UUID | None = getattr(window, field)
        posts[field] = old if isinstance(new, _Keep) else new
        if posts[field] is not None and posts[field] != old:
            changed[field] = posts[field]  # type: ignore[assignment]
    _check_posts(posts["holder_id"], posts["backup_id"])
    await _check_staff(session, principal, venue, changed)
    if number != window.number:
        await _check_number_free(session, venue, number, window.id)
    window.number, window.name, window.kind, window.department = (number, name, kind.value,
                                                                  department)
    for field, value in posts.items():
        setattr(window, field, value)
    after = _window_snapshot(window)
    if after != before:
        await session.flush()
        await audit.record(session, principal, "window.update", tenant_id=window.tenant_id,
                           tenant_path=window.tenant_path, target_type="window",
                           target_id=window.id, before=before, after=after)
    return window


async def _set_window_active(session: AsyncSession, principal: Principal,
                             window_id: uuid.UUID, active: bool) -> Window:
    window, venue = await _window(session, principal, window_id, "write")
    if window.active == active:
        return window
    if active and not venue.active:
        raise Conflict("venue.inactive", f"{venue.name}已停用，不能启用其窗口",
                       f"{venue.name} is inactive; reactivate it first", field="venue_id")
    before = _window_snapshot(window)
    window.active = active
    await session.flush()
    await audit.record(session, principal,
                       "window.reactivate" if active else "window.deactivate",
                       tenant_id=window.tenant_id, tenant_path=window.tenant_path,
                       target_type="window", target_id=window.id, before=before,
                       after=_window_snapshot(window))
    return window


async def deactivate_window(session: AsyncSession, principal: Principal,
                            window_id: uuid.UUID) -> Window:
    return await _set_window_active(session, principal, window_id, False)


async def reactivate_window(session: AsyncSession, principal: Principal,
                            window_id: uuid.UUID) -> Window:
    return await _set_window_active(session, principal, window_id, True)


async def on_duty(session: AsyncSession, principal: Principal, window_id: uuid.UUID,
                  absent_user_ids: Iterable[uuid.UUID] = ()) -> OnDuty:
    """Who serves at the window: the holder, or the backup when the holder is absent (AB岗).

    A holder or backup whose account is deactivated counts as absent; an inactive window
    has nobody on duty.
    """
    window, _venue_row = await _window(session, principal, window_id)
    if not window.active:
        return OnDuty(window.id, None, None, takeover=False)
    absent = set(absent_user_ids)
    posts = [uid for uid in (window.holder_id, window.backup_id) if uid is not None]
    if posts:
        # Only deactivations the principal can see count: staff homed above its scope are
        # invisible under RLS and taken to be active.
        absent |= set((await session.scalars(select(User.id).where(
            User.id.in_(posts), User.is_active.is_(False),
            subtree_clause(User.tenant_path, principal.scope)))).all())

    def serves(uid: uuid.UUID | None) -> bool:
        return uid is not None and uid not in absent

    if serves(window.holder_id):
        return OnDuty(window.id, window.holder_id, "holder", takeover=False)
    if serves(window.backup_id):
        return OnDuty(window.id, window.backup_id, "backup", takeover=True)
    return OnDuty(window.id, None, None, takeover=False)
