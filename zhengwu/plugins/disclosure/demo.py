"""disclosure's part of ``zhengwu demo`` (hook ``zhengwu_cli``): a year (2025) of government
information at 宁国市 (341881) and 方塘乡 (341881204), run through the services by the demo's
editors, reviewers and leaders on the days it happened (the clock is set to each day), then
both annual reports rendered.

* **Publications** through the whole review chain (editor → 保密审查 → 分管领导 → 主要领导 for
  major items): budgets and final accounts, a normative document with its interpretation
  (政策解读), a later one that repeals an older one, licensing results, procurement (published
  late: past its 20 working days), recruitment, a safety report withdrawn with a reason, an
  internal draft recorded as not disclosed (Art. 16), and one still at the leader's desk at
  the year's end; 方塘乡's township categories (宅基地, 筹资筹劳, 农田水利, 社会救助) and a
  sub-category each tenant adds to the catalog.
* **Requests** (依申请公开) of every requester kind and most reply types: disclosed, already
  public, partly disclosed after a third party's objection, a correction notice answered and
  one not answered, an extension approved by the office head, a co-producer's consent, not
  held, not ours, a petition, a repeat request, a withdrawal, and two still open at the year's
  end (carried forward into 2026).
* The hand-entered parts of 宁国市's report (narratives, 行政许可/处罚/强制 figures, the
  review and litigation row), then the **annual reports** of both tenants for 2025 rendered as
  HTML and Excel into ``demo-reports/`` (next to the working directory's database).

Idempotent: a publication or request whose title/description is already there is skipped;
each one's script is one transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock
from zhengwu.core.security.authn import principals_of
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.disclosure import catalog, publications, report, report_render, requests, review
from zhengwu.plugins.disclosure.models import Category, DisclosureRequest, Publication
from zhengwu.plugins.disclosure.report_inputs import ReportInputsChange, save_report_inputs
from zhengwu.plugins.disclosure.requests import NewRequest, Reply

__all__ = ["REPORTS_DIR", "YEAR", "demo_year"]

YEAR = 2025
COUNTY, TOWNSHIP = "341881", "341881204"
REPORTS_DIR = Path("demo-reports")
STAFF = {COUNTY: ("ningguo_editor", "ningguo_reviewer", "ningguo_leader"),
         TOWNSHIP: ("fangtang_editor", "fangtang_reviewer", "fangtang_leader")}


def _on(day: date, hour: int = 10) -> object:
    """Set the clock to ``hour`` o'clock China time on ``day``."""
    return clock.freeze(datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC))


@dataclass(frozen=True)
class Item:
    """A publication of the demo year and what happens to it."""

    title: str
    category: str
    formed: date
    published: date | None  # None: stays where ``stop`` says
    kinds: tuple[str, ...]
    body: str
    doc_kind: str = "other"
    document_no: str | None = None
    key_areas: tuple[str, ...] = ()
    timing: str = "ad_hoc"
    major: bool = False
    attribute: str = "proactive"
    ground: str | None = None
    interprets: str | None = None  # title of the item it interprets
    repeals: str | None = None     # title of the item it repeals
    withdrawn: tuple[date, str] | None = None
    stop: str | None = None  # leave it at this status (e.g. "leader")


