"""Cards that intake's events raise and clear at once, driven through intake's services on the
real calendar: acceptance, pauses across the 2026 National Day holiday, extensions, decisions,
and the irregularities (missing required material, skipped steps, outside the hall, fees)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import COUNTY, ENERGY, PROPERTY, SYSTEM, new_case
from tests.plugins.supervision.world import (
    MON,
    at,
    build_supervision_world,
    cards,
    principal,
    watched,
)
from zhengwu.core import clock
from zhengwu.core.plugin_host import current_host
from zhengwu.plugins.intake import service
from zhengwu.plugins.supervision.models import Alert, WatchedCase
from zhengwu.tenants import enablement
from zhengwu.tenants.settings import set_setting

CLERK, APPROVER = principal("ng_clerk"), principal("ng_approver")


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def _accepted(s, code=ENERGY, materials=(1, 2), tolerate=False, **kw):
    case = await service.submit_case(s, CLERK, new_case(code, materials=materials, **kw))
    await service.accept_case(s, CLERK, case.id, tolerate_missing=tolerate)
    await s.commit()
    return case.id


async def test_acceptance_starts_the_watch_with_its_yellow_day(world):
    s = world
    with clock.freeze(MON):
        cid = await _accepted(s)
    row = await watched(s, cid)
    # due Sat 10 Oct (调休 workday); one working day before it: Fri 9 Oct
    assert (row.watching, row.status, row.accepted_on, row.due_date) == (
        True, "accepted", date(2026, 9, 28), date(2026, 10, 10))
    assert (row.yellow_days, row.yellow_on) == (1, date(2026, 10, 9))
    assert row.handler == "ng_clerk" and row.handling_path == "34/3418/341881"
    assert await cards(s) == []


async def test_due_right_after_national_day_turns_yellow_before_the_holiday(world):
    s = world
    with at(2026, 9, 29):  # Tue: 5 working days → 30 Sep, 8, 9, 10, 12 Oct
        cid = await _accepted(s)
    row = await watched(s, cid)
    assert row.due_date == date(2026, 10, 12) and row.yellow_on == date(2026, 10, 10)
    await set_setting(s, SYSTEM, COUNTY, "supervision", "yellow_days", 4)
    await s.commit()
    with at(2026, 9, 29):
        cid = await _accepted(s)
    # four working days left (8, 9, 10, 12 Oct) already on Wed 30 Sep: the holiday does not count
    assert (await watched(s, cid)).yellow_on == date(2026, 9, 30)


async def test_suspension_across_national_day_raises_nothing_and_resume_recomputes(world):
    s = world
    with clock.freeze(MON):
        cid = await _accepted(s)
    with at(2026, 9, 29):
        await service.suspend_case(s, APPROVER, cid, "expert_review", "专家评审")
        await s.commit()
    row = await watched(s, cid)
    assert row.paused and row.paused_since == date(2026, 9, 29)
    with at(2026, 10, 8):
        case = await service.resume_case(s, APPROVER, cid)
        await s.commit()
    due = case.due_date
    row = await watched(s, cid)
    assert due == row.due_date == date(2026, 10, 13)
    assert not row.paused and row.pauses == [["2026-09-29", "2026-10-07"]]
    assert row.yellow_on == date(2026, 10, 12)
    assert await cards(s, cid) == []


async def test_a_pause_keeps_the_yellow_card_it_still_deserves(world):
    s = world
    with clock.freeze(MON):
        cid = await _accepted(s)
    with at(2026, 10, 9):  # the yellow day; the event-driven assessment runs with the event
        await service.start_step(s, APPROVER, cid, 1)
        await s.commit()
    assert await cards(s, cid) == [("near_deadline", "")]
    with at(2026, 10, 9):
        await service.suspend_case(s, APPROVER, cid, "hearing", "听证")
        await s.commit()
    with at(2026, 10, 20):
        await service.resume_case(s, APPROVER, cid)
        await s.commit()
    row = await watched(s, cid)
    # paused 9–19 Oct: the 9th and the 10th (Sat, 调休) no longer count: 20, 21 Oct instead
    assert (row.due_date, row.yellow_on) == (date(2026, 10, 21), date(2026, 10, 20))
    assert await cards(s, cid) == [("near_deadline", "")]  # still one working day left


async def test_resume_after_the_due_date_raises_red_at_once(world):
    s = world
    with clock.freeze(MON):
        cid = await _accepted(s)
    with at(2026, 10, 12):  # overdue since Sunday; no sweep has run
        await service.suspend_case(s, APPROVER, cid, "inspection", "现场核查")
        await s.commit()
    assert await cards(s, cid) == []
    with at(2026, 10, 14):
        await service.resume_case(s, APPROVER, cid)
        await s.commit()
    assert (await watched(s, cid)).due_date == date(2026, 10, 10)
    assert await cards(s, cid) == [("near_deadline", ""), ("overdue", "")]


async def test_extension_clears_the_yellow_card(world):
    s = world
    with clock.freeze(MON):
        cid = await _accepted(s)
    with at(2026, 10, 9):
        await service.start_step(s, APPROVER, cid, 1)
        await s.commit()
        assert await cards(s, cid) == [("near_deadline", "")]
        await service.extend_case(s, APPROVER, cid, 10, "需要专家论证")
        await s.commit()
    assert await cards(s, cid) == []
    cleared = (await s.scalars(select(Alert).where(Alert.case_id == cid))).one()
    assert cleared.status == "cleared" and "期限变更" in cleared.cleared_reason


async def test_decision_closes_the_watch_and_a_late_one_is_red(world):
    s = world
    with clock.freeze(MON):
        on_time = await _accepted(s)
        late = await _accepted(s)
    with at(2026, 10, 9):
        await service.decide_case(s, APPROVER, on_time, approved=True)
        await s.commit()
    with at(2026, 10, 14):
        await service.decide_case(s, APPROVER, late, approved=True)
        await s.commit()
    row = await watched(s, on_time)
    assert (row.watching, row.decided_on, row.on_time, row.closed_on) == (
        False, date(2026, 10, 9), True, date(2026, 10, 9))
    assert ("overdue", "") in await cards(s, late)
    assert ("skipped_steps", "") in await cards(s, late)


async def test_irregularities_are_red_at_once(world):
    s = world
    with clock.freeze(MON):
        tolerated = await _accepted(s, materials=(1,), tolerate=True)
        online = await _accepted(s, channel="online")
    assert await cards(s, tolerated) == [("missing_required", "")]
    detail = (await s.scalars(select(Alert.detail).where(Alert.case_id == tolerated))).one()
    assert detail == {"materials": [2], "tolerated": True}
    assert await cards(s, online) == [("outside_hall", "")]
    # a centre that accepts in-hall items online says so
    await set_setting(s, SYSTEM, COUNTY, "supervision", "hall_channels",
                      ["window", "agent", "kiosk", "online"])
    await s.commit()
    with clock.freeze(MON):
        fine = await _accepted(s, channel="online")
    assert await cards(s, fine) == []


async def test_fee_above_the_standard_from_an_imported_fact(world):
    """Intake refuses such a fee; an event from imported data still raises the card."""
    from zhengwu.core.events import announce, make_event

    s = world
    with clock.freeze(MON):
        cid = await _accepted(s, PROPERTY, materials=(1, 2, 3, 4))
        row = await watched(s, cid)
        await service.charge_fee(s, CLERK, cid, fee_seq=1, amount_cents=8000)
        await s.commit()
        assert await cards(s, cid) == []
        event = make_event("intake.fee_charged", row.tenant_id, row.tenant_path,
                           {"case_id": str(cid), "case_no": row.case_no, "status": "accepted",
                            "handling_path": row.handling_path, "fee_seq": 1,
                            "amount_cents": 12000, "standard_cents": 8000})
        await announce(s, current_host(), event)
        await announce(s, current_host(), event)  # the same fact twice: one card
        await s.commit()
    assert await cards(s, cid) == [("fee_above_standard", "1")]


async def test_where_supervision_is_off_the_projection_is_kept_but_nothing_raised(world):
    s = world
    await enablement.disable_plugin(s, SYSTEM, COUNTY, "supervision")
    await s.commit()
    with clock.freeze(MON):
        cid = await _accepted(s, materials=(1,), tolerate=True)
    row = await watched(s, cid)
    assert row.watching and row.due_date == date(2026, 10, 10)
    assert row.yellow_days is None and row.yellow_on is None
    assert await cards(s) == []


async def test_instant_items_are_not_watched(world):
    from tests.plugins.intake.world import BIRTH, TOWNSHIP

    s = world
    clerk = principal("ft_clerk")
    with clock.freeze(MON):
        case = await service.submit_case(s, clerk, new_case(BIRTH, TOWNSHIP, materials=(1, 2)))
        await service.complete_instant(s, clerk, case.id)
        await s.commit()
    row = await watched(s, case.id)
    assert (row.watching, row.status) == (False, "approved")
    assert await cards(s) == []
    assert (await s.scalar(select(WatchedCase.id).where(WatchedCase.watching))) is None


async def test_merging_a_township_moves_its_watch_and_cards(world):
    """撤并: 方塘乡 merges into 港口镇; the 方塘村 agent case's watch and card follow."""
    from tests.plugins.intake.world import MIGRANT, SIBLING_TOWNSHIP, VILLAGE
    from zhengwu.tenants.provisioning import merge_tenant

    s = world
    agent = principal("ft_agent")
    with clock.freeze(MON):
        case = await service.submit_case(s, agent, new_case(MIGRANT, VILLAGE, materials=(1, 2)))
        await service.accept_case(s, agent, case.id, tolerate_missing=True)
        await s.commit()
        cid = case.id
        assert await cards(s, cid) == [("missing_required", "")]
        await merge_tenant(s, SYSTEM, "341881204", SIBLING_TOWNSHIP)
        await s.commit()
    gk = "34/3418/341881/341881100"
    row = await watched(s, cid)
    assert (row.handling_path, row.tenant_path) == (gk, f"{gk}/{VILLAGE}")
    card = (await s.scalars(select(Alert).where(Alert.case_id == cid))).one()
    assert (card.handling_path, card.tenant_path) == (gk, f"{gk}/{VILLAGE}")


