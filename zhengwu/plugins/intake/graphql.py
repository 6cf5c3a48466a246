"""GraphQL of the intake plugin (受理/办件): the ``Case`` type, the scoped case list and one
mutation per lifecycle action.

Thin by rule: a resolver parses its input, calls ONE service (``service`` for the actions,
``queries`` for reading) and maps the result or the typed error (``_mutate`` commits on
success, rolls back and answers ``errors { field code message }`` on a ``DomainError``).
Every relation of a case resolves through a per-request DataLoader, so a page of cases with
its tenants, history and steps costs a constant number of statements. Personal data is
never decrypted here: the applicant's ID number and phone come from their masked columns
and a person's name is masked on the way out.

Tiers: queries on every tier the plugin serves (province and city read their subtree),
mutations on county, township and village — the tiers whose halls and agent points take
cases (see the plugin README).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from zhengwu.core.calendar.service import Deadline
from zhengwu.core.errors import Invalid, NotFound
from zhengwu.core.pii import mask_name
from zhengwu.core.plugin_api import GraphQLContribution
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.calendar import WorkingDeadline
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.pagination import (
    Connection,
    Edge,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_size,
)
from zhengwu.graphql.types import Info, Tenant
from zhengwu.plugins.intake import inputs, notices, queries, service
from zhengwu.plugins.intake.lifecycle import ACTIONS, STATES
from zhengwu.plugins.intake.models import Case as CaseRow
from zhengwu.plugins.intake.models import CaseFee as FeeRow
from zhengwu.plugins.intake.models import CaseHistory as HistoryRow
from zhengwu.plugins.intake.models import CaseMaterial as MaterialRow
from zhengwu.plugins.intake.models import CaseNotice as PrintedRow
from zhengwu.plugins.intake.models import CaseStep as StepRow
from zhengwu.plugins.intake.models import Pause as PauseRow
from zhengwu.plugins.intake.models import SupplementNotice as NoticeRow

__all__ = ["MUTATION_TIERS", "Case", "CaseMutation", "CaseQuery", "contribution"]

MUTATION_TIERS = frozenset({"county", "township", "village"})
"""Tiers whose schema has the case mutations; province and city read only."""


# ------------------------------------------------------------------------------ enums

@strawberry.enum(description="办件状态 — where a case stands in its lifecycle.")
class CaseStatus(Enum):
    SUBMITTED = strawberry.enum_value("submitted", description="已提交 (收件, not yet accepted)")
    NEEDS_SUPPLEMENT = strawberry.enum_value("needs_supplement", description="待补正")
    ACCEPTED = strawberry.enum_value("accepted", description="已受理")
    NOT_ACCEPTED = strawberry.enum_value("not_accepted", description="不予受理")
    IN_REVIEW = strawberry.enum_value("in_review", description="审查中")
    SUSPENDED = strawberry.enum_value("suspended", description="特别程序（暂停计时）")
    APPROVED = strawberry.enum_value("approved", description="准予")
    DENIED = strawberry.enum_value("denied", description="不予")
    DELIVERED = strawberry.enum_value("delivered", description="已送达（办结）")
    WITHDRAWN = strawberry.enum_value("withdrawn", description="已撤回")


@strawberry.enum(description="收件渠道 — how the application came in.")
class CaseChannel(Enum):
    WINDOW = strawberry.enum_value("window", description="窗口")
    ONLINE = strawberry.enum_value("online", description="网上")
    AGENT = strawberry.enum_value("agent", description="代办点 (a village agent point)")
    KIOSK = strawberry.enum_value("kiosk", description="自助终端")


@strawberry.enum(description="申请人类型 — a natural person or an organisation.")
class ApplicantKind(Enum):
    PERSON = strawberry.enum_value("person", description="自然人 (GB 11643 ID number)")
    ORGANISATION = strawberry.enum_value(
        "organisation", description="法人或其他组织 (统一社会信用代码)")


@strawberry.enum(description="送达方式 — how the result reaches the applicant.")
class DeliveryMethod(Enum):
    PICKUP = strawberry.enum_value("pickup", description="窗口领取")
    COURIER = strawberry.enum_value("courier", description="邮寄送达")
    ELECTRONIC = strawberry.enum_value("electronic", description="电子送达")


@strawberry.enum(description="暂停计时的原因 — a span the clock does not run (ALL art. 45; 补正).")
class PauseKind(Enum):
    HEARING = strawberry.enum_value("hearing", description="听证")
    INSPECTION = strawberry.enum_value("inspection", description="现场核查")
    TESTING = strawberry.enum_value("testing", description="检验检测")
    EXPERT_REVIEW = strawberry.enum_value("expert_review", description="专家评审")
    APPRAISAL = strawberry.enum_value("appraisal", description="鉴定")
    QUARANTINE = strawberry.enum_value("quarantine", description="检疫")
    TENDER = strawberry.enum_value("tender", description="招标")
    AUCTION = strawberry.enum_value("auction", description="拍卖")
    SUPPLEMENT = strawberry.enum_value(
        "supplement", description="补正 (after acceptance; started by requestSupplement, not by "
                                  "suspendCase)")


@strawberry.enum(description="办件类型 — decided on the spot or within a promised limit.")
class CaseType(Enum):
    INSTANT = strawberry.enum_value(1, description="即办件")
    PROMISED = strawberry.enum_value(2, description="承诺件")


@strawberry.enum(description="决定 — the outcome of a case.")
class CaseDecision(Enum):
    APPROVED = strawberry.enum_value("approved", description="准予")
    DENIED = strawberry.enum_value("denied", description="不予")


@strawberry.enum(description="文书种类 — the printed notices and decisions of a case.")
class NoticeKind(Enum):
    ACCEPTANCE = strawberry.enum_value("acceptance", description="受理通知书")
    NON_ACCEPTANCE = strawberry.enum_value("non_acceptance", description="不予受理通知书")
    SUPPLEMENT = strawberry.enum_value("supplement", description="补正材料通知书")
    APPROVAL = strawberry.enum_value("approval", description="准予（行政许可）决定书")
    DENIAL = strawberry.enum_value("denial", description="不予（行政许可）决定书")
    DELIVERY = strawberry.enum_value("delivery", description="送达回证")
    SUSPENSION = strawberry.enum_value("suspension", description="特别程序（暂停计时）告知书")
    EXTENSION = strawberry.enum_value("extension", description="延期告知书")
    WITHDRAWAL = strawberry.enum_value("withdrawal", description="撤回申请确认书")


@strawberry.enum(description="材料状态 — a material of the item's list on this case.")
class MaterialStatus(Enum):
    OK = strawberry.enum_value("ok", description="齐全")
    MISSING = strawberry.enum_value("missing", description="缺失")
    FAULTY = strawberry.enum_value("faulty", description="不符合要求")


@strawberry.enum(description="补正原因 — why a material is on a supplement notice.")
class SupplementProblem(Enum):
    MISSING = strawberry.enum_value("missing", description="缺失")
    FAULTY = strawberry.enum_value("faulty", description="不符合要求")


@strawberry.enum(description="环节状态 — a procedure step on a case.")
class StepStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="待办")
    ACTIVE = strawberry.enum_value("active", description="办理中")
    DONE = strawberry.enum_value("done", description="已完成")
    SKIPPED = strawberry.enum_value("skipped", description="未办 (closed by the decision)")


@strawberry.enum(description="办件列表的排序 — order of the case list.")
class CaseOrder(Enum):
    SUBMITTED_DESC = strawberry.enum_value("submitted_desc", description="最新收件在前")
    SUBMITTED_ASC = strawberry.enum_value("submitted_asc", description="最早收件在前")
    CASE_NO = strawberry.enum_value("case_no", description="按办件编号")


_ACTION_NAMES = {name: a.title_zh for name, a in ACTIONS.items()} | {
    "submit": "收件", "decide": "作出决定", "deadline_changed": "期限变更"}


# ------------------------------------------------------------------------------ loaders

class CaseLoaders:
    """The DataLoaders of a case's relations for one request (scoped like the cases)."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session, self.principal = session, principal
        self.history: DataLoader[uuid.UUID, list[HistoryRow]] = self._children(HistoryRow)
        self.steps: DataLoader[uuid.UUID, list[StepRow]] = self._children(StepRow)
        self.materials: DataLoader[uuid.UUID, list[MaterialRow]] = self._children(MaterialRow)
        self.pauses: DataLoader[uuid.UUID, list[PauseRow]] = self._children(PauseRow)
        self.notices: DataLoader[uuid.UUID, list[NoticeRow]] = self._children(NoticeRow)
        self.fees: DataLoader[uuid.UUID, list[FeeRow]] = self._children(FeeRow)
        self.printed: DataLoader[uuid.UUID, list[PrintedRow]] = self._children(PrintedRow)
        self.parts: DataLoader[uuid.UUID, list[CaseRow]] = DataLoader(self._parts)
        self.case: DataLoader[uuid.UUID, CaseRow | None] = DataLoader(self._cases)

    def _children(self, model: Any) -> Any:
        async def load(ids: Sequence[uuid.UUID]) -> list[list[Any]]:
            found = await queries.children_of(self.session, self.principal, model, ids)
            return [found[i] for i in ids]

        return DataLoader(load)

    async def _parts(self, ids: Sequence[uuid.UUID]) -> list[list[CaseRow]]:
        found = await queries.parts_of_many(self.session, self.principal, ids)
        return [found[i] for i in ids]

    async def _cases(self, ids: Sequence[uuid.UUID]) -> list[CaseRow | None]:
        found = await queries.cases_by_id(self.session, self.principal, ids)
        return [found.get(i) for i in ids]


