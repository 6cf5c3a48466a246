"""GraphQL of the disclosure plugin (政务公开), assembled from its parts.

Each part lives in its own module (``graphql_publications``: catalog, publications and the
review chain; ``graphql_requests``: requests for disclosure; ``graphql_report``: the annual
report and statistics) and contributes a Query (and Mutation) mixin; this module only joins
them. Thin by rule: a resolver parses its input, calls ONE service and maps the result or the
typed error (``zhengwu.graphql.core_mutation._mutate``).

Tiers: province, city, county and township (every government that discloses). Fields answer
``plugin.not_enabled`` where the plugin is off (the schema assembly guards each one).
"""

from __future__ import annotations

import strawberry

from zhengwu.core.plugin_api import GraphQLContribution
from zhengwu.plugins.disclosure import replies
from zhengwu.plugins.disclosure.graphql_publications import PublicationMutation, PublicationQuery
from zhengwu.plugins.disclosure.graphql_report import ReportMutation, ReportQuery
from zhengwu.plugins.disclosure.graphql_requests import RequestMutation, RequestQuery

__all__ = ["DisclosureMutation", "DisclosureQuery", "contribution"]


@strawberry.type(description="依申请公开的答复类型与理由（条例第30、35–39、42条），及其在年度报告中计入的行。")
class DisclosureReplyReason:
    type: str = strawberry.field(description="答复类型（年度报告第三部分的结果块）")
    type_title: str = strawberry.field(description="答复类型名称，如“不予公开”")
    reason: str = strawberry.field(description="理由代码，如 state_secret")
    article: str = strawberry.field(description="所依条款，如 36(4)")
    title: str = strawberry.field(description="理由名称（年度报告的行名）")
    report_block: int = strawberry.field(
        description="年度报告第三部分“本年度办理结果”的块（1–6：（一）…（六））")
    report_line: int = strawberry.field(description="块内的行（0：块本身无细分）")


@strawberry.type
class ReplyTypeQuery:
    @strawberry.field(description="依申请公开的全部答复类型与理由（数据，不需登录以外的权限）。")
    def disclosure_reply_reasons(self) -> list[DisclosureReplyReason]:
        return [DisclosureReplyReason(
            type=r.type, type_title=replies.REPLY_TYPES[r.type].title_zh, reason=r.code,
            article=r.article, title=r.title_zh, report_block=r.row[0], report_line=r.row[1])
            for r in replies.REASONS.values()]


@strawberry.type
class DisclosureQuery(ReplyTypeQuery, PublicationQuery, ReportQuery, RequestQuery):
    pass


@strawberry.type
class DisclosureMutation(PublicationMutation, ReportMutation, RequestMutation):
    pass


def contribution(plugin: str, tier: str) -> GraphQLContribution:
    """Disclosure's part of ``tier``'s schema (province, city, county, township)."""
    return GraphQLContribution(plugin=plugin, query=DisclosureQuery, mutation=DisclosureMutation)
