"""A card's life — raised, notified, acknowledged, explained or corrected, closed — with its
history; who may act where (the tenant tree: a county supervisor acts on its townships' cards,
a sibling's supervisor sees nothing); 督办 tickets; and the metrics."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import ENERGY, MIGRANT, TOWNSHIP, new_case
from tests.plugins.supervision.world import MON, at, build_supervision_world, principal, watched
from zhengwu.core import clock
from zhengwu.core.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from zhengwu.core.plugin_api import Period
from zhengwu.core.plugin_host import current_host
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import queries, service
from zhengwu.plugins.supervision.models import Alert, AlertEntry
from zhengwu.plugins.supervision.notify import notify_pending
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.tenants import enablement

FT_CLERK = principal("ft_clerk")


class Quiet:
    async def send(self, notifications):
        pass


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def _township_card(s):
    """A 方塘乡 case accepted with a required material missing (red at once) that is then
    overdue (due Wed 30 Sep) after the sweep of Thu 8 Oct; notified."""
    with clock.freeze(MON):
        case = await intake.submit_case(s, FT_CLERK, new_case(MIGRANT, TOWNSHIP, materials=(1, 2)))
        await intake.accept_case(s, FT_CLERK, case.id, tolerate_missing=True)
        await s.commit()
    with at(2026, 10, 8):
        await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
        await notify_pending(s, clock.now(), notifier=Quiet())
        await s.commit()
    rows = (await s.scalars(select(Alert).where(Alert.case_id == case.id))).all()
    cards = {a.reason: a for a in rows}
    assert set(cards) == {"missing_required", "near_deadline", "overdue"}
    return case.id, cards


class Card:
    """What a test needs of a card, read once (ORM rows expire on rollback)."""

    def __init__(self, row):
        self.id, self.case_no, self.status, self.detail = row.id, row.case_no, row.status, row.detail


async def test_the_lifecycle_of_a_card(world):
    s = world
    _, cards = await _township_card(s)
    red = Card(cards["overdue"])
    assert red.status == "notified"
    approver, supervisor = principal("ft_approver"), principal("ng_supervisor")
    with at(2026, 10, 8, 11):
        with pytest.raises(Conflict) as e:
            await service.explain_alert(s, approver, red.id, "材料待补")
        assert e.value.code == "alert.transition_not_allowed"
        await s.rollback()
        await service.acknowledge_alert(s, approver, red.id)
        with pytest.raises(Invalid) as e:
            await service.explain_alert(s, approver, red.id, "  ")
        assert e.value.code == "alert.text_required"
        await s.rollback()
        await service.acknowledge_alert(s, approver, red.id)
        await service.explain_alert(s, approver, red.id, "申请人补正材料延误")
        with pytest.raises(PermissionDenied):  # staff answer cards, supervisors close them
            await service.close_alert(s, approver, red.id)
        await s.rollback()
        await service.acknowledge_alert(s, approver, red.id)
        await service.explain_alert(s, approver, red.id, "申请人补正材料延误")
        alert = await service.close_alert(s, supervisor, red.id, "情况属实")
        await s.commit()
        await s.refresh(alert)
    assert (alert.status, alert.acknowledged_by, alert.explained_by, alert.closed_by) == (
        "closed", "ft_approver", "ft_approver", "ng_supervisor")
    entries = (await s.scalars(select(AlertEntry).where(AlertEntry.alert_id == red.id)
                               .order_by(AlertEntry.at, AlertEntry.id))).all()
    assert [(e.action, e.actor, e.from_status, e.to_status) for e in entries] == [
        ("notified", "system", "raised", "notified"),
        ("acknowledge", "ft_approver", "notified", "acknowledged"),
        ("explain", "ft_approver", "acknowledged", "explained"),
        ("close", "ng_supervisor", "explained", "closed")]
    with at(2026, 10, 9):  # a closed card is not raised again
        r = await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
    # only the statutory limit's card is new (3 working days: due Thu 8 Oct, past on the 9th)
    assert (r.overdue, r.near_deadline, r.statutory_overdue, r.raised) == (0, 0, 1, 1)


async def test_correction_then_close(world):
    s = world
    _, cards = await _township_card(s)
    card = Card(cards["missing_required"])
    assert card.detail == {"materials": [3], "tolerated": True}
    clerk, supervisor = principal("ft_clerk"), principal("ft_supervisor")
    with at(2026, 10, 8, 11):
        await service.acknowledge_alert(s, clerk, card.id, "已收到")
        await service.correct_alert(s, clerk, card.id, "申请人已补交材料3")
        closed = await service.close_alert(s, supervisor, card.id)
        await s.commit()
        await s.refresh(closed)
    assert (closed.status, closed.correction, closed.acknowledged_by) == (
        "closed", "申请人已补交材料3", "ft_clerk")


async def test_who_sees_and_acts_follows_the_tree(world):
    s = world
    _, cards = await _township_card(s)
    red = Card(cards["overdue"])
    for who in ("xc_supervisor", "ng_supervisor", "ft_supervisor", "ft_clerk", "ng_admin"):
        assert (await service.get_alert(s, principal(who), red.id)).id == red.id
        page = await queries.list_alerts(s, principal(who), None, 10, None)
        assert page.total == 3, who
    for who in ("gk_supervisor", "xz_supervisor", "el_supervisor", "gk_clerk"):
        with pytest.raises(NotFound) as e:
            await service.get_alert(s, principal(who), red.id)
        assert e.value.code == "alert.not_found"
        page = await queries.list_alerts(s, principal(who), None, 10, None)
        assert page.total == 0 and page.rows == []
        with pytest.raises(NotFound):
            await service.acknowledge_alert(s, principal(who), red.id)
        with pytest.raises(NotFound):
            await service.supervise_case(s, principal(who), case_no=red.case_no, instructions="x")
    with pytest.raises(PermissionDenied):  # assessors get metrics, never cards
        await service.get_alert(s, principal("ng_assessor"), red.id)
    with pytest.raises(NotFound):  # an ancestor is readable as a tenant, its cards are not
        await queries.list_alerts(s, principal("ft_supervisor"),
                                  queries.AlertFilter(under="341881"), 10, None)
    page = await queries.list_alerts(s, principal("xc_supervisor"), queries.AlertFilter(
        under="341881204", colour="red", live=True), 10, None)
    assert sorted(a.reason for a in page.rows) == ["missing_required", "overdue"]
    with at(2026, 10, 8, 11), pytest.raises(PermissionDenied):
        await service.supervise_case(s, principal("ft_clerk"), case_no=red.case_no,
                                     instructions="x")
    await s.rollback()
    assert (await s.get(Alert, red.id)).status == "notified"  # nothing changed


async def test_supervising_a_case(world):
    s = world
    _, cards = await _township_card(s)
    overdue = Card(cards["overdue"])
    sup = principal("ng_supervisor")
    with at(2026, 10, 8, 11):
        with pytest.raises(Invalid) as e:
            await service.supervise_case(s, sup, alert_id=overdue.id, instructions="")
        assert e.value.code == "alert.instructions_required"
        await s.rollback()
        ticket = await service.supervise_case(s, sup, alert_id=overdue.id,
                                              instructions="三日内办结并报告")
        await s.commit()
        await s.refresh(ticket)
    ticket_id = ticket.id
    # the default of 5 working days from Thu 8 Oct: 9, 10 (Sat, 调休), 12, 13, 14
    assert (ticket.days, ticket.due_on, ticket.opened_by) == (5, date(2026, 10, 14), "ng_supervisor")
    entry = (await s.scalars(select(AlertEntry).where(AlertEntry.action == "supervised"))).one()
    assert entry.data["ticket_id"] == str(ticket_id)
    page = await queries.list_tickets(s, principal("ft_clerk"), None, True, 10, None)
    assert [t.id for t in page.rows] == [ticket_id]
    with pytest.raises(PermissionDenied):
        await service.close_ticket(s, principal("ft_clerk"), ticket_id, "已办结")
    await s.rollback()
    closed = await service.close_ticket(s, sup, ticket_id, "已于10月9日办结")
    await s.commit()
    assert closed.status == "closed"
    with pytest.raises(Conflict):
        await service.close_ticket(s, sup, ticket_id, "再次")
    with pytest.raises(DomainError):
        await service.supervise_case(s, sup, instructions="x")


async def test_metrics(world):
    s = world
    await _township_card(s)
    with clock.freeze(MON):  # two county cases: one goes overdue, one is decided in time
        ids = []
        for _ in range(2):
            case = await intake.submit_case(s, principal("ng_clerk"), new_case(ENERGY))
            await intake.accept_case(s, principal("ng_clerk"), case.id)
            ids.append(case.id)
        await s.commit()
    with at(2026, 10, 9):
        await intake.decide_case(s, principal("ng_approver"), ids[1], approved=True)
        await s.commit()
    with at(2026, 10, 12):
        await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
        await s.commit()
    metrics = current_host().metrics()
    period = Period(date(2026, 9, 1), date(2026, 10, 31))

    async def value(name, path="34/3418/341881"):
        return await metrics[f"supervision.{name}"].compute(s, path, period)

    assert (await value("yellow_cards")).value == 2  # the township's and ids[0]'s
    # red: the township's overdue + missing material + past the statutory limit, ids[0]'s
    # overdue, ids[1]'s skipped steps
    assert (await value("red_cards")).value == 5
    overdue = await value("overdue_rate")
    assert (overdue.numerator, overdue.denominator, overdue.value) == (2, 3, 2 / 3)
    red = await value("red_rate")
    assert (red.numerator, red.denominator) == (3, 3)
    yellow = await value("yellow_rate", "34/3418/341881/341881204")
    assert (yellow.numerator, yellow.denominator) == (1, 1)
    closure = await value("alert_closure_rate")
    assert (closure.numerator, closure.denominator, closure.value) == (0, 7, 0)
    other = await value("red_cards", "34/3418/341802")
    assert other.value == 0
    empty = await value("overdue_rate", "34/3418/341802")
    assert empty.value is None and empty.denominator == 0
    _ = await watched(s, ids[0])
