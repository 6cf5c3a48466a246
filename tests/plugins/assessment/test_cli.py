"""``zhengwu assessment run`` and ``zhengwu assessment bulletin`` against the test database,
with the ``core.*`` metrics (the CLI boots the installed plugins, not the test's probe)."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.cli import invoke_cli
from tests.plugins.assessment.world import (
    COUNTY,
    SIBLING_TOWNSHIP,
    SYSTEM,
    TOWNSHIP,
    build_assessment_world,
    principal,
)
from zhengwu.plugins.assessment import systems
from zhengwu.tenants import venues

TREE = [{"key": "centres", "name": "便民服务大厅覆盖率", "weight": 1,
         "metric": "core.convenience_centre_coverage",
         "rule": {"kind": "pass_fail", "threshold": 1.0}}]


@pytest.fixture
async def world(system_session):
    s = system_session
    await build_assessment_world(s)
    from zhengwu.platform import boot

    boot()  # the installed plugins, as the CLI sees them
    await venues.create_venue(s, SYSTEM, TOWNSHIP, venues.NewVenue("convenience_centre", "方塘乡便民服务中心"))
    row = await systems.save_system(s, principal("ng_assessor"), systems.SystemDraft("HALLS", "大厅覆盖", TREE))
    await systems.publish_system(s, principal("ng_assessor"), row.id)
    await s.commit()
    return s


async def test_run_then_bulletin(world, settings, monkeypatch, tmp_path):
    result = await invoke_cli(monkeypatch, settings, "assessment", "run", "--tenant", COUNTY,
                              "--system", "HALLS", "--period", "2099-01")
    assert result.exit_code == 0, result.output
    assert "方塘乡" in result.output and "100.00" in result.output
    run_id = re.search(r"run ([0-9a-f-]{36})", result.output)[1]
    html, xlsx = tmp_path / "b.html", tmp_path / "b.xlsx"
    for out in (html, xlsx):
        done = await invoke_cli(monkeypatch, settings, "assessment", "bulletin", run_id, "--out", str(out))
        assert done.exit_code == 0, done.output
    assert "宁国市2099年1月月通报" in html.read_text(encoding="utf-8")
    rows = list(load_workbook(io.BytesIO(xlsx.read_bytes()))["排名"].iter_rows(min_row=4, values_only=True))
    assert [(r[0], r[2], r[-1]) for r in rows] == [(1, TOWNSHIP, 100.0), (2, SIBLING_TOWNSHIP, 0.0)]


async def test_errors_exit_1(world, settings, monkeypatch):
    result = await invoke_cli(monkeypatch, settings, "assessment", "run", "--tenant", COUNTY,
                              "--system", "NOPE", "--period", "2026-03")
    assert result.exit_code == 1 and "assessment_system.not_found" in result.output
    result = await invoke_cli(monkeypatch, settings, "assessment", "run", "--tenant", COUNTY,
                              "--system", "HALLS", "--period", "March")
    assert result.exit_code == 1 and "assessment.period" in result.output
