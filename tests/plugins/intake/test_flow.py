"""The case lifecycle end to end through the services, on the real calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import (
    MIGRANT,
    TOWNSHIP,
    VILLAGE,
    build_intake_world,
    new_case,
    principal,
)
from zhengwu.core import clock
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.plugins.intake import service
from zhengwu.plugins.intake.inputs import SupplementItem
from zhengwu.plugins.intake.models import Case, CaseHistory

# Monday 2026-09-28, 10:00 in Shanghai: the National Day break (Oct 1–7) is three days away.
MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)


@pytest.fixture
async def world(system_session):
    await build_intake_world(system_session)
    return system_session


async def test_submit_accept_review_decide_deliver(world):
    s = world
    clerk, approver = principal("ng_clerk"), principal("ng_approver")
    with clock.freeze(MON):
        case = await service.submit_case(s, clerk, new_case())
        await s.commit()
        assert case.case_no == "341881-2026-000001"
        assert case.status == "submitted" and case.handling_path == case.tenant_path
        case = await service.accept_case(s, clerk, case.id)
        await s.commit()
    # 5 working days after Mon 28 Sep: Tue 29, Wed 30, then Oct 1–7 off, Thu 8, Fri 9, Sat 10 (调休)
    assert case.due_date == date(2026, 10, 10)
    skipped = [d["day"] for d in case.due_derivation["skipped"]]
    assert "2026-10-01" in skipped and "2026-10-07" in skipped
    with clock.freeze(datetime(2026, 9, 29, 2, tzinfo=UTC)):
        await service.start_step(s, approver, case.id, 1)
        await service.finish_step(s, approver, case.id, 1, "材料齐全")
        await service.start_step(s, approver, case.id, 2)
        await s.commit()
    with clock.freeze(datetime(2026, 10, 9, 2, tzinfo=UTC)):
        case = await service.decide_case(s, approver, case.id, approved=True)
        await s.commit()
    assert case.status == "approved" and case.on_time is True
    assert case.handling_days == 4  # 29, 30 Sep, 8, 9 Oct
    with clock.freeze(datetime(2026, 10, 10, 2, tzinfo=UTC)):
        case = await service.deliver_case(s, clerk, case.id, method="pickup")
        await s.commit()
    assert case.status == "delivered"
    actions = (await s.scalars(select(CaseHistory.action).where(CaseHistory.case_id == case.id)
                               .order_by(CaseHistory.at))).all()
    assert actions[0] == "submit" and "accept" in actions and actions[-1] == "deliver"


async def test_agent_point_path(world):
    s = world
    agent, township = principal("ft_agent"), principal("ft_approver")
    with clock.freeze(MON):
        case = await service.submit_case(s, agent, new_case(MIGRANT, VILLAGE, materials=(1, 2, 3)))
        await s.commit()
        assert case.channel == "agent" and case.basis == "agent"
        assert case.handling_path.endswith(TOWNSHIP) and case.tenant_path.endswith(VILLAGE)
        cid = case.id
        case = await service.accept_case(s, agent, cid)
        await s.commit()
        with pytest.raises(PermissionDenied):
            await service.decide_case(s, agent, cid, approved=True)
        await s.rollback()
        # the sibling village's agent cannot even see it
        with pytest.raises(NotFound):
            await service.get_case(s, principal("sc_agent"), cid)
        case = await service.decide_case(s, township, cid, approved=True)
        case = await service.deliver_case(s, agent, cid)
        await s.commit()
    assert case.status == "delivered"


async def test_supplement_one_notice_lists_everything(world):
    s = world
    clerk = principal("ng_clerk")
    with clock.freeze(MON):
        case = await service.submit_case(s, clerk, new_case(materials=()))
        await s.commit()
        cid = case.id
        with pytest.raises(Conflict) as e:
            await service.accept_case(s, clerk, cid)
        assert e.value.code == "case.materials_incomplete"
        await s.rollback()
        with pytest.raises(Invalid) as e:
            await service.request_supplement(s, clerk, cid, [SupplementItem(1)])
        assert "case.supplement_incomplete" in [p.code for p in e.value.params["problems"]]
        await s.rollback()
        notice = await service.request_supplement(s, clerk, cid, [SupplementItem(1), SupplementItem(2)])
        await s.commit()
        assert len(notice.items) == 2


async def test_bad_input_changes_nothing(world):
    s = world
    clerk = principal("ng_clerk")
    with clock.freeze(MON):
        bad = new_case(materials=(1, 9), applicant=service_person(id_number="110105194912310021"))
        with pytest.raises(Invalid) as e:
            await service.submit_case(s, clerk, bad)
        codes = {p.code for p in e.value.params["problems"]}
        assert "case.material_not_in_list" in codes and "pii.id_number_checksum" in codes
        await s.rollback()
    assert (await s.scalar(select(Case.id))) is None


def service_person(**kw):
    from tests.plugins.intake.world import person

    return person(**kw)
