"""Reading cases: the scoped case list (keyset-paged in SQL) and the batch reads behind the
GraphQL DataLoaders.

Everything here reads through the principal's scope — the acting tenant's subtree, in SQL,
on every statement (row-level security repeats it on PostgreSQL) — and needs ``case:read``
at the acting tenant. Assessors (``case_stats:read`` only) therefore read no case at all. A
page of cases costs one statement whatever its size: the accepting and handling tenants come
joined with the cases, and each relation (history, steps, materials …) is one batched
statement for the whole page. Nothing here writes, and nothing here decrypts personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import Invalid, NotFound, PermissionDenied
from zhengwu.core.pii import validate_id_number, validate_phone
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.intake import service
from zhengwu.plugins.intake.inputs import CaseFilter
from zhengwu.plugins.intake.lifecycle import OPEN
from zhengwu.plugins.intake.models import (
    Case,
    CaseFee,
    CaseHistory,
    CaseMaterial,
    CaseNotice,
    CaseStep,
    Pause,
    SupplementNotice,
)
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant

__all__ = [
    "ORDERS",
    "CasePage",
    "cases_by_id",
    "children_of",
    "find_case",
    "list_cases",
    "page_key",
    "parts_of_many",
]

ORDERS = ("submitted_desc", "submitted_asc", "case_no")
"""Orders of the case list: newest first (the default), oldest first, by case number."""

M = TypeVar("M", CaseHistory, CaseStep, CaseMaterial, Pause, SupplementNotice, CaseFee,
              CaseNotice)

_ORDER_OF: dict[type, Sequence[Any]] = {
    CaseHistory: (CaseHistory.at, CaseHistory.id),
    CaseStep: (CaseStep.seq,),
    CaseMaterial: (CaseMaterial.seq,),
    Pause: (Pause.started_at, Pause.id),
    SupplementNotice: (SupplementNotice.round,),
    CaseFee: (CaseFee.charged_at, CaseFee.id),
    CaseNotice: (CaseNotice.issued_at, CaseNotice.id),  # ids are time-ordered (UUIDv7)
}


def _require_read(principal: Principal) -> None:
    """``case:read`` at the acting tenant (its grants cover the subtree the scope gives)."""
    if principal.is_anonymous or not can(principal, "read", Resource("case", principal.acting_path)):
        raise PermissionDenied("case:read", principal.acting_path)


@dataclass
class CasePage:
    """A page of cases (``has_next``: a further row exists) and the tenants they name."""

    cases: list[Case]
    has_next: bool
    tenants: dict[uuid.UUID, Tenant] = field(default_factory=dict)


def page_key(case: Case, order: str) -> str:
    """The keyset position of ``case`` in ``order`` (what a cursor carries)."""
    if order == "case_no":
        return case.case_no
    at = case.submitted_at if case.submitted_at.tzinfo else case.submitted_at.replace(tzinfo=UTC)
    return f"{at.astimezone(UTC).isoformat()}|{case.id}"


def _after(order: str, key: str) -> Any:
    if order == "case_no":
        return Case.case_no > key
    try:
        raw_at, raw_id = key.split("|")
        at, last = datetime.fromisoformat(raw_at), uuid.UUID(raw_id)
    except ValueError as exc:
        raise Invalid("pagination.bad_cursor", "分页游标无效", "invalid pagination cursor",
                      field="after") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if order == "submitted_asc":
        return or_(Case.submitted_at > at, and_(Case.submitted_at == at, Case.id > last))
    return or_(Case.submitted_at < at, and_(Case.submitted_at == at, Case.id < last))


async def list_cases(session: AsyncSession, principal: Principal, filter: CaseFilter | None,
                     first: int, after: str | None = None, order: str = "submitted_desc"
                     ) -> CasePage:
    """The cases of the principal's scope matching ``filter``, ``first`` of them after the
    keyset position ``after`` (see ``page_key``), in ``order``.

    A village agent point's scope is its point, a township's is its centre and villages, a
    county's its whole area; ``handled_here`` keeps the cases the acting tenant handles
    (reviews and decides), whoever accepted them.
    """
    _require_read(principal)
    if order not in ORDERS:
        raise Invalid("case.order", f"排序必须是 {'/'.join(ORDERS)}",
                      f"order must be one of {', '.join(ORDERS)}", field="order")
    f = filter or CaseFilter()
    root = principal.acting_path
    if f.under:
        tenant = await access_tenant(session, principal, f.under)
        if not principal.sees(tenant.path):  # an ancestor is readable, its cases are not
            raise NotFound("tenant", f.under)
        root = tenant.path
    accepting, handling = aliased(Tenant), aliased(Tenant)
    q = (select(Case, accepting, handling)
         .join(accepting, accepting.id == Case.tenant_id)
         .join(handling, handling.id == Case.handling_tenant_id)
         .where(subtree_clause(Case.tenant_path, root)))
    if f.status:
        q = q.where(Case.status.in_(f.status))
    if f.channel:
        q = q.where(Case.channel == f.channel)
    if f.basic_code:
        q = q.where(Case.basic_code == f.basic_code.strip().upper())
    if f.case_no:
        q = q.where(Case.case_no == f.case_no.strip())
    if f.submitted_from:
        q = q.where(Case.submitted_on >= f.submitted_from)
    if f.submitted_to:
        q = q.where(Case.submitted_on <= f.submitted_to)
    if f.overdue_on:
        q = q.where(Case.status.in_(OPEN), Case.due_date < f.overdue_on)
    if f.handled_here:
        q = q.where(Case.handling_path == principal.acting_path)
    if not f.include_parts:
        q = q.where(Case.parent_id.is_(None))
    if f.applicant_id_number or f.applicant_phone:  # by keyed hash: nothing is decrypted
        cipher = service.current_cipher()
        if f.applicant_id_number:
            number = validate_id_number(f.applicant_id_number, field="filter.applicantIdNumber")
            q = q.where(Case.applicant_id_hash == cipher.blind_index("id_number", number))
        if f.applicant_phone:
            phone = validate_phone(f.applicant_phone, field="filter.applicantPhone")
            q = q.where(Case.phone_hash == cipher.blind_index("phone", phone))
    if after is not None:
        q = q.where(_after(order, after))
    if order == "case_no":
        q = q.order_by(Case.case_no)
    elif order == "submitted_asc":
        q = q.order_by(Case.submitted_at, Case.id)
    else:
        q = q.order_by(Case.submitted_at.desc(), Case.id.desc())
    rows = (await session.execute(q.limit(first + 1))).all()
    page = CasePage(cases=[r[0] for r in rows[:first]], has_next=len(rows) > first)
    for _case, acc, hdl in rows[:first]:
        page.tenants[acc.id] = acc
        page.tenants[hdl.id] = hdl
    return page


async def find_case(session: AsyncSession, principal: Principal, key: uuid.UUID | str) -> Case:
    """One case by id or case number, for reading: ``case:read`` at the acting tenant first
    (so a principal without it learns nothing, not even whether a number exists), then the
    scoped accessor of the services."""
    _require_read(principal)
    return await service.get_case(session, principal, key)


async def children_of(session: AsyncSession, principal: Principal, model: type[M],
                      case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[M]]:
    """Rows of ``model`` (history, steps, materials, pauses, supplement notices, fees, printed
    notices) of many cases in
    one statement, grouped by case and in their natural order; scoped like the cases."""
    out: dict[uuid.UUID, list[M]] = {i: [] for i in case_ids}
    if not case_ids:
        return out
    column = model.case_id
    rows = await session.scalars(
        select(model).where(column.in_(list(set(case_ids))),
                            subtree_clause(model.tenant_path, principal.acting_path))
        .order_by(column, *_ORDER_OF[model]))
    for row in rows:
        out[row.case_id].append(row)
    return out


async def parts_of_many(session: AsyncSession, principal: Principal,
                        parent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Case]]:
    """Sub-cases of many parallel approvals (并联审批), by case number; one statement."""
    out: dict[uuid.UUID, list[Case]] = {i: [] for i in parent_ids}
    if not parent_ids:
        return out
    rows = await session.scalars(
        select(Case).where(Case.parent_id.in_(list(set(parent_ids))),
                           subtree_clause(Case.tenant_path, principal.acting_path))
        .order_by(Case.case_no))
    for row in rows:
        assert row.parent_id is not None
        out[row.parent_id].append(row)
    return out


async def cases_by_id(session: AsyncSession, principal: Principal,
                      ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Case]:
    """Cases of the principal's scope by id (absent: not found or not yours); one statement."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(Case).where(Case.id.in_(list(set(ids))),
                           subtree_clause(Case.tenant_path, principal.acting_path)))
    return {r.id: r for r in rows}
