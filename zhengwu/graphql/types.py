"""The core's GraphQL object types: Tenant, EffectiveSetting, User, Grant, AuditEntry, Plugin.

Plain fields stay plain (no resolver, no permission class: strawberry's cost per field is
real); relations resolve through the request's DataLoaders.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from zhengwu.core.security.rbac import Resource, can
from zhengwu.graphql.context import GraphQLContext
from zhengwu.graphql.pagination import Connection
from zhengwu.tenants.scope import readable

if TYPE_CHECKING:
    from zhengwu.core.audit import AuditEntry as AuditRow
    from zhengwu.core.security.models import Grant as GrantRow
    from zhengwu.core.security.models import User as UserRow
    from zhengwu.tenants.enablement import PluginState as PluginStateRow
    from zhengwu.tenants.models import Tenant as TenantRow
    from zhengwu.tenants.settings import EffectiveSetting as EffectiveRow

__all__ = [
    "AuditEntry", "EffectiveSetting", "Grant", "Me", "Plugin", "Tenant", "TenantStatus",
    "Tier", "TierCount", "User",
]

Info = strawberry.Info[GraphQLContext, None]


@strawberry.enum(description="层级 — the tier of a tenant.")
class Tier(Enum):
    PLATFORM = strawberry.enum_value("platform", description="平台 (operator root)")
    PROVINCE = strawberry.enum_value("province", description="省级")
    CITY = strawberry.enum_value("city", description="地级 (市/地区/自治州/盟)")
    COUNTY = strawberry.enum_value("county", description="县级 (区/县/县级市/旗)")
    TOWNSHIP = strawberry.enum_value("township", description="乡级 (乡/镇/街道/苏木)")
    VILLAGE = strawberry.enum_value("village", description="村级 (村委会/居委会/社区/嘎查)")


@strawberry.enum(description="租户状态 — status of a tenant.")
class TenantStatus(Enum):
    ACTIVE = strawberry.enum_value("active", description="正常")
    SUSPENDED = strawberry.enum_value("suspended", description="暂停 (no new business)")
    MERGED = strawberry.enum_value("merged", description="已撤并 (merged into another)")


@strawberry.type(description="Descendants of one tier below a tenant.")
class TierCount:
    tier: Tier
    count: int


@strawberry.type(description="设置项 — one setting's effective value at a tenant, with its source.")
class EffectiveSetting:
    namespace: str
    key: str
    value: JSON | None
    default: JSON | None
    description: str
    source: str = strawberry.field(description="`default`, or the code of the tenant it comes from.")
    source_name: str | None
    locked: bool
    locked_by: str | None = strawberry.field(description="Code of the tenant that locked it.")
    overridden_here: bool
    shadowed: bool = strawberry.field(description="This tenant's override is hidden by a lock above.")
    shadowed_below: list[str]
    editable: bool

    @classmethod
    def from_row(cls, row: EffectiveRow) -> EffectiveSetting:
        return cls(namespace=row.namespace, key=row.key, value=row.value, default=row.default,
                   description=row.description, source=row.source, source_name=row.source_name,
                   locked=row.locked, locked_by=row.locked_by,
                   overridden_here=row.overridden_here, shadowed=row.shadowed,
                   shadowed_below=list(row.shadowed_below), editable=row.editable)


@strawberry.type(description="租户 — an administrative division with its own office.")
class Tenant(relay.Node):
    id: relay.NodeID[str]
    code: str = strawberry.field(description="区划代码 (short form: 2/4/6/9/12 digits).")
    name: str
    tier: Tier
    kind: str | None = strawberry.field(description="乡/镇/街道/苏木, 村委会/社区/嘎查 … (a hint).")
    path: str
    status: TenantStatus
    parent_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: TenantRow) -> Tenant:
        return cls(id=str(row.id), code=row.code, name=row.name, tier=Tier(row.tier),
                   kind=row.kind, path=row.path, status=TenantStatus(row.status),
                   parent_id=row.parent_id)

    @strawberry.field(description="The parent tenant (null above what the caller may read).")
    async def parent(self, info: Info) -> Tenant | None:
        if self.parent_id is None:
            return None
        row = await info.context.loaders.tenant_by_id.load(self.parent_id)
        if row is None or not readable(info.context.principal, row.path):
            return None
        return Tenant.from_row(row)

    @strawberry.field(description="Children in tree order (one statement for a whole page of parents).")
    async def children(self, info: Info, first: int | None = None,
                       after: str | None = None) -> Connection[Tenant]:
        from zhengwu.graphql.pagination import build_connection, decode_cursor, page_size

        size = page_size(first)
        if not info.context.principal.sees(self.path):
            return build_connection([], size, key=lambda r: r.path, node=Tenant.from_row,
                                    after=after)  # an ancestor's other children are not yours
        rows = await info.context.loaders.children_page.load(
            (uuid.UUID(self.id), size, decode_cursor(after)))
        return build_connection(rows, size, key=lambda r: r.path, node=Tenant.from_row,
                                after=after)

    @strawberry.field(description="Effective settings with their source (needs setting:read).")
    async def settings(self, info: Info, namespace: str | None = None) -> list[EffectiveSetting]:
        from zhengwu.core.errors import PermissionDenied

        if not can(info.context.principal, "read", Resource("setting", self.path)):
            raise PermissionDenied("setting:read", self.path)
        rows = await info.context.loaders.settings_by_tenant.load((uuid.UUID(self.id), namespace))
        return [EffectiveSetting.from_row(r) for r in rows]

    @strawberry.field(description="Number of descendants per tier.")
    async def descendant_counts(self, info: Info) -> list[TierCount]:
        if not info.context.principal.sees(self.path):
            return []
        counts = await info.context.loaders.descendant_counts.load(uuid.UUID(self.id))
        return [TierCount(tier=Tier(t), count=n) for t, n in counts.items()]


@strawberry.type(description="授权 — a role granted to a user at a tenant.")
class Grant:
    role: str
    tenant_path: str
    tenant_code: str
    subtree: bool = strawberry.field(description="Covers the subtree (false: the tenant only).")

    @classmethod
    def from_row(cls, row: GrantRow) -> Grant:
        return cls(role=row.role, tenant_path=row.tenant_path,
                   tenant_code=row.tenant_path.rsplit("/", 1)[-1], subtree=row.subtree)


@strawberry.type(description="用户 — a person, service client or device account.")
class User(relay.Node):
    id: relay.NodeID[str]
    username: str
    display_name: str
    kind: str
    is_active: bool
    home_tenant_code: str
    home_tenant_path: str
    locked_until: datetime | None
    last_login_at: datetime | None
    user_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(id=str(row.id), username=row.username, display_name=row.display_name,
                   kind=row.kind, is_active=row.is_active,
                   home_tenant_code=row.tenant_path.rsplit("/", 1)[-1],
                   home_tenant_path=row.tenant_path, locked_until=row.locked_until,
                   last_login_at=row.last_login_at, user_id=row.id)

    @strawberry.field(description="The user's grants that the caller may read.")
    async def grants(self, info: Info) -> list[Grant]:
        principal = info.context.principal
        rows = await info.context.loaders.grants_by_user.load(self.user_id)
        return [Grant.from_row(g) for g in rows
                if principal.sees(g.tenant_path)
                and can(principal, "read", Resource("grant", g.tenant_path))]


@strawberry.type(description="审计记录 — one entry of the hash-chained audit trail.")
class AuditEntry(relay.Node):
    id: relay.NodeID[str]
    seq: int
    chain: str
    at: datetime
    actor: str
    action: str
    tenant_path: str
    target_type: str
    target_id: str
    before: JSON | None
    after: JSON | None
    hash: str

    @classmethod
    def from_row(cls, row: AuditRow) -> AuditEntry:
        return cls(id=str(row.id), seq=row.seq, chain=row.chain, at=row.at, actor=row.actor,
                   action=row.action, tenant_path=row.tenant_path, target_type=row.target_type,
                   target_id=row.target_id, before=row.before, after=row.after, hash=row.hash)


@strawberry.type(description="插件 — an installed plugin as the acting tenant sees it.")
class Plugin:
    name: str
    title: str
    version: str
    tiers: list[Tier]
    requires: list[str]
    enabled: bool = strawberry.field(description="Switched on here (inherited or own).")
    active: bool = strawberry.field(description="Enabled and serving this tenant's tier.")
    mandatory: bool
    forbidden: bool
    source: str
    locked_by: str | None

    @classmethod
    def from_state(cls, s: PluginStateRow, lang: str) -> Plugin:
        return cls(name=s.name, title=s.title_en if lang == "en" else s.title_zh,
                   version=s.version, tiers=[Tier(t) for t in s.tiers],
                   requires=list(s.requires), enabled=s.switched_on, active=s.active,
                   mandatory=s.mandatory, forbidden=s.forbidden, source=s.source,
                   locked_by=s.locked_by)


@strawberry.type(description="The caller: who acts, at which tenant, with which grants.")
class Me:
    username: str
    kind: str
    acting_tenant: Tenant | None
    home_tenant_path: str
    grants: list[Grant]
    permissions: list[str] = strawberry.field(
        description="Permissions held at the acting tenant (resource:action).")


def json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


