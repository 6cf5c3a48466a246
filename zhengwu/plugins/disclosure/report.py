"""The annual report (政府信息公开工作年度报告) of a tenant and year, in the national template.

The template is 国办公开办函〔2021〕30号 (domain-reference §3.3): six sections, tables in
sections 二 to 四, in the template's order and with its labels. ``annual_report`` computes
every table from the data and runs the template's consistency checks; a failing check is the
typed error ``disclosure_report.inconsistent`` naming every failing check with its row,
column and values (nothing is rendered from an inconsistent report).

**Definitions** (a request's dates are Asia/Shanghai dates; ``Y`` is the report's year):

* 一 new (本年新收) — ``received_on`` in Y.
* 二 carried over (上年结转) — received before Y and not replied before Y (``replied_on`` is
  null or ≥ 1 Jan Y), plus ``ReportInput.carried_over`` (requests from before the platform,
  entered by hand per requester column).
* 三 results (本年度办理结果) — requests replied in Y (``replied_on`` in Y), counted in the row
  of their reply (``replies.REASONS[(reply_type, reply_reason)].row``). A block's own figure
  counts its reply type and its sub-rows count the reasons, independently, so a reply whose
  reason the template does not know breaks a check instead of vanishing; （七）总计 counts every
  reply of Y.
* 四 carried forward (结转下年度继续办理) — received by 31 Dec Y and not replied by then
  (``replied_on`` null or after 31 Dec Y).
* The column is ``requester_kind`` (the six applicant columns); 总计 counts every request,
  so a request of an unknown kind breaks the row-total check.

Section 二 (proactive disclosure, Art. 20):

* 规章 (``doc_kind`` rule) and 行政规范性文件 (``normative``): issued this year = first
  published in Y (the earliest review step that published it — ``published_on`` moves when a
  revision is republished —, or ``published_on`` for an item without review steps); repealed
  this year = ``repealed_on`` in Y; in force = first published by 31 Dec Y, not repealed by
  then, ``valid_until`` null or ≥ 31 Dec Y. A withdrawn
  item (撤回: taken off the record, not repealed) counts in none of them unless it was
  withdrawn after the year.
* 行政许可 decisions and 行政事业性收费 (万元) come from the platform where the intake plugin
  runs (``report_platform``: its metrics through the core's hook, counted at the deciding
  tenant); a hand-entered value (``ReportInput.proactive``) replaces the platform's figure.
  行政处罚 and 行政强制 are hand-entered: those decisions live in other systems. Each cell
  says where it came from (``ReportRow.origin``) and the tables' notes say it in words.

Sections 一, 五 and 六 are the narratives of ``ReportInput.narratives``; section 四's fifteen
cells are hand-entered (``ReportInput.review_litigation``: the platform does not see reviews
and lawsuits).

**Subtree** (``subtree=True``): the sum over every tenant of the subtree — one GROUP BY
statement per table (requests, publications) over the subtree's path range and one read of
the subtree's report inputs (plus the intake metrics of section 二, see ``report_platform``);
the narratives are the asking tenant's own. Without it only the
tenant's own rows count (本级).

**Checks** (every one is run, every failure listed): each row's 总计 = the sum of its six
applicant columns; （七）总计 = （一）+…+（六）; each block with sub-rows (（三）（四）（五）（六）)
= the sum of its sub-rows; 二 + 一 = （七） + 四 per column; in section 四 each group's 总计 =
维持 + 纠正 + 其他 + 尚未审结. With the platform's own data they hold by construction; they catch
hand-entered figures that do not fit.

Access: ``disclosure_report:read`` at the tenant, which must lie in the caller's subtree; the
plugin must be enabled there. No litestar, no strawberry here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, Invalid, InvalidField, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.disclosure import replies, report_platform
from zhengwu.plugins.disclosure.models import (
    DisclosureRequest,
    Publication,
    ReportInput,
    ReviewStep,
)
from zhengwu.tenants import enablement
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "APPLICANTS",
    "FIRST_YEAR",
    "NARRATIVES",
    "PROACTIVE_INPUTS",
    "REVIEW_GROUPS",
    "REVIEW_OUTCOMES",
    "AnnualReport",
    "Column",
    "HeaderCell",
    "ReportRow",
    "ReportTable",
    "Section",
    "annual_report",
    "check_year",
    "compute_report",
    "consistency_problems",
    "report_tenant",
]

PLUGIN = "disclosure"
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_YEAR = 2008
"""The first year of the regulation (Decree 492 in force 1 May 2008): no report before it."""

APPLICANTS: tuple[tuple[str, str], ...] = (
    ("natural_person", "自然人"), ("commercial", "商业企业"), ("research", "科研机构"),
    ("public_interest", "社会公益组织"), ("legal_service", "法律服务机构"), ("other", "其他"),
)
"""The six applicant columns of section 三 (``requester_kind``), in the template's order."""
TOTAL = "total"
_KINDS = tuple(k for k, _ in APPLICANTS)

