"""Assembly of one strawberry schema per tier from the core and the installed plugins.

Built once at start-up. A tier's schema holds the core's fields, the provisioning
mutations where that tier provisions, the working-day clock (queries everywhere;
``importHolidayNotice`` on the platform, ``addCalendarOverride`` from county up), and the
fields plugins contribute for that tier
(only plugins that serve it). Every plugin field is wrapped so that a tenant where the
plugin is not active gets the typed ``plugin.not_enabled`` error — a plugin cannot forget.
Anonymous callers get a tiny public schema without introspection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from zhengwu import __version__
from zhengwu.core.plugin_host import PluginError, PluginHost
from zhengwu.graphql.calendar import CalendarNoticeMutation, CalendarOverrideMutation, CalendarQuery
from zhengwu.graphql.catalog import (
    CatalogMutation,
    CatalogQuery,
    DelegationMutation,
    ImplementationMutation,
)
from zhengwu.graphql.core_mutation import CoreMutation, MergeMutation, ProvisioningMutation
from zhengwu.graphql.core_query import CoreQuery
from zhengwu.graphql.errors import DomainErrorExtension
from zhengwu.graphql.limits import MAX_PAGE_SIZE, extensions

__all__ = ["ANONYMOUS", "PROVISIONING_TIERS", "TIERS", "build_schema", "build_schemas"]

TIERS = ("platform", "province", "city", "county", "township", "village")
ANONYMOUS = "anonymous"
PROVISIONING_TIERS = frozenset({"platform", "province", "city", "county"})
MERGE_TIERS = frozenset({"platform", "province", "city"})
CATALOG_TIERS = frozenset({"platform", "province"})  # tiers that own a catalog
ADOPTING_TIERS = frozenset({"province", "city", "county", "township", "village"})
DELEGATING_TIERS = frozenset({"platform", "province", "city", "county", "township"})
CALENDAR_NOTICE_TIERS = frozenset({"platform"})  # the State Council's notice: national
# Regional days (民族节日): autonomous regions, prefectures and counties — and any province,
# city or county — set them for their area; townships and villages follow their county.
CALENDAR_OVERRIDE_TIERS = frozenset({"platform", "province", "city", "county"})


class RequirePlugin(FieldExtension):
    """Refuse a plugin's field where the plugin is not active (``plugin.not_enabled``)."""

    def __init__(self, plugin: str) -> None:
        super().__init__()
        self.plugin = plugin

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        await info.context.require_plugin(self.plugin)
        result = next_(source, info, **kwargs)
        if hasattr(result, "__await__"):
            result = await result
        return result


def _guarded(plugin: str, root: type) -> type:
    """Add the plugin guard to every field of ``root`` — once: schemas are built per tier and
    again in tests, on the same field objects, and a second guard would check twice."""
    for field in root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not any(isinstance(e, RequirePlugin) and e.plugin == plugin for e in field.extensions):
            field.extensions = [*field.extensions, RequirePlugin(plugin)]
    return root


def _merge(name: str, parts: Iterable[type]) -> type:
    parts = list(parts)
    seen: dict[str, str] = {}
    for part in parts:
        for field in part.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            if field.python_name in seen:
                raise PluginError("plugin.graphql_field_clash",
                                  f"GraphQL 字段 {name}.{field.python_name} 重复定义",
                                  f"GraphQL field {name}.{field.python_name} is defined by both "
                                  f"{seen[field.python_name]} and {part.__qualname__}")
            seen[field.python_name] = part.__qualname__
    return merge_types(name, tuple(parts))


_CONFIG = StrawberryConfig(relay_max_results=MAX_PAGE_SIZE, disable_field_suggestions=True)


def build_schema(tier: str, host: PluginHost) -> strawberry.Schema:
    """The schema of ``tier`` with the contributions of the plugins that serve it."""
    queries: list[type] = [CoreQuery, CatalogQuery, CalendarQuery]
    mutations: list[type] = [CoreMutation]
    for tiers, part in ((PROVISIONING_TIERS, ProvisioningMutation), (MERGE_TIERS, MergeMutation),
                        (CATALOG_TIERS, CatalogMutation), (ADOPTING_TIERS, ImplementationMutation),
                        (DELEGATING_TIERS, DelegationMutation),
                        (CALENDAR_NOTICE_TIERS, CalendarNoticeMutation),
                        (CALENDAR_OVERRIDE_TIERS, CalendarOverrideMutation)):
        if tier in tiers:
            mutations.append(part)
    extra_types: list[type] = []
    for c in host.graphql(tier):
        if c.query is not None:
            queries.append(_guarded(c.plugin, c.query))
        if c.mutation is not None:
            mutations.append(_guarded(c.plugin, c.mutation))
        extra_types.extend(c.types)
    return strawberry.Schema(
        query=_merge("Query", queries), mutation=_merge("Mutation", mutations),
        types=extra_types, extensions=[*extensions(introspection=True), DomainErrorExtension],
        config=_CONFIG,
    )


@strawberry.type(description="What anonymous callers may ask (log in over REST first).")
class PublicQuery:
    @strawberry.field(description="Platform version.")
    def version(self) -> str:
        return __version__


def build_schemas(host: PluginHost) -> dict[str, strawberry.Schema]:
    """Every tier's schema plus the anonymous one."""
    schemas = {tier: build_schema(tier, host) for tier in TIERS}
    schemas[ANONYMOUS] = strawberry.Schema(
        query=PublicQuery, extensions=[*extensions(introspection=False), DomainErrorExtension],
        config=_CONFIG)
    return schemas
