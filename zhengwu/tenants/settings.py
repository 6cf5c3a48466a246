"""Tenant settings: the registry of settings models and the cascade with locks.

This module holds the registry of tenant settings models (the core's ``CoreSettings`` under
namespace ``core``; each plugin registers its own), the resolution of a tenant's effective
settings through the tenant tree, and the services that override, unset, lock and unlock a
key. It never holds process configuration (that is ``zhengwu.core.config``), never caches
resolved values across transactions, and never reads or writes a tenant outside the
principal's scope.

Registry
    ``register(namespace, model)`` adds a pydantic model whose every field has a default.
    Field descriptions are shown to administrators, so write them in Chinese. The plugin host
    calls ``register(info.name, info.settings)`` for each plugin whose ``PluginInfo`` (hook
    ``zhengwu_plugin_info``) carries a settings model; the namespace is the plugin's name.
    ``registered()`` lists what is known.

Storage
    A tenant's override of one key is one ``SettingOverride`` row (tenant, namespace, key,
    JSON value, ``locked``). Values are validated against the model's field on write (lax
    pydantic mode: ``"7"`` is accepted for an ``int`` and stored as ``7``) and stored in
    their JSON form. The platform root keeps no overrides: the model defaults are the
    platform's values (row-level security lets a tenant read its ancestors' rows, and the
    platform root is not a path ancestor of the provinces).

Resolution (for a tenant ``T``, one query)
    Fetch the overrides of ``T`` and all its ancestors (``tenant_path IN (…)``). For each key:

    1. if some tenant on the chain locked it, the value of the *topmost* locking tenant wins
       for its whole subtree (rows below it, locked or not, are *shadowed*: kept, not used);
    2. otherwise the *deepest* override wins;
    3. otherwise the model's default (``source == "default"``).

    A stored value that no longer validates (a plugin changed its model) is ignored and
    logged, as if the row did not exist.

Writes
    * ``set_setting`` — override a key at a tenant (``setting:write``). Refused with
      ``setting.locked`` when a tenant *above* locked the key; a tenant that holds the lock
      itself may change the locked value (it changes for the whole subtree).
    * ``unset_setting`` — remove the tenant's override (``setting:write``; removing a
      locked row also needs ``setting:lock``). Allowed under a lock above, so that shadowed
      rows can be cleaned up. Unsetting a key with no override is a no-op.
    * ``lock_setting`` — lock a key at a tenant for its subtree (``setting:lock``, plus
      ``setting:write`` when a new value is given). Without a value, the lock fixes the
      key's *current effective value* at that tenant (inherited or default): an override
      row is stored with that value and ``locked=True``. Overrides below become shadowed;
      the result names them (``EffectiveSetting.shadowed_below``). Locking a key already
      locked above is refused (``setting.locked``).
    * ``unlock_setting`` — drop the lock (``setting:lock``); the row stays as an ordinary
      override with its value, and shadowed rows below take effect again.

    Every change is audited (``setting.set|unset|lock|unlock``, before/after). A race
    between a lower ``set`` and an upper ``lock`` is harmless: the topmost lock wins at
    resolution whatever was written below.

Access
    Reading needs ``setting:read`` at the tenant, writing ``setting:write``, locking
    ``setting:lock`` (``rbac.can`` with ``Resource("setting", path)``); the tenant must be in
    the principal's scope (its acting tenant or below). A tenant outside what the principal
    may read answers ``tenant.not_found``; an ancestor (readable for breadcrumbs) answers
    ``auth.permission_denied``. Services that already hold an accessible tenant call
    ``resolve(session, tenant, Model)`` for a typed instance.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit
from zhengwu.core.errors import Conflict, Invalid, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.tenants.codes import Tier
from zhengwu.tenants.models import SettingOverride, Tenant, TenantStatus
from zhengwu.tenants.scope import access_tenant, ancestor_paths

__all__ = [
    "DEFAULT_SOURCE",
    "CoreSettings",
    "EffectiveSetting",
    "SettingSpec",
    "defaults",
    "effective_setting",
    "effective_settings",
    "lock_setting",
    "namespace_of",
    "register",
    "registered",
    "resolve",
    "set_setting",
    "spec",
    "unlock_setting",
    "unregister",
    "unset_setting",
]

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "default"
"""``EffectiveSetting.source`` when no tenant overrides the key."""

M = TypeVar("M", bound=BaseModel)

_HOURS = r"^\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*$"


class CoreSettings(BaseModel):
    """The core's tenant settings (namespace ``core``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service_hours: str = Field(
        "09:00-12:00,13:30-17:30", pattern=_HOURS, max_length=200,
        description="对外服务时间（HH:MM-HH:MM，多个时段以逗号分隔）；新建服务场所的默认办公时间",
    )
    hotline: str = Field("12345", min_length=3, max_length=40,
                         description="政务服务便民热线号码")
    public_portal_enabled: bool = Field(
        True, description="是否开放公众门户（办事指南、公开信息等公开页面）")
    allow_custom_roles: bool = Field(True, description="是否允许本级及下级管理员自定义角色")
    contact_phone: str | None = Field(
        None, max_length=40, description="对外咨询电话；为空时使用热线")
    appointment_days_ahead: int = Field(
        7, ge=1, le=60, description="可提前预约的天数（1–60 天）")


