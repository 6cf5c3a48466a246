"""``zhengwu demo``: provision 宣城市 (3418) with users of every role, venues and windows.

The divisions come from the cut of the national table shipped with the package
(``zhengwu/data/divisions-3418.csv``: 安徽省 and the 982 divisions of 宣城市), so a fresh
machine needs nothing else. Then every plugin's demo step runs (hook ``zhengwu_cli``, e.g.
intake's day of cases at 宁国市 and 方塘乡). Running it again changes nothing (idempotent).
"""

from __future__ import annotations

import os
from importlib import resources

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.cli import _runtime
from zhengwu.cli._runtime import console, operator_session, run_async
from zhengwu.core.config import Settings
from zhengwu.core.security import grants, users
from zhengwu.core.security.models import User
from zhengwu.core.security.principal import Principal
from zhengwu.tenants import enablement, venues
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.importer import apply_import, plan_import, read_divisions
from zhengwu.tenants.models import Venue

__all__ = ["DEMO_USERS", "demo"]

SYSTEM = Principal.system("demo")
DEFAULT_PASSWORD = "Zhengwu-Hall-2026!"

# username, display name, home tenant, role (granted at the home tenant), what they do
DEMO_USERS = [
    ("admin", "平台管理员", "0", "platform_admin", "operates the platform"),
    ("anhui", "安徽省管理员", "34", "province_admin", "provisions the province"),
    ("xuancheng", "宣城市管理员", "3418", "city_admin", "runs the city"),
    ("ningguo", "宁国市政务服务中心", "341881", "county_admin", "county centre: plugins, halls"),
    ("ningguo_clerk", "宁国市综合受理窗口", "341881", "window_clerk", "county windows: accepts cases"),
    ("ningguo_approver", "宁国市审批科", "341881", "approver", "decides county cases"),
    ("xuanzhou", "宣州区政务服务中心", "341802", "county_admin", "a sibling county"),
    ("ningguo_supervisor", "宁国市监察", "341881", "supervisor", "watches deadlines"),
    ("ningguo_editor", "宁国市政务公开经办", "341881", "disclosure_editor", "drafts, registers requests"),
    ("ningguo_reviewer", "宁国市政务公开分管领导", "341881", "disclosure_reviewer", "reviews"),
    ("ningguo_leader", "宁国市政务公开办负责人", "341881", "disclosure_approver",
     "approves major items, extensions"),
    ("xuancheng_assessor", "宣城市考核", "3418", "assessor", "evaluates counties"),
    ("xuancheng_auditor", "宣城市审计", "3418", "auditor", "reads everything, changes nothing"),
    ("fangtang_clerk", "方塘乡窗口", "341881204", "window_clerk", "accepts cases"),
    ("fangtang_approver", "方塘乡审批", "341881204", "approver", "decides cases"),
    ("fangtang_editor", "方塘乡信息公开经办", "341881204", "disclosure_editor", "drafts"),
    ("fangtang_reviewer", "方塘乡分管领导", "341881204", "disclosure_reviewer", "reviews"),
    ("fangtang_leader", "方塘乡主要领导", "341881204", "disclosure_approver", "approves"),
    ("fangtang_agent", "方塘村代办员", "341881204200", "agent", "village agent point"),
    ("shuangcun_agent", "双村代办员", "341881204201", "agent", "a sibling village's agent point"),
]


def _divisions() -> bytes:
    return resources.files("zhengwu").joinpath("data/divisions-3418.csv").read_bytes()


async def _import(session: AsyncSession) -> int:
    plan = await plan_import(session, SYSTEM, read_divisions(_divisions()))
    result = await apply_import(session, SYSTEM, plan)
    return result.added


async def _users(session: AsyncSession, settings: Settings, password: str) -> int:
    made = 0
    existing = set((await session.scalars(select(User.username))).all())
    for username, name, code, role, _ in DEMO_USERS:
        if username in existing:
            continue
        user = await users.create_user(session, SYSTEM, users.NewUser(
            username, code, password, display_name=name), settings=settings)
        await grants.grant_role(session, SYSTEM, user.id, role, code)
        made += 1
    await session.commit()
    return made


async def _halls(session: AsyncSession) -> None:
    if await session.scalar(select(Venue.id).limit(1)) is not None:
        return
    clerk = await session.scalar(select(User).where(User.username == "fangtang_clerk"))
    approver = await session.scalar(select(User).where(User.username == "fangtang_approver"))
    await tenant_settings.set_setting(session, SYSTEM, "341881", "core", "hotline", "0563-4012345")
    await tenant_settings.lock_setting(session, SYSTEM, "3418", "core", "public_portal_enabled", True)
    centre = await venues.create_venue(session, SYSTEM, "341881", venues.NewVenue(
        "service_centre", "宁国市政务服务中心", address="宁国市宁阳西路", phone="0563-4012345"))
    for number, name, kind, dept in [("1", "综合受理窗口", "comprehensive", None),
                                     ("2", "市场监管窗口", "dedicated", "宁国市市场监督管理局"),
                                     ("3", "不动产登记窗口", "dedicated", "宁国市自然资源和规划局")]:
        await venues.create_window(session, SYSTEM, centre.id, venues.NewWindow(
            number, name, kind=kind, department=dept))
    hall = await venues.create_venue(session, SYSTEM, "341881204", venues.NewVenue(
        "convenience_centre", "方塘乡便民服务中心"))
    await venues.create_window(session, SYSTEM, hall.id, venues.NewWindow(
        "1", "综合窗口", holder_id=clerk.id if clerk else None,
        backup_id=approver.id if approver else None))
    await venues.create_venue(session, SYSTEM, "341881204200", venues.NewVenue(
        "agent_point", "方塘村代办点"))
    await session.commit()


