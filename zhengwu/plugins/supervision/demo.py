"""supervision's part of ``zhengwu demo`` (hook ``zhengwu_cli``): one sweep over the demo's
tenants (``zhengwu demo`` switches every installed plugin on at 宁国市 before the plugins' steps,
and intake's day of cases runs first), so the demo's supervisor (``ningguo_supervisor``) finds
the cards intake's events and the sweep raised; then a complaint and a rectified bad rating on
the demo's cases:

* a 12345 hotline ticket (``DEMO-12345-0001``, imported like any ticket: its id makes it once)
  about a delivered case at 宁国市, answered by the clerk, called back and closed by the
  supervisor;
* a bad SMS rating (level 2) of the same case, taken through 核实 → 整改 → 反馈 → 回访 by the
  clerk (the rectification closed).

Idempotent: a second run raises nothing twice, imports nothing again and rates nothing again
(the case already has its SMS rating); a step already done is not repeated.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock
from zhengwu.core.security.authn import principals_of
from zhengwu.plugins.supervision import complaints, ratings
from zhengwu.plugins.supervision.models import Alert, Complaint, Rating, WatchedCase
from zhengwu.plugins.supervision.projection import PLUGIN
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.tenants.enablement import enabled_scope

__all__ = ["TICKET", "demo_sweep"]

COUNTY = "341881"
TICKET = "DEMO-12345-0001"
_STEPS = (("verify", "已电话联系申请人核实：等候时间过长"),
          ("rectify", "增开综合受理窗口，午间不间断服务"),
          ("feedback", "已向申请人反馈整改情况"),
          ("callback", "回访：申请人表示满意"))


async def _complaint_and_rating(session: AsyncSession) -> str:
    staff = await principals_of(session, ("ningguo_clerk", "ningguo_supervisor"))
    clerk, supervisor = staff.get("ningguo_clerk"), staff.get("ningguo_supervisor")
    case_no = await session.scalar(
        select(WatchedCase.case_no).where(WatchedCase.tenant_path.endswith("/" + COUNTY),
                                          WatchedCase.status == "delivered")
        .order_by(WatchedCase.case_no).limit(1))
    if clerk is None or supervisor is None or case_no is None:
        return "no complaint or rating (the demo users or a delivered case are missing)"
    await complaints.import_tickets(session, [{
        "id": TICKET, "tenant_code": COUNTY, "category": "efficiency", "case_no": case_no,
        "department": "综合受理窗口", "content": "办理营业执照排队时间过长",
        "received_on": clock.today_shanghai().isoformat()}])
    ticket = await session.scalar(select(Complaint).where(Complaint.source == "hotline",
                                                          Complaint.external_id == TICKET))
    assert ticket is not None
    if ticket.status == "open":
        await complaints.reply_complaint(session, clerk, ticket.id, "已增开窗口，缩短排队时间")
    if ticket.status == "replied":
        await complaints.callback_complaint(session, supervisor, ticket.id, True, "申请人满意")
    if ticket.status == "called_back":
        await complaints.close_complaint(session, supervisor, ticket.id, "办结")
    rating = await session.scalar(select(Rating).where(Rating.case_no == case_no,
                                                       Rating.channel == "sms")
                                  .order_by(Rating.round).limit(1))
    if rating is None:
        rating = await ratings.rate_case(session, clerk, case_no, 2, "sms", "等候时间长")
    for step, note in _STEPS:
        if rating.rectification == step:
            rating = await ratings.record_step(session, clerk, rating.id, step, note)
    await session.commit()
    return (f"complaint {TICKET} {ticket.status}; bad rating of {case_no} "
            f"rectification {rating.rectification}")


async def demo_sweep(session: AsyncSession) -> str:
    """Sweep now, then the complaint and the rectified bad rating; one line for the summary."""
    report = await sweep(session, await enabled_scope(session, PLUGIN), clock.now())
    await session.commit()
    standing = dict((await session.execute(
        select(Alert.colour, func.count()).where(Alert.status.not_in(("closed", "cleared")))
        .group_by(Alert.colour))).all())
    extra = await _complaint_and_rating(session)
    return (f"sweep on {report.today}: {report.raised} cards raised now; standing: "
            f"{standing.get('yellow', 0)} yellow, {standing.get('red', 0)} red; {extra}")