NARRATIVES: tuple[tuple[str, str, str], ...] = (
    ("overview", "一", "总体情况"),
    ("problems", "五", "存在的主要问题及改进情况"),
    ("other", "六", "其他需要报告的事项"),
)
"""Narrative keys of ``ReportInput.narratives``: key, section number, section title."""

PROACTIVE_INPUTS: tuple[tuple[str, str], ...] = (
    ("licensing", "行政许可"), ("penalty", "行政处罚"), ("coercion", "行政强制"),
    ("fees", "行政事业性收费"),
)
"""Hand-entered section 二 figures (``ReportInput.proactive``): decisions (件) and fees (万元)."""

REVIEW_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"),
    ("pending", "尚未审结"), ("total", "总计"),
)
REVIEW_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"), ("direct_suit", "未经复议直接起诉"), ("suit_after_review", "复议后起诉"),
)
"""Section 四: three groups × five outcomes; ``ReportInput.review_litigation`` keys are
``<group>_<outcome>`` (``review_upheld`` … ``suit_after_review_total``)."""

_BLOCK_TITLES = {1: "（一）予以公开", 2: "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
                 3: "（三）不予公开", 4: "（四）无法提供", 5: "（五）不予处理", 6: "（六）其他处理",
                 7: "（七）总计"}
_SUB_ROWS: dict[int, tuple[str, ...]] = {
    3: ("1．属于国家秘密", "2．其他法律行政法规禁止公开", "3．危及“三安全一稳定”", "4．保护第三方合法权益",
        "5．属于三类内部事务信息", "6．属于四类过程性信息", "7．属于行政执法案卷", "8．属于行政查询事项"),
    4: ("1．本机关不掌握相关政府信息", "2．没有现成信息需要另行制作", "3．补正后申请内容仍不明确"),
    5: ("1．信访举报投诉类申请", "2．重复申请", "3．要求提供公开出版物", "4．无正当理由大量反复申请",
        "5．要求行政机关确认或重新出具已获取信息"),
    6: ("1．申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "2．申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3．其他"),
}


# ------------------------------------------------------------------------------ structure

@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class HeaderCell:
    """One cell of a table's header (row and column spans as the template draws them)."""

    label: str
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True)
class ReportRow:
    """A row: ``key`` (stable, e.g. ``result.3.2``), label, indentation ``level`` and one value
    per column of its table (``values`` empty for a heading row such as 三、本年度办理结果)."""

    key: str
    label: str
    level: int
    values: tuple[float, ...] = ()
    origin: str | None = None  # section 二's single figures: platform | entered | mixed

    def value(self, table: ReportTable, column: str) -> float:
        return self.values[[c.key for c in table.columns].index(column)]


@dataclass(frozen=True)
class ReportTable:
    """A table of the template: ``header`` rows as drawn (spans; the first cell heads the label
    column), the leaf ``columns`` the values follow, ``rows``; ``note`` says what is entered by
    hand."""

    key: str
    title: str
    header: tuple[tuple[HeaderCell, ...], ...]
    columns: tuple[Column, ...]
    rows: tuple[ReportRow, ...]
    note: str | None = None
    labelled: bool = True  # the first column holds the row labels (section 四 has none)

    def row(self, key: str) -> ReportRow:
        return next(r for r in self.rows if r.key == key)

    def cell(self, row: str, column: str) -> float:
        return self.row(row).value(self, column)


@dataclass(frozen=True)
class Section:
    number: str  # 一 … 六
    title: str
    narrative: str | None = None
    tables: tuple[ReportTable, ...] = ()