COUNTY_ITEMS = (
    Item("宁国市2025年财政预算报告", "07.01", date(2025, 1, 20), date(2025, 2, 10),
         ("decision", "result"), "全市一般公共预算收入安排……", key_areas=("budget",),
         timing="periodic"),
    Item("宁国市城乡居民最低生活保障实施办法", "01", date(2025, 3, 3), date(2025, 3, 20),
         ("decision",), "第一条 为规范城乡居民最低生活保障工作……", doc_kind="normative",
         document_no="宁政办〔2025〕3号", key_areas=("social_security",), timing="long_term",
         major=True),
    Item("《宁国市城乡居民最低生活保障实施办法》政策解读", "01", date(2025, 3, 20), date(2025, 3, 21),
         ("decision",), "一、制定背景……二、主要内容……", interprets="宁国市城乡居民最低生活保障实施办法"),
    Item("宁国市农村集体经济组织财务管理办法", "01", date(2025, 4, 1), date(2025, 4, 10),
         ("decision",), "第一条 为加强农村集体经济组织财务管理……", doc_kind="normative",
         document_no="宁政办〔2025〕9号", timing="long_term"),
    Item("2025年第一季度行政许可办理结果公示", "05", date(2025, 4, 3), date(2025, 4, 8),
         ("result",), "第一季度共办结行政许可事项……", key_areas=("approval",), timing="periodic"),
    Item("宁国市2025年公务员招录考试公告", "14", date(2025, 3, 10), date(2025, 3, 12),
         ("service",), "招录职位、名额、报考条件……"),
    Item("宁国市政府集中采购目录及限额标准", "09", date(2025, 5, 6), date(2025, 6, 20),
         ("execution",), "集中采购目录……", key_areas=("procurement",), timing="long_term"),
    Item("宁国市2024年财政决算报告", "07.01", date(2025, 7, 10), date(2025, 7, 25),
         ("result",), "2024年全市一般公共预算收入完成……", key_areas=("budget",), timing="periodic"),
    Item("宁国市农村集体资产管理办法", "01", date(2025, 9, 1), date(2025, 9, 15),
         ("decision",), "第一条 为加强农村集体资产管理……", doc_kind="normative",
         document_no="宁政办〔2025〕21号", timing="long_term",
         repeals="宁国市农村集体经济组织财务管理办法"),
    Item("2025年三季度安全生产监督检查情况通报", "13", date(2025, 10, 27), date(2025, 11, 3),
         ("result",), "三季度共检查企业……", key_areas=("work_safety",),
         withdrawn=(date(2025, 11, 5), "通报数据有误，核实后重新发布")),
    Item("宁国市征地补偿安置方案（内部讨论稿）", "19", date(2025, 11, 12), date(2025, 11, 20),
         ("decision",), "讨论稿，不对外公开", attribute="not_disclosed", ground="process_info"),
    Item("宁国市2026年重点民生实事项目", "03", date(2025, 12, 22), None,
         ("decision",), "2026年拟实施民生实事十项……", stop="leader"),
)
TOWNSHIP_ITEMS = (
    Item("方塘乡2025年部门预算", "07", date(2025, 2, 14), date(2025, 3, 3),
         ("result",), "方塘乡2025年部门收支预算……", key_areas=("budget",), timing="periodic"),
    Item("方塘乡2025年农村低保对象名单公示", "22", date(2025, 4, 1), date(2025, 4, 3),
         ("result",), "经村评议、乡审核……", key_areas=("social_security",)),
    Item("方塘乡2025年上半年宅基地审批结果", "33.01", date(2025, 7, 3), date(2025, 7, 10),
         ("result",), "上半年共审核宅基地申请……", key_areas=("approval",), timing="periodic"),
    Item("方塘乡一事一议筹资筹劳项目公示", "34", date(2025, 8, 5), date(2025, 8, 12),
         ("decision",), "方塘村道路硬化项目……"),
    Item("方塘乡农田水利设施维修项目实施情况", "31", date(2025, 10, 9), date(2025, 11, 20),
         ("execution",), "维修渠道……", key_areas=("major_projects",)),
)
SUB_CATEGORIES = {COUNTY: ("07", "07.01", "部门预算决算"), TOWNSHIP: ("33", "33.01", "宅基地审批结果")}


@dataclass(frozen=True)
class Application:
    """A request of the demo year and what happens to it (a list of steps on their days)."""

    description: str
    kind: str
    channel: str
    received: date
    steps: tuple[tuple[date, str, tuple[str, ...]], ...]  # (day, action, args)
    name: str = "申请人"


