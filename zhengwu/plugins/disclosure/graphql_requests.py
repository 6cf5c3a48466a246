"""GraphQL of requests for disclosure (依申请公开): the scoped list, one request with its
history, consultations and deadline (with its derivation), and one mutation per step.

Thin by rule: each resolver parses its input, calls ONE service of ``requests`` and maps the
result or the typed error (``_mutate``). Personal data is never decrypted here: the
requester's ID number and phone come from their masked columns, a natural person's name is
masked on the way out. A page's history and consultations load through per-request
DataLoaders (one statement each for the whole page).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from zhengwu.core.calendar.service import Deadline
from zhengwu.core.errors import NotFound
from zhengwu.core.pii import mask_name
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.calendar import WorkingDeadline
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.pagination import Connection as RelayConnection
from zhengwu.graphql.pagination import Edge, PageInfo, decode_cursor, encode_cursor, page_size
from zhengwu.graphql.types import Info
from zhengwu.plugins.disclosure import replies
from zhengwu.plugins.disclosure import requests as service
from zhengwu.plugins.disclosure.models import Consultation as ConsultationRow
from zhengwu.plugins.disclosure.models import DisclosureRequest as RequestRow
from zhengwu.plugins.disclosure.models import RequestHistory as HistoryRow

__all__ = ["DisclosureRequest", "RequestMutation", "RequestQuery"]


# ------------------------------------------------------------------------------ enums

@strawberry.enum(description="依申请公开的办理状态。")
class DisclosureRequestStatus(Enum):
    REGISTERED = strawberry.enum_value("registered", description="办理中（计时）")
    AWAITING_CORRECTION = strawberry.enum_value(
        "awaiting_correction", description="待补正（不计时；补正后重新计算）")
    CONSULTING = strawberry.enum_value("consulting", description="征求意见中（不计时）")
    REPLIED = strawberry.enum_value("replied", description="已答复")
    WITHDRAWN = strawberry.enum_value("withdrawn", description="已撤回（按“其他处理—其他”计）")


@strawberry.enum(description="申请渠道（条例第31条决定收到申请之日）。")
class DisclosureChannel(Enum):
    IN_PERSON = strawberry.enum_value("in_person", description="当面提交：提交之日")
    REGISTERED_MAIL = strawberry.enum_value("registered_mail", description="挂号信：签收之日")
    LETTER = strawberry.enum_value("letter", description="平常信函：与申请人确认之日")
    ONLINE = strawberry.enum_value("online", description="互联网：双方确认之日")
    FAX = strawberry.enum_value("fax", description="传真：双方确认之日")


@strawberry.enum(description="申请人类型（年度报告第三部分的六栏）。")
class DisclosureRequesterKind(Enum):
    NATURAL_PERSON = strawberry.enum_value("natural_person", description="自然人")
    COMMERCIAL = strawberry.enum_value("commercial", description="法人或其他组织—商业企业")
    RESEARCH = strawberry.enum_value("research", description="法人或其他组织—科研机构")
    PUBLIC_INTEREST = strawberry.enum_value("public_interest", description="法人或其他组织—社会公益组织")
    LEGAL_SERVICE = strawberry.enum_value("legal_service", description="法人或其他组织—法律服务机构")
    OTHER = strawberry.enum_value("other", description="法人或其他组织—其他")


@strawberry.enum(description="答复类型（条例第36–39条；年度报告第三部分的结果块（一）–（六））。")
class DisclosureReplyType(Enum):
    DISCLOSED = strawberry.enum_value("disclosed", description="予以公开")
    PARTLY_DISCLOSED = strawberry.enum_value("partly_disclosed", description="部分公开（须载明理由）")
    NOT_DISCLOSED = strawberry.enum_value("not_disclosed", description="不予公开（须载明法定理由）")
    CANNOT_PROVIDE = strawberry.enum_value("cannot_provide", description="无法提供")
    NOT_PROCESSED = strawberry.enum_value("not_processed", description="不予处理")
    OTHER = strawberry.enum_value("other", description="其他处理")


assert {str(t.value) for t in DisclosureReplyType} == set(replies.REPLY_TYPES)


@strawberry.enum(description="征求意见的对象。")
class DisclosureConsultationKind(Enum):
    THIRD_PARTY = strawberry.enum_value("third_party", description="第三方（条例第32条）")
    CO_PRODUCER = strawberry.enum_value("co_producer", description="共同制作机关（条例第34条）")


@strawberry.enum(description="被征求意见方的答复。")
class DisclosureConsultationOutcome(Enum):
    CONSENT = strawberry.enum_value("consent", description="同意公开")
    OBJECTION = strawberry.enum_value(
        "objection", description="不同意公开（须有理由；第三方合理理由→不予公开，除非公共利益）")
    SILENCE = strawberry.enum_value(
        "silence", description="逾期未答复（限期届满后记录；第三方：机关决定；共同制作机关：视为同意）")


# ------------------------------------------------------------------------------ loaders

class _Loaders:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session, self.principal = session, principal
        self.history: DataLoader[uuid.UUID, list[HistoryRow]] = self._children(HistoryRow)
        self.consultations: DataLoader[uuid.UUID, list[ConsultationRow]] = self._children(
            ConsultationRow)

    def _children(self, model: Any) -> Any:
        async def load(ids: Sequence[uuid.UUID]) -> list[list[Any]]:
            found = await service.children_of(self.session, self.principal, model, ids)
            return [found[i] for i in ids]

        return DataLoader(load)


def _loaders(info: Info) -> _Loaders:
    return info.context.loaders.plugin(_Loaders, info.context.principal)


# ------------------------------------------------------------------------------ types

@strawberry.type(description="征求意见（条例第32、34条）：15个工作日；发出之日至答复之日（沉默：至期限届满）不计入答复期限。")
class DisclosureConsultation:
    id: strawberry.ID
    kind: DisclosureConsultationKind
    party_name: str
    sent_on: date
    due_on: date = strawberry.field(description="答复期限（发出后第15个工作日）")
    answered_on: date | None
    outcome: DisclosureConsultationOutcome | None
    note: str | None

    @classmethod
    def from_row(cls, r: ConsultationRow) -> DisclosureConsultation:
        return cls(id=strawberry.ID(str(r.id)), kind=DisclosureConsultationKind(r.kind),
                   party_name=r.party_name, sent_on=r.sent_on, due_on=r.due_on,
                   answered_on=r.answered_on,
                   outcome=DisclosureConsultationOutcome(r.outcome) if r.outcome else None,
                   note=r.note)


@strawberry.type(description="办理记录：每一步的操作人与时间。")
class DisclosureRequestHistoryEntry:
    at: datetime
    actor: str | None
    action: str = strawberry.field(
        description="register, correction_notice, correction, consultation_open, "
                    "consultation_answer, extend, fee_notice, fee_paid, reply, withdraw")
    from_status: DisclosureRequestStatus | None
    to_status: DisclosureRequestStatus
    detail: JSON


@strawberry.type(description="不计入答复期限的期间（两端均含）。")
class DisclosureClockSpan:
    kind: str = strawberry.field(description="consultation（征求意见）| fee（收费通知至缴费）")
    start: date
    end: date
    note: str


@strawberry.type(description="依申请公开：一件政府信息公开申请及其法定时限。")
class DisclosureRequest(relay.Node):
    id: relay.NodeID[str]
    request_no: str = strawberry.field(description="申请编号：<区划代码>-GK-<年>-<5位序号>")
    status: DisclosureRequestStatus
    channel: DisclosureChannel
    requester_kind: DisclosureRequesterKind
    requester_name: str = strawberry.field(description="自然人姓名脱敏（张*）；组织名称原样")
    requester_id: str | None = strawberry.field(description="身份证号或统一社会信用代码（脱敏）")
    phone: str | None = strawberry.field(description="联系电话（脱敏）")
    description: str
    purpose: str | None
    received_on: date = strawberry.field(description="收到申请之日（条例第31条）")
    clock_start: date = strawberry.field(description="计时起点：收到之日，或补正后收到之日")
    due_on: date = strawberry.field(description="答复期限（见 deadline 的推算）")
    overdue: bool = strawberry.field(description="计时中且已过答复期限")
    correction_notice_on: date | None
    correction_items: list[str]
    correction_deadline: date | None = strawberry.field(description="申请人补正期限")
    corrected_on: date | None
    extended_days: int
    extension_reason: str | None
    extension_approved_on: date | None
    fee_cents: int | None = strawberry.field(description="信息处理费（分）")
    fee_notice_on: date | None
    fee_paid_on: date | None
    reply_type: DisclosureReplyType | None
    reply_reason: str | None = strawberry.field(description="理由代码（见 disclosureReplyReasons）")
    reply_text: str | None
    replied_on: date | None
    replied_on_time: bool | None
    row: strawberry.Private[RequestRow]

    @classmethod
    def from_row(cls, r: RequestRow, today: date) -> DisclosureRequest:
        person = r.requester_kind == "natural_person"
        return cls(
            id=str(r.id), request_no=r.request_no, status=DisclosureRequestStatus(r.status),
            channel=DisclosureChannel(r.channel),
            requester_kind=DisclosureRequesterKind(r.requester_kind),
            requester_name=mask_name(r.requester_name) if person else r.requester_name,
            requester_id=r.requester_id_masked, phone=r.phone_masked, description=r.description,
            purpose=r.purpose, received_on=r.received_on, clock_start=r.clock_start,
            due_on=r.due_on, overdue=r.status in service.RUNNING and r.due_on < today,
            correction_notice_on=r.correction_notice_on,
            correction_items=(r.correction_items or "").splitlines(),
            correction_deadline=r.correction_deadline, corrected_on=r.corrected_on,
            extended_days=r.extended_days, extension_reason=r.extension_reason,
            extension_approved_on=r.extension_approved_on, fee_cents=r.fee_cents,
            fee_notice_on=r.fee_notice_on, fee_paid_on=r.fee_paid_on,
            reply_type=DisclosureReplyType(r.reply_type) if r.reply_type else None,
            reply_reason=r.reply_reason, reply_text=r.reply_text, replied_on=r.replied_on,
            replied_on_time=r.replied_on_time, row=r)

    @strawberry.field(description="答复期限及其推算：起点、工作日数（含延期）、跳过的节假日与周末、暂停计时的日子。")
    def deadline(self) -> WorkingDeadline:
        return WorkingDeadline.from_deadline(Deadline.from_dict(self.row.due_derivation))

    @strawberry.field(description="不计入答复期限的期间（征求意见、收费通知至缴费）。")
    def excluded_spans(self) -> list[DisclosureClockSpan]:
        basis = (self.row.due_derivation or {}).get("basis", {})
        return [DisclosureClockSpan(kind=s["kind"], start=date.fromisoformat(s["from"]),
                                    end=date.fromisoformat(s["to"]), note=s.get("note", ""))
                for s in basis.get("spans", [])]

    @strawberry.field(description="征求意见，按发出日期。")
    async def consultations(self, info: Info) -> list[DisclosureConsultation]:
        rows = await _loaders(info).consultations.load(self.row.id)
        return [DisclosureConsultation.from_row(r) for r in rows]

    @strawberry.field(description="办理记录，最早的在前。")
    async def history(self, info: Info) -> list[DisclosureRequestHistoryEntry]:
        rows = await _loaders(info).history.load(self.row.id)
        return [DisclosureRequestHistoryEntry(
            at=h.at, actor=(h.detail or {}).get("actor"), action=h.action,
            from_status=DisclosureRequestStatus(h.from_status) if h.from_status else None,
            to_status=DisclosureRequestStatus(h.to_status),
            detail=h.detail or {}) for h in rows]  # type: ignore[arg-type]


def _today() -> date:
    from zhengwu.core import clock

    return clock.today_shanghai()


def _node(row: RequestRow | None) -> DisclosureRequest | None:
    return DisclosureRequest.from_row(row, _today()) if row is not None else None


def _key(value: str) -> uuid.UUID | str:
    """A request's global ID, its plain UUID or its number."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        pass
    try:
        gid = relay.GlobalID.from_id(str(value))
        if gid.type_name == "DisclosureRequest":
            return uuid.UUID(gid.node_id)
    except Exception:  # not a global ID: maybe a request number
        pass
    if "-GK-" in str(value):
        return str(value)
    raise NotFound("disclosure_request", value)


