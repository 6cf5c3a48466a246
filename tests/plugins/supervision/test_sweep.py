"""The sweep: set-based, idempotent, only where supervision is on, thresholds from the settings
cascade (locks included), paused cases skipped, urging after N hours, 督办 deadlines, the
notification job, and thresholds recomputed after a calendar change."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import (
    COUNTY,
    ENERGY,
    MIGRANT,
    SYSTEM,
    TOWNSHIP,
    new_case,
)
from tests.plugins.supervision.world import (
    CITY,
    MON,
    PATHS,
    at,
    build_supervision_world,
    cards,
    principal,
    watched,
)
from zhengwu.core import clock
from zhengwu.core.calendar.service import add_override
from zhengwu.core.jobs.base import run_job
from zhengwu.core.jobs.models import JobRun, OutboxMessage
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import jobs, service
from zhengwu.plugins.supervision.models import Alert, AlertEntry
from zhengwu.plugins.supervision.notify import notify_pending
from zhengwu.plugins.supervision.settings import SupervisionSettings
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.plugins.supervision.thresholds import SettingRegions
from zhengwu.tenants import enablement
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant

CLERK, APPROVER = principal("ng_clerk"), principal("ng_approver")
FT_CLERK, FT_APPROVER = principal("ft_clerk"), principal("ft_approver")


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def _run(s, **kw):
    report = await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now(), **kw)
    await s.commit()
    return report


async def _cases(s):
    """Four county cases accepted on Mon 28 Sep (due Sat 10 Oct, yellow from Fri 9 Oct) — one
    of them in a step, one suspended — and a township case (due Wed 30 Sep)."""
    ids = []
    with clock.freeze(MON):
        for _ in range(4):
            case = await intake.submit_case(s, CLERK, new_case(ENERGY))
            await intake.accept_case(s, CLERK, case.id)
            ids.append(case.id)
        town = await intake.submit_case(s, FT_CLERK, new_case(MIGRANT, TOWNSHIP, materials=(1, 2, 3)))
        await intake.accept_case(s, FT_CLERK, town.id)
        await s.commit()
    with at(2026, 9, 29):
        await intake.start_step(s, APPROVER, ids[1], 1)  # step 1: 1 working day → due 30 Sep
        await intake.suspend_case(s, APPROVER, ids[3], "hearing", "听证")
        await s.commit()
    return ids, town.id


async def test_a_sweep_raises_each_card_once(world):
    s = world
    ids, town = await _cases(s)
    with at(2026, 9, 30):
        r = await _run(s)
    assert (r.near_deadline, r.overdue, r.step_over_limit) == (1, 0, 0)
    assert await cards(s) == [("near_deadline", "")]  # the township case: due today
    with at(2026, 10, 8):
        r = await _run(s)
    assert (r.near_deadline, r.overdue, r.step_over_limit) == (0, 1, 1)
    assert await cards(s, town) == [("near_deadline", ""), ("overdue", "")]
    assert await cards(s, ids[1]) == [("step_over_limit", "1")]
    with at(2026, 10, 9):
        first = await _run(s)
        again = await _run(s)
    assert (first.near_deadline, first.overdue) == (3, 0)  # the suspended case: nothing
    assert again.raised == 0 and again.recomputed == 0
    assert await cards(s, ids[3]) == []
    with at(2026, 10, 12):
        r = await _run(s)
        assert (r.near_deadline, r.overdue) == (0, 3)
        assert (await _run(s)).raised == 0
    step = (await s.scalars(select(Alert).where(Alert.reason == "step_over_limit"))).one()
    assert (step.colour, step.kind, step.due_date, step.handler) == (
        "yellow", "step", date(2026, 9, 30), "ng_approver")


async def test_only_where_supervision_is_on(world):
    s = world
    ids, town = await _cases(s)
    await enablement.disable_plugin(s, SYSTEM, TOWNSHIP, "supervision")
    await s.commit()
    with at(2026, 10, 12):
        await _run(s)
    assert await cards(s, town) == []
    assert await cards(s, ids[0]) == [("near_deadline", ""), ("overdue", "")]


async def test_cases_accepted_before_enabling_get_their_yellow_day_from_the_sweep(world):
    s = world
    await enablement.disable_plugin(s, SYSTEM, CITY, "supervision")
    await s.commit()
    ids, _ = await _cases(s)
    assert (await watched(s, ids[0])).yellow_on is None
    await enablement.enable_plugin(s, SYSTEM, COUNTY, "supervision")
    await s.commit()
    with at(2026, 10, 9):
        r = await _run(s)
    assert r.recomputed == 5  # the county's four and its township's one
    row = await watched(s, ids[0])
    assert (row.yellow_days, row.yellow_on) == (1, date(2026, 10, 9))
    assert (r.near_deadline, r.overdue, r.step_over_limit) == (4, 1, 1)


async def test_thresholds_follow_the_cascade_and_a_provincial_lock(world):
    s = world
    ids, town = await _cases(s)
    await tenant_settings.set_setting(s, SYSTEM, COUNTY, "supervision", "yellow_days", 2)
    await tenant_settings.set_setting(s, SYSTEM, TOWNSHIP, "supervision", "yellow_days", 0)
    await s.commit()
    with at(2026, 9, 29):
        r = await _run(s)
    assert r.recomputed == 5  # four county cases (one paused, still watched) and the township's
    assert (await watched(s, ids[0])).yellow_on == date(2026, 10, 8)
    assert (await watched(s, town)).yellow_on == date(2026, 9, 30)
    # the province locks 3 working days for everyone below it
    await tenant_settings.lock_setting(s, SYSTEM, "34", "supervision", "yellow_days", 3)
    await s.commit()
    regions = await SettingRegions.load(s, "yellow_days")
    for path in (*PATHS.values(), "34"):
        tenant = await s.scalar(select(Tenant).where(Tenant.path == path))
        resolved = await tenant_settings.resolve(s, tenant, SupervisionSettings)
        assert regions.at(path) == resolved.yellow_days == (3 if path.startswith("34") else 1)
    with at(2026, 9, 29):
        r = await _run(s)
    assert r.recomputed == 5 and (await watched(s, ids[0])).yellow_on == date(2026, 9, 30)
    # three working days left (28, 29, 30 Sep) already on Thu 24 Sep: 中秋 25–27 Sep in between
    assert (await watched(s, town)).yellow_on == date(2026, 9, 24)


async def test_setting_regions_agree_with_the_cascade(world):
    s = world
    await tenant_settings.set_setting(s, SYSTEM, "34", "supervision", "urge_after_hours", 48)
    await tenant_settings.set_setting(s, SYSTEM, COUNTY, "supervision", "urge_after_hours", 6)
    await tenant_settings.lock_setting(s, SYSTEM, CITY, "supervision", "urge_after_hours", 12)
    await tenant_settings.set_setting(s, SYSTEM, "15", "supervision", "urge_after_hours", 72)
    await tenant_settings.set_setting(s, SYSTEM, "152501", "supervision", "urge_after_hours", 2)
    await s.commit()
    regions = await SettingRegions.load(s, "urge_after_hours")
    for path in PATHS.values():
        tenant = await s.scalar(select(Tenant).where(Tenant.path == path))
        resolved = await tenant_settings.resolve(s, tenant, SupervisionSettings)
        assert regions.at(path) == resolved.urge_after_hours, path
    assert regions.at(PATHS[COUNTY]) == 12 and regions.at("15/1525") == 72


async def test_urging_after_the_configured_hours(world):
    s = world
    _, town = await _cases(s)
    with at(2026, 9, 30, 9):
        await _run(s)  # the township's yellow card, raised 09:00
    with at(2026, 10, 1, 8):
        assert (await _run(s)).urged == 0  # 23 hours
    with at(2026, 10, 1, 10):
        assert (await _run(s)).urged == 1
        assert (await _run(s)).urged == 0
    card = (await s.scalars(select(Alert).where(Alert.case_id == town,
                                                Alert.reason == "near_deadline"))).one()
    assert card.urge_count == 1 and card.notify_pending
    entries = (await s.scalars(select(AlertEntry).where(AlertEntry.alert_id == card.id))).all()
    assert [(e.action, e.note) for e in entries] == [("urged", "1")]
    await service.acknowledge_alert(s, principal("ft_approver"), card.id)
    await s.commit()
    with at(2026, 10, 5):
        # the township's overdue card and the step card (raised 1 Oct 08:00), not this one
        assert (await _run(s)).urged == 2
    await s.refresh(card)
    assert card.urge_count == 1 and not card.notify_pending  # acknowledged: no more reminders
    await tenant_settings.set_setting(s, SYSTEM, COUNTY, "supervision", "urge_after_hours", 2)
    await s.commit()
    with at(2026, 10, 9, 9):
        r = await _run(s)
        assert (r.near_deadline, r.urged) == (3, 2)
    with at(2026, 10, 9, 10):
        assert (await _run(s)).urged == 0
    with at(2026, 10, 9, 11):
        # every two hours now, the earlier cards too (and the 9 Oct statutory-limit card)
        assert (await _run(s)).urged == 6


async def test_supervision_ticket_past_its_deadline_is_red(world):
    s = world
    ids, _ = await _cases(s)
    with at(2026, 9, 30):
        ticket = await service.supervise_case(s, principal("ng_supervisor"), case_no=(
            await watched(s, ids[0])).case_no, instructions="请加快办理", days=1)
        await s.commit()
    assert ticket.due_on == date(2026, 10, 8)  # the next working day after the holiday
    with at(2026, 10, 8):
        assert (await _run(s)).ticket_overdue == 0
    with at(2026, 10, 9):
        r = await _run(s)
        assert r.ticket_overdue == 1 and (await _run(s)).ticket_overdue == 0
    assert ("ticket_overdue", ticket.id.hex) in await cards(s, ids[0]) or \
        ("ticket_overdue", str(ticket.id)) in await cards(s, ids[0])
    await service.close_ticket(s, principal("ng_supervisor"), ticket.id, "已办结")
    await s.commit()


class Capture:
    def __init__(self):
        self.sent = []

    async def send(self, notifications):
        self.sent.extend(notifications)


async def test_notifications_go_to_the_handler_and_the_supervisors_above(world):
    s = world
    _, town = await _cases(s)
    with at(2026, 10, 12):
        r = await _run(s)
    assert r.notify_queued
    pending = (await s.scalars(select(OutboxMessage).where(
        OutboxMessage.job_name == "supervision.notify", OutboxMessage.dispatched_at.is_(None)))).all()
    assert len(pending) == 1
    capture = Capture()
    with at(2026, 10, 12):
        sent = await notify_pending(s, clock.now(), notifier=capture)
        await s.commit()
    assert sent == r.raised == len(capture.sent)
    by_case = {n.case_no: n for n in capture.sent if n.reason == "overdue"}
    town_no = (await watched(s, town)).case_no
    assert by_case[town_no].recipients == ("ft_clerk", "ft_supervisor", "ng_supervisor",
                                           "xc_supervisor")
    county = [n for n in capture.sent if n.case_no != town_no and n.reason == "overdue"]
    assert {n.recipients for n in county} == {("ng_clerk", "ng_supervisor", "xc_supervisor"),
                                              ("ng_approver", "ng_supervisor", "xc_supervisor")}
    statuses = set((await s.scalars(select(Alert.status))).all())
    assert statuses == {"notified"}
    with at(2026, 10, 12):
        assert await notify_pending(s, clock.now(), notifier=capture) == 0


async def test_the_window_head_is_notified_too(world, settings):
    from tests.plugins.intake.world import PASSWORD
    from zhengwu.core.security import users
    from zhengwu.tenants import venues

    s = world
    chief = await users.create_user(s, SYSTEM, users.NewUser("ng_chief", COUNTY, PASSWORD),
                                    settings=settings)
    holder = await users.create_user(s, SYSTEM, users.NewUser("ng_holder", COUNTY, PASSWORD),
                                     settings=settings)
    centre = await venues.create_venue(s, SYSTEM, COUNTY, venues.NewVenue("service_centre",
                                                                          "宁国市政务服务中心"))
    headed = await venues.create_window(s, SYSTEM, centre.id, venues.NewWindow(
        "1", "综合受理一号窗", chief_representative_id=chief.id, holder_id=holder.id))
    held = await venues.create_window(s, SYSTEM, centre.id, venues.NewWindow(
        "2", "综合受理二号窗", holder_id=holder.id))
    await s.commit()
    nos = {}
    with clock.freeze(MON):  # due Sat 10 Oct
        for label, window in (("chief", headed.id), ("holder", held.id), ("none", None)):
            case = await intake.submit_case(s, CLERK, new_case(ENERGY, window_id=window))
            await intake.accept_case(s, CLERK, case.id)
            nos[case.case_no] = label
        await s.commit()
    capture = Capture()
    with at(2026, 10, 12):
        await _run(s)
        await notify_pending(s, clock.now(), notifier=capture)
        await s.commit()
    got = {nos[n.case_no]: n.recipients for n in capture.sent if n.reason == "overdue"}
    assert got == {  # the chief representative heads the window; failing one, the holder
        "chief": ("ng_clerk", "ng_chief", "ng_supervisor", "xc_supervisor"),
        "holder": ("ng_clerk", "ng_holder", "ng_supervisor", "xc_supervisor"),
        "none": ("ng_clerk", "ng_supervisor", "xc_supervisor"),
    }
    history = (await s.scalars(select(AlertEntry.data).join(Alert, Alert.id == AlertEntry.alert_id)
                               .where(Alert.reason == "overdue", AlertEntry.action == "notified",
                                      Alert.case_no.in_(list(nos))))).all()
    assert sorted("ng_chief" in d["recipients"] for d in history) == [False, False, True]


async def test_the_scheduled_job_reports_progress(world, sessionmaker, settings):
    s = world
    await _cases(s)
    spec = next(j for j in jobs.JOBS if j.name == jobs.SWEEP)
    assert spec.cron == "*/10 * * * *"
    with at(2026, 10, 12):
        outcome = await run_job(spec, job_id="sweep-1", kwargs={}, sessionmaker=sessionmaker,
                                settings=settings, queue=None)
        again = await run_job(spec, job_id="sweep-2", kwargs={}, sessionmaker=sessionmaker,
                              settings=settings, queue=None)
    assert outcome.result["raised"] == 10 and outcome.result["overdue"] == 4
    assert outcome.result["statutory_overdue"] == 1
    assert again.result["raised"] == 0
    run = await s.scalar(select(JobRun).where(JobRun.job_id == "sweep-1"))
    assert (run.status, run.progress_done, run.progress_total) == ("done", 4, 4)


async def test_a_calendar_change_recomputes_yellow_days(world, sessionmaker, settings):
    s = world
    ids, _ = await _cases(s)
    assert (await watched(s, ids[0])).yellow_on == date(2026, 10, 9)
    with at(2026, 9, 30):
        await add_override(s, SYSTEM, COUNTY, date(2026, 10, 9), "holiday", "某纪念日")
        await s.commit()
    rows = (await s.scalars(select(OutboxMessage).where(
        OutboxMessage.job_name == jobs.RECOMPUTE))).all()
    assert len(rows) == 1 and rows[0].kwargs == {"under": PATHS[COUNTY], "years": [2026]}
    spec = next(j for j in jobs.JOBS if j.name == jobs.RECOMPUTE)
    with at(2026, 9, 30):
        await run_job(spec, job_id="r-1", kwargs=rows[0].kwargs, sessionmaker=sessionmaker,
                      settings=settings, queue=None)
    # intake has not moved the due date yet (its own job): the 9th is no working day now
    row = await watched(s, ids[0])
    assert (row.due_date, row.yellow_on) == (date(2026, 10, 10), date(2026, 10, 8))


async def test_the_sweep_from_the_command_line(world, settings, monkeypatch):
    import json

    from tests.cli import invoke_cli

    s = world
    await _cases(s)
    with at(2026, 10, 12):
        result = await invoke_cli(monkeypatch, settings, "supervision", "sweep", "--json")
        again = await invoke_cli(monkeypatch, settings, "supervision", "sweep")
        sent = await invoke_cli(monkeypatch, settings, "supervision", "notify")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["today"], report["raised"], report["overdue"]) == ("2026-10-12", 10, 4)
    assert report["statutory_overdue"] == 1
    assert again.exit_code == 0 and "cards raised / 新亮牌" in again.output
    assert sent.exit_code == 0 and "10 card(s) sent" in sent.output


async def test_a_complaint_not_answered_in_time_gets_a_red_card(world):
    from zhengwu.plugins.supervision import complaints

    s = world
    clerk = principal("ng_clerk")
    with at(2026, 9, 30):  # Wed: due Tue 13 Oct (8, 9, 10 调休, 12, 13 Oct)
        late = await complaints.file_complaint(s, clerk, tenant_code=COUNTY, source="hall",
                                               category="attitude", content="窗口态度差")
        prompt = await complaints.file_complaint(s, clerk, tenant_code=COUNTY, source="online",
                                                 category="efficiency", content="办理太慢")
        await s.commit()
        late_id, prompt_id = late.id, prompt.id
    with at(2026, 10, 13):
        await complaints.reply_complaint(s, clerk, prompt_id, "已答复")
        await s.commit()
        assert (await _run(s)).complaint_overdue == 0  # due today: not late yet
    with at(2026, 10, 14):
        first, again = await _run(s), await _run(s)
    assert (first.complaint_overdue, first.raised, again.raised) == (1, 1, 0)
    card = await s.scalar(select(Alert).where(Alert.reason == "complaint_overdue"))
    assert (card.colour, card.kind, card.case_id, card.due_date, card.tenant_path, card.case_no) \
        == ("red", "complaint", late_id, date(2026, 10, 13), PATHS[COUNTY], "")
    card_id = card.id
    assert await cards(s, prompt_id, live=False) == []
    with at(2026, 10, 15):
        await complaints.reply_complaint(s, clerk, late_id, "迟复")
        await s.commit()
        assert await cards(s, late_id) == []  # answered: cleared at once
        assert (await _run(s)).complaint_overdue == 0
    s.expire_all()
    card = await s.get(Alert, card_id)
    assert (card.status, card.cleared_reason) == ("cleared", "complaint answered")


async def test_overdue_rectifications_get_cards_until_done(world):
    from zhengwu.plugins.supervision import ratings

    s = world
    with clock.freeze(MON):
        nos = []
        for _ in range(2):
            case = await intake.submit_case(s, CLERK, new_case(ENERGY))
            await intake.accept_case(s, CLERK, case.id)
            nos.append((case.id, case.case_no))
        await s.commit()
    with at(2026, 9, 30):  # first contact due Thu 8 Oct, closed due Tue 27 Oct
        kept = await ratings.rate_case(s, CLERK, nos[0][1], 2, "pad", "等候时间太长")
        appealed = await ratings.rate_case(s, CLERK, nos[1][1], 1, "sms")
        await s.commit()
        kept_id, appealed_id = kept.id, appealed.id
    with at(2026, 10, 8):
        assert (await _run(s)).rectification_contact_overdue == 0
    with at(2026, 10, 9):
        first, again = await _run(s), await _run(s)
    assert (first.rectification_contact_overdue, again.rectification_contact_overdue) == (2, 0)
    contact = {c.case_id: c for c in (await s.scalars(select(Alert).where(
        Alert.reason == "rectification_contact_overdue"))).all()}
    assert {(c.colour, c.kind, c.due_date, c.handler) for c in contact.values()} == {
        ("yellow", "rating", date(2026, 10, 8), "ng_clerk")}
    assert {c.ref.replace("-", "") for c in contact.values()} == {kept_id.hex, appealed_id.hex}
    with at(2026, 10, 9, 11):
        await ratings.record_step(s, CLERK, kept_id, "verify", "电话联系申请人")
        await ratings.appeal_rating(s, CLERK, appealed_id, "恶意差评")
        await ratings.decide_appeal(s, principal("ng_supervisor"), appealed_id, True, "查实")
        await s.commit()
    assert [c for c in await cards(s) if c[0].startswith("rect")] == []  # 核实 done; void
    with at(2026, 10, 27):
        assert (await _run(s)).rectification_overdue == 0
    with at(2026, 10, 28):
        first, again = await _run(s), await _run(s)
    assert (first.rectification_overdue, again.rectification_overdue) == (1, 0)  # void: none
    [(reason, ref)] = [c for c in await cards(s, nos[0][0]) if c[0].startswith("rect")]
    assert reason == "rectification_overdue" and ref.replace("-", "") == kept_id.hex
    for step in ("rectify", "feedback", "callback"):
        with at(2026, 10, 28, 11):
            await ratings.record_step(s, principal("ng_approver"), kept_id, step, step)
            await s.commit()
    assert [c for c in await cards(s, nos[0][0]) if c[0].startswith("rect")] == []
    with at(2026, 10, 29):
        assert (await _run(s)).raised == 0
