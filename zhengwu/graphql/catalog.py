"""GraphQL of the service-item standard: catalog (tiers that own it), implementations (tiers
that adopt), delegations, and service guides (everywhere).

Resolvers translate only; the rules live in ``zhengwu.core.catalog``. Catalog lists are
fetched by the services (already scoped) and paged here by a keyset on the sort key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.scalars import JSON

from zhengwu.core.catalog import delegation as delegation_service
from zhengwu.core.catalog import guide as guide_service
from zhengwu.core.catalog import implementation as implementation_service
from zhengwu.core.catalog import service as catalog_service
from zhengwu.core.catalog.codes import ITEM_TYPES
from zhengwu.core.catalog.inputs import (
    LocalFee,
    LocalMaterial,
    NewDelegation,
    NewFee,
    NewImplementation,
    NewItem,
    NewMaterial,
    NewStep,
)
from zhengwu.core.catalog.models import CatalogItem as ItemRow
from zhengwu.core.catalog.models import Implementation as ImplementationRow
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.pagination import Connection, build_connection, decode_cursor, page_size
from zhengwu.graphql.types import Info
from zhengwu.tenants.models import Tenant as TenantRow

__all__ = ["CatalogMutation", "CatalogQuery", "DelegationMutation", "ImplementationMutation"]

R = TypeVar("R")


def _page(rows: Sequence[R], key: Callable[[R], str], first: int | None, after: str | None,
          node: Callable[[R], Any]) -> Connection[Any]:
    size = page_size(first)
    cursor = decode_cursor(after)
    ordered = sorted(rows, key=key)
    if cursor is not None:
        ordered = [r for r in ordered if key(r) > cursor]
    return build_connection(ordered[: size + 1], size, key=key, node=node, after=after,
                            total=len(rows))


# ------------------------------------------------------------------------------ types

@strawberry.type(description="申请材料 — a material an item requires.")
class Material:
    seq: int
    name: str
    form: str = strawberry.field(description="paper | electronic | both")
    originals: int
    copies: int
    required: bool
    blank_form_url: str | None
    sample_url: str | None
    legal_basis: str | None


@strawberry.type(description="收费项目 — a fee with its standard and basis.")
class Fee:
    seq: int
    name: str
    standard: str
    max_amount_cents: int | None
    basis: str | None
    reducible: bool


@strawberry.type(description="办理环节 — a procedure step and its limit in working days.")
class Step:
    seq: int
    name: str
    limit_days: int | None
    role: str | None


@strawberry.type(description="基本目录事项 — a catalog item version.")
class CatalogItem(relay.Node):
    id: relay.NodeID[str]
    basic_code: str
    version: int
    status: str = strawberry.field(description="draft | published | retired")
    name: str
    item_type: str
    item_type_name: str
    owner_path: str
    legal_basis: str | None
    use_levels: list[int] = strawberry.field(description="行使层级 1 national … 6 village")
    statutory_days: int | None = strawberry.field(description="法定办结时限 (working days)")
    case_type: int = strawberry.field(description="1 即办件, 2 承诺件")
    conditions: str | None
    quantity_limit: str | None
    max_visits: int | None
    online_depth: int | None
    applicant_types: list[int]
    result_type: str | None
    result_name: str | None
    is_free: bool
    item_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, r: ItemRow) -> CatalogItem:
        return cls(id=str(r.id), basic_code=r.basic_code, version=r.version, status=r.status,
                   name=r.name, item_type=r.item_type,
                   item_type_name=ITEM_TYPES.get(r.item_type, r.item_type), owner_path=r.tenant_path,
                   legal_basis=r.legal_basis, use_levels=list(r.use_levels),
                   statutory_days=r.statutory_days, case_type=r.case_type, conditions=r.conditions,
                   quantity_limit=r.quantity_limit, max_visits=r.max_visits,
                   online_depth=r.online_depth, applicant_types=list(r.applicant_types),
                   result_type=r.result_type, result_name=r.result_name, is_free=r.is_free,
                   item_id=r.id)

    @strawberry.field(description="Materials, fees and steps of this version.")
    async def materials(self, info: Info) -> list[Material]:
        elements = await info.context.loaders.catalog_elements.load(self.item_id)
        return [Material(seq=m.seq, name=m.name, form=m.form, originals=m.originals,
                         copies=m.copies, required=m.required, blank_form_url=m.blank_form_url,
                         sample_url=m.sample_url, legal_basis=m.legal_basis)
                for m in elements.materials]

    @strawberry.field
    async def fees(self, info: Info) -> list[Fee]:
        elements = await info.context.loaders.catalog_elements.load(self.item_id)
        return [Fee(seq=f.seq, name=f.name, standard=f.standard,
                    max_amount_cents=f.max_amount_cents, basis=f.basis, reducible=f.reducible)
                for f in elements.fees]

    @strawberry.field
    async def steps(self, info: Info) -> list[Step]:
        elements = await info.context.loaders.catalog_elements.load(self.item_id)
        return [Step(seq=s.seq, name=s.name, limit_days=s.limit_days, role=s.role)
                for s in elements.steps]


@strawberry.type(description="实施清单事项 — a tenant's adoption of a catalog item version.")
class Implementation(relay.Node):
    id: relay.NodeID[str]
    implementation_code: str
    basic_code: str
    tenant_path: str
    status: str = strawberry.field(description="active | needs_review | retired")
    review_reason: str | None
    department_name: str
    department_credit_code: str
    use_level: int
    power_source: int
    promised_days: int | None
    max_visits: int | None
    online: bool
    online_url: str | None
    in_hall: bool
    not_in_hall_reason: str | None
    appointment: bool
    courier: bool
    item_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, r: ImplementationRow) -> Implementation:
        return cls(id=str(r.id), implementation_code=r.implementation_code,
                   basic_code=r.basic_code, tenant_path=r.tenant_path, status=r.status,
                   review_reason=r.review_reason, department_name=r.department_name,
                   department_credit_code=r.department_credit_code, use_level=r.use_level,
                   power_source=r.power_source, promised_days=r.promised_days,
                   max_visits=r.max_visits, online=r.online, online_url=r.online_url,
                   in_hall=r.in_hall, not_in_hall_reason=r.not_in_hall_reason,
                   appointment=r.appointment, courier=r.courier, item_id=r.catalog_item_id)

    @strawberry.field(description="The catalog item version adopted.")
    async def item(self, info: Info) -> CatalogItem | None:
        row = await info.context.loaders.catalog_item_by_id.load(self.item_id)
        return CatalogItem.from_row(row) if row is not None else None


@strawberry.type(description="待复核 — an implementation pending review after a new catalog version.")
class DriftEntry:
    tenant_code: str
    tenant_name: str
    basic_code: str
    item_name: str
    adopted_version: int
    newest_version: int | None
    since: datetime | None
    reason: str | None


@strawberry.type(description="Who may accept an item at a tenant, and who decides.")
class Handling:
    tenant_code: str
    basic_code: str
    on: date
    accepts: bool
    basis: str = strawberry.field(
        description="statutory | delegated | authorised | entrusted | agent | not_handled")
    decider_code: str | None
    decider_name: str | None
    power_source: int | None
    handled_by_code: str | None
    note: str


@strawberry.type(description="下放/授权/委托/代办 — an item handed down the tree.")
class Delegation:
    id: strawberry.ID
    basic_code: str
    kind: str
    from_path: str
    to_path: str
    to_tiers: list[str]
    valid_from: date
    valid_to: date | None
    revoked: bool


def _delegation(d: Any) -> Delegation:
    return Delegation(id=strawberry.ID(str(d.id)), basic_code=d.basic_code, kind=d.kind,
                      from_path=d.tenant_path, to_path=d.to_path, to_tiers=list(d.to_tiers),
                      valid_from=d.valid_from, valid_to=d.valid_to, revoked=d.revoked_at is not None)


@strawberry.input(description="Filter of the catalog list.")
class CatalogFilter:
    search: str | None = None
    item_type: str | None = None
    status: str | None = None
    owner_code: str | None = None


@strawberry.input(description="Filter of the implementation list.")
class ImplementationFilter:
    tenant_code: str | None = None
    status: str | None = None
    search: str | None = None


# ------------------------------------------------------------------------------ queries

@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Catalog item versions readable here (own and ancestors' catalogs).")
    async def catalog_items(self, info: Info, filter: CatalogFilter | None = None,
                            first: int | None = None, after: str | None = None
                            ) -> Connection[CatalogItem]:
        f = filter or CatalogFilter()
        ctx = info.context
        rows = await catalog_service.list_items(ctx.session, ctx.principal, owner_code=f.owner_code,
                                                search=f.search, item_type=f.item_type,
                                                status=f.status)
        for r in rows:
            ctx.loaders.catalog_item_by_id.prime(r.id, r)
        return _page(rows, lambda r: f"{r.basic_code}:{r.version:06d}:{r.tenant_path}", first,
                     after, CatalogItem.from_row)

    @strawberry.field(description="One catalog item by basic code (newest published unless version).")
    async def catalog_item(self, info: Info, basic_code: str,
                           version: int | None = None) -> CatalogItem:
        ctx = info.context
        row = await catalog_service.get_item(ctx.session, ctx.principal, code=basic_code,
                                             version=version)
        return CatalogItem.from_row(row)

    @strawberry.field(description="Implementations of the caller's subtree.")
    async def implementations(self, info: Info, filter: ImplementationFilter | None = None,
                              first: int | None = None, after: str | None = None
                              ) -> Connection[Implementation]:
        f = filter or ImplementationFilter()
        ctx = info.context
        size = page_size(first)
        cursor = decode_cursor(after)
        key: tuple[str, str, str] | None = None
        if cursor is not None:
            parts = cursor.split("|")
            if len(parts) != 3:
                from zhengwu.core.errors import Invalid

                raise Invalid("pagination.bad_cursor", "分页游标无效", "invalid cursor", field="after")
            key = (parts[0], parts[1], parts[2])
        rows = await implementation_service.list_implementations(
            ctx.session, ctx.principal, tenant_code=f.tenant_code, status=f.status,
            search=f.search, after=key, limit=size + 1)
        return build_connection(
            rows, size, key=lambda r: f"{r.tenant_path}|{r.basic_code}|{r.department_credit_code}",
            node=Implementation.from_row, after=after)

    @strawberry.field(description="What is pending review where (after new catalog versions).")
    async def drift_report(self, info: Info, under: str | None = None) -> list[DriftEntry]:
        ctx = info.context
        rows = await implementation_service.drift_report(ctx.session, ctx.principal, under=under)
        return [DriftEntry(tenant_code=r.tenant_code, tenant_name=r.tenant_name,
                           basic_code=r.basic_code, item_name=r.item_name,
                           adopted_version=r.adopted_version, newest_version=r.newest_version,
                           since=r.since, reason=r.reason) for r in rows]

    @strawberry.field(description="Who may accept an item at a tenant (default: acting), who decides.")
    async def handling(self, info: Info, basic_code: str, tenant_code: str | None = None,
                       on: date | None = None) -> Handling:
        ctx = info.context
        from zhengwu.tenants.scope import access_tenant

        code = tenant_code or ctx.principal.acting_code
        tenant = await access_tenant(ctx.session, ctx.principal, code)
        if not ctx.principal.sees(tenant.path):  # the subtree only, not the breadcrumbs
            from zhengwu.core.errors import NotFound

            raise NotFound("tenant", code)
        a = await delegation_service.who_handles(ctx.session, code, basic_code, on=on)
        return Handling(tenant_code=a.tenant_code, basic_code=a.basic_code, on=a.on,
                        accepts=a.accepts, basis=a.basis, decider_code=a.decider_code,
                        decider_name=a.decider_name, power_source=a.power_source,
                        handled_by_code=a.handled_by_code,
                        note=a.note_en if ctx.lang == "en" else a.note_zh)

    @strawberry.field(description="办事指南 of an implementation of the caller's subtree (JSON).")
    async def guide(self, info: Info, implementation_code: str) -> JSON:
        ctx = info.context
        impl = await ctx.session.scalar(select(ImplementationRow).where(
            ImplementationRow.implementation_code == implementation_code.strip()))
        if impl is None or not ctx.principal.sees(impl.tenant_path):
            from zhengwu.core.errors import NotFound

            raise NotFound("implementation", implementation_code)
        impl = await implementation_service.get_implementation(ctx.session, ctx.principal, impl.id)
        tenant = await ctx.session.get(TenantRow, impl.tenant_id)
        item = await ctx.session.get(ItemRow, impl.catalog_item_id)
        assert tenant is not None and item is not None
        return (await guide_service.guide_of(ctx.session, tenant, impl, item)).to_dict()


# ------------------------------------------------------------------------------ mutations

@strawberry.input
class MaterialInput:
    name: str
    form: str = "paper"
    originals: int = 0
    copies: int = 0
    required: bool = True
    blank_form_url: str | None = None
    sample_url: str | None = None
    legal_basis: str | None = None


@strawberry.input
class FeeInput:
    name: str
    standard: str
    max_amount_cents: int | None = None
    basis: str | None = None
    reducible: bool = False
    reduction_basis: str | None = None


@strawberry.input
class StepInput:
    name: str
    limit_days: int | None = None
    role: str | None = None


@strawberry.input(description="A catalog item (a draft version in the owner's catalog).")
class CreateCatalogItemInput:
    owner_code: str
    basic_code: str
    name: str
    item_type: str
    use_levels: list[int]
    statutory_days: int | None = None
    case_type: int = 2
    legal_basis: str | None = None
    conditions: str | None = None
    quantity_limit: str | None = None
    max_visits: int | None = None
    online_depth: int | None = None
    applicant_types: list[int] = strawberry.field(default_factory=list)
    result_type: str | None = None
    result_name: str | None = None
    is_free: bool = True
    materials: list[MaterialInput] = strawberry.field(default_factory=list)
    fees: list[FeeInput] = strawberry.field(default_factory=list)
    steps: list[StepInput] = strawberry.field(default_factory=list)
    parent_code: str | None = None


@strawberry.input
class CatalogItemRefInput:
    id: strawberry.ID


@strawberry.type
class CatalogItemPayload:
    item: CatalogItem | None
    errors: list[UserError]


@strawberry.input
class LocalMaterialInput:
    seq: int
    required: bool = True


@strawberry.input
class LocalFeeInput:
    seq: int
    amount_cents: int | None = None


@strawberry.input(description="Adopt a published catalog item at a tenant (实施清单).")
class AdoptItemInput:
    tenant_code: str
    basic_code: str
    department_name: str
    department_credit_code: str
    promised_days: int | None = None
    max_visits: int | None = None
    materials: list[LocalMaterialInput] | None = None
    fees: list[LocalFeeInput] | None = None
    online: bool = False
    online_url: str | None = None
    in_hall: bool = True
    not_in_hall_reason: str | None = None
    appointment: bool = False
    courier: bool = False
    address: str | None = None
    hours: str | None = None
    phone: str | None = None


@strawberry.input
class ImplementationRefInput:
    id: strawberry.ID


@strawberry.type
class ImplementationPayload:
    implementation: Implementation | None
    errors: list[UserError]


@strawberry.input(description="Delegate an item down the tree: kind 2 下放, 3 授权, 5 委托, or agent 代办.")
class DelegateItemInput:
    from_code: str
    basic_code: str
    kind: str
    to_code: str
    to_tiers: list[str] = strawberry.field(default_factory=list)
    valid_from: date | None = None
    valid_to: date | None = None
    note: str | None = None


@strawberry.type
class DelegationPayload:
    delegation: Delegation | None
    errors: list[UserError]


def _uuid(value: str) -> uuid.UUID:
    """A plain or global (relay) ID as a UUID; a bad one is ``not found``."""
    from zhengwu.core.errors import NotFound

    try:
        return uuid.UUID(str(value))
    except ValueError:
        try:
            return uuid.UUID(relay.GlobalID.from_id(str(value)).node_id)
        except Exception as exc:
            raise NotFound("catalog_item", value) from exc


def _new_item(i: CreateCatalogItemInput) -> NewItem:
    return NewItem(
        basic_code=i.basic_code, name=i.name, item_type=i.item_type, use_levels=tuple(i.use_levels),
        statutory_days=i.statutory_days, case_type=i.case_type, legal_basis=i.legal_basis,
        conditions=i.conditions, quantity_limit=i.quantity_limit, max_visits=i.max_visits,
        online_depth=i.online_depth, applicant_types=tuple(i.applicant_types),
        result_type=i.result_type, result_name=i.result_name, is_free=i.is_free,
        materials=tuple(NewMaterial(m.name, m.form, m.originals, m.copies, m.required,
                                    m.blank_form_url, m.sample_url, m.legal_basis)
                        for m in i.materials),
        fees=tuple(NewFee(f.name, f.standard, f.max_amount_cents, f.basis, f.reducible,
                          f.reduction_basis) for f in i.fees),
        steps=tuple(NewStep(s.name, s.limit_days, s.role) for s in i.steps),
        parent_code=i.parent_code)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Create a draft catalog item (needs catalog:write at the owner).")
    async def create_catalog_item(self, info: Info, input: CreateCatalogItemInput) -> CatalogItemPayload:
        row, errors = await _mutate(info, lambda s, p: catalog_service.create_item(
            s, p, input.owner_code, _new_item(input)))
        return CatalogItemPayload(item=CatalogItem.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Publish a draft; implementations of older versions need review.")
    async def publish_catalog_item(self, info: Info, input: CatalogItemRefInput) -> CatalogItemPayload:
        row, errors = await _mutate(info, lambda s, p: catalog_service.publish_item(
            s, p, _uuid(input.id)))
        return CatalogItemPayload(item=CatalogItem.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Retire a published item version.")
    async def retire_catalog_item(self, info: Info, input: CatalogItemRefInput) -> CatalogItemPayload:
        row, errors = await _mutate(info, lambda s, p: catalog_service.retire_item(
            s, p, _uuid(input.id)))
        return CatalogItemPayload(item=CatalogItem.from_row(row) if row else None, errors=errors)


@strawberry.type
class ImplementationMutation:
    @strawberry.mutation(description="Adopt a catalog item; local elements may only tighten it.")
    async def adopt_item(self, info: Info, input: AdoptItemInput) -> ImplementationPayload:
        new = NewImplementation(
            basic_code=input.basic_code, department_name=input.department_name,
            department_credit_code=input.department_credit_code,
            promised_days=input.promised_days, max_visits=input.max_visits,
            materials=None if input.materials is None else tuple(
                LocalMaterial(m.seq, m.required) for m in input.materials),
            fees=None if input.fees is None else tuple(
                LocalFee(f.seq, f.amount_cents) for f in input.fees),
            online=input.online, online_url=input.online_url, in_hall=input.in_hall,
            not_in_hall_reason=input.not_in_hall_reason, appointment=input.appointment,
            courier=input.courier, address=input.address, hours=input.hours, phone=input.phone)
        row, errors = await _mutate(info, lambda s, p: implementation_service.adopt_item(
            s, p, input.tenant_code, new))
        return ImplementationPayload(implementation=Implementation.from_row(row) if row else None,
                                     errors=errors)

    @strawberry.mutation(description="Confirm an implementation pending review against the newest version.")
    async def confirm_implementation_review(self, info: Info, input: ImplementationRefInput
                                            ) -> ImplementationPayload:
        row, errors = await _mutate(info, lambda s, p: implementation_service.confirm_review(
            s, p, _uuid(input.id)))
        return ImplementationPayload(implementation=Implementation.from_row(row) if row else None,
                                     errors=errors)

    @strawberry.mutation(description="Retire an implementation.")
    async def retire_implementation(self, info: Info, input: ImplementationRefInput
                                    ) -> ImplementationPayload:
        row, errors = await _mutate(info, lambda s, p: implementation_service.retire_implementation(
            s, p, _uuid(input.id)))
        return ImplementationPayload(implementation=Implementation.from_row(row) if row else None,
                                     errors=errors)


@strawberry.type
class DelegationMutation:
    @strawberry.mutation(description="Delegate an item to a lower tier, or entrust acceptance (代办).")
    async def delegate_item(self, info: Info, input: DelegateItemInput) -> DelegationPayload:
        async def work(s: AsyncSession, p: Principal) -> Any:
            return await delegation_service.delegate(s, p, input.from_code, NewDelegation(
                basic_code=input.basic_code, kind=input.kind, to_code=input.to_code,
                to_tiers=tuple(input.to_tiers), valid_from=input.valid_from,
                valid_to=input.valid_to, note=input.note))

        row, errors = await _mutate(info, work)
        return DelegationPayload(delegation=_delegation(row) if row else None, errors=errors)