@dataclass(frozen=True)
class AnnualReport:
    tenant_code: str
    tenant_name: str
    year: int
    subtree: bool
    generated_at: datetime
    sections: tuple[Section, ...]
    tenants_with_inputs: int = 0

    @property
    def title(self) -> str:
        return f"{self.tenant_name}政府信息公开工作年度报告（{self.year}年）"

    def section(self, number: str) -> Section:
        return next(s for s in self.sections if s.number == number)

    def table(self, key: str) -> ReportTable:
        return next(t for s in self.sections for t in s.tables if t.key == key)


# ------------------------------------------------------------------------------ service

async def report_tenant(session: AsyncSession, principal: Principal, tenant_code: str | None,
                        action: str) -> Tenant:
    """The tenant whose report is asked for: in the caller's subtree (an ancestor, readable for
    breadcrumbs, is ``tenant.not_found`` here), ``disclosure_report:<action>`` held there, the
    plugin enabled."""
    code = principal.acting_code if tenant_code is None else tenant_code
    tenant = await access_tenant(session, principal, code)
    if not principal.sees(tenant.path):
        raise NotFound("tenant", code)
    if not can(principal, action, Resource("disclosure_report", tenant.path)):
        raise PermissionDenied(f"disclosure_report:{action}", tenant.path)
    if PLUGIN not in await enablement.active_plugins(session, tenant):
        raise Conflict("plugin.not_enabled", f"插件 {PLUGIN} 未在 {tenant.code} 启用",
                       f"plugin {PLUGIN} is not enabled here ({tenant.code})", plugin=PLUGIN)
    return tenant


def check_year(year: int) -> None:
    last = clock.now().astimezone(SHANGHAI).year
    if not FIRST_YEAR <= year <= last:
        raise Invalid("disclosure_report.year", f"年度须在 {FIRST_YEAR}–{last} 之间",
                      f"the year must be between {FIRST_YEAR} and {last}", field="year")


async def annual_report(session: AsyncSession, principal: Principal, tenant_code: str | None,
                        year: int, subtree: bool = False) -> AnnualReport:
    """The annual report of ``tenant_code`` (default: the acting tenant) for ``year``, checked.

    Raises ``disclosure_report.inconsistent`` (every failing check in ``params['problems']``)
    when the template's checks fail. ``subtree``: the sum of every tenant of the subtree.
    """
    check_year(year)
    tenant = await report_tenant(session, principal, tenant_code, "read")
    report = await compute_report(session, tenant, year, subtree=subtree)
    problems = consistency_problems(report)
    if problems:
        raise Invalid("disclosure_report.inconsistent",
                      f"年度报告未通过校验（{len(problems)}项）：" + "；".join(p.zh for p in problems),
                      f"the annual report fails {len(problems)} check(s): "
                      + "; ".join(p.en for p in problems),
                      field=problems[0].field, problems=problems)
    return report


async def compute_report(session: AsyncSession, tenant: Tenant, year: int, *,
                         subtree: bool = False) -> AnnualReport:
    """The report's tables, unchecked (the caller has checked access)."""
    own = subtree_clause(DisclosureRequest.tenant_path, tenant.path) if subtree \
        else DisclosureRequest.tenant_id == tenant.id
    requests = await _request_counts(session, own, year)
    pub_scope = subtree_clause(Publication.tenant_path, tenant.path) if subtree \
        else Publication.tenant_id == tenant.id
    step_scope = subtree_clause(ReviewStep.tenant_path, tenant.path) if subtree \
        else ReviewStep.tenant_id == tenant.id
    publications = await _publication_counts(session, pub_scope, step_scope, year)
    inputs = await _inputs(session, tenant, year, subtree)
    own_input = next((i for i in inputs if i.tenant_id == tenant.id), None)
    narratives = own_input.narratives if own_input is not None else {}
    sums = _sum_inputs(inputs)
    figures = await report_platform.proactive_figures(
        session, tenant, year, subtree, inputs, [k for k, _ in PROACTIVE_INPUTS])

    def narrative(key: str) -> str | None:
        text = narratives.get(key)
        return str(text) if text else None

    return AnnualReport(
        tenant_code=tenant.code, tenant_name=tenant.name, year=year, subtree=subtree,
        generated_at=clock.now(), tenants_with_inputs=len(inputs),
        sections=(
            Section("一", "总体情况", narrative("overview")),
            Section("二", "主动公开政府信息情况",
                    tables=_proactive_tables(publications, figures, subtree)),
            Section("三", "收到和处理政府信息公开申请情况",
                    tables=(_requests_table(requests, sums),)),
            Section("四", "政府信息公开行政复议、行政诉讼情况",
                    tables=(_review_table(sums),)),
            Section("五", "存在的主要问题及改进情况", narrative("problems")),
            Section("六", "其他需要报告的事项", narrative("other")),
        ))


