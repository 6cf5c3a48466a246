"""The disclosure test world behind the real app: GraphQL and HTTP as a frontend sends them.

``disclosure_api`` builds the world of ``world.py`` with its staff, starts the app with the
disclosure plugin loaded, and logs everyone in. ``gql`` sends a query with a user's bearer
token (``None``: anonymous); ``mutate`` runs one mutation and returns its payload; ``client``
is the HTTP client (the public feed needs no token).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient

import zhengwu.plugins.disclosure
from tests.plugins.disclosure.world import PASSWORD, STAFF, build_disclosure_world
from zhengwu.app import create_app
from zhengwu.core import clock

LOGIN_AT = datetime(2026, 12, 31, tzinfo=UTC)


@dataclass
class DisclosureApi:
    client: AsyncTestClient[Any]
    tokens: dict[str, str] = field(default_factory=dict)

    async def gql(self, who: str | None, query: str, variables: dict[str, Any] | None = None,
                  *, tenant: str | None = None) -> dict[str, Any]:
        headers = {}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        if tenant is not None:
            headers["X-Zhengwu-Tenant"] = tenant
        resp = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                      headers=headers)
        assert resp.status_code in (200, 401, 404), resp.text
        data: dict[str, Any] = resp.json()
        return data

    async def mutate(self, who: str, name: str, input: dict[str, Any], fields: str,
                     *, tenant: str | None = None) -> dict[str, Any]:
        """Run mutation ``name`` with ``input``; return its payload (``fields`` and ``errors``)."""
        query = (f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) "
                 f"{{ {fields} errors {{ field code message }} }} }}")
        data = await self.gql(who, query, {"input": input}, tenant=tenant)
        assert "errors" not in data, data
        payload: dict[str, Any] = data["data"][name]
        return payload


async def disclosure_api(settings: Any, session: Any) -> AsyncIterator[DisclosureApi]:
    await build_disclosure_world(session, settings, with_users=True)
    app = create_app(settings, plugins=[zhengwu.plugins.disclosure], entry_points=False)
    async with AsyncTestClient(app) as client:
        api = DisclosureApi(client)
        # Log in at the end of the tests' calendar so that every token is still valid on each
        # day the tests travel to (the frozen time is one global).
        with clock.freeze(LOGIN_AT):
            for username in STAFF:
                resp = await client.post("/auth/login",
                                         json={"username": username, "password": PASSWORD})
                assert resp.status_code == 200, resp.text
                api.tokens[username] = resp.json()["token"]
        yield api
