"""好差评 (ratings): five levels per case and channel, the rectification of every bad rating
(核实 → 整改 → 反馈 → 回访) with its deadlines, and the appeal against a malicious rating.

* **Levels**: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意; 1–2 are 差评.
* **Channels**: ``pad`` (the window rating pad — staff enter it, or the hardware plugin sends
  ``hardware.rating_received``), ``online``, ``sms`` (the SMS link).
* **One rating per case and channel**: another one on the same case and channel
  (``rating.duplicate`` otherwise) only after the previous rating was bad and its
  rectification closed — the follow-up rating (``round`` 2, 3 …).
* **Rectification**: a bad rating opens it at once. Deadlines on the handling tenant's calendar
  from the day of the rating: first contact (the 核实 step) within ``rating_contact_days``
  working days (default 1), closed (the 回访 step) within ``rating_close_days`` (default 15).
  Each step is recorded with actor and time (``supervision_rating_steps``), in order.
* **Appeal** (申诉): the handling unit (``alert:act``) appeals a bad rating as malicious; a
  supervisor (``alert:supervise``) re-checks and decides: upheld → the rating is excluded from
  the rates and its rectification voided; rejected → it stands.

Cases are known from the projection (``supervision_cases``): a case the principal cannot see
and a case that does not exist are one answer, ``case.not_found``. Functions flush; the caller
commits.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock, events
from zhengwu.core.calendar.service import load_calendar
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Conflict, DomainError, Invalid, NotFound
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.supervision.models import Rating, RatingStep, WatchedCase
from zhengwu.plugins.supervision.projection import clear_cards, settings_at
from zhengwu.plugins.supervision.service import require

__all__ = ["CHANNELS", "EVENTS", "LEVELS", "STEPS", "appeal_rating", "decide_appeal",
           "get_rating", "on_pad_rating", "rate_case", "rating_counts", "record_step"]

log = logging.getLogger("zhengwu.supervision.ratings")

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
CHANNELS = {"pad": "窗口评价器", "online": "网上评价", "sms": "短信评价"}
STEPS = {"verify": "核实", "rectify": "整改", "feedback": "反馈", "callback": "回访"}
_NEXT = {"verify": "rectify", "rectify": "feedback", "feedback": "callback", "callback": "closed"}
EVENTS = ("supervision.case_rated", "supervision.rating_rectified",
          "supervision.rating_appealed", "supervision.rating_appeal_decided")


def _key(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _text(value: str | None, field: str, zh: str, en: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if len(text) > 2000 or (required and not text):
        raise Invalid(f"rating.{field}_required", f"{zh}不能为空（不超过2000字）",
                      f"{en} is required (at most 2000 characters)", field=field)
    return text or None


async def _case(session: AsyncSession, principal: Principal | None,
                case: uuid.UUID | str) -> WatchedCase:
    key = _key(case)
    q = select(WatchedCase).where(WatchedCase.id == key if key is not None
                                  else WatchedCase.case_no == str(case).strip())
    if principal is not None:
        if principal.is_anonymous:
            raise NotFound("case", case)
        q = q.where(subtree_clause(WatchedCase.tenant_path, principal.acting_path))
    row = await session.scalar(q)
    if row is None:
        raise NotFound("case", case)
    return row


async def rate_case(session: AsyncSession, principal: Principal | None, case: uuid.UUID | str,
                    level: int, channel: str, comment: str | None = None, *,
                    actor: str | None = None) -> Rating:
    """Record a rating of ``case`` (its id or 办件编号) on ``channel``.

    ``principal`` is a member of staff entering a pad or SMS rating (the case must lie in their
    scope, ``alert:act`` there) or None for the public and devices (an online rating, the
    rating pad through the hardware event): the case is then found by number or id alone and
    ``actor`` names the source."""
    if not isinstance(level, int) or level not in LEVELS:
        raise Invalid("rating.level", "评价等级须为 1–5", "the level is 1 to 5", field="level")
    if channel not in CHANNELS:
        raise Invalid("rating.channel", "评价渠道须为 pad、online 或 sms",
                      "the channel is pad, online or sms", field="channel")
    row = await _case(session, principal, case)
    if principal is not None:
        require(principal, "act", row.tenant_path)
    text = _text(comment, "comment", "评价意见", "the comment", required=False)
    last = await session.scalar(
        select(Rating).where(Rating.case_id == row.id, Rating.channel == channel)
        .order_by(Rating.round.desc()).limit(1).with_for_update())
    if last is not None and not (last.bad and last.rectification == "closed"):
        raise Conflict("rating.duplicate", "该办件已在此渠道评价过",
                       "the case was already rated on this channel", field="channel",
                       channel=channel)
    now, today = clock.now(), clock.today_shanghai()
    bad = level <= 2
    rating = Rating(tenant_id=row.tenant_id, tenant_path=row.tenant_path, case_id=row.id,
                    case_no=row.case_no, handling_path=row.handling_path, channel=channel,
                    round=(last.round + 1) if last else 1, level=level, bad=bad, comment=text,
                    rated_by=actor or (principal.username if principal else "public"),
                    rated_at=now, rated_on=today, excluded=False)
    if bad:
        conf = await settings_at(session, row.handling_path)
        cal = await load_calendar(session, row.handling_path, range(today.year, today.year + 2))
        rating.rectification = "verify"
        rating.contact_due = cal.add_working_days(today, conf.rating_contact_days).due
        rating.close_due = cal.add_working_days(today, conf.rating_close_days).due
    session.add(rating)
    await session.flush()
    await events.publish(session, "supervision.case_rated", row.tenant_id, row.tenant_path,
                         _payload(rating), rating.rated_by)
    return rating


def _payload(r: Rating, **extra: Any) -> dict[str, Any]:
    return {"rating_id": str(r.id), "case_id": str(r.case_id), "case_no": r.case_no,
            "channel": r.channel, "level": r.level, "round": r.round, "bad": r.bad,
            "handling_path": r.handling_path, **extra}


async def get_rating(session: AsyncSession, principal: Principal, rating_id: uuid.UUID | str, *,
                     for_update: bool = False) -> Rating:
    key = _key(rating_id)
    if principal.is_anonymous or key is None:
        raise NotFound("rating", rating_id)
    q = select(Rating).where(Rating.id == key,
                             subtree_clause(Rating.tenant_path, principal.acting_path))
    if for_update:
        q = q.with_for_update()
    rating = await session.scalar(q)
    if rating is None:
        raise NotFound("rating", rating_id)
    require(principal, "read", rating.tenant_path)
    return rating


_CONTACT_CARD = "rectification_contact_overdue"
_CLOSE_CARD = "rectification_overdue"


async def _clear(session: AsyncSession, r: Rating, reasons: list[str], why: str) -> None:
    """Clear the sweep's cards about this rating (``ref`` is its id as the sweep wrote it)."""
    ref = select(cast(Rating.id, String)).where(Rating.id == r.id).scalar_subquery()
    await clear_cards(session, r.case_id, reasons, clock.now(), why, ref=ref)


