"""Attacks on ``zhengwu intake replay``: a snapshot is announced to every listening plugin, so
it must carry nothing personal, and a replay of a township announces nothing of the county above it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.plugins.intake.world import (
    ID_NUMBER,
    MIGRANT,
    PHONE,
    TOWNSHIP,
    VILLAGE,
    build_intake_world,
    new_case,
    person,
    principal,
)
from zhengwu.core import clock
from zhengwu.plugins.intake import replay, service
from zhengwu.plugins.intake.inputs import SupplementItem

MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)


@pytest.fixture
async def world(system_session, settings):
    await build_intake_world(system_session, settings)
    return system_session


async def test_snapshots_carry_nothing_personal_and_stay_in_the_subtree(world, monkeypatch):
    s = world
    applicant = person(name="李四秘密", contact_name="王五联系人")
    with clock.freeze(MON):
        here = await service.submit_case(s, principal("ft_agent"), new_case(
            MIGRANT, VILLAGE, materials=(1, 2, 3), applicant=applicant))
        await service.accept_case(s, principal("ft_agent"), here.id)
        paused = await service.submit_case(s, principal("ft_clerk"), new_case(
            MIGRANT, TOWNSHIP, materials=(1, 2, 3), applicant=applicant))
        await service.accept_case(s, principal("ft_clerk"), paused.id)
        await service.request_supplement(s, principal("ft_clerk"), paused.id,
                                         [SupplementItem(1, "faulty", "复印件不清晰")])
        above = await service.submit_case(s, principal("ng_clerk"), new_case(applicant=applicant))
        await service.accept_case(s, principal("ng_clerk"), above.id)  # the county's, outside
        await s.commit()
    sent: list[tuple[str, str, dict]] = []

    async def capture(session, name, tenant_id, tenant_path, payload=None, actor="system"):
        sent.append((name, tenant_path, dict(payload or {})))

    monkeypatch.setattr(replay.events, "publish", capture)
    township_path = here.tenant_path.rsplit("/", 1)[0]
    with clock.freeze(MON):
        assert await replay.replay_open_cases(s, under_path=township_path) == 2
    assert {p["case_id"] for _, _, p in sent} == {str(here.id), str(paused.id)}
    for name, path, payload in sent:
        assert name == replay.SNAPSHOT
        assert path == township_path or path.startswith(township_path + "/")
        text = json.dumps(payload, ensure_ascii=False)
        for secret in (ID_NUMBER, ID_NUMBER[-4:], PHONE, PHONE[-4:], "李四秘密", "王五联系人",
                       "复印件不清晰"):
            assert secret not in text, (secret, text)
