"""``zhengwu disclosure report``: summary, files, and every failing check with exit code 1."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.cli import invoke_cli
from tests.plugins.disclosure.test_report import seed_report_data
from tests.plugins.disclosure.world import COUNTY, principal
from zhengwu.plugins.disclosure.report_inputs import ReportInputsChange, save_report_inputs


@pytest.fixture
async def seeded(system_session, settings):
    await seed_report_data(system_session, settings)
    return system_session


async def test_report_prints_a_summary_and_writes_both_files(seeded, settings, monkeypatch,
                                                             tmp_path):
    html, xlsx = tmp_path / "report.html", tmp_path / "report.xlsx"
    result = await invoke_cli(monkeypatch, settings, "disclosure", "report", "--tenant", COUNTY,
                              "--year", "2025", "--html", str(html), "--xlsx", str(xlsx))
    assert result.exit_code == 0, result.output
    assert "宁国市政府信息公开工作年度报告（2025年）" in result.output
    assert "checks passed" in result.output
    assert "规章: 本年制发 2，本年废止 0，现行有效 4" in result.output
    page = html.read_text(encoding="utf-8")
    assert "<title>宁国市政府信息公开工作年度报告（2025年）</title>" in page
    ws = load_workbook(io.BytesIO(xlsx.read_bytes()))["年度报告"]
    assert ws["A1"].value == "宁国市政府信息公开工作年度报告（2025年）"


async def test_subtree_sums_the_townships(seeded, settings, monkeypatch, tmp_path):
    xlsx = tmp_path / "subtree.xlsx"
    result = await invoke_cli(monkeypatch, settings, "disclosure", "report", "--tenant", COUNTY,
                              "--year", "2025", "--subtree", "--xlsx", str(xlsx))
    assert result.exit_code == 0, result.output
    ws = load_workbook(io.BytesIO(xlsx.read_bytes()))["年度报告"]
    row = next(c.row for (c,) in ws.iter_rows(min_col=1, max_col=1)
               if c.value == "一、本年新收政府信息公开申请数量")
    assert [ws.cell(row, c).value for c in range(2, 9)] == [2, 2, 2, 1, 1, 2, 10]


async def test_failing_checks_are_all_printed_and_nothing_is_written(seeded, settings,
                                                                     monkeypatch, tmp_path):
    await save_report_inputs(seeded, principal("ng_editor"), ReportInputsChange(
        COUNTY, 2025, carried_over={"natural_person": 3},
        review_litigation={"review_upheld": 5, "review_total": 1}))
    await seeded.commit()
    html = tmp_path / "report.html"
    result = await invoke_cli(monkeypatch, settings, "disclosure", "report", "--tenant", COUNTY,
                              "--year", "2025", "--html", str(html))
    assert result.exit_code == 1
    assert "disclosure_report.inconsistent" in result.output
    assert "carried_over.natural_person: disclosure_report.balance" in result.output
    assert "carried_over.total: disclosure_report.balance" in result.output
    assert "review_litigation.review_total: disclosure_report.review_total" in result.output
    assert not html.exists()


async def test_unknown_tenant_and_bad_year(seeded, settings, monkeypatch):
    result = await invoke_cli(monkeypatch, settings, "disclosure", "report", "--tenant", "999999",
                              "--year", "2025")
    assert result.exit_code == 1 and "tenant.not_found" in result.output
    result = await invoke_cli(monkeypatch, settings, "disclosure", "report", "--tenant", COUNTY,
                              "--year", "2001")
    assert result.exit_code == 1 and "disclosure_report.year" in result.output
