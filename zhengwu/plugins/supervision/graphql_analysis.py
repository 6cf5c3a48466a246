"""Decision analysis and performance over GraphQL (township tier and up): ``supervisionTrends``
(by week or month), ``supervisionPerformance`` (per member of staff) and
``supervisionDailySummaries`` (the kept 每日定时汇总). See ``analysis`` and ``summary``."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry

from zhengwu.graphql.types import Info, Tenant
from zhengwu.plugins.supervision import analysis, summary

__all__ = ["AnalysisQuery"]

_From = Annotated[date, strawberry.argument(name="from")]


@strawberry.enum(description="The bucket of a trend: calendar week (Monday first) or month.")
class TrendPeriod(Enum):
    WEEK = "week"
    MONTH = "month"


@strawberry.type(description="One week or month of a trend (clipped to the period asked).")
class SupervisionTrendBucket:
    start: date
    end: date
    received: int = strawberry.field(description="Cases accepted.")
    completed: int = strawberry.field(description="Cases decided (办结).")
    yellow_cards: int = strawberry.field(description="Yellow cards raised (cleared ones not counted).")
    red_cards: int = strawberry.field(description="Red cards raised (cleared ones not counted).")
    complaints: int = strawberry.field(description="Complaints received.")
    ratings: int = strawberry.field(description="Ratings (excluded on appeal not counted).")
    satisfied: int = strawberry.field(description="Of them, level 4–5.")
    satisfaction_rate: float | None = strawberry.field(description="satisfied / ratings.")

    @classmethod
    def from_bucket(cls, b: analysis.TrendBucket) -> SupervisionTrendBucket:
        return cls(start=b.start, end=b.end, received=b.received, completed=b.completed,
                   yellow_cards=b.yellow_cards, red_cards=b.red_cards, complaints=b.complaints,
                   ratings=b.ratings, satisfied=b.satisfied,
                   satisfaction_rate=b.satisfaction_rate)


@strawberry.type(description="决策分析 — a subtree's figures by week or month.")
class SupervisionTrends:
    tenant: Tenant
    period: TrendPeriod
    buckets: list[SupervisionTrendBucket]


@strawberry.type(description="One member of staff's figures for a period (绩效).")
class ClerkPerformance:
    clerk: str = strawberry.field(description="Username.")
    accepted: int = strawberry.field(description="Cases accepted by them.")
    decided: int = strawberry.field(description="Cases decided with them as the last actor.")
    on_time: int = strawberry.field(description="Of those, decided on time.")
    yellow_cards: int = strawberry.field(description="Yellow cards raised on their cases.")
    red_cards: int = strawberry.field(description="Red cards raised on their cases.")
    ratings: int = strawberry.field(description="Ratings of the cases they accepted.")
    bad_ratings: int = strawberry.field(description="Of them, 差评 (level 1–2).")


@strawberry.type(description="每日定时汇总 — one tenant's own figures (本级) of one day, kept by "
                               "the daily job.")
class SupervisionDailySummary:
    day: date
    tenant_code: str
    tenant_name: str
    received: int = strawberry.field(description="Cases accepted.")
    completed: int = strawberry.field(description="Cases decided (办结).")
    fees_cents: int = strawberry.field(description="Fees collected, in fen (分).")
    yellow_cards: int
    red_cards: int
    complaints: int = strawberry.field(description="Complaints received.")
    ratings: int
    bad_ratings: int
    computed_at: datetime

    @classmethod
    def from_row(cls, r: summary.SummaryRow) -> SupervisionDailySummary:
        d = r.summary
        return cls(day=d.day, tenant_code=r.tenant_code, tenant_name=r.tenant_name,
                   received=d.received, completed=d.completed, fees_cents=d.fees_cents,
                   yellow_cards=d.yellow_cards, red_cards=d.red_cards, complaints=d.complaints,
                   ratings=d.ratings, bad_ratings=d.bad_ratings, computed_at=d.computed_at)


@strawberry.type(description="One window's figures for a period (窗口绩效).")
class WindowPerformance:
    window_id: strawberry.ID
    window_number: str
    window_name: str
    tenant_code: str
    accepted: int = strawberry.field(description="Cases accepted through the window.")
    decided: int = strawberry.field(description="Of the window's cases, decided in the period.")
    on_time: int = strawberry.field(description="Of those, decided on time.")
    yellow_cards: int
    red_cards: int
    ratings: int
    bad_ratings: int


@strawberry.type(description="One department's figures for a period (部门绩效).")
class DepartmentPerformance:
    tenant_code: str = strawberry.field(description="The handling tenant's division code.")
    department_name: str = strawberry.field(description="实施主体 — as the item's implementation "
                                            "names it.")
    accepted: int = strawberry.field(description="Its cases accepted in the period.")
    decided: int = strawberry.field(description="Its cases decided in the period.")
    on_time: int = strawberry.field(description="Of those, decided on time.")
    yellow_cards: int
    red_cards: int
    ratings: int
    bad_ratings: int


@strawberry.type
class AnalysisQuery:
    @strawberry.field(description="决策分析: cases received and completed, cards by colour, "
                                  "complaints and satisfaction of a tenant in your subtree "
                                  "(default: the acting tenant) by week or month (needs "
                                  "alert:read).")
    async def supervision_trends(self, info: Info, from_: _From, to: date,
                                 period: TrendPeriod = TrendPeriod.WEEK,
                                 under: str | None = None) -> SupervisionTrends:
        ctx = info.context
        t = await analysis.trends(ctx.session, ctx.principal, under, period.value, from_, to)
        return SupervisionTrends(tenant=Tenant.from_row(t.tenant), period=period,
                                 buckets=[SupervisionTrendBucket.from_bucket(b) for b in t.buckets])

    @strawberry.field(description="绩效: each member of staff's cases accepted and decided, on "
                                  "time, cards and ratings in a tenant of your subtree for a "
                                  "period (needs alert:read).")
    async def supervision_performance(self, info: Info, from_: _From, to: date,
                                      under: str | None = None) -> list[ClerkPerformance]:
        ctx = info.context
        p = await analysis.performance(ctx.session, ctx.principal, under, from_, to)
        return [ClerkPerformance(clerk=f.clerk, accepted=f.accepted, decided=f.decided,
                                 on_time=f.on_time, yellow_cards=f.yellow_cards,
                                 red_cards=f.red_cards, ratings=f.ratings,
                                 bad_ratings=f.bad_ratings) for f in p.clerks]

    @strawberry.field(description="每日定时汇总: the kept daily figures of each tenant of a "
                                  "subtree of yours (default: the acting tenant) between two "
                                  "days, by day then tenant (needs alert:read).")
    async def supervision_daily_summaries(self, info: Info, from_: _From, to: date,
                                          under: str | None = None
                                          ) -> list[SupervisionDailySummary]:
        ctx = info.context
        rows = await summary.list_summaries(ctx.session, ctx.principal, under, from_, to)
        return [SupervisionDailySummary.from_row(r) for r in rows]

    @strawberry.field(description="窗口绩效: each window's cases accepted and decided, on time, "
                                  "cards and ratings in a tenant of your subtree for a period "
                                  "(needs alert:read).")
    async def supervision_window_performance(self, info: Info, from_: _From, to: date,
                                             under: str | None = None) -> list[WindowPerformance]:
        ctx = info.context
        rows = await analysis.window_performance(ctx.session, ctx.principal, under, from_, to)
        return [WindowPerformance(window_id=strawberry.ID(str(f.window.id)),
                                  window_number=f.window.number, window_name=f.window.name,
                                  tenant_code=f.tenant_code, accepted=f.accepted,
                                  decided=f.decided, on_time=f.on_time,
                                  yellow_cards=f.yellow_cards, red_cards=f.red_cards,
                                  ratings=f.ratings, bad_ratings=f.bad_ratings) for f in rows]

    @strawberry.field(description="部门绩效: each department's cases accepted and decided, on "
                                  "time, cards and ratings in a tenant of your subtree for a "
                                  "period (needs alert:read).")
    async def supervision_department_performance(self, info: Info, from_: _From, to: date,
                                                 under: str | None = None
                                                 ) -> list[DepartmentPerformance]:
        ctx = info.context
        rows = await analysis.department_performance(ctx.session, ctx.principal, under, from_, to)
        return [DepartmentPerformance(tenant_code=f.tenant_code,
                                      department_name=f.department_name, accepted=f.accepted,
                                      decided=f.decided, on_time=f.on_time,
                                      yellow_cards=f.yellow_cards, red_cards=f.red_cards,
                                      ratings=f.ratings, bad_ratings=f.bad_ratings)
                for f in rows]