# ------------------------------------------------------------------------------ queries

@strawberry.input(description="申请列表的筛选（均可选，条件为“且”）。")
class DisclosureRequestFilter:
    status: list[DisclosureRequestStatus] | None = None
    year: int | None = strawberry.field(default=None, description="收到申请的年份")
    open: bool | None = strawberry.field(default=None, description="true：未答复；false：已答复或撤回")
    overdue: bool | None = strawberry.field(default=None, description="true：计时中且已过答复期限")
    requester_kind: DisclosureRequesterKind | None = None

    def to_filter(self) -> service.RequestFilter:
        return service.RequestFilter(
            status=tuple(str(s.value) for s in self.status or ()), year=self.year, open=self.open,
            overdue=self.overdue,
            requester_kind=str(self.requester_kind.value) if self.requester_kind else None)


@strawberry.type
class RequestQuery:
    @strawberry.field(description="本级及下级的政府信息公开申请，最新收到的在前"
                                  "（需 disclosure_request:read）。")
    async def disclosure_requests(self, info: Info, first: int | None = None,
                                  after: str | None = None,
                                  filter: DisclosureRequestFilter | None = None
                                  ) -> RelayConnection[DisclosureRequest]:
        ctx = info.context
        size = page_size(first)
        page = await service.list_requests(ctx.session, ctx.principal,
                                           filter.to_filter() if filter else None, size,
                                           decode_cursor(after))
        today = _today()
        edges = [Edge(cursor=encode_cursor(service.page_key(r)),
                      node=DisclosureRequest.from_row(r, today)) for r in page.rows]
        return RelayConnection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="一件申请（ID、全局 ID 或申请编号；不存在与无权查看答复相同）。")
    async def disclosure_request(self, info: Info, id: strawberry.ID) -> DisclosureRequest:
        ctx = info.context
        row = await service.get_request(ctx.session, ctx.principal, _key(id))
        return DisclosureRequest.from_row(row, _today())


