"""Per-tenant enablement of plugins, on top of the settings cascade.

Each installed plugin is a boolean key of the settings namespace ``plugins`` (default off).
So enablement inherits down the tree and locks like any setting:

* a county centre *enables* a plugin for itself and its subtree (an override ``True``);
* an upper tier makes it *mandatory* (locked ``True``) or *forbidden* (locked ``False``)
  for its whole subtree;
* a plugin is *active* at a tenant when its effective switch is on and the tenant's tier is
  one the plugin serves (``PluginInfo.tiers``). Enabling at a tier above the served ones is
  how a county turns a village-only plugin on for its villages.

A plugin's requirements (``PluginInfo.requires``) must be on wherever it is enabled:
enabling one whose requirement is off is ``plugin.requirement_disabled``; disabling a
requirement that an enabled plugin needs is ``plugin.required_by``. Enabling changes
behaviour only, never the database schema. This module never imports a plugin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, create_model
from sqlalchemy import and_, false, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.errors import Conflict, Invalid, PermissionDenied
from zhengwu.core.plugin_api import PluginInfo
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.codes import Tier
from zhengwu.tenants.models import SettingOverride, Tenant
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "NAMESPACE",
    "EnabledScope",
    "PluginState",
    "active_plugins",
    "disable_plugin",
    "enable_plugin",
    "enabled_scope",
    "install",
    "installed",
    "plugin_states",
    "reset_plugin",
]

NAMESPACE = "plugins"
_installed: dict[str, PluginInfo] = {}
_switches: type[BaseModel] | None = None


def install(infos: Iterable[PluginInfo]) -> None:
    """Register the switches of the installed plugins and each plugin's settings model.

    Called once by the plugin host after loading (again in tests with other plugins).
    """
    global _switches
    infos = list(infos)
    tenant_settings.unregister(NAMESPACE)
    for name in list(_installed):
        if name not in {i.name for i in infos}:
            tenant_settings.unregister(name)
    _installed.clear()
    _installed.update({i.name: i for i in infos})
    fields: dict[str, object] = {
        i.name: (bool, Field(False, description=f"启用插件：{i.title_zh}")) for i in infos
    }
    _switches = create_model("PluginSwitches", **fields)  # type: ignore[call-overload]
    tenant_settings.register(NAMESPACE, _switches)
    for info in infos:
        if info.settings is not None:
            tenant_settings.register(info.name, info.settings)


def installed() -> dict[str, PluginInfo]:
    return dict(_installed)


def _info(name: str) -> PluginInfo:
    info = _installed.get(name)
    if info is None:
        raise Invalid("plugin.unknown", f"未安装插件 {name}", f"no plugin named {name!r} is installed",
                      field="plugin")
    return info


async def active_plugins(session: AsyncSession, tenant: Tenant) -> frozenset[str]:
    """Plugins active at ``tenant``: switched on (effective value) and serving its tier."""
    if not _installed or _switches is None:
        return frozenset()
    values = (await tenant_settings.resolve(session, tenant, _switches)).model_dump()
    return frozenset(n for n, on in values.items()
                     if on and tenant.tier in _installed[n].tiers)


@dataclass(frozen=True)
class PluginState:
    """A plugin as one tenant sees it."""

    name: str
    title_zh: str
    title_en: str
    version: str
    tiers: tuple[str, ...]
    requires: tuple[str, ...]
    switched_on: bool
    active: bool
    source: str
    locked: bool
    locked_by: str | None

    @property
    def mandatory(self) -> bool:
        return self.locked and self.switched_on

    @property
    def forbidden(self) -> bool:
        return self.locked and not self.switched_on


async def plugin_states(session: AsyncSession, principal: Principal,
                        tenant_code: str) -> list[PluginState]:
    """Every installed plugin with its state at the tenant (needs ``plugin:read``)."""
    tenant = await access_tenant(session, principal, tenant_code)
    if not can(principal, "read", Resource("plugin", tenant.path)):
        raise PermissionDenied("plugin:read", tenant.path)
    if not _installed:
        return []
    view = await tenant_settings.effective_settings(session, principal, tenant.code, NAMESPACE)
    out = []
    for eff in view:
        info = _installed[eff.key]
        out.append(PluginState(
            name=info.name, title_zh=info.title_zh, title_en=info.title_en,
            version=info.version, tiers=info.tiers, requires=info.requires,
            switched_on=bool(eff.value), active=bool(eff.value) and tenant.tier in info.tiers,
            source=eff.source, locked=eff.locked, locked_by=eff.locked_by,
        ))
    return out


def _check_tier(info: PluginInfo, tenant: Tenant) -> None:
    lowest = max(Tier(t).depth for t in info.tiers)
    if Tier(tenant.tier).depth > lowest:
        raise Invalid("plugin.tier_not_served",
                      f"插件 {info.title_zh} 只服务于 {'、'.join(Tier(t).zh for t in info.tiers)}，"
                      f"不能在{Tier(tenant.tier).zh}启用",
                      f"plugin {info.name} serves {', '.join(info.tiers)}; it cannot be enabled "
                      f"at a {tenant.tier}", field="plugin")


async def _prepare(session: AsyncSession, principal: Principal, tenant_code: str,
                   name: str) -> tuple[PluginInfo, Tenant]:
    info = _info(name)
    tenant = await access_tenant(session, principal, tenant_code)
    if not can(principal, "manage", Resource("plugin", tenant.path)):
        raise PermissionDenied("plugin:manage", tenant.path)
    return info, tenant


async def _state(session: AsyncSession, principal: Principal, tenant: Tenant,
                 name: str) -> PluginState:
    return next(s for s in await plugin_states(session, principal, tenant.code) if s.name == name)


async def enable_plugin(session: AsyncSession, principal: Principal, tenant_code: str,
                        name: str, *, mandatory: bool = False) -> PluginState:
    """Turn ``name`` on for the tenant and its subtree; ``mandatory`` locks it on."""
    info, tenant = await _prepare(session, principal, tenant_code, name)
    _check_tier(info, tenant)
    switched = await _switched_on(session, tenant)
    missing = [r for r in info.requires if r not in switched]
    if missing:
        raise Conflict("plugin.requirement_disabled",
                       f"插件 {info.title_zh} 依赖的插件未在此启用：{', '.join(missing)}",
                       f"plugin {name} requires {', '.join(missing)}, not enabled here",
                       field="plugin", missing=missing)
    await _switch(session, principal, tenant, name, True, lock=mandatory)
    return await _state(session, principal, tenant, name)


async def disable_plugin(session: AsyncSession, principal: Principal, tenant_code: str,
                         name: str, *, forbid: bool = False) -> PluginState:
    """Turn ``name`` off for the tenant and its subtree; ``forbid`` locks it off."""
    _, tenant = await _prepare(session, principal, tenant_code, name)
    switched = await _switched_on(session, tenant)
    dependants = [n for n in switched if name in _installed[n].requires]
    if dependants:
        raise Conflict("plugin.required_by",
                       f"插件 {name} 被已启用的插件依赖：{', '.join(sorted(dependants))}",
                       f"plugin {name} is required by enabled {', '.join(sorted(dependants))}",
                       field="plugin", dependants=sorted(dependants))
    await _switch(session, principal, tenant, name, False, lock=forbid)
    return await _state(session, principal, tenant, name)


async def reset_plugin(session: AsyncSession, principal: Principal, tenant_code: str,
                       name: str) -> PluginState:
    """Drop the tenant's own switch (and lock): it inherits from above again."""
    _, tenant = await _prepare(session, principal, tenant_code, name)
    await tenant_settings.unlock_setting(session, principal, tenant.code, NAMESPACE, name)
    await tenant_settings.unset_setting(session, principal, tenant.code, NAMESPACE, name)
    return await _state(session, principal, tenant, name)


