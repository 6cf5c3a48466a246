"""supervision: complaints (投诉) — from the hall, online and 12345 hotline tickets (RLS).

Owned by the tenant a complaint is assigned to and scoped by row-level security like the other
supervision tables. One row per (source, external id): a hotline ticket imported again adds
nothing.

Revision ID: s003
Revises: s002
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.rls import enable_rls

revision = "s003"
down_revision = "s002"
branch_labels = None
depends_on = None


def _path() -> sa.types.TypeEngine:
    return sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "supervision_complaints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("case_no", sa.String(length=40), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed_by", sa.String(length=100), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_on", sa.Date(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_by", sa.String(length=100), nullable=True),
        sa.Column("callback_note", sa.Text(), nullable=True),
        sa.Column("callback_satisfied", sa.Boolean(), nullable=True),
        sa.Column("called_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("called_back_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_path", _path(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_complaints")),
    )
    op.create_index("uq_supervision_complaints_external", "supervision_complaints",
                    ["source", "external_id"], unique=True)
    op.create_index("ix_supervision_complaints_received", "supervision_complaints",
                    ["tenant_path", "received_on"])
    op.create_index(op.f("ix_supervision_complaints_tenant_id"), "supervision_complaints",
                    ["tenant_id"])
    op.create_index(op.f("ix_supervision_complaints_tenant_path"), "supervision_complaints",
                    ["tenant_path"])
    enable_rls(op, "supervision_complaints")


def downgrade() -> None:
    op.drop_table("supervision_complaints")
