"""Intake announces its facts to other plugins, inside the transaction, without personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from tests.plugins.intake.world import (
    COUNTY,
    ID_NUMBER,
    PHONE,
    build_intake_world,
    new_case,
    principal,
)
from zhengwu.core import clock
from zhengwu.core.hooks import hookimpl
from zhengwu.core.plugin_api import PluginInfo
from zhengwu.platform import boot
from zhengwu.plugins.intake import service

MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)


def _listener() -> tuple[object, list]:
    heard: list = []

    @hookimpl
    def zhengwu_plugin_info() -> PluginInfo:
        return PluginInfo(name="ear", version="0", title_zh="听", title_en="ear")

    @hookimpl
    def zhengwu_event(event, session):
        if event.name.startswith("intake."):
            heard.append(event)

    return SimpleNamespace(zhengwu_plugin_info=zhengwu_plugin_info, zhengwu_event=zhengwu_event), heard


async def test_lifecycle_events_are_announced_without_personal_data(system_session):
    s = system_session
    await build_intake_world(s)
    ear, heard = _listener()
    boot([ear])
    try:
        clerk, approver = principal("ng_clerk"), principal("ng_approver")
        with clock.freeze(MON):
            cid = (await service.submit_case(s, clerk, new_case())).id
            await service.accept_case(s, clerk, cid)
            await service.start_step(s, approver, cid, 1)
            await service.finish_step(s, approver, cid, 1, "同意")
            await service.suspend_case(s, approver, cid, "hearing", "听证")
        with clock.freeze(datetime(2026, 9, 30, 2, tzinfo=UTC)):
            await service.resume_case(s, approver, cid)
            await service.decide_case(s, approver, cid, approved=True)
            await service.deliver_case(s, clerk, cid)
            await s.commit()
    finally:
        boot()
    names = [e.name for e in heard]
    assert names == ["intake.case_submitted", "intake.case_accepted", "intake.step_started",
                     "intake.step_finished", "intake.case_suspended", "intake.deadline_changed",
                     "intake.case_resumed", "intake.case_decided", "intake.case_delivered"]
    assert all(e.tenant_path == "34/3418/341881" for e in heard)
    decided = heard[names.index("intake.case_decided")]
    assert decided.payload["decision"] == "approved" and decided.payload["skipped_steps"] == [2, 3]
    assert {e.payload["department_name"] for e in heard  # a department: not personal data
            if e.name != "intake.deadline_changed"} == {"宁国市数据资源管理局"}
    moved = heard[names.index("intake.deadline_changed")].payload
    assert (moved["from"], moved["to"]) == ("2026-10-10", "2026-10-12")  # paused 28–29 Sep
    text = json.dumps([dict(e.payload) for e in heard], ensure_ascii=False)
    assert ID_NUMBER not in text and PHONE not in text and "张三" not in text
    assert COUNTY in heard[0].payload["case_no"]
