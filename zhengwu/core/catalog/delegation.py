"""Delegation (下放 / 授权 / 委托 / 代办) and the question "who may accept this item here, and
who decides" that intake relies on.

* An upper tier hands an item it may exercise to a tenant strictly below it: ``kind`` is a
  national power-source code — ``"2"`` 上级下放 and ``"3"`` 上级授权 (the receiver accepts and
  decides in its own name), ``"5"`` 上级委托 (the receiver accepts and decides in the
  delegator's name). The receiving tenant's subtree receives, optionally only some tiers
  (``to_tiers``), between ``valid_from`` and ``valid_to``. What was entrusted (委托) cannot be
  passed on; what was delegated or authorised can.
* ``kind="agent"`` (代办): a township entrusts *acceptance* to village agent points below
  it; the village accepts, the township (or whoever decides for it) decides.

``who_handles`` answers for any tenant, in this order: (a) its tier exercises the item and
it has adopted it (power source 1); (b) a valid 下放/授权 covers it and it has adopted it
(2/3); (c) a valid 委托 covers it and it has adopted it (5, decider = the delegator); (d) a
valid 代办 covers it (decider = the township's decider); (e) otherwise not here, naming the
nearest ancestor *entitled* to handle it. Entitlement of tenants other than the one asked
about is judged from the catalog and the delegations only (rows every descendant may read),
never from their implementation lists (which row-level security keeps in their subtree), so
the answer is the same on every backend and in every scope.

This module must never write implementation lists, and ``who_handles`` never writes at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock, events
from zhengwu.core.catalog.access import (
    nearest_published,
    not_found,
    require,
    tenant_by_code,
    writable_tenant,
)
from zhengwu.core.catalog.codes import PowerSource, UseLevel
from zhengwu.core.catalog.inputs import NewDelegation
from zhengwu.core.catalog.models import CatalogItem, Delegation, Implementation
from zhengwu.core.db import ALL_SCOPE, subtree_clause
from zhengwu.core.errors import Conflict, Invalid
from zhengwu.core.security.principal import Principal, is_ancestor_or_self
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant, ancestor_paths, readable

__all__ = [
    "DELEGATION_KINDS",
    "Entitlement",
    "HandlingAnswer",
    "delegate",
    "entitlement",
    "list_delegations",
    "revoke_delegation",
    "who_handles",
]

DELEGATION_KINDS: dict[str, str] = {"2": "下放", "3": "授权", "5": "委托", "agent": "代办"}
"""Kinds of delegation: the national power-source codes 2, 3, 5, and 代办 (acceptance only)."""

_BASIS = {1: "statutory", 2: "delegated", 3: "authorised", 5: "entrusted"}
_BASIS_ZH = {1: "法定本级行使", 2: "上级下放", 3: "上级授权", 5: "上级委托"}
_TIERS_BELOW = ("city", "county", "township", "village")
_TIER_DEPTH = {"platform": 0, "province": 1, "city": 2, "county": 3, "township": 4, "village": 5}


@dataclass(frozen=True)
class Entitlement:
    """Why a tenant may exercise an item: power source, who decides, on which delegation."""

    power_source: int
    decider: Tenant
    delegation: Delegation | None = None


@dataclass(frozen=True)
class HandlingAnswer:
    """Whether ``tenant_code`` may accept ``basic_code`` on ``on``, who decides, and why.

    ``basis``: ``statutory`` | ``delegated`` | ``authorised`` | ``entrusted`` | ``agent`` |
    ``not_handled``. ``decider_*`` names the tenant in whose name the decision is made.
    When not handled, ``handled_by_*`` names the nearest ancestor entitled to handle it.
    """

    tenant_code: str
    basic_code: str
    on: date
    accepts: bool
    basis: str
    decider_code: str | None = None
    decider_name: str | None = None
    power_source: int | None = None
    item_id: uuid.UUID | None = None
    item_version: int | None = None
    implementation_id: uuid.UUID | None = None
    delegation_id: uuid.UUID | None = None
    handled_by_code: str | None = None
    handled_by_name: str | None = None
    note_zh: str = ""
    note_en: str = ""

    @property
    def decides_itself(self) -> bool:
        return self.accepts and self.decider_code == self.tenant_code


def snapshot(d: Delegation) -> dict[str, Any]:
    return {"id": str(d.id), "basic_code": d.basic_code, "kind": d.kind, "from": d.tenant_path,
            "to": d.to_path, "to_tiers": list(d.to_tiers), "valid_from": d.valid_from.isoformat(),
            "valid_to": d.valid_to.isoformat() if d.valid_to else None,
            "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None}


# -- the question ----------------------------------------------------------------------------

async def _covering(session: AsyncSession, tenant: Tenant, code: str, day: date,
                    kinds: tuple[str, ...]) -> list[Delegation]:
    """Valid delegations of ``code`` whose receiving subtree (and tiers) include ``tenant``,
    made by a strict ancestor; nearest delegator first, then by kind (2, 3, 5, agent)."""
    paths = [tenant.path, *ancestor_paths(tenant.path)]
    rows = (await session.scalars(
        select(Delegation).where(
            Delegation.basic_code == code, Delegation.kind.in_(kinds),
            Delegation.to_path.in_(paths), Delegation.revoked_at.is_(None),
            Delegation.valid_from <= day,
            or_(Delegation.valid_to.is_(None), Delegation.valid_to >= day)))).all()
    found = [d for d in rows
             if (not d.to_tiers or tenant.tier in d.to_tiers)
             and d.tenant_path != tenant.path and is_ancestor_or_self(d.tenant_path, tenant.path)]
    order = list(DELEGATION_KINDS)
    return sorted(found, key=lambda d: (-d.tenant_path.count("/"), order.index(d.kind)))


async def entitlement(session: AsyncSession, tenant: Tenant, item: CatalogItem, day: date,
                      *, _depth: int = 0) -> Entitlement | None:
    """Whether ``tenant`` may exercise ``item`` on ``day`` (implementations aside): its tier is
    among the item's exercising tiers (1), or a valid 下放/授权/委托 from an entitled ancestor
    covers it (2/3/5; a delegator holding the item by 委托 cannot pass it on)."""
    if tenant.tier != "platform" and UseLevel.of_tier(tenant.tier) in item.use_levels:
        return Entitlement(PowerSource.STATUTORY, tenant)
    if _depth > 6:
        return None
    for d in await _covering(session, tenant, item.basic_code, day, ("2", "3", "5")):
        delegator = await session.get(Tenant, d.tenant_id)
        if delegator is None:
            continue
        upper = await entitlement(session, delegator, item, day, _depth=_depth + 1)
        if upper is None or upper.power_source == PowerSource.ENTRUSTED:
            continue
        decider = delegator if d.kind == "5" else tenant
        return Entitlement(int(d.kind), decider, d)
    return None


async def _adopted(session: AsyncSession, tenant: Tenant, code: str) -> Implementation | None:
    impl: Implementation | None = await session.scalar(
        select(Implementation).where(Implementation.tenant_id == tenant.id,
                                     Implementation.basic_code == code,
                                     Implementation.status != "retired")
        .order_by(Implementation.created_at).limit(1))
    return impl


async def who_handles(session: AsyncSession, tenant_code: str, basic_code: str, *,
                      on: date | None = None) -> HandlingAnswer:
    """Who may accept ``basic_code`` at ``tenant_code`` on ``on`` (default: today in China),
    who decides, and on what basis. A pure question: writes nothing.

    Call it with a session whose scope covers the tenant (its own, an ancestor's, or the
    operator's): the tenant's implementation list is read through that scope.
    """
    tenant = await tenant_by_code(session, tenant_code)
    code = basic_code.strip().upper()
    day = on or clock.today_shanghai()
    base: dict[str, Any] = {"tenant_code": tenant.code, "basic_code": code, "on": day}
    item = (await nearest_published(session, tenant.path, [code])).get(code)
    if item is None:
        return HandlingAnswer(**base, accepts=False, basis="not_handled",
                              note_zh=f"事项 {code} 不在{tenant.name}可见的已发布目录中",
                              note_en=f"item {code} is in no published catalog {tenant.code} reads")
    base.update(item_id=item.id, item_version=item.version)
    ent = await entitlement(session, tenant, item, day)
    note_zh = note_en = ""
    if ent is not None:
        impl = await _adopted(session, tenant, code)
        if impl is not None:
            ps = ent.power_source
            in_name = "" if ent.decider.id == tenant.id else f"，以{ent.decider.name}名义决定"
            return HandlingAnswer(
                **base, accepts=True, basis=_BASIS[ps], decider_code=ent.decider.code,
                decider_name=ent.decider.name, power_source=ps, implementation_id=impl.id,
                delegation_id=ent.delegation.id if ent.delegation else None,
                note_zh=f"{tenant.name}受理（{_BASIS_ZH[ps]}）{in_name}",
                note_en=f"{tenant.code} accepts ({_BASIS[ps]}); {ent.decider.code} decides")
        note_zh = f"{tenant.name}可行使该事项（{_BASIS_ZH[ent.power_source]}），但未纳入实施清单"
        note_en = f"{tenant.code} may exercise the item ({_BASIS[ent.power_source]}) but has not adopted it"
    for d in await _covering(session, tenant, code, day, ("agent",)):
        township = await session.get(Tenant, d.tenant_id)
        if township is None:
            continue
        upper = await entitlement(session, township, item, day)
        if upper is not None:
            return HandlingAnswer(
                **base, accepts=True, basis="agent", decider_code=upper.decider.code,
                decider_name=upper.decider.name, power_source=upper.power_source,
                delegation_id=d.id,
                note_zh=f"{tenant.name}代办受理，由{upper.decider.name}决定",
                note_en=f"{tenant.code} accepts as an agent point; {upper.decider.code} decides")
    for path in reversed(ancestor_paths(tenant.path)):
        ancestor = await session.scalar(select(Tenant).where(Tenant.path == path))
        if ancestor is None:
            continue
        if await entitlement(session, ancestor, item, day) is not None:
            return HandlingAnswer(
                **base, accepts=False, basis="not_handled", handled_by_code=ancestor.code,
                handled_by_name=ancestor.name,
                note_zh=note_zh or f"{tenant.name}不办理该事项，请到{ancestor.name}办理",
                note_en=note_en or f"not handled at {tenant.code}; {ancestor.code} handles it")
    return HandlingAnswer(**base, accepts=False, basis="not_handled",
                          note_zh=note_zh or f"{tenant.name}及其上级均不办理该事项",
                          note_en=note_en or f"neither {tenant.code} nor its ancestors handle it")


# -- delegating ------------------------------------------------------------------------------

async def delegate(session: AsyncSession, principal: Principal, from_code: str,
                   new: NewDelegation) -> Delegation:
    """``from_code`` hands ``new.basic_code`` to ``new.to_code`` (and its subtree).

    The item must be published in a catalog the delegator reads and exercisable by it (not
    held by 委托, except for 代办); the receiver must lie strictly below it, or be the
    delegator itself with ``to_tiers`` strictly below it (every township of a county).
    ``agent``: a township to a village.
    """
    giver = await writable_tenant(session, principal, from_code, "delegation:write")
    receiver = await access_tenant(session, principal, new.to_code)
    code = (new.basic_code or "").strip().upper()
    day = new.valid_from or clock.today_shanghai()

    def bad(err: str, zh: str, en: str, field: str) -> Invalid:
        return Invalid(f"delegation.{err}", zh, en, field=field, item=code)

    if new.kind not in DELEGATION_KINDS:
        raise bad("bad_kind", f"委托方式 {new.kind} 应为 2（下放）、3（授权）、5（委托）或 agent（代办）",
                  f"kind {new.kind} must be 2, 3, 5 or agent", "kind")
    # The receiver lies strictly below; or it is the giver itself with tiers strictly below
    # it named ("all my townships"): the giver is never among the receivers.
    whole_tiers = (receiver.path == giver.path and bool(new.to_tiers) and new.kind != "agent"
                   and all(_TIER_DEPTH.get(t, 0) > _TIER_DEPTH[giver.tier] for t in new.to_tiers))
    if not is_ancestor_or_self(giver.path, receiver.path) or (receiver.path == giver.path
                                                              and not whole_tiers):
        raise bad("not_below", f"{receiver.name} 不在 {giver.name} 之下",
                  f"{receiver.code} is not below {giver.code}", "to_code")
    if new.kind == "agent":
        if giver.tier != "township":
            raise bad("agent_not_township", "代办只能由乡镇（街道）委托给村（社区）代办点",
                      "only a township entrusts acceptance (代办) to village agent points", "kind")
        if receiver.tier != "village":
            raise bad("agent_not_village", f"代办点须为村（社区），{receiver.name} 不是",
                      f"agent points are villages; {receiver.code} is a {receiver.tier}", "to_code")
    bad_tiers = [t for t in new.to_tiers if t not in _TIERS_BELOW
                 or _TIER_DEPTH[t] < _TIER_DEPTH[receiver.tier]]
    if bad_tiers:
        raise bad("bad_tier", f"层级 {bad_tiers} 不在 {receiver.name} 及其下级中",
                  f"tiers {bad_tiers} are not {receiver.code}'s tier or below", "to_tiers")
    if new.valid_to is not None and new.valid_to < day:
        raise bad("bad_dates", f"截止日期 {new.valid_to} 早于起始日期 {day}",
                  f"valid_to {new.valid_to} is before valid_from {day}", "valid_to")
    item = (await nearest_published(session, giver.path, [code])).get(code)
    if item is None:
        raise not_found("catalog_item", code)
    ent = await entitlement(session, giver, item, day)
    # 代办 passes on acceptance only, so a township holding the item by 委托 may use agents.
    if ent is None or (ent.power_source == PowerSource.ENTRUSTED and new.kind != "agent"):
        why = "受委托的事项不能再委托" if ent else "本级不行使该事项"
        raise bad("not_exercised", f"{giver.name} 不能委托事项 {code}：{why}",
                  f"{giver.code} cannot hand on {code}: "
                  + ("what was entrusted cannot be passed on" if ent else "it does not exercise it"),
                  "basic_code")
    clash = await session.scalar(select(Delegation.id).where(
        Delegation.tenant_id == giver.id, Delegation.basic_code == code,
        Delegation.to_path == receiver.path, Delegation.kind == new.kind,
        Delegation.revoked_at.is_(None),
        or_(Delegation.valid_to.is_(None), Delegation.valid_to >= day)))
    if clash is not None:
        raise Conflict("delegation.duplicate",
                       f"{giver.name} 已将事项 {code} {DELEGATION_KINDS[new.kind]}给 {receiver.name}",
                       f"{giver.code} already delegated {code} ({new.kind}) to {receiver.code}",
                       field="basic_code", item=code)
    d = Delegation(basic_code=code, kind=new.kind, to_path=receiver.path,
                   to_tiers=list(new.to_tiers), valid_from=day, valid_to=new.valid_to,
                   note=new.note, tenant_id=giver.id, tenant_path=giver.path)
    session.add(d)
    await session.flush()
    await audit.record(session, principal, "delegation.create", tenant_id=giver.id,
                       tenant_path=giver.path, target_type="delegation", target_id=d.id,
                       after=snapshot(d))
    await events.publish(session, "delegation.created", giver.id, giver.path,
                         {"code": code, "kind": new.kind, "from": giver.code,
                          "to": receiver.code}, principal.username)
    return d


async def revoke_delegation(session: AsyncSession, principal: Principal,
                            delegation_id: uuid.UUID) -> Delegation:
    """Revoke a delegation. Implementations that relied on it (adopted under its power
    source in the receiving subtree) are flagged ``needs_review``."""
    d = await session.get(Delegation, delegation_id)
    if d is None or not readable(principal, d.tenant_path):
        raise not_found("delegation", delegation_id)
    require(principal, "delegation:write", d.tenant_path)
    if d.revoked_at is not None:
        raise Conflict("delegation.revoked", f"该委托已于 {d.revoked_at:%Y-%m-%d} 撤销",
                       f"the delegation was revoked on {d.revoked_at:%Y-%m-%d}", field="id")
    before = snapshot(d)
    d.revoked_at = clock.now()
    flagged = 0
    if d.kind != "agent":
        res = await session.execute(
            update(Implementation).where(
                Implementation.basic_code == d.basic_code,
                Implementation.power_source == int(d.kind),
                Implementation.status == "active",
                subtree_clause(Implementation.tenant_path, d.to_path))
            .values(status="needs_review", updated_at=clock.now(),
                    review_reason=f"{DELEGATION_KINDS[d.kind]}已撤销 / delegation revoked")
            .execution_options(synchronize_session="fetch"))
        flagged = int(res.rowcount)  # type: ignore[attr-defined]
    await session.flush()
    await audit.record(session, principal, "delegation.revoke", tenant_id=d.tenant_id,
                       tenant_path=d.tenant_path, target_type="delegation", target_id=d.id,
                       before=before, after={**snapshot(d), "flagged_implementations": flagged})
    await events.publish(session, "delegation.revoked", d.tenant_id, d.tenant_path,
                         {"code": d.basic_code, "kind": d.kind, "flagged": flagged},
                         principal.username)
    return d


async def list_delegations(session: AsyncSession, principal: Principal, *,
                           basic_code: str | None = None,
                           include_revoked: bool = False) -> list[Delegation]:
    """Delegations the principal may read, filtered in SQL: made in its acting tenant's
    subtree, or made by an ancestor and reaching it (received by it, an ancestor of it, or a
    tenant below it)."""
    require(principal, "delegation:read", principal.acting_path)
    stmt = select(Delegation)
    if principal.acting_path != ALL_SCOPE:
        own = principal.acting_path
        above = ancestor_paths(own)
        reaches_here = (Delegation.to_path.in_([*above, own])
                        | subtree_clause(Delegation.to_path, own))
        stmt = stmt.where(subtree_clause(Delegation.tenant_path, own)
                          | (Delegation.tenant_path.in_(above) & reaches_here))
    if basic_code is not None:
        stmt = stmt.where(Delegation.basic_code == basic_code.strip().upper())
    if not include_revoked:
        stmt = stmt.where(Delegation.revoked_at.is_(None))
    return list((await session.scalars(
        stmt.order_by(Delegation.basic_code, Delegation.tenant_path, Delegation.valid_from))).all())
