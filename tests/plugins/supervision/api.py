"""The supervision test world behind the real app: GraphQL over HTTP as a frontend sends it.

``supervision_api`` builds the world of ``world.py`` with its staff and supervisors, starts the
app with the intake and supervision plugins loaded, and logs everyone in (``IntakeApi``'s
``gql`` and ``raw``: a user's bearer token, ``None`` for anonymous).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient

import zhengwu.plugins.intake
import zhengwu.plugins.supervision
from tests.plugins.intake.api import IntakeApi
from tests.plugins.intake.world import PASSWORD
from tests.plugins.supervision.world import EVERYONE, build_supervision_world
from zhengwu.app import create_app
from zhengwu.core import clock

LOGIN_AT = datetime(2026, 12, 31, tzinfo=UTC)

ALERT_FIELDS = """id caseNo colour kind reason reasonName status statusName ref dueDate detail
handler handlingTenantCode raisedOn urgeCount acknowledgedBy explanation explainedBy correction
correctedBy closedBy closeNote clearedReason
acceptingTenant { code name }
history { action actor fromStatus toStatus note data }
tickets { id caseNo dueOn days status openedBy alertId }"""


async def supervision_api(settings: Any, session: Any) -> AsyncIterator[IntakeApi]:
    await build_supervision_world(session, settings)
    app = create_app(settings, plugins=[zhengwu.plugins.intake, zhengwu.plugins.supervision],
                     entry_points=False)
    async with AsyncTestClient(app) as client:
        api = IntakeApi(client)
        # Log in at the end of the tests' calendar so that every token is still valid on each
        # day the tests travel to, whatever the clock says now (a concurrent test elsewhere in
        # the process can leave clock.freeze behind: the frozen time is one global).
        with clock.freeze(LOGIN_AT):
            for username in EVERYONE:
                resp = await client.post("/auth/login",
                                         json={"username": username, "password": PASSWORD})
                assert resp.status_code == 200, resp.text
                api.tokens[username] = resp.json()["token"]
        yield api
