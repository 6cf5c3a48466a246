"""The value types plugins hand to the core through the hooks of ``zhengwu.core.hooks``.

Plain frozen dataclasses: a plugin builds them, the host reads them. Nothing here knows
about a particular plugin.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from zhengwu.core.security.rbac import RoleDef

__all__ = [
    "CliContribution",
    "Event",
    "GraphQLContribution",
    "JobSpec",
    "MetricSpec",
    "MetricValue",
    "Period",
    "PermissionsContribution",
    "PluginInfo",
    "SchemaContribution",
]

ALL_TIERS = ("province", "city", "county", "township", "village")


@dataclass(frozen=True)
class PluginInfo:
    """Who a plugin is and what it needs.

    ``tiers``: the tiers it serves (enabling it at another tier is refused; its GraphQL
    fields appear only in those tiers' schemas). ``requires``: plugins that must be
    enabled wherever this one is. ``settings``: its tenant settings model (namespace =
    ``name``), resolved through the cascade like the core's.
    """

    name: str
    version: str
    title_zh: str
    title_en: str
    tiers: tuple[str, ...] = ALL_TIERS
    requires: tuple[str, ...] = ()
    settings: type[BaseModel] | None = None
    announces: tuple[str, ...] = ()
    listens: tuple[str, ...] = ()
    min_core_version: str = "0.1.0"


@dataclass(frozen=True)
class SchemaContribution:
    """A plugin's tables (already in ``zhengwu.core.db.Base.metadata``) and migrations."""

    plugin: str
    tables: tuple[str, ...]
    migrations: str | None = None  # an alembic version directory


@dataclass(frozen=True)
class PermissionsContribution:
    """Permissions (``resource:action``), default grants to built-in roles, new roles."""

    plugin: str
    permissions: tuple[str, ...]
    default_grants: Mapping[str, Sequence[str]] = field(default_factory=dict)
    roles: tuple[RoleDef, ...] = ()


@dataclass(frozen=True)
class GraphQLContribution:
    """Strawberry types merged into a tier's ``Query``/``Mutation`` (fields only)."""

    plugin: str
    query: type | None = None
    mutation: type | None = None
    types: tuple[type, ...] = ()


JobFunc = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    """A job: an async function ``fn(ctx, **kwargs)``; ``cron`` schedules it (minute hour …)."""

    name: str
    fn: JobFunc
    cron: str | None = None
    description: str = ""
    plugin: str = "core"


@dataclass(frozen=True)
class Period:
    """A closed date interval ``[start, end]`` in Asia/Shanghai dates."""

    start: date
    end: date


@dataclass(frozen=True)
class MetricValue:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    unit: str = ""


MetricFunc = Callable[[Any, str, Period], Awaitable[MetricValue]]


@dataclass(frozen=True)
class MetricSpec:
    """A named metric over a tenant subtree and a period (used by assessment)."""

    name: str
    plugin: str
    title_zh: str
    compute: MetricFunc
    unit: str = ""
    higher_is_better: bool = True


DemoStep = Callable[[Any], Awaitable[str]]
"""``demo(session) -> str``: a plugin's part of ``zhengwu demo`` (operator-scoped session)."""


@dataclass(frozen=True)
class CliContribution:
    """A plugin's part of the operator CLI: a typer group mounted as ``zhengwu <plugin> …``
    (``app``, with ``help`` shown in ``zhengwu --help``) and a step of ``zhengwu demo``."""

    plugin: str
    app: Any = None  # a typer.Typer (typed loosely: the core's API does not depend on typer)
    help: str = ""
    demo: DemoStep | None = None


@dataclass(frozen=True)
class Event:
    """A fact that happened, announced inside the transaction that made it true."""

    name: str
    tenant_id: uuid.UUID
    tenant_path: str
    payload: Mapping[str, Any]
    occurred_at: datetime
    id: uuid.UUID
    actor: str = "system"