def _loaders(info: Info) -> CaseLoaders:
    """This request's case loaders (kept beside the core's loaders, gone with them)."""
    return info.context.loaders.plugin(CaseLoaders, info.context.principal)


# ------------------------------------------------------------------------------ types

@strawberry.type(description="申请人 — as the API shows it: never the plain ID number or phone.")
class Applicant:
    kind: ApplicantKind
    name: str = strawberry.field(description="A person's name masked (张*); an organisation's "
                                             "name as registered.")
    id_number: str | None = strawberry.field(
        description="The ID number masked (110*************2X); never the plain number.")
    credit_code: str | None = strawberry.field(description="统一社会信用代码 (public).")
    phone: str | None = strawberry.field(description="Masked (138******78).")
    contact_name: str | None = strawberry.field(description="联系人, masked like a name.")


@strawberry.type(description="申请材料 on a case: provided or not, in what shape.")
class CaseMaterial:
    seq: int
    name: str
    required: bool
    status: MaterialStatus
    originals: int
    copies: int
    note: str | None


@strawberry.type(description="办理环节 on a case, with its own limit in working days.")
class CaseStep:
    seq: int
    name: str
    limit_days: int | None
    role: str | None
    status: StepStatus
    assignee: str | None = strawberry.field(description="Username of the assigned member of staff.")
    started_at: datetime | None
    started_on: date | None
    due_date: date | None = strawberry.field(description="The step's own due date (working days).")
    finished_at: datetime | None
    finished_on: date | None
    opinion: str | None


