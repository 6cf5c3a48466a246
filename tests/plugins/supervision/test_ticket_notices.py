"""督办 tickets sent to people: when opened and again (once) when the sweep finds them overdue,
through the ``Notifier`` protocol and the outbox-deferred ``supervision.notify`` job, to the
supervisors whose grant covers the handling tenant and the responsible clerk; each sending
recorded in the ticket's history; at least once (a failed send is sent again)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import MIGRANT, TOWNSHIP, new_case
from tests.plugins.supervision.world import MON, at, build_supervision_world, principal
from zhengwu.core import clock
from zhengwu.core.jobs.base import run_job
from zhengwu.core.jobs.models import OutboxMessage
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import jobs, service
from zhengwu.plugins.supervision.models import Alert, SupervisionTicket, TicketEntry
from zhengwu.plugins.supervision.notify import notify_pending, notify_tickets, use_notifier
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.tenants import enablement

FT_CLERK, FT_SUPERVISOR = principal("ft_clerk"), principal("ft_supervisor")
CHAIN = ("ft_clerk", "ft_supervisor", "ng_supervisor", "xc_supervisor")
"""The township case's clerk, then the supervisors of 方塘乡, 宁国市 and 宣城市 (not 港口镇's)."""


class Capture:
    def __init__(self):
        self.sent = []

    async def send(self, notifications):
        self.sent.extend(notifications)


class Broken:
    async def send(self, notifications):
        raise RuntimeError("SMS gateway down")


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def _ticket(s, days=1):
    """方塘乡's case (accepted Mon 28 Sep by ft_clerk) supervised on Wed 30 Sep: due Thu 8 Oct
    with one working day (the National Day holiday in between)."""
    with clock.freeze(MON):
        case = await intake.submit_case(s, FT_CLERK, new_case(MIGRANT, TOWNSHIP,
                                                              materials=(1, 2, 3)))
        await intake.accept_case(s, FT_CLERK, case.id)
        await s.commit()
    with at(2026, 9, 30):
        ticket = await service.supervise_case(s, FT_SUPERVISOR, case_no=case.case_no,
                                              instructions="请于期限内办结", days=days)
        await s.commit()
    return ticket.id, case.case_no


async def _history(s, ticket_id):
    rows = (await s.scalars(select(TicketEntry).where(TicketEntry.ticket_id == ticket_id)
                            .order_by(TicketEntry.at, TicketEntry.id))).all()
    return [(e.action, e.actor, (e.data or {}).get("notice"), tuple((e.data or {}).get(
        "recipients", ()))) for e in rows]


async def _sweep(s):
    report = await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
    await s.commit()
    return report


async def test_sent_when_opened_and_when_overdue(world):
    s = world
    ticket_id, case_no = await _ticket(s)
    queued = (await s.scalars(select(OutboxMessage).where(
        OutboxMessage.job_name == "supervision.notify",
        OutboxMessage.dispatched_at.is_(None)))).all()
    assert len(queued) == 1
    ticket = await s.get(SupervisionTicket, ticket_id)
    assert (ticket.notify_pending, ticket.notice, ticket.due_on) == (True, "opened",
                                                                     date(2026, 10, 8))
    capture = Capture()
    with at(2026, 9, 30, 11):
        assert await notify_tickets(s, clock.now(), notifier=capture) == 1
        await s.commit()
        assert await notify_tickets(s, clock.now(), notifier=capture) == 0
    [n] = capture.sent
    assert (n.is_ticket, n.ticket_id, n.alert_id, n.case_no, n.reason, n.title_zh, n.due_date,
            n.recipients) == (True, ticket_id, None, case_no, "ticket_opened", "督办",
                              date(2026, 10, 8), CHAIN)
    s.expire_all()
    ticket = await s.get(SupervisionTicket, ticket_id)
    assert not ticket.notify_pending and ticket.notified_at is not None
    assert await _history(s, ticket_id) == [
        ("opened", "ft_supervisor", None, ()), ("notified", "system", "opened", CHAIN)]

    with at(2026, 10, 8):
        assert (await _sweep(s)).ticket_notices == 0  # due today: not late yet
    with at(2026, 10, 9):
        first, again = await _sweep(s), await _sweep(s)
    assert (first.ticket_overdue, first.ticket_notices, first.notify_queued) == (1, 1, True)
    assert (again.ticket_overdue, again.ticket_notices) == (0, 0)  # once
    capture = Capture()
    with at(2026, 10, 9, 11):
        cards = await notify_pending(s, clock.now(), notifier=capture)  # cards and tickets
        await s.commit()
    tickets = [n for n in capture.sent if n.is_ticket]
    assert [(n.reason, n.title_zh, n.colour, n.recipients) for n in tickets] == [
        ("ticket_overdue", "督办逾期", "red", CHAIN)]
    assert cards == len(capture.sent) - 1 and any(n.reason == "ticket_overdue" and not n.is_ticket
                                                  for n in capture.sent)  # its red card too
    history = await _history(s, ticket_id)
    assert [h[:3] for h in history] == [("opened", "ft_supervisor", None),
                                        ("notified", "system", "opened"),
                                        ("notified", "system", "overdue")]
    # closing is recorded too; a closed ticket is never found overdue again
    with at(2026, 10, 12):
        await service.close_ticket(s, FT_SUPERVISOR, ticket_id, "已办结")
        await s.commit()
        assert (await _sweep(s)).ticket_notices == 0
    assert (await _history(s, ticket_id))[-1][:2] == ("closed", "ft_supervisor")


async def test_at_least_once_a_failed_send_is_sent_again(world):
    s = world
    ticket_id, _ = await _ticket(s)
    with at(2026, 9, 30, 11), pytest.raises(RuntimeError):
        await notify_tickets(s, clock.now(), notifier=Broken())
    await s.rollback()
    s.expire_all()
    assert (await s.get(SupervisionTicket, ticket_id)).notify_pending
    assert [h[0] for h in await _history(s, ticket_id)] == ["opened"]
    capture = Capture()
    with at(2026, 9, 30, 12):
        assert await notify_tickets(s, clock.now(), notifier=capture) == 1
        await s.commit()
    assert [n.ticket_id for n in capture.sent] == [ticket_id]


async def test_a_ticket_closed_before_it_was_sent_is_not_sent(world):
    s = world
    ticket_id, _ = await _ticket(s)
    with at(2026, 9, 30, 11):
        await service.close_ticket(s, FT_SUPERVISOR, ticket_id, "当场办结")
        await s.commit()
        assert await notify_tickets(s, clock.now(), notifier=Capture()) == 0


async def test_the_notify_job_sends_tickets(world, sessionmaker, settings):
    s = world
    ticket_id, _ = await _ticket(s)
    capture = Capture()
    previous = use_notifier(capture)
    try:
        spec = next(j for j in jobs.JOBS if j.name == jobs.NOTIFY)
        with at(2026, 9, 30, 11):
            await run_job(spec, job_id="notify-1", kwargs={}, sessionmaker=sessionmaker,
                          settings=settings, queue=None)
    finally:
        use_notifier(previous)
    assert [(n.ticket_id, n.reason) for n in capture.sent] == [(ticket_id, "ticket_opened")]
    s.expire_all()
    assert not (await s.get(SupervisionTicket, ticket_id)).notify_pending
    assert await s.scalar(select(Alert.id).limit(1)) is None  # no card was involved


TICKETS = """query { supervisionTickets(first: 10) { totalCount edges { node {
  caseNo notifiedAt overdueOn history { action actor note data } } } } }"""


async def test_the_history_over_graphql(settings, system_session):
    from tests.plugins.supervision.api import supervision_api

    async for api in supervision_api(settings, system_session):
        s = system_session
        ticket_id, case_no = await _ticket(s)
        with at(2026, 9, 30, 11):
            await notify_tickets(s, clock.now(), notifier=Capture())
            await s.commit()
        with at(2026, 9, 30, 12):
            mine = await api.gql("ft_supervisor", TICKETS)
            sibling = await api.gql("gk_supervisor", TICKETS)
        assert "errors" not in mine, mine
        [edge] = mine["data"]["supervisionTickets"]["edges"]
        node = edge["node"]
        assert (node["caseNo"], node["overdueOn"], bool(node["notifiedAt"])) == (case_no, None,
                                                                                 True)
        assert [(h["action"], h["actor"]) for h in node["history"]] == [
            ("opened", "ft_supervisor"), ("notified", "system")]
        assert tuple(node["history"][1]["data"]["recipients"]) == CHAIN
        assert sibling["data"]["supervisionTickets"]["totalCount"] == 0
        assert ticket_id