# ---------------------------------------------------------------- registry


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One registered key: its namespace, name, description, default and validator."""

    namespace: str
    key: str
    description: str
    default: Any  # JSON form
    adapter: TypeAdapter[Any] = field(repr=False, compare=False)

    def validate(self, value: Any) -> Any:
        """The JSON form of ``value`` if the field accepts it; ``setting.invalid_value`` if not."""
        try:
            return self.adapter.dump_python(self.adapter.validate_python(value), mode="json")
        except ValidationError as exc:
            reason = "; ".join(str(e["msg"]) for e in exc.errors())
            raise Invalid(
                "setting.invalid_value",
                f"设置项 {self.namespace}.{self.key} 的值无效：{reason}",
                f"invalid value for setting {self.namespace}.{self.key}: {reason}",
                field=self.key, reason=reason,
            ) from exc

    def is_valid(self, stored: Any) -> bool:
        try:
            self.adapter.validate_python(stored)
        except ValidationError:
            return False
        return True


@dataclass(frozen=True, slots=True)
class _Namespace:
    model: type[BaseModel]
    specs: dict[str, SettingSpec]


_REGISTRY: dict[str, _Namespace] = {}
_NAMESPACE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def register(namespace: str, model: type[BaseModel]) -> None:
    """Register ``model`` as the tenant settings of ``namespace``.

    Every field needs a default (it is the value when no tenant overrides it) and a name of
    at most 100 characters. Registering the same model again is a no-op; a different model
    under a taken namespace raises ``ValueError`` (two plugins must not share a namespace).
    """
    if not _NAMESPACE_RE.match(namespace):
        raise ValueError(f"bad settings namespace {namespace!r} (lowercase, digits, _)")
    known = _REGISTRY.get(namespace)
    if known is not None:
        if known.model is model:
            return
        raise ValueError(f"settings namespace {namespace!r} is already registered "
                         f"by {known.model.__module__}.{known.model.__qualname__}")
    specs: dict[str, SettingSpec] = {}
    for key, info in model.model_fields.items():
        if info.is_required():
            raise ValueError(f"setting {namespace}.{key} has no default")
        if len(key) > 100:
            raise ValueError(f"setting key {namespace}.{key} is longer than 100 characters")
        annotated: Any = Annotated[info.annotation, info]  # the field's type and constraints
        adapter: TypeAdapter[Any] = TypeAdapter(annotated)
        default = adapter.dump_python(info.get_default(call_default_factory=True), mode="json")
        specs[key] = SettingSpec(namespace, key, info.description or "", default, adapter)
    _REGISTRY[namespace] = _Namespace(model, specs)


def unregister(namespace: str) -> None:
    """Forget a namespace (plugin host reloads, tests). Stored overrides are kept."""
    _REGISTRY.pop(namespace, None)


def registered() -> dict[str, type[BaseModel]]:
    """Namespace → settings model, in registration order."""
    return {ns: entry.model for ns, entry in _REGISTRY.items()}


def namespace_of(model: type[BaseModel]) -> str:
    """The namespace ``model`` is registered under (``LookupError`` if it is not)."""
    for ns, entry in _REGISTRY.items():
        if entry.model is model:
            return ns
    raise LookupError(f"{model.__qualname__} is not a registered settings model")


def _unknown(namespace: str, key: str | None = None) -> Invalid:
    name = namespace if key is None else f"{namespace}.{key}"
    return Invalid("setting.unknown_key", f"未知的设置项：{name}", f"unknown setting: {name}",
                   field=key if key is not None else "namespace")


def spec(namespace: str, key: str) -> SettingSpec:
    """The registered key, or ``setting.unknown_key``."""
    entry = _REGISTRY.get(namespace)
    if entry is None:
        raise _unknown(namespace)
    found = entry.specs.get(key)
    if found is None:
        raise _unknown(namespace, key)
    return found


register("core", CoreSettings)


# ---------------------------------------------------------------- resolution


@dataclass(frozen=True, slots=True)
class EffectiveSetting:
    """The value of one key at one tenant, and where it came from.

    ``source`` is ``"default"`` or the code of the tenant whose override wins;
    ``locked_by`` the code of the topmost tenant that locked the key (``locked`` is true
    when a lock applies at this tenant, including one held by the tenant itself);
    ``overridden_here`` whether this tenant has its own row, ``shadowed`` whether that row
    is hidden by a lock above; ``shadowed_below`` the codes of tenants below whose
    overrides this tenant's lock hides.
    """

    tenant: str
    namespace: str
    key: str
    value: Any
    default: Any
    description: str
    source: str
    source_name: str | None
    locked: bool
    locked_by: str | None
    overridden_here: bool
    shadowed: bool = False
    shadowed_below: tuple[str, ...] = ()

    @property
    def editable(self) -> bool:
        """Whether this tenant may change the key (no lock above it)."""
        return not self.locked or self.locked_by == self.tenant


@dataclass(frozen=True, slots=True)
class _Row:
    override: SettingOverride
    code: str
    name: str

    @property
    def depth(self) -> int:
        return self.override.tenant_path.count("/")


@dataclass(frozen=True, slots=True)
class _Resolved:
    value: Any
    winner: _Row | None
    locker: _Row | None
    own: _Row | None


def _chain(path: str) -> list[str]:
    return [*ancestor_paths(path), path]


async def _chain_rows(session: AsyncSession, path: str, namespaces: Iterable[str],
                      key: str | None = None) -> dict[tuple[str, str], list[_Row]]:
    """Overrides of the tenant at ``path`` and its ancestors (one query), top first per key."""
    stmt = (select(SettingOverride, Tenant.code, Tenant.name)
            .join(Tenant, Tenant.id == SettingOverride.tenant_id)
            .where(SettingOverride.tenant_path.in_(_chain(path)),
                   SettingOverride.namespace.in_(list(namespaces))))
    if key is not None:
        stmt = stmt.where(SettingOverride.key == key)
    grouped: dict[tuple[str, str], list[_Row]] = {}
    for override, code, name in (await session.execute(stmt)).all():
        grouped.setdefault((override.namespace, override.key), []).append(
            _Row(override, code, name))
    for rows in grouped.values():
        rows.sort(key=lambda r: r.depth)
    return grouped


def _resolve_key(s: SettingSpec, rows: Sequence[_Row], tenant_id: uuid.UUID) -> _Resolved:
    usable = []
    for row in rows:
        if s.is_valid(row.override.value):
            usable.append(row)
        else:
            log.warning("ignoring stale override %s.%s at %s: no longer valid",
                        s.namespace, s.key, row.code)
    own = next((r for r in usable if r.override.tenant_id == tenant_id), None)
    locker = next((r for r in usable if r.override.locked), None)
    winner = locker or (usable[-1] if usable else None)
    value = winner.override.value if winner is not None else s.default
    return _Resolved(value, winner, locker, own)


async def _view(session: AsyncSession, tenant: Tenant,
                keys: Sequence[SettingSpec]) -> list[EffectiveSetting]:
    namespaces = {s.namespace for s in keys}
    only_key = keys[0].key if len(keys) == 1 else None
    grouped = await _chain_rows(session, tenant.path, namespaces, only_key)
    resolved = {(s.namespace, s.key): _resolve_key(s, grouped.get((s.namespace, s.key), []),
                                                   tenant.id) for s in keys}
    locked_here = {k for k, r in resolved.items()
                   if r.locker is not None and r.locker.override.tenant_id == tenant.id}
    below = await _overrides_below(session, tenant, locked_here) if locked_here else {}
    return [_effective(tenant, s, resolved[(s.namespace, s.key)],
                       below.get((s.namespace, s.key), ())) for s in keys]


def _effective(tenant: Tenant, s: SettingSpec, r: _Resolved,
               shadowed_below: Iterable[str]) -> EffectiveSetting:
    return EffectiveSetting(
        tenant=tenant.code, namespace=s.namespace, key=s.key, value=r.value,
        default=s.default, description=s.description,
        source=r.winner.code if r.winner else DEFAULT_SOURCE,
        source_name=r.winner.name if r.winner else None,
        locked=r.locker is not None, locked_by=r.locker.code if r.locker else None,
        overridden_here=r.own is not None,
        shadowed=r.own is not None and r.locker is not None and r.locker is not r.own,
        shadowed_below=tuple(shadowed_below),
    )


async def _overrides_below(session: AsyncSession, tenant: Tenant,
                           keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """Codes of the tenants strictly below ``tenant`` with an override of one of ``keys``."""
    stmt = (select(SettingOverride.namespace, SettingOverride.key, Tenant.code)
            .join(Tenant, Tenant.id == SettingOverride.tenant_id)
            .where(SettingOverride.tenant_path >= tenant.path + "/",
                   SettingOverride.tenant_path < tenant.path + "0",
                   SettingOverride.namespace.in_({ns for ns, _ in keys}),
                   SettingOverride.key.in_({k for _, k in keys}))
            .order_by(SettingOverride.tenant_path))
    found: dict[tuple[str, str], list[str]] = {}
    for ns, key, code in (await session.execute(stmt)).all():
        if (ns, key) in keys:
            found.setdefault((ns, key), []).append(code)
    return found


def _specs(namespace: str | None) -> list[SettingSpec]:
    if namespace is None:
        return [s for entry in _REGISTRY.values() for s in entry.specs.values()]
    entry = _REGISTRY.get(namespace)
    if entry is None:
        raise _unknown(namespace)
    return list(entry.specs.values())


async def _tenant_for(session: AsyncSession, principal: Principal, code: str,
                      *actions: str) -> Tenant:
    tenant = await access_tenant(session, principal, code)
    for action in actions:
        if not can(principal, action, Resource("setting", tenant.path)):
            raise PermissionDenied(f"setting:{action}", tenant.path)
    return tenant


async def effective_settings(session: AsyncSession, principal: Principal, tenant_code: str,
                             namespace: str | None = None) -> list[EffectiveSetting]:
    """Every registered key (of ``namespace``, or all) with its effective value at the tenant."""
    tenant = await _tenant_for(session, principal, tenant_code, "read")
    keys = _specs(namespace)
    return await _view(session, tenant, keys) if keys else []


async def effective_setting(session: AsyncSession, principal: Principal, tenant_code: str,
                            namespace: str, key: str) -> EffectiveSetting:
    """One key's effective value at the tenant."""
    s = spec(namespace, key)
    tenant = await _tenant_for(session, principal, tenant_code, "read")
    return (await _view(session, tenant, [s]))[0]


