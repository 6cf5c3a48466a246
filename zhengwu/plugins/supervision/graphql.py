"""GraphQL of the e-supervision plugin (电子监察): the cards of the acting tenant's subtree, one
mutation per act on a card, and 督办 tickets.

Thin by rule: a resolver parses its input, calls ONE service (``service`` for acts,
``queries`` for reading) and maps the result or the typed error (``_mutate`` commits on
success, rolls back and answers ``errors { field code message }`` on a ``DomainError``). A
card's history, its case's tickets and its tenant resolve through per-request DataLoaders, so
a page of cards costs a constant number of statements.

Tiers: province, city, county and township — the supervisors of every tier from the township
centre up. Fields answer ``plugin.not_enabled`` where the plugin is off (the schema wraps them).
"""

from __future__ import annotations

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

from zhengwu.core import clock
from zhengwu.core.errors import NotFound
from zhengwu.core.plugin_api import GraphQLContribution
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.pagination import Connection, Edge, PageInfo, encode_cursor, page_size
from zhengwu.graphql.pagination import decode_cursor as _decode
from zhengwu.graphql.types import Info, Tenant
from zhengwu.plugins.supervision import monitoring, queries, service
from zhengwu.plugins.supervision.graphql_analysis import AnalysisQuery
from zhengwu.plugins.supervision.graphql_complaints import ComplaintMutation, ComplaintQuery
from zhengwu.plugins.supervision.graphql_ratings import RatingMutation, RatingQuery
from zhengwu.plugins.supervision.lifecycle import REASONS, STATES
from zhengwu.plugins.supervision.models import Alert as AlertRow
from zhengwu.plugins.supervision.models import AlertEntry as EntryRow
from zhengwu.plugins.supervision.models import SupervisionTicket as TicketRow
from zhengwu.plugins.supervision.models import TicketEntry as TicketEntryRow

__all__ = ["Alert", "AlertMutation", "AlertQuery", "SupervisionTicket", "contribution"]


# ------------------------------------------------------------------------------ enums

@strawberry.enum(description="牌色 — yellow (预警) or red (纠错/问责).")
class AlertColour(Enum):
    YELLOW = strawberry.enum_value("yellow", description="黄牌：临近期限或环节超时")
    RED = strawberry.enum_value("red", description="红牌：超期或违规")


@strawberry.enum(description="预警类别 — what a card is about.")
class AlertKind(Enum):
    DEADLINE = strawberry.enum_value("deadline", description="承诺期限")
    STEP = strawberry.enum_value("step", description="环节时限")
    IRREGULARITY = strawberry.enum_value("irregularity", description="违规办理")
    SUPERVISION = strawberry.enum_value("supervision", description="督办期限")
    COMPLAINT = strawberry.enum_value("complaint", description="投诉答复期限")
    RATING = strawberry.enum_value("rating", description="差评整改期限")


@strawberry.enum(description="亮牌原因 — why a card was raised.")
class AlertReason(Enum):
    NEAR_DEADLINE = strawberry.enum_value("near_deadline", description="临近承诺期限（黄牌）")
    STEP_OVER_LIMIT = strawberry.enum_value("step_over_limit", description="环节超时（黄牌）")
    OVERDUE = strawberry.enum_value("overdue", description="超期未办结（红牌）")
    STATUTORY_OVERDUE = strawberry.enum_value(
        "statutory_overdue", description="超过法定期限未办结（红牌，报上一级）")
    MISSING_REQUIRED = strawberry.enum_value("missing_required", description="缺少必要材料受理（红牌）")
    SKIPPED_STEPS = strawberry.enum_value("skipped_steps", description="未经规定环节作出决定（红牌）")
    OUTSIDE_HALL = strawberry.enum_value("outside_hall", description="应进必进事项未在大厅受理（红牌）")
    FEE_ABOVE_STANDARD = strawberry.enum_value("fee_above_standard", description="超标准收费（红牌）")
    TICKET_OVERDUE = strawberry.enum_value("ticket_overdue", description="督办逾期（红牌）")
    COMPLAINT_OVERDUE = strawberry.enum_value("complaint_overdue",
                                              description="投诉逾期未答复（红牌）")
    RECTIFICATION_CONTACT_OVERDUE = strawberry.enum_value(
        "rectification_contact_overdue", description="差评逾期未核实（黄牌）")
    RECTIFICATION_OVERDUE = strawberry.enum_value("rectification_overdue",
                                                  description="差评整改逾期（红牌）")