# ------------------------------------------------------------------------------ inputs

@strawberry.input(description="登记一件政府信息公开申请（任何渠道）。")
class RegisterDisclosureRequestInput:
    channel: DisclosureChannel
    requester_kind: DisclosureRequesterKind
    requester_name: str
    description: str = strawberry.field(description="所需政府信息的名称、文号或便于查询的其他特征")
    tenant_code: str | None = strawberry.field(default=None, description="受理机关（默认：当前租户）")
    requester_id: str | None = strawberry.field(
        default=None, description="身份证号（自然人）或统一社会信用代码；加密存储，只显示脱敏值")
    phone: str | None = None
    purpose: str | None = None
    submitted_on: date | None = strawberry.field(default=None, description="提交或寄出之日（默认今天）")
    signed_on: date | None = strawberry.field(default=None, description="挂号信：签收之日")
    confirmed_on: date | None = strawberry.field(default=None, description="平信、互联网、传真：确认之日")


@strawberry.input(description="一次性告知补正（收到申请之日起7个工作日内，仅一次）。")
class SendCorrectionNoticeInput:
    id: strawberry.ID
    items: list[str] = strawberry.field(description="需补正的全部内容")
    respond_by: date | None = strawberry.field(
        default=None, description="申请人补正期限（默认：告知后15个工作日）")


