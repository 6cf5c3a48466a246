"""supervision: ratings (好差评) and the steps of their rectification and appeal (RLS).

Owned by the rated case's accepting tenant and scoped by row-level security like the other
supervision tables. One rating per (case, channel, round): a follow-up rating takes the next
round.

Revision ID: s002
Revises: s001
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.rls import enable_rls

revision = "s002"
down_revision = "s001"
branch_labels = None
depends_on = None

TABLES = ("supervision_ratings", "supervision_rating_steps")


def _path() -> sa.types.TypeEngine:
    return sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql")


def _tenant() -> list[sa.Column]:
    return [sa.Column("tenant_id", sa.Uuid(), nullable=False),
            sa.Column("tenant_path", _path(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "supervision_ratings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("handling_path", _path(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("bad", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_by", sa.String(length=100), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("rectification", sa.String(length=16), nullable=True),
        sa.Column("contact_due", sa.Date(), nullable=True),
        sa.Column("close_due", sa.Date(), nullable=True),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal", sa.String(length=16), nullable=True),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appealed_by", sa.String(length=100), nullable=True),
        sa.Column("appealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal_decided_by", sa.String(length=100), nullable=True),
        sa.Column("appeal_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal_note", sa.Text(), nullable=True),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        *_tenant(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_ratings")),
    )
    op.create_index("uq_supervision_ratings_round", "supervision_ratings",
                    ["case_id", "channel", "round"], unique=True)
    op.create_index("ix_supervision_ratings_rated", "supervision_ratings",
                    ["tenant_path", "rated_on"])
    op.create_index(op.f("ix_supervision_ratings_tenant_id"), "supervision_ratings",
                    ["tenant_id"])
    op.create_index(op.f("ix_supervision_ratings_tenant_path"), "supervision_ratings",
                    ["tenant_path"])

    op.create_table(
        "supervision_rating_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rating_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_tenant(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_rating_steps")),
    )
    op.create_index(op.f("ix_supervision_rating_steps_rating_id"), "supervision_rating_steps",
                    ["rating_id"])
    op.create_index(op.f("ix_supervision_rating_steps_tenant_id"), "supervision_rating_steps",
                    ["tenant_id"])
    op.create_index(op.f("ix_supervision_rating_steps_tenant_path"), "supervision_rating_steps",
                    ["tenant_path"])

    for table in TABLES:
        enable_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
