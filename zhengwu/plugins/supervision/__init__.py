"""The e-supervision plugin (电子监察): yellow and red cards on intake's cases, sweeps, the
alert lifecycle, urging and supervising.

The plugin object is this module: its hookimpls only say who the plugin is and hand the core
its parts. It meets intake only through intake's events (``zhengwu_event``: names starting
with ``intake.``) and never imports it. The behaviour lives in ``projection`` (the watched
cases and the cards events raise), ``sweep`` (the set-based sweep), ``service`` (acting on
cards, 督办), ``notify`` (the notification adapter), ``thresholds`` (when a case turns yellow).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zhengwu.core.hooks import hookimpl
from zhengwu.core.plugin_api import (
    GraphQLContribution,
    JobSpec,
    MetricSpec,
    PermissionsContribution,
    PluginInfo,
    SchemaContribution,
)
from zhengwu.plugins.supervision import models
from zhengwu.plugins.supervision.complaints import EVENTS as COMPLAINT_EVENTS
from zhengwu.plugins.supervision.ratings import EVENTS as RATING_EVENTS
from zhengwu.plugins.supervision.service import EVENTS
from zhengwu.plugins.supervision.settings import SupervisionSettings

NAME = "supervision"
TIERS = ("province", "city", "county", "township")
"""Supervisors work from the township centre up; a county that enables the plugin watches its
whole subtree (cases accepted at village agent points included)."""

PERMISSIONS = ("alert:read", "alert:act", "alert:supervise")
DEFAULT_GRANTS = {
    "supervisor": ("alert:read", "alert:act", "alert:supervise"),
    "window_clerk": ("alert:read", "alert:act"),
    "approver": ("alert:read", "alert:act"),
    "county_admin": ("alert:*",),
    "city_admin": ("alert:*",),
    "province_admin": ("alert:*",),
    "auditor": ("alert:read",),
}
"""Supervisors (监察) see, act and supervise; window clerks and approvers read and answer the
cards of their subtree (签收, 情况说明, 纠正) but never close them or open 督办; auditors read.
Admins hold every alert permission: granting a role needs every permission it carries (no
escalation), so an admin who could not act on cards could not appoint a clerk or a supervisor.
Assessors get the metrics, not the cards."""

LISTENS = ("intake.case_submitted", "intake.supplement_requested", "intake.supplement_received",
           "intake.case_accepted", "intake.case_not_accepted", "intake.step_started",
           "intake.step_finished", "intake.case_suspended", "intake.case_resumed",
           "intake.case_extended", "intake.case_decided", "intake.case_delivered",
           "intake.case_withdrawn", "intake.fee_charged", "intake.deadline_changed",
           "intake.case_snapshot", "calendar.changed", "tenant.merged", "hardware.rating_received")


@hookimpl
def zhengwu_plugin_info() -> PluginInfo:
    return PluginInfo(name=NAME, version="0.1.0", title_zh="电子监察", title_en="E-supervision",
                      tiers=TIERS, settings=SupervisionSettings,
                      announces=EVENTS + RATING_EVENTS + COMPLAINT_EVENTS, listens=LISTENS)


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
    from zhengwu.plugins.supervision.graphql import contribution

    return contribution(NAME, tier)


@hookimpl
def zhengwu_cli() -> Any:
    from zhengwu.core.plugin_api import CliContribution
    from zhengwu.plugins.supervision.cli import app
    from zhengwu.plugins.supervision.demo import demo_sweep

    return CliContribution(plugin=NAME, app=app, demo=demo_sweep,
                           help="E-supervision: run a sweep, send notifications, import 12345 "
                                "tickets (电子监察).")


@hookimpl
def zhengwu_jobs() -> list[JobSpec]:
    from zhengwu.plugins.supervision.jobs import JOBS

    return list(JOBS)


@hookimpl
def zhengwu_metrics() -> list[MetricSpec]:
    """Cards by colour, colour and overdue rates, closure rate (see ``metrics``)."""
    from zhengwu.plugins.supervision.metrics import metric_specs

    return metric_specs(NAME)


@hookimpl
def zhengwu_event(event: Any, session: Any) -> Any:
    if event.name == "intake.case_snapshot":
        from zhengwu.plugins.supervision.backfill import on_case_snapshot

        return on_case_snapshot(event, session)
    if event.name.startswith("intake."):
        from zhengwu.plugins.supervision.projection import on_intake_event

        return on_intake_event(event, session)
    if event.name == "calendar.changed":
        from zhengwu.plugins.supervision.jobs import on_calendar_changed

        return on_calendar_changed(event, session)
    if event.name == "tenant.merged":
        from zhengwu.plugins.supervision.projection import on_tenant_merged

        return on_tenant_merged(event, session)
    if event.name == "hardware.rating_received":
        from zhengwu.plugins.supervision.ratings import on_pad_rating

        return on_pad_rating(event, session)
    return None
