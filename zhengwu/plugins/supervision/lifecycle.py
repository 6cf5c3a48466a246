"""Cards and their lifecycle as data: the reasons a card is raised, and for every action on an
alert the states it may start from, where it leads and the permission it needs.

::

    raised ──(notification sent)──▶ notified
    raised | notified ──acknowledge──▶ acknowledged                 (签收, alert:act)
    acknowledged ──explain──▶ explained                             (情况说明, alert:act)
    acknowledged ──correct──▶ corrected                             (纠正, alert:act)
    explained | corrected ──close──▶ closed                         (办结, alert:supervise)
    any live state ──(the card no longer applies)──▶ cleared        (system: deadline moved)

Urging (催办) is not a state: the sweep reminds again while a card stays raised or notified
(``urge_count``, ``last_urged_at``, an ``urged`` entry in the alert's history). Supervising
(督办) opens a ticket with its own deadline beside the alert (``SupervisionTicket``).

Who acts where: the permission must hold at the case's accepting tenant (``tenant_path``), which
the handling tenant and the supervisors above it cover. This module holds no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACTIONS", "CLOSED_STATES", "ESCALATED", "LIVE_STATES", "REASONS", "STATES",
           "AlertAction", "Reason"]


@dataclass(frozen=True)
class Reason:
    """Why a card is raised: its colour, its kind and its name."""

    code: str
    colour: str  # yellow | red
    kind: str  # deadline | step | irregularity | supervision | complaint | rating
    title_zh: str
    title_en: str


REASONS: dict[str, Reason] = {r.code: r for r in (
    Reason("near_deadline", "yellow", "deadline", "临近承诺期限",
           "the promised deadline is near (remaining working days at the threshold)"),
    Reason("step_over_limit", "yellow", "step", "环节超时",
           "a step has run over its own limit"),
    Reason("overdue", "red", "deadline", "超期未办结", "the promised deadline has passed"),
    Reason("statutory_overdue", "red", "deadline", "超过法定期限未办结",
           "the statutory limit (法定时限) has passed; escalated to the tier above"),
    Reason("missing_required", "red", "irregularity", "缺少必要材料受理",
           "accepted with a required material missing"),
    Reason("skipped_steps", "red", "irregularity", "未经规定环节作出决定",
           "decided with procedure steps skipped"),
    Reason("outside_hall", "red", "irregularity", "应进必进事项未在大厅受理",
           "an in-hall item (应进必进) accepted outside the hall's channels"),
    Reason("fee_above_standard", "red", "irregularity", "超标准收费",
           "a fee above the standard"),
    Reason("ticket_overdue", "red", "supervision", "督办逾期",
           "a supervision ticket (督办) ran past its own deadline"),
    Reason("complaint_overdue", "red", "complaint", "投诉逾期未答复",
           "a complaint (投诉) is not answered by its deadline"),
    Reason("rectification_contact_overdue", "yellow", "rating", "差评逾期未核实",
           "a bad rating's first contact (核实) is past its deadline"),
    Reason("rectification_overdue", "red", "rating", "差评整改逾期",
           "a bad rating's rectification is not closed (回访) by its deadline"),
)}

ESCALATED = frozenset({"statutory_overdue"})
"""Reasons whose cards also go to the supervisors of the tier directly above the handling
tenant (whatever their grant's reach), not only to those whose grant covers it."""

STATES: dict[str, str] = {
    "raised": "已亮牌", "notified": "已通知", "acknowledged": "已签收", "explained": "已说明",
    "corrected": "已纠正", "closed": "已办结", "cleared": "已撤销（不再适用）",
}
LIVE_STATES = frozenset({"raised", "notified", "acknowledged", "explained", "corrected"})
"""States of a card that still stands (not closed by a supervisor, not cleared)."""
CLOSED_STATES = frozenset({"closed", "cleared"})


@dataclass(frozen=True)
class AlertAction:
    name: str
    title_zh: str
    from_states: frozenset[str]
    to_state: str
    permission: str  # the action of Resource("alert", …)
    needs_text: bool


ACTIONS: dict[str, AlertAction] = {a.name: a for a in (
    AlertAction("acknowledge", "签收", frozenset({"raised", "notified"}), "acknowledged", "act",
                False),
    AlertAction("explain", "情况说明", frozenset({"acknowledged"}), "explained", "act", True),
    AlertAction("correct", "纠正", frozenset({"acknowledged"}), "corrected", "act", True),
    AlertAction("close", "办结", frozenset({"explained", "corrected"}), "closed", "supervise",
                False),
)}