COUNTY_REQUESTS = (
    Application("申请公开港口镇某村2024年征地补偿标准", "natural_person", "in_person",
                date(2025, 2, 17), ((date(2025, 3, 5), "reply", ("disclosed", "provided")),),
                "王建国"),
    Application("申请获取宁国市2025年财政预算报告", "natural_person", "online", date(2025, 3, 10),
                ((date(2025, 3, 12), "reply", ("disclosed", "already_public")),), "李红"),
    Application("申请公开某建材公司环评审批材料", "commercial", "registered_mail", date(2025, 4, 7),
                ((date(2025, 4, 10), "consult", ("third_party", "宁国某建材有限公司")),
                 (date(2025, 4, 18), "answer", ("objection", "涉及商业秘密")),
                 (date(2025, 4, 30), "reply", ("partly_disclosed", "third_party_rights"))),
                "宣城某环保科技有限公司"),
    Application("申请公开“那个文件”", "natural_person", "in_person", date(2025, 5, 12),
                ((date(2025, 5, 14), "correct", ("2025-05-30", "文件名称或文号", "形成时间")),
                 (date(2025, 5, 20), "corrected", ()),
                 (date(2025, 6, 6), "reply", ("disclosed", "provided"))), "张伟"),
    Application("申请公开2010年某水库移民安置原始档案", "natural_person", "in_person",
                date(2025, 6, 3), ((date(2025, 6, 10), "reply", ("cannot_provide", "not_held")),),
                "陈明"),
    Application("申请公开某征收项目内部会议纪要", "legal_service", "fax", date(2025, 7, 1),
                ((date(2025, 7, 25), "extend", ("15", "需调取多个部门档案")),
                 (date(2025, 8, 12), "reply", ("not_disclosed", "process_info"))),
                "安徽某律师事务所"),
    Application("反映邻居违建问题并要求查处", "natural_person", "in_person", date(2025, 8, 4),
                ((date(2025, 8, 6), "reply", ("not_processed", "petition")),), "刘芳"),
    Application("申请公开宁国市人口老龄化研究数据", "research", "online", date(2025, 9, 15),
                ((date(2025, 9, 17), "consult", ("co_producer", "宁国市卫生健康委员会")),
                 (date(2025, 9, 24), "answer", ("consent", "同意公开")),
                 (date(2025, 10, 15), "reply", ("disclosed", "provided"))), "某大学社会学院"),
    Application("申请公开相关情况", "natural_person", "in_person", date(2025, 10, 20),
                ((date(2025, 10, 22), "correct", ("2025-11-05", "所需信息的名称或内容描述")),
                 (date(2025, 11, 12), "reply", ("other", "no_correction"))), "赵强"),
    Application("申请公开城区停车收费标准", "natural_person", "in_person", date(2025, 11, 17),
                ((date(2025, 11, 20), "withdraw", ("已在网站查到",)),), "孙丽"),
    Application("再次申请公开港口镇某村2024年征地补偿标准", "other", "letter", date(2025, 12, 1),
                ((date(2025, 12, 3), "reply", ("not_processed", "repeat")),), "港口镇某村民小组"),
    Application("申请公开全市养老机构运营补贴发放情况", "public_interest", "in_person",
                date(2025, 12, 22), (), "宁国市某公益协会"),
)
TOWNSHIP_REQUESTS = (
    Application("申请公开方塘村道路硬化项目预算", "natural_person", "in_person", date(2025, 3, 17),
                ((date(2025, 3, 20), "reply", ("disclosed", "provided")),), "周杰"),
    Application("申请公开宁国市土地利用总体规划原件", "natural_person", "in_person",
                date(2025, 6, 16), ((date(2025, 6, 18), "reply", ("cannot_provide", "not_ours")),),
                "吴敏"),
    Application("申请公开2025年方塘乡低保评议记录", "natural_person", "in_person", date(2025, 9, 8),
                ((date(2025, 9, 26), "reply", ("disclosed", "provided")),), "郑华"),
    Application("申请公开方塘乡2026年农田水利建设计划", "natural_person", "in_person",
                date(2025, 12, 29), (), "钱勇"),
)


REPLY_TEXT = "依据《中华人民共和国政府信息公开条例》答复如下……"


class _Year:
    """Runs one tenant's scripts with its editor, reviewer and leader."""

    def __init__(self, session: AsyncSession, code: str, staff: dict[str, Principal]) -> None:
        self.session, self.code = session, code
        editor, reviewer, leader = STAFF[code]
        self.editor, self.reviewer, self.leader = staff[editor], staff[reviewer], staff[leader]

    async def _by_title(self, title: str) -> Publication | None:
        row: Publication | None = await self.session.scalar(select(Publication).where(
            Publication.title == title, Publication.tenant_path.endswith("/" + self.code)))
        return row

    async def sub_category(self) -> None:
        parent, code, name = SUB_CATEGORIES[self.code]
        exists = await self.session.scalar(select(Category.id).where(
            Category.tenant_path.endswith("/" + self.code), Category.name == name))
        if exists is None:
            with _on(date(YEAR, 1, 6)):
                await catalog.add_category(self.session, self.leader, self.code, parent, name,
                                           code=code)

    async def publication(self, item: Item) -> bool:
        if await self._by_title(item.title) is not None:
            return False
        s = self.session
        with _on(item.formed):
            pub = await publications.create_publication(s, self.editor, self.code,
                                                        publications.PublicationFields(
                title=item.title, category_code=item.category, formed_on=item.formed,
                disclosure_kinds=item.kinds, attribute=item.attribute, timing=item.timing,
                body=item.body, key_areas=item.key_areas, withhold_ground=item.ground,
                doc_kind=item.doc_kind, document_no=item.document_no, is_major=item.major))
            for kind, other in (("interprets", item.interprets), ("repeals", item.repeals)):
                target = await self._by_title(other) if other else None
                if target is not None:
                    await publications.link_publication(s, self.editor, pub.id, target.id, kind)
            await review.submit(s, self.editor, pub.id)
        day = item.published or item.formed
        with _on(day, 11):
            await review.approve(s, self.reviewer, pub.id, "经保密审查，可以公开")
            if item.stop != "leader":
                await review.approve(s, self.reviewer, pub.id, "同意")
                if item.major:
                    await review.approve(s, self.leader, pub.id, "同意发布")
        if item.withdrawn is not None:
            with _on(item.withdrawn[0]):
                await review.withdraw(s, self.leader, pub.id, item.withdrawn[1])
        return True

    async def request(self, app: Application) -> bool:
        s = self.session
        exists = await s.scalar(select(DisclosureRequest.id).where(
            DisclosureRequest.description == app.description,
            DisclosureRequest.tenant_path.endswith("/" + self.code)))
        if exists is not None:
            return False
        confirmed = app.received if app.channel in ("letter", "online", "fax") else None
        signed = app.received if app.channel == "registered_mail" else None
        with _on(app.received):
            req = await requests.register_request(s, self.editor, NewRequest(
                channel=app.channel, requester_kind=app.kind, requester_name=app.name,
                description=app.description, tenant_code=self.code, submitted_on=app.received,
                signed_on=signed, confirmed_on=confirmed))
        consultation: uuid.UUID | None = None
        for day, action, args in app.steps:
            with _on(day):
                if action == "reply":
                    await requests.reply_request(s, self.editor, req.id, Reply(
                        type=args[0], reason=args[1], text=REPLY_TEXT))
                elif action == "consult":
                    consultation = (await requests.open_consultation(
                        s, self.editor, req.id, args[0], args[1])).id
                elif action == "answer" and consultation is not None:
                    await requests.answer_consultation(s, self.editor, consultation, args[0],
                                                       note=args[1])
                elif action == "correct":
                    await requests.send_correction_notice(s, self.editor, req.id, list(args[1:]),
                                                          date.fromisoformat(args[0]))
                elif action == "corrected":
                    await requests.record_correction(s, self.editor, req.id)
                elif action == "extend":
                    await requests.extend_request(s, self.leader, req.id, int(args[0]), args[1])
                elif action == "withdraw":
                    await requests.withdraw_request(s, self.editor, req.id, args[0])
        return True


