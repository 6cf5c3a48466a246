"""The intake test world behind the real app: GraphQL over HTTP as a frontend sends it.

``intake_api`` builds the world of ``world.py`` with its staff, starts the app with the intake
plugin loaded, and logs every member of staff in. ``gql`` sends a query with a user's bearer
token (``None``: anonymous); ``raw`` returns the response text as well, for the tests that
search it for personal data; ``mutate`` runs one mutation and returns its payload.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient

import zhengwu.plugins.intake
from tests.plugins.intake.world import PASSWORD, STAFF, build_intake_world
from zhengwu.app import create_app
from zhengwu.core import clock

CASE_FIELDS = """id caseNo status statusName channel itemName basicCode implementationCode caseType
departmentName dueDate dueProvisional acceptedOn decision onTime handlingDays deliveredOn
deliveryMethod feesCents
applicant { kind name idNumber creditCode phone contactName }
deadline { start limit due provisional skipped { day reason name } paused }
acceptingTenant { code name } handlingTenant { code name }
materials { seq name required status }
steps { seq name status limitDays dueDate assignee opinion }
history { action actionName actor fromStatus toStatus note }"""


@dataclass
class IntakeApi:
    client: AsyncTestClient[Any]
    tokens: dict[str, str] = field(default_factory=dict)

    async def gql(self, who: str | None, query: str, variables: dict[str, Any] | None = None,
                  *, tenant: str | None = None) -> dict[str, Any]:
        data, _ = await self.raw(who, query, variables, tenant=tenant)
        return data

    async def raw(self, who: str | None, query: str, variables: dict[str, Any] | None = None,
                  *, tenant: str | None = None) -> tuple[dict[str, Any], str]:
        headers = {}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        if tenant is not None:
            headers["X-Zhengwu-Tenant"] = tenant
        resp = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                      headers=headers)
        assert resp.status_code in (200, 401, 404), resp.text
        return resp.json(), resp.text

    async def mutate(self, who: str, name: str, input: dict[str, Any],
                     fields: str = "id caseNo status") -> dict[str, Any]:
        """Run mutation ``name`` with ``input``; return its payload (``case`` and ``errors``)."""
        query = (f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) "
                 f"{{ case {{ {fields} }} errors {{ field code message }} }} }}")
        data = await self.gql(who, query, {"input": input})
        assert "errors" not in data, data
        return data["data"][name]


async def intake_api(settings: Any, session: Any) -> AsyncIterator[IntakeApi]:
    await build_intake_world(session, settings, with_users=True)
    app = create_app(settings, plugins=[zhengwu.plugins.intake], entry_points=False)
    async with AsyncTestClient(app) as client:
        api = IntakeApi(client)
        # Tokens issued at the real time, whatever clock an earlier test left frozen: the tests
        # travel back to September–October 2026, which must lie within the tokens' validity.
        with clock.freeze(datetime.now(UTC)):
            for username in STAFF:
                resp = await client.post("/auth/login", json={"username": username, "password": PASSWORD})
                assert resp.status_code == 200, resp.text
                api.tokens[username] = resp.json()["token"]
        yield api


def submit_input(basic_code: str = "000104002000", tenant: str | None = None,
                 materials: tuple[int, ...] = (1, 2), **extra: Any) -> dict[str, Any]:
    """A SubmitCaseInput for 张三 (the GB 11643 specimen number) with materials ``materials``."""
    from tests.plugins.intake.world import ID_NUMBER, PHONE

    out: dict[str, Any] = {
        "basicCode": basic_code,
        "applicant": {"kind": "PERSON", "name": "张三", "idNumber": ID_NUMBER, "phone": PHONE,
                      "contactName": "李四"},
        "materials": [{"seq": s, "originals": 1} for s in materials],
    }
    if tenant is not None:
        out["tenantCode"] = tenant
    out.update(extra)
    return out