async def resolve(session: AsyncSession, tenant: Tenant, model: type[M]) -> M:
    """The tenant's effective settings as a ``model`` instance (for services).

    The caller has already established that it may act at ``tenant``; on PostgreSQL the
    session's scope must reach the tenant (its ancestors' rows are readable under RLS).
    """
    ns = namespace_of(model)
    entry = _REGISTRY[ns]
    grouped = await _chain_rows(session, tenant.path, [ns])
    values = {}
    for key, s in entry.specs.items():
        r = _resolve_key(s, grouped.get((ns, key), []), tenant.id)
        if r.winner is not None:
            values[key] = r.value
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise Conflict("setting.inconsistent",
                       f"{tenant.name}（{tenant.code}）的 {ns} 设置相互矛盾：{reason}",
                       f"the {ns} settings of {tenant.code} are inconsistent: {reason}",
                       field=ns) from exc


# ---------------------------------------------------------------- writes


def _check_writable_tenant(tenant: Tenant) -> None:
    if tenant.tier == Tier.PLATFORM.value:
        raise Invalid("setting.platform_root",
                      "平台根节点不保存设置覆盖：各设置项的默认值即平台的值",
                      "the platform root keeps no overrides: the defaults are its values",
                      field="tenant")
    if tenant.status == TenantStatus.MERGED.value:
        raise Conflict("tenant.merged", f"{tenant.name}（{tenant.code}）已撤并，不能修改设置",
                       f"{tenant.code} has been merged; its settings cannot change",
                       field="tenant")