def _step(r: Rating, principal: Principal, step: str, note: str | None) -> RatingStep:
    return RatingStep(tenant_id=r.tenant_id, tenant_path=r.tenant_path, rating_id=r.id, step=step,
                      actor=principal.username, at=clock.now(), note=note)


async def record_step(session: AsyncSession, principal: Principal, rating_id: uuid.UUID | str,
                      step: str, note: str) -> Rating:
    """Record the next step of a bad rating's rectification (in order: 核实, 整改, 反馈, 回访);
    the 回访 closes it."""
    rating = await get_rating(session, principal, rating_id, for_update=True)
    require(principal, "act", rating.tenant_path)
    if step not in STEPS:
        raise Invalid("rating.step", "整改环节须为 verify、rectify、feedback 或 callback",
                      "the step is verify, rectify, feedback or callback", field="step")
    if rating.rectification != step:
        raise Conflict("rating.step_not_allowed",
                       f"当前不能记录“{STEPS[step]}”（待办：{rating.rectification or '无'}）",
                       f"cannot record {step} now (due: {rating.rectification or 'nothing'})",
                       field="step", due=rating.rectification)
    text = _text(note, "note", "处理情况", "the note", required=True)
    now = clock.now()
    if step == "verify":
        rating.contacted_at = now
    rating.rectification = _NEXT[step]
    if rating.rectification == "closed":
        rating.closed_at = now
    session.add(_step(rating, principal, step, text))
    await session.flush()
    if step == "verify":
        await _clear(session, rating, [_CONTACT_CARD], "核实 recorded")
    if rating.rectification == "closed":
        await _clear(session, rating, [_CONTACT_CARD, _CLOSE_CARD], "rectification closed")
        await events.publish(session, "supervision.rating_rectified", rating.tenant_id,
                             rating.tenant_path, _payload(rating), principal.username)
    return rating


