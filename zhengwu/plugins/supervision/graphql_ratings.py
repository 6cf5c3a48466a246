"""GraphQL of 好差评 (ratings): the ratings of the acting tenant's subtree, staff entering a
pad or SMS rating, the steps of a bad rating's rectification, appeal and its decision.

Thin like ``graphql``: one service per resolver, ``_mutate`` for commit/rollback and
``errors { field code message }``; a page's steps resolve through one DataLoader.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.dataloader import DataLoader

from zhengwu.core.errors import NotFound
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.pagination import Connection, Edge, PageInfo, encode_cursor, page_size
from zhengwu.graphql.pagination import decode_cursor as _decode
from zhengwu.graphql.types import Info
from zhengwu.plugins.supervision import item_ratings, queries, ratings
from zhengwu.plugins.supervision.models import Rating as RatingRow
from zhengwu.plugins.supervision.models import RatingStep as StepRow

__all__ = ["Rating", "RatingMutation", "RatingQuery", "ServiceRatings"]

_From = Annotated[date, strawberry.argument(name="from")]


@strawberry.enum(description="评价渠道 — where a rating came from.")
class RatingChannel(Enum):
    PAD = strawberry.enum_value("pad", description="窗口评价器")
    ONLINE = strawberry.enum_value("online", description="网上评价")
    SMS = strawberry.enum_value("sms", description="短信评价")


@strawberry.enum(description="差评整改环节 — the steps of a bad rating's rectification, in order.")
class RectificationStep(Enum):
    VERIFY = strawberry.enum_value("verify", description="核实（首次联系）")
    RECTIFY = strawberry.enum_value("rectify", description="整改")
    FEEDBACK = strawberry.enum_value("feedback", description="反馈")
    CALLBACK = strawberry.enum_value("callback", description="回访（办结整改）")


class RatingLoaders:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session, self.principal = session, principal
        self.steps: DataLoader[uuid.UUID, list[StepRow]] = DataLoader(self._steps)

    async def _steps(self, ids: Sequence[uuid.UUID]) -> list[list[StepRow]]:
        found = await queries.steps_of(self.session, self.principal, ids)
        return [found[i] for i in ids]


def _loaders(info: Info) -> RatingLoaders:
    return info.context.loaders.plugin(RatingLoaders, info.context.principal)


@strawberry.type(description="整改/申诉记录 — one recorded step of a rating, with actor and time.")
class RatingStepEntry:
    step: str = strawberry.field(description="verify, rectify, feedback, callback, appeal, "
                                             "upheld or rejected.")
    actor: str
    at: datetime
    note: str | None


@strawberry.type(description="好差评 — one rating of a case on one channel; a bad one (levels 1–2) "
                             "carries its rectification and any appeal.")
class Rating(relay.Node):
    id: relay.NodeID[str]
    case_no: str
    channel: RatingChannel
    round: int = strawberry.field(description="1 for the first rating on the channel, 2 … for a "
                                              "follow-up after a closed rectification.")
    level: int = strawberry.field(description="5 非常满意 … 1 非常不满意.")
    level_name: str
    bad: bool = strawberry.field(description="差评 (levels 1–2).")
    comment: str | None
    rated_by: str
    rated_at: datetime
    rated_on: date
    rectification: str | None = strawberry.field(
        description="The step due next (verify, rectify, feedback, callback), closed, void "
                    "(excluded on appeal), or null for a rating that is not bad.")
    contact_due: date | None = strawberry.field(description="首次联系期限 (working days).")
    close_due: date | None = strawberry.field(description="整改办结期限 (working days).")
    contacted_at: datetime | None
    closed_at: datetime | None
    appeal: str | None = strawberry.field(description="pending, upheld, rejected or null.")
    appeal_reason: str | None
    appealed_by: str | None
    appeal_decided_by: str | None
    appeal_note: str | None
    excluded: bool = strawberry.field(description="Left out of the rates (appeal upheld).")

    @classmethod
    def from_row(cls, r: RatingRow) -> Rating:
        return cls(id=str(r.id), case_no=r.case_no, channel=RatingChannel(r.channel),
                   round=r.round, level=r.level, level_name=ratings.LEVELS[r.level], bad=r.bad,
                   comment=r.comment, rated_by=r.rated_by, rated_at=r.rated_at,
                   rated_on=r.rated_on, rectification=r.rectification,
                   contact_due=r.contact_due, close_due=r.close_due,
                   contacted_at=r.contacted_at, closed_at=r.closed_at, appeal=r.appeal,
                   appeal_reason=r.appeal_reason, appealed_by=r.appealed_by,
                   appeal_decided_by=r.appeal_decided_by, appeal_note=r.appeal_note,
                   excluded=r.excluded)

    @strawberry.field(description="Recorded steps (rectification, appeal), oldest first.")
    async def steps(self, info: Info) -> list[RatingStepEntry]:
        rows = await _loaders(info).steps.load(uuid.UUID(str(self.id)))
        return [RatingStepEntry(step=r.step, actor=r.actor, at=r.at, note=r.note) for r in rows]


@strawberry.type(description="好差评 of one service item (事项) in a period: counts per level, "
                             "satisfaction, 差评 and their rectification. Ratings excluded on "
                             "appeal are left out.")
class ServiceRatings:
    basic_code: str | None = strawberry.field(
        description="The item's basic code (基本编码) as the rated cases carry it; null for "
                    "cases projected without one.")
    item_name: str | None = strawberry.field(description="The catalog's name of the item.")
    rated: int
    very_satisfied: int = strawberry.field(description="Level 5 非常满意.")
    satisfied: int = strawberry.field(description="Level 4 满意.")
    basically_satisfied: int = strawberry.field(description="Level 3 基本满意.")
    dissatisfied: int = strawberry.field(description="Level 2 不满意.")
    very_dissatisfied: int = strawberry.field(description="Level 1 非常不满意.")
    satisfaction_rate: float | None = strawberry.field(
        description="Levels 4–5 / all ratings (null without ratings).")
    bad_ratings: int = strawberry.field(description="差评 (levels 1–2).")
    rectified: int = strawberry.field(description="Bad ratings whose rectification closed (回访).")
    rectification_rate: float | None = strawberry.field(
        description="rectified / badRatings (null without bad ratings).")

    @classmethod
    def from_item(cls, i: item_ratings.ItemRatings) -> ServiceRatings:
        one, two, three, four, five = i.levels
        return cls(basic_code=i.basic_code, item_name=i.item_name, rated=i.rated,
                   very_satisfied=five, satisfied=four, basically_satisfied=three,
                   dissatisfied=two, very_dissatisfied=one,
                   satisfaction_rate=i.satisfaction_rate, bad_ratings=i.bad,
                   rectified=i.rectified, rectification_rate=i.rectification_rate)


def _key(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        pass
    try:
        gid = relay.GlobalID.from_id(str(value))
        if gid.type_name == "Rating":
            return uuid.UUID(gid.node_id)
    except Exception:  # a malformed ID is simply not found
        pass
    raise NotFound("rating", value)


@strawberry.type
class RatingQuery:
    @strawberry.field(description="好差评 of the acting tenant's subtree (needs alert:read), "
                                  "newest first.")
    async def ratings(self, info: Info, first: int | None = None, after: str | None = None,
                      under: str | None = None, bad_only: bool = False,
                      case_no: str | None = None) -> Connection[Rating]:
        ctx = info.context
        page = await queries.list_ratings(ctx.session, ctx.principal, under, bad_only, case_no,
                                          page_size(first), _decode(after))
        edges = [Edge(cursor=encode_cursor(r.id.hex), node=Rating.from_row(r)) for r in page.rows]
        return Connection(edges=edges, total_count=page.total, page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="好差评 per service item (事项) of a tenant in your subtree "
                                  "(default: the acting tenant) rated in a period: counts per "
                                  "level, satisfaction rate, bad ratings and their rectification "
                                  "rate; most rated first (needs alert:read).")
    async def ratings_by_service(self, info: Info, from_: _From, to: date,
                                 under: str | None = None) -> list[ServiceRatings]:
        ctx = info.context
        items = await item_ratings.ratings_by_item(ctx.session, ctx.principal, under, from_, to)
        return [ServiceRatings.from_item(i) for i in items]


@strawberry.input(description="Enter a rating (a pad or SMS rating entered by staff; needs "
                              "alert:act at the case).")
class RateCaseInput:
    case_no: str
    level: int = strawberry.field(description="5 非常满意 … 1 非常不满意.")
    channel: RatingChannel
    comment: str | None = None


@strawberry.input(description="Record the next step of a bad rating's rectification (needs "
                              "alert:act).")
class RecordRectificationStepInput:
    rating_id: strawberry.ID
    step: RectificationStep
    note: str


@strawberry.input(description="申诉: the handling unit appeals a bad rating as malicious (needs "
                              "alert:act).")
class AppealRatingInput:
    rating_id: strawberry.ID
    reason: str


@strawberry.input(description="复核: a supervisor decides an appeal (needs alert:supervise).")
class DecideRatingAppealInput:
    rating_id: strawberry.ID
    upheld: bool = strawberry.field(description="true: the rating is excluded from the rates.")
    note: str | None = None


@strawberry.type
class RatingPayload:
    rating: Rating | None
    errors: list[UserError]


@strawberry.type
class RateCasePayload(RatingPayload):
    pass


@strawberry.type
class RecordRectificationStepPayload(RatingPayload):
    pass


@strawberry.type
class AppealRatingPayload(RatingPayload):
    pass


@strawberry.type
class DecideRatingAppealPayload(RatingPayload):
    pass


async def _rating(info: Info, work: Any) -> tuple[Rating | None, list[UserError]]:
    row, errors = await _mutate(info, work)
    return (Rating.from_row(row) if row is not None else None), errors


@strawberry.type
class RatingMutation:
    @strawberry.mutation(description="Enter a rating of a case (one per case and channel).")
    async def rate_case(self, info: Info, input: RateCaseInput) -> RateCasePayload:
        rating, errors = await _rating(info, lambda s, p: ratings.rate_case(
            s, p, input.case_no, input.level, input.channel.value, input.comment))
        return RateCasePayload(rating=rating, errors=errors)

    @strawberry.mutation(description="核实/整改/反馈/回访 — the next step of a rectification.")
    async def record_rectification_step(self, info: Info, input: RecordRectificationStepInput
                                        ) -> RecordRectificationStepPayload:
        rating, errors = await _rating(info, lambda s, p: ratings.record_step(
            s, p, _key(input.rating_id), input.step.value, input.note))
        return RecordRectificationStepPayload(rating=rating, errors=errors)

    @strawberry.mutation(description="申诉 — appeal a bad rating as malicious.")
    async def appeal_rating(self, info: Info, input: AppealRatingInput) -> AppealRatingPayload:
        rating, errors = await _rating(info, lambda s, p: ratings.appeal_rating(
            s, p, _key(input.rating_id), input.reason))
        return AppealRatingPayload(rating=rating, errors=errors)

    @strawberry.mutation(description="复核 — decide an appeal (upheld: excluded from the rates).")
    async def decide_rating_appeal(self, info: Info, input: DecideRatingAppealInput
                                   ) -> DecideRatingAppealPayload:
        rating, errors = await _rating(info, lambda s, p: ratings.decide_appeal(
            s, p, _key(input.rating_id), input.upheld, input.note))
        return DecideRatingAppealPayload(rating=rating, errors=errors)
