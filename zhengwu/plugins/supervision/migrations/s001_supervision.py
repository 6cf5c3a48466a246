"""supervision: watched cases, alerts (yellow/red cards), their history, 督办 tickets (RLS).

Every table is owned by the watched case's accepting tenant and scoped by row-level security
like intake's tables: the accepting tenant and its ancestors (the handling tenant and the
supervisors above it among them) see a row, siblings do not. One live card per (case, kind,
reason, ref): a partial unique index over the cards not cleared.

Revision ID: s001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.rls import enable_rls

revision = "s001"
down_revision = None
branch_labels = ("supervision",)
depends_on = "0006"

TABLES = ("supervision_cases", "supervision_alerts", "supervision_alert_actions",
          "supervision_tickets")


def _path() -> sa.types.TypeEngine:
    return sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql")


def _tenant() -> list[sa.Column]:
    return [sa.Column("tenant_id", sa.Uuid(), nullable=False),
            sa.Column("tenant_path", _path(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "supervision_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("basic_code", sa.String(length=14), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("case_type", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("is_parallel", sa.Boolean(), nullable=False),
        sa.Column("handling_path", _path(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("watching", sa.Boolean(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("accepted_by", sa.String(length=100), nullable=True),
        sa.Column("handler", sa.String(length=100), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("yellow_days", sa.Integer(), nullable=True),
        sa.Column("yellow_on", sa.Date(), nullable=True),
        sa.Column("step_seq", sa.Integer(), nullable=True),
        sa.Column("step_name", sa.String(length=200), nullable=True),
        sa.Column("step_started_on", sa.Date(), nullable=True),
        sa.Column("step_limit", sa.Integer(), nullable=True),
        sa.Column("step_due", sa.Date(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_since", sa.Date(), nullable=True),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("last_event", sa.String(length=60), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_cases")),
    )
    watching = sa.text("watching")
    for col in ("yellow_on", "due_date", "step_due"):
        op.create_index(f"ix_supervision_cases_{col}", "supervision_cases", [col],
                        postgresql_where=watching, sqlite_where=watching)
    op.create_index("ix_supervision_cases_accepted", "supervision_cases",
                    ["tenant_path", "accepted_on"])
    op.create_index(op.f("ix_supervision_cases_handling_path"), "supervision_cases",
                    ["handling_path"])
    op.create_index(op.f("ix_supervision_cases_tenant_id"), "supervision_cases", ["tenant_id"])
    op.create_index(op.f("ix_supervision_cases_tenant_path"), "supervision_cases", ["tenant_path"])

    op.create_table(
        "supervision_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("handling_path", _path(), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("handler", sa.String(length=100), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("notify_pending", sa.Boolean(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("urge_count", sa.Integer(), nullable=False),
        sa.Column("last_urged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("explained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("explained_by", sa.String(length=100), nullable=True),
        sa.Column("correction", sa.Text(), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("corrected_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_reason", sa.String(length=300), nullable=True),
        *_tenant(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_alerts")),
    )
    live = sa.text("cleared_at IS NULL")
    op.create_index("uq_supervision_alerts_live", "supervision_alerts",
                    ["case_id", "kind", "reason", "ref"], unique=True,
                    postgresql_where=live, sqlite_where=live)
    op.create_index("ix_supervision_alerts_raised", "supervision_alerts",
                    ["tenant_path", "raised_on"])
    pending = sa.text("notify_pending")
    op.create_index("ix_supervision_alerts_pending", "supervision_alerts", ["id"],
                    postgresql_where=pending, sqlite_where=pending)
    op.create_index(op.f("ix_supervision_alerts_tenant_id"), "supervision_alerts", ["tenant_id"])
    op.create_index(op.f("ix_supervision_alerts_tenant_path"), "supervision_alerts",
                    ["tenant_path"])

    op.create_table(
        "supervision_alert_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        *_tenant(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_alert_actions")),
    )
    op.create_index(op.f("ix_supervision_alert_actions_alert_id"), "supervision_alert_actions",
                    ["alert_id"])
    op.create_index(op.f("ix_supervision_alert_actions_tenant_id"), "supervision_alert_actions",
                    ["tenant_id"])
    op.create_index(op.f("ix_supervision_alert_actions_tenant_path"),
                    "supervision_alert_actions", ["tenant_path"])

    op.create_table(
        "supervision_tickets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("handling_path", _path(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        *_tenant(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_tickets")),
    )
    op.create_index("ix_supervision_tickets_open", "supervision_tickets", ["status", "due_on"])
    op.create_index(op.f("ix_supervision_tickets_case_id"), "supervision_tickets", ["case_id"])
    op.create_index(op.f("ix_supervision_tickets_alert_id"), "supervision_tickets", ["alert_id"])
    op.create_index(op.f("ix_supervision_tickets_tenant_id"), "supervision_tickets", ["tenant_id"])
    op.create_index(op.f("ix_supervision_tickets_tenant_path"), "supervision_tickets",
                    ["tenant_path"])

    for table in TABLES:
        enable_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