# ------------------------------------------------------------------------------ queries

def _year_bounds(year: int) -> tuple[date, date, datetime]:
    """First and last day of ``year`` and the UTC instant the year ends in Shanghai."""
    end = datetime.combine(date(year + 1, 1, 1), time(), SHANGHAI).astimezone(UTC)
    return date(year, 1, 1), date(year, 12, 31), end


@dataclass
class _RequestCounts:
    """Per (requester kind, reply type, reply reason): the four flows of the matrix."""

    rows: list[tuple[str, str | None, str | None, int, int, int, int]] = field(default_factory=list)


async def _request_counts(session: AsyncSession, scope: Any, year: int) -> _RequestCounts:
    first, last, _ = _year_bounds(year)
    r = DisclosureRequest
    received_in = and_(r.received_on >= first, r.received_on <= last)
    replied_in = and_(r.replied_on.is_not(None), r.replied_on >= first, r.replied_on <= last)
    carried_over = and_(r.received_on < first, or_(r.replied_on.is_(None), r.replied_on >= first))
    forward = or_(r.replied_on.is_(None), r.replied_on > last)
    stmt = (select(r.requester_kind, r.reply_type, r.reply_reason,
                   func.count().filter(received_in), func.count().filter(carried_over),
                   func.count().filter(replied_in), func.count().filter(forward))
            .where(scope, r.received_on <= last,
                   or_(r.replied_on.is_(None), r.replied_on >= first))
            .group_by(r.requester_kind, r.reply_type, r.reply_reason))
    out = _RequestCounts()
    for kind, type_, reason, new, over, handled, fwd in (await session.execute(stmt)).all():
        out.rows.append((kind, type_, reason, int(new or 0), int(over or 0), int(handled or 0),
                         int(fwd or 0)))
    return out


async def _publication_counts(session: AsyncSession, scope: Any, step_scope: Any, year: int
                              ) -> dict[str, tuple[int, int, int]]:
    """规章 and 行政规范性文件 issued, repealed and in force in ``year`` (one statement).

    The first publication is the earliest review step that published the item
    (``published_on`` moves when a revision is republished); an item without review steps
    (imported) falls back to ``published_on``.
    """
    first, last, end = _year_bounds(year)
    start = datetime.combine(first, time(), SHANGHAI).astimezone(UTC)
    p = Publication
    steps = (select(ReviewStep.publication_id.label("publication_id"),
                    func.min(ReviewStep.at).label("first_at"))
             .where(step_scope, ReviewStep.to_status == "published")
             .group_by(ReviewStep.publication_id).subquery("first_published"))
    first_at = steps.c.first_at
    published_by_end = or_(and_(first_at.is_not(None), first_at < end),
                           and_(first_at.is_(None), p.published_on <= last))
    first_in_year = or_(and_(first_at.is_not(None), first_at >= start, first_at < end),
                        and_(first_at.is_(None), p.published_on >= first, p.published_on <= last))
    standing = or_(p.withdrawn_at.is_(None), p.withdrawn_at >= end)
    issued = and_(first_in_year, standing)
    repealed = and_(p.repealed_on >= first, p.repealed_on <= last, standing)
    in_force = and_(published_by_end, standing,
                    or_(p.repealed_on.is_(None), p.repealed_on > last),
                    or_(p.valid_until.is_(None), p.valid_until >= last))
    stmt = (select(p.doc_kind, func.count().filter(issued), func.count().filter(repealed),
                   func.count().filter(in_force))
            .select_from(p).outerjoin(steps, steps.c.publication_id == p.id)
            .where(scope, p.doc_kind.in_(("rule", "normative")), p.published_on.is_not(None))
            .group_by(p.doc_kind))
    return {kind: (int(a or 0), int(b or 0), int(c or 0))
            for kind, a, b, c in (await session.execute(stmt)).all()}