@strawberry.type(description="暂停计时 — a span the clock did not run (both days included).")
class CasePause:
    kind: PauseKind
    reason: str | None
    started_at: datetime
    start_day: date
    ended_at: datetime | None
    end_day: date | None = strawberry.field(
        description="The last paused day (null while open; before start_day: covered nothing).")


@strawberry.type(description="A line of a supplement notice.")
class SupplementNoticeItem:
    seq: int
    name: str
    problem: SupplementProblem
    note: str | None


@strawberry.type(description="补正材料通知书 — the ONE notice listing every missing material.")
class SupplementNotice:
    round: int
    items: list[SupplementNoticeItem]
    issued_at: datetime
    issued_on: date
    notify_by: date | None = strawberry.field(
        description="Last day to notify (ALL art. 32: within 5 working days of receipt).")
    late: bool = strawberry.field(description="Given late: acceptance counts from receipt.")
    fulfilled_at: datetime | None


@strawberry.type(description="文书 — a printed notice or decision issued on the case, kept as a "
                             "record (its rendering's SHA-256 is stored with the facts it shows).")
class CaseNotice:
    kind: NoticeKind
    title: str = strawberry.field(description="受理通知书、准予行政许可决定书 …")
    number: str = strawberry.field(
        description="文书编号 <issuing division>-<kind code>-<year>-<6 digits>, e.g. "
                    "341881-SL-2026-000001.")
    issued_at: datetime
    issued_on: date
    issued_by: str = strawberry.field(description="Username of the member of staff.")
    sha256: str = strawberry.field(description="SHA-256 of the HTML as issued.")
    url: str = strawberry.field(description="The printable page (HTML, A4; staff only).")


@strawberry.type(description="状态记录 — one transition or recorded act, with actor and time.")
class CaseHistoryEntry:
    at: datetime
    actor: str
    action: str = strawberry.field(description="submit, accept, decide, deadline_changed …")
    action_name: str = strawberry.field(description="The act in Chinese (受理、作出决定 …).")
    from_status: CaseStatus | None
    to_status: CaseStatus | None
    note: str | None
    data: JSON = strawberry.field(description="Details (step number, due dates …; no personal data).")


@strawberry.type(description="收费 — a fee charged on a case (amount in cents, 分).")
class CaseFee:
    fee_seq: int
    name: str
    amount_cents: int
    charged_at: datetime
    charged_on: date
    charged_by: str


def _status(value: str | None) -> CaseStatus | None:
    return CaseStatus(value) if value is not None else None


@strawberry.type(description="办件 — one application for an implemented item, from submission to "
                             "delivery; or a parallel approval (并联审批) whose parts each carry "
                             "their own item and clock.")
