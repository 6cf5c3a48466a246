"""The core's root query fields, the same on every tier's schema."""

from __future__ import annotations

import uuid
from enum import Enum

import strawberry
from sqlalchemy import Select, select
from strawberry import relay

from zhengwu.core.audit import AuditEntry as AuditRow
from zhengwu.core.db import subtree_clause
from zhengwu.core.errors import AuthenticationFailed, Invalid, NotFound, PermissionDenied
from zhengwu.core.security import users as user_service
from zhengwu.core.security.rbac import Resource, can, permissions_at
from zhengwu.graphql.pagination import Connection, build_connection, decode_cursor, page_size
from zhengwu.graphql.types import (
    AuditEntry,
    EffectiveSetting,
    Grant,
    Info,
    Me,
    Plugin,
    Tenant,
    TenantStatus,
    Tier,
    User,
)
from zhengwu.tenants import enablement
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant as TenantRow
from zhengwu.tenants.scope import access_tenant

__all__ = ["CoreQuery"]


def _signed_in(info: Info) -> None:
    if info.context.principal.is_anonymous:
        raise AuthenticationFailed("auth.required", "需要登录", "authentication required")


@strawberry.input(description="Filter of the tenant list (the caller's subtree).")
class TenantFilter:
    under: str | None = strawberry.field(default=None, description="Division code of a subtree root.")
    tier: Tier | None = None
    status: TenantStatus | None = None
    name_contains: str | None = None
    code_prefix: str | None = None


@strawberry.enum(description="Order of the tenant list.")
class TenantOrder(Enum):
    PATH = strawberry.enum_value("path", description="Tree order (parent before children).")
    CODE = strawberry.enum_value("code", description="By division code.")


@strawberry.input(description="Filter of the user list.")
class UserFilter:
    under: str | None = None
    search: str | None = None
    include_inactive: bool = True


@strawberry.input(description="Filter of the audit trail.")
class AuditFilter:
    under: str | None = None
    action: str | None = None
    target_type: str | None = None


