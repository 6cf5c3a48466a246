"""intake: printed notices and decisions (文书) and their per-kind counters (RLS).

Both tables are tenant-owned like the rest of intake: a notice by its case's accepting
tenant, a counter by the tenant that issues the numbers.

Revision ID: i002
Revises: i001
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.rls import enable_rls

revision = "i002"
down_revision = "i001"
branch_labels = None
depends_on = None

TABLES = ("intake_notices", "intake_notice_counters")
_PATH = sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "intake_notices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("event_key", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("issuer_tenant_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_path", _PATH, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["intake_cases.id"],
                                name=op.f("fk_intake_notices_case_id_intake_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_notices")),
        sa.UniqueConstraint("case_id", "kind", "event_key", name=op.f("uq_intake_notices_case_id")),
        sa.UniqueConstraint("number", name=op.f("uq_intake_notices_number")),
    )
    op.create_index(op.f("ix_intake_notices_case_id"), "intake_notices", ["case_id"], unique=False)
    op.create_index(op.f("ix_intake_notices_tenant_id"), "intake_notices", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_intake_notices_tenant_path"), "intake_notices", ["tenant_path"],
                    unique=False)
    op.create_table(
        "intake_notice_counters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_path", _PATH, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_notice_counters")),
        sa.UniqueConstraint("tenant_id", "kind", "year",
                            name=op.f("uq_intake_notice_counters_tenant_id")),
    )
    op.create_index(op.f("ix_intake_notice_counters_tenant_id"), "intake_notice_counters",
                    ["tenant_id"], unique=False)
    op.create_index(op.f("ix_intake_notice_counters_tenant_path"), "intake_notice_counters",
                    ["tenant_path"], unique=False)
    for table in TABLES:
        enable_rls(op, table)
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO zhengwu_app")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
