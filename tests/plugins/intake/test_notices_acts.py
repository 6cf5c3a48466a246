"""The written notices of the acts after acceptance: 特别程序告知书 (ALL art. 45, one per
suspension), 延期告知书 (art. 42, once) and 撤回申请确认书 — issued by their act in its
transaction, numbered like the others, the applicant masked, the stored facts rendering the
same bytes again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import (
    COUNTY,
    ENERGY,
    ID_NUMBER,
    PHONE,
    PROPERTY,
    SYSTEM,
    build_intake_world,
    new_case,
    principal,
)
from zhengwu.core import clock
from zhengwu.core.errors import Conflict, DomainError
from zhengwu.plugins.intake import notices, service
from zhengwu.plugins.intake.inputs import NewParallelCase, ParallelPart
from zhengwu.plugins.intake.models import CaseNotice
from zhengwu.tenants.settings import set_setting

MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday; National Day (Oct 1–7) ahead
CLERK, APPROVER = principal("ng_clerk"), principal("ng_approver")


def at(y: int, m: int, d: int) -> Any:
    return clock.freeze(datetime(y, m, d, 2, 0, tzinfo=UTC))


async def _notices(s, case_id, kind: str | None = None) -> list[CaseNotice]:
    q = select(CaseNotice).where(CaseNotice.case_id == case_id)
    if kind is not None:
        q = q.where(CaseNotice.kind == kind)
    return list((await s.scalars(q.order_by(CaseNotice.issued_at, CaseNotice.id))).all())


@pytest.fixture
async def world(system_session, settings):
    await build_intake_world(system_session, settings)
    await set_setting(system_session, SYSTEM, COUNTY, "intake", "extension_item_types",
                      ["01", "07"])
    await system_session.commit()
    return system_session


async def test_each_suspension_issues_its_notice_and_resuming_issues_none(world):
    s = world
    with clock.freeze(MON):
        cid = (await service.submit_case(s, CLERK, new_case())).id
        await service.accept_case(s, CLERK, cid)
        await s.commit()
    with at(2026, 9, 29):
        await service.suspend_case(s, APPROVER, cid, "expert_review", "需要组织<b>专家</b>论证。")
        await s.commit()
    with at(2026, 10, 8):
        await service.resume_case(s, APPROVER, cid)
        await s.commit()
    with at(2026, 10, 9):
        await service.suspend_case(s, APPROVER, cid, "hearing", "涉及他人重大利益")
        await s.commit()
    first, second = await _notices(s, cid, "suspension")
    assert (first.event_key, second.event_key) == ("suspend:1", "suspend:2")
    # issued by the handling tenant (the county here), its own sequence
    assert (first.number, second.number) == ("341881-TB-2026-000001", "341881-TB-2026-000002")
    assert first.issued_by == "ng_approver"
    assert first.facts["procedure"] == "专家评审" and first.facts["suspended_on"] == "2026-09-29"
    assert first.facts["due_date"] == "2026-10-10"
    # the second states the due date as moved by the first pause (10 Oct → 13 Oct)
    assert second.facts["due_date"] == "2026-10-13" and second.facts["procedure"] == "听证"
    html = notices.render(first)
    assert "特别程序告知书" in html and "第四十五条" in html and "不计算在办理期限内" in html
    assert "&lt;b&gt;专家&lt;/b&gt;" in html and "。。" not in html
    assert "2026年9月29日" in html and first.number in html and "（印章）" in html
    assert ID_NUMBER not in html and PHONE not in html and "110*************2X" in html
    assert notices.verify(first) and notices.verify(second)


async def test_the_extension_notice_states_reason_approver_and_both_dates(world):
    s = world
    with clock.freeze(MON):
        cid = (await service.submit_case(s, CLERK, new_case())).id
        await service.accept_case(s, CLERK, cid)
        await service.extend_case(s, APPROVER, cid, 10, "需要专家论证")
        await s.commit()
        with pytest.raises(Conflict):
            await service.extend_case(s, APPROVER, cid, 1, "再次延期")
        await s.rollback()
    [ext] = await _notices(s, cid, "extension")
    assert ext.number == "341881-YQ-2026-000001" and ext.event_key == "extend"
    assert (ext.facts["due_before"], ext.facts["due_date"]) == ("2026-10-10", "2026-10-23")
    assert ext.facts["days"] == 10 and ext.facts["approved_by"] == "ng_approver"
    html = notices.render(ext)
    assert "延期告知书" in html and "负责人批准" in html and "需要专家论证" in html
    assert "2026年10月10日" in html and "2026年10月23日" in html and "10 个工作日" in html
    assert notices.verify(ext)
    with at(2026, 10, 9):  # issuing again for the same act returns the record, no new number
        again = await notices.issue_extension(s, APPROVER, await service.get_case(s, APPROVER, cid),
                                              "2026-10-10")
    assert again.id == ext.id and len(await _notices(s, cid, "extension")) == 1


async def test_a_refused_act_issues_no_notice(world):
    s = world
    with clock.freeze(MON):
        cid = (await service.submit_case(s, CLERK, new_case())).id
        await service.accept_case(s, CLERK, cid)
        await s.commit()
        with pytest.raises(DomainError) as e:  # the window may not approve an extension
            await service.extend_case(s, CLERK, cid, 5, "窗口人员无权批准")
        assert e.value.code == "auth.permission_denied"
        await s.rollback()
        with pytest.raises(DomainError) as e:  # nor suspend the handling side's case
            await service.suspend_case(s, CLERK, cid, "hearing", "听证")
        assert e.value.code == "auth.permission_denied"
        await s.rollback()
    assert [n.kind for n in await _notices(s, cid)] == ["acceptance"]


async def test_withdrawal_is_confirmed_once_with_the_stage_and_the_parts(world):
    s = world
    with clock.freeze(MON):
        early = (await service.submit_case(s, CLERK, new_case())).id
        await service.withdraw_case(s, CLERK, early, "申请人决定暂不办理")
        parallel = await service.submit_parallel(s, CLERK, NewParallelCase(
            tenant_code=COUNTY, title="新建项目", applicant=new_case().applicant,
            parts=(ParallelPart(ENERGY, new_case().materials),
                   ParallelPart(PROPERTY, new_case(materials=(1, 2, 3, 4)).materials))))
        await service.accept_case(s, CLERK, parallel.id)
        await s.commit()
    with at(2026, 9, 29):
        await service.withdraw_case(s, CLERK, parallel.id, "项目取消")
        await s.commit()
    [w] = await _notices(s, early)
    assert w.kind == "withdrawal" and w.number == "341881-CH-2026-000001"
    assert w.facts["stage"] == "已提交" and w.facts["accepted"] is False
    [pw] = await _notices(s, parallel.id, "withdrawal")
    assert pw.number == "341881-CH-2026-000002" and pw.facts["withdrawn_on"] == "2026-09-29"
    assert [p["case_no"] for p in pw.facts["parts"]] == [
        f"{parallel.case_no}-1", f"{parallel.case_no}-2"]
    for part in await service.parts_of(s, parallel):
        assert await _notices(s, part.id, "withdrawal") == []  # one confirmation, on the whole
    html = notices.render(pw)
    assert "撤回申请确认书" in html and "项目取消" in html and f"{parallel.case_no}-2" in html
    assert "2026年9月29日" in html and ID_NUMBER not in html and PHONE not in html
    s.expunge_all()
    with at(2030, 1, 1):
        [stored] = await _notices(s, parallel.id, "withdrawal")
        assert notices.verify(stored)