class Case(relay.Node):
    id: relay.NodeID[str]
    case_no: str = strawberry.field(description="办件编号 (the receipt number), e.g. 341881-2026-000001.")
    status: CaseStatus
    status_name: str = strawberry.field(description="The state in Chinese (已受理 …).")
    channel: CaseChannel
    is_parallel: bool = strawberry.field(description="A parallel approval's parent (see parts).")
    item_name: str = strawberry.field(description="The item's name at submission (a parallel "
                                                  "approval: its title).")
    basic_code: str | None
    implementation_code: str | None
    item_type: str | None = strawberry.field(description="事项类型 (01 行政许可 …).")
    case_type: CaseType
    department_name: str | None
    basis: str | None = strawberry.field(
        description="Why this tenant accepts it: statutory | delegated | authorised | entrusted | "
                    "agent.")
    submitted_at: datetime
    submitted_on: date
    accepted_at: datetime | None
    accepted_on: date | None
    not_accepted_on: date | None
    not_accepted_reason: str | None
    not_accepted_basis: str | None
    statutory_days: int | None = strawberry.field(description="法定办结时限 (working days).")
    promised_days: int | None = strawberry.field(description="承诺办结时限 (working days).")
    extension_days: int
    extension_reason: str | None
    due_date: date | None = strawberry.field(description="到期日 (see deadline for why).")
    due_provisional: bool = strawberry.field(
        description="The due date lies in a year without a published holiday notice.")
    tolerated_missing: list[str] = strawberry.field(
        description="容缺受理: required materials accepted as missing.")
    decision: CaseDecision | None
    decision_reason: str | None
    decided_at: datetime | None
    decided_on: date | None
    on_time: bool | None = strawberry.field(description="Decided on or before the due date.")
    handling_days: int | None = strawberry.field(
        description="Working days from acceptance to decision, pauses excluded.")
    delivered_at: datetime | None
    delivered_on: date | None
    delivery_method: DeliveryMethod | None
    delivery_note: str | None
    withdrawn_at: datetime | None
    withdraw_reason: str | None
    fees_cents: int = strawberry.field(description="Fees charged in all, in cents (分).")
    imported: bool = strawberry.field(description="Imported from another system (CSV).")
    created_by: str
    row: strawberry.Private[CaseRow]

    @classmethod
    def from_row(cls, r: CaseRow) -> Case:
        return cls(
            id=str(r.id), case_no=r.case_no, status=CaseStatus(r.status),
            status_name=STATES.get(r.status, r.status), channel=CaseChannel(r.channel),
            is_parallel=r.is_parallel, item_name=r.item_name, basic_code=r.basic_code,
            implementation_code=r.implementation_code, item_type=r.item_type,
            case_type=CaseType(r.case_type), department_name=r.department_name, basis=r.basis,
            submitted_at=r.submitted_at, submitted_on=r.submitted_on, accepted_at=r.accepted_at,
            accepted_on=r.accepted_on, not_accepted_on=r.not_accepted_on,
            not_accepted_reason=r.not_accepted_reason, not_accepted_basis=r.not_accepted_basis,
            statutory_days=r.statutory_days, promised_days=r.promised_days,
            extension_days=r.extension_days, extension_reason=r.extension_reason,
            due_date=r.due_date, due_provisional=r.due_provisional,
            tolerated_missing=list(r.tolerated_missing or ()),
            decision=CaseDecision(r.decision) if r.decision else None,
            decision_reason=r.decision_reason, decided_at=r.decided_at, decided_on=r.decided_on,
            on_time=r.on_time, handling_days=r.handling_days, delivered_at=r.delivered_at,
            delivered_on=r.delivered_on,
            delivery_method=DeliveryMethod(r.delivery_method) if r.delivery_method else None,
            delivery_note=r.delivery_note, withdrawn_at=r.withdrawn_at,
            withdraw_reason=r.withdraw_reason, fees_cents=r.fees_cents, imported=r.imported,
            created_by=r.created_by, row=r)

    @strawberry.field(description="申请人 (masked).")
    def applicant(self) -> Applicant:
        r = self.row
        person = r.applicant_kind == "person"
        return Applicant(kind=ApplicantKind(r.applicant_kind),
                         name=mask_name(r.applicant_name) if person else r.applicant_name,
                         id_number=r.applicant_id_masked, credit_code=r.applicant_code,
                         phone=r.phone_masked,
                         contact_name=mask_name(r.contact_name) if r.contact_name else None)

    @strawberry.field(description="The due date with its derivation (days skipped and why); null "
                                  "before acceptance.")
    def deadline(self) -> WorkingDeadline | None:
        if not self.row.due_derivation:
            return None
        return WorkingDeadline.from_deadline(Deadline.from_dict(self.row.due_derivation))

    @strawberry.field(description="受理单位 — the window, centre or agent point that took the case.")
    async def accepting_tenant(self, info: Info) -> Tenant:
        row = await info.context.loaders.tenant_by_id.load(self.row.tenant_id)
        return Tenant.from_row(row)

    @strawberry.field(description="办理单位 — the tenant that reviews and decides (the accepting "
                                  "tenant or one of its ancestors).")
    async def handling_tenant(self, info: Info) -> Tenant:
        row = await info.context.loaders.tenant_by_id.load(self.row.handling_tenant_id)
        return Tenant.from_row(row)

    @strawberry.field(description="Materials of the item's list on this case.")
    async def materials(self, info: Info) -> list[CaseMaterial]:
        rows = await _loaders(info).materials.load(self.row.id)
        return [CaseMaterial(seq=m.seq, name=m.name, required=m.required,
                             status=MaterialStatus(m.status), originals=m.originals,
                             copies=m.copies, note=m.note) for m in rows]

    @strawberry.field(description="Procedure steps (created on acceptance).")
    async def steps(self, info: Info) -> list[CaseStep]:
        rows = await _loaders(info).steps.load(self.row.id)
        return [CaseStep(seq=s.seq, name=s.name, limit_days=s.limit_days, role=s.role,
                         status=StepStatus(s.status), assignee=s.assignee_name,
                         started_at=s.started_at, started_on=s.started_on, due_date=s.due_date,
                         finished_at=s.finished_at, finished_on=s.finished_on,
                         opinion=s.opinion) for s in rows]

    @strawberry.field(description="Spans the clock did not run.")
    async def pauses(self, info: Info) -> list[CasePause]:
        rows = await _loaders(info).pauses.load(self.row.id)
        return [CasePause(kind=PauseKind(p.kind), reason=p.reason, started_at=p.started_at,
                          start_day=p.start_day, ended_at=p.ended_at, end_day=p.end_day)
                for p in rows]

    @strawberry.field(description="补正材料通知书, one per round.")
    async def supplement_notices(self, info: Info) -> list[SupplementNotice]:
        rows = await _loaders(info).notices.load(self.row.id)
        return [SupplementNotice(
            round=n.round, issued_at=n.issued_at, issued_on=n.issued_on, notify_by=n.notify_by,
            late=n.late, fulfilled_at=n.fulfilled_at,
            items=[SupplementNoticeItem(seq=i["seq"], name=i["name"],
                                        problem=SupplementProblem(i["problem"]),
                                        note=i.get("note")) for i in n.items])
            for n in rows]

    @strawberry.field(description="文书: the notices and decisions issued on the case, oldest "
                                  "first (受理通知书 … 送达回证).")
    async def notices(self, info: Info) -> list[CaseNotice]:
        rows = await _loaders(info).printed.load(self.row.id)
        return [CaseNotice(kind=NoticeKind(n.kind), title=notices.title_of(n.kind, n.facts),
                           number=n.number, issued_at=n.issued_at, issued_on=n.issued_on,
                           issued_by=n.issued_by, sha256=n.sha256, url=notices.notice_path(n.number))
                for n in rows]

    @strawberry.field(description="The status history, oldest first.")
    async def history(self, info: Info) -> list[CaseHistoryEntry]:
        rows = await _loaders(info).history.load(self.row.id)
        return [CaseHistoryEntry(at=h.at, actor=h.actor, action=h.action,
                                 action_name=_ACTION_NAMES.get(h.action, h.action),
                                 from_status=_status(h.from_status),
                                 to_status=_status(h.to_status), note=h.note, data=h.data or {})
                for h in rows]

    @strawberry.field(description="Fees charged, in order.")
    async def fees(self, info: Info) -> list[CaseFee]:
        rows = await _loaders(info).fees.load(self.row.id)
        return [CaseFee(fee_seq=f.fee_seq, name=f.name, amount_cents=f.amount_cents,
                        charged_at=f.charged_at, charged_on=f.charged_on, charged_by=f.charged_by)
                for f in rows]

    @strawberry.field(description="A parallel approval's sub-cases (empty for other cases).")
    async def parts(self, info: Info) -> list[Case]:
        if not self.row.is_parallel:
            return []
        return [Case.from_row(r) for r in await _loaders(info).parts.load(self.row.id)]

    @strawberry.field(description="The parallel approval this case is part of.")
    async def parent(self, info: Info) -> Case | None:
        if self.row.parent_id is None:
            return None
        row = await _loaders(info).case.load(self.row.parent_id)
        return Case.from_row(row) if row is not None else None


