"""GraphQL of intake statistics: ``caseStatistics``, ``caseStatisticsByTenant``, ``caseFeeTotals``.

``StatsQuery`` holds the fields; the plugin's ``Query`` merges it (the schema assembly adds the
``plugin.not_enabled`` guard to every field). Resolvers translate only: the figures, their
definitions and the access rules live in ``stats``. Rates are fractions 0–1, ``null`` when
their denominator is 0; money is in yuan (``Float``: a province's year of fees overflows a
32-bit ``Int`` of cents).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from zhengwu.core.plugin_api import Period
from zhengwu.graphql.types import Info
from zhengwu.plugins.intake import stats
from zhengwu.plugins.intake.inputs import CHANNELS

__all__ = [
    "CaseChannelCount",
    "CaseDayFeeTotal",
    "CaseFeeTotalsType",
    "CaseStatisticsType",
    "CaseVenueFeeTotal",
    "CaseWindowFeeTotal",
    "StatsQuery",
]

From = Annotated[date, strawberry.argument(name="from", description="First day (Asia/Shanghai), included.")]
To = Annotated[date, strawberry.argument(description="Last day (Asia/Shanghai), included.")]
TenantCode = Annotated[str | None, strawberry.argument(
    description="A tenant in the acting tenant's subtree (区划代码); default: the acting tenant.")]


@strawberry.type(description="Cases received in the period through one channel (渠道).")
class CaseChannelCount:
    channel: str = strawberry.field(description="window | online | agent | kiosk")
    name: str = strawberry.field(description="窗口 | 网上 | 代办点 | 自助终端")
    received: int


@strawberry.type(name="CaseStatistics",
                 description="办件统计 — the figures of a subtree (by accepting tenant) for a period. "
                             "Parallel-approval parents are not counted, their sub-cases are. "
                             "Rates are fractions 0–1, null when the denominator is 0.")
class CaseStatisticsType:
    tenant_code: str
    tenant_name: str
    own_only: bool = strawberry.field(
        description="True for the row of the cases accepted at the tenant itself (本级) in "
                    "`caseStatisticsByTenant`; false for a whole subtree.")
    from_: date = strawberry.field(name="from")
    to: date
    received: int = strawberry.field(description="收件: submitted in the period.")
    accepted: int = strawberry.field(description="受理: accepted in the period.")
    not_accepted: int = strawberry.field(description="不予受理: refused acceptance in the period.")
    completed: int = strawberry.field(description="办结: decided (approved or denied) in the period.")
    accepted_completed: int = strawberry.field(
        description="Accepted in the period and decided by its end (the completion rate's "
                    "numerator).")
    completion_rate: float | None = strawberry.field(
        description="办结率 = acceptedCompleted / accepted.")
    on_time: int = strawberry.field(description="Decided in the period on or before the due date.")
    on_time_rate: float | None = strawberry.field(description="按时办结率 = onTime / completed.")
    on_the_spot: int = strawberry.field(description="Decided in the period the day they were accepted.")
    on_the_spot_rate: float | None = strawberry.field(
        description="现场办结率 = onTheSpot / completed.")
    instant_accepted: int = strawberry.field(description="即办件 accepted in the period.")
    instant_completed: int = strawberry.field(
        description="即办件 accepted in the period and decided by its end.")
    instant_completion_rate: float | None = strawberry.field(
        description="即办件办结率 = instantCompleted / instantAccepted.")
    promised_accepted: int = strawberry.field(description="承诺件 accepted in the period.")
    promised_completed: int = strawberry.field(
        description="承诺件 accepted in the period and decided by its end.")
    promised_completion_rate: float | None = strawberry.field(
        description="承诺件办结率 = promisedCompleted / promisedAccepted.")
    average_handling_days: float | None = strawberry.field(
        description="平均办理时长: mean working days from acceptance to decision (pauses "
                    "excluded) of the cases decided in the period.")
    channels: list[CaseChannelCount] = strawberry.field(
        description="Cases received in the period per channel.")
    fees: float = strawberry.field(description="收费: fees charged in the period, in yuan.")

    @classmethod
    def from_statistics(cls, s: stats.CaseStatistics) -> CaseStatisticsType:
        return cls(
            tenant_code=s.tenant_code, tenant_name=s.tenant_name, own_only=not s.subtree,
            from_=s.period.start, to=s.period.end, received=s.received, accepted=s.accepted,
            not_accepted=s.not_accepted, completed=s.completed,
            accepted_completed=s.accepted_completed, completion_rate=s.completion_rate,
            on_time=s.on_time, on_time_rate=s.on_time_rate, on_the_spot=s.on_the_spot,
            on_the_spot_rate=s.on_the_spot_rate, instant_accepted=s.instant_accepted,
            instant_completed=s.instant_completed,
            instant_completion_rate=s.instant_completion_rate,
            promised_accepted=s.promised_accepted, promised_completed=s.promised_completed,
            promised_completion_rate=s.promised_completion_rate,
            average_handling_days=s.average_handling_days,
            channels=[CaseChannelCount(channel=ch, name=CHANNELS[ch], received=s.channels.get(ch, 0))
                      for ch in CHANNELS],
            fees=s.fees_yuan)


@strawberry.type(description="Fees charged on one day at one window (no window: charged "
                             "without one).")
class CaseWindowFeeTotal:
    day: date
    tenant_code: str = strawberry.field(description="The accepting tenant (区划代码).")
    venue_id: strawberry.ID | None
    venue_name: str | None
    window_id: strawberry.ID | None
    window_number: str | None
    window_name: str | None
    fees: int = strawberry.field(description="Number of fees charged.")
    amount: float = strawberry.field(description="Yuan.")


@strawberry.type(description="Fees charged on one day at one venue (政务服务中心, 便民服务中心, 代办点).")
class CaseVenueFeeTotal:
    day: date
    tenant_code: str
    venue_id: strawberry.ID | None
    venue_name: str | None
    fees: int
    amount: float = strawberry.field(description="Yuan.")


@strawberry.type(description="Fees charged on one day in the subtree.")
class CaseDayFeeTotal:
    day: date
    fees: int
    amount: float = strawberry.field(description="Yuan.")


@strawberry.type(name="CaseFeeTotals", description="收费日结 — daily fee totals of a subtree.")
class CaseFeeTotalsType:
    tenant_code: str
    tenant_name: str
    from_: date = strawberry.field(name="from")
    to: date
    windows: list[CaseWindowFeeTotal]
    venues: list[CaseVenueFeeTotal]
    days: list[CaseDayFeeTotal]
    fees: int
    amount: float = strawberry.field(description="Yuan, the whole span.")

    @classmethod
    def from_totals(cls, t: stats.FeeTotals) -> CaseFeeTotalsType:
        def ident(value: object) -> strawberry.ID | None:
            return None if value is None else strawberry.ID(str(value))

        return cls(
            tenant_code=t.tenant_code, tenant_name=t.tenant_name, from_=t.day_from, to=t.day_to,
            windows=[CaseWindowFeeTotal(
                day=w.day, tenant_code=w.tenant_code, venue_id=ident(w.venue_id),
                venue_name=w.venue_name, window_id=ident(w.window_id), window_number=w.window_number,
                window_name=w.window_name, fees=w.fees, amount=w.amount_cents / 100)
                for w in t.windows],
            venues=[CaseVenueFeeTotal(day=v.day, tenant_code=v.tenant_code, venue_id=ident(v.venue_id),
                                      venue_name=v.venue_name, fees=v.fees,
                                      amount=v.amount_cents / 100) for v in t.venues],
            days=[CaseDayFeeTotal(day=d.day, fees=d.fees, amount=d.amount_cents / 100)
                  for d in t.days],
            fees=t.fees, amount=t.amount_cents / 100)


@strawberry.type
class StatsQuery:
    @strawberry.field(description="办件统计: received, accepted, completed and the rates of a "
                                  "subtree for a period (needs case_stats:read).")
    async def case_statistics(self, info: Info, tenant_code: TenantCode = None, *, from_: From,
                              to: To) -> CaseStatisticsType:
        ctx = info.context
        figures = await stats.case_statistics(ctx.session, ctx.principal, tenant_code,
                                              Period(from_, to))
        return CaseStatisticsType.from_statistics(figures)

    @strawberry.field(description="The same figures per child of a tenant (for rankings): first "
                                  "the tenant's own cases (ownOnly), then each child's subtree.")
    async def case_statistics_by_tenant(self, info: Info, tenant_code: TenantCode = None, *,
                                        from_: From, to: To) -> list[CaseStatisticsType]:
        ctx = info.context
        rows = await stats.statistics_by_tenant(ctx.session, ctx.principal, tenant_code,
                                                Period(from_, to))
        return [CaseStatisticsType.from_statistics(r) for r in rows]

    @strawberry.field(description="收费日结: fees per day per window and per venue in a subtree "
                                  "(at most 92 days; needs case_stats:read or case:fee).")
    async def case_fee_totals(self, info: Info, tenant_code: TenantCode = None, *, from_: From,
                              to: To) -> CaseFeeTotalsType:
        ctx = info.context
        totals = await stats.daily_fee_totals(ctx.session, ctx.principal, tenant_code, from_, to)
        return CaseFeeTotalsType.from_totals(totals)
