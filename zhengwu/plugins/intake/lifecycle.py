"""The case lifecycle as data: states, and for every action the states it may start from,
the permission it needs and on which side of the case that permission must hold.

::

    submitted ──request_supplement──▶ needs_supplement ──receive_supplement──▶ (back)
    submitted ──accept──▶ accepted ──start_step──▶ in_review ──decide──▶ approved | denied
    submitted | needs_supplement ──not_accept──▶ not_accepted          (不予受理)
    submitted ──complete_instant──▶ approved | denied                 (即办件, same day)
    approved | denied ──deliver──▶ delivered                          (送达/办结)
    accepted | in_review ──suspend──▶ suspended ──resume──▶ (back)     (特别程序, clock stops)
    open states ──withdraw──▶ withdrawn                              (applicant withdraws)
    accepted | in_review | suspended ──extend──▶ (same)               (once, with approval)

*Front* actions are the accepting tenant's (window, agent point): the permission must cover
``case.tenant_path``. *Back* actions are the handling tenant's: the permission must cover
``case.handling_path`` — a village agent can accept on behalf of a villager but never
decide the township's case.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACTIONS", "CLOSED", "EVENTS", "OPEN", "STATES", "Action"]

STATES: dict[str, str] = {
    "submitted": "已提交", "needs_supplement": "待补正", "accepted": "已受理",
    "not_accepted": "不予受理", "in_review": "审查中", "suspended": "特别程序（暂停计时）",
    "approved": "准予", "denied": "不予", "delivered": "已送达（办结）", "withdrawn": "已撤回",
}
OPEN = frozenset({"submitted", "needs_supplement", "accepted", "in_review", "suspended"})
"""States in which the case still waits for the administration."""
CLOSED = frozenset({"not_accepted", "delivered", "withdrawn"})
CLOCK_RUNNING = frozenset({"accepted", "in_review"})


@dataclass(frozen=True)
class Action:
    name: str
    title_zh: str
    from_states: frozenset[str]
    permission: str  # the action of Resource("case", …)
    side: str  # front | back


def _a(name: str, zh: str, states: tuple[str, ...], permission: str, side: str) -> Action:
    return Action(name, zh, frozenset(states), permission, side)


ACTIONS: dict[str, Action] = {a.name: a for a in (
    _a("request_supplement", "一次性告知补正", ("submitted", "accepted", "in_review"), "accept", "front"),
    _a("receive_supplement", "收到补正材料", ("needs_supplement",), "accept", "front"),
    _a("accept", "受理", ("submitted",), "accept", "front"),
    _a("not_accept", "不予受理", ("submitted", "needs_supplement"), "accept", "front"),
    _a("complete_instant", "即办件当场办结", ("submitted",), "accept", "front"),
    _a("assign_step", "分派环节", ("accepted", "in_review", "suspended"), "review", "back"),
    _a("start_step", "开始环节", ("accepted", "in_review"), "review", "back"),
    _a("finish_step", "完成环节", ("in_review",), "review", "back"),
    _a("decide", "作出决定", ("accepted", "in_review"), "decide", "back"),
    _a("deliver", "送达", ("approved", "denied"), "deliver", "front"),
    _a("withdraw", "撤回", ("submitted", "needs_supplement", "accepted", "in_review", "suspended"),
       "withdraw", "front"),
    _a("suspend", "特别程序（暂停计时）", ("accepted", "in_review"), "suspend", "back"),
    _a("resume", "恢复计时", ("suspended",), "suspend", "back"),
    _a("extend", "延期", ("accepted", "in_review", "suspended"), "extend", "back"),
    _a("charge_fee", "收费", ("submitted", "accepted", "in_review", "approved"), "fee", "front"),
)}

EVENTS = (
    "intake.case_submitted", "intake.supplement_requested", "intake.supplement_received",
    "intake.case_accepted", "intake.case_not_accepted", "intake.step_started",
    "intake.step_finished", "intake.case_suspended", "intake.case_resumed",
    "intake.case_extended", "intake.case_decided", "intake.case_delivered",
    "intake.case_withdrawn", "intake.fee_charged", "intake.deadline_changed",
    "intake.case_snapshot",
)
"""Facts intake announces (``zhengwu_event``); payloads carry ids, codes and dates — never
personal data. ``intake.case_snapshot`` is not a fact but a replay of an open case's state for
listeners that missed its events (``replay``)."""
