"""Reading cards and tickets: the scoped lists behind the GraphQL connections and loaders.

Every query is filtered in SQL by the principal's scope (the acting tenant's subtree) after
``alert:read`` is checked once at the acting tenant — never row by row. Lists page by keyset on
the id (uuid7: time-ordered), newest first by default.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Invalid, NotFound
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.supervision.models import (
    Alert,
    AlertEntry,
    Complaint,
    Rating,
    RatingStep,
    SupervisionTicket,
    TicketEntry,
)
from zhengwu.plugins.supervision.service import require
from zhengwu.tenants.scope import access_tenant

__all__ = ["AlertFilter", "Page", "entries_of", "list_alerts", "list_complaints", "list_ratings",
           "list_tickets", "steps_of", "ticket_entries_of", "tickets_of"]


@dataclass(frozen=True)
class AlertFilter:
    under: str | None = None  # division code inside the acting tenant's subtree
    colour: str | None = None
    kinds: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    live: bool | None = None  # True: not closed nor cleared; False: closed or cleared
    case_no: str | None = None
    raised_from: date | None = None
    raised_to: date | None = None


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    has_next: bool
    total: int
    extra: dict[str, Any] = field(default_factory=dict)


async def _root(session: AsyncSession, principal: Principal, under: str | None) -> str:
    if principal.is_anonymous:
        raise NotFound("alert")
    require(principal, "read", principal.acting_path)
    if not under:
        return principal.acting_path
    tenant = await access_tenant(session, principal, under)
    if not principal.sees(tenant.path):  # an ancestor is readable, its cards are not
        raise NotFound("tenant", under)
    return tenant.path


def _after(after: str | None) -> uuid.UUID | None:
    if after is None:
        return None
    try:
        return uuid.UUID(after)
    except ValueError:
        raise Invalid("pagination.bad_cursor", "分页游标无效", "invalid pagination cursor",
                      field="after") from None


async def list_alerts(session: AsyncSession, principal: Principal, f: AlertFilter | None,
                      size: int, after: str | None, newest_first: bool = True) -> Page:
    f = f or AlertFilter()
    root = await _root(session, principal, f.under)
    conds: list[Any] = [subtree_clause(Alert.tenant_path, root)]
    if f.colour:
        conds.append(Alert.colour == f.colour)
    if f.kinds:
        conds.append(Alert.kind.in_(f.kinds))
    if f.reasons:
        conds.append(Alert.reason.in_(f.reasons))
    if f.statuses:
        conds.append(Alert.status.in_(f.statuses))
    if f.live is True:
        conds.append(Alert.status.not_in(("closed", "cleared")))
    elif f.live is False:
        conds.append(Alert.status.in_(("closed", "cleared")))
    if f.case_no:
        conds.append(Alert.case_no == f.case_no.strip())
    if f.raised_from:
        conds.append(Alert.raised_on >= f.raised_from)
    if f.raised_to:
        conds.append(Alert.raised_on <= f.raised_to)
    total = int(await session.scalar(select(func.count()).select_from(Alert).where(*conds)) or 0)
    q = select(Alert).where(*conds)
    key = _after(after)
    if key is not None:
        q = q.where(Alert.id < key if newest_first else Alert.id > key)
    q = q.order_by(Alert.id.desc() if newest_first else Alert.id).limit(size + 1)
    rows = list((await session.scalars(q)).all())
    return Page(rows[:size], len(rows) > size, total)


async def list_tickets(session: AsyncSession, principal: Principal, under: str | None,
                       open_only: bool, size: int, after: str | None) -> Page:
    root = await _root(session, principal, under)
    conds: list[Any] = [subtree_clause(SupervisionTicket.tenant_path, root)]
    if open_only:
        conds.append(SupervisionTicket.status == "open")
    total = int(await session.scalar(
        select(func.count()).select_from(SupervisionTicket).where(*conds)) or 0)
    q = select(SupervisionTicket).where(*conds)
    key = _after(after)
    if key is not None:
        q = q.where(SupervisionTicket.id < key)
    rows = list((await session.scalars(
        q.order_by(SupervisionTicket.id.desc()).limit(size + 1))).all())
    return Page(rows[:size], len(rows) > size, total)


async def _grouped(session: AsyncSession, principal: Principal, model: Any, key: Any,
                   ids: Sequence[uuid.UUID], order: Sequence[Any]) -> dict[uuid.UUID, list[Any]]:
    """Rows of ``model`` for many ``key`` values in one statement (a DataLoader's batch),
    grouped by key in ``order`` and kept to the acting tenant's subtree."""
    out: dict[uuid.UUID, list[Any]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = (await session.scalars(select(model).where(
        key.in_(list(ids)), subtree_clause(model.tenant_path, principal.acting_path))
        .order_by(*order))).all()
    for r in rows:
        out[getattr(r, key.key)].append(r)
    return out


async def entries_of(session: AsyncSession, principal: Principal,
                     alert_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[AlertEntry]]:
    """The history of many cards in one statement (a DataLoader's batch), oldest first."""
    return await _grouped(session, principal, AlertEntry, AlertEntry.alert_id, alert_ids,
                          (AlertEntry.at, AlertEntry.id))


async def ticket_entries_of(session: AsyncSession, principal: Principal,
                            ticket_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[TicketEntry]]:
    """The history of many 督办 tickets in one statement (a DataLoader's batch), oldest first."""
    return await _grouped(session, principal, TicketEntry, TicketEntry.ticket_id, ticket_ids,
                          (TicketEntry.at, TicketEntry.id))


async def tickets_of(session: AsyncSession, principal: Principal,
                     case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[SupervisionTicket]]:
    """The 督办 tickets of many cases in one statement, oldest first."""
    return await _grouped(session, principal, SupervisionTicket, SupervisionTicket.case_id,
                          case_ids, (SupervisionTicket.id,))


async def list_ratings(session: AsyncSession, principal: Principal, under: str | None,
                       bad_only: bool, case_no: str | None, size: int, after: str | None) -> Page:
    """The ratings of the acting tenant's subtree (or of ``under``), newest first."""
    root = await _root(session, principal, under)
    conds: list[Any] = [subtree_clause(Rating.tenant_path, root)]
    if bad_only:
        conds.append(Rating.bad)
    if case_no:
        conds.append(Rating.case_no == case_no.strip())
    total = int(await session.scalar(select(func.count()).select_from(Rating).where(*conds)) or 0)
    q = select(Rating).where(*conds)
    key = _after(after)
    if key is not None:
        q = q.where(Rating.id < key)
    rows = list((await session.scalars(q.order_by(Rating.id.desc()).limit(size + 1))).all())
    return Page(rows[:size], len(rows) > size, total)


async def steps_of(session: AsyncSession, principal: Principal,
                   rating_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[RatingStep]]:
    """The recorded steps of many ratings in one statement, oldest first."""
    out: dict[uuid.UUID, list[RatingStep]] = {i: [] for i in rating_ids}
    if not rating_ids:
        return out
    rows = (await session.scalars(select(RatingStep).where(
        RatingStep.rating_id.in_(list(rating_ids)),
        subtree_clause(RatingStep.tenant_path, principal.acting_path))
        .order_by(RatingStep.at, RatingStep.id))).all()
    for r in rows:
        out[r.rating_id].append(r)
    return out


async def list_complaints(session: AsyncSession, principal: Principal, under: str | None,
                          status: str | None, size: int, after: str | None) -> Page:
    """The complaints assigned within the acting tenant's subtree (or ``under``), newest first."""
    root = await _root(session, principal, under)
    conds: list[Any] = [subtree_clause(Complaint.tenant_path, root)]
    if status:
        conds.append(Complaint.status == status)
    total = int(await session.scalar(
        select(func.count()).select_from(Complaint).where(*conds)) or 0)
    q = select(Complaint).where(*conds)
    key = _after(after)
    if key is not None:
        q = q.where(Complaint.id < key)
    rows = list((await session.scalars(q.order_by(Complaint.id.desc()).limit(size + 1))).all())
    return Page(rows[:size], len(rows) > size, total)