@strawberry.enum(description="预警状态 — where a card stands.")
class AlertStatus(Enum):
    RAISED = strawberry.enum_value("raised", description="已亮牌")
    NOTIFIED = strawberry.enum_value("notified", description="已通知")
    ACKNOWLEDGED = strawberry.enum_value("acknowledged", description="已签收")
    EXPLAINED = strawberry.enum_value("explained", description="已说明")
    CORRECTED = strawberry.enum_value("corrected", description="已纠正")
    CLOSED = strawberry.enum_value("closed", description="已办结")
    CLEARED = strawberry.enum_value("cleared", description="已撤销（不再适用）")


@strawberry.enum(description="预警列表的排序 — order of the card list.")
class AlertOrder(Enum):
    RAISED_DESC = strawberry.enum_value("raised_desc", description="最新亮牌在前")
    RAISED_ASC = strawberry.enum_value("raised_asc", description="最早亮牌在前")


@strawberry.enum(description="督办单状态.")
class SupervisionTicketStatus(Enum):
    OPEN = strawberry.enum_value("open", description="督办中")
    CLOSED = strawberry.enum_value("closed", description="已办结")


# ------------------------------------------------------------------------------ loaders

class SupervisionLoaders:
    """The DataLoaders of one request (scoped like the cards)."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session, self.principal = session, principal
        self.history: DataLoader[uuid.UUID, list[EntryRow]] = DataLoader(self._history)
        self.tickets: DataLoader[uuid.UUID, list[TicketRow]] = DataLoader(self._tickets)
        self.ticket_history: DataLoader[uuid.UUID, list[TicketEntryRow]] = DataLoader(
            self._ticket_history)

    async def _history(self, ids: Sequence[uuid.UUID]) -> list[list[EntryRow]]:
        found = await queries.entries_of(self.session, self.principal, ids)
        return [found[i] for i in ids]

    async def _ticket_history(self, ids: Sequence[uuid.UUID]) -> list[list[TicketEntryRow]]:
        found = await queries.ticket_entries_of(self.session, self.principal, ids)
        return [found[i] for i in ids]

    async def _tickets(self, ids: Sequence[uuid.UUID]) -> list[list[TicketRow]]:
        found = await queries.tickets_of(self.session, self.principal, ids)
        return [found[i] for i in ids]


def _loaders(info: Info) -> SupervisionLoaders:
    return info.context.loaders.plugin(SupervisionLoaders, info.context.principal)


# ------------------------------------------------------------------------------ types

@strawberry.type(description="预警记录 — one entry of a card's history, with actor and time.")
class AlertHistoryEntry:
    at: datetime
    actor: str
    action: str = strawberry.field(
        description="notified, urged (催办), acknowledged, explained, corrected, closed, cleared, "
                    "supervised (督办).")
    from_status: AlertStatus | None
    to_status: AlertStatus | None
    note: str | None
    data: JSON | None = strawberry.field(description="Details (recipients, ticket …).")


def _status(value: str | None) -> AlertStatus | None:
    return AlertStatus(value) if value else None


def _gid(kind: str, value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(relay.to_base64(kind, str(value))) if value is not None else None


@strawberry.type(description="督办记录 — one entry of a ticket's history, with actor and time.")
class SupervisionTicketHistoryEntry:
    at: datetime
    actor: str
    action: str = strawberry.field(description="opened, notified (sent to people), closed.")
    note: str | None
    data: JSON | None = strawberry.field(description="Details (recipients and notice — opened "
                                                     "or overdue — of a sending …).")


@strawberry.type(description="督办单 — a supervisor's ticket on a case, with its own deadline "
                             "(working days); past it, the case gets a red card.")
class SupervisionTicket(relay.Node):
    id: relay.NodeID[str]
    case_no: str
    instructions: str
    opened_by: str
    opened_at: datetime
    opened_on: date
    days: int = strawberry.field(description="The deadline in working days.")
    due_on: date
    status: SupervisionTicketStatus
    result: str | None
    closed_at: datetime | None
    closed_by: str | None
    alert_id: strawberry.ID | None = strawberry.field(description="The card it was opened for.")
    notified_at: datetime | None = strawberry.field(
        description="When it was last sent to people (opened, then overdue).")
    overdue_on: date | None = strawberry.field(
        description="The day the sweep found it overdue (and sent it again).")

    @classmethod
    def from_row(cls, r: TicketRow) -> SupervisionTicket:
        return cls(id=str(r.id), case_no=r.case_no, instructions=r.instructions,
                   opened_by=r.opened_by, opened_at=r.opened_at, opened_on=r.opened_on,
                   days=r.days, due_on=r.due_on, status=SupervisionTicketStatus(r.status),
                   result=r.result, closed_at=r.closed_at, closed_by=r.closed_by,
                   alert_id=_gid("Alert", r.alert_id), notified_at=r.notified_at,
                   overdue_on=r.overdue_on)

    @strawberry.field(description="The ticket's history (opened, notified, closed), oldest "
                                  "first.")
    async def history(self, info: Info) -> list[SupervisionTicketHistoryEntry]:
        rows = await _loaders(info).ticket_history.load(uuid.UUID(str(self.id)))
        return [SupervisionTicketHistoryEntry(at=e.at, actor=e.actor, action=e.action,
                                              note=e.note, data=e.data) for e in rows]


@strawberry.type(description="预警 — a yellow or red card on a case (黄牌/红牌), from raising to "
                             "closing.")
class Alert(relay.Node):
    id: relay.NodeID[str]
    case_no: str = strawberry.field(description="办件编号 of the case (intake's caseByNumber); "
                                                "for a complaint's card the case it names, if "
                                                "any (else empty).")
    colour: AlertColour
    kind: AlertKind
    reason: AlertReason
    reason_name: str = strawberry.field(description="The reason in Chinese.")
    status: AlertStatus
    status_name: str
    ref: str = strawberry.field(description="What within the case: a step's or a fee's number, a "
                                            "ticket, a rating, a complaint (its id); empty for "
                                            "the case itself.")
    due_date: date | None = strawberry.field(
        description="The due date the card is about (the case's, the step's or the ticket's).")
    detail: JSON | None = strawberry.field(
        description="Facts behind the card (missing materials, skipped steps, amounts …).")
    handler: str | None = strawberry.field(description="The responsible member of staff.")
    handling_tenant_code: str = strawberry.field(description="办理单位的区划代码.")
    raised_at: datetime
    raised_on: date
    notified_at: datetime | None
    urge_count: int = strawberry.field(description="催办: reminders sent so far.")
    last_urged_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    explanation: str | None
    explained_at: datetime | None
    explained_by: str | None
    correction: str | None
    corrected_at: datetime | None
    corrected_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    close_note: str | None
    cleared_at: datetime | None
    cleared_reason: str | None
    row: strawberry.Private[AlertRow]

    @classmethod
    def from_row(cls, r: AlertRow) -> Alert:
        return cls(
            id=str(r.id), case_no=r.case_no, colour=AlertColour(r.colour), kind=AlertKind(r.kind),
            reason=AlertReason(r.reason), reason_name=REASONS[r.reason].title_zh,
            status=AlertStatus(r.status), status_name=STATES.get(r.status, r.status), ref=r.ref,
            due_date=r.due_date, detail=r.detail, handler=r.handler,
            handling_tenant_code=r.handling_path.rsplit("/", 1)[-1], raised_at=r.raised_at,
            raised_on=r.raised_on, notified_at=r.notified_at, urge_count=r.urge_count,
            last_urged_at=r.last_urged_at, acknowledged_at=r.acknowledged_at,
            acknowledged_by=r.acknowledged_by, explanation=r.explanation,
            explained_at=r.explained_at, explained_by=r.explained_by, correction=r.correction,
            corrected_at=r.corrected_at, corrected_by=r.corrected_by, closed_at=r.closed_at,
            closed_by=r.closed_by, close_note=r.close_note, cleared_at=r.cleared_at,
            cleared_reason=r.cleared_reason, row=r)

    @strawberry.field(description="受理单位 — the tenant that owns the case.")
    async def accepting_tenant(self, info: Info) -> Tenant:
        row = await info.context.loaders.tenant_by_id.load(self.row.tenant_id)
        return Tenant.from_row(row)

    @strawberry.field(description="The card's history, oldest first.")
    async def history(self, info: Info) -> list[AlertHistoryEntry]:
        rows = await _loaders(info).history.load(self.row.id)
        return [AlertHistoryEntry(at=e.at, actor=e.actor, action=e.action,
                                  from_status=_status(e.from_status),
                                  to_status=_status(e.to_status), note=e.note, data=e.data)
                for e in rows]

    @strawberry.field(description="督办 tickets on the card's case.")
    async def tickets(self, info: Info) -> list[SupervisionTicket]:
        rows = await _loaders(info).tickets.load(self.row.case_id)
        return [SupervisionTicket.from_row(t) for t in rows]


@strawberry.type(description="实时监控 figures of a tenant (本级) or of a child's whole subtree.")
class SupervisionFigures:
    tenant: Tenant
    subtree: bool = strawberry.field(
        description="false: the tenant's own cases (本级); true: the child's whole subtree.")
    watched: int = strawberry.field(description="Open watched cases (accepted, not decided).")
    paused: int = strawberry.field(description="Of them, paused (suspended or 补正).")
    near_deadline: int = strawberry.field(description="Running and within the yellow threshold.")
    overdue: int = strawberry.field(description="Running and past the promised due date.")
    step_over_limit: int = strawberry.field(description="Running with a step past its limit.")
    yellow_cards: int = strawberry.field(description="Yellow cards standing (not closed/cleared).")
    red_cards: int = strawberry.field(description="Red cards standing.")
    open_tickets: int = strawberry.field(description="督办 tickets open.")
    open_complaints: int = strawberry.field(description="Complaints not closed.")
    overdue_complaints: int = strawberry.field(
        description="Of them, still unanswered (open) past their deadline.")
    open_rectifications: int = strawberry.field(
        description="Bad ratings whose rectification is not closed.")
    overdue_rectifications: int = strawberry.field(
        description="Of them, past their closing deadline.")

    @classmethod
    def from_figures(cls, f: monitoring.Figures) -> SupervisionFigures:
        return cls(tenant=Tenant.from_row(f.tenant), subtree=f.subtree, watched=f.watched,
                   paused=f.paused, near_deadline=f.near_deadline, overdue=f.overdue,
                   step_over_limit=f.step_over_limit, yellow_cards=f.yellow_cards,
                   red_cards=f.red_cards, open_tickets=f.open_tickets,
                   open_complaints=f.open_complaints, overdue_complaints=f.overdue_complaints,
                   open_rectifications=f.open_rectifications,
                   overdue_rectifications=f.overdue_rectifications)


@strawberry.type(description="The live figures of the open cases that came in through a window.")
class SupervisionWindowFigures:
    window_id: strawberry.ID
    window_number: str
    window_name: str
    tenant_code: str
    watched: int
    paused: int
    near_deadline: int
    overdue: int
    yellow_cards: int = strawberry.field(description="Yellow cards standing on its cases.")
    red_cards: int = strawberry.field(description="Red cards standing on its cases.")

    @classmethod
    def from_figures(cls, f: monitoring.WindowFigures) -> SupervisionWindowFigures:
        return cls(window_id=strawberry.ID(str(f.window.id)), window_number=f.window.number,
                   window_name=f.window.name, tenant_code=f.tenant_code, watched=f.watched,
                   paused=f.paused, near_deadline=f.near_deadline, overdue=f.overdue,
                   yellow_cards=f.yellow_cards, red_cards=f.red_cards)


@strawberry.type(description="The live figures of the open cases a department handles.")
class SupervisionDepartmentFigures:
    tenant_code: str = strawberry.field(description="The handling tenant's division code.")
    department_name: str = strawberry.field(description="实施主体 — as the item's implementation "
                                            "names it.")
    watched: int
    paused: int
    near_deadline: int
    overdue: int
    yellow_cards: int = strawberry.field(description="Yellow cards standing on its cases.")
    red_cards: int = strawberry.field(description="Red cards standing on its cases.")

    @classmethod
    def from_figures(cls, f: monitoring.DepartmentFigures) -> SupervisionDepartmentFigures:
        return cls(tenant_code=f.tenant_code, department_name=f.department_name,
                   watched=f.watched, paused=f.paused, near_deadline=f.near_deadline,
                   overdue=f.overdue, yellow_cards=f.yellow_cards, red_cards=f.red_cards)


@strawberry.type(description="实时监控 — the live figures of a subtree, as of today.")
class SupervisionOverview:
    as_of: date
    totals: SupervisionFigures
    rows: list[SupervisionFigures] = strawberry.field(
        description="The tenant's own figures (本级) first, then each child's subtree.")
    windows: list[SupervisionWindowFigures] = strawberry.field(
        description="Every window of the subtree (zeros included), by tenant and number.")
    departments: list[SupervisionDepartmentFigures] = strawberry.field(
        description="Every department of the subtree (those implementing an item: zeros "
                    "included), by handling tenant and name.")


def _key(value: str, kind: str) -> uuid.UUID:
    """A global ID of ``kind`` (or a plain UUID) as the key; anything else is not found."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        pass
    try:
        gid = relay.GlobalID.from_id(str(value))
        if gid.type_name == kind:
            return uuid.UUID(gid.node_id)
    except Exception:  # a malformed ID is simply not found
        pass
    raise NotFound("alert" if kind == "Alert" else "supervision_ticket", value)


