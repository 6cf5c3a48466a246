"""The world the intake benchmarks (P2 cases, P5) share: the packaged 宣城市 cut, the national
calendar, two items of the demo catalog adopted by 宁国市 341881 with intake enabled there,
and a window clerk and an approver of 宁国市. Optionally ``cases`` cases, half of them
accepted and some taken on through a step and a decision, so that each has a status history
of two to five entries.

Only the platform's own services write here, as an operator would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import zhengwu
import zhengwu.plugins.intake as intake
from zhengwu.core.calendar.service import seed_national
from zhengwu.core.catalog import exchange, implementation
from zhengwu.core.catalog import service as catalog_service
from zhengwu.core.catalog.inputs import NewImplementation
from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker
from zhengwu.core.migrate import upgrade
from zhengwu.core.security import grants, passwords, users
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.platform import boot
from zhengwu.plugins.intake import service
from zhengwu.plugins.intake.inputs import Applicant, NewCase, SubmittedMaterial
from zhengwu.tenants import enablement
from zhengwu.tenants.importer import apply_import, plan_import, read_divisions

COUNTY = "341881"
COUNTY_PATH = "34/3418/341881"
ENERGY, PROPERTY = "000104002000", "340710001000"  # 2 and 4 materials; 3 and 4 steps
MATERIALS = {ENERGY: (1, 2), PROPERTY: (1, 2, 3, 4)}
PASSWORD = "Bench-Window-2026!"
ID_NUMBER, PHONE = "11010519491231002X", "13812345678"
SYSTEM = Principal.system("bench")
CLERK = Principal(None, "bench_clerk", None, COUNTY_PATH, None, COUNTY_PATH, "county",
                  (GrantRef("window_clerk", COUNTY_PATH),))
APPROVER = Principal(None, "bench_approver", None, COUNTY_PATH, None, COUNTY_PATH, "county",
                     (GrantRef("approver", COUNTY_PATH),))


def _credit(serial: int) -> str:
    from zhengwu.core.catalog.codes import credit_check_char

    first17 = f"11{COUNTY}MB{serial:07d}"[:17]
    return first17 + credit_check_char(first17)


def applicant() -> Applicant:
    return Applicant(kind="person", name="张三", id_number=ID_NUMBER, phone=PHONE)


async def prepare(settings: Settings, cases: int = 0) -> None:
    """Migrate, load the world, and add ``cases`` cases of 宁国市."""
    passwords.use_fast_parameters()
    host = boot([intake], entry_points=False)
    await asyncio.to_thread(upgrade, settings, "heads", host.migration_locations())
    engine = make_engine(settings)
    async with make_sessionmaker(engine)() as s:
        s.info["scope"] = ALL_SCOPE
        data = resources.files("zhengwu").joinpath("data/divisions-3418.csv").read_bytes()
        await apply_import(s, SYSTEM, await plan_import(s, SYSTEM, read_divisions(data)))
        await seed_national(s, range(2024, 2027))
        doc = exchange.read_catalog(Path(zhengwu.__file__).parent / "data" / "demo-catalog.json")
        for item in doc.items:
            if item.basic_code in MATERIALS:
                row = await catalog_service.create_item(s, SYSTEM, "34", item)
                await catalog_service.publish_item(s, SYSTEM, row.id)
        for code, days in ((ENERGY, 5), (PROPERTY, 10)):
            await implementation.adopt_item(s, SYSTEM, COUNTY, NewImplementation(
                basic_code=code, department_name="宁国市数据资源管理局",
                department_credit_code=_credit(1), promised_days=days))
        await enablement.enable_plugin(s, SYSTEM, COUNTY, "intake")
        for username, role in (("bench_clerk", "window_clerk"), ("bench_approver", "approver")):
            u = await users.create_user(s, SYSTEM, users.NewUser(username, COUNTY, PASSWORD),
                                        settings=settings)
            await grants.grant_role(s, SYSTEM, u.id, role, COUNTY)
        await s.commit()
        for i in range(cases):
            code = ENERGY if i % 2 else PROPERTY
            case = await service.submit_case(s, CLERK, NewCase(
                tenant_code=COUNTY, basic_code=code, applicant=applicant(),
                materials=tuple(SubmittedMaterial(seq=q, originals=1) for q in MATERIALS[code])))
            if i % 4:
                await service.accept_case(s, CLERK, case.id)
            if i % 4 == 3:
                await service.start_step(s, APPROVER, case.id, 1)
                await service.decide_case(s, APPROVER, case.id, approved=True)
            if i % 50 == 49:
                await s.commit()
        await s.commit()
    await engine.dispose()


def sqlite_settings(path: str) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", environment="test",
                    embedded_schedules=False, _env_file=None)  # type: ignore[call-arg]


async def scratch_pg(url: str, name: str) -> Settings:
    """Settings of a freshly created PostgreSQL database ``name`` on the server of ``url``."""
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return Settings(database_url=url.rsplit("/", 1)[0] + f"/{name}", environment="test",
                    embedded_schedules=False, _env_file=None)  # type: ignore[call-arg]


def global_id(type_name: str, key: uuid.UUID | str) -> str:
    """A Relay global ID as strawberry writes it."""
    import base64

    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


@asynccontextmanager
async def in_process(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling ``app`` in this event loop (lifespan run, no thread, no socket),
    so that both sides of a comparison pay only their own work and a profiler sees it."""
    async with app.lifespan(), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        yield client


async def login(client: Any, username: str) -> dict[str, str]:
    resp = await client.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}
