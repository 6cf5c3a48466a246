"""The assessment plugin (考核评估): indicator systems, manual scores, runs that rank the tenants
below the assessor on metrics from every plugin, and the bulletins (日考核、周汇总、月通报).

The plugin object is this module: its hookimpls say who the plugin is and hand the core its
parts. Behaviour: ``indicators`` (the weighted tree and its scoring rules), ``systems``
(versions: draft, publish), ``runs`` (manual scores, runs and their snapshot),
``core_metrics`` (coverage of venues, items in the hall and online), ``bulletin`` (HTML and
Excel). Other plugins' metrics are used only by name, through the host's registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zhengwu.core.hooks import hookimpl
from zhengwu.core.plugin_api import (
    CliContribution,
    GraphQLContribution,
    MetricSpec,
    PermissionsContribution,
    PluginInfo,
    SchemaContribution,
)
from zhengwu.plugins.assessment import models

NAME = "assessment"
TIERS = ("province", "city", "county")
"""Who assesses: a province its cities or counties, a city its counties, a county its townships.
Townships do not run assessments (their villages are self-governing, 村民自治)."""

PERMISSIONS = ("assessment:read", "assessment:write", "assessment:run")
DEFAULT_GRANTS = {
    "province_admin": ("assessment:*",),
    "city_admin": ("assessment:*",),
    "county_admin": ("assessment:*",),
    "assessor": ("assessment:read", "assessment:write", "assessment:run"),
    "auditor": ("assessment:read",),
}
"""Assessors (考核人员) define systems, enter manual scores and run at their tenant's subtree;
admins hold every assessment permission because granting the assessor role needs them (no
escalation). Auditors read. Assessment reads only aggregates (metrics, scores): no case, no
applicant, no personal data ever enters a run."""


@hookimpl
def zhengwu_plugin_info() -> PluginInfo:
    return PluginInfo(name=NAME, version="0.1.0", title_zh="考核评估", title_en="Assessment",
                      tiers=TIERS, settings=None, announces=(), listens=())


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
    from zhengwu.plugins.assessment.graphql import contribution

    return contribution(NAME, tier)


@hookimpl
def zhengwu_routes() -> list[Any]:
    """Bulletin downloads for staff: ``/api/v1/assessment/runs/{id}/bulletin.{html,xlsx}``."""
    from zhengwu.plugins.assessment.routes import BulletinController

    return [BulletinController]


@hookimpl
def zhengwu_metrics() -> list[MetricSpec]:
    """The core's own figures no plugin provides (``core.*``, see ``core_metrics``)."""
    from zhengwu.plugins.assessment.core_metrics import metric_specs

    return metric_specs(NAME)


@hookimpl
def zhengwu_cli() -> CliContribution:
    """``zhengwu assessment run …`` and ``… bulletin RUN_ID --out FILE``; the demo's month of
    宁国市's townships."""
    from zhengwu.plugins.assessment.cli import app
    from zhengwu.plugins.assessment.demo import demo_month

    return CliContribution(plugin=NAME, app=app, demo=demo_month,
                           help="考核评估: run an indicator system, write a bulletin.")
