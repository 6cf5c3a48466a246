"""P2 (core part): a GraphQL page of 50 tenants with parent and settings vs a hand-written
litestar + SQL + msgspec endpoint returning the same JSON, in the same process and run.

Prints statements per request, requests per second of each and the ratio (budget: GraphQL
≥ 10% of the hand-written endpoint's throughput; statements constant whatever the page
size, ≤ 6). Also the time to build every tier's schema at start-up.

    python bench/p2_graphql.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
                               [--requests 300]

The database is a fresh SQLite file (or a scratch PostgreSQL database ``zhengwu_bench_p2``)
holding the packaged 宣城市 cut (983 divisions), with settings overridden at the city and a
county so the cascade has work to do. Requests go through the ASGI app in-process (no
sockets), one at a time, so the figures compare the work per request, not the network. Request logging is off.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

import jwt
import msgspec
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.testing import AsyncTestClient
from sqlalchemy import event, select, text
from sqlalchemy.orm import aliased

from zhengwu.app import create_app
from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker, subtree_clause
from zhengwu.core.migrate import upgrade
from zhengwu.core.security import grants, passwords, users
from zhengwu.core.security.models import Grant, User
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.schema import build_schemas
from zhengwu.platform import boot
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.importer import apply_import, plan_import, read_divisions
from zhengwu.tenants.models import SettingOverride, Tenant

PAGE = 50
PASSWORD = "Bench-Window-2026!"
QUERY = """query($n: Int, $after: String) { tenants(first: $n, after: $after) {
  edges { node { code name tier parent { code name }
    settings(namespace: "core") { key value source locked } } }
  pageInfo { hasNextPage endCursor } } }"""
SYSTEM = Principal.system("bench")


async def prepare(settings: Settings) -> None:
    passwords.use_fast_parameters()
    host = boot(entry_points=False)
    await asyncio.to_thread(upgrade, settings, "heads", host.migration_locations())
    engine = make_engine(settings)
    async with make_sessionmaker(engine)() as s:
        s.info["scope"] = ALL_SCOPE
        data = resources.files("zhengwu").joinpath("data/divisions-3418.csv").read_bytes()
        await apply_import(s, SYSTEM, await plan_import(s, SYSTEM, read_divisions(data)))
        u = await users.create_user(s, SYSTEM, users.NewUser("benchcity", "3418", PASSWORD),
                                    settings=settings)
        await grants.grant_role(s, SYSTEM, u.id, "city_admin", "3418")
        await tenant_settings.lock_setting(s, SYSTEM, "3418", "core", "hotline", "0563-12345")
        await tenant_settings.set_setting(s, SYSTEM, "341881", "core", "service_hours",
                                          "08:30-12:00,14:00-17:30")
        await s.commit()
    await engine.dispose()


# ---------------------------------------------------------------- the hand-written baseline

def baseline_app(settings: Settings) -> Litestar:
    """Same JSON as the GraphQL page, written by hand: JWT check, two SQL statements, msgspec."""
    specs = [tenant_settings.spec("core", k) for k in tenant_settings.defaults("core")]
    encoder = msgspec.json.Encoder()
    secret = settings.secret_key.get_secret_value()
    tiers = {"province": "PROVINCE", "city": "CITY", "county": "COUNTY", "township": "TOWNSHIP",
             "village": "VILLAGE"}

    @get("/bench/tenants")
    async def tenants(request: Request[Any, Any, Any], state: State, after: str | None = None,
                      n: int = PAGE) -> bytes:
        token = request.headers["authorization"].split(" ", 1)[1]
        user_id = uuid.UUID(jwt.decode(token, secret, algorithms=["HS256"])["sub"])
        async with state.sm() as s:
            s.info["scope"] = ALL_SCOPE
            scope = (await s.execute(select(Grant.tenant_path).join(User, User.id == Grant.user_id)
                                     .where(User.id == user_id))).scalar_one()
            s.info["scope"] = scope
            parent = aliased(Tenant)
            stmt = (select(Tenant.code, Tenant.name, Tenant.tier, Tenant.path, parent.code, parent.name)
                    .outerjoin(parent, parent.id == Tenant.parent_id)
                    .where(subtree_clause(Tenant.path, scope)).order_by(Tenant.path).limit(n + 1))
            if after:
                stmt = stmt.where(Tenant.path > after)
            rows = (await s.execute(stmt)).all()
            page = rows[:n]
            chains = {r[3]: ["/".join(r[3].split("/")[:i]) for i in range(1, r[3].count("/") + 2)]
                      for r in page}
            paths = sorted({p for c in chains.values() for p in c})
            over = (await s.execute(
                select(SettingOverride.tenant_path, SettingOverride.key, SettingOverride.value,
                       SettingOverride.locked, Tenant.code)
                .join(Tenant, Tenant.id == SettingOverride.tenant_id)
                .where(SettingOverride.namespace == "core", SettingOverride.tenant_path.in_(paths)))
            ).all()
        by = {(p, k): (v, locked, code) for p, k, v, locked, code in over}
        edges = []
        for code, name, tier, path, pcode, pname in page:
            items = []
            for spec in specs:
                chain = [by[(p, spec.key)] for p in chains[path] if (p, spec.key) in by]
                lock = next((c for c in chain if c[1]), None)
                win = lock or (chain[-1] if chain else None)
                items.append({"key": spec.key, "value": win[0] if win else spec.default,
                              "source": win[2] if win else "default", "locked": lock is not None})
            edges.append({"node": {"code": code, "name": name, "tier": tiers[tier],
                                   "parent": {"code": pcode, "name": pname} if pcode else None,
                                   "settings": items}})
        body = {"data": {"tenants": {"edges": edges, "pageInfo": {
            "hasNextPage": len(rows) > n, "endCursor": page[-1][3] if page else None}}}}
        return encoder.encode(body)

    async def startup(app: Litestar) -> None:
        app.state.engine = make_engine(settings)
        app.state.sm = make_sessionmaker(app.state.engine)

    async def shutdown(app: Litestar) -> None:
        await app.state.engine.dispose()

    return Litestar([tenants], on_startup=[startup], on_shutdown=[shutdown])


# ---------------------------------------------------------------- measuring

def _strip_cursor(body: dict[str, Any]) -> dict[str, Any]:
    body["data"]["tenants"]["pageInfo"].pop("endCursor", None)
    return body


async def run(settings: Settings, requests: int) -> dict[str, float]:
    out: dict[str, float] = {}
    app = create_app(settings, entry_points=False)
    base = baseline_app(settings)
    async with AsyncTestClient(app) as gql, AsyncTestClient(base) as raw:
        token = (await gql.post("/auth/login", json={"username": "benchcity", "password": PASSWORD})
                 ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def one_gql(n: int = PAGE) -> dict[str, Any]:
            r = await gql.post("/graphql", json={"query": QUERY, "variables": {"n": n}}, headers=headers)
            return r.json()

        async def one_raw(n: int = PAGE) -> dict[str, Any]:
            return (await raw.get("/bench/tenants", params={"n": n}, headers=headers)).json()

        a, b = await one_gql(), await one_raw()
        assert "errors" not in a, a
        assert _strip_cursor(a) == _strip_cursor(b), "the two endpoints disagree"

        engine = app.state.engine
        for n in (5, PAGE):
            seen: list[str] = []

            def count(*args: Any, into: list[str] = seen) -> None:
                into.append(args[2])

            event.listen(engine.sync_engine, "before_cursor_execute", count)
            await one_gql(n)
            event.remove(engine.sync_engine, "before_cursor_execute", count)
            out[f"graphql_statements_page_{n}"] = len(seen)

        for label, call in (("graphql", one_gql), ("handwritten", one_raw)):
            for _ in range(20):
                await call()
            samples = []
            for _ in range(3):
                t0 = time.perf_counter()
                for _ in range(requests // 3):
                    await call()
                samples.append((requests // 3) / (time.perf_counter() - t0))
            out[f"{label}_rps"] = statistics.median(samples)
    out["ratio"] = out["graphql_rps"] / out["handwritten_rps"]
    return out


def schema_build_time() -> float:
    host = boot(entry_points=False)
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        build_schemas(host)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


async def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="PostgreSQL URL (a scratch database is created)")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    print(f"schema build, all 7 schemas: {schema_build_time() * 1000:.1f} ms (median of 5)")
    backends = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    for name, url in backends:
        with tempfile.TemporaryDirectory() as tmp:
            if url is None:
                db_url = f"sqlite+aiosqlite:///{Path(tmp) / 'p2.sqlite3'}"
            else:
                db_url = await _scratch_pg(url, "zhengwu_bench_p2")
            settings = Settings(database_url=db_url, environment="test", embedded_schedules=False,
                                _env_file=None)  # type: ignore[call-arg]
            await prepare(settings)
            r = await run(settings, args.requests)
        print(f"[{name}] statements per request: page of 5 → {r['graphql_statements_page_5']}, "
              f"page of {PAGE} → {r['graphql_statements_page_50']} (budget ≤ 6, constant)")
        print(f"[{name}] GraphQL {r['graphql_rps']:.0f} req/s, hand-written {r['handwritten_rps']:.0f} "
              f"req/s, ratio {r['ratio']:.1%} (budget ≥ 10%)")


async def _scratch_pg(url: str, name: str) -> str:
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return url.rsplit("/", 1)[0] + f"/{name}"


if __name__ == "__main__":
    asyncio.run(main())