def _locked_above(rows: Sequence[_Row], s: SettingSpec, tenant: Tenant) -> _Row | None:
    return next((r for r in rows if r.override.locked and r.override.tenant_id != tenant.id
                 and s.is_valid(r.override.value)), None)


def _locked_error(s: SettingSpec, locker: _Row) -> Conflict:
    return Conflict(
        "setting.locked",
        f"设置项 {s.namespace}.{s.key} 已被上级 {locker.name}（{locker.code}）锁定，不能修改",
        f"setting {s.namespace}.{s.key} is locked by {locker.code} ({locker.name})",
        field=s.key, locked_by=locker.code,
    )


def _snap(o: SettingOverride | None) -> dict[str, Any] | None:
    return None if o is None else {"value": o.value, "locked": o.locked}


async def _audit(session: AsyncSession, principal: Principal, action: str, tenant: Tenant,
                 s: SettingSpec, before: dict[str, Any] | None,
                 after: dict[str, Any] | None) -> None:
    await audit.record(session, principal, f"setting.{action}", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="setting",
                       target_id=f"{s.namespace}.{s.key}", before=before, after=after)


async def _prepare(session: AsyncSession, principal: Principal, tenant_code: str,
                   namespace: str, key: str, *actions: str
                   ) -> tuple[SettingSpec, Tenant, list[_Row], _Row | None]:
    s = spec(namespace, key)
    tenant = await _tenant_for(session, principal, tenant_code, *actions)
    _check_writable_tenant(tenant)
    rows = (await _chain_rows(session, tenant.path, [namespace], key)).get((namespace, key), [])
    own = next((r for r in rows if r.override.tenant_id == tenant.id), None)
    return s, tenant, rows, own


