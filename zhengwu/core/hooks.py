"""The plugin contract: every hook a plugin may implement, and nothing else.

A plugin is a module or object registered under the entry-point group ``zhengwu.plugins``
(built-in plugins too). It implements some of the hooks below with ``@hookimpl``. The core
calls them; a plugin never imports another plugin, and the core never imports a plugin.

Hooks are grouped by lifecycle, like pytest's and Datasette's hookspecs. Every hook is
called on every registered plugin (pluggy returns the list of non-None answers) unless its
docstring says *first result wins*. Hooks are synchronous (pluggy); async work is returned
as awaitables or data, never awaited inside a hookimpl.

``tests/core/test_hooks.py`` fails when a hook here lacks documentation or a test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from zhengwu.core.plugin_api import (
        CliContribution,
        Event,
        GraphQLContribution,
        JobSpec,
        MetricSpec,
        PermissionsContribution,
        PluginInfo,
        SchemaContribution,
    )

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "zhengwu"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------- identity ---

@hookspec
def zhengwu_plugin_info() -> PluginInfo:  # type: ignore[empty-body]
    """Say who the plugin is.

    Called: once, when the plugin host loads plugins at start-up (server, worker, CLI).
    Gets: nothing.
    Returns: a ``PluginInfo`` — name, version, titles, the tiers served, the plugins it
    requires, its tenant settings model, the events it announces and listens to.
    Every plugin must implement it; a plugin without it is refused at load.
    All results are collected (one per plugin).
    """


# ----------------------------------------------------------------------------- schema ---

@hookspec
def zhengwu_schema() -> SchemaContribution:  # type: ignore[empty-body]
    """Declare the plugin's tables and its alembic version directory.

    Called: at start-up (to check every tenant-owned table carries ``tenant_id`` and
    ``tenant_path``) and by ``zhengwu migrate`` (to add the version directory).
    Gets: nothing. The plugin defines its tables on ``zhengwu.core.db.Base`` in its
    ``models.py``; importing the plugin registers them in the shared metadata.
    Returns: a ``SchemaContribution`` (plugin name, table names, migrations path or None).
    All results are collected. Enabling a plugin never changes the schema: tables exist
    whether or not any tenant enables it.
    """


# ----------------------------------------------------------------------------- access ---

@hookspec
def zhengwu_permissions() -> PermissionsContribution:  # type: ignore[empty-body]
    """Declare permissions, the default grants of built-in roles, and new roles.

    Called: at start-up, when the casbin policy is (re)built.
    Gets: nothing.
    Returns: a ``PermissionsContribution``: ``permissions`` as ``resource:action`` strings,
    ``default_grants`` mapping a built-in role name to the permissions it gains, and
    ``roles`` (``RoleDef``) the plugin adds. All results are collected.
    """


# -------------------------------------------------------------------------------- API ---

@hookspec
def zhengwu_graphql(tier: str) -> GraphQLContribution | None:
    """Contribute GraphQL fields to the schema of one tier.

    Called: at start-up, once per tier (province, city, county, township, village), while
    the tier's strawberry schema is assembled; only for tiers in ``PluginInfo.tiers``.
    Gets: ``tier``, the tier whose schema is being built.
    Returns: a ``GraphQLContribution`` with a strawberry ``Query`` and/or ``Mutation``
    type whose fields are merged into the tier's root types, or None to add nothing.
    Resolvers must check enablement through the context (``info.context.require_plugin``)
    so a tenant that has not enabled the plugin gets a typed "not enabled here" error.
    All results are collected.
    """


@hookspec
def zhengwu_routes() -> Sequence[Any]:  # type: ignore[empty-body]
    """Contribute litestar route handlers (REST for devices and public pages).

    Called: once, when the litestar app is created.
    Gets: nothing.
    Returns: a sequence of litestar route handlers or controllers, mounted as given
    (conventionally under ``/api/v1/<plugin>/`` and ``/public/{division code}/<plugin>/``).
    All results are collected and concatenated.
    """


# ------------------------------------------------------------------------------- work ---

@hookspec
def zhengwu_jobs() -> Sequence[JobSpec]:  # type: ignore[empty-body]
    """Contribute background jobs and their schedules.

    Called: once, when the job queue is set up (server in embedded mode, ``zhengwu worker``).
    Gets: nothing.
    Returns: a sequence of ``JobSpec`` (name, async function ``fn(ctx, **kwargs)``,
    optional cron schedule). Jobs must be idempotent: arq runs a job at least once.
    A job that works over tenants must skip those where its plugin is not enabled: filter
    its rows with ``(await ctx.enabled_scope(plugin)).clause(Model.tenant_path)``.
    All results are collected and concatenated.
    """


@hookspec
def zhengwu_metrics() -> Sequence[MetricSpec]:  # type: ignore[empty-body]
    """Contribute named metrics over a tenant subtree and a period (for assessment).

    Called: when the metric registry is built (start-up) and by assessment runs.
    Gets: nothing.
    Returns: a sequence of ``MetricSpec``; ``compute(session, tenant_path, period)`` returns
    an awaitable ``MetricValue`` computed set-based in SQL over the subtree.
    All results are collected and concatenated; metric names must be unique.
    """


# --------------------------------------------------------------------------- operator ---

@hookspec
def zhengwu_cli() -> CliContribution | None:
    """Contribute a command group to the operator CLI, and a step to ``zhengwu demo``.

    Called: once when the ``zhengwu`` command line is assembled (at import of
    ``zhengwu.cli``, before any command runs; the host is not made current then), and by
    ``zhengwu demo`` after the core's demo data is in place.
    Gets: nothing.
    Returns: a ``CliContribution``, or None to add nothing. ``app`` (a ``typer.Typer``) is
    mounted as ``zhengwu <plugin> …``; a name the core already uses is skipped with a warning.
    ``demo`` is an async function ``demo(session) -> str`` that ``zhengwu demo`` awaits with
    an operator-scoped session: it commits its own work, must be idempotent (a second run
    adds nothing), and returns one line for the summary. The module defining the commands
    must not import ``zhengwu.cli`` at module level (the CLI loads plugins while it is being
    assembled): commands import ``zhengwu.cli._runtime`` inside their body for
    ``operator_session``, ``console`` and the settings.
    All results are collected; demo steps run in plugin-name order.
    """


# ----------------------------------------------------------------------------- events ---

@hookspec
def zhengwu_event(event: Event, session: AsyncSession) -> Awaitable[None] | None:
    """Listen to a fact announced by the core or a plugin.

    Called: by ``zhengwu.core.events.announce`` inside the transaction that made the fact
    true, for every event, on every plugin (a plugin filters on ``event.name``).
    Gets: the ``Event`` and the announcing ``session`` (same transaction; its scope).
    Returns: None, or an awaitable that the announcer awaits before continuing — so a
    listener's writes commit or roll back with the fact. Side effects that can wait
    (notifications, reports) go to the outbox with ``events.defer(...)`` instead.
    All results are collected.
    """
