"""supervision: fees seen in intake's events, and the daily summary per centre (每日定时汇总).

``supervision_fees`` keeps one row per ``intake.fee_charged`` event (the amount and the day), so
the summary can add the fees collected without reading intake's tables.
``supervision_daily_summaries`` keeps one row per tenant and day (a unique index on both: the
job replaces the day's rows when run again). Both owned by the tenant, RLS like the others.

Revision ID: s004
Revises: s003
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.rls import enable_rls

revision = "s004"
down_revision = "s003"
branch_labels = None
depends_on = None


def _path() -> sa.types.TypeEngine:
    return sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql")


def _owner() -> list[sa.Column]:
    return [sa.Column("tenant_id", sa.Uuid(), nullable=False),
            sa.Column("tenant_path", _path(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "supervision_fees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("fee_seq", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("charged_on", sa.Date(), nullable=False),
        *_owner(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_fees")),
    )
    op.create_index("ix_supervision_fees_charged", "supervision_fees",
                    ["tenant_path", "charged_on"])
    op.create_index(op.f("ix_supervision_fees_tenant_id"), "supervision_fees", ["tenant_id"])
    op.create_index(op.f("ix_supervision_fees_tenant_path"), "supervision_fees", ["tenant_path"])
    enable_rls(op, "supervision_fees")
    op.create_table(
        "supervision_daily_summaries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("fees_cents", sa.BigInteger(), nullable=False),
        sa.Column("yellow_cards", sa.Integer(), nullable=False),
        sa.Column("red_cards", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("bad_ratings", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        *_owner(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_daily_summaries")),
    )
    op.create_index("uq_supervision_daily_summaries_day", "supervision_daily_summaries",
                    ["tenant_id", "day"], unique=True)
    op.create_index(op.f("ix_supervision_daily_summaries_tenant_id"),
                    "supervision_daily_summaries", ["tenant_id"])
    op.create_index(op.f("ix_supervision_daily_summaries_tenant_path"),
                    "supervision_daily_summaries", ["tenant_path"])
    enable_rls(op, "supervision_daily_summaries")


def downgrade() -> None:
    op.drop_table("supervision_daily_summaries")
    op.drop_table("supervision_fees")