async def _step(session: AsyncSession, work: Callable[[], Awaitable[bool]]) -> int:
    try:
        made = await work()
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return int(made)


async def _report_inputs(session: AsyncSession, leader: Principal) -> None:
    with _on(date(YEAR + 1, 1, 15)):
        await save_report_inputs(session, leader, ReportInputsChange(
            tenant_code=COUNTY, year=YEAR,
            narratives={"overview": "2025年，宁国市深入贯彻《中华人民共和国政府信息公开条例》，"
                                    "围绕重点领域信息公开，全年主动公开政府信息……",
                        "problems": "部分单位公开时效性不够，下一步将加强督促……",
                        "other": "本年度未收取信息处理费。"},
            proactive={"licensing": 1863, "penalty": 412, "coercion": 9, "fees": 35.6},
            review_litigation={"review_upheld": 1, "review_total": 1}))
    await session.commit()


def _write(files: dict[Path, bytes]) -> None:
    REPORTS_DIR.mkdir(exist_ok=True)
    for path, data in files.items():
        path.write_bytes(data)


async def _render(session: AsyncSession, staff: dict[str, Principal]) -> list[str]:
    files: dict[Path, bytes] = {}
    for code in (COUNTY, TOWNSHIP):
        principal = staff[STAFF[code][0]]
        doc = await report.annual_report(session, principal, code, YEAR)
        files[REPORTS_DIR / f"{code}-{YEAR}.html"] = report_render.render_html(doc).encode()
        files[REPORTS_DIR / f"{code}-{YEAR}.xlsx"] = report_render.render_xlsx(doc)
    await asyncio.to_thread(_write, files)
    return [str(p) for p in files]


async def demo_year(session: AsyncSession) -> str:
    """Run what is not there yet, render both reports; one line for the demo's summary."""
    names = [n for trio in STAFF.values() for n in trio]
    staff = await principals_of(session, names)
    missing = [n for n in names if n not in staff]
    if missing:
        raise RuntimeError(f"the disclosure demo needs the demo users {', '.join(missing)}")
    made_pubs = made_reqs = 0
    for code, items, apps in ((COUNTY, COUNTY_ITEMS, COUNTY_REQUESTS),
                              (TOWNSHIP, TOWNSHIP_ITEMS, TOWNSHIP_REQUESTS)):
        year = _Year(session, code, staff)
        await _step(session, lambda y=year: _true(y.sub_category()))
        for item in items:
            made_pubs += await _step(session, lambda y=year, i=item: y.publication(i))
        for app in apps:
            made_reqs += await _step(session, lambda y=year, a=app: y.request(a))
    await _report_inputs(session, staff[STAFF[COUNTY][2]])
    files = await _render(session, staff)
    return (f"a year ({YEAR}) of disclosure at 宁国市 and 方塘乡: {made_pubs} publications and "
            f"{made_reqs} requests created (the rest already there); annual reports: "
            + ", ".join(files))


async def _true(work: Awaitable[None]) -> bool:
    await work
    return False