def _case(row: CaseRow | None) -> Case | None:
    return Case.from_row(row) if row is not None else None


def _case_key(value: str) -> uuid.UUID:
    """A case's global ID (or its plain UUID) as the key; anything else is not found."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        pass
    try:
        gid = relay.GlobalID.from_id(str(value))
        if gid.type_name == "Case":
            return uuid.UUID(gid.node_id)
    except Exception:  # a malformed ID is simply no case
        pass
    raise NotFound("case", value)


def _optional_uuid(value: str | None, field: str) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Invalid("case.bad_id", f"{field} 不是有效的 ID", f"{field} is not a valid id",
                      field=field) from exc


# ------------------------------------------------------------------------------ queries

@strawberry.input(description="Filter of the case list (all optional, AND-ed).")
class CaseFilter:
    under: str | None = strawberry.field(
        default=None, description="Division code of a tenant in your subtree: its cases only.")
    status: list[CaseStatus] | None = None
    channel: CaseChannel | None = None
    basic_code: str | None = None
    case_no: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    overdue_on: date | None = strawberry.field(
        default=None, description="Open cases whose due date is before this day.")
    handled_here: bool = strawberry.field(
        default=False, description="Only cases the acting tenant handles (reviews and decides).")
    include_parts: bool = strawberry.field(
        default=True, description="Include the sub-cases of parallel approvals.")
    applicant_id_number: str | None = strawberry.field(
        default=None, description="The applicant's full ID number: matched by keyed hash (never "
                                  "stored or shown in plain).")
    applicant_phone: str | None = strawberry.field(
        default=None, description="The applicant's full phone number: matched by keyed hash.")

    def to_filter(self) -> inputs.CaseFilter:
        return inputs.CaseFilter(
            under=self.under, status=tuple(s.value for s in self.status or ()),
            channel=self.channel.value if self.channel else None, basic_code=self.basic_code,
            case_no=self.case_no, submitted_from=self.submitted_from,
            submitted_to=self.submitted_to, overdue_on=self.overdue_on,
            handled_here=self.handled_here, include_parts=self.include_parts,
            applicant_id_number=self.applicant_id_number, applicant_phone=self.applicant_phone)


@strawberry.type
class CaseQuery:
    @strawberry.field(description="Cases of the acting tenant's subtree (needs case:read): a village "
                                  "agent point sees its point's cases, a township its centre's and "
                                  "villages', a county all of its area.")
    async def cases(self, info: Info, first: int | None = None, after: str | None = None,
                    filter: CaseFilter | None = None,
                    order: CaseOrder = CaseOrder.SUBMITTED_DESC) -> Connection[Case]:
        ctx = info.context
        size = page_size(first)
        page = await queries.list_cases(ctx.session, ctx.principal,
                                        filter.to_filter() if filter else None, size,
                                        decode_cursor(after), order.value)
        for tenant in page.tenants.values():
            ctx.loaders.tenant_by_id.prime(tenant.id, tenant)
        edges = [Edge(cursor=encode_cursor(queries.page_key(r, order.value)), node=Case.from_row(r))
                 for r in page.cases]
        return Connection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="One case by its ID (not found and not yours are one answer).")
    async def case(self, info: Info, id: strawberry.ID) -> Case:
        ctx = info.context
        key = _case_key(id)
        return Case.from_row(await queries.find_case(ctx.session, ctx.principal, key))

    @strawberry.field(description="One case by its number (办件编号).")
    async def case_by_number(self, info: Info, case_no: str) -> Case:
        ctx = info.context
        return Case.from_row(await queries.find_case(ctx.session, ctx.principal, case_no.strip()))


# ------------------------------------------------------------------------------ inputs

@strawberry.input(description="申请人. A person needs `idNumber` (GB 11643), an organisation "
                              "`creditCode` (GB 32100).")
class ApplicantInput:
    kind: ApplicantKind
    name: str
    id_number: str | None = None
    credit_code: str | None = None
    contact_name: str | None = None
    phone: str | None = None

    def to_applicant(self) -> inputs.Applicant:
        return inputs.Applicant(kind=self.kind.value, name=self.name, id_number=self.id_number,
                                credit_code=self.credit_code, contact_name=self.contact_name,
                                phone=self.phone)


@strawberry.input(description="A material of the item's list, by its sequence number.")
class SubmittedMaterialInput:
    seq: int
    status: MaterialStatus = strawberry.field(
        default=MaterialStatus.OK, description="OK or FAULTY (MISSING: leave it out).")
    originals: int = 0
    copies: int = 0
    note: str | None = None

    def to_material(self) -> inputs.SubmittedMaterial:
        return inputs.SubmittedMaterial(seq=self.seq, status=self.status.value,
                                        originals=self.originals, copies=self.copies, note=self.note)


def _materials(given: list[SubmittedMaterialInput] | None) -> tuple[inputs.SubmittedMaterial, ...]:
    return tuple(m.to_material() for m in given or ())


@strawberry.input(description="收件: an application for one item at a tenant.")
class SubmitCaseInput:
    basic_code: str = strawberry.field(description="基本编码 of the item.")
    applicant: ApplicantInput
    tenant_code: str | None = strawberry.field(
        default=None, description="The accepting tenant (default: the acting tenant).")
    channel: CaseChannel = CaseChannel.WINDOW
    materials: list[SubmittedMaterialInput] = strawberry.field(default_factory=list)
    window_id: strawberry.ID | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of your choosing: a second submission with the same key "
                                  "at the same tenant creates nothing (case.duplicate_submission).")


@strawberry.input(description="One item of a parallel approval.")
class ParallelPartInput:
    basic_code: str
    materials: list[SubmittedMaterialInput] = strawberry.field(default_factory=list)


@strawberry.input(description="并联审批: one application, several items handled in parallel.")
class SubmitParallelCaseInput:
    title: str
    parts: list[ParallelPartInput]
    applicant: ApplicantInput
    tenant_code: str | None = None
    channel: CaseChannel = CaseChannel.WINDOW
    window_id: strawberry.ID | None = None
    idempotency_key: str | None = None


@strawberry.input(description="A line of a supplement notice.")
class SupplementItemInput:
    seq: int
    problem: SupplementProblem = SupplementProblem.MISSING
    note: str | None = None


@strawberry.input(description="一次性告知补正: ONE notice listing every missing or faulty material.")
class RequestSupplementInput:
    case_id: strawberry.ID
    items: list[SupplementItemInput]
    note: str | None = None


@strawberry.input(description="The applicant brought the supplement: the clock runs again.")
class ReceiveSupplementInput:
    case_id: strawberry.ID
    materials: list[SubmittedMaterialInput]


@strawberry.input(description="受理. `tolerateMissing` is 容缺受理 (missing required materials "
                              "accepted against the applicant's commitment).")
class AcceptCaseInput:
    case_id: strawberry.ID
    tolerate_missing: bool = False
    note: str | None = None


@strawberry.input(description="不予受理, with the reason and its legal basis.")
class NotAcceptCaseInput:
    case_id: strawberry.ID
    reason: str
    legal_basis: str


@strawberry.input(description="即办件: accepted and decided on the spot.")
class CompleteInstantCaseInput:
    case_id: strawberry.ID
    decision: CaseDecision = CaseDecision.APPROVED
    reason: str | None = strawberry.field(default=None, description="Required for DENIED.")


@strawberry.input(description="Assign a step to a member of staff of the handling tenant.")
class AssignCaseStepInput:
    case_id: strawberry.ID
    seq: int
    assignee: str = strawberry.field(description="Username.")


@strawberry.input(description="Start a procedure step.")
class StartCaseStepInput:
    case_id: strawberry.ID
    seq: int


@strawberry.input(description="Finish the active step with an opinion (办理意见).")
class FinishCaseStepInput:
    case_id: strawberry.ID
    seq: int
    opinion: str


@strawberry.input(description="作出决定: 准予 or 不予 (a denial needs its reason).")
class DecideCaseInput:
    case_id: strawberry.ID
    decision: CaseDecision
    reason: str | None = None


@strawberry.input(description="送达: the result handed over.")
class DeliverCaseInput:
    case_id: strawberry.ID
    method: DeliveryMethod = DeliveryMethod.PICKUP
    note: str | None = None


@strawberry.input(description="撤回 at the applicant's request.")
class WithdrawCaseInput:
    case_id: strawberry.ID
    reason: str


@strawberry.input(description="特别程序: the clock stops (ALL art. 45).")
class SuspendCaseInput:
    case_id: strawberry.ID
    kind: PauseKind
    reason: str


@strawberry.input(description="End the special procedure: the clock runs again.")
class ResumeCaseInput:
    case_id: strawberry.ID


@strawberry.input(description="延期: once, within the statute's limit (ALL art. 42).")
class ExtendCaseInput:
    case_id: strawberry.ID
    days: int
    reason: str


@strawberry.input(description="收费: a fee of the item's list, at or below its standard.")
class ChargeCaseFeeInput:
    case_id: strawberry.ID
    fee_seq: int
    amount_cents: int = strawberry.field(description="In cents (分).")
    window_id: strawberry.ID | None = None


# ------------------------------------------------------------------------------ payloads

@strawberry.type
class CasePayload:
    case: Case | None = strawberry.field(description="The case after the change (null on error).")
    errors: list[UserError] = strawberry.field(description="Empty on success.")


@strawberry.type
class SubmitCasePayload(CasePayload):
    pass


@strawberry.type
class SubmitParallelCasePayload(CasePayload):
    pass


@strawberry.type
class RequestSupplementPayload(CasePayload):
    pass


@strawberry.type
class ReceiveSupplementPayload(CasePayload):
    pass


@strawberry.type
class AcceptCasePayload(CasePayload):
    pass


@strawberry.type
class NotAcceptCasePayload(CasePayload):
    pass


@strawberry.type
class CompleteInstantCasePayload(CasePayload):
    pass


@strawberry.type
class AssignCaseStepPayload(CasePayload):
    pass


@strawberry.type
class StartCaseStepPayload(CasePayload):
    pass


@strawberry.type
class FinishCaseStepPayload(CasePayload):
    pass


@strawberry.type
class DecideCasePayload(CasePayload):
    pass


@strawberry.type
class DeliverCasePayload(CasePayload):
    pass


@strawberry.type
class WithdrawCasePayload(CasePayload):
    pass


@strawberry.type
class SuspendCasePayload(CasePayload):
    pass


@strawberry.type
class ResumeCasePayload(CasePayload):
    pass


@strawberry.type
class ExtendCasePayload(CasePayload):
    pass


@strawberry.type
class ChargeCaseFeePayload(CasePayload):
    pass


# ------------------------------------------------------------------------------ mutations

Work = Callable[[AsyncSession, Principal], Awaitable[Any]]


async def _run(info: Info, work: Work) -> tuple[Case | None, list[UserError]]:
    """Run one service call in the request's transaction; map its case or its typed errors."""
    row, errors = await _mutate(info, work)
    return _case(row), errors


