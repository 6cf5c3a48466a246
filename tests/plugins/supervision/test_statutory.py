"""The second escalation: past the statutory limit (法定时限, not the promised one) a distinct
red card ``statutory_overdue`` — from the sweep (set-based, idempotent) and at once from
intake's events; paused time never counts; sent to the supervisors of the tier above as well;
and a replayed snapshot brings the statutory due date along."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select

from tests.plugins.intake.world import MIGRANT, SYSTEM, TOWNSHIP, new_case
from tests.plugins.supervision.world import (
    COUNTY,
    MON,
    PASSWORD,
    at,
    build_supervision_world,
    cards,
    principal,
    watched,
)
from zhengwu.core import clock
from zhengwu.core.security import grants, users
from zhengwu.plugins.intake import replay
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision.models import Alert, AlertEntry, WatchedCase
from zhengwu.plugins.supervision.notify import notify_pending
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.tenants import enablement

FT_CLERK, FT_APPROVER = principal("ft_clerk"), principal("ft_approver")


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def _run(s):
    report = await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
    await s.commit()
    return report


async def _township_case(s):
    """方塘乡's item: promised 2 working days (due Wed 30 Sep), statutory 3 (National Day
    skipped: due Thu 8 Oct)."""
    case = await intake.submit_case(s, FT_CLERK, new_case(MIGRANT, TOWNSHIP, materials=(1, 2, 3)))
    await intake.accept_case(s, FT_CLERK, case.id)
    return case.id


async def test_the_sweep_raises_it_once_past_the_statutory_limit_paused_time_not_counted(world):
    s = world
    with clock.freeze(MON):
        plain, paused = await _township_case(s), await _township_case(s)
        await s.commit()
    with at(2026, 9, 29):
        await intake.suspend_case(s, FT_APPROVER, paused, "inspection", "现场核查")
        await s.commit()
    assert (await watched(s, plain)).statutory_due == date(2026, 10, 8)
    with at(2026, 10, 8):  # the promised limit has passed, the statutory one not yet
        r = await _run(s)
    assert (r.overdue, r.statutory_overdue) == (1, 0)
    with at(2026, 10, 9):
        r = await _run(s)
        again = await _run(s)
    assert r.statutory_overdue == 1 and again.statutory_overdue == again.raised == 0
    assert ("statutory_overdue", "") in await cards(s, plain)
    card = await s.scalar(select(Alert).where(Alert.case_id == plain,
                                              Alert.reason == "statutory_overdue"))
    assert card is not None
    assert (card.colour, card.kind, card.due_date) == ("red", "deadline", date(2026, 10, 8))
    # the suspended case raises nothing while paused; resumed on Fri 9 Oct, its statutory limit
    # moves past the paused days (9, 10 Sat 调休, 12 Oct)
    assert await cards(s, paused) == []
    with at(2026, 10, 9):
        await intake.resume_case(s, FT_APPROVER, paused)
        await s.commit()
    row = await watched(s, paused)
    assert (row.due_date, row.statutory_due) == (date(2026, 10, 10), date(2026, 10, 12))
    with at(2026, 10, 12):
        r = await _run(s)
    assert r.statutory_overdue == 0 and ("statutory_overdue", "") not in await cards(s, paused)
    with at(2026, 10, 13):
        r = await _run(s)
    assert r.statutory_overdue == 1 and ("statutory_overdue", "") in await cards(s, paused)


async def test_events_raise_it_at_once(world):
    s = world
    with clock.freeze(MON):
        stepping, deciding = await _township_case(s), await _township_case(s)
        await s.commit()
    with at(2026, 10, 9):  # no sweep ran: the events re-assess the cards themselves
        await intake.start_step(s, FT_APPROVER, stepping, 1)
        await intake.decide_case(s, FT_APPROVER, deciding, approved=True)
        await s.commit()
    for case_id in (stepping, deciding):
        reasons = [r for r, _ in await cards(s, case_id)]
        assert "statutory_overdue" in reasons and "overdue" in reasons, (case_id, reasons)


async def test_it_is_escalated_to_the_supervisors_of_the_tier_above(world, settings):
    s = world
    # a county supervisor whose grant is on the county alone: no ordinary card of a township
    # case reaches them, the escalated one does
    user = await users.create_user(s, SYSTEM, users.NewUser("ng_superior", COUNTY, PASSWORD),
                                   settings=settings)
    await grants.grant_role(s, SYSTEM, user.id, "supervisor", COUNTY, subtree=False)
    with clock.freeze(MON):
        case_id = await _township_case(s)
        await s.commit()
    with at(2026, 10, 9):
        await _run(s)
        capture = _Capture()
        await notify_pending(s, clock.now(), notifier=capture)
        await s.commit()
    by_reason = {n.reason: n.recipients for n in capture.sent}
    assert by_reason["statutory_overdue"] == ("ft_clerk", "ft_supervisor", "ng_supervisor",
                                              "xc_supervisor", "ng_superior")
    assert "ng_superior" not in by_reason["overdue"]
    entry = await s.scalar(select(AlertEntry).join(Alert, Alert.id == AlertEntry.alert_id).where(
        Alert.case_id == case_id, Alert.reason == "statutory_overdue",
        AlertEntry.action == "notified"))
    assert entry is not None and "ng_superior" in entry.data["recipients"]


async def test_a_replayed_snapshot_brings_the_statutory_due_and_its_card(world):
    s = world
    with clock.freeze(MON):
        case_id = await _township_case(s)
        await s.commit()
    await s.execute(delete(AlertEntry))
    await s.execute(delete(Alert))
    await s.execute(delete(WatchedCase))
    await s.commit()
    with at(2026, 10, 9):
        assert await replay.replay_open_cases(s) == 1
        await s.commit()
    assert (await watched(s, case_id)).statutory_due == date(2026, 10, 8)
    assert ("statutory_overdue", "") in await cards(s, case_id)


class _Capture:
    def __init__(self):
        self.sent = []

    async def send(self, notifications):
        self.sent.extend(notifications)


@pytest.fixture
async def api(settings, system_session):
    from tests.plugins.supervision.api import supervision_api

    async for api in supervision_api(settings, system_session):
        yield api


async def test_graphql_lists_the_escalated_card(api, system_session):
    from tests.plugins.supervision.api import ALERT_FIELDS

    s = system_session
    with clock.freeze(MON):
        await _township_case(s)
        await s.commit()
    with at(2026, 10, 9):
        await _run(s)
    query = """query($filter: AlertFilter) { alerts(filter: $filter) { totalCount
        edges { node { %s } } } }""" % ALERT_FIELDS
    listed = await api.gql("ng_supervisor", query, {"filter": {"colour": "RED", "live": True}})
    assert "errors" not in listed, listed
    red = {e["node"]["reason"]: e["node"] for e in listed["data"]["alerts"]["edges"]}
    card = red["STATUTORY_OVERDUE"]
    assert (card["colour"], card["kind"], card["reasonName"], card["dueDate"]) == (
        "RED", "DEADLINE", "超过法定期限未办结", "2026-10-08")