async def _inputs(session: AsyncSession, tenant: Tenant, year: int, subtree: bool
                  ) -> Sequence[ReportInput]:
    scope = subtree_clause(ReportInput.tenant_path, tenant.path) if subtree \
        else ReportInput.tenant_id == tenant.id
    return (await session.scalars(select(ReportInput).where(scope, ReportInput.year == year))).all()


@dataclass
class _Sums:
    review: dict[str, int] = field(default_factory=dict)
    carried_over: dict[str, int] = field(default_factory=dict)
    carried_over_total: int | None = None


def _sum_inputs(inputs: Iterable[ReportInput]) -> _Sums:
    """The hand-entered numbers summed over the inputs (one tenant, or a subtree's); section
    二's are ``report_platform``'s (an entered value replaces a platform figure)."""
    sums = _Sums()
    entered_total, total = False, 0
    for i in inputs:
        for key, value in (i.review_litigation or {}).items():
            sums.review[key] = sums.review.get(key, 0) + int(value)
        carried = {k: int(v) for k, v in (i.carried_over or {}).items() if k != TOTAL}
        for key, value in carried.items():
            sums.carried_over[key] = sums.carried_over.get(key, 0) + value
        if TOTAL in (i.carried_over or {}):  # as entered; else it is the sum of the columns
            entered_total, total = True, total + int(i.carried_over[TOTAL])
        else:
            total += sum(carried.values())
    sums.carried_over_total = total if entered_total else None
    return sums


# ------------------------------------------------------------------------------ tables

_PLATFORM_SOURCE = {
    "licensing": "受理系统本年作出的行政许可决定（准予或不予许可，按作出决定的单位统计）",
    "fees": "受理系统本年收取的费用（按办理单位统计，元折算为万元）",
}


def _origin_note(key: str, label: str, figure: report_platform.Figure, subtree: bool) -> str:
    """Where one section 二 figure came from, in words (the table's note)."""
    def amount(v: float) -> str:
        return f"{v:g}" if key == "fees" else str(int(v))

    if figure.origin == report_platform.PLATFORM:
        return f"{label}由平台根据{_PLATFORM_SOURCE[key]}统计。"
    if figure.origin == report_platform.MIXED:
        return (f"{label}由平台统计（全辖区平台统计数为 {amount(figure.platform or 0)}），"
                f"其中 {figure.entered} 个单位以填报人录入数替代其本级平台统计数。")
    if figure.platform is not None:
        return f"{label}由填报人录入（替代平台统计数 {amount(figure.platform)}）。"
    if key in _PLATFORM_SOURCE:
        where = "辖区内" if subtree else "本单位"
        return f"{label}由填报人录入（{where}未启用受理系统，平台不掌握该数据）。"
    return f"{label}由填报人录入（平台不掌握其他业务系统的决定数据）。"


def _proactive_tables(counts: Mapping[str, tuple[int, int, int]],
                      figures: Mapping[str, report_platform.Figure], subtree: bool
                      ) -> tuple[ReportTable, ...]:
    def row(key: str, label: str) -> ReportRow:
        return ReportRow(key, label, 0, tuple(float(v) for v in counts.get(key, (0, 0, 0))))

    labels = dict(PROACTIVE_INPUTS)

    def single(key: str) -> ReportRow:
        figure = figures[key]
        return ReportRow(key, labels[key], 0, (figure.value,), origin=figure.origin)

    def note(*keys: str) -> str:
        return "".join(_origin_note(k, labels[k], figures[k], subtree) for k in keys)

    decisions = (Column("decisions", "本年处理决定数量"),)
    return (
        ReportTable(
            "proactive.20_1", "第二十条第（一）项",
            ((HeaderCell("信息内容"), HeaderCell("本年制发件数"), HeaderCell("本年废止件数"),
              HeaderCell("现行有效件数")),),
            (Column("issued", "本年制发件数"), Column("repealed", "本年废止件数"),
             Column("in_force", "现行有效件数")),
            (row("rule", "规章"), row("normative", "行政规范性文件")),
            note="由平台根据已发布的规章、行政规范性文件统计。"),
        ReportTable("proactive.20_5", "第二十条第（五）项",
                    ((HeaderCell("信息内容"), HeaderCell("本年处理决定数量")),), decisions,
                    (single("licensing"),), note=note("licensing")),
        ReportTable("proactive.20_6", "第二十条第（六）项",
                    ((HeaderCell("信息内容"), HeaderCell("本年处理决定数量")),), decisions,
                    (single("penalty"), single("coercion")),
                    note="本表数字由填报人录入（行政处罚、行政强制不经受理系统办理，平台不掌握）。"),
        ReportTable("proactive.20_8", "第二十条第（八）项",
                    ((HeaderCell("信息内容"), HeaderCell("本年收费金额（单位：万元）")),),
                    (Column("amount", "本年收费金额（单位：万元）"),),
                    (single("fees"),), note=note("fees")),
    )