# ------------------------------------------------------------------------------ queries

@strawberry.input(description="Filter of the card list (all optional, AND-ed).")
class AlertFilter:
    under: str | None = strawberry.field(
        default=None, description="Division code of a tenant in your subtree: its cards only.")
    colour: AlertColour | None = None
    kinds: list[AlertKind] | None = None
    reasons: list[AlertReason] | None = None
    statuses: list[AlertStatus] | None = None
    live: bool | None = strawberry.field(
        default=None, description="true: still standing (not closed nor cleared); false: closed "
                                  "or cleared; null: all.")
    case_no: str | None = None
    raised_from: date | None = None
    raised_to: date | None = None

    def to_filter(self) -> queries.AlertFilter:
        return queries.AlertFilter(
            under=self.under, colour=self.colour.value if self.colour else None,
            kinds=tuple(k.value for k in self.kinds or ()),
            reasons=tuple(r.value for r in self.reasons or ()),
            statuses=tuple(s.value for s in self.statuses or ()), live=self.live,
            case_no=self.case_no, raised_from=self.raised_from, raised_to=self.raised_to)


def _connection(page: queries.Page, node: Callable[[Any], Any], after: str | None) -> Any:
    edges = [Edge(cursor=encode_cursor(r.id.hex), node=node(r)) for r in page.rows]
    return Connection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class AlertQuery:
    @strawberry.field(description="Cards of the acting tenant's subtree (needs alert:read): a "
                                  "county supervisor sees its townships' cards, a township its "
                                  "own and its villages'.")
    async def alerts(self, info: Info, first: int | None = None, after: str | None = None,
                     filter: AlertFilter | None = None,
                     order: AlertOrder = AlertOrder.RAISED_DESC) -> Connection[Alert]:
        ctx = info.context
        page = await queries.list_alerts(ctx.session, ctx.principal,
                                         filter.to_filter() if filter else None, page_size(first),
                                         _decode(after), order is AlertOrder.RAISED_DESC)
        return _connection(page, Alert.from_row, after)  # type: ignore[no-any-return]

    @strawberry.field(description="One card by its ID (not found and not yours are one answer).")
    async def alert(self, info: Info, id: strawberry.ID) -> Alert:
        ctx = info.context
        return Alert.from_row(await service.get_alert(ctx.session, ctx.principal,
                                                      _key(id, "Alert")))

    @strawberry.field(description="实时监控: open, paused, near-deadline and overdue watched cases, "
                                  "cards, 督办 tickets, complaints and bad ratings' rectifications "
                                  "of a tenant in your subtree (default: the acting tenant), as of "
                                  "today, with each child's subtree.")
    async def supervision_overview(self, info: Info, under: str | None = None
                                   ) -> SupervisionOverview:
        ctx = info.context
        o = await monitoring.overview(ctx.session, ctx.principal, under, clock.today_shanghai())
        return SupervisionOverview(as_of=o.as_of,
                                   totals=SupervisionFigures.from_figures(o.totals),
                                   rows=[SupervisionFigures.from_figures(r) for r in o.rows],
                                   windows=[SupervisionWindowFigures.from_figures(w)
                                            for w in o.windows],
                                   departments=[SupervisionDepartmentFigures.from_figures(d)
                                                for d in o.departments])

    @strawberry.field(description="督办 tickets of the acting tenant's subtree (needs alert:read).")
    async def supervision_tickets(self, info: Info, first: int | None = None,
                                  after: str | None = None, under: str | None = None,
                                  open_only: bool = False) -> Connection[SupervisionTicket]:
        ctx = info.context
        page = await queries.list_tickets(ctx.session, ctx.principal, under, open_only,
                                          page_size(first), _decode(after))
        return _connection(page, SupervisionTicket.from_row, after)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------ mutations