async def _switched_on(session: AsyncSession, tenant: Tenant) -> set[str]:
    if _switches is None:
        return set()
    values = (await tenant_settings.resolve(session, tenant, _switches)).model_dump()
    return {n for n, on in values.items() if on}


async def _switch(session: AsyncSession, principal: Principal, tenant: Tenant, name: str,
                  on: bool, *, lock: bool) -> None:
    view = await tenant_settings.effective_setting(session, principal, tenant.code, NAMESPACE,
                                                   name)
    if lock:
        await tenant_settings.lock_setting(session, principal, tenant.code, NAMESPACE, name, on)
        return
    if view.locked and view.locked_by == tenant.code:
        await tenant_settings.unlock_setting(session, principal, tenant.code, NAMESPACE, name)
    await tenant_settings.set_setting(session, principal, tenant.code, NAMESPACE, name, on)


@dataclass(frozen=True)
class EnabledScope:
    """Where a plugin is switched on, for set-based jobs: ``clause(column)`` filters rows.

    Built from the plugin's switch overrides (few rows: one per tenant that decided). The
    effective switch of any tenant is that of its nearest ancestor-or-self that decided
    (locks are already folded into each decider's effective value). The tier filter
    (``PluginInfo.tiers``) is the job's concern.
    """

    plugin: str
    deciders: tuple[tuple[str, bool], ...]  # (path, effective value), shallow first

    def is_enabled(self, path: str) -> bool:
        value = False
        for root, on in self.deciders:
            if path == root or path.startswith(root + "/"):
                value = on  # deeper deciders come later and win
        return value

    def clause(self, column: Any) -> Any:
        """SQL condition on a ``tenant_path`` column: rows where the plugin is switched on.

        A row is on when its nearest deciding ancestor-or-self decided on: the union, over
        the deciders that are on, of their subtree minus the subtrees of the deciders
        nearest below them.
        """
        def within(root: str) -> Any:
            return (column == root) | ((column >= root + "/") & (column < root + "0"))

        parts = []
        for root, on in self.deciders:
            if not on:
                continue
            below = [p for p, _ in self.deciders if p.startswith(root + "/")]
            nearest = [p for p in below if not any(p.startswith(q + "/") for q in below)]
            cond = within(root)
            parts.append(and_(cond, not_(or_(*[within(p) for p in nearest]))) if nearest else cond)
        return or_(*parts) if parts else false()


async def enabled_scope(session: AsyncSession, name: str) -> EnabledScope:
    """The deciding tenants of ``name`` (operator scope: every tenant's switch)."""
    _info(name)
    rows = (await session.execute(
        select(SettingOverride.tenant_path, SettingOverride.value, SettingOverride.locked)
        .where(SettingOverride.namespace == NAMESPACE, SettingOverride.key == name)
        .order_by(SettingOverride.tenant_path))).all()
    deciders: list[tuple[str, bool]] = []
    for path, value, _locked in rows:
        chain = [r for r in rows if path == r[0] or path.startswith(r[0] + "/")]
        lock = next((r for r in chain if r[2]), None)  # topmost lock on the chain wins
        deciders.append((path, bool(lock[1] if lock is not None else value)))
    deciders.sort(key=lambda d: d[0].count("/"))
    return EnabledScope(name, tuple(deciders))
