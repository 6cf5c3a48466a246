"""GraphQL of the annual report: ``disclosureAnnualReport``, ``disclosureReportInputs`` and
``saveDisclosureReportInputs``.

The report is the service's structure as data: sections, each with its narrative and tables;
a table has its header rows as drawn (cells with spans), its leaf columns and its rows of
labelled cells (``rows[].cells[] { column label value }``). Values are ``Float`` (counts are
whole; fees are in 万元). A report whose checks fail is the error
``disclosure_report.inconsistent``, its message listing every failing check. Resolvers are
thin: the definitions, checks and access live in ``report`` and ``report_inputs``.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from zhengwu.core.security.principal import Principal
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.types import Info
from zhengwu.plugins.disclosure import report as rep
from zhengwu.plugins.disclosure.models import ReportInput
from zhengwu.plugins.disclosure.report_inputs import (
    ReportInputsChange,
    report_inputs,
    save_report_inputs,
)

__all__ = ["ReportMutation", "ReportQuery"]

TenantCode = Annotated[str | None, strawberry.argument(
    description="A tenant in the acting tenant's subtree (区划代码); default: the acting tenant.")]


@strawberry.type(description="年度报告表格的一个表头单元格（含跨列、跨行）。")
class DisclosureReportHeaderCell:
    label: str
    colspan: int
    rowspan: int


@strawberry.type(description="年度报告表格的一列（叶列）。")
class DisclosureReportColumn:
    key: str = strawberry.field(description="稳定的列键，如 natural_person、total、review_upheld")
    label: str


@strawberry.type(description="一行中的一个数字单元格。")
class DisclosureReportCell:
    column: str = strawberry.field(description="列键")
    label: str = strawberry.field(description="列名")
    value: float = strawberry.field(description="件数为整数；行政事业性收费单位为万元")


@strawberry.type(description="年度报告表格的一行；标题行（如“三、本年度办理结果”）没有单元格。")
class DisclosureReportRow:
    key: str = strawberry.field(description="稳定的行键，如 new、result.3.1、carried_forward")
    label: str
    level: int = strawberry.field(description="缩进层级：0 项，1 块（（一）…（七）），2 分项")
    cells: list[DisclosureReportCell]


@strawberry.type(description="年度报告中的一张表。")
class DisclosureReportTable:
    key: str = strawberry.field(description="proactive.20_1 | proactive.20_5 | proactive.20_6 | "
                                            "proactive.20_8 | requests | review_litigation")
    title: str
    header: list[list[DisclosureReportHeaderCell]] = strawberry.field(
        description="表头各行（第一格为行名列，第四部分的表没有行名列）")
    columns: list[DisclosureReportColumn]
    rows: list[DisclosureReportRow]
    note: str | None = strawberry.field(description="说明，如哪些数字由填报人录入")
    labelled: bool = strawberry.field(description="首列是否为行名")


@strawberry.type(description="年度报告的一个部分（一至六）。")
class DisclosureReportSection:
    number: str = strawberry.field(description="一 … 六")
    title: str
    narrative: str | None = strawberry.field(description="文字部分（一、五、六），未填写为 null")
    tables: list[DisclosureReportTable]


@strawberry.type(description="政府信息公开工作年度报告（国办公开办函〔2021〕30号格式），已通过格式校验。")
class DisclosureAnnualReport:
    tenant_code: str
    tenant_name: str
    year: int
    subtree: bool = strawberry.field(description="是否为所辖各级合计")
    title: str = strawberry.field(description="《…政府信息公开工作年度报告（…年）》")
    sections: list[DisclosureReportSection]
    html_url: str = strawberry.field(description="可打印的HTML（需登录，同一权限）")
    xlsx_url: str = strawberry.field(description="Excel 文件（需登录，同一权限）")

    @classmethod
    def from_report(cls, r: rep.AnnualReport) -> DisclosureAnnualReport:
        def table(t: rep.ReportTable) -> DisclosureReportTable:
            return DisclosureReportTable(
                key=t.key, title=t.title, note=t.note, labelled=t.labelled,
                header=[[DisclosureReportHeaderCell(label=h.label, colspan=h.colspan,
                                                    rowspan=h.rowspan) for h in hr]
                        for hr in t.header],
                columns=[DisclosureReportColumn(key=c.key, label=c.label) for c in t.columns],
                rows=[DisclosureReportRow(key=row.key, label=row.label, level=row.level, cells=[
                    DisclosureReportCell(column=c.key, label=c.label, value=v)
                    for c, v in zip(t.columns, row.values, strict=False)]) for row in t.rows])

        base = f"/api/v1/disclosure/{r.tenant_code}/annual-reports/{r.year}"
        query = "?subtree=true" if r.subtree else ""
        return cls(tenant_code=r.tenant_code, tenant_name=r.tenant_name, year=r.year,
                   subtree=r.subtree, title=r.title, html_url=f"{base}/html{query}",
                   xlsx_url=f"{base}/xlsx{query}",
                   sections=[DisclosureReportSection(number=s.number, title=s.title,
                                                     narrative=s.narrative,
                                                     tables=[table(t) for t in s.tables])
                             for s in r.sections])


@strawberry.type(description="年度报告的人工填报部分（某租户某年度）。")
class DisclosureReportInputs:
    year: int
    narratives: JSON = strawberry.field(description="overview / problems / other")
    review_litigation: JSON = strawberry.field(description="第四部分 15 格")
    proactive: JSON = strawberry.field(description="licensing / penalty / coercion / fees（万元）")
    carried_over: JSON = strawberry.field(description="平台启用前结转件数（按申请人类别，可含 total）")

    @classmethod
    def from_row(cls, row: ReportInput) -> DisclosureReportInputs:
        return cls(year=row.year, narratives=JSON(dict(row.narratives or {})),
                   review_litigation=JSON(dict(row.review_litigation or {})),
                   proactive=JSON(dict(row.proactive or {})),
                   carried_over=JSON(dict(row.carried_over or {})))


@strawberry.input(description="保存年度报告的人工填报部分；省略的部分保持不变，给出的部分整体替换。")
class SaveDisclosureReportInputsInput:
    tenant_code: str
    year: int
    narratives: JSON | None = strawberry.field(
        default=None, description="{overview, problems, other}: 文字，每项不超过20000字")
    review_litigation: JSON | None = strawberry.field(
        default=None, description="{review|direct_suit|suit_after_review}_{upheld|corrected|"
                                  "other|pending|total}: 非负整数")
    proactive: JSON | None = strawberry.field(
        default=None, description="{licensing, penalty, coercion}: 非负整数；fees: 万元")
    carried_over: JSON | None = strawberry.field(
        default=None, description="{natural_person, commercial, research, public_interest, "
                                  "legal_service, other, total}: 非负整数")


@strawberry.type
class SaveDisclosureReportInputsPayload:
    report_inputs: DisclosureReportInputs | None
    errors: list[UserError]


@strawberry.type
class ReportQuery:
    @strawberry.field(description="政府信息公开工作年度报告：全国格式的六个部分，数字由平台数据计算并校验"
                                  "（需 disclosure_report:read）。subtree 为所辖各级合计。")
    async def disclosure_annual_report(self, info: Info, year: int, tenant_code: TenantCode = None,
                                       subtree: bool = False) -> DisclosureAnnualReport:
        ctx = info.context
        report = await rep.annual_report(ctx.session, ctx.principal, tenant_code, year,
                                         subtree=subtree)
        return DisclosureAnnualReport.from_report(report)

    @strawberry.field(description="年度报告已保存的人工填报部分（需 disclosure_report:read），"
                                  "未填报为 null。")
    async def disclosure_report_inputs(self, info: Info, year: int,
                                       tenant_code: TenantCode = None
                                       ) -> DisclosureReportInputs | None:
        ctx = info.context
        row = await report_inputs(ctx.session, ctx.principal, tenant_code, year)
        return DisclosureReportInputs.from_row(row) if row is not None else None


@strawberry.type
class ReportMutation:
    @strawberry.mutation(description="保存年度报告的人工填报部分（需 disclosure_report:write）。")
    async def save_disclosure_report_inputs(self, info: Info, input: SaveDisclosureReportInputsInput
                                            ) -> SaveDisclosureReportInputsPayload:
        change = ReportInputsChange(
            tenant_code=input.tenant_code, year=input.year,
            narratives=input.narratives, review_litigation=input.review_litigation,
            proactive=input.proactive, carried_over=input.carried_over)

        async def work(s: AsyncSession, p: Principal) -> ReportInput:
            return await save_report_inputs(s, p, change)

        row, errors = await _mutate(info, work)
        return SaveDisclosureReportInputsPayload(
            report_inputs=DisclosureReportInputs.from_row(row) if row else None, errors=errors)