async def test_a_parallel_approval_is_watched_through_its_parts(world):
    from tests.plugins.intake.world import RELIGIOUS
    from zhengwu.plugins.intake.inputs import NewParallelCase, ParallelPart, SubmittedMaterial

    s = world
    new = NewParallelCase(
        tenant_code=COUNTY, title="并联审批",
        parts=(ParallelPart(ENERGY, (SubmittedMaterial(1, originals=1), SubmittedMaterial(2, copies=1))),
               ParallelPart(RELIGIOUS, tuple(SubmittedMaterial(q, originals=1) for q in (1, 2, 3)))),
        applicant=new_case().applicant)
    with clock.freeze(MON):
        parent = await service.submit_parallel(s, CLERK, new)
        pid = parent.id
        assert await s.get(WatchedCase, pid) is None  # submissions are not watched
        await service.accept_case(s, CLERK, pid)
        await s.commit()
    s.expire_all()
    rows = (await s.execute(select(WatchedCase.id, WatchedCase.is_parallel, WatchedCase.watching,
                                   WatchedCase.due_date, WatchedCase.parent_id)
                            .order_by(WatchedCase.case_no))).all()
    assert [tuple(r[1:]) for r in rows] == [
        (True, False, None, None),  # the parent: its parts carry the clocks
        (False, True, date(2026, 10, 10), pid), (False, True, date(2026, 10, 16), pid)]
    parts = rows[1:]
    with at(2026, 10, 12):
        from zhengwu.plugins.supervision.sweep import sweep

        await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
        await s.commit()
    assert await cards(s, pid) == []
    assert await cards(s, parts[0].id) == [("near_deadline", ""), ("overdue", "")]
