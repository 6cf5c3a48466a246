"""Systems, manual scores and runs through the services (SQLite and PostgreSQL).

宁国市's assessor assesses its townships 方塘乡 (FT) and 港口镇 (GK) with the probe metrics:
``probe.a`` (higher is better, linear 0.5→1.0, weight 3) and a manual on-site inspection out
of 10 (weight 1): points 75 and 25.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.plugins.assessment.world import (
    COUNTY,
    PATHS,
    SIBLING_TOWNSHIP,
    SYSTEM,
    TOWNSHIP,
    VALUES,
    build_assessment_world,
    principal,
)
from zhengwu.core import clock
from zhengwu.core.errors import Conflict, Invalid, NotFound
from zhengwu.plugins.assessment import runs, systems
from zhengwu.plugins.assessment.models import AssessmentRun, AssessmentSystem, ManualScore, RunImmutable
from zhengwu.tenants import enablement

FT, GK = PATHS[TOWNSHIP], PATHS[SIBLING_TOWNSHIP]
TREE = [
    {"key": "rate", "name": "按时办结率", "weight": 3, "metric": "probe.a",
     "rule": {"kind": "linear", "zero_at": 0.5, "full_at": 1.0}},
    {"key": "visit", "name": "现场检查", "weight": 1, "manual_max": 10},
]


@pytest.fixture
async def s(system_session):
    await build_assessment_world(system_session)
    VALUES.clear()
    VALUES["probe.a"] = {FT: 0.9, GK: 0.75}
    return system_session


async def _published(s, tree=TREE, who="ng_assessor"):
    row = await systems.save_system(s, principal(who), systems.SystemDraft("M1", "月度考核", tree))
    await systems.publish_system(s, principal(who), row.id)
    system_id = row.id
    await s.commit()
    return SimpleNamespace(id=system_id)  # survives the session's rollbacks


async def test_a_run_scores_ranks_and_snapshots(s):
    system = await _published(s)
    await runs.enter_manual_scores(s, principal("ng_assessor"), system.id, "2026-03", [
        runs.ManualEntry(TOWNSHIP, "visit", 8), runs.ManualEntry(SIBLING_TOWNSHIP, "visit", 10)])
    with clock.freeze(datetime(2026, 4, 1, 2, tzinfo=UTC)):
        run = await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(system.id, "2026-03"))
    await s.commit()
    # FT: 75 × 0.8 = 60 + 25 × 0.8 = 20 → 80; GK: 75 × 0.5 = 37.5 + 25 → 62.5
    assert [(r["code"], r["rank"], r["total"], r["scores"]) for r in run.results] == [
        (TOWNSHIP, 1, 80.0, {"rate": 60.0, "visit": 20.0}),
        (SIBLING_TOWNSHIP, 2, 62.5, {"rate": 37.5, "visit": 25.0})]
    assert run.missing == [] and run.target_tier == "township" and run.target_count == 2
    assert run.inputs["values"] == {TOWNSHIP: {"probe.a": 0.9}, SIBLING_TOWNSHIP: {"probe.a": 0.75}}
    assert run.inputs["manual"] == {TOWNSHIP: {"visit": 8.0}, SIBLING_TOWNSHIP: {"visit": 10.0}}
    assert run.inputs["system"]["version"] == 1 and len(run.digest) == 64
    assert run.period_kind == "month" and str(run.period_end) == "2026-03-31"


async def test_same_inputs_same_digest_and_scores(s):
    system = await _published(s)
    first = await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(system.id, "2026-W11"))
    await s.commit()
    second = await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(system.id, "2026-W11"))
    await s.commit()
    assert first.id != second.id
    assert first.digest == second.digest and first.results == second.results
    assert runs.digest_of(first.inputs) == first.digest
    # the stored snapshot alone reproduces the stored results (read back from the database)
    run_id = first.id
    s.expire_all()
    stored = await s.get(AssessmentRun, run_id)
    assert runs.score_inputs(stored.inputs) == (stored.results, stored.missing)
    assert runs.digest_of(stored.inputs) == stored.digest
    VALUES["probe.a"][GK] = 0.8
    third = await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(system.id, "2026-W11"))
    assert third.digest != first.digest


async def test_missing_values_and_manual_scores_count_zero_and_are_listed(s):
    system = await _published(s)
    VALUES["probe.a"] = {FT: 1.0}
    run = await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(system.id, "2026-03-10"))
    assert {(m["target"], m["indicator"], m["reason"]) for m in run.missing} == {
        (TOWNSHIP, "visit", "no_manual_score"), (SIBLING_TOWNSHIP, "visit", "no_manual_score"),
        (SIBLING_TOWNSHIP, "rate", "no_value")}
    assert [(r["code"], r["total"]) for r in run.results] == [(TOWNSHIP, 75.0), (SIBLING_TOWNSHIP, 0.0)]


async def test_a_run_cannot_be_changed_and_new_versions_leave_old_runs_alone(s):
    system = await _published(s)
    run = await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(system.id, "2026-03"))
    await s.commit()
    await s.refresh(run)
    run_id, system_id = run.id, system.id
    before = (run.digest, run.results, run.inputs)
    run.results = []
    with pytest.raises(RunImmutable):
        await s.flush()
    await s.rollback()
    if s.bind.dialect.name == "postgresql":  # the trigger, below the ORM
        with pytest.raises(DBAPIError, match="immutable"):
            await s.execute(text("UPDATE assessment_runs SET digest = 'x'"))
        await s.rollback()
    # editing the published system makes version 2; the old run keeps version 1's tree
    tree2 = [{**TREE[0], "weight": 1}, TREE[1]]
    v2 = await systems.save_system(s, principal("ng_assessor"), systems.SystemDraft("M1", "月度考核", tree2))
    await s.commit()
    assert (v2.version, v2.status) == (2, "draft") and v2.id != system_id
    fresh = await s.get(AssessmentRun, run_id, populate_existing=True)
    assert (fresh.digest, fresh.results, fresh.inputs) == before
    old = await s.get(AssessmentSystem, system_id, populate_existing=True)
    assert old.status == "published" and old.tree[0]["weight"] == 3
    with pytest.raises(Conflict) as err:
        await systems.publish_system(s, principal("ng_assessor"), system_id)
    assert err.value.code == "assessment.already_published"
    with pytest.raises(Conflict) as err:  # drafts are not run
        await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(v2.id, "2026-03"))
    assert err.value.code == "assessment.system_not_published"


async def test_manual_scores_are_validated_all_at_once_and_nothing_is_written(s):
    system = await _published(s)
    with pytest.raises(Invalid) as err:
        await runs.enter_manual_scores(s, principal("ng_assessor"), system.id, "2026-03", [
            runs.ManualEntry(TOWNSHIP, "visit", 8),          # fine, but not written either
            runs.ManualEntry(TOWNSHIP, "visit", 11),         # above the maximum (and twice)
            runs.ManualEntry(SIBLING_TOWNSHIP, "visit", -1),  # negative
            runs.ManualEntry("341802001", "visit", 5),       # 西林街道: another county's township
            runs.ManualEntry(TOWNSHIP, "rate", 5),           # not a manual indicator
            runs.ManualEntry(TOWNSHIP, "nope", 5),           # unknown indicator
        ])
    assert err.value.code == "assessment.invalid_scores"
    codes = [p.code for p in err.value.params["problems"]]
    assert codes == ["assessment.score_out_of_range", "assessment.duplicate_score",
                     "assessment.score_out_of_range", "assessment.target_outside",
                     "assessment.not_manual_indicator", "assessment.not_manual_indicator"]
    await s.rollback()
    assert await s.scalar(select(func.count()).select_from(ManualScore)) == 0
    # entering again replaces
    await runs.enter_manual_scores(s, principal("ng_assessor"), system.id, "2026-03",
                                   [runs.ManualEntry(TOWNSHIP, "visit", 4)])
    await runs.enter_manual_scores(s, principal("ng_assessor"), system.id, "2026-03",
                                   [runs.ManualEntry(TOWNSHIP, "visit", 6)])
    rows = await runs.list_manual_scores(s, principal("ng_assessor"), system.id, "2026-03")
    assert [(r.target_code, r.score) for r in rows] == [(TOWNSHIP, 6.0)]


async def test_targets_are_only_inside_the_assessors_subtree(s):
    system = await _published(s)
    with pytest.raises(Invalid) as err:
        await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(
            system.id, "2026-03", target_codes=[TOWNSHIP, "341802001"]))
    assert err.value.code == "assessment.target_outside"
    with pytest.raises(Invalid) as err:
        await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(system.id, "2026-03",
                                                                          tier="county"))
    assert err.value.code == "assessment.bad_tier"
    only = await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(
        system.id, "2026-03", target_codes=[SIBLING_TOWNSHIP]))
    assert [r["code"] for r in only.results] == [SIBLING_TOWNSHIP]
    villages = await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(
        system.id, "2026-03", tier="village"))
    assert [r["code"] for r in villages.results] == ["341881204200", "341881204201"]
    # the sibling county's assessor cannot see 宁国市's system at all
    with pytest.raises(NotFound):
        await runs.start_run(s, principal("xz_assessor"), runs.RunRequest(system.id, "2026-03"))
    with pytest.raises(NotFound):
        await runs.get_run(s, principal("xz_assessor"), only.id)
    with pytest.raises(NotFound):
        await runs.get_run(s, principal("ft_assessor"), only.id)
    assert await runs.list_runs(s, principal("xz_assessor")) == []
    # the city above reads 宁国市's runs
    assert {r.id for r in await runs.list_runs(s, principal("xc_assessor"))} == {only.id, villages.id}
    with pytest.raises(NotFound):  # no assessment permission: not even that it exists
        await runs.start_run(s, principal("ng_clerk"), runs.RunRequest(system.id, "2026-03"))


async def test_the_city_ranks_its_counties_and_unknown_metrics_are_refused(s):
    VALUES["probe.a"] = {PATHS[COUNTY]: 0.6, "34/3418/341802": 0.6}
    tree = [{**TREE[0]}]
    city = await _published(s, tree, who="xc_assessor")
    run = await runs.start_run(s, principal("xc_assessor"), runs.RunRequest(city.id, "2026-03"))
    assert [(r["code"], r["rank"]) for r in run.results] == [("341802", 1), (COUNTY, 1)]
    with pytest.raises(Invalid) as err:
        await systems.save_system(s, principal("xc_assessor"), systems.SystemDraft(
            "M2", "x", [{**TREE[0], "metric": "intake.nothing"}]))
    assert err.value.params["problems"][0].code == "assessment.unknown_metric"


async def test_plugin_must_be_enabled(s):
    await enablement.disable_plugin(s, SYSTEM, COUNTY, "assessment")
    await s.commit()
    with pytest.raises(Conflict) as err:
        await systems.save_system(s, principal("ng_assessor"), systems.SystemDraft("M1", "x", TREE))
    assert err.value.code == "plugin.not_enabled"


async def test_a_failing_metric_writes_nothing(s):
    system = await _published(s)
    VALUES["probe.a"][GK] = RuntimeError("metric store down")
    with pytest.raises(RuntimeError):
        await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(system.id, "2026-03"))
    await s.rollback()
    assert await s.scalar(select(func.count()).select_from(AssessmentRun)) == 0


CORE_TREE = [
    {"key": "c", "name": "便民服务大厅覆盖率", "weight": 1, "metric": "core.convenience_centre_coverage",
     "rule": {"kind": "linear", "zero_at": 0, "full_at": 1}},
    {"key": "h", "name": "应进必进", "weight": 1, "metric": "core.items_in_hall_rate",
     "rule": {"kind": "rank"}},
    {"key": "h2", "name": "应进必进（达标）", "weight": 1, "metric": "core.items_in_hall_rate",
     "rule": {"kind": "pass_fail", "threshold": 0.9}},
    {"key": "v", "name": "现场检查", "weight": 1, "manual_max": 10},
]


async def test_statements_per_target_are_one_per_distinct_metric(s, engine):
    """Two distinct core metrics (one used by two leaves): 2 statements per target, and the
    rest of the run costs the same for one target or two."""
    from sqlalchemy import event

    system = await _published(s, CORE_TREE)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    async def run_for(codes):
        statements.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            await runs.start_run(s, principal("ng_assessor"), runs.RunRequest(
                system.id, "2026-03", target_codes=codes))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        await s.rollback()
        return len(statements)

    one = await run_for([TOWNSHIP])
    two = await run_for([TOWNSHIP, SIBLING_TOWNSHIP])
    assert two - one == 2
    assert one <= 20, one
