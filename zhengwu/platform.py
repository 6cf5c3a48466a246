"""Start-up of the platform in any process (server, worker, CLI): plugins and policy.

``boot()`` loads the plugins, rebuilds the casbin policy with their permissions, and
registers their settings and enablement switches. Call it once per process; tests call
it with their own plugin objects.
"""

from __future__ import annotations

from collections.abc import Iterable

from zhengwu.core.plugin_host import PluginHost, load_plugins
from zhengwu.tenants import enablement

__all__ = ["boot"]


def boot(extra: Iterable[object] = (), *, entry_points: bool = True) -> PluginHost:
    host = load_plugins(extra, entry_points=entry_points)
    host.apply_permissions()
    enablement.install(host.infos.values())
    return host