async def set_setting(session: AsyncSession, principal: Principal, tenant_code: str,
                      namespace: str, key: str, value: Any) -> EffectiveSetting:
    """Override ``namespace.key`` at the tenant (for its subtree, unless locked above)."""
    s, tenant, rows, own = await _prepare(session, principal, tenant_code, namespace, key,
                                          "write")
    stored = s.validate(value)
    locker = _locked_above(rows, s, tenant)
    if locker is not None:
        raise _locked_error(s, locker)
    before = _snap(own.override if own else None)
    if own is None:
        row = SettingOverride(tenant_id=tenant.id, tenant_path=tenant.path, namespace=namespace,
                              key=key, value=stored, locked=False, updated_by=principal.username)
        session.add(row)
    else:
        row = own.override
        if row.value == stored:
            return (await _view(session, tenant, [s]))[0]
        row.value, row.updated_by = stored, principal.username
    await session.flush()
    await _audit(session, principal, "set", tenant, s, before, _snap(row))
    return (await _view(session, tenant, [s]))[0]


async def unset_setting(session: AsyncSession, principal: Principal, tenant_code: str,
                        namespace: str, key: str) -> EffectiveSetting:
    """Remove the tenant's override of ``namespace.key`` (a no-op when there is none)."""
    s, tenant, _rows, own = await _prepare(session, principal, tenant_code, namespace, key,
                                           "write")
    if own is not None:
        if own.override.locked and not can(principal, "lock", Resource("setting", tenant.path)):
            raise PermissionDenied("setting:lock", tenant.path)
        before = _snap(own.override)
        await session.delete(own.override)
        await session.flush()
        await _audit(session, principal, "unset", tenant, s, before, None)
    return (await _view(session, tenant, [s]))[0]


_KEEP = object()


async def lock_setting(session: AsyncSession, principal: Principal, tenant_code: str,
                       namespace: str, key: str, value: Any = _KEEP) -> EffectiveSetting:
    """Lock ``namespace.key`` at the tenant for its whole subtree.

    Without ``value`` the current effective value at the tenant is fixed; with one, it is
    validated and set too (needs ``setting:write`` as well). The result's
    ``shadowed_below`` names the tenants whose overrides the lock now hides.
    """
    actions = ("lock",) if value is _KEEP else ("lock", "write")
    s, tenant, rows, own = await _prepare(session, principal, tenant_code, namespace, key,
                                          *actions)
    stored = None if value is _KEEP else s.validate(value)
    locker = _locked_above(rows, s, tenant)
    if locker is not None:
        raise _locked_error(s, locker)
    if value is _KEEP:
        stored = _resolve_key(s, rows, tenant.id).value
    before = _snap(own.override if own else None)
    if own is None:
        row = SettingOverride(tenant_id=tenant.id, tenant_path=tenant.path, namespace=namespace,
                              key=key, value=stored, locked=True, updated_by=principal.username)
        session.add(row)
    else:
        row = own.override
        if row.locked and row.value == stored:
            return (await _view(session, tenant, [s]))[0]
        row.value, row.locked, row.updated_by = stored, True, principal.username
    await session.flush()
    view = (await _view(session, tenant, [s]))[0]
    after = {**(_snap(row) or {}), "shadowed_below": list(view.shadowed_below)}
    await _audit(session, principal, "lock", tenant, s, before, after)
    return view