@strawberry.type
class CoreQuery:
    @strawberry.field(description="The caller and its acting tenant.")
    async def me(self, info: Info) -> Me:
        _signed_in(info)
        p = info.context.principal
        acting = None
        if p.acting_tenant_id is not None:
            row = await info.context.loaders.tenant_by_id.load(p.acting_tenant_id)
            acting = Tenant.from_row(row) if row is not None else None
        grants = [Grant(role=g.role, tenant_path=g.tenant_path,
                        tenant_code=g.tenant_path.rsplit("/", 1)[-1], subtree=g.subtree)
                  for g in p.grants]
        return Me(username=p.username, kind=p.kind, acting_tenant=acting,
                  home_tenant_path=p.home_path, grants=grants,
                  permissions=sorted(permissions_at(p, p.acting_path)))

    @strawberry.field(description="Any object by its global ID (null when absent or not yours).")
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        _signed_in(info)
        ctx = info.context
        try:
            key = uuid.UUID(id.node_id) if id.type_name != "AuditEntry" else None
        except ValueError:
            return None
        try:
            if id.type_name == "Tenant" and key is not None:
                row = await ctx.loaders.tenant_by_id.load(key)
                if row is None:
                    return None
                return Tenant.from_row(await access_tenant(ctx.session, ctx.principal, row.code))
            if id.type_name == "User" and key is not None:
                return User.from_row(await user_service.access_user(ctx.session, ctx.principal, key))
            if id.type_name == "AuditEntry" and id.node_id.isdigit():
                entry = await ctx.session.scalar(_audit_entries(info).where(
                    AuditRow.id == int(id.node_id)))
                return AuditEntry.from_row(entry) if entry is not None else None
        except (NotFound, PermissionDenied):
            return None
        return None

    @strawberry.field(description="One tenant by division code, in the caller's scope or above it.")
    async def tenant(self, info: Info, code: str) -> Tenant:
        _signed_in(info)
        row = await access_tenant(info.context.session, info.context.principal, code)
        info.context.loaders.tenant_by_id.prime(row.id, row)
        return Tenant.from_row(row)

    @strawberry.field(description="Tenants of the caller's subtree: search and paginate.")
    async def tenants(self, info: Info, filter: TenantFilter | None = None,
                      first: int | None = None, after: str | None = None,
                      order_by: TenantOrder = TenantOrder.PATH) -> Connection[Tenant]:
        _signed_in(info)
        ctx = info.context
        size = page_size(first)
        cursor = decode_cursor(after)
        f = filter or TenantFilter()
        root = ctx.principal.acting_path
        if f.under:
            root = (await access_tenant(ctx.session, ctx.principal, f.under)).path
            if not ctx.principal.sees(root):
                raise NotFound("tenant", f.under)
        key_col = TenantRow.path if order_by is TenantOrder.PATH else TenantRow.code
        stmt = select(TenantRow).where(subtree_clause(TenantRow.path, root))
        if f.tier:
            stmt = stmt.where(TenantRow.tier == f.tier.value)
        if f.status:
            stmt = stmt.where(TenantRow.status == f.status.value)
        if f.name_contains:
            stmt = stmt.where(TenantRow.name.contains(f.name_contains, autoescape=True))
        if f.code_prefix:
            prefix = f.code_prefix.strip()
            if not prefix.isdigit():
                raise Invalid("tenant.bad_code", "代码前缀只能包含数字", "code prefix: digits only",
                              field="codePrefix")
            stmt = stmt.where(TenantRow.code >= prefix, TenantRow.code < prefix + ":")
        if cursor is not None:
            stmt = stmt.where(key_col > cursor)
        rows = list(await ctx.session.scalars(stmt.order_by(key_col).limit(size + 1)))
        for row in rows:
            ctx.loaders.tenant_by_id.prime(row.id, row)
        return build_connection(rows, size, key=lambda r: getattr(r, key_col.key),
                                node=Tenant.from_row, after=after)

    @strawberry.field(description="Effective settings of a tenant (default: the acting tenant).")
    async def settings(self, info: Info, tenant_code: str | None = None,
                       namespace: str | None = None) -> list[EffectiveSetting]:
        _signed_in(info)
        ctx = info.context
        rows = await tenant_settings.effective_settings(
            ctx.session, ctx.principal, tenant_code or ctx.principal.acting_code, namespace)
        return [EffectiveSetting.from_row(r) for r in rows]

    @strawberry.field(description="Users the caller may read, by username.")
    async def users(self, info: Info, filter: UserFilter | None = None,
                    first: int | None = None, after: str | None = None) -> Connection[User]:
        _signed_in(info)
        ctx = info.context
        size = page_size(first)
        f = filter or UserFilter()
        rows = await user_service.list_users(
            ctx.session, ctx.principal, under=f.under, search=f.search,
            include_inactive=f.include_inactive, after=decode_cursor(after), limit=size + 1)
        return build_connection(rows, size, key=lambda r: r.username, node=User.from_row,
                                after=after)

    @strawberry.field(description="The audit trail of the caller's subtree, newest first.")
    async def audit_entries(self, info: Info, filter: AuditFilter | None = None,
                            first: int | None = None,
                            after: str | None = None) -> Connection[AuditEntry]:
        _signed_in(info)
        ctx = info.context
        size = page_size(first)
        f = filter or AuditFilter()
        stmt = _audit_entries(info)
        if f.under:
            root = (await access_tenant(ctx.session, ctx.principal, f.under)).path
            if not ctx.principal.sees(root):
                raise NotFound("tenant", f.under)
            stmt = stmt.where(subtree_clause(AuditRow.tenant_path, root))
        if f.action:
            stmt = stmt.where(AuditRow.action == f.action)
        if f.target_type:
            stmt = stmt.where(AuditRow.target_type == f.target_type)
        cursor = decode_cursor(after)
        if cursor is not None:
            if not cursor.isdigit():
                raise Invalid("pagination.bad_cursor", "分页游标无效", "invalid cursor",
                              field="after")
            stmt = stmt.where(AuditRow.id < int(cursor))
        rows = list(await ctx.session.scalars(stmt.order_by(AuditRow.id.desc()).limit(size + 1)))
        return build_connection(rows, size, key=lambda r: str(r.id), node=AuditEntry.from_row,
                                after=after)

    @strawberry.field(description="Installed plugins and their state at a tenant (default: acting).")
    async def plugins(self, info: Info, tenant_code: str | None = None) -> list[Plugin]:
        _signed_in(info)
        ctx = info.context
        states = await enablement.plugin_states(ctx.session, ctx.principal,
                                                tenant_code or ctx.principal.acting_code)
        return [Plugin.from_state(s, ctx.lang) for s in states]


def _audit_entries(info: Info) -> Select[tuple[AuditRow]]:
    """SELECT of the audit entries the caller may read (audit:read, its scope)."""
    p = info.context.principal
    if not can(p, "read", Resource("audit", p.acting_path)):
        raise PermissionDenied("audit:read", p.acting_path)
    return select(AuditRow).where(subtree_clause(AuditRow.tenant_path, p.acting_path))

