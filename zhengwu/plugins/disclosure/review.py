"""The review chain (方塘乡's 三审三校) as data, and its transitions.

::

    draft | returned ──submit──▶ confidentiality (保密审查)
    confidentiality ──approve──▶ leader (分管领导审核)
    leader ──approve──▶ principal (主要领导审批)      when is_major
    leader ──approve──▶ published                     otherwise
    principal ──approve──▶ published
    confidentiality | leader | principal ──return (comment)──▶ returned
    published ──revise──▶ draft (version + 1; the public keeps the published text)
    any state but withdrawn ──withdraw (reason)──▶ withdrawn

Who may act: ``submit`` and ``revise`` need ``publication:draft``; ``withdraw`` needs
``publication:withdraw``; ``approve`` and ``return`` at a step need the step's role (tenant
setting ``step_roles``, held at the item's tenant or above) AND the step's permission
(``publication:review`` for confidentiality and leader, ``publication:approve`` for principal);
whoever submitted a version (or created the item) may not review it. Refused:
``publication.transition_not_allowed`` (naming state and action), ``publication.role_required``
(naming the role), ``publication.own_draft``, ``auth.permission_denied``.

Every transition writes a ``ReviewStep`` (actor, role, time, comment, version).

Publication (the last approval) sets ``published_at``/``published_on`` and copies ``title`` and
``body`` to ``published_title``/``published_body`` — every time, so a republished revision
replaces the public text; the first one also gives the index number (索引号, never changed
afterwards) and decides ``published_late`` (``published_on > due_on``, proactive items only),
and marks the documents it repeals with ``repealed_on``. Withdrawal sets ``withdrawn_at`` (and
keeps ``published_at``): the public-feed contract is ``attribute == 'proactive' AND published_at
IS NOT NULL AND withdrawn_at IS NULL``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock
from zhengwu.core.errors import Conflict, DomainError, Invalid
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import policy
from zhengwu.plugins.disclosure.models import Attachment, Publication, PublicationLink, ReviewStep
from zhengwu.plugins.disclosure.publications import (
    get_publication,
    next_index_no,
    require,
    settings_of,
)
from zhengwu.tenants.models import Tenant

__all__ = [
    "ACTIONS",
    "STATES",
    "STEP_PERMISSION",
    "Action",
    "RoleRequired",
    "approve",
    "current_step",
    "return_",
    "revise",
    "submit",
    "withdraw",
]

STATES: dict[str, str] = {
    "draft": "草稿", "returned": "退回修改", "confidentiality": "保密审查",
    "leader": "分管领导审核", "principal": "主要领导审批", "published": "已发布",
    "withdrawn": "已撤回",
}
STEPS = ("confidentiality", "leader", "principal")
STEP_PERMISSION = {"confidentiality": "review", "leader": "review", "principal": "approve"}


@dataclass(frozen=True)
class Action:
    name: str
    title_zh: str
    from_states: frozenset[str]
    permission: str | None  # None: the current step's permission (and role)
    needs_comment: bool = False


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("submit", "提交审核", frozenset({"draft", "returned"}), "draft"),
    Action("approve", "审核通过", frozenset(STEPS), None),
    Action("return", "退回修改", frozenset(STEPS), None, needs_comment=True),
    Action("revise", "修订", frozenset({"published"}), "draft"),
    Action("withdraw", "撤回", frozenset(set(STATES) - {"withdrawn"}), "withdraw",
           needs_comment=True),
)}


class RoleRequired(DomainError):
    status = 403

    def __init__(self, step: str, role: str) -> None:
        super().__init__("publication.role_required",
                         f"“{STATES[step]}”环节须由具有 {role} 角色的人员办理",
                         f"the {step} step must be done by someone with the role {role}",
                         field="status", step=step, role=role)


def current_step(pub: Publication) -> str | None:
    """The review step the item waits at (None outside the chain)."""
    return pub.status if pub.status in STEPS else None


def _next_after(pub: Publication) -> str:
    if pub.status == "confidentiality":
        return "leader"
    if pub.status == "leader":
        return "principal" if pub.is_major else "published"
    return "published"


def _check_state(pub: Publication, action: Action) -> None:
    if pub.status not in action.from_states:
        allowed = "、".join(STATES[s] for s in STATES if s in action.from_states)
        label = pub.index_no or pub.title
        raise Conflict("publication.transition_not_allowed",
                       f"信息“{label}”当前为“{STATES[pub.status]}”，不能{action.title_zh}"
                       f"（仅限：{allowed}）",
                       f"publication {label!r} is {pub.status}: cannot {action.name} "
                       f"(allowed from: {', '.join(s for s in STATES if s in action.from_states)})",
                       field="status", status=pub.status, action=action.name)


def _comment(text: str | None, action: Action) -> str | None:
    clean = (text or "").strip() or None
    if action.needs_comment and not clean:
        what = "撤回理由" if action.name == "withdraw" else "退回意见"
        raise Invalid(f"publication.{'reason' if action.name == 'withdraw' else 'comment'}_required",
                      f"{action.title_zh}必须填写{what}",
                      f"{action.name} needs a {'reason' if action.name == 'withdraw' else 'comment'}",
                      field="reason" if action.name == "withdraw" else "comment")
    if clean and len(clean) > 2000:
        raise Invalid("publication.comment_too_long", "意见不超过2000字",
                      "the comment is at most 2000 characters", field="comment")
    return clean


def _role_for(principal: Principal, path: str, permission: str) -> str | None:
    """The first role of the principal's grants at ``path`` carrying ``publication:permission``
    (recorded as the actor's role)."""
    for g in principal.grants:
        if g.applies_to(path) and policy.role_allows(g.role, "publication", permission):
            return g.role
    return None


def _holds_role(principal: Principal, path: str, role: str) -> bool:
    return any(g.role == role and g.applies_to(path) for g in principal.grants)


async def _is_own(session: AsyncSession, principal: Principal, pub: Publication) -> bool:
    if principal.user_id is not None and pub.created_by == principal.user_id:
        return True
    last = await session.scalar(select(ReviewStep).where(
        ReviewStep.publication_id == pub.id, ReviewStep.action == "submit",
        ReviewStep.version == pub.version).order_by(ReviewStep.at.desc(), ReviewStep.id.desc())
        .limit(1))
    if last is None:
        return False
    return (last.actor_name == principal.username
            or (principal.user_id is not None and last.actor_id == principal.user_id))


async def _check_reviewer(session: AsyncSession, principal: Principal, pub: Publication) -> str:
    """The role the principal acts in at the item's current step (or a typed refusal)."""
    step = pub.status
    role = (await settings_of(session, await _tenant(session, pub))).step_roles[step]
    if not _holds_role(principal, pub.tenant_path, role):
        raise RoleRequired(step, role)
    require(principal, STEP_PERMISSION[step], pub.tenant_path)
    if await _is_own(session, principal, pub):
        raise Conflict("publication.own_draft", "不能审核本人起草或提交的信息",
                       "you cannot review a publication you drafted or submitted",
                       field="status", step=step)
    return role


async def _tenant(session: AsyncSession, pub: Publication) -> Tenant:
    tenant = await session.get(Tenant, pub.tenant_id)
    assert tenant is not None
    return tenant


def _record(session: AsyncSession, pub: Publication, principal: Principal, action: str,
            from_status: str, role: str | None, comment: str | None) -> None:
    session.add(ReviewStep(
        publication_id=pub.id, tenant_id=pub.tenant_id, tenant_path=pub.tenant_path,
        action=action, from_status=from_status, to_status=pub.status, actor_id=principal.user_id,
        actor_name=principal.username, actor_role=role, at=clock.now(), comment=comment,
        version=pub.version))


async def _publish(session: AsyncSession, pub: Publication) -> None:
    now = clock.now()
    today = clock.today_shanghai()
    first = pub.index_no is None
    pub.status = "published"
    pub.published_at, pub.published_on = now, today
    pub.published_title, pub.published_body = pub.title, pub.body
    if first:
        pub.index_no = await next_index_no(session, pub, await _tenant(session, pub), today.year)
        pub.published_late = (pub.due_on is not None and today > pub.due_on
                              if pub.attribute == "proactive" else None)
    repealed = await session.scalars(select(Publication).join(
        PublicationLink, PublicationLink.target_id == Publication.id).where(
        PublicationLink.publication_id == pub.id, PublicationLink.kind == "repeals",
        Publication.repealed_on.is_(None)))
    for target in repealed:
        target.repealed_on = today


async def _load(session: AsyncSession, principal: Principal, publication_id: uuid.UUID | str,
                action_name: str) -> tuple[Publication, Action]:
    pub = await get_publication(session, principal, publication_id)
    return pub, ACTIONS[action_name]


async def submit(session: AsyncSession, principal: Principal, publication_id: uuid.UUID | str,
                 comment: str | None = None) -> Publication:
    """Send a draft (or a returned item) into the chain, at confidentiality review."""
    pub, action = await _load(session, principal, publication_id, "submit")
    require(principal, "draft", pub.tenant_path)
    _check_state(pub, action)
    note = _comment(comment, action)
    files = await session.scalar(select(func.count()).select_from(Attachment)
                                 .where(Attachment.publication_id == pub.id)) or 0
    if not pub.body.strip() and not files:
        raise Invalid("publication.content_required", "正文或附件至少要有一项",
                      "a publication needs a body or an attachment", field="body")
    before = pub.status
    pub.status = "confidentiality"
    _record(session, pub, principal, "submit", before,
            _role_for(principal, pub.tenant_path, "draft"), note)
    await session.flush()
    return pub


async def approve(session: AsyncSession, principal: Principal, publication_id: uuid.UUID | str,
                  comment: str | None = None) -> Publication:
    """Pass the current step: on to the next one, or published after the last."""
    pub, action = await _load(session, principal, publication_id, "approve")
    _check_state(pub, action)
    role = await _check_reviewer(session, principal, pub)
    note = _comment(comment, action)
    before = pub.status
    after = _next_after(pub)
    if after == "published":
        await _publish(session, pub)
    else:
        pub.status = after
    _record(session, pub, principal, "approve", before, role, note)
    await session.flush()
    return pub


async def return_(session: AsyncSession, principal: Principal, publication_id: uuid.UUID | str,
                  comment: str | None) -> Publication:
    """Send the item back to its editor with comments (at any review step)."""
    pub, action = await _load(session, principal, publication_id, "return")
    _check_state(pub, action)
    role = await _check_reviewer(session, principal, pub)
    note = _comment(comment, action)
    before = pub.status
    pub.status = "returned"
    _record(session, pub, principal, "return", before, role, note)
    await session.flush()
    return pub


async def revise(session: AsyncSession, principal: Principal, publication_id: uuid.UUID | str,
                 comment: str | None = None) -> Publication:
    """Open a new version of a published item (a draft again); the public keeps seeing the
    published text until the new version is published."""
    pub, action = await _load(session, principal, publication_id, "revise")
    require(principal, "draft", pub.tenant_path)
    _check_state(pub, action)
    note = _comment(comment, action)
    before = pub.status
    pub.status = "draft"
    pub.version += 1
    _record(session, pub, principal, "revise", before,
            _role_for(principal, pub.tenant_path, "draft"), note)
    await session.flush()
    return pub


async def withdraw(session: AsyncSession, principal: Principal, publication_id: uuid.UUID | str,
                   reason: str | None) -> Publication:
    """Withdraw the item with a reason: it leaves the public feed (if it was there) for good."""
    pub, action = await _load(session, principal, publication_id, "withdraw")
    require(principal, "withdraw", pub.tenant_path)
    _check_state(pub, action)
    note = _comment(reason, action)
    before = pub.status
    pub.status = "withdrawn"
    pub.withdrawn_at = clock.now()
    pub.withdraw_reason = note
    _record(session, pub, principal, "withdraw", before,
            _role_for(principal, pub.tenant_path, "withdraw"), note)
    await session.flush()
    return pub