async def unlock_setting(session: AsyncSession, principal: Principal, tenant_code: str,
                         namespace: str, key: str) -> EffectiveSetting:
    """Drop the tenant's lock; its value stays as an ordinary override (no-op if unlocked)."""
    s, tenant, rows, own = await _prepare(session, principal, tenant_code, namespace, key,
                                          "lock")
    locker = _locked_above(rows, s, tenant)
    if locker is not None:
        raise _locked_error(s, locker)
    if own is not None and own.override.locked:
        before = _snap(own.override)
        own.override.locked, own.override.updated_by = False, principal.username
        await session.flush()
        await _audit(session, principal, "unlock", tenant, s, before, _snap(own.override))
    return (await _view(session, tenant, [s]))[0]


def defaults(namespace: str) -> Mapping[str, Any]:
    """The JSON form of every default of ``namespace`` (``setting.unknown_key`` if unknown)."""
    return {s.key: s.default for s in _specs(namespace)}


# ---------------------------------------------------------------- batches (GraphQL loaders)


async def effective_settings_many(session: AsyncSession, tenants: Sequence[Tenant],
                                  namespace: str | None = None
                                  ) -> dict[uuid.UUID, list[EffectiveSetting]]:
    """The effective settings of many tenants in two queries whatever their number.

    For DataLoaders: the caller has checked ``setting:read`` at each tenant. Same answers
    as ``effective_settings`` tenant by tenant.
    """
    keys = _specs(namespace)
    if not tenants or not keys:
        return {t.id: [] for t in tenants}
    namespaces = {s.namespace for s in keys}
    paths = sorted({p for t in tenants for p in _chain(t.path)})
    stmt = (select(SettingOverride, Tenant.code, Tenant.name)
            .join(Tenant, Tenant.id == SettingOverride.tenant_id)
            .where(SettingOverride.tenant_path.in_(paths),
                   SettingOverride.namespace.in_(list(namespaces))))
    by_path: dict[str, list[_Row]] = {}
    for override, code, name in (await session.execute(stmt)).all():
        by_path.setdefault(override.tenant_path, []).append(_Row(override, code, name))
    resolved: dict[uuid.UUID, dict[tuple[str, str], _Resolved]] = {}
    locked_here: dict[uuid.UUID, set[tuple[str, str]]] = {}
    for tenant in tenants:
        grouped: dict[tuple[str, str], list[_Row]] = {}
        for path in _chain(tenant.path):  # top first
            for row in by_path.get(path, []):
                grouped.setdefault((row.override.namespace, row.override.key), []).append(row)
        resolved[tenant.id] = {(s.namespace, s.key): _resolve_key(
            s, grouped.get((s.namespace, s.key), []), tenant.id) for s in keys}
        locked_here[tenant.id] = {k for k, r in resolved[tenant.id].items()
                                  if r.locker is not None
                                  and r.locker.override.tenant_id == tenant.id}
    below = await _overrides_below_many(session, [t for t in tenants if locked_here[t.id]],
                                        locked_here)
    return {tenant.id: [_effective(tenant, s, resolved[tenant.id][(s.namespace, s.key)],
                                   below.get((tenant.id, s.namespace, s.key), ()))
                        for s in keys] for tenant in tenants}


async def _overrides_below_many(session: AsyncSession, tenants: Sequence[Tenant],
                                keys: Mapping[uuid.UUID, set[tuple[str, str]]]
                                ) -> dict[tuple[uuid.UUID, str, str], list[str]]:
    if not tenants:
        return {}
    ranges = [(SettingOverride.tenant_path >= t.path + "/")
              & (SettingOverride.tenant_path < t.path + "0") for t in tenants]
    all_keys = {k for t in tenants for k in keys[t.id]}
    stmt = (select(SettingOverride.namespace, SettingOverride.key, SettingOverride.tenant_path,
                   Tenant.code)
            .join(Tenant, Tenant.id == SettingOverride.tenant_id)
            .where(or_(*ranges), SettingOverride.namespace.in_({ns for ns, _ in all_keys}),
                   SettingOverride.key.in_({k for _, k in all_keys}))
            .order_by(SettingOverride.tenant_path))
    found: dict[tuple[uuid.UUID, str, str], list[str]] = {}
    for ns, key, path, code in (await session.execute(stmt)).all():
        for t in tenants:
            if (ns, key) in keys[t.id] and path.startswith(t.path + "/"):
                found.setdefault((t.id, ns, key), []).append(code)
    return found