def _on_case(call: Callable[..., Awaitable[Any]], case_id: str, *args: Any, **kwargs: Any) -> Work:
    """Work that calls ``call(session, principal, case, …)`` and answers the case it changed
    (a step, notice or fee names its case; the case is already in the session)."""
    async def work(s: AsyncSession, p: Principal) -> CaseRow:
        result = await call(s, p, _case_key(case_id), *args, **kwargs)
        if isinstance(result, CaseRow):
            return result
        case = await s.get(CaseRow, result.case_id)
        assert case is not None
        return case

    return work


def _tenant_code(given: str | None, p: Principal) -> str:
    return given if given else p.acting_code


@strawberry.type
class CaseMutation:
    @strawberry.mutation(description="收件 — register an application (needs case:submit at the "
                                     "accepting tenant); every problem of the input is reported.")
    async def submit_case(self, info: Info, input: SubmitCaseInput) -> SubmitCasePayload:
        def new(p: Principal) -> inputs.NewCase:
            return inputs.NewCase(
                tenant_code=_tenant_code(input.tenant_code, p), basic_code=input.basic_code,
                applicant=input.applicant.to_applicant(), channel=input.channel.value,
                materials=_materials(input.materials),
                window_id=_optional_uuid(input.window_id, "windowId"),
                idempotency_key=input.idempotency_key)

        case, errors = await _run(info, lambda s, p: service.submit_case(s, p, new(p)))
        return SubmitCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="并联审批 — one application for several items, each a sub-case "
                                     "with its own clock.")
    async def submit_parallel_case(self, info: Info, input: SubmitParallelCaseInput
                                   ) -> SubmitParallelCasePayload:
        def new(p: Principal) -> inputs.NewParallelCase:
            return inputs.NewParallelCase(
                tenant_code=_tenant_code(input.tenant_code, p), title=input.title,
                parts=tuple(inputs.ParallelPart(basic_code=part.basic_code,
                                                materials=_materials(part.materials))
                            for part in input.parts),
                applicant=input.applicant.to_applicant(), channel=input.channel.value,
                window_id=_optional_uuid(input.window_id, "windowId"),
                idempotency_key=input.idempotency_key)

        case, errors = await _run(info, lambda s, p: service.submit_parallel(s, p, new(p)))
        return SubmitParallelCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="一次性告知补正 — the one notice listing every missing material.")
    async def request_supplement(self, info: Info, input: RequestSupplementInput
                                 ) -> RequestSupplementPayload:
        items = [inputs.SupplementItem(seq=i.seq, problem=i.problem.value, note=i.note)
                 for i in input.items]
        case, errors = await _run(info, _on_case(service.request_supplement, input.case_id, items,
                                                 input.note))
        return RequestSupplementPayload(case=case, errors=errors)

    @strawberry.mutation(description="The supplement arrived: materials updated, clock runs again.")
    async def receive_supplement(self, info: Info, input: ReceiveSupplementInput
                                 ) -> ReceiveSupplementPayload:
        case, errors = await _run(info, _on_case(service.receive_supplement, input.case_id,
                                                 _materials(input.materials)))
        return ReceiveSupplementPayload(case=case, errors=errors)

    @strawberry.mutation(description="受理 — starts the clock (promised limit, working days).")
    async def accept_case(self, info: Info, input: AcceptCaseInput) -> AcceptCasePayload:
        case, errors = await _run(info, _on_case(service.accept_case, input.case_id,
                                                 tolerate_missing=input.tolerate_missing,
                                                 note=input.note))
        return AcceptCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="不予受理 — with reason and legal basis.")
    async def not_accept_case(self, info: Info, input: NotAcceptCaseInput) -> NotAcceptCasePayload:
        case, errors = await _run(info, _on_case(service.not_accept_case, input.case_id,
                                                 input.reason, input.legal_basis))
        return NotAcceptCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="即办件 — accept and decide on the spot.")
    async def complete_instant_case(self, info: Info, input: CompleteInstantCaseInput
                                    ) -> CompleteInstantCasePayload:
        case, errors = await _run(info, _on_case(
            service.complete_instant, input.case_id,
            approved=input.decision is CaseDecision.APPROVED, reason=input.reason))
        return CompleteInstantCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="Assign a step (needs case:review at the handling tenant).")
    async def assign_case_step(self, info: Info, input: AssignCaseStepInput) -> AssignCaseStepPayload:
        case, errors = await _run(info, _on_case(service.assign_step, input.case_id, input.seq,
                                                 input.assignee))
        return AssignCaseStepPayload(case=case, errors=errors)

    @strawberry.mutation(description="Start a step (needs case:review at the handling tenant).")
    async def start_case_step(self, info: Info, input: StartCaseStepInput) -> StartCaseStepPayload:
        case, errors = await _run(info, _on_case(service.start_step, input.case_id, input.seq))
        return StartCaseStepPayload(case=case, errors=errors)

    @strawberry.mutation(description="Finish the active step with an opinion.")
    async def finish_case_step(self, info: Info, input: FinishCaseStepInput) -> FinishCaseStepPayload:
        case, errors = await _run(info, _on_case(service.finish_step, input.case_id, input.seq,
                                                 input.opinion))
        return FinishCaseStepPayload(case=case, errors=errors)

    @strawberry.mutation(description="作出决定 — 准予 or 不予 (needs case:decide at the handling "
                                     "tenant: an agent point never decides).")
    async def decide_case(self, info: Info, input: DecideCaseInput) -> DecideCasePayload:
        case, errors = await _run(info, _on_case(
            service.decide_case, input.case_id, approved=input.decision is CaseDecision.APPROVED,
            reason=input.reason))
        return DecideCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="送达 — hand over the result (a parallel approval: its parent).")
    async def deliver_case(self, info: Info, input: DeliverCaseInput) -> DeliverCasePayload:
        case, errors = await _run(info, _on_case(service.deliver_case, input.case_id,
                                                 method=input.method.value, note=input.note))
        return DeliverCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="撤回 at the applicant's request.")
    async def withdraw_case(self, info: Info, input: WithdrawCaseInput) -> WithdrawCasePayload:
        case, errors = await _run(info, _on_case(service.withdraw_case, input.case_id,
                                                 input.reason))
        return WithdrawCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="特别程序 — stop the clock (hearing, inspection …).")
    async def suspend_case(self, info: Info, input: SuspendCaseInput) -> SuspendCasePayload:
        case, errors = await _run(info, _on_case(service.suspend_case, input.case_id,
                                                 input.kind.value, input.reason))
        return SuspendCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="恢复计时 — end the special procedure.")
    async def resume_case(self, info: Info, input: ResumeCaseInput) -> ResumeCasePayload:
        case, errors = await _run(info, _on_case(service.resume_case, input.case_id))
        return ResumeCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="延期 — once, with approval (needs case:extend).")
    async def extend_case(self, info: Info, input: ExtendCaseInput) -> ExtendCasePayload:
        case, errors = await _run(info, _on_case(service.extend_case, input.case_id, input.days,
                                                 input.reason))
        return ExtendCasePayload(case=case, errors=errors)

    @strawberry.mutation(description="收费 — charge a fee of the item at or below its standard.")
    async def charge_case_fee(self, info: Info, input: ChargeCaseFeeInput) -> ChargeCaseFeePayload:
        def work(s: AsyncSession, p: Principal) -> Awaitable[Any]:
            return _on_case(service.charge_fee, input.case_id, fee_seq=input.fee_seq,
                            amount_cents=input.amount_cents,
                            window_id=_optional_uuid(input.window_id, "windowId"))(s, p)

        case, errors = await _run(info, work)
        return ChargeCaseFeePayload(case=case, errors=errors)


def _fresh(name: str, *parts: type) -> type:
    """A new root type holding copies of ``parts``' fields. The schema assembly decorates a
    contribution's fields in place (the ``plugin.not_enabled`` guard); on shared classes that
    would pile one guard per tier onto ``CaseQuery`` and leak into every other schema built
    from them (the statistics' own tests build one from ``StatsQuery``)."""
    fields = {f.python_name: copy.copy(f)
              for part in parts for f in part.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    return strawberry.type(type(name, (), fields))


def contribution(plugin: str, tier: str) -> GraphQLContribution:
    """Intake's part of ``tier``'s schema: the case queries and the statistics
    (``graphql_stats``) everywhere it serves, mutations where cases are taken."""
    from zhengwu.plugins.intake.graphql_stats import StatsQuery

    return GraphQLContribution(
        plugin=plugin, query=_fresh("IntakeQuery", CaseQuery, StatsQuery),
        mutation=_fresh("IntakeMutation", CaseMutation) if tier in MUTATION_TIERS else None)

