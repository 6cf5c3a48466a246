"""The statutory due date (法定时限) beside the promised one: on the handling tenant's real
calendar, paused time not counted, an extension added; announced in every payload, in
``intake.deadline_changed`` and in the replayed ``intake.case_snapshot``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from tests.plugins.intake.world import (
    COUNTY,
    MIGRANT,
    SYSTEM,
    TOWNSHIP,
    build_intake_world,
    new_case,
    principal,
)
from zhengwu.core import clock
from zhengwu.core.hooks import hookimpl
from zhengwu.core.plugin_api import PluginInfo
from zhengwu.platform import boot
from zhengwu.plugins.intake import replay, service
from zhengwu.tenants.settings import set_setting

MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday; National Day (1–7 Oct) ahead
FT_CLERK, FT_APPROVER = principal("ft_clerk"), principal("ft_approver")


def at(y: int, m: int, d: int):
    return clock.freeze(datetime(y, m, d, 2, 0, tzinfo=UTC))


def _listener() -> tuple[object, list]:
    heard: list = []

    @hookimpl
    def zhengwu_plugin_info() -> PluginInfo:
        return PluginInfo(name="ear", version="0", title_zh="听", title_en="ear")

    @hookimpl
    def zhengwu_event(event, session):
        if event.name.startswith("intake."):
            heard.append(event)

    return SimpleNamespace(zhengwu_plugin_info=zhengwu_plugin_info,
                           zhengwu_event=zhengwu_event), heard


async def test_statutory_due_on_the_calendar_with_pauses_and_extension(system_session):
    s = system_session
    await build_intake_world(s)
    await set_setting(s, SYSTEM, COUNTY, "intake", "extension_item_types", ["01", "20"])
    ear, heard = _listener()
    boot([ear])
    try:
        with clock.freeze(MON):
            a = await service.submit_case(s, FT_CLERK, new_case(MIGRANT, TOWNSHIP,
                                                                materials=(1, 2, 3)))
            a = await service.accept_case(s, FT_CLERK, a.id)
            b = await service.submit_case(s, FT_CLERK, new_case(MIGRANT, TOWNSHIP,
                                                                materials=(1, 2, 3)))
            b = await service.accept_case(s, FT_CLERK, b.id)
            await s.commit()
        # promised 2 working days: Tue 29, Wed 30 Sep; statutory 3: National Day skipped → Thu 8 Oct
        assert (a.due_date, a.statutory_due) == (date(2026, 9, 30), date(2026, 10, 8))
        with at(2026, 9, 29):
            await service.suspend_case(s, FT_APPROVER, a.id, "inspection", "现场核查")
            await s.commit()
        with at(2026, 10, 9):
            a = await service.resume_case(s, FT_APPROVER, a.id)
            await s.commit()
        # paused 29 Sep – 8 Oct: counting resumes Fri 9 Oct: 9, 10 (Sat, 调休), 12 Oct
        assert (a.due_date, a.statutory_due) == (date(2026, 10, 10), date(2026, 10, 12))
        with clock.freeze(MON):
            b = await service.extend_case(s, FT_APPROVER, b.id, 2, "需要现场核查")
            await s.commit()
        # an extension lengthens the statutory limit too (ALL art. 42): 3 + 2 → Sat 10 Oct
        assert (b.due_date, b.statutory_due) == (date(2026, 10, 9), date(2026, 10, 10))
    finally:
        boot()
    of_a = [e for e in heard if e.payload.get("case_id") == str(a.id)]
    accepted = next(e for e in of_a if e.name == "intake.case_accepted")
    assert accepted.payload["statutory_due"] == "2026-10-08"
    moved = next(e for e in of_a if e.name == "intake.deadline_changed")
    assert (moved.payload["from"], moved.payload["to"], moved.payload["statutory_due"]) == (
        "2026-09-30", "2026-10-10", "2026-10-12")
    resumed = next(e for e in of_a if e.name == "intake.case_resumed")
    assert resumed.payload["statutory_due"] == "2026-10-12"
    extended = next(e for e in heard if e.name == "intake.case_extended")
    assert extended.payload["statutory_due"] == "2026-10-10"


async def test_the_replayed_snapshot_carries_the_statutory_due(system_session):
    s = system_session
    await build_intake_world(s)
    with clock.freeze(MON):
        case = await service.submit_case(s, FT_CLERK, new_case(MIGRANT, TOWNSHIP,
                                                               materials=(1, 2, 3)))
        await service.accept_case(s, FT_CLERK, case.id)
        await s.commit()
    ear, heard = _listener()
    boot([ear])
    try:
        with at(2026, 10, 9):
            assert await replay.replay_open_cases(s) == 1
            await s.commit()
    finally:
        boot()
    [snap] = [e for e in heard if e.name == "intake.case_snapshot"]
    assert (snap.payload["due_date"], snap.payload["statutory_due"]) == ("2026-09-30",
                                                                         "2026-10-08")