# County departments (synthetic credit codes with valid GB 32100 check characters) and the
# items each implements; townships adopt the township items of the provincial catalog.
COUNTY_ITEMS = {
    "000104002000": "宁国市发展和改革委员会", "000141005000": "宁国市民族宗教事务局",
    "340702001000": "宁国市民政局", "340101001000": "宁国市市场监督管理局",
    "340710001000": "宁国市自然资源和规划局",
}
TOWNSHIP_ITEMS = ("342003001000", "342003002000", "342004001000", "340511001000")


def demo_credit_code(serial: int) -> str:
    """A synthetic unified social credit code for a demo department (11 = 机关, 341881 = 宁国市)."""
    from zhengwu.core.catalog.codes import credit_check_char

    first17 = f"11341881{serial:09d}"
    return first17 + credit_check_char(first17)


async def _catalog(session: AsyncSession) -> tuple[int, int]:
    """The provincial catalog (real items and the seeds' township items), adopted below."""
    from zhengwu.core.catalog import exchange, implementation
    from zhengwu.core.catalog.inputs import NewImplementation
    from zhengwu.core.catalog.models import Implementation
    from zhengwu.tenants.models import Tenant

    data = resources.files("zhengwu").joinpath("data/demo-catalog.json").read_bytes()
    doc = exchange.read_catalog_json(data, name="demo-catalog.json")
    report = await exchange.import_catalog(session, SYSTEM, "34", doc, publish=True)
    await session.commit()
    done = set((await session.execute(
        select(Implementation.tenant_path, Implementation.basic_code))).all())
    adopted = 0
    county = await session.scalar(select(Tenant).where(Tenant.code == "341881"))
    assert county is not None
    targets: list[tuple[Tenant, str, str, int]] = []
    for code, department in COUNTY_ITEMS.items():
        targets.append((county, code, department, 3 if code == "340101001000" else 15))
    townships = (await session.scalars(select(Tenant).where(
        Tenant.parent_id == county.id).order_by(Tenant.code))).all()
    for township in townships:
        for code in TOWNSHIP_ITEMS:
            targets.append((township, code, f"{township.name}便民服务中心", 0))
    for n, (tenant, code, department, promised) in enumerate(targets, start=1):
        if (tenant.path, code) in done:
            continue
        item_days = {"340101001000": 2, "340702001000": 0, "342003001000": 1}
        await implementation.adopt_item(session, SYSTEM, tenant.code, NewImplementation(
            basic_code=code, department_name=department, department_credit_code=demo_credit_code(n),
            promised_days=item_days.get(code, promised or None), phone="0563-4012345",
            appointment=code == "340710001000", courier=code in ("340101001000", "340710001000")))
        adopted += 1
    await session.commit()
    return report.counts.get("created", 0), adopted


async def _plugins(session: AsyncSession) -> list[str]:
    enabled = []
    for name in enablement.installed():
        try:
            await enablement.enable_plugin(session, SYSTEM, "341881", name)
            enabled.append(name)
        except Exception:  # a plugin that does not serve counties, or needs another
            await session.rollback()
    await session.commit()
    return enabled


@run_async
async def demo(password: str | None = typer.Option(
        None, help="Password of every demo user (default: $ZHENGWU_DEMO_PASSWORD or a fixed one).")
) -> None:
    """Migrate, then provision 宣城市 with users of every role, venues and windows."""
    import asyncio

    from zhengwu.core.migrate import upgrade
    from zhengwu.platform import boot

    settings = _runtime.get_settings()
    host = boot()
    await asyncio.to_thread(upgrade, settings, "heads", host.migration_locations())
    password = password or os.environ.get("ZHENGWU_DEMO_PASSWORD") or DEFAULT_PASSWORD
    async with operator_session(settings) as session:
        added = await _import(session)
        made = await _users(session, settings, password)
        await _halls(session)
        items, adopted = await _catalog(session)
        plugins = await _plugins(session)
        steps = [(c.plugin, c.demo) for c in host.cli() if c.demo is not None]
        lines = [f"{name}: {await step(session)}" for name, step in steps]
    console.print(f"宣城市: {added} divisions added, {made} users created; catalog: {items} items "
                  f"created, {adopted} adoptions at 宁国市 and its townships; plugins on at 宁国市: "
                  f"{', '.join(plugins) or '(none installed)'}")
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)
    table = Table(title=f"demo users (password: {password})")
    for col in ("username", "tenant", "role", "does"):
        table.add_column(col)
    for username, _name, code, role, does in DEMO_USERS:
        table.add_row(username, code, role, does)
    console.print(table)
