"""The assessment test world behind the real app (GraphQL and HTTP as a frontend sends them):
the app with the assessment plugin and the probe metrics, everyone logged in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient

import zhengwu.plugins.assessment
from tests.plugins.assessment.world import PASSWORD, PROBE, STAFF, build_assessment_world
from zhengwu.app import create_app
from zhengwu.core import clock

LOGIN_AT = datetime(2026, 12, 31, tzinfo=UTC)


@dataclass
class AssessmentApi:
    client: AsyncTestClient[Any]
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}

    async def gql(self, who: str | None, query: str,
                  variables: dict[str, Any] | None = None) -> dict[str, Any]:
        resp = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                      headers=self.headers(who))
        assert resp.status_code in (200, 401, 404), resp.text
        data: dict[str, Any] = resp.json()
        return data


async def assessment_api(settings: Any, session: Any) -> AsyncIterator[AssessmentApi]:
    await build_assessment_world(session, settings, with_users=True)
    app = create_app(settings, plugins=[zhengwu.plugins.assessment, PROBE], entry_points=False)
    async with AsyncTestClient(app) as client:
        api = AssessmentApi(client)
        with clock.freeze(LOGIN_AT):
            for username in STAFF:
                resp = await client.post("/auth/login",
                                         json={"username": username, "password": PASSWORD})
                assert resp.status_code == 200, resp.text
                api.tokens[username] = resp.json()["token"]
        yield api
