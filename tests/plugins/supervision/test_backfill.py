"""Open cases supervision never saw (accepted before it was installed, or imported) come into
the projection through ``zhengwu intake replay``: the replayed row equals the row the events
would have built, cards are raised at once, a second replay changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from tests.cli import invoke_cli
from tests.plugins.intake.world import ENERGY, MIGRANT, TOWNSHIP, new_case
from tests.plugins.supervision.world import (
    MON,
    at,
    build_supervision_world,
    cards,
    principal,
)
from zhengwu.core import clock
from zhengwu.plugins.intake import replay, service
from zhengwu.plugins.supervision.models import Alert, AlertEntry, WatchedCase

CLERK, APPROVER = principal("ng_clerk"), principal("ng_approver")
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "intake-cases-341881.csv"
FANGTANG = "34/3418/341881/341881204"
_FIELDS = ("case_no", "tenant_path", "handling_path", "status", "watching", "accepted_on",
           "due_date", "statutory_due", "yellow_days", "yellow_on", "step_seq", "step_name",
           "step_started_on", "step_limit", "step_due", "paused", "paused_since", "pauses", "basic_code", "channel",
           "case_type", "window_id", "department_name", "handler", "is_parallel")


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def _accepted(s, principal=CLERK, code=ENERGY, **kw):
    case = await service.submit_case(s, principal, new_case(code, materials=kw.pop("materials",
                                                                                (1, 2)), **kw))
    await service.accept_case(s, principal, case.id)
    await s.commit()
    return case.id


async def _rows(s) -> dict:
    s.expire_all()
    rows = (await s.scalars(select(WatchedCase))).all()
    return {r.id: {f: getattr(r, f) for f in _FIELDS} for r in rows}


async def _forget(s) -> None:
    """What a deployment that installs supervision today has: no projection, no cards."""
    await s.execute(delete(AlertEntry))
    await s.execute(delete(Alert))
    await s.execute(delete(WatchedCase))
    await s.commit()


async def _cases_in_every_state(s) -> dict[str, object]:
    ids = {}
    with clock.freeze(MON):
        ids["plain"] = await _accepted(s)
        ids["stepping"] = await _accepted(s)
        ids["paused"] = await _accepted(s)
        ids["resumed"] = await _accepted(s)
        ids["decided"] = await _accepted(s)
        ids["withdrawn"] = await _accepted(s)
        submitted = await service.submit_case(s, CLERK, new_case(ENERGY, materials=(1, 2)))
        ids["submitted"] = submitted.id
        await s.commit()
    with at(2026, 9, 29):
        await service.start_step(s, APPROVER, ids["stepping"], 1)
        await service.suspend_case(s, APPROVER, ids["paused"], "expert_review", "专家评审")
        await service.suspend_case(s, APPROVER, ids["resumed"], "hearing", "听证")
        await service.decide_case(s, APPROVER, ids["decided"], approved=True)
        await service.withdraw_case(s, CLERK, ids["withdrawn"], "申请人撤回")
        await s.commit()
    with at(2026, 10, 9):
        await service.resume_case(s, APPROVER, ids["resumed"])
        await s.commit()
    return ids


async def test_a_replay_rebuilds_the_projection_the_events_built(world):
    s = world
    ids = await _cases_in_every_state(s)
    built = await _rows(s)
    open_ids = {ids[k] for k in ("plain", "stepping", "paused", "resumed")}
    assert {k for k, v in built.items() if v["watching"]} == open_ids
    await _forget(s)
    with at(2026, 10, 9):
        announced = await replay.replay_open_cases(s, batch=2)  # several batches
        await s.commit()
    assert announced == 4
    rebuilt = await _rows(s)
    assert set(rebuilt) == open_ids  # neither decided, withdrawn nor merely submitted cases
    for case_id in open_ids:
        assert rebuilt[case_id] == built[case_id], case_id
    resumed = rebuilt[ids["resumed"]]
    assert resumed["pauses"] == [["2026-09-29", "2026-10-08"]] and not resumed["paused"]
    assert rebuilt[ids["paused"]]["paused_since"] == date(2026, 9, 29)
    assert rebuilt[ids["stepping"]]["step_seq"] == 1


async def test_replayed_cases_get_their_cards_at_once_and_a_second_replay_changes_nothing(world):
    s = world
    ids = await _cases_in_every_state(s)
    await _forget(s)
    with at(2026, 10, 14):  # plain and stepping were due Sat 10 Oct: overdue now
        await replay.replay_open_cases(s)
        await s.commit()
    assert await cards(s, ids["plain"]) == [("near_deadline", ""), ("overdue", "")]
    assert ("overdue", "") in await cards(s, ids["stepping"])
    assert await cards(s, ids["paused"]) == []  # paused time never counts
    entries = await s.scalar(select(func.count()).select_from(Alert))
    before = await _rows(s)
    with at(2026, 10, 15):
        assert await replay.replay_open_cases(s) == 4
        await s.commit()
    assert await s.scalar(select(func.count()).select_from(Alert)) == entries
    assert await _rows(s) == before


async def test_a_known_case_is_left_as_its_events_made_it_but_for_a_missing_department(world):
    s = world
    with clock.freeze(MON):
        cid = await _accepted(s)
    row = (await _rows(s))[cid]
    assert row["department_name"] == "宁国市数据资源管理局"
    await s.execute(WatchedCase.__table__.update().values(handler="someone_else",
                                                           department_name=None))
    await s.commit()
    with at(2026, 9, 30):
        await replay.replay_open_cases(s)
        await s.commit()
    # the department a row projected before s006 lacks is filled in; nothing else changes
    assert (await _rows(s))[cid] == {**row, "handler": "someone_else"}


async def test_a_replay_of_a_subtree_announces_only_its_cases(world):
    s = world
    ft_clerk = principal("ft_clerk")
    with clock.freeze(MON):
        county_case = await _accepted(s)
        township_case = await _accepted(s, ft_clerk, MIGRANT, tenant=TOWNSHIP,
                                        materials=(1, 2, 3))
    await _forget(s)
    with at(2026, 9, 30):
        assert await replay.count_open_cases(s, FANGTANG) == 1
        assert await replay.replay_open_cases(s, under_path=FANGTANG) == 1
        await s.commit()
    assert set(await _rows(s)) == {township_case}
    assert county_case not in await _rows(s)


async def test_imported_open_cases_are_watched_from_the_import_on(world, settings, monkeypatch):
    s = world
    result = await invoke_cli(monkeypatch, settings, "intake", "import", str(FIXTURE),
                              "--tenant", "341881")
    assert result.exit_code == 0, result.output
    rows = await _rows(s)  # the four open cases of the file, announced as snapshots
    assert len(rows) == 4 and all(r["watching"] and r["due_date"] for r in rows.values())
    assert {r["handler"] for r in rows.values()} == {"cli:intake-import"}
    await _forget(s)  # as if they had been imported before supervision was installed
    result = await invoke_cli(monkeypatch, settings, "intake", "replay", "--tenant", "341881",
                              "--batch", "3")
    assert result.exit_code == 0, result.output
    assert "4 open case(s) announced" in result.output
    assert await _rows(s) == rows
    result = await invoke_cli(monkeypatch, settings, "intake", "replay", "--tenant", "999999")
    assert result.exit_code == 1 and "999999" in result.output
