"""The intake plugin (受理/办件): cases from submission to delivery on the statutory clock.

The plugin object is this module: its hookimpls only say who the plugin is and hand the core
its parts (tables, permissions, GraphQL, routes, jobs, metrics, listeners). The behaviour
lives in ``service`` (transitions), ``deadlines`` (the clock), ``applicants`` (personal data),
``lifecycle`` (states and actions as data).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zhengwu.core.hooks import hookimpl
from zhengwu.core.plugin_api import (
    CliContribution,
    GraphQLContribution,
    JobSpec,
    MetricSpec,
    PermissionsContribution,
    PluginInfo,
    SchemaContribution,
)
from zhengwu.plugins.intake import models
from zhengwu.plugins.intake.lifecycle import EVENTS
from zhengwu.plugins.intake.settings import IntakeSettings

NAME = "intake"
TIERS = ("province", "city", "county", "township", "village")

PERMISSIONS = ("case:read", "case:submit", "case:accept", "case:review", "case:decide",
               "case:deliver", "case:withdraw", "case:suspend", "case:extend", "case:fee",
               "case:import", "case_stats:read")
_FRONT = ("case:read", "case:submit", "case:accept", "case:deliver", "case:withdraw", "case:fee")
DEFAULT_GRANTS = {
    "province_admin": ("case:read", "case_stats:read", "case:import"),
    "city_admin": ("case:read", "case_stats:read", "case:import"),
    "county_admin": ("case:*", "case_stats:read"),
    "window_clerk": (*_FRONT, "case:review"),
    "approver": ("case:read", "case:review", "case:decide", "case:suspend", "case:extend"),
    "agent": _FRONT,
    "supervisor": ("case:read", "case_stats:read"),
    "assessor": ("case_stats:read",),
}
"""Who may do what by default. Assessors see aggregates only (``case_stats:read``), never a
case; village agents work the front desk of their point and never review or decide."""


@hookimpl
def zhengwu_plugin_info() -> PluginInfo:
    return PluginInfo(name=NAME, version="0.1.0", title_zh="受理办件", title_en="Case intake",
                      tiers=TIERS, settings=IntakeSettings, announces=EVENTS,
                      listens=("calendar.changed", "tenant.merged"))


@hookimpl
def zhengwu_schema() -> SchemaContribution:
    return SchemaContribution(plugin=NAME, tables=models.TABLES,
                              migrations=str(Path(__file__).parent / "migrations"))


@hookimpl
def zhengwu_permissions() -> PermissionsContribution:
    return PermissionsContribution(plugin=NAME, permissions=PERMISSIONS,
                                   default_grants=DEFAULT_GRANTS)


@hookimpl
def zhengwu_graphql(tier: str) -> GraphQLContribution | None:
    from zhengwu.plugins.intake.graphql import contribution

    return contribution(NAME, tier)


@hookimpl
def zhengwu_routes() -> list[Any]:
    from zhengwu.plugins.intake.notice_routes import CaseNoticeController
    from zhengwu.plugins.intake.routes import PublicCaseLookupController, install_access_log_filter

    install_access_log_filter()
    return [PublicCaseLookupController, CaseNoticeController]


@hookimpl
def zhengwu_cli() -> CliContribution:
    from zhengwu.plugins.intake.cli import app
    from zhengwu.plugins.intake.demo import demo_day

    return CliContribution(plugin=NAME, app=app, demo=demo_day,
                           help="Case intake: import historical cases (受理办件).")


@hookimpl
def zhengwu_jobs() -> list[JobSpec]:
    from zhengwu.plugins.intake.jobs import JOBS

    return list(JOBS)


@hookimpl
def zhengwu_metrics() -> list[MetricSpec]:
    """Received, accepted, completed, the completion / on-time / on-the-spot / instant /
    promised rates, average handling days and fees of a subtree (see ``stats``)."""
    from zhengwu.plugins.intake.stats import metric_specs

    return metric_specs(NAME)


@hookimpl
def zhengwu_event(event: Any, session: Any) -> Any:
    if event.name == "calendar.changed":
        from zhengwu.plugins.intake.jobs import on_calendar_changed

        return on_calendar_changed(event, session)
    if event.name == "tenant.merged":
        from zhengwu.plugins.intake.listeners import on_tenant_merged

        return on_tenant_merged(event, session)
    return None
