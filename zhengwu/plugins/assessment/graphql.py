"""GraphQL of the assessment plugin (考核评估) for assessors: indicator systems (save a draft,
publish), the metrics an indicator may use, manual scores, runs and their results, bulletin
download URLs.

Thin by rule: a resolver parses its input, calls ONE service and maps the result or the typed
error (``zhengwu.graphql.core_mutation._mutate``). Tiers: province, city, county. Lists are
plain lists (a tenant has a handful of systems and a run a few hundred targets at most); runs
are capped at the newest 500.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.plugin_api import GraphQLContribution
from zhengwu.core.plugin_host import current_host
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.types import Info
from zhengwu.plugins.assessment import indicators, runs, systems
from zhengwu.plugins.assessment.access import assessing_tenant
from zhengwu.plugins.assessment.models import AssessmentRun as RunRow
from zhengwu.plugins.assessment.models import AssessmentSystem as SystemRow
from zhengwu.plugins.assessment.models import ManualScore as ManualRow

__all__ = ["AssessmentMutation", "AssessmentQuery", "contribution"]

TenantCode = Annotated[str | None, strawberry.argument(
    description="The assessing tenant (区划代码) in the acting subtree; default: every one.")]


def _code(path: str) -> str:
    return path.rsplit("/", 1)[-1]


@strawberry.type(description="评分规则。")
class AssessmentRule:
    kind: str = strawberry.field(description="linear 线性 | rank 排名 | pass_fail 达标 | deduction 扣分")
    zero_at: float | None = strawberry.field(description="linear：零分阈值")
    full_at: float | None = strawberry.field(description="linear：满分阈值")
    threshold: float | None = strawberry.field(description="pass_fail：达标线")
    points: float | None = strawberry.field(description="deduction：每次扣分")
    direction: str | None = strawberry.field(description="higher | lower；空为指标数据自身的方向")


@strawberry.type(description="考核指标（树的一个节点）。")
class AssessmentIndicator:
    key: str
    name: str
    weight: float = strawberry.field(description="相对权重（同级之间按比例分配上级分值）")
    points: float = strawberry.field(description="满分（总分100分按权重分配所得）")
    metric: str | None = strawberry.field(description="取自的指标数据名称（末级）")
    rule: AssessmentRule | None
    manual_max: float | None = strawberry.field(description="人工评分的满分（末级）")
    children: list[AssessmentIndicator]


def _indicator(ind: indicators.Indicator, points: dict[str, float]) -> AssessmentIndicator:
    r = ind.rule
    return AssessmentIndicator(
        key=ind.key, name=ind.name, weight=ind.weight, points=round(points[ind.key], 4),
        metric=ind.metric, manual_max=ind.manual_max,
        rule=AssessmentRule(kind=r.kind, zero_at=r.zero_at, full_at=r.full_at,
                            threshold=r.threshold, points=r.points, direction=r.direction)
        if r is not None else None,
        children=[_indicator(c, points) for c in ind.children])


@strawberry.type(description="考核指标体系的一个版本。发布后不可修改，修改将生成新的草稿版本。")
class AssessmentSystem:
    id: strawberry.ID
    tenant_code: str
    code: str
    name: str
    version: int
    status: str = strawberry.field(description="draft 草稿 | published 已发布")
    published_at: datetime | None
    indicators: list[AssessmentIndicator]

    @classmethod
    def from_row(cls, row: SystemRow) -> AssessmentSystem:
        tree = indicators.parse_system(row.tree)
        points = indicators.full_points(tree) if tree else {}
        return cls(id=strawberry.ID(str(row.id)), tenant_code=_code(row.tenant_path),
                   code=row.code, name=row.name, version=row.version, status=row.status,
                   published_at=row.published_at,
                   indicators=[_indicator(i, points) for i in tree])


@strawberry.type(description="可供考核指标使用的指标数据（各插件通过钩子提供，core.* 由考核插件提供）。")
class AssessmentMetric:
    name: str
    plugin: str
    title: str
    unit: str
    higher_is_better: bool


@strawberry.type(description="人工评分（现场检查、第三方调查等）。")
class AssessmentManualScore:
    target_code: str
    indicator_key: str
    score: float
    note: str | None

    @classmethod
    def from_row(cls, row: ManualRow) -> AssessmentManualScore:
        return cls(target_code=row.target_code, indicator_key=row.indicator_key,
                   score=row.score, note=row.note)


@strawberry.type(description="一个指标的得分。")
class AssessmentScore:
    key: str
    score: float


@strawberry.type(description="一个考核对象的结果。")
class AssessmentResult:
    code: str
    name: str
    total: float
    rank: int = strawberry.field(description="名次（并列同名次：1、1、3）")
    scores: list[AssessmentScore]


@strawberry.type(description="缺少的数据（按0分计）。")
class AssessmentMissing:
    target_code: str
    indicator_key: str
    reason: str = strawberry.field(description="no_value 无数据 | no_manual_score 未人工评分")


@strawberry.type(description="一次考核运行的快照（不可修改）。")
class AssessmentRun:
    id: strawberry.ID
    tenant_code: str
    system_id: strawberry.ID
    system_code: str
    system_name: str
    system_version: int
    period_kind: str = strawberry.field(description="day 日考核 | week 周汇总 | month 月通报 | range")
    period_start: date
    period_end: date
    target_tier: str
    target_count: int
    digest: str = strawberry.field(description="输入的 SHA-256 摘要（同样输入得到同样摘要和结果）")
    created_at: datetime
    created_by: str | None
    results: list[AssessmentResult]
    missing: list[AssessmentMissing]
    bulletin_html_url: str = strawberry.field(description="通报 HTML（需登录，同一权限）")
    bulletin_xlsx_url: str = strawberry.field(description="通报 Excel（需登录，同一权限）")

    @classmethod
    def from_row(cls, row: RunRow) -> AssessmentRun:
        base = f"/api/v1/assessment/runs/{row.id}/bulletin"
        return cls(
            id=strawberry.ID(str(row.id)), tenant_code=_code(row.tenant_path),
            system_id=strawberry.ID(str(row.system_id)), system_code=row.system_code,
            system_name=row.system_name, system_version=row.system_version,
            period_kind=row.period_kind, period_start=row.period_start,
            period_end=row.period_end, target_tier=row.target_tier,
            target_count=row.target_count, digest=row.digest, created_at=row.created_at,
            created_by=row.created_by,
            results=[AssessmentResult(code=r["code"], name=r["name"], total=r["total"],
                                      rank=r["rank"],
                                      scores=[AssessmentScore(key=k, score=v)
                                              for k, v in r["scores"].items()])
                     for r in row.results],
            missing=[AssessmentMissing(target_code=m["target"], indicator_key=m["indicator"],
                                       reason=m["reason"]) for m in row.missing],
            bulletin_html_url=f"{base}.html", bulletin_xlsx_url=f"{base}.xlsx")


# ------------------------------------------------------------------ inputs


@strawberry.input(description="评分规则。")
class AssessmentRuleInput:
    kind: str
    zero_at: float | None = None
    full_at: float | None = None
    threshold: float | None = None
    points: float | None = None
    direction: str | None = None


@strawberry.input(description="考核指标：有下级指标（children），或为末级：取自指标数据（metric + rule）"
                              "或人工评分（manualMax）。")
class AssessmentIndicatorInput:
    key: str
    name: str
    weight: float
    metric: str | None = None
    rule: AssessmentRuleInput | None = None
    manual_max: float | None = None
    children: list[AssessmentIndicatorInput] | None = None


def _tree(items: list[AssessmentIndicatorInput]) -> list[dict[str, Any]]:
    return [{"key": i.key, "name": i.name, "weight": i.weight, "metric": i.metric,
             "rule": None if i.rule is None else {
                 "kind": i.rule.kind, "zero_at": i.rule.zero_at, "full_at": i.rule.full_at,
                 "threshold": i.rule.threshold, "points": i.rule.points,
                 "direction": i.rule.direction},
             "manual_max": i.manual_max, "children": _tree(i.children or [])} for i in items]


@strawberry.input(description="保存指标体系：最新版本为草稿时修改之，已发布时生成新的草稿版本。")
class SaveAssessmentSystemInput:
    code: str
    name: str
    indicators: list[AssessmentIndicatorInput]
    tenant_code: str | None = None


@strawberry.type
class SaveAssessmentSystemPayload:
    system: AssessmentSystem | None
    errors: list[UserError]


@strawberry.input
class PublishAssessmentSystemInput:
    id: strawberry.ID


@strawberry.type
class PublishAssessmentSystemPayload:
    system: AssessmentSystem | None
    errors: list[UserError]


@strawberry.input
class AssessmentScoreInput:
    target_code: str
    indicator_key: str
    score: float
    note: str | None = None


@strawberry.input(description="录入人工评分（考核运行之前）；任何一项有误则都不保存。")
class EnterAssessmentScoresInput:
    system_id: strawberry.ID
    period: str = strawberry.field(description="2026-03-10 | 2026-W11 | 2026-03")
    scores: list[AssessmentScoreInput]


@strawberry.type
class EnterAssessmentScoresPayload:
    scores: list[AssessmentManualScore] | None
    errors: list[UserError]


@strawberry.input(description="运行考核：已发布的指标体系、期间、考核对象层级（默认下一级）。")
class StartAssessmentRunInput:
    system_id: strawberry.ID
    period: str = strawberry.field(description="2026-03-10 | 2026-W11 | 2026-03")
    tier: str | None = None
    target_codes: list[str] | None = None


@strawberry.type
class StartAssessmentRunPayload:
    run: AssessmentRun | None
    errors: list[UserError]


# ------------------------------------------------------------------ roots


@strawberry.type
class AssessmentQuery:
    @strawberry.field(description="可用的指标数据（需 assessment:read）。")
    async def assessment_metrics(self, info: Info) -> list[AssessmentMetric]:
        ctx = info.context
        await assessing_tenant(ctx.session, ctx.principal, None, "read")
        host = current_host()
        specs = host.metrics() if host is not None else {}
        return [AssessmentMetric(name=s.name, plugin=s.plugin, title=s.title_zh, unit=s.unit,
                                 higher_is_better=s.higher_is_better)
                for _, s in sorted(specs.items())]

    @strawberry.field(description="指标体系的全部版本（需 assessment:read）。")
    async def assessment_systems(self, info: Info, tenant_code: TenantCode = None
                                 ) -> list[AssessmentSystem]:
        ctx = info.context
        rows = await systems.list_systems(ctx.session, ctx.principal, tenant_code)
        return [AssessmentSystem.from_row(r) for r in rows]

    @strawberry.field(description="一个指标体系版本。")
    async def assessment_system(self, info: Info, id: strawberry.ID) -> AssessmentSystem:
        ctx = info.context
        return AssessmentSystem.from_row(await systems.get_system(ctx.session, ctx.principal, id))

    @strawberry.field(description="某体系某期间已录入的人工评分。")
    async def assessment_manual_scores(self, info: Info, system_id: strawberry.ID,
                                       period: str) -> list[AssessmentManualScore]:
        ctx = info.context
        rows = await runs.list_manual_scores(ctx.session, ctx.principal, system_id, period)
        return [AssessmentManualScore.from_row(r) for r in rows]

    @strawberry.field(description="考核运行（最新在前，最多500个）。")
    async def assessment_runs(self, info: Info, tenant_code: TenantCode = None,
                              system_code: str | None = None) -> list[AssessmentRun]:
        ctx = info.context
        rows = await runs.list_runs(ctx.session, ctx.principal, tenant_code, system_code)
        return [AssessmentRun.from_row(r) for r in rows]

    @strawberry.field(description="一次考核运行及其结果。")
    async def assessment_run(self, info: Info, id: strawberry.ID) -> AssessmentRun:
        ctx = info.context
        return AssessmentRun.from_row(await runs.get_run(ctx.session, ctx.principal, id))


@strawberry.type
class AssessmentMutation:
    @strawberry.mutation(description="保存指标体系草稿（需 assessment:write）。")
    async def save_assessment_system(self, info: Info, input: SaveAssessmentSystemInput
                                     ) -> SaveAssessmentSystemPayload:
        draft = systems.SystemDraft(code=input.code, name=input.name,
                                    tree=_tree(input.indicators), tenant_code=input.tenant_code)

        async def work(s: AsyncSession, p: Principal) -> SystemRow:
            return await systems.save_system(s, p, draft)

        row, errors = await _mutate(info, work)
        return SaveAssessmentSystemPayload(
            system=AssessmentSystem.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="发布指标体系版本（需 assessment:write）。")
    async def publish_assessment_system(self, info: Info, input: PublishAssessmentSystemInput
                                        ) -> PublishAssessmentSystemPayload:
        async def work(s: AsyncSession, p: Principal) -> SystemRow:
            return await systems.publish_system(s, p, input.id)

        row, errors = await _mutate(info, work)
        return PublishAssessmentSystemPayload(
            system=AssessmentSystem.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="录入人工评分（需 assessment:write）。")
    async def enter_assessment_scores(self, info: Info, input: EnterAssessmentScoresInput
                                      ) -> EnterAssessmentScoresPayload:
        entries = [runs.ManualEntry(e.target_code, e.indicator_key, e.score, e.note)
                   for e in input.scores]

        async def work(s: AsyncSession, p: Principal) -> list[ManualRow]:
            return await runs.enter_manual_scores(s, p, input.system_id, input.period, entries)

        rows, errors = await _mutate(info, work)
        return EnterAssessmentScoresPayload(
            scores=[AssessmentManualScore.from_row(r) for r in rows] if rows is not None else None,
            errors=errors)

    @strawberry.mutation(description="运行考核（需 assessment:run），结果为不可修改的快照。")
    async def start_assessment_run(self, info: Info, input: StartAssessmentRunInput
                                   ) -> StartAssessmentRunPayload:
        request = runs.RunRequest(system_id=input.system_id, period=input.period,
                                  tier=input.tier, target_codes=input.target_codes)

        async def work(s: AsyncSession, p: Principal) -> RunRow:
            return await runs.start_run(s, p, request)

        row, errors = await _mutate(info, work)
        return StartAssessmentRunPayload(run=AssessmentRun.from_row(row) if row else None,
                                         errors=errors)


def contribution(plugin: str, tier: str) -> GraphQLContribution:
    """Assessment's part of ``tier``'s schema (province, city, county)."""
    return GraphQLContribution(plugin=plugin, query=AssessmentQuery, mutation=AssessmentMutation)
