"""An HTTP client on the real app, and a world with users of several roles and tenants.

Tests talk GraphQL as a frontend does: log in over REST, send queries with the bearer
token and (optionally) ``X-Zhengwu-Tenant``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.world import build_world
from zhengwu.app import create_app
from zhengwu.core.security import grants, passwords, users
from zhengwu.core.security.principal import Principal

passwords.use_fast_parameters()

PASSWORD = "Hall-Window-2024!"
SYSTEM = Principal.system("tester")

# username → (home tenant, role, tier of the schema it gets)
PEOPLE = {
    "platform": ("0", "platform_admin"),
    "anhui": ("34", "province_admin"),
    "xuancheng": ("3418", "city_admin"),
    "ningguo": ("341881", "county_admin"),
    "xuanzhou": ("341802", "county_admin"),
    "fangtang": ("341881204", "window_clerk"),
    "erlian": ("152501", "county_admin"),
    "auditor": ("341881", "auditor"),
}


@dataclass
class Api:
    client: AsyncTestClient[Any]
    tokens: dict[str, str] = field(default_factory=dict)

    async def gql(self, who: str | None, query: str, variables: dict[str, Any] | None = None,
                  *, tenant: str | None = None, lang: str | None = None) -> dict[str, Any]:
        headers = {}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        if tenant is not None:
            headers["X-Zhengwu-Tenant"] = tenant
        if lang is not None:
            headers["Accept-Language"] = lang
        resp = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                      headers=headers)
        assert resp.status_code in (200, 401, 404), resp.text
        return resp.json()


async def make_people(session, settings) -> None:
    for username, (code, role) in PEOPLE.items():
        user = await users.create_user(session, SYSTEM, users.NewUser(username, code, PASSWORD),
                                       settings=settings)
        await grants.grant_role(session, SYSTEM, user.id, role, code)
    await session.commit()


@pytest.fixture
async def api(settings, system_session) -> AsyncIterator[Api]:
    await build_world(system_session)
    await make_people(system_session, settings)
    app = create_app(settings, entry_points=False)
    async with AsyncTestClient(app) as client:
        api = Api(client)
        for username in PEOPLE:
            resp = await client.post("/auth/login", json={"username": username, "password": PASSWORD})
            assert resp.status_code == 200, resp.text
            api.tokens[username] = resp.json()["token"]
        yield api
