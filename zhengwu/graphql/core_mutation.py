"""The core's mutations. Each: one input object, one payload with typed ``errors``.

A domain error never escapes a mutation: the transaction rolls back and the payload carries
``errors { field code message }`` (message in the request's language). Provisioning
mutations appear only on the tiers that provision (see ``schema.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from zhengwu.core.errors import AuthenticationFailed, DomainError
from zhengwu.core.security import grants as grant_service
from zhengwu.core.security import users as user_service
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.errors import UserError, user_errors
from zhengwu.graphql.types import EffectiveSetting, Grant, Info, Plugin, Tenant, User
from zhengwu.tenants import enablement, provisioning
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.scope import access_tenant

__all__ = ["CoreMutation", "MergeMutation", "ProvisioningMutation"]

R = TypeVar("R")


async def _mutate(info: Info, work: Callable[[AsyncSession, Principal], Awaitable[R]]
                  ) -> tuple[R | None, list[UserError]]:
    ctx = info.context
    try:
        if ctx.principal.is_anonymous:
            raise AuthenticationFailed("auth.required", "需要登录", "authentication required")
        result = await work(ctx.session, ctx.principal)
        await ctx.session.commit()
        return result, []
    except DomainError as exc:
        await ctx.session.rollback()
        return None, user_errors(exc, ctx.lang)


# ------------------------------------------------------------------ tenants

@strawberry.input(description="Create one tenant under its parent (implied by the code).")
class CreateTenantInput:
    code: str = strawberry.field(description="区划代码: 2/4/6/9/12 digits or the padded 12-digit form.")
    name: str
    parent_code: str | None = None


@strawberry.input
class TenantCodeInput:
    code: str


@strawberry.input(description="撤并: merge `source` into `target` (same tier).")
class MergeTenantInput:
    source: str
    target: str


@strawberry.type
class TenantPayload:
    tenant: Tenant | None
    errors: list[UserError]


@strawberry.type
class MergeTenantPayload:
    target: Tenant | None
    moved: JSON | None
    errors: list[UserError]


@strawberry.type
class ProvisioningMutation:
    @strawberry.mutation(description="Create a tenant (needs tenant:create).")
    async def create_tenant(self, info: Info, input: CreateTenantInput) -> TenantPayload:
        row, errors = await _mutate(info, lambda s, p: provisioning.create_tenant(
            s, p, input.code, input.name, input.parent_code))
        return TenantPayload(tenant=Tenant.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Suspend a tenant: no new business, data kept.")
    async def suspend_tenant(self, info: Info, input: TenantCodeInput) -> TenantPayload:
        row, errors = await _mutate(info, lambda s, p: provisioning.suspend_tenant(s, p, input.code))
        return TenantPayload(tenant=Tenant.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Reactivate a suspended tenant.")
    async def reactivate_tenant(self, info: Info, input: TenantCodeInput) -> TenantPayload:
        row, errors = await _mutate(info, lambda s, p: provisioning.reactivate_tenant(
            s, p, input.code))
        return TenantPayload(tenant=Tenant.from_row(row) if row else None, errors=errors)


@strawberry.type
class MergeMutation:
    @strawberry.mutation(description="Merge one tenant into another (needs tenant:merge).")
    async def merge_tenant(self, info: Info, input: MergeTenantInput) -> MergeTenantPayload:
        async def work(s: AsyncSession, p: Principal) -> tuple[Any, dict[str, Any]]:
            trace = await provisioning.merge_tenant(s, p, input.source, input.target)
            return await access_tenant(s, p, input.target), dict(trace.moved)

        result, errors = await _mutate(info, work)
        return MergeTenantPayload(target=Tenant.from_row(result[0]) if result else None,
                                  moved=result[1] if result else None, errors=errors)


# ------------------------------------------------------------------ settings, users, plugins

@strawberry.input(description="Override a setting at a tenant for its subtree.")
class SetSettingInput:
    tenant_code: str
    namespace: str
    key: str
    value: JSON


@strawberry.input
class SettingKeyInput:
    tenant_code: str
    namespace: str
    key: str


@strawberry.input(description="Lock a setting for the subtree (optionally with a new value).")
class LockSettingInput:
    tenant_code: str
    namespace: str
    key: str
    value: JSON | None = strawberry.field(default=None, description="Omit to lock the current value.")


@strawberry.type
class SettingPayload:
    setting: EffectiveSetting | None
    errors: list[UserError]


@strawberry.input(description="Create a user with a home tenant and a first role there.")
class CreateUserInput:
    username: str
    tenant_code: str
    password: str | None = None
    display_name: str | None = None
    kind: str = "person"
    role: str | None = strawberry.field(default=None, description="Granted at the home tenant.")


@strawberry.type
class UserPayload:
    user: User | None
    errors: list[UserError]


@strawberry.input(description="Grant a role to a user at a tenant.")
class GrantRoleInput:
    username: str
    role: str
    tenant_code: str
    subtree: bool = strawberry.field(default=True, description="false: this tenant only (local).")


@strawberry.input
class RevokeRoleInput:
    username: str
    role: str
    tenant_code: str


@strawberry.type
class GrantPayload:
    grant: Grant | None
    errors: list[UserError]


@strawberry.type
class RevokeRolePayload:
    revoked: bool
    errors: list[UserError]


@strawberry.input(description="Enable a plugin for a tenant and its subtree.")
class EnablePluginInput:
    tenant_code: str
    plugin: str
    mandatory: bool = strawberry.field(default=False, description="Lock it on for the subtree.")


@strawberry.input(description="Disable a plugin for a tenant and its subtree.")
class DisablePluginInput:
    tenant_code: str
    plugin: str
    forbid: bool = strawberry.field(default=False, description="Lock it off for the subtree.")


@strawberry.type
class PluginPayload:
    plugin: Plugin | None
    errors: list[UserError]


def _setting(row: Any) -> EffectiveSetting | None:
    return EffectiveSetting.from_row(row) if row is not None else None


@strawberry.type
class CoreMutation:
    @strawberry.mutation(description="Override a setting (needs setting:write).")
    async def set_setting(self, info: Info, input: SetSettingInput) -> SettingPayload:
        row, errors = await _mutate(info, lambda s, p: tenant_settings.set_setting(
            s, p, input.tenant_code, input.namespace, input.key, input.value))
        return SettingPayload(setting=_setting(row), errors=errors)

    @strawberry.mutation(description="Remove a tenant's override: it inherits again.")
    async def unset_setting(self, info: Info, input: SettingKeyInput) -> SettingPayload:
        row, errors = await _mutate(info, lambda s, p: tenant_settings.unset_setting(
            s, p, input.tenant_code, input.namespace, input.key))
        return SettingPayload(setting=_setting(row), errors=errors)

    @strawberry.mutation(description="Lock a setting for the subtree (needs setting:lock).")
    async def lock_setting(self, info: Info, input: LockSettingInput) -> SettingPayload:
        async def work(s: AsyncSession, p: Principal) -> Any:
            if input.value is None:
                return await tenant_settings.lock_setting(s, p, input.tenant_code,
                                                          input.namespace, input.key)
            return await tenant_settings.lock_setting(s, p, input.tenant_code, input.namespace,
                                                      input.key, input.value)

        row, errors = await _mutate(info, work)
        return SettingPayload(setting=_setting(row), errors=errors)

    @strawberry.mutation(description="Unlock a setting held locked by this tenant.")
    async def unlock_setting(self, info: Info, input: SettingKeyInput) -> SettingPayload:
        row, errors = await _mutate(info, lambda s, p: tenant_settings.unlock_setting(
            s, p, input.tenant_code, input.namespace, input.key))
        return SettingPayload(setting=_setting(row), errors=errors)

    @strawberry.mutation(description="Create a user (needs user:create at the home tenant).")
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        settings = info.context.settings

        async def work(s: AsyncSession, p: Principal) -> Any:
            user = await user_service.create_user(s, p, user_service.NewUser(
                username=input.username, tenant_code=input.tenant_code, password=input.password,
                display_name=input.display_name, kind=input.kind), settings=settings)
            if input.role:
                await grant_service.grant_role(s, p, user.id, input.role, input.tenant_code)
            return user

        row, errors = await _mutate(info, work)
        return UserPayload(user=User.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Grant a role (no escalation: you must hold its permissions).")
    async def grant_role(self, info: Info, input: GrantRoleInput) -> GrantPayload:
        row, errors = await _mutate(info, lambda s, p: grant_service.grant_role(
            s, p, input.username, input.role, input.tenant_code, subtree=input.subtree))
        return GrantPayload(grant=Grant.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Revoke a role held at a tenant.")
    async def revoke_role(self, info: Info, input: RevokeRoleInput) -> RevokeRolePayload:
        async def work(s: AsyncSession, p: Principal) -> bool:
            await grant_service.revoke_role(s, p, input.username, input.role, input.tenant_code)
            return True

        done, errors = await _mutate(info, work)
        return RevokeRolePayload(revoked=bool(done), errors=errors)

    @strawberry.mutation(description="Enable a plugin for a tenant's subtree (needs plugin:manage).")
    async def enable_plugin(self, info: Info, input: EnablePluginInput) -> PluginPayload:
        state, errors = await _mutate(info, lambda s, p: enablement.enable_plugin(
            s, p, input.tenant_code, input.plugin, mandatory=input.mandatory))
        return PluginPayload(plugin=Plugin.from_state(state, info.context.lang) if state else None,
                             errors=errors)

    @strawberry.mutation(description="Disable a plugin for a tenant's subtree.")
    async def disable_plugin(self, info: Info, input: DisablePluginInput) -> PluginPayload:
        state, errors = await _mutate(info, lambda s, p: enablement.disable_plugin(
            s, p, input.tenant_code, input.plugin, forbid=input.forbid))
        return PluginPayload(plugin=Plugin.from_state(state, info.context.lang) if state else None,
                             errors=errors)