async def appeal_rating(session: AsyncSession, principal: Principal, rating_id: uuid.UUID | str,
                        reason: str) -> Rating:
    """申诉: the handling unit asks for a bad rating to be re-checked as malicious."""
    rating = await get_rating(session, principal, rating_id, for_update=True)
    require(principal, "act", rating.tenant_path)
    if not rating.bad:
        raise Conflict("rating.not_bad", "只能对差评申诉", "only a bad rating can be appealed",
                       field="ratingId")
    if rating.appeal is not None:
        raise Conflict("rating.appeal_exists", "该差评已申诉", "the rating was already appealed",
                       field="ratingId")
    rating.appeal_reason = _text(reason, "reason", "申诉理由", "the reason", required=True)
    rating.appeal, rating.appealed_by, rating.appealed_at = "pending", principal.username, \
        clock.now()
    session.add(_step(rating, principal, "appeal", rating.appeal_reason))
    await session.flush()
    await events.publish(session, "supervision.rating_appealed", rating.tenant_id,
                         rating.tenant_path, _payload(rating), principal.username)
    return rating


async def decide_appeal(session: AsyncSession, principal: Principal, rating_id: uuid.UUID | str,
                        upheld: bool, note: str | None = None) -> Rating:
    """复核: a supervisor decides an appeal. Upheld: the rating is excluded from the rates and
    its rectification voided (if not closed yet)."""
    rating = await get_rating(session, principal, rating_id, for_update=True)
    require(principal, "supervise", rating.tenant_path)
    if rating.appeal != "pending":
        raise Conflict("rating.no_pending_appeal", "该评价没有待复核的申诉",
                       "the rating has no pending appeal", field="ratingId")
    text = _text(note, "note", "复核意见", "the note", required=False)
    rating.appeal = "upheld" if upheld else "rejected"
    rating.appeal_decided_by, rating.appeal_decided_at = principal.username, clock.now()
    rating.appeal_note = text
    if upheld:
        rating.excluded = True
        if rating.rectification != "closed":
            rating.rectification = "void"
    session.add(_step(rating, principal, "upheld" if upheld else "rejected", text))
    await session.flush()
    if rating.rectification == "void":
        await _clear(session, rating, [_CONTACT_CARD, _CLOSE_CARD], "appeal upheld")
    await events.publish(session, "supervision.rating_appeal_decided", rating.tenant_id,
                         rating.tenant_path, _payload(rating, upheld=upheld), principal.username)
    return rating


async def rating_counts(session: AsyncSession, tenant_path: str, start: Any, end: Any
                        ) -> dict[str, int]:
    """Counts over the ratings of the subtree rated in [start, end], appeals upheld left out:
    ``rated``, ``satisfied`` (level ≥ 4), ``bad``, ``rectified`` (bad, rectification closed)."""
    r = Rating
    base = (subtree_clause(r.tenant_path, tenant_path), r.rated_on >= start, r.rated_on <= end,
            ~r.excluded)
    row = (await session.execute(select(
        func.count(), func.count().filter(r.level >= 4), func.count().filter(r.bad),
        func.count().filter(r.bad, r.rectification == "closed")).where(*base))).one()
    return {"rated": row[0], "satisfied": row[1], "bad": row[2], "rectified": row[3]}


async def on_pad_rating(event: Any, session: AsyncSession) -> None:
    """``hardware.rating_received`` (``case_no``, ``level``, ``channel`` — default ``pad``): the
    rating pad's rating, recorded like any other. A bad payload (unknown case, second rating on
    the channel, level out of range) is logged and dropped: it never fails the device's
    transaction."""
    data = event.payload or {}
    try:
        async with session.begin_nested():
            await rate_case(session, None, str(data.get("case_no") or data.get("case_id") or ""),
                            data.get("level"),  # type: ignore[arg-type]
                            str(data.get("channel") or "pad"), data.get("comment"),
                            actor=event.actor or "hardware")
    except DomainError as e:
        log.warning("rating from %s refused: %s (%s)", event.actor, e.code, data.get("case_no"))
