"""Small in-process plugins for tests of the plugin host, enablement and GraphQL."""

from __future__ import annotations

from pydantic import BaseModel, Field

from zhengwu.core.hooks import hookimpl
from zhengwu.core.plugin_api import PermissionsContribution, PluginInfo


class AlphaSettings(BaseModel):
    greeting: str = Field("您好", description="问候语")


def make_plugin(name: str, *, tiers=("county", "township", "village"), requires=(),
                settings=None, permissions=(), grants=None) -> object:
    info = PluginInfo(name=name, version="1.0", title_zh=f"测试插件{name}", title_en=f"test {name}",
                      tiers=tuple(tiers), requires=tuple(requires), settings=settings)

    class Plugin:
        @hookimpl
        def zhengwu_plugin_info(self):
            return info

        @hookimpl
        def zhengwu_permissions(self):
            return PermissionsContribution(plugin=name, permissions=tuple(permissions),
                                           default_grants=grants or {})

    plugin = Plugin()
    return plugin


