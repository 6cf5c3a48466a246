"""The supervision test world: intake's world (宁国市 with 方塘乡 and its villages, items, staff of
every role) plus supervision enabled at 宣城市 — so both counties, 宁国市 and its sibling 宣州区,
have it — and supervisors at every tier that watches: the city, both counties, 方塘乡 and its
sibling 港口镇, and another province's county.

Tests drive cases through intake's services (tests may import intake; the plugin may not) on
a frozen clock and watch the cards supervision raises.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.plugins.intake.world import (
    _PATHS,
    _TIER,
    COUNTY,
    OTHER_COUNTY,
    PASSWORD,
    SIBLING_COUNTY,
    SIBLING_TOWNSHIP,
    STAFF,
    SYSTEM,
    TOWNSHIP,
    build_intake_world,
)
from zhengwu.core import clock
from zhengwu.core.security import grants, users
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.plugins.supervision.models import Alert, WatchedCase
from zhengwu.tenants import enablement

CITY = "3418"
PATHS = {**_PATHS, CITY: "34/3418"}
SUPERVISORS = {
    "xc_supervisor": (CITY, "supervisor"),             # 宣城市
    "ng_supervisor": (COUNTY, "supervisor"),           # 宁国市 (in intake's STAFF already)
    "ft_supervisor": (TOWNSHIP, "supervisor"),         # 方塘乡
    "gk_supervisor": (SIBLING_TOWNSHIP, "supervisor"),  # 港口镇 (sibling township)
    "xz_supervisor": (SIBLING_COUNTY, "supervisor"),   # 宣州区 (sibling county)
    "el_supervisor": (OTHER_COUNTY, "supervisor"),     # 二连浩特市 (other province)
}
EVERYONE = {**STAFF, **SUPERVISORS}
_TIERS = {**_TIER, 4: "city"}

MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday 28 Sep 2026, 10:00 in Shanghai


def at(y: int, m: int, d: int, hour: int = 10) -> Any:
    """Freeze the clock at ``hour`` o'clock Shanghai time on that day."""
    return clock.freeze(datetime(y, m, d, hour - 8, 0, tzinfo=UTC))


def principal(username: str) -> Principal:
    """A principal acting at the person's home tenant with their grant (as a request has)."""
    code, role = EVERYONE[username]
    path = PATHS[code]
    return Principal(None, username, None, path, None, path, _TIERS[len(code)],
                     (GrantRef(role, path),))


async def build_supervision_world(session: AsyncSession, settings: Any = None,
                                  with_users: bool = True) -> None:
    await build_intake_world(session, settings, with_users=with_users)
    await enablement.enable_plugin(session, SYSTEM, CITY, "supervision")
    if with_users:
        for username, (code, role) in SUPERVISORS.items():
            if username in STAFF:
                continue
            user = await users.create_user(session, SYSTEM, users.NewUser(username, code, PASSWORD),
                                           settings=settings)
            await grants.grant_role(session, SYSTEM, user.id, role, code)
    await session.commit()


async def cards(session: AsyncSession, case_id: Any = None, *, live: bool = True) -> list[tuple[str, str]]:
    """(reason, ref) of the cards (of one case), live ones only by default, sorted."""
    q = select(Alert.reason, Alert.ref)
    if case_id is not None:
        q = q.where(Alert.case_id == case_id)
    if live:
        q = q.where(Alert.cleared_at.is_(None))
    return sorted((await session.execute(q)).all())  # type: ignore[arg-type]


async def watched(session: AsyncSession, case_id: Any) -> WatchedCase:
    session.expire_all()
    row = await session.get(WatchedCase, case_id)
    assert row is not None
    return row
