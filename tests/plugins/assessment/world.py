"""The assessment test world: the divisions of ``tests/world.py`` (宁国市 with its townships
方塘乡 and 港口镇, 方塘乡's villages 方塘村 and 双村, the sibling county 宣州区, 二连浩特市 of
another province), assessment enabled at 宣城市, and a fake plugin ``probe`` whose metrics
answer values set by the test per tenant path (``VALUES``), so every scoring rule can be
checked by hand.

Staff: assessors at 宁国市, 宣城市, 宣州区 and (to attack from below) 方塘乡; 宁国市's admin and
window clerk; 二连浩特市's admin.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.world import build_world
from zhengwu.core.hooks import hookimpl
from zhengwu.core.plugin_api import MetricSpec, MetricValue, Period, PluginInfo
from zhengwu.core.security import grants, passwords, users
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.tenants import enablement

passwords.use_fast_parameters()

SYSTEM = Principal.system("tester")
PASSWORD = "Assess-The-Halls-2026!"
CITY, COUNTY, TOWNSHIP = "3418", "341881", "341881204"
SIBLING_TOWNSHIP, SIBLING_COUNTY, OTHER_COUNTY = "341881100", "341802", "152501"
VILLAGE, SIBLING_VILLAGE = "341881204200", "341881204201"
PATHS = {
    CITY: "34/3418", COUNTY: "34/3418/341881", TOWNSHIP: "34/3418/341881/341881204",
    SIBLING_TOWNSHIP: "34/3418/341881/341881100", SIBLING_COUNTY: "34/3418/341802",
    OTHER_COUNTY: "15/1525/152501",
}
TIER = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}
STAFF = {
    "ng_assessor": (COUNTY, "assessor"),
    "xc_assessor": (CITY, "assessor"),
    "xz_assessor": (SIBLING_COUNTY, "assessor"),
    "ft_assessor": (TOWNSHIP, "assessor"),
    "ng_admin": (COUNTY, "county_admin"),
    "ng_clerk": (COUNTY, "window_clerk"),
    "el_admin": (OTHER_COUNTY, "county_admin"),
}

VALUES: dict[str, dict[str, Any]] = {}
"""metric name (``probe.a`` …) → tenant path → value; a path not listed answers None, an
exception is raised."""
PROBE_METRICS = {"probe.a": True, "probe.b": True, "probe.low": False, "probe.count": False}


def _compute(name: str) -> Any:
    async def compute(session: Any, tenant_path: str, period: Period) -> MetricValue:
        value = VALUES.get(name, {}).get(tenant_path)
        if isinstance(value, Exception):  # a metric that fails half-way through a run
            raise value
        return MetricValue(value=value)
    return compute


class ProbePlugin:
    """Metrics with values the test chooses (lower is better for ``probe.low``/``probe.count``)."""

    @hookimpl
    def zhengwu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="probe", version="1.0", title_zh="测试指标", title_en="probe")

    @hookimpl
    def zhengwu_metrics(self) -> list[MetricSpec]:
        return [MetricSpec(name, "probe", name, _compute(name), "", hib)
                for name, hib in PROBE_METRICS.items()]


PROBE = ProbePlugin()


def principal(username: str) -> Principal:
    code, role = STAFF[username]
    path = PATHS[code]
    return Principal(None, username, None, path, None, path, TIER[len(code)],
                     (GrantRef(role, path),))


def boot_with_probe() -> Any:
    import zhengwu.plugins.assessment as assessment
    from zhengwu.platform import boot

    return boot([assessment, PROBE], entry_points=False)


async def build_assessment_world(session: AsyncSession, settings: Any = None,
                                 with_users: bool = False) -> None:
    boot_with_probe()
    await build_world(session)
    await enablement.enable_plugin(session, SYSTEM, CITY, "assessment")
    if with_users:
        for username, (code, role) in STAFF.items():
            user = await users.create_user(session, SYSTEM, users.NewUser(username, code, PASSWORD),
                                           settings=settings)
            await grants.grant_role(session, SYSTEM, user.id, role, code)
    await session.commit()
