"""GraphQL of 投诉 (complaints): the complaints of the acting tenant's subtree, filing a hall or
online complaint, assignment, reply, callback and closure. 12345 tickets are imported by the
CLI (``zhengwu supervision import-tickets``), not here.

Thin like ``graphql``: one service per resolver, ``_mutate`` for commit/rollback and
``errors { field code message }``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from zhengwu.core.errors import NotFound
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.pagination import Connection, Edge, PageInfo, encode_cursor, page_size
from zhengwu.graphql.pagination import decode_cursor as _decode
from zhengwu.graphql.types import Info
from zhengwu.plugins.supervision import complaints, queries
from zhengwu.plugins.supervision.models import Complaint as ComplaintRow

__all__ = ["Complaint", "ComplaintMutation", "ComplaintQuery"]


@strawberry.enum(description="投诉来源.")
class ComplaintSource(Enum):
    HALL = strawberry.enum_value("hall", description="大厅")
    ONLINE = strawberry.enum_value("online", description="网上")
    HOTLINE = strawberry.enum_value("hotline", description="12345 热线工单（导入）")


@strawberry.enum(description="投诉类别.")
class ComplaintCategory(Enum):
    ATTITUDE = strawberry.enum_value("attitude", description="服务态度")
    EFFICIENCY = strawberry.enum_value("efficiency", description="办事效率")
    PROCESS = strawberry.enum_value("process", description="办事流程")
    FEES = strawberry.enum_value("fees", description="收费")
    INTEGRITY = strawberry.enum_value("integrity", description="廉政作风")
    FACILITIES = strawberry.enum_value("facilities", description="设施环境")
    OTHER = strawberry.enum_value("other", description="其他")


@strawberry.enum(description="投诉状态.")
class ComplaintStatus(Enum):
    OPEN = strawberry.enum_value("open", description="待答复")
    REPLIED = strawberry.enum_value("replied", description="已答复")
    CALLED_BACK = strawberry.enum_value("called_back", description="已回访")
    CLOSED = strawberry.enum_value("closed", description="已办结")


@strawberry.type(description="投诉 — from the hall, online or a 12345 ticket, with its deadline.")
class Complaint(relay.Node):
    id: relay.NodeID[str]
    source: ComplaintSource
    external_id: str | None = strawberry.field(description="The 12345 ticket's own id.")
    category: ComplaintCategory
    department: str | None
    case_no: str | None
    content: str
    received_on: date
    days: int = strawberry.field(description="The deadline in working days.")
    due_on: date
    status: ComplaintStatus
    filed_by: str
    reply: str | None
    replied_on: date | None
    replied_by: str | None
    callback_satisfied: bool | None
    callback_note: str | None
    called_back_by: str | None
    closed_at: datetime | None
    closed_by: str | None

    @classmethod
    def from_row(cls, r: ComplaintRow) -> Complaint:
        return cls(id=str(r.id), source=ComplaintSource(r.source), external_id=r.external_id,
                   category=ComplaintCategory(r.category), department=r.department,
                   case_no=r.case_no, content=r.content, received_on=r.received_on, days=r.days,
                   due_on=r.due_on, status=ComplaintStatus(r.status), filed_by=r.filed_by,
                   reply=r.reply, replied_on=r.replied_on, replied_by=r.replied_by,
                   callback_satisfied=r.callback_satisfied, callback_note=r.callback_note,
                   called_back_by=r.called_back_by, closed_at=r.closed_at, closed_by=r.closed_by)


def _key(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        pass
    try:
        gid = relay.GlobalID.from_id(str(value))
        if gid.type_name == "Complaint":
            return uuid.UUID(gid.node_id)
    except Exception:  # a malformed ID is simply not found
        pass
    raise NotFound("complaint", value)


@strawberry.type
class ComplaintQuery:
    @strawberry.field(description="投诉 assigned within the acting tenant's subtree (needs "
                                  "alert:read), newest first.")
    async def complaints(self, info: Info, first: int | None = None, after: str | None = None,
                         under: str | None = None, status: ComplaintStatus | None = None
                         ) -> Connection[Complaint]:
        ctx = info.context
        page = await queries.list_complaints(ctx.session, ctx.principal, under,
                                             status.value if status else None, page_size(first),
                                             _decode(after))
        edges = [Edge(cursor=encode_cursor(r.id.hex), node=Complaint.from_row(r))
                 for r in page.rows]
        return Connection(edges=edges, total_count=page.total, page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))


@strawberry.input(description="File a complaint made in the hall or online (needs alert:act).")
class FileComplaintInput:
    tenant_code: str
    source: ComplaintSource
    category: ComplaintCategory
    content: str
    department: str | None = None
    case_no: str | None = None


@strawberry.input(description="交办: assign to a tenant of your subtree and a department (needs "
                              "alert:supervise).")
class AssignComplaintInput:
    complaint_id: strawberry.ID
    tenant_code: str
    department: str | None = None
    category: ComplaintCategory | None = None


@strawberry.input(description="答复 (needs alert:act).")
class ReplyComplaintInput:
    complaint_id: strawberry.ID
    reply: str


@strawberry.input(description="回访 (needs alert:supervise).")
class CallbackComplaintInput:
    complaint_id: strawberry.ID
    satisfied: bool
    note: str | None = None


@strawberry.input(description="办结 after the callback (needs alert:supervise).")
class CloseComplaintInput:
    complaint_id: strawberry.ID
    note: str | None = None


@strawberry.type
class ComplaintPayload:
    complaint: Complaint | None
    errors: list[UserError]


@strawberry.type
class FileComplaintPayload(ComplaintPayload):
    pass


@strawberry.type
class AssignComplaintPayload(ComplaintPayload):
    pass


@strawberry.type
class ReplyComplaintPayload(ComplaintPayload):
    pass


@strawberry.type
class CallbackComplaintPayload(ComplaintPayload):
    pass


@strawberry.type
class CloseComplaintPayload(ComplaintPayload):
    pass


async def _complaint(info: Info, work: Any) -> tuple[Complaint | None, list[UserError]]:
    row, errors = await _mutate(info, work)
    return (Complaint.from_row(row) if row is not None else None), errors


@strawberry.type
class ComplaintMutation:
    @strawberry.mutation(description="File a hall or online complaint.")
    async def file_complaint(self, info: Info, input: FileComplaintInput) -> FileComplaintPayload:
        row, errors = await _complaint(info, lambda s, p: complaints.file_complaint(
            s, p, tenant_code=input.tenant_code, source=input.source.value,
            category=input.category.value, content=input.content, department=input.department,
            case_no=input.case_no))
        return FileComplaintPayload(complaint=row, errors=errors)

    @strawberry.mutation(description="交办 — assign a complaint to a tenant and department.")
    async def assign_complaint(self, info: Info, input: AssignComplaintInput
                               ) -> AssignComplaintPayload:
        row, errors = await _complaint(info, lambda s, p: complaints.assign_complaint(
            s, p, _key(input.complaint_id), input.tenant_code, input.department,
            input.category.value if input.category else None))
        return AssignComplaintPayload(complaint=row, errors=errors)

    @strawberry.mutation(description="答复 — answer a complaint.")
    async def reply_complaint(self, info: Info, input: ReplyComplaintInput
                              ) -> ReplyComplaintPayload:
        row, errors = await _complaint(info, lambda s, p: complaints.reply_complaint(
            s, p, _key(input.complaint_id), input.reply))
        return ReplyComplaintPayload(complaint=row, errors=errors)

    @strawberry.mutation(description="回访 — the complainant's satisfaction with the reply.")
    async def callback_complaint(self, info: Info, input: CallbackComplaintInput
                                 ) -> CallbackComplaintPayload:
        row, errors = await _complaint(info, lambda s, p: complaints.callback_complaint(
            s, p, _key(input.complaint_id), input.satisfied, input.note))
        return CallbackComplaintPayload(complaint=row, errors=errors)

    @strawberry.mutation(description="办结 — close a complaint after the callback.")
    async def close_complaint(self, info: Info, input: CloseComplaintInput
                              ) -> CloseComplaintPayload:
        row, errors = await _complaint(info, lambda s, p: complaints.close_complaint(
            s, p, _key(input.complaint_id), input.note))
        return CloseComplaintPayload(complaint=row, errors=errors)
