"""Every transition from every state (allowed and refused), and the clock's rules on the real
calendar: pauses, extensions, supplements, instant items, parallel approval, and the
recomputation of open deadlines when the calendar changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import (
    BIRTH,
    COUNTY,
    ENERGY,
    ID_NUMBER,
    PHONE,
    PROPERTY,
    RELIGIOUS,
    SYSTEM,
    TOWNSHIP,
    build_intake_world,
    new_case,
    principal,
)
from zhengwu.core import clock
from zhengwu.core.calendar.service import import_notice
from zhengwu.core.errors import Conflict, DomainError, Invalid
from zhengwu.plugins.intake import service
from zhengwu.plugins.intake.inputs import (
    NewParallelCase,
    ParallelPart,
    SubmittedMaterial,
    SupplementItem,
)
from zhengwu.plugins.intake.jobs import recompute_deadlines
from zhengwu.plugins.intake.lifecycle import ACTIONS, STATES
from zhengwu.plugins.intake.models import Case, CaseHistory
from zhengwu.tenants.settings import set_setting

MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday 28 Sep 2026, 10:00 in Shanghai


def at(y: int, m: int, d: int) -> Any:
    return clock.freeze(datetime(y, m, d, 2, 0, tzinfo=UTC))


@pytest.fixture
async def world(system_session, settings):
    await build_intake_world(system_session, settings, with_users=True)
    await set_setting(system_session, SYSTEM, COUNTY, "intake", "extension_item_types", ["01", "07"])
    await system_session.commit()
    return system_session


CLERK, APPROVER = principal("ng_clerk"), principal("ng_approver")
PROPERTY_MATERIALS = (1, 2, 3, 4)


async def _in_state(s, state: str):
    """A fresh 不动产首次登记 case driven to ``state`` through the services."""
    materials = () if state == "needs_supplement" else PROPERTY_MATERIALS
    case = await service.submit_case(s, CLERK, new_case(PROPERTY, materials=materials))
    cid = case.id
    if state == "needs_supplement":
        await service.request_supplement(s, CLERK, cid, [SupplementItem(q) for q in PROPERTY_MATERIALS])
    elif state == "not_accepted":
        await service.not_accept_case(s, CLERK, cid, "不属于本机关职权范围", "《行政许可法》第三十二条")
    elif state == "withdrawn":
        await service.withdraw_case(s, CLERK, cid, "申请人撤回")
    elif state != "submitted":
        await service.accept_case(s, CLERK, cid)
        if state == "in_review":
            await service.start_step(s, APPROVER, cid, 1)
        elif state == "suspended":
            await service.suspend_case(s, APPROVER, cid, "inspection", "现场核查")
        elif state in ("approved", "denied", "delivered"):
            await service.decide_case(s, APPROVER, cid, approved=state != "denied", reason="不符合条件")
            if state == "delivered":
                await service.deliver_case(s, CLERK, cid)
    await s.commit()
    return cid


CALLS = {
    "request_supplement": lambda s, c: service.request_supplement(s, CLERK, c, [SupplementItem(1, "faulty")]),
    "receive_supplement": lambda s, c: service.receive_supplement(
        s, CLERK, c, [SubmittedMaterial(q, originals=1) for q in PROPERTY_MATERIALS]),
    "accept": lambda s, c: service.accept_case(s, CLERK, c),
    "not_accept": lambda s, c: service.not_accept_case(s, CLERK, c, "理由", "依据"),
    "assign_step": lambda s, c: service.assign_step(s, APPROVER, c, 1, "ng_approver"),
    "start_step": lambda s, c: service.start_step(s, APPROVER, c, 1),
    "finish_step": lambda s, c: service.finish_step(s, APPROVER, c, 1, "同意"),
    "decide": lambda s, c: service.decide_case(s, APPROVER, c, approved=True),
    "deliver": lambda s, c: service.deliver_case(s, CLERK, c),
    "withdraw": lambda s, c: service.withdraw_case(s, CLERK, c, "申请人撤回"),
    "suspend": lambda s, c: service.suspend_case(s, APPROVER, c, "hearing", "听证"),
    "resume": lambda s, c: service.resume_case(s, APPROVER, c),
    "extend": lambda s, c: service.extend_case(s, APPROVER, c, 5, "情况复杂"),
    "charge_fee": lambda s, c: service.charge_fee(s, CLERK, c, fee_seq=1, amount_cents=8000),
}


async def test_every_action_from_every_state(world):
    s = world
    assert set(CALLS) == set(ACTIONS) - {"complete_instant"}  # instant items: their own test
    with clock.freeze(MON):
        cases = {state: await _in_state(s, state) for state in STATES}
        outcomes: dict[tuple[str, str], str] = {}
        for name, call in CALLS.items():
            for state, cid in cases.items():
                try:
                    await call(s, cid)
                    outcomes[(name, state)] = "ok"
                except DomainError as exc:
                    outcomes[(name, state)] = exc.code
                await s.rollback()
    wrong = []
    for (name, state), code in outcomes.items():
        allowed = state in ACTIONS[name].from_states
        if allowed and code == "case.transition_not_allowed":
            wrong.append((name, state, "refused although allowed"))
        if not allowed and code != "case.transition_not_allowed":
            wrong.append((name, state, f"not refused: {code}"))
        if allowed and code not in ("ok", "case.step_active", "case.step_not_pending"):
            wrong.append((name, state, code))
    assert wrong == []
    # refused attempts left every case as it was
    statuses = dict((await s.execute(select(Case.id, Case.status))).all())
    assert {state: statuses[cid] for state, cid in cases.items()} == {st: st for st in STATES}


async def test_suspension_pauses_the_clock_across_national_day(world):
    s = world
    with clock.freeze(MON):
        cid = (await service.submit_case(s, CLERK, new_case())).id
        case = await service.accept_case(s, CLERK, cid)
        await s.commit()
    assert case.due_date == date(2026, 10, 10)  # 29, 30 Sep, 8, 9, 10 (Sat, 调休) Oct
    with at(2026, 9, 29):
        await service.suspend_case(s, APPROVER, cid, "expert_review", "专家评审")
        await s.commit()
    with at(2026, 10, 8):
        case = await service.resume_case(s, APPROVER, cid)
        await s.commit()
    # paused 29 Sep – 7 Oct: counting resumes on Thu 8 Oct: 8, 9, 10 (Sat), 12, 13
    assert case.due_date == date(2026, 10, 13) and case.status == "accepted"
    assert case.due_derivation["paused"][:2] == ["2026-09-29", "2026-09-30"]
    changes = (await s.scalars(select(CaseHistory).where(
        CaseHistory.case_id == cid, CaseHistory.action == "deadline_changed"))).all()
    assert [(h.data["from"], h.data["to"]) for h in changes] == [("2026-10-10", "2026-10-13")]


async def test_pause_started_and_ended_the_same_day_moves_nothing(world):
    s = world
    with clock.freeze(MON):
        cid = (await service.submit_case(s, CLERK, new_case())).id
        await service.accept_case(s, CLERK, cid)
        await service.suspend_case(s, APPROVER, cid, "hearing", "听证")
        case = await service.resume_case(s, APPROVER, cid)
        await s.commit()
    assert case.due_date == date(2026, 10, 10)


async def test_extension_once_within_the_statute(world):
    s = world
    with clock.freeze(MON):
        cid = (await service.submit_case(s, CLERK, new_case())).id
        await service.accept_case(s, CLERK, cid)
        await s.commit()
        with pytest.raises(Invalid) as e:
            await service.extend_case(s, APPROVER, cid, 11, "超过十日")
        assert e.value.code == "case.extension_days"
        await s.rollback()
        with pytest.raises(DomainError) as e:
            await service.extend_case(s, CLERK, cid, 5, "窗口人员无权批准")
        assert e.value.code == "auth.permission_denied"
        await s.rollback()
        case = await service.extend_case(s, APPROVER, cid, 10, "需要专家论证")
        await s.commit()
        # 15 working days: 29, 30 Sep; 8, 9, 10 (Sat, 调休), 12–16, 19–23 Oct
        assert case.due_date == date(2026, 10, 23)
        with pytest.raises(Conflict) as e:
            await service.extend_case(s, APPROVER, cid, 1, "再次延期")
        assert e.value.code == "case.already_extended"


async def test_instant_item_is_accepted_and_decided_the_same_day(world):
    s = world
    clerk = principal("ft_clerk")
    with clock.freeze(MON):
        case = await service.submit_case(s, clerk, new_case(BIRTH, TOWNSHIP, materials=(1, 2)))
        cid = case.id
        case = await service.complete_instant(s, clerk, cid)
        await s.commit()
    assert (case.status, case.accepted_on, case.decided_on, case.due_date, case.on_time) == (
        "approved", date(2026, 9, 28), date(2026, 9, 28), date(2026, 9, 28), True)
    with clock.freeze(MON):
        other = (await service.submit_case(s, CLERK, new_case())).id
        with pytest.raises(Conflict) as e:
            await service.complete_instant(s, CLERK, other)
        assert e.value.code == "case.not_instant"


async def test_late_supplement_notice_counts_acceptance_from_receipt(world):
    """ALL art. 32: a notice later than 5 working days → accepted from the day of receipt."""
    s = world
    with clock.freeze(MON):
        cid = (await service.submit_case(s, CLERK, new_case(materials=(1,)))).id
        await s.commit()
    with at(2026, 10, 12):  # 29, 30 Sep, 8, 9, 10 Oct were the five days: 12 Oct is late
        notice = await service.request_supplement(s, CLERK, cid, [SupplementItem(2)])
        assert notice.late and notice.notify_by == date(2026, 10, 10)
        await service.receive_supplement(s, CLERK, cid, [SubmittedMaterial(2, copies=1)])
        case = await service.accept_case(s, CLERK, cid)
        await s.commit()
    assert case.accepted_on == date(2026, 9, 28) and case.due_date == date(2026, 10, 10)


async def test_parallel_approval_one_window_in_and_out(world):
    s = world
    new = NewParallelCase(
        tenant_code=COUNTY, title="宁国市某科技有限公司投资项目并联审批",
        parts=(ParallelPart(ENERGY, (SubmittedMaterial(1, originals=1), SubmittedMaterial(2, copies=1))),
               ParallelPart(RELIGIOUS, tuple(SubmittedMaterial(q, originals=1) for q in (1, 2, 3)))),
        applicant=new_case().applicant)
    with clock.freeze(MON):
        parent = await service.submit_parallel(s, CLERK, new)
        pid = parent.id
        parent = await service.accept_case(s, CLERK, pid)
        await s.commit()
        parts = await service.parts_of(s, parent)
    ids = [p.id for p in parts]
    assert [p.case_no for p in parts] == [f"{parent.case_no}-1", f"{parent.case_no}-2"]
    assert [p.due_date for p in parts] == [date(2026, 10, 10), date(2026, 10, 16)]
    assert parent.due_date == date(2026, 10, 16)
    with at(2026, 10, 9):
        await service.decide_case(s, APPROVER, ids[0], approved=True)
        with pytest.raises(Conflict) as e:
            await service.deliver_case(s, CLERK, ids[0])
        assert e.value.code == "case.deliver_through_parent"
        await s.rollback()
        await service.decide_case(s, APPROVER, ids[0], approved=True)
        await s.commit()
        assert (await s.get(Case, pid)).status == "accepted"  # one part still open
        await service.decide_case(s, APPROVER, ids[1], approved=True)
        await s.commit()
        parent = await service.get_case(s, CLERK, pid)
        assert parent.status == "approved"
        await service.deliver_case(s, CLERK, pid, method="courier")
        await s.commit()
    statuses = (await s.scalars(select(Case.status).where(Case.parent_id == pid))).all()
    assert statuses == ["delivered", "delivered"]


async def test_fees_at_or_below_the_standard(world):
    s = world
    with clock.freeze(MON):
        cid = (await service.submit_case(s, CLERK, new_case(PROPERTY, materials=PROPERTY_MATERIALS))).id
        await s.commit()
        with pytest.raises(Invalid) as e:
            await service.charge_fee(s, CLERK, cid, fee_seq=1, amount_cents=8001)
        assert e.value.code == "case.fee_above_standard"
        await s.rollback()
        with pytest.raises(Invalid) as e:
            await service.charge_fee(s, CLERK, cid, fee_seq=2, amount_cents=100)
        assert e.value.code == "case.fee_unknown"
        await s.rollback()
        await service.charge_fee(s, CLERK, cid, fee_seq=1, amount_cents=8000)
        await s.commit()
    assert (await s.get(Case, cid)).fees_cents == 8000


async def test_double_submission_is_refused_and_creates_nothing(world):
    s = world
    with clock.freeze(MON):
        first = await service.submit_case(s, CLERK, new_case(idempotency_key="kiosk-01-0001"))
        await s.commit()
        with pytest.raises(Conflict) as e:
            await service.submit_case(s, CLERK, new_case(idempotency_key="kiosk-01-0001"))
        assert e.value.code == "case.duplicate_submission"
        assert e.value.params["case_no"] == first.case_no
        await s.rollback()
    assert len((await s.scalars(select(Case.id))).all()) == 1


async def test_calendar_change_recomputes_open_deadlines(world):
    """A deadline crossing into 2027 is provisional; the 2027 notice, once imported, moves it
    and the change is recorded (Alaveteli #7292). The notice below is a test fixture."""
    s = world
    with at(2026, 12, 24):
        cid = (await service.submit_case(s, CLERK, new_case(RELIGIOUS, materials=(1, 2, 3)))).id
        case = await service.accept_case(s, CLERK, cid)
        await s.commit()
    # 25, 28, 29, 30, 31 Dec; 1 Jan off (provisional rule: 元旦); 4, 5, 6, 7, 8 Jan
    assert case.due_date == date(2027, 1, 8) and case.due_provisional
    with at(2026, 12, 28):
        holidays = [(date(2027, 1, d), "元旦") for d in (1, 2, 3, 4)]
        await import_notice(s, SYSTEM, 2027, holidays, [])
        changed = await recompute_deadlines(s, under="0", years=[2027])
        await s.commit()
        again = await recompute_deadlines(s, under="0", years=[2027])
    case = await s.get(Case, cid)
    assert changed == 1 and again == 0
    assert case.due_date == date(2027, 1, 11) and not case.due_provisional
    history = (await s.scalars(select(CaseHistory).where(
        CaseHistory.case_id == cid, CaseHistory.action == "deadline_changed"))).all()
    assert [(h.data["from"], h.data["to"]) for h in history] == [("2027-01-08", "2027-01-11")]


async def test_personal_data_is_encrypted_at_rest_and_never_logged(world, caplog):
    s = world
    caplog.set_level("DEBUG")
    with clock.freeze(MON):
        cid = (await service.submit_case(s, CLERK, new_case())).id
        await s.commit()
    row = (await s.execute(select(Case.__table__).where(Case.id == cid))).mappings().one()
    flat = " ".join(str(v) for v in row.values())
    assert ID_NUMBER not in flat and PHONE not in flat
    assert row["applicant_id_masked"] == "110*************2X" and row["phone_masked"] == "138******78"
    assert service.current_cipher().decrypt(row["applicant_id_enc"]) == ID_NUMBER
    assert ID_NUMBER not in caplog.text and PHONE not in caplog.text


async def test_merging_a_township_hands_its_cases_to_the_target(world):
    """撤并: 方塘乡 merges into 港口镇; the 方塘村 agent case follows, handled by 港口镇."""
    from tests.plugins.intake.world import MIGRANT, SIBLING_TOWNSHIP, VILLAGE
    from zhengwu.core.security.principal import GrantRef, Principal
    from zhengwu.tenants.provisioning import merge_tenant

    s = world
    with clock.freeze(MON):
        cid = (await service.submit_case(s, principal("ft_agent"), new_case(MIGRANT, VILLAGE, materials=(1, 2, 3)))).id
        await service.accept_case(s, principal("ft_agent"), cid)
        await s.commit()
        await merge_tenant(s, SYSTEM, TOWNSHIP, SIBLING_TOWNSHIP)
        await s.commit()
        case = await s.get(Case, cid)
        gk = "34/3418/341881/341881100"
        assert case.handling_path == gk and case.tenant_path == f"{gk}/{VILLAGE}"
        approver = Principal(None, "gk_approver", None, gk, None, gk, "township", (GrantRef("approver", gk),))
        case = await service.decide_case(s, approver, cid, approved=True)
        await s.commit()
    assert case.status == "approved"


async def test_calendar_change_defers_the_recompute_job(world):
    """The listener writes an outbox row in the notice's transaction; nothing runs before commit."""
    from zhengwu.core.jobs.models import OutboxMessage

    s = world
    await import_notice(s, SYSTEM, 2027, [(date(2027, 1, 1), "元旦")], [])
    await s.commit()
    rows = (await s.scalars(select(OutboxMessage).where(
        OutboxMessage.job_name == "intake.recompute_deadlines"))).all()
    assert len(rows) == 1 and rows[0].kwargs["years"] == [2027] and rows[0].kwargs["under"] == "0"


async def test_recompute_job_runs_through_the_job_runner(world, sessionmaker, settings):
    from zhengwu.core.jobs.base import run_job
    from zhengwu.plugins.intake.jobs import JOBS

    s = world
    with at(2026, 12, 24):
        cid = (await service.submit_case(s, CLERK, new_case(RELIGIOUS, materials=(1, 2, 3)))).id
        await service.accept_case(s, CLERK, cid)
        await import_notice(s, SYSTEM, 2027, [(date(2027, 1, d), "元旦") for d in (1, 2, 3, 4)], [])
        await s.commit()
        outcome = await run_job(JOBS[0], job_id="recompute-1", kwargs={"under": "0", "years": [2027]},
                                sessionmaker=sessionmaker, settings=settings, queue=None)
    assert outcome.ran and outcome.result == 1
    s.expire_all()
    assert (await s.get(Case, cid)).due_date == date(2027, 1, 11)


async def test_concurrent_submissions_get_distinct_numbers(world, sessionmaker):
    import asyncio

    async def one(i: int) -> str:
        async with sessionmaker() as s:
            s.info["scope"] = "34/3418/341881"
            case = await service.submit_case(s, CLERK, new_case(idempotency_key=f"k{i}"))
            await s.commit()
            return case.case_no

    with clock.freeze(MON):  # once, around all tasks: per-task freezes would unwind out of order
        numbers = await asyncio.gather(*(one(i) for i in range(8)))
    assert sorted(numbers) == [f"341881-2026-{n:06d}" for n in range(1, 9)]
