"""Run in a subprocess by test_thirdparty.py, with the greetings package installed on
PYTHONPATH: discover it, migrate, and exercise every hook through the real app.

Prints one JSON object of observations; the test asserts on them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date

from litestar.testing import AsyncTestClient

from tests.world import build_world
from zhengwu.app import create_app
from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker
from zhengwu.core.migrate import upgrade
from zhengwu.core.plugin_api import Event, Period
from zhengwu.core.security import grants, passwords, users
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import policy
from zhengwu.graphql.sdl import render_all
from zhengwu.platform import boot

PASSWORD = "Hall-Window-2024!"
SYSTEM = Principal.system("tester")


async def main(url: str) -> dict:
    out: dict = {}
    passwords.use_fast_parameters()
    settings = Settings(database_url=url, environment="test", _env_file=None)
    host = boot()
    out["plugins"] = host.names
    out["migrations"] = [str(p) for p in host.migration_locations()]
    await asyncio.to_thread(upgrade, settings, "heads", host.migration_locations())
    engine = make_engine(settings)
    sm = make_sessionmaker(engine)
    async with sm() as s:
        s.info["scope"] = ALL_SCOPE
        await build_world(s)
        for name, code, role in [("countyboss", "341881", "county_admin"),
                                 ("clerk", "341881204", "window_clerk"),
                                 ("otherclerk", "341802001", "window_clerk")]:
            u = await users.create_user(s, SYSTEM, users.NewUser(name, code, PASSWORD), settings=settings)
            await grants.grant_role(s, SYSTEM, u.id, role, code)
        await s.commit()

    out["permissions_known"] = sorted(p for p in policy.permissions if p.startswith("greeting:"))
    out["clerk_role_has_greeting"] = policy.role_allows("window_clerk", "greeting", "write")
    out["sdl_county_has_field"] = "greetings" in render_all(host)["county"].split("type Query")[1]
    out["sdl_province_has_field"] = "greetings" in render_all(host)["province"]

    app = create_app(settings)
    async with AsyncTestClient(app) as client:
        tok = {}
        for name in ("countyboss", "clerk", "otherclerk"):
            r = await client.post("/auth/login", json={"username": name, "password": PASSWORD})
            tok[name] = r.json()["token"]

        async def gql(who, q):
            r = await client.post("/graphql", json={"query": q},
                                  headers={"Authorization": f"Bearer {tok[who]}"})
            return r.json()

        out["before_enable"] = await gql("clerk", "{ greetings { text } }")
        out["enable"] = await gql("countyboss", 'mutation { enablePlugin(input: {tenantCode: "341881", '
                                  'plugin: "greetings"}) { plugin { name active } errors { code } } }')
        out["post"] = await gql("clerk", 'mutation { postGreeting(text: "你好") { text tenantPath } }')
        out["list"] = await gql("clerk", "{ greetings { text tenantPath } }")
        out["sibling"] = await gql("otherclerk", "{ greetings { text } }")
        out["route"] = (await client.get("/api/v1/greetings/hello")).json()

    class Ctx:
        sessionmaker = sm

    job = next(j for j in host.jobs() if j.name == "greetings.count")
    out["job_result"] = await job.fn(Ctx())
    metric = host.metrics()["greetings.count"]
    async with sm() as s:
        s.info["scope"] = ALL_SCOPE
        value = await metric.compute(s, "34/3418/341881", Period(date(2026, 1, 1), date(2026, 12, 31)))
        out["metric"] = value.value
        import uuid

        from zhengwu.core import clock

        event = Event(name="tenant.created", tenant_id=uuid.uuid4(), tenant_path="34", payload={},
                      occurred_at=clock.now(), id=uuid.uuid4())
        host.hook.zhengwu_event(event=event, session=s)
    import zhengwu_greetings

    out["heard"] = zhengwu_greetings.HEARD
    await engine.dispose()
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1])), ensure_ascii=False))
