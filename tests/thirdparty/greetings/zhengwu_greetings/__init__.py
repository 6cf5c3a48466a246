"""A third-party zhengwu plugin: greetings posted at a tenant (test fixture package)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import strawberry
from litestar import get
from sqlalchemy import func, select

from zhengwu.core.db import subtree_clause
from zhengwu.core.hooks import hookimpl
from zhengwu.core.plugin_api import (
    GraphQLContribution,
    JobSpec,
    MetricSpec,
    MetricValue,
    PermissionsContribution,
    PluginInfo,
    SchemaContribution,
)
from zhengwu.core.security.rbac import Resource, can
from zhengwu_greetings.models import Greeting

NAME = "greetings"
HEARD: list[str] = []  # events this plugin listened to (for the test)


@strawberry.type
class GreetingType:
    text: str
    tenant_path: str


@strawberry.type
class Query:
    @strawberry.field(description="Greetings of the acting tenant's subtree.")
    async def greetings(self, info: strawberry.Info) -> list[GreetingType]:
        ctx = info.context
        if not can(ctx.principal, "read", Resource("greeting", ctx.principal.acting_path)):
            raise PermissionError("greeting:read")
        rows = await ctx.session.scalars(
            select(Greeting).where(subtree_clause(Greeting.tenant_path, ctx.principal.acting_path))
            .order_by(Greeting.text))
        return [GreetingType(text=g.text, tenant_path=g.tenant_path) for g in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Post a greeting at the acting tenant.")
    async def post_greeting(self, info: strawberry.Info, text: str) -> GreetingType:
        ctx = info.context
        p = ctx.principal
        g = Greeting(text=text, tenant_id=p.acting_tenant_id, tenant_path=p.acting_path)
        ctx.session.add(g)
        await ctx.session.commit()
        return GreetingType(text=g.text, tenant_path=g.tenant_path)


@get("/api/v1/greetings/hello", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"hello": "你好"}


async def count_job(ctx: Any, **kwargs: Any) -> int:
    async with ctx.sessionmaker() as session:
        session.info["scope"] = "*"
        return int(await session.scalar(select(func.count()).select_from(Greeting)) or 0)


async def greeting_count(session: Any, path: str, period: Any) -> MetricValue:
    n = await session.scalar(select(func.count()).select_from(Greeting)
                             .where(subtree_clause(Greeting.tenant_path, path)))
    return MetricValue(value=float(n or 0), unit="条")


@hookimpl
def zhengwu_plugin_info() -> PluginInfo:
    return PluginInfo(name=NAME, version="0.1.0", title_zh="问候", title_en="Greetings",
                      tiers=("county", "township", "village"), listens=("tenant.created",))


@hookimpl
def zhengwu_schema() -> SchemaContribution:
    return SchemaContribution(plugin=NAME, tables=("greetings_messages",),
                              migrations=str(Path(__file__).parent / "migrations"))


@hookimpl
def zhengwu_permissions() -> PermissionsContribution:
    return PermissionsContribution(
        plugin=NAME, permissions=("greeting:read", "greeting:write"),
        default_grants={"window_clerk": ("greeting:read", "greeting:write"),
                        "county_admin": ("greeting:read",)})


@hookimpl
def zhengwu_graphql(tier: str) -> GraphQLContribution | None:
    return GraphQLContribution(plugin=NAME, query=Query, mutation=Mutation)


@hookimpl
def zhengwu_routes() -> list[Any]:
    return [hello]


@hookimpl
def zhengwu_jobs() -> list[JobSpec]:
    return [JobSpec(name="greetings.count", fn=count_job, plugin=NAME)]


@hookimpl
def zhengwu_metrics() -> list[MetricSpec]:
    return [MetricSpec(name="greetings.count", plugin=NAME, title_zh="问候数", compute=greeting_count)]


@hookimpl
def zhengwu_event(event: Any, session: Any) -> None:
    HEARD.append(event.name)
