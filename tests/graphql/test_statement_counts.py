"""List queries cost a constant number of SQL statements whatever the page size (P2).

Counted on the app's own engine for the whole request (authentication included). The
baseline is checked in: a new N+1 makes the count grow with the page and fails here.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from zhengwu.core.security.principal import Principal
from zhengwu.tenants import provisioning

TENANTS_PAGE = """query($n: Int) { tenants(first: $n) { edges { node {
    code name tier parent { code name } settings(namespace: "core") { key value source locked }
    children(first: 3) { edges { node { code } } }
} } pageInfo { hasNextPage } } }"""
USERS_PAGE = "query($n: Int) { users(first: $n) { edges { node { username grants { role tenantCode } } } } }"
BUDGET = {"tenants": 7, "users": 6}


@contextmanager
def counting(engine):
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


@pytest.fixture
async def big_world(api, system_session):
    system = Principal.system()
    for i in range(60):
        await provisioning.create_tenant(system_session, system, f"341881204{300 + i}", f"测试村{i}")
    await provisioning.create_tenant(system_session, system, "341881101", "梅林镇")
    await system_session.commit()
    return api


@pytest.mark.parametrize("query, key", [(TENANTS_PAGE, "tenants"), (USERS_PAGE, "users")])
async def test_constant_statements_whatever_the_page_size(big_world, query, key):
    api = big_world
    engine = api.client.app.state.engine
    counts = {}
    for n in (2, 50):
        with counting(engine) as seen:
            data = await api.gql("platform" if key == "users" else "ningguo", query, {"n": n})
        assert "errors" not in data, data
        assert len(data["data"][key]["edges"]) == min(n, len(data["data"][key]["edges"]))
        counts[n] = len(seen)
    assert counts[2] == counts[50], counts
    assert counts[50] <= BUDGET[key], counts


async def test_descendant_counts_are_batched(big_world):
    """descendantCounts on a page of tenants: one range-join statement, not one per tenant."""
    api = big_world
    q = "query($n: Int) { tenants(first: $n) { edges { node { code descendantCounts { tier count } } } } }"
    counts = {}
    for n in (2, 30):
        with counting(api.client.app.state.engine) as seen:
            data = await api.gql("ningguo", q, {"n": n})
        assert "errors" not in data, data
        counts[n] = len(seen)
    assert counts[2] == counts[30], counts
    first = data["data"]["tenants"]["edges"][0]["node"]
    assert first["code"] == "341881"
    assert {c["tier"]: c["count"] for c in first["descendantCounts"]} == {"TOWNSHIP": 3, "VILLAGE": 62}
