"""The annual report rendered: a printable HTML page and an Excel workbook.

Both follow the template's layout from the same ``AnnualReport`` structure: the title
《<tenant>政府信息公开工作年度报告（<year>年）》, the six sections in order, section 二's four
small tables, section 三's matrix (申请人情况 over 自然人 | 法人或其他组织 (five columns) | 总计),
section 四's fifteen cells under their header levels (行政复议 | 行政诉讼 → 未经复议直接起诉 /
复议后起诉 → 维持, 纠正, 其他, 尚未审结, 总计), and each table's note on what was entered by hand.

* HTML: Jinja2 (``templates/report.html.j2``) with autoescaping on, so narratives show as text;
  no script, a print stylesheet.
* Excel: one sheet 年度报告 laid out like the paper form (merged header cells, numbers stored as
  numbers: counts as integers, fees in 万元 as decimals), via openpyxl.
"""

from __future__ import annotations

import io
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhengwu.plugins.disclosure.report import AnnualReport, ReportTable

__all__ = ["XLSX_MEDIA_TYPE", "figure", "render_html", "render_xlsx"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html", "j2"], default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def figure(value: float) -> str:
    """``3.0`` → ``3``; ``12.5`` → ``12.5`` (counts are whole, fees in 万元 may not be)."""
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}".rstrip("0")


_env.filters["figure"] = figure


def render_html(report: AnnualReport) -> str:
    """The report as one printable HTML page (UTF-8 text)."""
    generated = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    return _env.get_template("report.html.j2").render(report=report, generated=generated)


# ------------------------------------------------------------------------------ Excel

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _width(table: ReportTable) -> int:
    return len(table.columns) + (1 if table.labelled else 0)


def render_xlsx(report: AnnualReport) -> bytes:
    """The report as an .xlsx workbook (one sheet in the template's layout)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "年度报告"
    width = max(_width(t) for s in report.sections for t in s.tables)
    ws.column_dimensions["A"].width = 46
    for col in range(2, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 11
    row = 1
    ws.cell(row, 1, report.title).font = Font(bold=True, size=14)
    ws.cell(row, 1).alignment = _CENTER
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    row += 2
    for section in report.sections:
        ws.cell(row, 1, f"{section.number}、{section.title}").font = Font(bold=True, size=12)
        row += 1
        if section.narrative or not section.tables:
            cell = ws.cell(row, 1, section.narrative or "（未填写）")
            cell.alignment = _WRAP
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            ws.row_dimensions[row].height = max(30, min(400, 15 * (1 + len(cell.value) // 60)))
            row += 1
        for table in section.tables:
            if len(section.tables) > 1:
                ws.cell(row, 1, table.title).font = Font(bold=True)
                row += 1
            row = _write_table(ws, table, row) + 1
            if table.note:
                ws.cell(row, 1, f"注：{table.note}").font = Font(italic=True, size=9)
                row += 1
        row += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_table(ws: Worksheet, table: ReportTable, top: int) -> int:
    """Write ``table`` with its top-left corner at (``top``, A); return the row after it."""
    taken: set[tuple[int, int]] = set()
    for r, header_row in enumerate(table.header):
        col = 1
        for cell in header_row:
            while (top + r, col) in taken:
                col += 1
            target = ws.cell(top + r, col, cell.label or None)
            target.alignment = _CENTER
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((top + r + dr, col + dc))
                    ws.cell(top + r + dr, col + dc).border = _BOX
            if cell.rowspan > 1 or cell.colspan > 1:
                ws.merge_cells(start_row=top + r, start_column=col,
                               end_row=top + r + cell.rowspan - 1,
                               end_column=col + cell.colspan - 1)
            col += cell.colspan
    r = top + len(table.header)
    first = 2 if table.labelled else 1
    for data in table.rows:
        if table.labelled:
            label = ws.cell(r, 1, data.label)
            label.alignment = Alignment(indent=2 * data.level, wrap_text=True, vertical="center")
            label.border = _BOX
            if not data.values:
                ws.merge_cells(start_row=r, start_column=1, end_row=r,
                               end_column=len(table.columns) + 1)
        for i, value in enumerate(data.values):
            cell = ws.cell(r, first + i, _number(value))
            cell.border = _BOX
            cell.alignment = Alignment(horizontal="right")
            if not float(value).is_integer():
                cell.number_format = "0.00##"
        r += 1
    return r