def _requests_table(counts: _RequestCounts, sums: _Sums) -> ReportTable:
    """Section 三's matrix. Every figure is counted on its own (see the module docstring)."""
    width = len(_KINDS) + 1

    def zeros() -> list[float]:
        return [0.0] * width

    def add(vec: list[float], kind: str, n: int) -> None:
        if n:
            if kind in _KINDS:
                vec[_KINDS.index(kind)] += n
            vec[-1] += n  # 总计 counts every request, whatever its kind

    new, over, forward, handled = zeros(), zeros(), zeros(), zeros()
    blocks = {b: zeros() for b in range(1, 7)}
    lines: dict[tuple[int, int], list[float]] = {
        (b, i): zeros() for b, labels in _SUB_ROWS.items() for i in range(1, len(labels) + 1)}
    for kind, type_, reason, n_new, n_over, n_handled, n_fwd in counts.rows:
        add(new, kind, n_new)
        add(over, kind, n_over)
        add(forward, kind, n_fwd)
        if not n_handled:
            continue
        add(handled, kind, n_handled)
        reply_type = replies.REPLY_TYPES.get(type_ or "")
        if reply_type is not None:
            add(blocks[reply_type.block], kind, n_handled)
        found = replies.reason(type_ or "", reason or "")
        if found is not None and found.row[1]:
            add(lines[found.row], kind, n_handled)
    for kind, n in sums.carried_over.items():
        add(over, kind, n)
    if sums.carried_over_total is not None:  # as entered: checked against its columns
        over[-1] = over[-1] - sum(sums.carried_over.values()) + sums.carried_over_total

    rows = [ReportRow("new", "一、本年新收政府信息公开申请数量", 0, tuple(new)),
            ReportRow("carried_over", "二、上年结转政府信息公开申请数量", 0, tuple(over)),
            ReportRow("result", "三、本年度办理结果", 0)]
    for b in range(1, 7):
        rows.append(ReportRow(f"result.{b}", _BLOCK_TITLES[b], 1, tuple(blocks[b])))
        for i, label in enumerate(_SUB_ROWS.get(b, ()), start=1):
            rows.append(ReportRow(f"result.{b}.{i}", label, 2, tuple(lines[(b, i)])))
    rows.append(ReportRow("result.7", _BLOCK_TITLES[7], 1, tuple(handled)))
    rows.append(ReportRow("carried_forward", "四、结转下年度继续办理", 0, tuple(forward)))
    columns = (*(Column(k, label) for k, label in APPLICANTS), Column(TOTAL, "总计"))
    header = (
        (HeaderCell("", rowspan=3), HeaderCell("申请人情况", colspan=7)),
        (HeaderCell("自然人", rowspan=2), HeaderCell("法人或其他组织", colspan=5),
         HeaderCell("总计", rowspan=2)),
        tuple(HeaderCell(label) for _, label in APPLICANTS[1:]),
    )
    note = "总计列的勾稽关系：第一项加第二项之和，等于第三项加第四项之和。"
    if sums.carried_over or sums.carried_over_total is not None:
        note += "“上年结转”含填报人录入的平台启用前结转件数。"
    return ReportTable("requests", "收到和处理政府信息公开申请情况", header, columns, tuple(rows),
                       note=note)