@strawberry.input(description="签收 a card (needs alert:act).")
class AcknowledgeAlertInput:
    alert_id: strawberry.ID
    note: str | None = None


@strawberry.input(description="情况说明 on an acknowledged card (needs alert:act).")
class ExplainAlertInput:
    alert_id: strawberry.ID
    explanation: str


@strawberry.input(description="纠正: what was put right (needs alert:act).")
class CorrectAlertInput:
    alert_id: strawberry.ID
    correction: str


@strawberry.input(description="办结 an explained or corrected card (needs alert:supervise).")
class CloseAlertInput:
    alert_id: strawberry.ID
    note: str | None = None


@strawberry.input(description="督办: open a ticket on a case, by its number or through one of its "
                              "cards (needs alert:supervise).")
class SuperviseCaseInput:
    instructions: str
    case_no: str | None = None
    alert_id: strawberry.ID | None = None
    days: int | None = strawberry.field(
        default=None, description="Working days; default: the tenant's supervision_days.")


@strawberry.input(description="Close a 督办 ticket with its result (needs alert:supervise).")
class CloseSupervisionTicketInput:
    ticket_id: strawberry.ID
    result: str


@strawberry.type
class AlertPayload:
    alert: Alert | None
    errors: list[UserError]


@strawberry.type
class AcknowledgeAlertPayload(AlertPayload):
    pass


