"""The annual report as HTML and Excel, checked against the hand-counted data of test_report."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.plugins.disclosure.test_report import NG_INPUTS, seed_report_data
from tests.plugins.disclosure.world import COUNTY, principal
from zhengwu.plugins.disclosure import report as rep
from zhengwu.plugins.disclosure.report_inputs import ReportInputsChange, save_report_inputs
from zhengwu.plugins.disclosure.report_render import figure, render_html, render_xlsx


@pytest.fixture
async def report(system_session, settings) -> rep.AnnualReport:
    await seed_report_data(system_session, settings)
    await save_report_inputs(system_session, principal("ng_editor"), ReportInputsChange(
        COUNTY, 2025, narratives={**(NG_INPUTS.narratives or {}),
                                  "other": "<script>alert(1)</script>收取信息处理费0元。"}))
    return await rep.annual_report(system_session, principal("ng_editor"), COUNTY, 2025)


def _row_cells(html: str, key: str) -> list[str]:
    match = re.search(rf'<tr data-row="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert match, key
    return re.findall(r'<td class="n"[^>]*>([^<]*)</td>', match.group(1))


async def test_html_has_the_title_sections_and_figures(report):
    html = render_html(report)
    assert "<title>宁国市政府信息公开工作年度报告（2025年）</title>" in html
    for heading in ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
                    "六、其他需要报告的事项", "第二十条第（一）项", "第二十条第（八）项"):
        assert heading in html
    assert _row_cells(html, "new") == ["1", "2", "2", "1", "1", "2", "9"]
    assert _row_cells(html, "result.7") == ["2", "1", "2", "1", "1", "1", "8"]
    assert _row_cells(html, "carried_forward") == ["1", "1", "0", "0", "0", "1", "3"]
    assert _row_cells(html, "normative") == ["1", "1", "2"]
    assert _row_cells(html, "fees") == ["12.5"]
    cases = _row_cells(html, "cases")
    assert len(cases) == 15 and cases[4] == "2" and cases[8] == "1"
    assert '<th colspan="5" rowspan="2">行政复议</th>' in html
    assert '<th colspan="5">未经复议直接起诉</th>' in html
    assert '<th colspan="5">法人或其他组织</th>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;收取信息处理费0元。" in html  # escaped
    assert "<script>" not in html
    assert "由填报人录入" in html


def _find(ws: Any, label: str) -> int:
    for (cell,) in ws.iter_rows(min_col=1, max_col=1):
        if cell.value == label:
            return int(cell.row)
    raise AssertionError(label)


async def test_xlsx_cells_are_numbers_in_the_template_layout(report):
    wb = load_workbook(io.BytesIO(render_xlsx(report)))
    ws = wb["年度报告"]
    assert ws["A1"].value == "宁国市政府信息公开工作年度报告（2025年）"

    def values(label: str, width: int = 7) -> list[Any]:
        r = _find(ws, label)
        return [ws.cell(r, c).value for c in range(2, 2 + width)]

    assert values("一、本年新收政府信息公开申请数量") == [1, 2, 2, 1, 1, 2, 9]
    assert values("二、上年结转政府信息公开申请数量") == [2, 0, 0, 0, 0, 0, 2]
    assert values("1．属于国家秘密") == [1, 0, 0, 0, 0, 0, 1]
    assert values("（七）总计") == [2, 1, 2, 1, 1, 1, 8]
    assert values("四、结转下年度继续办理") == [1, 1, 0, 0, 0, 1, 3]
    assert values("规章", 3) == [2, 0, 4]
    assert values("行政规范性文件", 3) == [1, 1, 2]
    assert values("行政许可", 1) == [120]
    assert values("行政事业性收费", 1) == [12.5]
    assert all(isinstance(v, int) for v in values("（七）总计"))
    merged = {str(m) for m in ws.merged_cells.ranges}
    # section 三: 申请人情况 over seven columns, 法人或其他组织 over five, 自然人 two rows high
    top = _find(ws, "三、收到和处理政府信息公开申请情况") + 1
    assert ws.cell(top, 2).value == "申请人情况" and f"B{top}:H{top}" in merged
    assert ws.cell(top + 1, 2).value == "自然人" and f"B{top + 1}:B{top + 2}" in merged
    assert ws.cell(top + 1, 3).value == "法人或其他组织" and f"C{top + 1}:G{top + 1}" in merged
    assert [ws.cell(top + 2, c).value for c in range(3, 8)] == [
        "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    # section 四: two header levels over the 15 cells
    top = _find(ws, "四、政府信息公开行政复议、行政诉讼情况") + 1
    assert ws.cell(top, 1).value == "行政复议" and f"A{top}:E{top + 1}" in merged
    assert ws.cell(top, 6).value == "行政诉讼" and f"F{top}:O{top}" in merged
    assert ws.cell(top + 1, 6).value == "未经复议直接起诉"
    assert ws.cell(top + 1, 11).value == "复议后起诉"
    assert ws.cell(top + 2, 1).value == "结果维持" and ws.cell(top + 2, 15).value == "总计"
    assert [ws.cell(top + 3, c).value for c in (1, 2, 5, 9, 10)] == [1, 1, 2, 1, 1]
    assert ws.cell(_find(ws, "一、总体情况") + 1, 1).value == "宁国市2025年政务公开总体情况。"


def test_figure():
    assert (figure(3.0), figure(12.5), figure(0.1234)) == ("3", "12.5", "0.1234")