def _review_table(sums: _Sums) -> ReportTable:
    columns = tuple(Column(f"{g}_{o}", f"{glabel}{olabel}") for g, glabel in REVIEW_GROUPS
                    for o, olabel in REVIEW_OUTCOMES)
    header = (
        (HeaderCell("行政复议", colspan=5, rowspan=2), HeaderCell("行政诉讼", colspan=10)),
        (HeaderCell("未经复议直接起诉", colspan=5), HeaderCell("复议后起诉", colspan=5)),
        tuple(HeaderCell(label) for _ in REVIEW_GROUPS for _, label in REVIEW_OUTCOMES),
    )
    values = tuple(float(sums.review.get(c.key, 0)) for c in columns)
    return ReportTable("review_litigation", "政府信息公开行政复议、行政诉讼情况", header, columns,
                       (ReportRow("cases", "件数", 0, values),),
                       note="本表数字由填报人录入（平台不掌握复议和诉讼案件）。", labelled=False)


# ------------------------------------------------------------------------------ checks

def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def consistency_problems(report: AnnualReport) -> list[InvalidField]:
    """Every failing check of the template, each naming its row, column and values."""
    problems: list[InvalidField] = []
    matrix = report.table("requests")
    labels = {c.key: c.label for c in matrix.columns}

    def fail(code: str, row: str, column: str, zh: str, en: str, **params: Any) -> None:
        problems.append(InvalidField(f"disclosure_report.{code}", zh, en, field=f"{row}.{column}",
                                     params={"row": row, "column": column, **params}))

    for row in matrix.rows:
        if not row.values:
            continue
        total, parts = row.values[-1], sum(row.values[:-1])
        if total != parts:
            fail("row_total", row.key, TOTAL,
                 f"{row.label}：总计 {_fmt(total)} ≠ 六类申请人之和 {_fmt(parts)}",
                 f"row {row.key}: total {_fmt(total)} != sum of the six applicant columns "
                 f"{_fmt(parts)}", total=total, sum=parts)
    for i, column in enumerate(matrix.columns):
        blocks = sum(matrix.row(f"result.{b}").values[i] for b in range(1, 7))
        seven = matrix.row("result.7").values[i]
        if seven != blocks:
            fail("results_total", "result.7", column.key,
                 f"（七）总计（{column.label}）{_fmt(seven)} ≠ （一）至（六）之和 {_fmt(blocks)}",
                 f"result.7 ({column.key}): {_fmt(seven)} != sum of blocks 1-6 {_fmt(blocks)}",
                 total=seven, sum=blocks)
        for b, sub in _SUB_ROWS.items():
            block = matrix.row(f"result.{b}").values[i]
            parts = sum(matrix.row(f"result.{b}.{n}").values[i] for n in range(1, len(sub) + 1))
            if block != parts:
                fail("block_total", f"result.{b}", column.key,
                     f"{_BLOCK_TITLES[b]}（{column.label}）{_fmt(block)} ≠ 其分项之和 {_fmt(parts)}",
                     f"result.{b} ({column.key}): {_fmt(block)} != sum of its sub-rows "
                     f"{_fmt(parts)}", total=block, sum=parts)
        inflow = matrix.row("carried_over").values[i] + matrix.row("new").values[i]
        outflow = seven + matrix.row("carried_forward").values[i]
        if inflow != outflow:
            fail("balance", "carried_over", column.key,
                 f"{labels[column.key]}：上年结转+本年新收 {_fmt(inflow)} ≠ 办理结果总计+结转下年度 "
                 f"{_fmt(outflow)}",
                 f"{column.key}: carried over + new {_fmt(inflow)} != handled + carried forward "
                 f"{_fmt(outflow)}", inflow=inflow, outflow=outflow)
    review = report.table("review_litigation")
    for group, label in REVIEW_GROUPS:
        total = review.cell("cases", f"{group}_total")
        parts = sum(review.cell("cases", f"{group}_{o}") for o, _ in REVIEW_OUTCOMES[:-1])
        if total != parts:
            fail("review_total", "review_litigation", f"{group}_total",
                 f"{label}：总计 {_fmt(total)} ≠ 维持+纠正+其他+尚未审结 {_fmt(parts)}",
                 f"{group}: total {_fmt(total)} != upheld+corrected+other+pending {_fmt(parts)}",
                 total=total, sum=parts)
    return problems