@strawberry.input(description="收到补正后的申请：答复期限自该日重新计算。")
class RecordCorrectionInput:
    id: strawberry.ID
    corrected_on: date | None = strawberry.field(default=None, description="收到之日（默认今天）")


@strawberry.input(description="书面征求第三方或共同制作机关意见：计时暂停。")
class OpenConsultationInput:
    id: strawberry.ID = strawberry.field(description="申请的 ID")
    kind: DisclosureConsultationKind
    party_name: str
    sent_on: date | None = strawberry.field(default=None, description="发出之日（默认今天）")


@strawberry.input(description="记录被征求意见方的答复（沉默：期限届满后）。")
class AnswerConsultationInput:
    id: strawberry.ID = strawberry.field(description="征求意见的 ID")
    outcome: DisclosureConsultationOutcome
    answered_on: date | None = None
    note: str | None = strawberry.field(default=None, description="理由（不同意公开时必填）")


@strawberry.input(description="延长答复期限：一次，至多20个工作日，经政府信息公开工作机构负责人同意。")
class ExtendDisclosureRequestInput:
    id: strawberry.ID
    days: int
    reason: str


@strawberry.input(description="发出收费通知（国办函〔2020〕109号，按件计收；金额按申请人本月第几件计算）。")
class SetDisclosureFeeInput:
    id: strawberry.ID


