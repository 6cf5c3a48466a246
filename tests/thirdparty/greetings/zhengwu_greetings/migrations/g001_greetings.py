"""greetings: the messages table, with row-level security.

Revision ID: g001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.db import PathString
from zhengwu.core.rls import enable_rls

revision = "g001"
down_revision = None
branch_labels = ("greetings",)
depends_on = "0002"


def upgrade() -> None:
    op.create_table(
        "greetings_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_path", PathString, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_greetings_messages")),
    )
    op.create_index(op.f("ix_greetings_messages_tenant_id"), "greetings_messages", ["tenant_id"])
    op.create_index(op.f("ix_greetings_messages_tenant_path"), "greetings_messages", ["tenant_path"])
    enable_rls(op, "greetings_messages")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON greetings_messages TO zhengwu_app")


def downgrade() -> None:
    op.drop_table("greetings_messages")
