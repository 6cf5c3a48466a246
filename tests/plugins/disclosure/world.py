"""The disclosure test world: 宣城市 (city) with 宁国市 (county) and 方塘乡 (township), their
siblings 宣州区 and 港口镇, and 二连浩特市 of another province; disclosure enabled at 宣城市 (so
its counties and townships too), not at 二连浩特市; the national calendar 2024–2026; editors,
reviewers and approvers at 宁国市 and 方塘乡, admins, a supervisor and an assessor.

Services take a ``Principal`` built like a request builds it (``principal(username)``); tests
freeze the clock with ``at(y, m, d)`` (Shanghai time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.world import build_world
from zhengwu.core import clock
from zhengwu.core.calendar.service import seed_national
from zhengwu.core.security import grants, passwords, users
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.tenants import enablement

passwords.use_fast_parameters()

SYSTEM = Principal.system("tester")
PASSWORD = "Open-Government-2019!"

CITY, COUNTY, TOWNSHIP = "3418", "341881", "341881204"
SIBLING_TOWNSHIP, SIBLING_COUNTY, OTHER_COUNTY = "341881100", "341802", "152501"

PATHS = {
    CITY: "34/3418", COUNTY: "34/3418/341881", TOWNSHIP: "34/3418/341881/341881204",
    SIBLING_TOWNSHIP: "34/3418/341881/341881100", SIBLING_COUNTY: "34/3418/341802",
    OTHER_COUNTY: "15/1525/152501",
}
TIER = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}

# username → (home tenant, role)
STAFF = {
    "xc_admin": (CITY, "city_admin"),
    "ng_admin": (COUNTY, "county_admin"),
    "ng_editor": (COUNTY, "disclosure_editor"),
    "ng_reviewer": (COUNTY, "disclosure_reviewer"),
    "ng_approver": (COUNTY, "disclosure_approver"),
    "ng_supervisor": (COUNTY, "supervisor"),
    "ng_assessor": (COUNTY, "assessor"),
    "ng_clerk": (COUNTY, "window_clerk"),           # no disclosure role at all
    "ft_editor": (TOWNSHIP, "disclosure_editor"),
    "ft_reviewer": (TOWNSHIP, "disclosure_reviewer"),
    "ft_approver": (TOWNSHIP, "disclosure_approver"),
    "gk_editor": (SIBLING_TOWNSHIP, "disclosure_editor"),  # 港口镇 (sibling township)
    "xz_editor": (SIBLING_COUNTY, "disclosure_editor"),    # 宣州区 (sibling county)
    "xz_admin": (SIBLING_COUNTY, "county_admin"),
    "el_admin": (OTHER_COUNTY, "county_admin"),            # 二连浩特市 (not enabled)
}


def principal(username: str) -> Principal:
    """A principal acting at the person's home tenant with their grant (as a request has)."""
    code, role = STAFF[username]
    path = PATHS[code]
    return Principal(None, username, None, path, None, path, TIER[len(code)],
                     (GrantRef(role, path),))


def at(y: int, m: int, d: int, hour: int = 10) -> Any:
    """Freeze the clock at ``hour`` o'clock Shanghai time on that day."""
    return clock.freeze(datetime(y, m, d, hour - 8, 0, tzinfo=UTC))


async def build_disclosure_world(session: AsyncSession, settings: Any = None,
                                 with_users: bool = False) -> None:
    """Divisions, the national calendar, disclosure enabled at 宣城市 (and optionally users)."""
    from zhengwu.platform import boot

    boot()
    await build_world(session)
    await seed_national(session, range(2024, 2027))  # tests truncate every table, the calendar too
    await enablement.enable_plugin(session, SYSTEM, CITY, "disclosure")
    if with_users:
        for username, (code, role) in STAFF.items():
            user = await users.create_user(session, SYSTEM, users.NewUser(username, code, PASSWORD),
                                           settings=settings)
            await grants.grant_role(session, SYSTEM, user.id, role, code)
    await session.commit()