@strawberry.input(description="登记申请人缴费。")
class RecordFeePaidInput:
    id: strawberry.ID
    paid_on: date | None = None


@strawberry.input(description="答复：类型与理由须符合申请的状态；不予公开、部分公开须载明法定理由。")
class ReplyDisclosureRequestInput:
    id: strawberry.ID
    type: DisclosureReplyType
    reason: str | None = strawberry.field(default=None, description="理由代码（见 disclosureReplyReasons）")
    text: str = strawberry.field(description="答复内容")
    public_interest: bool = strawberry.field(
        default=False, description="第三方不同意公开，但不公开会对公共利益造成重大影响（条例第32条）")


@strawberry.input(description="申请人撤回申请（按“其他处理—其他”办结）。")
class WithdrawDisclosureRequestInput:
    id: strawberry.ID
    note: str


@strawberry.type
class DisclosureRequestPayload:
    request: DisclosureRequest | None = strawberry.field(description="变更后的申请（出错时为 null）")
    errors: list[UserError]


@strawberry.type
class DisclosureConsultationPayload:
    consultation: DisclosureConsultation | None
    request: DisclosureRequest | None
    errors: list[UserError]


def _payload(row: RequestRow | None, errors: list[UserError]) -> DisclosureRequestPayload:
    return DisclosureRequestPayload(request=_node(row), errors=errors)


# ------------------------------------------------------------------------------ mutations