@strawberry.type
class ExplainAlertPayload(AlertPayload):
    pass


@strawberry.type
class CorrectAlertPayload(AlertPayload):
    pass


@strawberry.type
class CloseAlertPayload(AlertPayload):
    pass


@strawberry.type
class SuperviseCasePayload:
    ticket: SupervisionTicket | None
    errors: list[UserError]


@strawberry.type
class CloseSupervisionTicketPayload:
    ticket: SupervisionTicket | None
    errors: list[UserError]


Work = Callable[[AsyncSession, Principal], Awaitable[Any]]


async def _alert(info: Info, work: Work) -> tuple[Alert | None, list[UserError]]:
    row, errors = await _mutate(info, work)
    return (Alert.from_row(row) if row is not None else None), errors


async def _ticket(info: Info, work: Work) -> tuple[SupervisionTicket | None, list[UserError]]:
    row, errors = await _mutate(info, work)
    return (SupervisionTicket.from_row(row) if row is not None else None), errors


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="签收 — the responsible staff has seen the card (no more "
                                     "reminders).")
    async def acknowledge_alert(self, info: Info, input: AcknowledgeAlertInput
                                ) -> AcknowledgeAlertPayload:
        alert, errors = await _alert(info, lambda s, p: service.acknowledge_alert(
            s, p, _key(input.alert_id, "Alert"), input.note))
        return AcknowledgeAlertPayload(alert=alert, errors=errors)

    @strawberry.mutation(description="情况说明 — why it happened.")
    async def explain_alert(self, info: Info, input: ExplainAlertInput) -> ExplainAlertPayload:
        alert, errors = await _alert(info, lambda s, p: service.explain_alert(
            s, p, _key(input.alert_id, "Alert"), input.explanation))
        return ExplainAlertPayload(alert=alert, errors=errors)

    @strawberry.mutation(description="纠正 — what was put right.")
    async def correct_alert(self, info: Info, input: CorrectAlertInput) -> CorrectAlertPayload:
        alert, errors = await _alert(info, lambda s, p: service.correct_alert(
            s, p, _key(input.alert_id, "Alert"), input.correction))
        return CorrectAlertPayload(alert=alert, errors=errors)

    @strawberry.mutation(description="办结 — a supervisor accepts the explanation or correction.")
    async def close_alert(self, info: Info, input: CloseAlertInput) -> CloseAlertPayload:
        alert, errors = await _alert(info, lambda s, p: service.close_alert(
            s, p, _key(input.alert_id, "Alert"), input.note))
        return CloseAlertPayload(alert=alert, errors=errors)

    @strawberry.mutation(description="督办 — a ticket on a case with its own deadline.")
    async def supervise_case(self, info: Info, input: SuperviseCaseInput) -> SuperviseCasePayload:
        ticket, errors = await _ticket(info, lambda s, p: service.supervise_case(
            s, p, instructions=input.instructions, case_no=input.case_no,
            alert_id=_key(input.alert_id, "Alert") if input.alert_id else None, days=input.days))
        return SuperviseCasePayload(ticket=ticket, errors=errors)

    @strawberry.mutation(description="Close a 督办 ticket with its result.")
    async def close_supervision_ticket(self, info: Info, input: CloseSupervisionTicketInput
                                       ) -> CloseSupervisionTicketPayload:
        ticket, errors = await _ticket(info, lambda s, p: service.close_ticket(
            s, p, _key(input.ticket_id, "SupervisionTicket"), input.result))
        return CloseSupervisionTicketPayload(ticket=ticket, errors=errors)


def contribution(plugin: str, tier: str) -> GraphQLContribution:
    """Supervision's part of ``tier``'s schema (every tier it serves: township and up)."""
    return GraphQLContribution(plugin=plugin, query=SupervisionQuery,
                               mutation=SupervisionMutation)


@strawberry.type
class SupervisionQuery(AlertQuery, RatingQuery, ComplaintQuery, AnalysisQuery):
    pass


@strawberry.type
class SupervisionMutation(AlertMutation, RatingMutation, ComplaintMutation):
    pass
