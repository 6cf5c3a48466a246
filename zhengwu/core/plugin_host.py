"""The plugin host: finds plugins, checks them, and hands their contributions to the core.

Plugins are found through the entry-point group ``zhengwu.plugins`` (built-in plugins are
registered the same way in pyproject.toml), or passed explicitly (tests). The host checks
each plugin once at load: it must say who it is (``zhengwu_plugin_info``), names are
unique, required plugins are installed, and its tenant-owned tables carry
``tenant_id``/``tenant_path``. Per-tenant enablement lives in ``zhengwu.core.enablement``.

The host never imports a plugin by name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pluggy

from zhengwu.core import hooks
from zhengwu.core.db import Base
from zhengwu.core.errors import Invalid
from zhengwu.core.plugin_api import (
    CliContribution,
    GraphQLContribution,
    JobSpec,
    MetricSpec,
    PermissionsContribution,
    PluginInfo,
    SchemaContribution,
)
from zhengwu.core.security.rbac import policy

__all__ = ["ENTRY_POINT_GROUP", "PluginError", "PluginHost", "current_host", "load_plugins"]

ENTRY_POINT_GROUP = "zhengwu.plugins"
log = logging.getLogger("zhengwu.plugins")


class PluginError(Invalid):
    """A plugin is malformed or its requirements are not met (raised at load)."""


@dataclass
class PluginHost:
    """Loaded plugins and their contributions (built once per process)."""

    pm: pluggy.PluginManager
    infos: dict[str, PluginInfo] = field(default_factory=dict)

    @property
    def hook(self) -> Any:
        return self.pm.hook

    @property
    def names(self) -> list[str]:
        return sorted(self.infos)

    def info(self, name: str) -> PluginInfo:
        try:
            return self.infos[name]
        except KeyError:
            raise Invalid("plugin.unknown", f"未安装插件 {name}", f"no plugin named {name!r} is "
                          "installed", field="plugin") from None

    def schemas(self) -> list[SchemaContribution]:
        return list(self.pm.hook.zhengwu_schema())

    def migration_locations(self) -> list[str]:
        return [s.migrations for s in self.schemas() if s.migrations]

    def permissions(self) -> list[PermissionsContribution]:
        return list(self.pm.hook.zhengwu_permissions())

    def graphql(self, tier: str) -> list[GraphQLContribution]:
        """Contributions for ``tier``, only from plugins that serve it."""
        out: list[GraphQLContribution] = []
        for impl in self.pm.hook.zhengwu_graphql.get_hookimpls():
            info = self.infos.get(impl.plugin_name)
            if info is None or tier not in info.tiers:
                continue
            contribution = cast("GraphQLContribution | None", impl.function(tier=tier))
            if contribution is not None:
                out.append(contribution)
        return out

    def routes(self) -> list[Any]:
        return [r for routes in self.pm.hook.zhengwu_routes() for r in routes]

    def cli(self) -> list[CliContribution]:
        """Command groups and demo steps of the plugins, in plugin-name order."""
        return sorted(self.pm.hook.zhengwu_cli(), key=lambda c: c.plugin)

    def jobs(self) -> list[JobSpec]:
        return [j for jobs in self.pm.hook.zhengwu_jobs() for j in jobs]

    def metrics(self) -> dict[str, MetricSpec]:
        out: dict[str, MetricSpec] = {}
        for specs in self.pm.hook.zhengwu_metrics():
            for spec in specs:
                if spec.name in out:
                    raise PluginError("plugin.duplicate_metric", f"指标名称重复：{spec.name}",
                                      f"metric {spec.name!r} is defined twice")
                out[spec.name] = spec
        return out

    def apply_permissions(self) -> None:
        """Rebuild the casbin policy with every plugin's permissions, grants and roles."""
        contributions = self.permissions()
        grants: dict[str, list[str]] = {}
        for c in contributions:
            for role, perms in c.default_grants.items():
                grants.setdefault(role, []).extend(perms)
        policy.load(extra_roles=[r for c in contributions for r in c.roles],
                    extra_permissions=[p for c in contributions for p in c.permissions],
                    plugin_grants=grants)


_current: PluginHost | None = None


def current_host() -> PluginHost | None:
    """The host loaded last in this process (None before start-up): services announce
    facts through it without being handed the host."""
    return _current


def load_plugins(extra: Iterable[object] = (), *, entry_points: bool = True,
                 blocked: Sequence[str] = (), make_current: bool = True) -> PluginHost:
    """Discover, register and check plugins. ``extra`` adds plugin objects (tests).

    ``make_current=False`` leaves ``current_host()`` alone (the CLI reads the plugins' command
    groups while it is assembled, before a command boots the platform).
    """
    pm = pluggy.PluginManager(hooks.PROJECT)
    pm.add_hookspecs(hooks)
    candidates: list[tuple[str | None, object]] = []
    if entry_points:
        from importlib.metadata import entry_points as _eps

        for ep in _eps(group=ENTRY_POINT_GROUP):
            if ep.name in blocked:
                continue
            candidates.append((ep.name, ep.load()))
    candidates.extend((None, obj) for obj in extra)
    host = PluginHost(pm)
    for ep_name, obj in candidates:
        impl = getattr(obj, "zhengwu_plugin_info", None)
        if impl is None:
            raise PluginError("plugin.no_info", f"插件 {ep_name or obj} 未实现 zhengwu_plugin_info",
                              f"plugin {ep_name or obj!r} does not implement zhengwu_plugin_info")
        info: PluginInfo = impl()
        if info.name in host.infos:
            raise PluginError("plugin.duplicate_name", f"插件名称重复：{info.name}",
                              f"two plugins are named {info.name!r}")
        pm.register(obj, name=info.name)
        host.infos[info.name] = info
    for info in host.infos.values():
        missing = [r for r in info.requires if r not in host.infos]
        if missing:
            raise PluginError("plugin.missing_requirement",
                              f"插件 {info.name} 依赖未安装的插件：{', '.join(missing)}",
                              f"plugin {info.name!r} requires {', '.join(missing)}, not installed")
    _check_tables(host.schemas())
    if make_current:
        global _current
        _current = host
    log.info("plugins loaded: %s", ", ".join(host.names) or "(none)")
    return host


def _check_tables(schemas: list[SchemaContribution]) -> None:
    for schema in schemas:
        for name in schema.tables:
            table = Base.metadata.tables.get(name)
            if table is None:
                raise PluginError("plugin.unknown_table",
                                  f"插件 {schema.plugin} 声明的表 {name} 不在元数据中",
                                  f"plugin {schema.plugin!r} declares table {name!r} that is "
                                  "not in the shared metadata")
            if "tenant_path" in table.c and "tenant_id" not in table.c:
                raise PluginError("plugin.table_without_tenant",
                                  f"表 {name} 有 tenant_path 但缺少 tenant_id",
                                  f"table {name!r} has tenant_path but no tenant_id")
