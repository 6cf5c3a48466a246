"""Through the real app: a permission taken out of a custom role by another process stops
working on this server's next request (interval 0 here; 1 s by default)."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import update

from tests.graphql.conftest import PASSWORD, SYSTEM, make_people
from tests.world import build_world
from zhengwu.app import create_app
from zhengwu.core.security import grants, rbac, roles, users
from zhengwu.core.security.models import CustomRole

QUERY = '{ users(filter: {under: "341881"}) { edges { node { username } } } }'


async def test_a_role_change_in_another_process_reaches_the_next_request(settings,
                                                                         system_session):
    await build_world(system_session)
    await make_people(system_session, settings)
    await roles.define_role(system_session, SYSTEM, "341881", "viewer", "查看人员", ["user:read"])
    viewer = await users.create_user(system_session, SYSTEM,
                                     users.NewUser("viewer", "341881", PASSWORD),
                                     settings=settings)
    await grants.grant_role(system_session, SYSTEM, viewer.id, "341881.viewer", "341881")
    await system_session.commit()
    app = create_app(settings.model_copy(update={"policy_refresh_seconds": 0}),
                     entry_points=False)
    try:
        async with AsyncTestClient(app) as client:
            login = await client.post("/auth/login",
                                      json={"username": "viewer", "password": PASSWORD})
            headers = {"Authorization": f"Bearer {login.json()['token']}"}

            async def names() -> set[str]:
                resp = await client.post("/graphql", json={"query": QUERY}, headers=headers)
                return {e["node"]["username"] for e in resp.json()["data"]["users"]["edges"]}

            assert {"viewer", "ningguo"} <= await names()
            # another process (say a second server) takes user:read out of the role
            await system_session.execute(update(CustomRole)
                                         .where(CustomRole.name == "341881.viewer")
                                         .values(permissions=["venue:read"]))
            await roles.bump_policy_version(system_session)
            await system_session.commit()
            assert rbac.policy.role_allows("341881.viewer", "user", "read")  # not yet here
            assert await names() == set()
            assert not rbac.policy.role_allows("341881.viewer", "user", "read")
    finally:
        rbac.policy.set_custom_roles(())
        rbac.policy.version = None
