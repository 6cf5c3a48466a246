"""A page of cases costs a constant number of SQL statements whatever its size (budget P2).

Counted on the app's engine for the whole request, authentication included. The page asks
for what a case list shows: both tenants, the item fields, the status history and the steps.
Row-level security's per-transaction ``set_config`` (PostgreSQL only: one for the login's
lookup, one for the request) is scaffolding of the core, not work of the page: the budget
is checked without it, and the total is checked to be constant too.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.plugins.intake.api import intake_api
from tests.plugins.intake.world import COUNTY, ENERGY, PROPERTY, new_case, principal
from zhengwu.plugins.intake import service

PAGE = """query($n: Int) { cases(first: $n) { edges { node {
    id caseNo status statusName channel itemName basicCode implementationCode departmentName dueDate
    applicant { kind name idNumber phone }
    deadline { due skipped { day reason } }
    acceptingTenant { code name tier } handlingTenant { code name }
    history { at actor action fromStatus toStatus }
    steps { seq name status dueDate assignee }
} } pageInfo { hasNextPage endCursor } } }"""
BUDGET = 6
RLS_SETUP = "set_config('zhengwu.scope'"


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
async def api(settings, system_session):
    async for api in intake_api(settings, system_session):
        yield api


@pytest.fixture
async def many_cases(api, system_session):
    """60 cases of 宁国市: half accepted (so they have steps and a deadline), some at 方塘乡."""
    clerk = principal("ng_clerk")
    for i in range(60):
        code = ENERGY if i % 2 else PROPERTY
        case = await service.submit_case(system_session, clerk, new_case(
            code, COUNTY, materials=(1, 2) if code == ENERGY else (1, 2, 3, 4)))
        if i % 2:
            await service.accept_case(system_session, clerk, case.id)
    await system_session.commit()
    return api


async def test_a_page_of_cases_costs_constant_statements(many_cases):
    api = many_cases
    engine = api.client.app.state.engine
    counts, totals = {}, {}
    for n in (10, 50):
        with counting(engine) as seen:
            data = await api.gql("ng_clerk", PAGE, {"n": n})
        assert "errors" not in data, data
        edges = data["data"]["cases"]["edges"]
        assert len(edges) == n
        assert any(e["node"]["steps"] for e in edges) and all(e["node"]["history"] for e in edges)
        totals[n] = len(seen)
        counts[n] = len([s for s in seen if RLS_SETUP not in s])
    assert counts[10] == counts[50] and totals[10] == totals[50], (counts, totals)
    assert counts[50] <= BUDGET, (counts, seen)


async def test_a_page_of_cases_with_every_relation_is_still_constant(many_cases):
    """Materials, pauses, notices (supplement and printed), fees and parts too: one statement
    each, whatever the page."""
    api = many_cases
    query = PAGE.replace("steps {", "materials { seq status } pauses { kind } supplementNotices { round } "
                                    "notices { kind number url } "
                                    "fees { amountCents } parts { caseNo } parent { caseNo } steps {")
    counts = {}
    for n in (5, 40):
        with counting(api.client.app.state.engine) as seen:
            data = await api.gql("ng_clerk", query, {"n": n})
        assert "errors" not in data, data
        assert any(e["node"]["notices"] for e in data["data"]["cases"]["edges"])
        counts[n] = len(seen)
    assert counts[5] == counts[40], counts
