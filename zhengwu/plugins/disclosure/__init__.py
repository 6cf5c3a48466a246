"""The disclosure plugin (政务公开): catalogs, publications and their review chain, requests
for disclosure on the statutory clock, the public feed and the annual report.

The plugin object is this module: its hookimpls only say who the plugin is and hand the core
its parts. The behaviour lives in ``catalog`` (the coded catalog), ``publications`` and
``review`` (items and the review chain), ``requests`` and ``clock`` (依申请公开), ``feed``
(what the public sees), ``report`` (the annual report).
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
from zhengwu.plugins.disclosure import models
from zhengwu.plugins.disclosure.settings import DisclosureSettings

NAME = "disclosure"
TIERS = ("province", "city", "county", "township")
"""Every government from the province down to the township discloses (villages publish 村务公开
under other rules, not the regulation)."""

PERMISSIONS = (
    "publication:read", "publication:draft", "publication:review", "publication:approve",
    "publication:withdraw", "disclosure_catalog:write",
    "disclosure_request:read", "disclosure_request:register", "disclosure_request:handle",
    "disclosure_request:extend", "disclosure_report:read", "disclosure_report:write",
    "disclosure_stats:read",
)
_READ = ("publication:read", "disclosure_request:read", "disclosure_report:read",
         "disclosure_stats:read")
_ALL = ("publication:*", "disclosure_catalog:*", "disclosure_request:*", "disclosure_report:*",
        "disclosure_stats:*")
DEFAULT_GRANTS = {
    "province_admin": _ALL,
    "city_admin": _ALL,
    "county_admin": _ALL,
    "disclosure_editor": ("publication:read", "publication:draft", "disclosure_request:read",
                          "disclosure_request:register", "disclosure_request:handle",
                          "disclosure_report:read", "disclosure_report:write"),
    "disclosure_reviewer": ("publication:read", "publication:review", "publication:withdraw",
                            "disclosure_request:read", "disclosure_request:handle",
                            "disclosure_report:read"),
    "disclosure_approver": ("publication:read", "publication:review", "publication:approve",
                            "publication:withdraw", "disclosure_catalog:write",
                            "disclosure_request:read", "disclosure_request:handle",
                            "disclosure_request:extend", "disclosure_report:read",
                            "disclosure_report:write"),
    "supervisor": _READ,
    "assessor": ("disclosure_stats:read",),
    "auditor": _READ,
}
"""Editors (经办人) draft, register and handle requests; reviewers (分管领导) review; approvers
(主要领导, head of the disclosure office) approve major items and extensions (Art. 33 ¶2).
Admins hold every disclosure permission, because granting a role needs every permission it
carries (no escalation): otherwise no admin could appoint an editor. A review step still needs
its role from ``step_roles``, which an admin does not hold by being admin.
Which role a review step needs is a tenant setting (``step_roles``); the permission
``publication:review``/``approve`` is needed as well. Assessors get aggregates only."""


@hookimpl
def zhengwu_plugin_info() -> PluginInfo:
    return PluginInfo(name=NAME, version="0.1.0", title_zh="政务公开", title_en="Disclosure",
                      tiers=TIERS, settings=DisclosureSettings, announces=(), listens=())


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
    from zhengwu.plugins.disclosure.graphql import contribution

    return contribution(NAME, tier)


@hookimpl
def zhengwu_routes() -> list[Any]:
    """The public feed (``routes``: ``/public/{code}/disclosure…``, no login) and the annual
    report's downloads for staff (``report_routes``: ``/api/v1/disclosure/…``, logged in)."""
    from zhengwu.plugins.disclosure.report_routes import AnnualReportController
    from zhengwu.plugins.disclosure.routes import PublicFeedController, PublicFeedPageController

    return [PublicFeedController, PublicFeedPageController, AnnualReportController]


@hookimpl
def zhengwu_metrics() -> list[MetricSpec]:
    """Publications on time and overdue, requests answered on time, replies by type, catalog
    completeness (see ``metrics``)."""
    from zhengwu.plugins.disclosure.metrics import metric_specs

    return metric_specs(NAME)


@hookimpl
def zhengwu_cli() -> CliContribution:
    """``zhengwu disclosure report …`` (the annual report; ``cli``) and the demo's year of
    publications and requests (``demo``)."""
    from zhengwu.plugins.disclosure.cli import app
    from zhengwu.plugins.disclosure.demo import demo_year

    return CliContribution(plugin=NAME, app=app, demo=demo_year,
                           help="政务公开: render the annual report (年度报告).")