@strawberry.type
class RequestMutation:
    @strawberry.mutation(description="登记政府信息公开申请（需 disclosure_request:register）。")
    async def register_disclosure_request(self, info: Info, input: RegisterDisclosureRequestInput
                                          ) -> DisclosureRequestPayload:
        new = service.NewRequest(
            channel=str(input.channel.value), requester_kind=str(input.requester_kind.value),
            requester_name=input.requester_name, description=input.description,
            tenant_code=input.tenant_code, requester_id=input.requester_id, phone=input.phone,
            purpose=input.purpose, submitted_on=input.submitted_on, signed_on=input.signed_on,
            confirmed_on=input.confirmed_on)
        row, errors = await _mutate(info, lambda s, p: service.register_request(s, p, new))
        return _payload(row, errors)

    @strawberry.mutation(description="一次性告知补正（需 disclosure_request:handle）。")
    async def send_correction_notice(self, info: Info, input: SendCorrectionNoticeInput
                                     ) -> DisclosureRequestPayload:
        row, errors = await _mutate(info, lambda s, p: service.send_correction_notice(
            s, p, _key(input.id), input.items, input.respond_by))
        return _payload(row, errors)

    @strawberry.mutation(description="登记补正后的申请：重新计时。")
    async def record_correction(self, info: Info, input: RecordCorrectionInput
                                ) -> DisclosureRequestPayload:
        row, errors = await _mutate(info, lambda s, p: service.record_correction(
            s, p, _key(input.id), input.corrected_on))
        return _payload(row, errors)

    @strawberry.mutation(description="征求第三方或共同制作机关意见：计时暂停。")
    async def open_consultation(self, info: Info, input: OpenConsultationInput
                                ) -> DisclosureConsultationPayload:
        async def work(s: AsyncSession, p: Principal) -> tuple[ConsultationRow, RequestRow]:
            c = await service.open_consultation(s, p, _key(input.id), str(input.kind.value),
                                                input.party_name, input.sent_on)
            return c, await service.get_request(s, p, c.request_id)

        found, errors = await _mutate(info, work)
        return DisclosureConsultationPayload(
            consultation=DisclosureConsultation.from_row(found[0]) if found else None,
            request=_node(found[1]) if found else None, errors=errors)

    @strawberry.mutation(description="记录征求意见的答复（同意、不同意、逾期未答复）。")
    async def answer_consultation(self, info: Info, input: AnswerConsultationInput
                                  ) -> DisclosureConsultationPayload:
        async def work(s: AsyncSession, p: Principal) -> tuple[ConsultationRow, RequestRow]:
            c = await service.answer_consultation(s, p, str(input.id), str(input.outcome.value),
                                                  input.answered_on, input.note)
            return c, await service.get_request(s, p, c.request_id)

        found, errors = await _mutate(info, work)
        return DisclosureConsultationPayload(
            consultation=DisclosureConsultation.from_row(found[0]) if found else None,
            request=_node(found[1]) if found else None, errors=errors)

    @strawberry.mutation(description="延长答复期限（需 disclosure_request:extend：公开工作机构负责人）。")
    async def extend_disclosure_request(self, info: Info, input: ExtendDisclosureRequestInput
                                        ) -> DisclosureRequestPayload:
        row, errors = await _mutate(info, lambda s, p: service.extend_request(
            s, p, _key(input.id), input.days, input.reason))
        return _payload(row, errors)

    @strawberry.mutation(description="发出收费通知（信息处理费）。")
    async def set_disclosure_fee(self, info: Info, input: SetDisclosureFeeInput
                                 ) -> DisclosureRequestPayload:
        row, errors = await _mutate(info, lambda s, p: service.set_fee(s, p, _key(input.id)))
        return _payload(row, errors)

    @strawberry.mutation(description="登记缴费：计时恢复。")
    async def record_fee_paid(self, info: Info, input: RecordFeePaidInput
                              ) -> DisclosureRequestPayload:
        row, errors = await _mutate(info, lambda s, p: service.record_fee_paid(
            s, p, _key(input.id), input.paid_on))
        return _payload(row, errors)

    @strawberry.mutation(description="答复申请（类型与理由须符合申请状态）。")
    async def reply_disclosure_request(self, info: Info, input: ReplyDisclosureRequestInput
                                       ) -> DisclosureRequestPayload:
        reply = service.Reply(type=str(input.type.value), reason=input.reason, text=input.text,
                              public_interest=input.public_interest)
        row, errors = await _mutate(info, lambda s, p: service.reply_request(
            s, p, _key(input.id), reply))
        return _payload(row, errors)

    @strawberry.mutation(description="申请人撤回申请。")
    async def withdraw_disclosure_request(self, info: Info, input: WithdrawDisclosureRequestInput
                                          ) -> DisclosureRequestPayload:
        row, errors = await _mutate(info, lambda s, p: service.withdraw_request(
            s, p, _key(input.id), input.note))
        return _payload(row, errors)
