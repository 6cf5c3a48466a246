"""Bulletins of a run (日考核、周汇总、月通报): an HTML page with the ranking table and a ranking
chart (inline SVG bars, no script), and an Excel workbook (ranking sheet, inputs sheet).

Everything comes from the run's snapshot, never from live data: a bulletin printed today and
one printed next year from the same run are the same. Columns are the top-level indicators
(their points in the header); the Excel's second sheet lists every leaf's raw input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from zhengwu.plugins.assessment import indicators
from zhengwu.plugins.assessment.bulletin_templates import BULLETIN_HTML
from zhengwu.plugins.assessment.models import AssessmentRun
from zhengwu.plugins.assessment.periods import BULLETIN_TITLES, AssessmentPeriod

__all__ = ["XLSX_MEDIA_TYPE", "Bulletin", "bulletin_of", "render_html", "render_xlsx"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_env = Environment(loader=DictLoader({"bulletin.html": BULLETIN_HTML}),
                   autoescape=select_autoescape(["html"], default=True), undefined=StrictUndefined)
CHART_WIDTH, LABEL_WIDTH, BAR_MAX, ROW = 720, 220, 440, 24


@dataclass(frozen=True)
class Column:
    key: str
    name: str
    points: float


@dataclass
class Bulletin:
    title: str
    tenant_name: str
    system_name: str
    system_version: int
    period_label: str
    digest: str
    created_at: str
    created_by: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    missing: list[dict[str, Any]]
    chart: dict[str, Any] = field(default_factory=dict)


def bulletin_of(run: AssessmentRun) -> Bulletin:
    inputs = run.inputs
    tree = indicators.parse_system(inputs["system"]["tree"])
    points = indicators.full_points(tree)
    names = {i.key: i.name for i in indicators.walk(tree)}
    targets = {t["code"]: t["name"] for t in inputs["targets"]}
    period = AssessmentPeriod(run.period_kind, run.period_start, run.period_end)
    title = (f"{inputs['tenant']['name']}{period.label_zh}"
             f"{BULLETIN_TITLES.get(run.period_kind, '考核通报')}")
    rows = list(run.results)
    top = max((r["total"] for r in rows), default=0.0) or 1.0
    bars = [{"rank": r["rank"], "name": r["name"], "total": r["total"],
             "y": i * ROW + 4, "width": round(BAR_MAX * max(r["total"], 0.0) / top, 1)}
            for i, r in enumerate(rows)]
    return Bulletin(
        title=title, tenant_name=inputs["tenant"]["name"], system_name=run.system_name,
        system_version=run.system_version, period_label=period.label_zh, digest=run.digest,
        created_at=run.created_at.isoformat(timespec="seconds"), created_by=run.created_by or "",
        columns=[Column(i.key, i.name, points[i.key]) for i in tree], rows=rows,
        missing=[{**m, "target_name": targets.get(m["target"], m["target"]),
                  "indicator_name": names.get(m["indicator"], m["indicator"])}
                 for m in run.missing],
        chart={"width": CHART_WIDTH, "height": len(rows) * ROW + 8, "label_width": LABEL_WIDTH,
               "bars": bars})


def render_html(run: AssessmentRun) -> str:
    return _env.get_template("bulletin.html").render(b=bulletin_of(run))


def render_xlsx(run: AssessmentRun) -> bytes:
    b = bulletin_of(run)
    wb = Workbook()
    ws = wb.active
    ws.title = "排名"
    ws.append([b.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"{b.tenant_name} · {b.system_name}（第{b.system_version}版） · {b.period_label}"])
    header = ["名次", "考核对象", "区划代码", *(f"{c.name}（{c.points:.2f}分）" for c in b.columns),
              "总分"]
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for r in b.rows:
        ws.append([r["rank"], r["name"], r["code"],
                   *(r["scores"].get(c.key, 0.0) for c in b.columns), r["total"]])
    ws.column_dimensions["B"].width = 24
    inputs = wb.create_sheet("输入")
    inputs.append(["考核对象", "区划代码", "指标", "指标键", "原始值", "得分"])
    tree = indicators.parse_system(run.inputs["system"]["tree"])
    by_code = {r["code"]: r for r in b.rows}
    for t in run.inputs["targets"]:
        for leaf in indicators.leaves(tree):
            raw = (run.inputs["manual"].get(t["code"], {}).get(leaf.key) if leaf.metric is None
                   else run.inputs["values"][t["code"]].get(leaf.metric))
            inputs.append([t["name"], t["code"], leaf.name, leaf.key, raw,
                           by_code[t["code"]]["scores"].get(leaf.key, 0.0)])
    meta = wb.create_sheet("说明")
    meta.append(["摘要 SHA-256", b.digest])
    meta.append(["运行时间", b.created_at])
    meta.append(["运行人", b.created_by])
    meta.append(["缺少数据（按0分计）", len(b.missing)])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
